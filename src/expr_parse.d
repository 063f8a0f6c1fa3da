src/expr_parse.o: src/expr_parse.c src/expr_int.h src/expr.h src/jval.h
src/expr_int.h:
src/expr.h:
src/jval.h:
