src/jval.o: src/jval.c src/jval.h
src/jval.h:
