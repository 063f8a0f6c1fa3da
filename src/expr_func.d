src/expr_func.o: src/expr_func.c src/expr_int.h src/expr.h src/jval.h
src/expr_int.h:
src/expr.h:
src/jval.h:
