src/expr_eval.o: src/expr_eval.c src/expr_int.h src/expr.h src/jval.h
src/expr_int.h:
src/expr.h:
src/jval.h:
