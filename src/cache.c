/*
 * cache.c
 *		Per-backend cache of the authorization model: the permission
 *		registry, roles, organizations, workspaces, users with their
 *		memberships, and memoised answers. Owns the loaders, which read the
 *		model's tables with direct index scans, and the invalidation that
 *		keeps the cache coherent.
 *
 * Coherence.  Every write to an authz table fires a statement trigger
 * (cache_invalidate_trigger) that queues a relcache invalidation of the
 * sentinel relation authz.users.  PostgreSQL processes it in this backend at
 * the next command boundary, in other backends once the writer commits (and on
 * hot standbys, from the commit record), and replays it locally when the
 * writer aborts, so a rolled-back change leaves no trace.  The callback only
 * marks the cache stale and bumps authz_cache_generation; the reset itself
 * happens at the next outermost cache_enter(), never while pointers into the
 * cache are live.
 *
 * Snapshots.  In READ COMMITTED, outside parallel mode, entries are loaded
 * with the latest snapshot.  A committed change is visible to snapshots
 * before its invalidation is sent, and that snapshot is taken after the
 * invalidations consumed so far, so an entry can never predate an
 * invalidation this backend has already processed.  Parallel mode forbids new
 * snapshots, and REPEATABLE READ and SERIALIZABLE transactions must not see
 * changes committed after their snapshot: there the cache loads with the
 * active snapshot into a transient cache tied to that snapshot, so the leader
 * and its workers give the same answers, and so does a serial plan.
 *
 * Revocation.  A READ COMMITTED transaction that already holds every lock it
 * needs acquires none, so nothing would make it absorb the invalidations
 * other sessions commit. Each statement (each new snapshot) therefore
 * absorbs them at its first check or identity lookup, so it answers with
 * everything committed before it started, as its queries do. REPEATABLE
 * READ and SERIALIZABLE keep answering from their snapshot.
 *
 * Memory.  Everything lives in one context per cache. Past
 * workspace_authz.cache_size, the next outermost entry first drops the
 * memoised answers (cheap to recompute, and callers only ever hold copies),
 * and resets the whole cache only if the loaded model alone is still too big.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "workspace_authz.h"

/* This backend's local transaction id (moved into vxid in PostgreSQL 17). */
#if PG_VERSION_NUM >= 170000
#define MY_LXID (MyProc->vxid.lxid)
#else
#define MY_LXID (MyProc->lxid)
#endif

#define PERM_NAME_MAX 64

typedef struct PermName
{
	char		name[PERM_NAME_MAX];	/* hash key, zero padded */
	int			bit;
} PermName;

typedef struct LoginEntry
{
	Oid			roleid;			/* hash key */
	bool		found;
	pg_uuid_t	user_id;
} LoginEntry;

typedef struct AuthzCache
{
	MemoryContext ctx;
	bool		valid;			/* registry loaded, hashes created */
	bool		stale;			/* reset at the next outermost entry */
	bool		over_budget;	/* past cache_size: shed answers, then all */
	int			nperms;
	char	   *perm_names[PERMSET_BITS];
	PermSet		org_scope;
	PermSet		org_role_perms[ORG_ROLE_COUNT];
	int			org_create_bit;
	HTAB	   *perm_by_name;
	HTAB	   *roles;
	HTAB	   *orgs;
	HTAB	   *workspaces;
	HTAB	   *projects;
	HTAB	   *users;
	HTAB	   *results;
	HTAB	   *logins;
	/* transient cache only: the snapshot its entries were loaded with */
	LocalTransactionId snap_lxid;
	TransactionId snap_xmin;
	TransactionId snap_xmax;
	CommandId	snap_curcid;
} AuthzCache;

static AuthzCache persistent_cache;
static AuthzCache transient_cache;
static AuthzCache *cur;			/* the cache in use by the outermost entry */
static int	cache_depth = 0;

uint64		authz_cache_generation = 1;

/* Sentinel relation (authz.users): the one every change invalidates. */
static Oid	sentinel_relid = InvalidOid;

/* ---- the model's relations, indexes and columns ------------------------- */

/*
 * The loaders read the model's tables with direct index scans, as the system
 * catalog caches do: no SQL, no planning, no privilege checks. Relations,
 * indexes and column numbers are looked up by name when a cache is built.
 */
typedef enum ModelRel
{
	REL_PERMISSIONS,
	REL_ORG_ROLE_PERMISSIONS,
	REL_ROLES,
	REL_ROLE_PERMISSIONS,
	REL_ORGS,
	REL_WORKSPACES,
	REL_USERS,
	REL_ORG_MEMBERS,
	REL_PARTICIPANTS,
	REL_TEAM_MEMBERS,
	REL_PARTICIPANT_PERMISSIONS,
	REL_PROJECTS,
	REL_PROJECT_MEMBERS,
	REL_COUNT
} ModelRel;

static const char *const rel_names[REL_COUNT] = {
	"permissions", "org_role_permissions", "roles", "role_permissions", "orgs",
	"workspaces", "users", "org_members", "participants", "team_members",
	"participant_permissions", "projects", "project_members"
};

typedef enum ModelIndex
{
	IDX_ROLES_PKEY,
	IDX_ROLE_PERMISSIONS_PKEY,
	IDX_ORGS_PKEY,
	IDX_WORKSPACES_PKEY,
	IDX_WORKSPACES_PERSONAL,
	IDX_WORKSPACES_ORG,
	IDX_USERS_PKEY,
	IDX_USERS_PG_ROLE,
	IDX_ORG_MEMBERS_USER,
	IDX_PARTICIPANTS_USER,
	IDX_PARTICIPANTS_TEAM,
	IDX_TEAM_MEMBERS_USER,
	IDX_PARTICIPANT_PERMISSIONS_USER,
	IDX_PROJECTS_PKEY,
	IDX_PROJECTS_WORKSPACE,
	IDX_PROJECT_MEMBERS_USER,
	IDX_COUNT
} ModelIndex;

static const char *const index_names[IDX_COUNT] = {
	"roles_pkey", "role_permissions_pkey", "orgs_pkey", "workspaces_pkey",
	"workspaces_personal_user_id_key", "workspaces_org_id_name_key", "users_pkey",
	"users_pg_role_key", "org_members_user_idx", "participants_user_idx",
	"participants_team_idx", "team_members_user_idx", "participant_permissions_user_idx",
	"projects_pkey", "projects_workspace_id_name_key", "project_members_user_idx"
};

typedef enum ModelCol
{
	C_PERM_NAME, C_PERM_BIT, C_PERM_SCOPE,
	C_ORP_ROLE, C_ORP_PERMISSION,
	C_ROLE_ID, C_ROLE_NAME, C_ROLE_RANK, C_ROLE_PROJECTS_ONLY,
	C_RP_ROLE, C_RP_PERMISSION,
	C_ORG_ID, C_ORG_MEMBERS_CREATE, C_ORG_ADMIN_ROLE,
	C_WS_ID, C_WS_ORG, C_WS_PERSONAL, C_WS_VISIBILITY, C_WS_SHARED_ROLE, C_WS_JOIN_POLICY,
	C_USER_ID, C_USER_STATUS, C_USER_PG_ROLE,
	C_OM_ORG, C_OM_USER, C_OM_ROLE, C_OM_WS_ROLE,
	C_P_WS, C_P_USER, C_P_TEAM, C_P_ROLE, C_P_EXPIRES,
	C_TM_TEAM, C_TM_USER,
	C_PP_WS, C_PP_USER, C_PP_PERMISSION, C_PP_EFFECT, C_PP_EXPIRES,
	C_PROJ_ID, C_PROJ_WS,
	C_PM_PROJECT, C_PM_USER, C_PM_ROLE, C_PM_EXPIRES,
	C_COUNT
} ModelCol;

static const struct
{
	ModelRel	rel;
	const char *name;
}			col_defs[C_COUNT] = {
	[C_PERM_NAME] = {REL_PERMISSIONS, "name"},
	[C_PERM_BIT] = {REL_PERMISSIONS, "bit"},
	[C_PERM_SCOPE] = {REL_PERMISSIONS, "scope"},
	[C_ORP_ROLE] = {REL_ORG_ROLE_PERMISSIONS, "role"},
	[C_ORP_PERMISSION] = {REL_ORG_ROLE_PERMISSIONS, "permission"},
	[C_ROLE_ID] = {REL_ROLES, "id"},
	[C_ROLE_NAME] = {REL_ROLES, "name"},
	[C_ROLE_RANK] = {REL_ROLES, "rank"},
	[C_ROLE_PROJECTS_ONLY] = {REL_ROLES, "projects_only"},
	[C_RP_ROLE] = {REL_ROLE_PERMISSIONS, "role_id"},
	[C_RP_PERMISSION] = {REL_ROLE_PERMISSIONS, "permission"},
	[C_ORG_ID] = {REL_ORGS, "id"},
	[C_ORG_MEMBERS_CREATE] = {REL_ORGS, "members_can_create_workspaces"},
	[C_ORG_ADMIN_ROLE] = {REL_ORGS, "admin_workspace_role"},
	[C_WS_ID] = {REL_WORKSPACES, "id"},
	[C_WS_ORG] = {REL_WORKSPACES, "org_id"},
	[C_WS_PERSONAL] = {REL_WORKSPACES, "personal_user_id"},
	[C_WS_VISIBILITY] = {REL_WORKSPACES, "visibility"},
	[C_WS_SHARED_ROLE] = {REL_WORKSPACES, "shared_role"},
	[C_WS_JOIN_POLICY] = {REL_WORKSPACES, "join_policy"},
	[C_USER_ID] = {REL_USERS, "id"},
	[C_USER_STATUS] = {REL_USERS, "status"},
	[C_USER_PG_ROLE] = {REL_USERS, "pg_role"},
	[C_OM_ORG] = {REL_ORG_MEMBERS, "org_id"},
	[C_OM_USER] = {REL_ORG_MEMBERS, "user_id"},
	[C_OM_ROLE] = {REL_ORG_MEMBERS, "role"},
	[C_OM_WS_ROLE] = {REL_ORG_MEMBERS, "workspace_role"},
	[C_P_WS] = {REL_PARTICIPANTS, "workspace_id"},
	[C_P_USER] = {REL_PARTICIPANTS, "user_id"},
	[C_P_TEAM] = {REL_PARTICIPANTS, "team_id"},
	[C_P_ROLE] = {REL_PARTICIPANTS, "role_id"},
	[C_P_EXPIRES] = {REL_PARTICIPANTS, "expires_at"},
	[C_TM_TEAM] = {REL_TEAM_MEMBERS, "team_id"},
	[C_TM_USER] = {REL_TEAM_MEMBERS, "user_id"},
	[C_PP_WS] = {REL_PARTICIPANT_PERMISSIONS, "workspace_id"},
	[C_PP_USER] = {REL_PARTICIPANT_PERMISSIONS, "user_id"},
	[C_PP_PERMISSION] = {REL_PARTICIPANT_PERMISSIONS, "permission"},
	[C_PP_EFFECT] = {REL_PARTICIPANT_PERMISSIONS, "effect"},
	[C_PP_EXPIRES] = {REL_PARTICIPANT_PERMISSIONS, "expires_at"},
	[C_PROJ_ID] = {REL_PROJECTS, "id"},
	[C_PROJ_WS] = {REL_PROJECTS, "workspace_id"},
	[C_PM_PROJECT] = {REL_PROJECT_MEMBERS, "project_id"},
	[C_PM_USER] = {REL_PROJECT_MEMBERS, "user_id"},
	[C_PM_ROLE] = {REL_PROJECT_MEMBERS, "role_id"},
	[C_PM_EXPIRES] = {REL_PROJECT_MEMBERS, "expires_at"},
};

static Oid	rel_oids[REL_COUNT];
static Oid	index_oids[IDX_COUNT];
static AttrNumber col_attnums[C_COUNT];

/* ---- invalidation ------------------------------------------------------- */

static void
mark_stale(void)
{
	persistent_cache.stale = true;
	transient_cache.stale = true;
	authz_cache_generation++;
}

/* Relcache callback: a change to the model, or a full reset. */
static void
cache_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || (OidIsValid(sentinel_relid) && relid == sentinel_relid))
		mark_stale();
}

/* Syscache callback on pg_authid: login role names feed the identity map. */
static void
cache_authid_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	mark_stale();
}

/* On abort no cache frame can still be running: errors unwind through them. */
static void
cache_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		cache_depth = 0;
}

static void
cache_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cache_depth = 0;
}

void
cache_init(void)
{
	CacheRegisterRelcacheCallback(cache_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, cache_authid_callback, (Datum) 0);
	RegisterXactCallback(cache_xact_callback, NULL);
	RegisterSubXactCallback(cache_subxact_callback, NULL);
}

/*
 * Statement trigger on every authz table: make every backend drop its cache.
 * The invalidation is transactional (see the file header).
 */
PG_FUNCTION_INFO_V1(cache_invalidate_trigger);
Datum
cache_invalidate_trigger(PG_FUNCTION_ARGS)
{
	Oid			nsp;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("authz._invalidate_cache() must be called as a trigger")));

	nsp = get_namespace_oid("authz", false);
	relid = get_relname_relid("users", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("workspace_authz relation \"authz.users\" is missing")));
	CacheInvalidateRelcacheByRelid(relid);
	return PointerGetDatum(NULL);
}

/* ---- cache lifecycle ---------------------------------------------------- */

static HTAB *
make_hash(AuthzCache *c, const char *name, Size keysize, Size entrysize, bool blobs)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = c->ctx;
	return hash_create(name, 64, &ctl,
					   HASH_ELEM | HASH_CONTEXT | (blobs ? HASH_BLOBS : HASH_STRINGS));
}

static void
cache_reset(AuthzCache *c)
{
	MemoryContext ctx = c->ctx;

	if (ctx)
		MemoryContextReset(ctx);
	memset(c, 0, sizeof(AuthzCache));
	c->ctx = ctx;
	authz_cache_generation++;
}

static void load_registry(AuthzCache *c);
static void resolve_model(void);
static int	registry_bit(AuthzCache *c, const char *name, int len);

static void
cache_build(AuthzCache *c)
{
	if (c->ctx == NULL && c == &transient_cache)
		c->ctx = AllocSetContextCreate(TopMemoryContext, "workspace_authz transient cache",
									   ALLOCSET_DEFAULT_SIZES);
	else if (c->ctx == NULL)
		c->ctx = AllocSetContextCreate(TopMemoryContext, "workspace_authz cache",
									   ALLOCSET_DEFAULT_SIZES);
	c->perm_by_name = make_hash(c, "authz permissions", PERM_NAME_MAX, sizeof(PermName), false);
	c->roles = make_hash(c, "authz roles", sizeof(pg_uuid_t), sizeof(RoleInfo), true);
	c->orgs = make_hash(c, "authz orgs", sizeof(pg_uuid_t), sizeof(OrgInfo), true);
	c->workspaces = make_hash(c, "authz workspaces", sizeof(pg_uuid_t), sizeof(WorkspaceInfo), true);
	c->projects = make_hash(c, "authz projects", sizeof(pg_uuid_t), sizeof(ProjectInfo), true);
	c->users = make_hash(c, "authz users", sizeof(pg_uuid_t), sizeof(UserInfo), true);
	c->results = make_hash(c, "authz results", sizeof(ResultKey), sizeof(ResultEntry), true);
	c->logins = make_hash(c, "authz logins", sizeof(Oid), sizeof(LoginEntry), true);
	resolve_model();
	c->org_create_bit = -1;
	load_registry(c);
	c->valid = true;
}

static bool
over_budget(AuthzCache *c)
{
	return MemoryContextMemAllocated(c->ctx, true) > (Size) authz_cache_size_kb * 1024;
}

/* Past the budget: drop the answers, and everything if that is not enough. */
static void
shed_answers(AuthzCache *c)
{
	hash_destroy(c->results);
	c->results = make_hash(c, "authz results", sizeof(ResultKey), sizeof(ResultEntry), true);
	c->over_budget = false;
	if (over_budget(c))
		cache_reset(c);
}

/* Must entries be read with the active snapshot rather than the latest? */
static bool
use_active_snapshot(void)
{
	return IsInParallelMode() || IsolationUsesXactSnapshot();
}

/*
 * Does the transient cache belong to the snapshot now active? Under
 * REPEATABLE READ the snapshot is the transaction's, and only its command id
 * moves; this backend's own writes invalidate the cache anyway, so entries
 * stay valid across the transaction's commands.
 */
/* This backend's local transaction id: PostgreSQL 17 moved it into vxid. */
#if PG_VERSION_NUM >= 170000
#define MY_LXID (MyProc->vxid.lxid)
#else
#define MY_LXID (MyProc->lxid)
#endif

static bool
transient_matches(AuthzCache *c, Snapshot snap)
{
	return c->snap_lxid == MY_LXID &&
		c->snap_xmin == snap->xmin &&
		c->snap_xmax == snap->xmax &&
		(c->snap_curcid == snap->curcid || !IsInParallelMode());
}

/*
 * In READ COMMITTED, outside parallel mode, absorb the invalidations other
 * sessions committed, once per statement: per client statement, and per
 * snapshot a function's statements take (see the file header). Never while
 * pointers into the cache are live.
 */
void
cache_accept_invalidations(void)
{
	static LocalTransactionId seen_lxid = InvalidLocalTransactionId;
	static TimestampTz seen_stmt = 0;
	static TransactionId seen_xmin = InvalidTransactionId;
	static TransactionId seen_xmax = InvalidTransactionId;
	static uint32 seen_xcnt = 0;
	static CommandId seen_cid = InvalidCommandId;
	TimestampTz stmt;
	Snapshot	snap;

	if (cache_depth > 0 || !IsTransactionState() || use_active_snapshot())
		return;
	stmt = GetCurrentStatementStartTimestamp();
	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
	if (seen_lxid == MY_LXID && seen_stmt == stmt &&
		(snap == NULL ||
		 (seen_xmin == snap->xmin && seen_xmax == snap->xmax &&
		  seen_xcnt == snap->xcnt && seen_cid == snap->curcid)))
		return;
	seen_lxid = MY_LXID;
	seen_stmt = stmt;
	seen_xmin = snap ? snap->xmin : InvalidTransactionId;
	seen_xmax = snap ? snap->xmax : InvalidTransactionId;
	seen_xcnt = snap ? snap->xcnt : 0;
	seen_cid = snap ? snap->curcid : InvalidCommandId;
	AcceptInvalidationMessages();
}

/*
 * Enter the cache. The outermost entry picks the cache for this mode, applies
 * a pending reset and (re)loads the registry; nested entries change nothing.
 */
void
cache_enter(void)
{
	AuthzCache *c;

	if (cache_depth > 0)
	{
		cache_depth++;
		return;
	}
	cache_accept_invalidations();
	cache_depth++;

	if (use_active_snapshot())
	{
		Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

		c = &transient_cache;
		if (snap == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workspace_authz checks need an active snapshot")));
		if (!c->valid || c->stale || !transient_matches(c, snap))
		{
			cache_reset(c);
			c->snap_lxid = MY_LXID;
			c->snap_xmin = snap->xmin;
			c->snap_xmax = snap->xmax;
			c->snap_curcid = snap->curcid;
		}
	}
	else
	{
		c = &persistent_cache;
		if (c->stale)
			cache_reset(c);
	}
	if (c->valid && c->over_budget)
		shed_answers(c);
	cur = c;
	if (!c->valid)
	{
		PG_TRY();
		{
			cache_build(c);
		}
		PG_CATCH();
		{
			cache_reset(c);
			cache_depth = 0;
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
}

void
cache_leave(void)
{
	Assert(cache_depth > 0);
	if (cache_depth > 0)
		cache_depth--;
}

/* ---- reading the model -------------------------------------------------- */

/* Find the model's relations, indexes and columns, and the sentinel. */
static void
resolve_model(void)
{
	Oid			nsp = get_namespace_oid("authz", true);
	int64		shards[REL_COUNT];

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("users", nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"workspace_authz\" is not installed in this database")));
	for (int i = 0; i < REL_COUNT; i++)
	{
		rel_oids[i] = get_relname_relid(rel_names[i], nsp);
		if (!OidIsValid(rel_oids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workspace_authz relation \"authz.%s\" is missing", rel_names[i]),
					 errhint("Reinstall the extension: DROP EXTENSION workspace_authz, then CREATE EXTENSION.")));
	}
	/* The sentinel is the table itself: see cache_invalidate_trigger. */
	sentinel_relid = rel_oids[REL_USERS];
	for (int i = 0; i < IDX_COUNT; i++)
	{
		index_oids[i] = get_relname_relid(index_names[i], nsp);
		if (!OidIsValid(index_oids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workspace_authz index \"authz.%s\" is missing", index_names[i]),
					 errhint("Recreate the index, or reinstall the extension.")));
	}
	/* Distributed with Citus: read this node's copies (see distributed.c). */
	for (int i = 0; i < REL_COUNT; i++)
	{
		shards[i] = distributed_shard_of(rel_oids[i]);
		if (shards[i] != 0)
			rel_oids[i] = distributed_local_shard(nsp, rel_names[i], shards[i]);
	}
	for (int i = 0; i < IDX_COUNT; i++)
	{
		Oid			table = IndexGetRelation(index_oids[i], false);

		for (int r = 0; r < REL_COUNT; r++)
			if (shards[r] != 0 && get_relname_relid(rel_names[r], nsp) == table)
				index_oids[i] = distributed_local_shard(nsp, index_names[i], shards[r]);
	}
	/*
	 * Column numbers from each relation's descriptor: one relcache build per
	 * relation (which the loaders need anyway) instead of a catalog lookup
	 * per column.
	 */
	for (int r = 0; r < REL_COUNT; r++)
	{
		Relation	rel = table_open(rel_oids[r], AccessShareLock);
		TupleDesc	desc = RelationGetDescr(rel);

		for (int i = 0; i < C_COUNT; i++)
		{
			if ((int) col_defs[i].rel != r)
				continue;
			col_attnums[i] = InvalidAttrNumber;
			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				if (!att->attisdropped && strcmp(NameStr(att->attname), col_defs[i].name) == 0)
				{
					col_attnums[i] = att->attnum;
					break;
				}
			}
			if (col_attnums[i] == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("workspace_authz column \"authz.%s.%s\" is missing",
								rel_names[r], col_defs[i].name),
						 errhint("Reinstall the extension: DROP EXTENSION workspace_authz, then CREATE EXTENSION.")));
		}
		table_close(rel, AccessShareLock);
	}
}

/*
 * One scan of a model relation: through an index when keys are given, else
 * the whole relation. Rows are read with the load snapshot described in the
 * file header.
 */
typedef struct ModelScan
{
	Relation	rel;
	SysScanDesc scan;
	Snapshot	snap;
} ModelScan;

static void
scan_begin(ModelScan *s, ModelRel rel, int index, int nkeys, ScanKey keys)
{
	s->snap = RegisterSnapshot(use_active_snapshot() ? GetActiveSnapshot() : GetLatestSnapshot());
	s->rel = table_open(rel_oids[rel], AccessShareLock);
	s->scan = systable_beginscan(s->rel, index >= 0 ? index_oids[index] : InvalidOid,
								 index >= 0, s->snap, nkeys, keys);
}

static HeapTuple
scan_next(ModelScan *s)
{
	return systable_getnext(s->scan);
}

static void
scan_end(ModelScan *s)
{
	systable_endscan(s->scan);
	table_close(s->rel, AccessShareLock);
	UnregisterSnapshot(s->snap);
}

/* Scan the rows whose uuid column equals `id`, through `index`. */
static void
scan_by_uuid(ModelScan *s, ModelRel rel, int index, ModelCol col, const pg_uuid_t *id,
			 ScanKeyData *key)
{
	ScanKeyInit(key, col_attnums[col], BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(id));
	scan_begin(s, rel, index, 1, key);
}

static Datum
get(ModelScan *s, HeapTuple tup, ModelCol col, bool *isnull)
{
	return heap_getattr(tup, col_attnums[col], RelationGetDescr(s->rel), isnull);
}

static bool
get_uuid(ModelScan *s, HeapTuple tup, ModelCol col, pg_uuid_t *out)
{
	bool		isnull;
	Datum		d = get(s, tup, col, &isnull);

	if (isnull)
		return false;
	*out = *DatumGetUUIDP(d);
	return true;
}

/* Does a text column hold exactly `value`? */
static bool
get_text_is(ModelScan *s, HeapTuple tup, ModelCol col, const char *value)
{
	bool		isnull;
	Datum		d = get(s, tup, col, &isnull);
	text	   *t;
	int			len = strlen(value);

	if (isnull)
		return false;
	t = DatumGetTextPP(d);
	return (int) VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), value, len) == 0;
}

static char *
get_cstring(ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = get(s, tup, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static TimestampTz
get_expiry(ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = get(s, tup, col, &isnull);

	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
}

/* The bit of the permission named in a text column, or -1. */
static int
get_permission_bit(AuthzCache *c, ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = get(s, tup, col, &isnull);
	text	   *t;

	if (isnull)
		return -1;
	t = DatumGetTextPP(d);
	return registry_bit(c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* ---- permission registry ------------------------------------------------ */

static int
registry_bit(AuthzCache *c, const char *name, int len)
{
	char		key[PERM_NAME_MAX];
	PermName   *e;

	if (len <= 0 || len >= PERM_NAME_MAX)
		return -1;
	memset(key, 0, sizeof(key));
	memcpy(key, name, len);
	e = hash_search(c->perm_by_name, key, HASH_FIND, NULL);
	return e ? e->bit : -1;
}

static OrgRole
org_role_from_text(const char *s)
{
	if (s == NULL)
		return ORG_ROLE_NONE;
	if (strcmp(s, "owner") == 0)
		return ORG_ROLE_OWNER;
	if (strcmp(s, "admin") == 0)
		return ORG_ROLE_ADMIN;
	if (strcmp(s, "member") == 0)
		return ORG_ROLE_MEMBER;
	if (strcmp(s, "guest") == 0)
		return ORG_ROLE_GUEST;
	return ORG_ROLE_NONE;
}

/* Load every registered permission, and the permissions of each org role. */
static void
load_registry(AuthzCache *c)
{
	ModelScan	s;
	HeapTuple	tup;

	scan_begin(&s, REL_PERMISSIONS, -1, 0, NULL);
	while ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;
		char	   *name = get_cstring(&s, tup, C_PERM_NAME);
		int			bit = DatumGetInt16(get(&s, tup, C_PERM_BIT, &isnull));
		PermName   *e;
		char		key[PERM_NAME_MAX];

		if (name == NULL || bit < 0 || bit >= PERMSET_BITS || strlen(name) >= PERM_NAME_MAX)
			continue;
		memset(key, 0, sizeof(key));
		strcpy(key, name);
		e = hash_search(c->perm_by_name, key, HASH_ENTER, NULL);
		e->bit = bit;
		c->perm_names[bit] = MemoryContextStrdup(c->ctx, name);
		c->nperms++;
		if (get_text_is(&s, tup, C_PERM_SCOPE, "org"))
			permset_add(&c->org_scope, bit);
		if (strcmp(name, "org.workspaces.create") == 0)
			c->org_create_bit = bit;
	}
	scan_end(&s);

	scan_begin(&s, REL_ORG_ROLE_PERMISSIONS, -1, 0, NULL);
	while ((tup = scan_next(&s)) != NULL)
	{
		OrgRole		role = org_role_from_text(get_cstring(&s, tup, C_ORP_ROLE));
		int			bit = get_permission_bit(c, &s, tup, C_ORP_PERMISSION);

		if (role != ORG_ROLE_NONE && bit >= 0)
			permset_add(&c->org_role_perms[role], bit);
	}
	scan_end(&s);
}

int
cache_permission_bit(const char *name, int len, bool missing_ok)
{
	int			bit = registry_bit(cur, name, len);

	if (bit < 0 && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("permission \"%.*s%s\" does not exist",
						Min(len, 200), name, len > 200 ? "..." : ""),
				 errhint("Register it with authz.define_permission().")));
	return bit;
}

const char *
cache_permission_name(int bit)
{
	return (bit >= 0 && bit < PERMSET_BITS) ? cur->perm_names[bit] : NULL;
}

bool
cache_permission_is_org(int bit)
{
	return permset_test(&cur->org_scope, bit);
}

int
cache_permission_count(void)
{
	return cur->nperms;
}

const PermSet *
cache_org_role_perms(OrgRole role)
{
	return &cur->org_role_perms[role];
}

int
cache_org_create_bit(void)
{
	return cur->org_create_bit;
}

/* ---- roles, orgs, workspaces -------------------------------------------- */

const RoleInfo *
cache_role(const pg_uuid_t *id)
{
	RoleInfo   *r = hash_search(cur->roles, id, HASH_FIND, NULL);
	RoleInfo	tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (r)
		return r;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_ROLES, IDX_ROLES_PKEY, C_ROLE_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;
		char	   *name = get_cstring(&s, tup, C_ROLE_NAME);

		tmp.found = true;
		strlcpy(tmp.name, name ? name : "", ROLE_NAME_MAX);
		tmp.rank = DatumGetInt32(get(&s, tup, C_ROLE_RANK, &isnull));
		tmp.projects_only = DatumGetBool(get(&s, tup, C_ROLE_PROJECTS_ONLY, &isnull));
	}
	scan_end(&s);
	if (tmp.found)
	{
		scan_by_uuid(&s, REL_ROLE_PERMISSIONS, IDX_ROLE_PERMISSIONS_PKEY, C_RP_ROLE, id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			int			bit = get_permission_bit(cur, &s, tup, C_RP_PERMISSION);

			if (bit >= 0)
				permset_add(&tmp.perms, bit);
		}
		scan_end(&s);
	}
	r = hash_search(cur->roles, id, HASH_ENTER, NULL);
	*r = tmp;
	return r;
}

const OrgInfo *
cache_org(const pg_uuid_t *id)
{
	OrgInfo    *o = hash_search(cur->orgs, id, HASH_FIND, NULL);
	OrgInfo		tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (o)
		return o;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_ORGS, IDX_ORGS_PKEY, C_ORG_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;

		tmp.found = true;
		tmp.members_can_create = DatumGetBool(get(&s, tup, C_ORG_MEMBERS_CREATE, &isnull));
		tmp.has_admin_role = get_uuid(&s, tup, C_ORG_ADMIN_ROLE, &tmp.admin_role);
	}
	scan_end(&s);
	o = hash_search(cur->orgs, id, HASH_ENTER, NULL);
	*o = tmp;
	return o;
}

static void
workspace_from_tuple(ModelScan *s, HeapTuple tup, WorkspaceInfo *w)
{
	memset(w, 0, sizeof(*w));
	get_uuid(s, tup, C_WS_ID, &w->id);
	w->found = true;
	w->has_org = get_uuid(s, tup, C_WS_ORG, &w->org_id);
	w->has_personal = get_uuid(s, tup, C_WS_PERSONAL, &w->personal_user);
	w->shared = get_text_is(s, tup, C_WS_VISIBILITY, "shared");
	w->has_shared_role = get_uuid(s, tup, C_WS_SHARED_ROLE, &w->shared_role);
	w->open = get_text_is(s, tup, C_WS_JOIN_POLICY, "open");
}

/* Keep a workspace read by another scan, unless already cached. */
static void
prime_workspace(const WorkspaceInfo *w)
{
	bool		found;
	WorkspaceInfo *e = hash_search(cur->workspaces, &w->id, HASH_ENTER, &found);

	if (!found)
		*e = *w;
}

const WorkspaceInfo *
cache_workspace(const pg_uuid_t *id)
{
	WorkspaceInfo *w = hash_search(cur->workspaces, id, HASH_FIND, NULL);
	WorkspaceInfo tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (w)
		return w;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_WORKSPACES, IDX_WORKSPACES_PKEY, C_WS_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
		workspace_from_tuple(&s, tup, &tmp);
	scan_end(&s);
	w = hash_search(cur->workspaces, id, HASH_ENTER, NULL);
	*w = tmp;
	return w;
}

const ProjectInfo *
cache_project(const pg_uuid_t *id)
{
	ProjectInfo *p = hash_search(cur->projects, id, HASH_FIND, NULL);
	ProjectInfo tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (p)
		return p;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_PROJECTS, IDX_PROJECTS_PKEY, C_PROJ_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
		tmp.found = get_uuid(&s, tup, C_PROJ_WS, &tmp.workspace_id);
	scan_end(&s);
	p = hash_search(cur->projects, id, HASH_ENTER, NULL);
	*p = tmp;
	return p;
}

/* ---- users -------------------------------------------------------------- */

/* A growable array in the caller's (short-lived) memory context. */
typedef struct Growable
{
	void	   *items;
	int			n;
	int			cap;
	Size		size;
} Growable;

static void *
grow(Growable *g)
{
	if (g->n == g->cap)
	{
		g->cap = g->cap ? g->cap * 2 : 16;
		g->items = g->items ? repalloc(g->items, g->size * g->cap) : palloc(g->size * g->cap);
	}
	return (char *) g->items + g->size * g->n++;
}

/* Copy a growable array into the cache's memory. */
static void *
keep(const Growable *g)
{
	void	   *copy;

	if (g->n == 0)
		return NULL;
	copy = MemoryContextAlloc(cur->ctx, g->size * g->n);
	memcpy(copy, g->items, g->size * g->n);
	return copy;
}

static int
project_membership_cmp(const void *a, const void *b)
{
	return uuid_cmp_raw(&((const ProjectMembership *) a)->project_id,
						&((const ProjectMembership *) b)->project_id);
}

static int
membership_cmp(const void *a, const void *b)
{
	return uuid_cmp_raw(&((const OrgMembership *) a)->org_id,
						&((const OrgMembership *) b)->org_id);
}

/* By workspace; within a workspace the direct participation first. */
static int
participation_cmp(const void *a, const void *b)
{
	const Participation *pa = (const Participation *) a;
	const Participation *pb = (const Participation *) b;
	int			c = uuid_cmp_raw(&pa->workspace_id, &pb->workspace_id);

	if (c != 0)
		return c;
	if (pa->via_team != pb->via_team)
		return pa->via_team ? 1 : -1;
	return uuid_cmp_raw(&pa->team_id, &pb->team_id);
}

/* Participations of the user directly (team_id NULL) or through one team. */
static void
load_participations(Growable *parts, ModelIndex index, ModelCol col, const pg_uuid_t *id)
{
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	scan_by_uuid(&s, REL_PARTICIPANTS, index, col, id, &key);
	while ((tup = scan_next(&s)) != NULL)
	{
		Participation *p = grow(parts);

		memset(p, 0, sizeof(*p));
		get_uuid(&s, tup, C_P_WS, &p->workspace_id);
		get_uuid(&s, tup, C_P_ROLE, &p->role_id);
		p->via_team = get_uuid(&s, tup, C_P_TEAM, &p->team_id);
		p->expires_at = get_expiry(&s, tup, C_P_EXPIRES);
	}
	scan_end(&s);
}

/*
 * A deny outlives the participation it was placed on (SPEC 3: only someone
 * who manages the members lifts it): for each workspace where the user holds
 * a deny but no longer participates directly, add a direct participation that
 * is never current, so that load_overrides() attaches the deny to it and the
 * resolver applies it, as it does for an expired participation. `parts` is
 * sorted on entry and on return.
 */
static void
add_deny_placeholders(Growable *parts, const pg_uuid_t *user_id)
{
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;
	int			sorted = parts->n;

	scan_by_uuid(&s, REL_PARTICIPANT_PERMISSIONS, IDX_PARTICIPANT_PERMISSIONS_USER,
				 C_PP_USER, user_id, &key);
	while ((tup = scan_next(&s)) != NULL)
	{
		Participation probe;
		bool		known = false;

		if (get_text_is(&s, tup, C_PP_EFFECT, "grant"))
			continue;
		memset(&probe, 0, sizeof(probe));
		get_uuid(&s, tup, C_PP_WS, &probe.workspace_id);
		if (sorted > 0 && bsearch(&probe, parts->items, sorted, sizeof(Participation),
								  participation_cmp) != NULL)
			continue;
		for (int i = sorted; i < parts->n && !known; i++)
			known = participation_cmp(&probe, (Participation *) parts->items + i) == 0;
		if (known)
			continue;
		probe.expires_at = DT_NOBEGIN;
		*(Participation *) grow(parts) = probe;
	}
	scan_end(&s);
	if (parts->n > sorted && parts->n > 1)
		qsort(parts->items, parts->n, parts->size, participation_cmp);
}

/* Attach the user's grants and denies to their direct participations. */
static void
load_overrides(UserInfo *u)
{
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	scan_by_uuid(&s, REL_PARTICIPANT_PERMISSIONS, IDX_PARTICIPANT_PERMISSIONS_USER,
				 C_PP_USER, &u->id, &key);
	while ((tup = scan_next(&s)) != NULL)
	{
		Participation probe;
		Participation *p;
		int			bit;

		memset(&probe, 0, sizeof(probe));
		get_uuid(&s, tup, C_PP_WS, &probe.workspace_id);
		/* the direct participation sorts first among equal workspaces */
		p = bsearch(&probe, u->parts, u->nparts, sizeof(Participation), participation_cmp);
		bit = get_permission_bit(cur, &s, tup, C_PP_PERMISSION);
		if (p == NULL || p->via_team || bit < 0)
			continue;
		p->overrides = p->overrides
			? repalloc(p->overrides, sizeof(Override) * (p->noverrides + 1))
			: MemoryContextAlloc(cur->ctx, sizeof(Override));
		p->overrides[p->noverrides].bit = bit;
		p->overrides[p->noverrides].grant = get_text_is(&s, tup, C_PP_EFFECT, "grant");
		p->overrides[p->noverrides].expires_at = get_expiry(&s, tup, C_PP_EXPIRES);
		p->noverrides++;
	}
	scan_end(&s);
}

const UserInfo *
cache_user(const pg_uuid_t *id)
{
	UserInfo   *u = hash_search(cur->users, id, HASH_FIND, NULL);
	UserInfo	tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (u)
		return u;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;

	scan_by_uuid(&s, REL_USERS, IDX_USERS_PKEY, C_USER_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
	{
		tmp.found = true;
		tmp.active = get_text_is(&s, tup, C_USER_STATUS, "active");
	}
	scan_end(&s);

	if (tmp.found)
	{
		Growable	orgs = {NULL, 0, 0, sizeof(OrgMembership)};
		Growable	teams = {NULL, 0, 0, sizeof(pg_uuid_t)};
		Growable	parts = {NULL, 0, 0, sizeof(Participation)};
		Growable	projects = {NULL, 0, 0, sizeof(ProjectMembership)};

		scan_by_uuid(&s, REL_ORG_MEMBERS, IDX_ORG_MEMBERS_USER, C_OM_USER, id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			OrgMembership *m = grow(&orgs);

			memset(m, 0, sizeof(*m));
			get_uuid(&s, tup, C_OM_ORG, &m->org_id);
			m->role = org_role_from_text(get_cstring(&s, tup, C_OM_ROLE));
			m->has_ws_role = get_uuid(&s, tup, C_OM_WS_ROLE, &m->ws_role);
		}
		scan_end(&s);

		load_participations(&parts, IDX_PARTICIPANTS_USER, C_P_USER, id);
		scan_by_uuid(&s, REL_TEAM_MEMBERS, IDX_TEAM_MEMBERS_USER, C_TM_USER, id, &key);
		while ((tup = scan_next(&s)) != NULL)
			get_uuid(&s, tup, C_TM_TEAM, (pg_uuid_t *) grow(&teams));
		scan_end(&s);
		for (int i = 0; i < teams.n; i++)
			load_participations(&parts, IDX_PARTICIPANTS_TEAM, C_P_TEAM,
								&((pg_uuid_t *) teams.items)[i]);

		scan_by_uuid(&s, REL_PROJECT_MEMBERS, IDX_PROJECT_MEMBERS_USER, C_PM_USER, id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			ProjectMembership *pm = grow(&projects);

			memset(pm, 0, sizeof(*pm));
			get_uuid(&s, tup, C_PM_PROJECT, &pm->project_id);
			get_uuid(&s, tup, C_PM_ROLE, &pm->role_id);
			pm->expires_at = get_expiry(&s, tup, C_PM_EXPIRES);
		}
		scan_end(&s);

		if (orgs.n > 1)
			qsort(orgs.items, orgs.n, orgs.size, membership_cmp);
		if (projects.n > 1)
			qsort(projects.items, projects.n, projects.size, project_membership_cmp);
		tmp.nprojects = projects.n;
		tmp.projects = keep(&projects);
		if (parts.n > 1)
			qsort(parts.items, parts.n, parts.size, participation_cmp);
		add_deny_placeholders(&parts, id);
		tmp.norgs = orgs.n;
		tmp.orgs = keep(&orgs);
		tmp.nparts = parts.n;
		tmp.parts = keep(&parts);
		if (tmp.nparts > 0)
			load_overrides(&tmp);
	}

	u = hash_search(cur->users, id, HASH_ENTER, NULL);
	*u = tmp;
	if (over_budget(cur))
		cur->over_budget = true;
	return u;
}

static int
uuid_qsort_cmp(const void *a, const void *b)
{
	return uuid_cmp_raw((const pg_uuid_t *) a, (const pg_uuid_t *) b);
}

/* Sort a growable array of uuids and drop duplicates. */
static void
sort_unique(Growable *ids)
{
	pg_uuid_t  *all = (pg_uuid_t *) ids->items;
	int			n = 0;

	if (ids->n > 1)
		qsort(all, ids->n, ids->size, uuid_qsort_cmp);
	for (int i = 0; i < ids->n; i++)
		if (n == 0 || uuid_cmp_raw(&all[n - 1], &all[i]) != 0)
			all[n++] = all[i];
	ids->n = n;
}

/*
 * Load, once per user, the workspaces where the user may hold a role: the
 * personal one, those participated in, and the workspaces of orgs where a
 * non-guest membership can yield a source. Primes the workspace cache.
 */
void
cache_user_candidates(const UserInfo *user)
{
	UserInfo   *u = (UserInfo *) user;
	Growable	ids = {NULL, 0, 0, sizeof(pg_uuid_t)};
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (u->candidates_loaded)
		return;

	scan_by_uuid(&s, REL_WORKSPACES, IDX_WORKSPACES_PERSONAL, C_WS_PERSONAL, &u->id, &key);
	while ((tup = scan_next(&s)) != NULL)
	{
		WorkspaceInfo w;

		workspace_from_tuple(&s, tup, &w);
		prime_workspace(&w);
		*(pg_uuid_t *) grow(&ids) = w.id;
	}
	scan_end(&s);

	for (int i = 0; i < u->nparts; i++)
		*(pg_uuid_t *) grow(&ids) = u->parts[i].workspace_id;

	for (int i = 0; i < u->norgs; i++)
	{
		const OrgMembership *m = &u->orgs[i];
		bool		every = m->role >= ORG_ROLE_ADMIN || m->has_ws_role;

		if (m->role == ORG_ROLE_GUEST || m->role == ORG_ROLE_NONE)
			continue;
		scan_by_uuid(&s, REL_WORKSPACES, IDX_WORKSPACES_ORG, C_WS_ORG, &m->org_id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			WorkspaceInfo w;

			workspace_from_tuple(&s, tup, &w);
			prime_workspace(&w);
			if (every || w.shared || w.open)
				*(pg_uuid_t *) grow(&ids) = w.id;
		}
		scan_end(&s);
	}

	sort_unique(&ids);
	u->candidates = keep(&ids);
	u->ncandidates = ids.n;
	u->candidates_loaded = true;
}

/*
 * Load, once per user, the projects where the user may hold a permission:
 * those of every workspace where the user may hold a role, and those the user
 * is a member of. Primes the project cache.
 */
void
cache_user_project_candidates(const UserInfo *user)
{
	UserInfo   *u = (UserInfo *) user;
	Growable	ids = {NULL, 0, 0, sizeof(pg_uuid_t)};
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (u->project_candidates_loaded)
		return;
	cache_user_candidates(u);
	for (int i = 0; i < u->ncandidates; i++)
	{
		scan_by_uuid(&s, REL_PROJECTS, IDX_PROJECTS_WORKSPACE, C_PROJ_WS, &u->candidates[i], &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			bool		found;
			pg_uuid_t	id;
			ProjectInfo *p;

			get_uuid(&s, tup, C_PROJ_ID, &id);
			p = hash_search(cur->projects, &id, HASH_ENTER, &found);
			if (!found)
			{
				p->found = true;
				p->workspace_id = u->candidates[i];
			}
			*(pg_uuid_t *) grow(&ids) = id;
		}
		scan_end(&s);
	}
	for (int i = 0; i < u->nprojects; i++)
		*(pg_uuid_t *) grow(&ids) = u->projects[i].project_id;
	sort_unique(&ids);
	u->project_candidates = keep(&ids);
	u->nproject_candidates = ids.n;
	u->project_candidates_loaded = true;
}

/* The user whose pg_role is the given login role, if any. */
bool
cache_login_user(Oid roleid, pg_uuid_t *user_id)
{
	LoginEntry *e = hash_search(cur->logins, &roleid, HASH_FIND, NULL);
	LoginEntry	tmp;

	if (e == NULL)
	{
		char	   *rolname = GetUserNameFromId(roleid, true);

		memset(&tmp, 0, sizeof(tmp));
		tmp.roleid = roleid;
		if (rolname != NULL)
		{
			ModelScan	s;
			ScanKeyData key;
			NameData	nd;
			HeapTuple	tup;

			namestrcpy(&nd, rolname);
			ScanKeyInit(&key, col_attnums[C_USER_PG_ROLE], BTEqualStrategyNumber, F_NAMEEQ,
						NameGetDatum(&nd));
			scan_begin(&s, REL_USERS, IDX_USERS_PG_ROLE, 1, &key);
			if ((tup = scan_next(&s)) != NULL)
				tmp.found = get_uuid(&s, tup, C_USER_ID, &tmp.user_id);
			scan_end(&s);
		}
		e = hash_search(cur->logins, &roleid, HASH_ENTER, NULL);
		*e = tmp;
	}
	if (e->found)
		*user_id = e->user_id;
	return e->found;
}

/*
 * The user an issuer's external subject is mapped to (authz.user_subjects,
 * written by authz.map_subject), if any. The table is not part of the model
 * the loaders need: an installation from before it existed maps nothing.
 * Read with the load snapshot, like the model; the caller memoises the
 * answer for the cache generation.
 */
bool
cache_subject_user(const char *issuer, const char *subject, pg_uuid_t *user_id)
{
	Oid			nsp = get_namespace_oid("authz", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("user_subjects", nsp) : InvalidOid;
	Oid			indexid = OidIsValid(nsp) ? get_relname_relid("user_subjects_pkey", nsp) : InvalidOid;
	AttrNumber	issuer_att,
				subject_att,
				user_att;
	Relation	rel;
	Snapshot	snap;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		return false;
	issuer_att = get_attnum(relid, "issuer");
	subject_att = get_attnum(relid, "subject");
	user_att = get_attnum(relid, "user_id");
	if (issuer_att == InvalidAttrNumber || subject_att == InvalidAttrNumber ||
		user_att == InvalidAttrNumber)
		return false;
	/* the columns are COLLATE "C", as the scan keys compare */
	ScanKeyInit(&keys[0], issuer_att, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(issuer));
	ScanKeyInit(&keys[1], subject_att, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(subject));
	snap = RegisterSnapshot(use_active_snapshot() ? GetActiveSnapshot() : GetLatestSnapshot());
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, indexid, true, snap, 2, keys);
	if ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, user_att, RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			*user_id = *DatumGetUUIDP(d);
			found = true;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	UnregisterSnapshot(snap);
	return found;
}

/* ---- memoised answers --------------------------------------------------- */

ResultEntry *
cache_result_find(const ResultKey *key)
{
	return hash_search(cur->results, key, HASH_FIND, NULL);
}

/* Store an answer computed under generation `generation`, unless outdated. */
void
cache_result_store(const ResultEntry *entry, uint64 generation)
{
	ResultEntry *e;

	if (generation != authz_cache_generation || cur->stale || cur->over_budget)
		return;
	if (over_budget(cur))
	{
		cur->over_budget = true;
		return;
	}
	e = hash_search(cur->results, &entry->key, HASH_ENTER, NULL);
	*e = *entry;
}
