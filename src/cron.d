src/cron.o: src/cron.c src/cron.h
src/cron.h:
