# algawf — PGXS build.  One version (the control file's default_version) drives the
# install script names, the worker's name and the HTTP User-Agent.
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

EXTENSION    = algawf algawf_psa
EXTVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" algawf.control)
PSAVERSION   = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" algawf_psa.control)

MODULE_big   = algawf
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install scripts are generated from readable pieces, in file-name order.
ALGAWF_PIECES = $(sort $(wildcard src/sql/algawf/*.sql)) $(sort $(wildcard actions/*.sql))
PSA_PIECES    = $(sort $(wildcard src/sql/psa/*.sql))
DATA_built    = algawf--$(EXTVERSION).sql algawf_psa--$(PSAVERSION).sql
DATA          = $(filter-out $(DATA_built),$(wildcard algawf--*--*.sql algawf_psa--*--*.sql))

PG_CPPFLAGS  = -DALGAWF_VERSION=\"$(EXTVERSION)\" -Isrc
PG_CFLAGS    = -MMD -MP -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK  += -lcurl

ifdef SANITIZE
PG_CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
SHLIB_LINK  += -fsanitize=address,undefined
endif

EXTRA_CLEAN  = $(DATA_built) results regression.diffs regression.out output_iso $(OBJS:.o=.d)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# objects depend on the headers they include (-MMD)
-include $(OBJS:.o=.d)

algawf--$(EXTVERSION).sql: $(ALGAWF_PIECES) Makefile
	( echo '-- algawf $(EXTVERSION): generated from src/sql/algawf/*.sql and actions/*.sql; edit those.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION algawf" to load this file. \quit'; \
	  for f in $(ALGAWF_PIECES); do echo; echo "-- ---- $$f"; cat $$f; done ) > $@

algawf_psa--$(PSAVERSION).sql: $(PSA_PIECES) Makefile
	( echo '-- algawf_psa $(PSAVERSION): generated from src/sql/psa/*.sql; edit those.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION algawf_psa" to load this file. \quit'; \
	  for f in $(PSA_PIECES); do echo; echo "-- ---- $$f"; cat $$f; done ) > $@

# Everything: pg_regress, pgTAP, isolation, end-to-end (own throwaway cluster).
.PHONY: test demo bench fuzz action-reference
test:
	bash test/run.sh

demo:
	bash test/demo.sh

bench:
	bash test/bench/run.sh

fuzz:
	$(MAKE) -C test/fuzz

# README's action reference, rendered from the registry of a throwaway cluster.
action-reference:
	TMP_CHECK=$(CURDIR)/tmp_check/ref bash test/dev-cluster.sh start 54331
	eval "$$(TMP_CHECK=$(CURDIR)/tmp_check/ref bash test/dev-cluster.sh env 54331)" && \
	  psql -X -q -c 'CREATE EXTENSION IF NOT EXISTS algawf CASCADE' >/dev/null && \
	  bash test/action-reference.sh --write; \
	  rc=$$?; TMP_CHECK=$(CURDIR)/tmp_check/ref bash test/dev-cluster.sh clean; exit $$rc
