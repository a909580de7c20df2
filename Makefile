# workspace_authz: PGXS build, plus `make test`, `make demo` and `make bench`
# which set up the machine and a throwaway cluster around the standard targets.

EXTENSION  = workspace_authz
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = $(EXTENSION)
OBJS = \
	src/workspace_authz.o \
	src/permset.o \
	src/identity.o \
	src/cache.o \
	src/resolver.o \
	src/checks.o \
	src/planner.o \
	src/credits.o \
	src/tokens.o

# The install script is assembled from the ordered pieces in src/sql/.
SQL_SOURCES = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard $(EXTENSION)--*--*.sql)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

.PHONY: deps test demo bench

# Install the Debian packages the build and the tests need (no-op when present).
deps:
	@tools/deps.sh

# Build, install, and run every suite against a throwaway cluster.
test: deps
	$(MAKE) all
	tools/sudo.sh $(MAKE) install
	tools/run-tests.sh

# Build, install, and show a small tenancy in psql.
demo: deps
	$(MAKE) all
	tools/sudo.sh $(MAKE) install
	tools/demo.sh

# Benchmarks against baselines, in one run on a throwaway cluster.
bench: deps
	$(MAKE) all
	tools/sudo.sh $(MAKE) install
	bench/run.sh
