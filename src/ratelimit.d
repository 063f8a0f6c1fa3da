src/ratelimit.o: src/ratelimit.c src/ratelimit.h
src/ratelimit.h:
