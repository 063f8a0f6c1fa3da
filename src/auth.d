src/auth.o: src/auth.c src/auth.h src/jval.h src/http_decl.h src/expr.h
src/auth.h:
src/jval.h:
src/http_decl.h:
src/expr.h:
