src/jvutil.o: src/jvutil.c src/jvutil.h src/jval.h
src/jvutil.h:
src/jval.h:
