src/jsonschema.o: src/jsonschema.c src/jsonschema.h src/jval.h
src/jsonschema.h:
src/jval.h:
