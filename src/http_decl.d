src/http_decl.o: src/http_decl.c src/http_decl.h src/expr.h src/jval.h
src/http_decl.h:
src/expr.h:
src/jval.h:
