src/hostlist.o: src/hostlist.c src/hostlist.h
src/hostlist.h:
