src/smtp.o: src/smtp.c src/smtp.h src/jval.h
src/smtp.h:
src/jval.h:
