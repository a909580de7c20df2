/*
 * distributed.c
 *		The extension on a Citus cluster (README, Scaling out with Citus):
 *		where this node's copy of a distributed table is, whether this node is
 *		a worker, and the identity token that carries the user asserted on the
 *		coordinator to the workers.
 *
 * Copies.  authz.distribute() makes the extension's tables Citus reference
 * tables: their rows then live in one shard per table, replicated to every
 * node (authz.users_102008 beside the shell authz.users, which on a worker
 * holds only what its own CREATE EXTENSION inserted, and on the coordinator
 * what the table held when it was distributed). Readers that access tables
 * directly, as the cache's loaders do, read this node's copy of the shard and
 * its indexes, which Citus names after the table's with the shard id as
 * suffix. Shards are found in Citus' catalog pg_dist_shard, read directly
 * (through its index pg_dist_shard_logical_relid_index, whose first column is
 * logicalrelid): logicalrelid (attribute 1), shardid (attribute 2).
 *
 * Identity.  Citus runs the coordinator's queries on the workers over its own
 * connections, logged in as the role running the query; the setting
 * workspace_authz.user_id, which only superusers may set, cannot travel with
 * them. authz.set_user(u) on a distributed installation therefore also sets,
 * transaction-locally, the ordinary setting workspace_authz.user_token to
 * "u:MAC", where MAC is HMAC-SHA256, under the cluster key, of the user and of
 * the role the connections log in as; Citus sends that SET LOCAL to every
 * worker connection of the transaction (citus.propagate_set_commands =
 * 'local', turned on just for it). A worker accepts the token only when the
 * MAC verifies for the role its session is logged in as: anyone may set the
 * setting, but without the key nobody can make a token, and a token made for
 * one role is worthless to a session of another. The cluster key is the one
 * row of authz_internal.cluster_key, a reference table that no role but its
 * owner may read, so every node has the coordinator's key.
 *
 * Identities that stay here.  Only that token reaches the workers. A user
 * asserted for the whole session (authz.set_user(u, false), or
 * workspace_authz.user_id set directly) has no token in the next
 * transactions, and JWT claims are not sent by Citus; the workers would run
 * their part of a statement for the login role's mapping or for nobody, and
 * quietly answer for another identity than this node. A statement that would
 * run on the workers (it reads or writes a Citus table that is not a
 * reference table) is therefore refused while the current identity is one of
 * those (0A000); statements on the model (reference tables, read from this
 * node's copy) are not.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "workspace_authz.h"

#define TOKEN_MAC_HEX	(PG_SHA256_DIGEST_LENGTH * 2)
#define TOKEN_DOMAIN	"workspace_authz identity 1"

static char *user_token_setting = NULL;

static ExecutorStart_hook_type prev_executor_start = NULL;

/* The token verified last in this backend, and the user it names. */
static char *verified_token = NULL;
static char *verified_role = NULL;
static pg_uuid_t verified_user;

/* ---- copies of distributed tables --------------------------------------- */

/*
 * The one shard of a Citus table, or 0 when the table is not distributed (or
 * Citus is not installed in this database).
 */
int64
distributed_shard_of(Oid relid)
{
	Oid			dist_shard = get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE);
	Oid			by_relid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	int64		shardid = 0;
	int			nshards = 0;

	if (!OidIsValid(dist_shard))
		return 0;
	/*
	 * Through its index on logicalrelid, when there: the catalog holds every
	 * shard of every distributed table, and a new backend asks this for each
	 * of the model's tables.
	 */
	by_relid = get_relname_relid("pg_dist_shard_logical_relid_index", PG_CATALOG_NAMESPACE);
	rel = table_open(dist_shard, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, by_relid, OidIsValid(by_relid), NULL, 1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		if (!isnull)
			shardid = DatumGetInt64(d);
		nshards++;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (nshards > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workspace_authz relation \"%s\" is split into %d shards",
						get_rel_name(relid), nshards),
				 errdetail("The extension's tables must be whole on every node: Citus reference tables."),
				 errhint("Undistribute the table, then run authz.distribute().")));
	return shardid;
}

/* This node's copy of shard `shardid` of relation (table or index) `name`. */
Oid
distributed_local_shard(Oid nsp, const char *name, int64 shardid)
{
	char		shard_name[NAMEDATALEN * 2];
	Oid			relid;

	snprintf(shard_name, sizeof(shard_name), "%s_" INT64_FORMAT, name, shardid);
	relid = strlen(shard_name) < NAMEDATALEN ? get_relname_relid(shard_name, nsp) : InvalidOid;
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this node holds no copy of workspace_authz relation \"%s\"", name),
				 errdetail("The shard \"%s\" is missing here.", shard_name),
				 errhint("Run SELECT replicate_reference_tables() on the coordinator.")));
	return relid;
}

/* Is this node a Citus worker (a node whose group is not the coordinator's)? */
static bool
on_worker(void)
{
	Oid			local_group = get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		worker = false;

	if (!OidIsValid(local_group))
		return false;
	rel = table_open(local_group, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	if ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);

		worker = !isnull && DatumGetInt32(d) != 0;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return worker;
}

PG_FUNCTION_INFO_V1(distributed_on_worker);
Datum
distributed_on_worker(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(on_worker());
}

/* ---- the identity token ------------------------------------------------- */

/*
 * The cluster key from this node's copy of authz_internal.cluster_key; false
 * when the installation is not distributed (no shard), so there is no token.
 */
static bool
cluster_key(bytea **key)
{
	Oid			nsp = get_namespace_oid("authz_internal", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("cluster_key", nsp) : InvalidOid;
	int64		shardid;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;

	*key = NULL;
	if (!OidIsValid(relid) || (shardid = distributed_shard_of(relid)) == 0)
		return false;
	relid = distributed_local_shard(nsp, "cluster_key", shardid);
	snap = RegisterSnapshot(GetLatestSnapshot());
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, snap, 0, NULL);
	if ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);

		if (!isnull)
			*key = DatumGetByteaPCopy(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snap);
	if (*key == NULL || VARSIZE_ANY_EXHDR(*key) < 16)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the workspace_authz cluster key is missing")));
	return true;
}

/* Hex HMAC-SHA256 of the user and the role under the key, into out[65]. */
static void
token_mac(const bytea *key, const char *user, const char *role, char *out)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";

	if (ctx == NULL ||
		pg_hmac_init(ctx, (const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) TOKEN_DOMAIN, sizeof(TOKEN_DOMAIN)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) user, strlen(user) + 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) role, strlen(role) + 1) < 0 ||
		pg_hmac_final(ctx, mac, sizeof(mac)) < 0)
	{
		pg_hmac_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the workspace_authz identity token")));
	}
	pg_hmac_free(ctx);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[TOKEN_MAC_HEX] = '\0';
}

static bool
check_user_token(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	const char *colon;

	if (v == NULL || v[0] == '\0')
		return true;
	colon = strchr(v, ':');
	if (colon == NULL || strlen(colon + 1) != TOKEN_MAC_HEX ||
		strspn(colon + 1, "0123456789abcdef") != TOKEN_MAC_HEX)
	{
		GUC_check_errdetail("The value is set by authz.set_user() on the coordinator.");
		return false;
	}
	return true;
}

/*
 * Does the statement read or write a Citus table whose rows live on the
 * workers: any table of pg_dist_partition but a reference table (replication
 * model 't', attribute 5)? The plan of a distributed statement keeps the
 * range table of the query it runs, for permission checks.
 */
static Oid
sharded_relation_in(PlannedStmt *stmt)
{
	Oid			dist_partition;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
			relids = list_append_unique_oid(relids, rte->relid);
	}
	if (relids == NIL)
		return InvalidOid;
	dist_partition = get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE);
	if (!OidIsValid(dist_partition))
		return InvalidOid;
	rel = table_open(dist_partition, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (!OidIsValid(found) && (tup = systable_getnext(scan)) != NULL)
	{
		bool		relid_null,
					repmodel_null;
		Oid			relid = DatumGetObjectId(heap_getattr(tup, 1, RelationGetDescr(rel), &relid_null));
		char		repmodel = DatumGetChar(heap_getattr(tup, 5, RelationGetDescr(rel), &repmodel_null));

		if (!relid_null && !repmodel_null && repmodel != 't' && list_member_oid(relids, relid))
			found = relid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Refuse a statement that would run on the workers for another identity than
 * this node's (see "Identities that stay here" above).
 */
static void
distributed_executor_start(QueryDesc *queryDesc, int eflags)
{
	/* Citus loaded (its settings exist) and an identity that stays here */
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		GetConfigOption("citus.propagate_set_commands", true, false) != NULL &&
		authz_identity_stays_here())
	{
		Oid			relid = sharded_relation_in(queryDesc->plannedstmt);

		if (OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the current workspace_authz user does not reach the Citus workers that hold \"%s\"",
							get_rel_name(relid)),
					 errdetail("Only a user asserted with authz.set_user() inside the transaction is sent to the workers; "
							   "a user asserted for the whole session, set in workspace_authz.user_id, or named by JWT claims is known to this node only."),
					 errhint("Call authz.set_user(id) after BEGIN, in the transaction that runs the statement.")));
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* The token setting's value, for identity.c. */
const char *
distributed_token_value(void)
{
	return user_token_setting;
}

void
distributed_init(void)
{
	DefineCustomStringVariable("workspace_authz.user_token",
							   "The user asserted on the Citus coordinator, with its proof, for the workers.",
							   "Set by authz.set_user() on a distributed installation; a worker accepts it "
							   "only when it verifies under the cluster key for the session's role.",
							   &user_token_setting,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_SHOW_ALL,
							   check_user_token, NULL, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = distributed_executor_start;
}

/*
 * On a distributed installation, make the transaction-local asserted user (or
 * its absence) reach the workers: SET LOCAL the token, with Citus propagating
 * it to this transaction's worker connections, present and future. Nothing
 * happens without Citus or before authz.distribute().
 */
void
distributed_propagate_user(const pg_uuid_t *user_id)
{
	bytea	   *key;
	char	   *token = "";
	int			nest;
	int			rc;

	if (GetConfigOption("citus.propagate_set_commands", true, false) == NULL ||
		!cluster_key(&key))
		return;
	if (user_id != NULL)
	{
		char	   *user = uuid_to_cstring(user_id);
		char		mac[TOKEN_MAC_HEX + 1];

		token_mac(key, user, GetUserNameFromId(GetUserId(), false), mac);
		token = psprintf("%s:%s", user, mac);
	}
	nest = NewGUCNestLevel();
	(void) set_config_option("citus.propagate_set_commands", "local",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute(psprintf("SET LOCAL workspace_authz.user_token = %s",
							  quote_literal_cstr(token)), false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "SET LOCAL workspace_authz.user_token failed: %d", rc);
	SPI_finish();
	AtEOXact_GUC(true, nest);
}

/*
 * The user named by workspace_authz.user_token, when set; an error when it
 * does not verify for this session's role (it was forged, or made for another
 * role or another cluster key).
 */
bool
distributed_token_user(pg_uuid_t *user_id)
{
	const char *token = user_token_setting;
	const char *role;
	char	   *user;
	bytea	   *key;
	char		mac[TOKEN_MAC_HEX + 1];
	const char *colon;
	int			diff = 0;

	if (token == NULL || token[0] == '\0')
		return false;
	role = GetUserNameFromId(GetSessionUserId(), false);
	if (verified_token != NULL && strcmp(verified_token, token) == 0 &&
		strcmp(verified_role, role) == 0)
	{
		*user_id = verified_user;
		return true;
	}
	colon = strchr(token, ':');
	user = pnstrdup(token, colon - token);
	if (!cluster_key(&key))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workspace_authz.user_token is only accepted on a distributed installation")));
	token_mac(key, user, role, mac);
	for (int i = 0; i < TOKEN_MAC_HEX; i++)
		diff |= mac[i] ^ colon[1 + i];
	if (diff != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("workspace_authz.user_token does not verify for role \"%s\"", role),
				 errdetail("Only authz.set_user() on the coordinator makes tokens, each for the role its connections log in as."),
				 errhint("Assert the user with authz.set_user() on the coordinator, inside the transaction.")));
	/* made by authz.set_user(), so a well-formed uuid */
	verified_user = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(user)));
	if (verified_token)
		pfree(verified_token);
	if (verified_role)
		pfree(verified_role);
	verified_token = MemoryContextStrdup(TopMemoryContext, token);
	verified_role = MemoryContextStrdup(TopMemoryContext, role);
	*user_id = verified_user;
	return true;
}
