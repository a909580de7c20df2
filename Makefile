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
	src/parallel.o \
	src/catalog.o \
	src/loaders.o \
	src/memo.o \
	src/resolver.o \
	src/checks.o \
	src/planner.o \
	src/credits.o \
	src/ledger.o \
	src/tokens.o \
	src/distributed.o

# The current version's install script is assembled from the ordered pieces in
# src/sql/. Released versions' scripts and the upgrade scripts between versions
# are frozen files at the top level (see README, Development).
SQL_SOURCES = $(sort $(wildcard src/sql/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(filter-out $(DATA_built),$(wildcard $(EXTENSION)--*.sql))

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# Warnings are errors only when asked (`make WERROR=1`, as CI and `make test`
# do): a user's newer compiler may warn where ours does not.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter $(if $(WERROR),-Werror)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

.PHONY: deps test demo bench FORCE

# Objects built against one PostgreSQL are rebuilt when PG_CONFIG names another,
# and every object when a header changes (they share structures).
$(OBJS): .pg_version $(wildcard src/*.h)
.pg_version: FORCE
	@v="$$($(PG_CONFIG) --version)"; [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
EXTRA_CLEAN = .pg_version

# Install the Debian packages the build and the tests need (no-op when present).
deps:
	@tools/deps.sh

# Build, install, and run every suite against a throwaway cluster.
test: deps
	$(MAKE) all WERROR=1
	tools/sudo.sh $(MAKE) install PG_CONFIG=$(PG_CONFIG)
	PG_CONFIG=$(PG_CONFIG) tools/run-tests.sh

# Build, install, and show a small tenancy in psql.
demo: deps
	$(MAKE) all
	tools/sudo.sh $(MAKE) install PG_CONFIG=$(PG_CONFIG)
	PG_CONFIG=$(PG_CONFIG) tools/demo.sh

# Benchmarks against baselines, in one run on a throwaway cluster; then the
# big-tenant one on a cluster of its own (bench/big_tenant.sh); then, when the
# PostgreSQL under test has Citus, the distributed one (bench/citus.sh).
bench: deps
	$(MAKE) all
	tools/sudo.sh $(MAKE) install PG_CONFIG=$(PG_CONFIG)
	PG_CONFIG=$(PG_CONFIG) bench/run.sh
	PG_CONFIG=$(PG_CONFIG) bench/big_tenant.sh
	PG_CONFIG=$(PG_CONFIG) bench/citus.sh
