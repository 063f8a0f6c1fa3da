src/expr_datetime.o: src/expr_datetime.c src/expr_int.h src/expr.h \
 src/jval.h
src/expr_int.h:
src/expr.h:
src/jval.h:
