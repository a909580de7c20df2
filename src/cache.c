/*
 * cache.c
 *		Per-backend cache of the authorization model: the permission
 *		registry, roles, organizations, workspaces, users with their
 *		memberships, and memoised answers. Owns the SPI loaders and the
 *		invalidation that keeps the cache coherent.
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
 * Snapshots.  Outside parallel mode entries are loaded with the latest
 * snapshot.  A committed change is visible to snapshots before its
 * invalidation is sent, and that snapshot is taken after the invalidations
 * consumed so far, so an entry can never predate an invalidation this backend
 * has already processed.  Parallel mode forbids new snapshots: the leader and
 * its workers then load with the query's active snapshot into a transient
 * cache tied to that snapshot, so every participant gives the same answers.
 *
 * Memory.  Everything lives in one context per cache, reset whole when its
 * size passes workspace_authz.cache_size.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "workspace_authz.h"

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
	int			nperms;
	char	   *perm_names[PERMSET_BITS];
	PermSet		org_scope;
	PermSet		org_role_perms[ORG_ROLE_COUNT];
	int			org_create_bit;
	HTAB	   *perm_by_name;
	HTAB	   *roles;
	HTAB	   *orgs;
	HTAB	   *workspaces;
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

/* Sentinel relation (authz.users) and the owner the loaders run as. */
static Oid	sentinel_relid = InvalidOid;
static Oid	model_owner = InvalidOid;

/* ---- the loaders' queries ----------------------------------------------- */

typedef struct LoadQuery
{
	const char *sql;
	Oid			argtype;
	SPIPlanPtr	plan;
} LoadQuery;

static LoadQuery q_permissions = {
	"SELECT p.name, p.bit, p.scope OPERATOR(pg_catalog.=) 'org'"
	"  FROM authz.permissions p", InvalidOid, NULL
};

static LoadQuery q_org_role_permissions = {
	"SELECT o.role, o.permission FROM authz.org_role_permissions o", InvalidOid, NULL
};

static LoadQuery q_role = {
	"SELECT r.name, r.rank,"
	"       ARRAY(SELECT rp.permission FROM authz.role_permissions rp"
	"              WHERE rp.role_id OPERATOR(pg_catalog.=) r.id)"
	"  FROM authz.roles r WHERE r.id OPERATOR(pg_catalog.=) $1",
	UUIDOID, NULL
};

static LoadQuery q_org = {
	"SELECT o.members_can_create_workspaces, o.admin_workspace_role"
	"  FROM authz.orgs o WHERE o.id OPERATOR(pg_catalog.=) $1",
	UUIDOID, NULL
};

#define WORKSPACE_COLUMNS \
	"w.id, w.org_id, w.personal_user_id," \
	" w.visibility OPERATOR(pg_catalog.=) 'shared', w.shared_role," \
	" w.join_policy OPERATOR(pg_catalog.=) 'open'"

static LoadQuery q_workspace = {
	"SELECT " WORKSPACE_COLUMNS
	"  FROM authz.workspaces w WHERE w.id OPERATOR(pg_catalog.=) $1",
	UUIDOID, NULL
};

static LoadQuery q_user = {
	"SELECT u.status OPERATOR(pg_catalog.=) 'active'"
	"  FROM authz.users u WHERE u.id OPERATOR(pg_catalog.=) $1",
	UUIDOID, NULL
};

static LoadQuery q_user_orgs = {
	"SELECT m.org_id, m.role, m.workspace_role"
	"  FROM authz.org_members m WHERE m.user_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY m.org_id",
	UUIDOID, NULL
};

/* Direct participations first within a workspace, then team ones. */
static LoadQuery q_user_parts = {
	"SELECT p.workspace_id, p.role_id, NULL::pg_catalog.uuid, p.expires_at, p.id"
	"  FROM authz.participants p WHERE p.user_id OPERATOR(pg_catalog.=) $1"
	" UNION ALL "
	"SELECT p.workspace_id, p.role_id, p.team_id, p.expires_at, NULL::pg_catalog.uuid"
	"  FROM authz.team_members tm"
	"  JOIN authz.participants p ON p.team_id OPERATOR(pg_catalog.=) tm.team_id"
	" WHERE tm.user_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY 1, 3 NULLS FIRST",
	UUIDOID, NULL
};

static LoadQuery q_user_overrides = {
	"SELECT p.workspace_id, o.permission, o.effect OPERATOR(pg_catalog.=) 'grant', o.expires_at"
	"  FROM authz.participants p"
	"  JOIN authz.participant_permissions o ON o.participant_id OPERATOR(pg_catalog.=) p.id"
	" WHERE p.user_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY 1",
	UUIDOID, NULL
};

/*
 * Workspaces where the user may hold a role: personal, participations, and the
 * workspaces of orgs where a non-guest membership can yield a source.
 */
static LoadQuery q_user_candidates = {
	"SELECT " WORKSPACE_COLUMNS " FROM authz.workspaces w"
	" WHERE w.personal_user_id OPERATOR(pg_catalog.=) $1"
	" UNION "
	"SELECT " WORKSPACE_COLUMNS " FROM authz.participants p"
	"  JOIN authz.workspaces w ON w.id OPERATOR(pg_catalog.=) p.workspace_id"
	" WHERE p.user_id OPERATOR(pg_catalog.=) $1"
	" UNION "
	"SELECT " WORKSPACE_COLUMNS " FROM authz.team_members tm"
	"  JOIN authz.participants p ON p.team_id OPERATOR(pg_catalog.=) tm.team_id"
	"  JOIN authz.workspaces w ON w.id OPERATOR(pg_catalog.=) p.workspace_id"
	" WHERE tm.user_id OPERATOR(pg_catalog.=) $1"
	" UNION "
	"SELECT " WORKSPACE_COLUMNS " FROM authz.org_members m"
	"  JOIN authz.workspaces w ON w.org_id OPERATOR(pg_catalog.=) m.org_id"
	" WHERE m.user_id OPERATOR(pg_catalog.=) $1"
	"   AND m.role OPERATOR(pg_catalog.<>) 'guest'"
	"   AND (m.role OPERATOR(pg_catalog.=) ANY ('{owner,admin}'::pg_catalog.text[])"
	"        OR m.workspace_role IS NOT NULL"
	"        OR w.visibility OPERATOR(pg_catalog.=) 'shared'"
	"        OR w.join_policy OPERATOR(pg_catalog.=) 'open')",
	UUIDOID, NULL
};

static LoadQuery q_login = {
	"SELECT u.id FROM authz.users u WHERE u.pg_role OPERATOR(pg_catalog.=) $1",
	NAMEOID, NULL
};

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
		elog(ERROR, "relation authz.users is missing");
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

/* Find the sentinel relation and the owner of the model's tables. */
static void
resolve_sentinel(void)
{
	Oid			nsp = get_namespace_oid("authz", true);
	HeapTuple	tup;

	sentinel_relid = OidIsValid(nsp) ? get_relname_relid("users", nsp) : InvalidOid;
	if (!OidIsValid(sentinel_relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"workspace_authz\" is not installed in this database")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(sentinel_relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", sentinel_relid);
	model_owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
}

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
	c->users = make_hash(c, "authz users", sizeof(pg_uuid_t), sizeof(UserInfo), true);
	c->results = make_hash(c, "authz results", sizeof(ResultKey), sizeof(ResultEntry), true);
	c->logins = make_hash(c, "authz logins", sizeof(Oid), sizeof(LoginEntry), true);
	resolve_sentinel();
	c->org_create_bit = -1;
	load_registry(c);
	c->valid = true;
}

/* Does the transient cache belong to the snapshot now active? */
static bool
transient_matches(AuthzCache *c, Snapshot snap)
{
	return c->snap_lxid == MyProc->lxid &&
		c->snap_xmin == snap->xmin &&
		c->snap_xmax == snap->xmax &&
		c->snap_curcid == snap->curcid;
}

/*
 * Enter the cache. The outermost entry picks the cache for this mode, applies
 * a pending reset and (re)loads the registry; nested entries change nothing.
 */
void
cache_enter(void)
{
	AuthzCache *c;

	if (cache_depth++ > 0)
		return;

	if (IsInParallelMode())
	{
		Snapshot	snap = GetActiveSnapshot();

		c = &transient_cache;
		if (snap == NULL)
			elog(ERROR, "no active snapshot for a workspace_authz check");
		if (!c->valid || c->stale || !transient_matches(c, snap))
		{
			cache_reset(c);
			c->snap_lxid = MyProc->lxid;
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

/* ---- running the loaders ------------------------------------------------ */

/*
 * Run one loader query as the owner of the model, with the snapshot described
 * in the file header. The caller reads SPI_tuptable and calls load_finish().
 */
typedef struct LoadState
{
	Oid			save_user;
	int			save_sec;
	Snapshot	snap;
	MemoryContext caller_cxt;
} LoadState;

static uint64
load_run(LoadQuery *q, Datum arg, LoadState *st)
{
	int			rc;
	Datum		values[1];
	char		nulls[1] = {' '};

	st->caller_cxt = CurrentMemoryContext;
	st->snap = RegisterSnapshot(IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot());
	GetUserIdAndSecContext(&st->save_user, &st->save_sec);
	SetUserIdAndSecContext(model_owner, st->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (q->plan == NULL)
	{
		SPIPlanPtr	plan;

		plan = SPI_prepare(q->sql, OidIsValid(q->argtype) ? 1 : 0, &q->argtype);
		if (plan == NULL)
			elog(ERROR, "could not prepare workspace_authz query: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		q->plan = plan;
	}
	values[0] = arg;
	rc = SPI_execute_snapshot(q->plan, values, nulls, st->snap, InvalidSnapshot,
							  true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "workspace_authz query failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

static void
load_finish(LoadState *st)
{
	SPI_finish();
	SetUserIdAndSecContext(st->save_user, st->save_sec);
	UnregisterSnapshot(st->snap);
	MemoryContextSwitchTo(st->caller_cxt);
}

static Datum
col(uint64 row, int attno, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, attno, isnull);
}

static bool
col_uuid(uint64 row, int attno, pg_uuid_t *out)
{
	bool		isnull;
	Datum		d = col(row, attno, &isnull);

	if (isnull)
		return false;
	memcpy(out, DatumGetUUIDP(d), sizeof(pg_uuid_t));
	return true;
}

static bool
col_bool(uint64 row, int attno)
{
	bool		isnull;
	Datum		d = col(row, attno, &isnull);

	return !isnull && DatumGetBool(d);
}

static TimestampTz
col_expiry(uint64 row, int attno)
{
	bool		isnull;
	Datum		d = col(row, attno, &isnull);

	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
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

/* Convert a text[] of permission names; unknown names are ignored. */
static void
names_to_permset(AuthzCache *c, Datum array, PermSet *out)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *t;
		int			bit;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		bit = registry_bit(c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (bit >= 0)
			permset_add(out, bit);
	}
}

static OrgRole
org_role_from_text(const char *s)
{
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
	LoadState	st;
	uint64		n = load_run(&q_permissions, (Datum) 0, &st);

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		char	   *name = TextDatumGetCString(col(i, 1, &isnull));
		int			bit = DatumGetInt16(col(i, 2, &isnull));
		PermName   *e;
		char		key[PERM_NAME_MAX];

		if (bit < 0 || bit >= PERMSET_BITS || strlen(name) >= PERM_NAME_MAX)
			continue;
		memset(key, 0, sizeof(key));
		strcpy(key, name);
		e = hash_search(c->perm_by_name, key, HASH_ENTER, NULL);
		e->bit = bit;
		c->perm_names[bit] = MemoryContextStrdup(c->ctx, name);
		c->nperms++;
		if (col_bool(i, 3))
			permset_add(&c->org_scope, bit);
		if (strcmp(name, "org.workspaces.create") == 0)
			c->org_create_bit = bit;
	}
	load_finish(&st);

	n = load_run(&q_org_role_permissions, (Datum) 0, &st);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		OrgRole		role = org_role_from_text(TextDatumGetCString(col(i, 1, &isnull)));
		text	   *perm = DatumGetTextPP(col(i, 2, &isnull));
		int			bit = registry_bit(c, VARDATA_ANY(perm), VARSIZE_ANY_EXHDR(perm));

		if (role != ORG_ROLE_NONE && bit >= 0)
			permset_add(&c->org_role_perms[role], bit);
	}
	load_finish(&st);
}

int
cache_permission_bit(const char *name, int len, bool missing_ok)
{
	int			bit = registry_bit(cur, name, len);

	if (bit < 0 && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("permission \"%.*s\" does not exist", Min(len, 200), name),
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

void
cache_permset_from_names(Datum array, PermSet *out)
{
	names_to_permset(cur, array, out);
}

/* ---- roles, orgs, workspaces -------------------------------------------- */

const RoleInfo *
cache_role(const pg_uuid_t *id)
{
	RoleInfo   *r = hash_search(cur->roles, id, HASH_FIND, NULL);
	RoleInfo	tmp;
	LoadState	st;

	if (r)
		return r;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	if (load_run(&q_role, UUIDPGetDatum(id), &st) == 1)
	{
		bool		isnull;

		tmp.found = true;
		strlcpy(tmp.name, TextDatumGetCString(col(0, 1, &isnull)), ROLE_NAME_MAX);
		tmp.rank = DatumGetInt32(col(0, 2, &isnull));
		names_to_permset(cur, col(0, 3, &isnull), &tmp.perms);
	}
	load_finish(&st);
	r = hash_search(cur->roles, id, HASH_ENTER, NULL);
	*r = tmp;
	return r;
}

const OrgInfo *
cache_org(const pg_uuid_t *id)
{
	OrgInfo    *o = hash_search(cur->orgs, id, HASH_FIND, NULL);
	OrgInfo		tmp;
	LoadState	st;

	if (o)
		return o;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	if (load_run(&q_org, UUIDPGetDatum(id), &st) == 1)
	{
		tmp.found = true;
		tmp.members_can_create = col_bool(0, 1);
		tmp.has_admin_role = col_uuid(0, 2, &tmp.admin_role);
	}
	load_finish(&st);
	o = hash_search(cur->orgs, id, HASH_ENTER, NULL);
	*o = tmp;
	return o;
}

/* Read a workspace row in WORKSPACE_COLUMNS order, starting at column 1. */
static void
workspace_from_row(uint64 row, WorkspaceInfo *w)
{
	memset(w, 0, sizeof(*w));
	col_uuid(row, 1, &w->id);
	w->found = true;
	w->has_org = col_uuid(row, 2, &w->org_id);
	w->has_personal = col_uuid(row, 3, &w->personal_user);
	w->shared = col_bool(row, 4);
	w->has_shared_role = col_uuid(row, 5, &w->shared_role);
	w->open = col_bool(row, 6);
}

const WorkspaceInfo *
cache_workspace(const pg_uuid_t *id)
{
	WorkspaceInfo *w = hash_search(cur->workspaces, id, HASH_FIND, NULL);
	WorkspaceInfo tmp;
	LoadState	st;

	if (w)
		return w;
	if (load_run(&q_workspace, UUIDPGetDatum(id), &st) == 1)
		workspace_from_row(0, &tmp);
	else
	{
		memset(&tmp, 0, sizeof(tmp));
		tmp.id = *id;
	}
	load_finish(&st);
	w = hash_search(cur->workspaces, id, HASH_ENTER, NULL);
	*w = tmp;
	return w;
}

/* ---- users -------------------------------------------------------------- */

static int
participation_cmp(const void *a, const void *b)
{
	return uuid_cmp_raw(&((const Participation *) a)->workspace_id,
						&((const Participation *) b)->workspace_id);
}

/* Attach per-participant grants and denies to the direct participations. */
static void
load_overrides(UserInfo *u)
{
	LoadState	st;
	uint64		n = load_run(&q_user_overrides, UUIDPGetDatum(&u->id), &st);

	for (uint64 i = 0; i < n; i++)
	{
		Participation key;
		Participation *p;
		bool		isnull;
		text	   *perm;
		int			bit;

		col_uuid(i, 1, &key.workspace_id);
		p = bsearch(&key, u->parts, u->nparts, sizeof(Participation), participation_cmp);
		if (p == NULL)
			continue;
		/* bsearch may land on a team row of the same workspace: find the direct one */
		while (p > u->parts && uuid_cmp_raw(&(p - 1)->workspace_id, &key.workspace_id) == 0)
			p--;
		if (p->via_team)
			continue;
		perm = DatumGetTextPP(col(i, 2, &isnull));
		bit = registry_bit(cur, VARDATA_ANY(perm), VARSIZE_ANY_EXHDR(perm));
		if (bit < 0)
			continue;
		p->overrides = p->overrides
			? repalloc(p->overrides, sizeof(Override) * (p->noverrides + 1))
			: MemoryContextAlloc(cur->ctx, sizeof(Override));
		p->overrides[p->noverrides].bit = bit;
		p->overrides[p->noverrides].grant = col_bool(i, 3);
		p->overrides[p->noverrides].expires_at = col_expiry(i, 4);
		p->noverrides++;
	}
	load_finish(&st);
}

const UserInfo *
cache_user(const pg_uuid_t *id)
{
	UserInfo   *u = hash_search(cur->users, id, HASH_FIND, NULL);
	UserInfo	tmp;
	LoadState	st;
	uint64		n;

	if (u)
		return u;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;

	if (load_run(&q_user, UUIDPGetDatum(id), &st) == 1)
	{
		tmp.found = true;
		tmp.active = col_bool(0, 1);
	}
	load_finish(&st);

	if (tmp.found)
	{
		n = load_run(&q_user_orgs, UUIDPGetDatum(id), &st);
		tmp.norgs = (int) n;
		if (n > 0)
			tmp.orgs = MemoryContextAllocZero(cur->ctx, sizeof(OrgMembership) * n);
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			char	   *role;

			col_uuid(i, 1, &tmp.orgs[i].org_id);
			role = TextDatumGetCString(col(i, 2, &isnull));
			tmp.orgs[i].role = org_role_from_text(role);
			tmp.orgs[i].has_ws_role = col_uuid(i, 3, &tmp.orgs[i].ws_role);
		}
		load_finish(&st);

		n = load_run(&q_user_parts, UUIDPGetDatum(id), &st);
		tmp.nparts = (int) n;
		if (n > 0)
			tmp.parts = MemoryContextAllocZero(cur->ctx, sizeof(Participation) * n);
		for (uint64 i = 0; i < n; i++)
		{
			Participation *p = &tmp.parts[i];

			col_uuid(i, 1, &p->workspace_id);
			col_uuid(i, 2, &p->role_id);
			p->via_team = col_uuid(i, 3, &p->team_id);
			p->expires_at = col_expiry(i, 4);
		}
		load_finish(&st);

		if (tmp.nparts > 0)
			load_overrides(&tmp);
	}

	u = hash_search(cur->users, id, HASH_ENTER, NULL);
	*u = tmp;
	return u;
}

/* Load, once per user, the workspaces where the user may hold a role. */
void
cache_user_candidates(const UserInfo *user)
{
	UserInfo   *u = (UserInfo *) user;
	LoadState	st;
	uint64		n;

	if (u->candidates_loaded)
		return;
	n = load_run(&q_user_candidates, UUIDPGetDatum(&u->id), &st);
	u->candidates = n > 0 ? MemoryContextAlloc(cur->ctx, sizeof(pg_uuid_t) * n) : NULL;
	for (uint64 i = 0; i < n; i++)
	{
		WorkspaceInfo w;
		bool		found;
		WorkspaceInfo *e;

		workspace_from_row(i, &w);
		u->candidates[i] = w.id;
		/* prime the workspace cache on the way */
		e = hash_search(cur->workspaces, &w.id, HASH_ENTER, &found);
		if (!found)
			*e = w;
	}
	u->ncandidates = (int) n;
	u->candidates_loaded = true;
	load_finish(&st);
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
			LoadState	st;
			NameData	nd;

			namestrcpy(&nd, rolname);
			if (load_run(&q_login, NameGetDatum(&nd), &st) == 1)
				tmp.found = col_uuid(0, 1, &tmp.user_id);
			load_finish(&st);
		}
		e = hash_search(cur->logins, &roleid, HASH_ENTER, NULL);
		*e = tmp;
	}
	if (e->found)
		*user_id = e->user_id;
	return e->found;
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

	if (generation != authz_cache_generation || cur->stale)
		return;
	if (MemoryContextMemAllocated(cur->ctx, true) > (Size) authz_cache_size_kb * 1024)
	{
		/* over budget: drop everything at the next outermost entry */
		cur->stale = true;
		authz_cache_generation++;
		return;
	}
	e = hash_search(cur->results, &entry->key, HASH_ENTER, NULL);
	*e = *entry;
}
