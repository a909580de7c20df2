/*
 * workspace_authz.c
 *		Module entry point: defines the settings and initialises each module.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "workspace_authz.h"

PG_MODULE_MAGIC;

int			authz_cache_size_kb = 65536;

/* Read by the audit trigger (SQL) through current_setting(). */
static bool authz_notify = false;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("workspace_authz.cache_size",
							"Memory a backend may use to cache authorization answers.",
							"Past this size the memoised answers are dropped, then the whole cache if need be; "
							"both refill on demand. The bound holds for each of a backend's two caches "
							"(the persistent one, and the one tied to a snapshot) and in each parallel worker.",
							&authz_cache_size_kb,
							65536, 256, INT_MAX / 1024,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("workspace_authz.notify",
							 "Send an empty NOTIFY workspace_authz when a transaction changes the authorization model.",
							 "A wake-up only: consumers read the changes from authz.audit_log. "
							 "A transaction that sent it cannot be prepared for two-phase commit.",
							 &authz_notify,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	identity_init();
	cache_init();
	distributed_init();
	parallel_init();
	MarkGUCPrefixReserved("workspace_authz");
}
