/*
 * checks.c
 *		SQL-callable checks: authz.can, can_org, role_in, permissions_in,
 *		workspace_array (behind authz.workspaces), check, and the internal
 *		_effective and _explain used by the SQL layer.
 *
 * The checks are called once per row inside RLS policies, so each call site
 * keeps a memo in fn_extra: the permission name already mapped to its bit,
 * and the permissions last resolved for a (user, object) pair with the cache
 * generation and expiry they are valid for. The memo holds the whole set, so
 * a call site asked about several permissions (a PL/pgSQL expression reused
 * across calls, a per-row permission column) answers each one correctly.
 * A scan over rows of one workspace then costs a few comparisons per row.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "workspace_authz.h"

#define MEMO_PERM_MAX 64

typedef struct CheckMemo
{
	/* the permission argument, mapped to its bit */
	uint64		perm_generation;
	int			perm_len;
	char		perm[MEMO_PERM_MAX];
	int			bit;
	/* the last answer */
	uint64		generation;
	bool		parallel;
	bool		valid;
	pg_uuid_t	user_id;
	pg_uuid_t	object_id;
	PermSet		perms;			/* every permission held, not one answer */
	TimestampTz valid_until;
	/* answers this statement computed (a scan over many workspaces) */
	TimestampTz miss_statement;
	int			misses;
	/* the user's visible set, once a scan has asked about many workspaces */
	bool		set_valid;
	uint64		set_generation;
	TimestampTz set_statement;
	bool		set_parallel;
	pg_uuid_t	set_user;
	int			set_bit;
	uint32		set_mask;		/* slots - 1 */
	const pg_uuid_t *set_slots;	/* a visible set's lookup table */
	bool		set_has_nil;
} CheckMemo;

/*
 * After this many workspaces a statement's call site asked about, it answers
 * from the lookup table of the user's visible set instead (memoised in the
 * cache with the set): a scan over many workspaces then costs one probe of a
 * compact table per row, whatever the size of the tenancy.
 */
#define SET_AFTER_MISSES 64

static CheckMemo *
get_memo(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
														  sizeof(CheckMemo));
	return (CheckMemo *) fcinfo->flinfo->fn_extra;
}

/*
 * The bit of a permission name of the expected scope (org or workspace);
 * errors when it is not registered, or is of the other scope: asking a
 * workspace check about an org permission is a mistake, never a "no".
 */
static int
permission_bit(text *perm, bool org_scope)
{
	int			len = VARSIZE_ANY_EXHDR(perm);
	int			bit;
	bool		is_org;

	cache_enter();
	bit = cache_permission_bit(VARDATA_ANY(perm), len, false);
	is_org = cache_permission_is_org(bit);
	cache_leave();
	if (is_org != org_scope)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("permission \"%.*s\" is %s permission, not %s permission",
						len, VARDATA_ANY(perm), is_org ? "an org" : "a workspace",
						org_scope ? "an org" : "a workspace"),
				 errhint(is_org ? "Check org permissions with authz.can_org()."
						 : "Check workspace permissions with authz.can().")));
	return bit;
}

static int
memo_bit(CheckMemo *m, text *perm, bool org_scope)
{
	int			len = VARSIZE_ANY_EXHDR(perm);

	if (m->perm_generation == authz_cache_generation && m->perm_len == len &&
		memcmp(m->perm, VARDATA_ANY(perm), len) == 0)
		return m->bit;
	m->perm_generation = authz_cache_generation;
	m->bit = permission_bit(perm, org_scope);
	if (len < MEMO_PERM_MAX)
	{
		memcpy(m->perm, VARDATA_ANY(perm), len);
		m->perm_len = len;
	}
	else
		m->perm_len = -1;
	return m->bit;
}

static bool
memo_hit(CheckMemo *m, const pg_uuid_t *user, const pg_uuid_t *object, TimestampTz now)
{
	return m->valid && m->generation == authz_cache_generation &&
		m->parallel == IsInParallelMode() && now < m->valid_until &&
		uuid_cmp_raw(&m->object_id, object) == 0 &&
		uuid_cmp_raw(&m->user_id, user) == 0;
}

static void
memo_store(CheckMemo *m, uint64 generation, const pg_uuid_t *user,
		   const pg_uuid_t *object, const PermSet *perms, TimestampTz valid_until)
{
	m->valid = true;
	m->generation = generation;
	m->parallel = IsInParallelMode();
	m->user_id = *user;
	m->object_id = *object;
	m->perms = *perms;
	m->valid_until = valid_until;
}

static bool
set_usable(const CheckMemo *m, const pg_uuid_t *user, int bit, TimestampTz now)
{
	return m->set_valid && m->set_generation == authz_cache_generation &&
		m->set_statement == now && m->set_bit == bit &&
		m->set_parallel == IsInParallelMode() && uuid_cmp_raw(&m->set_user, user) == 0;
}

/*
 * Point the call site at the lookup table of the user's visible set for the
 * permission: the cache's (built once per set, and valid while the cache's
 * generation is unchanged), the leader's in a parallel query, or one of the
 * call site's own when the cache could not keep the set.
 */
static void
set_build(FunctionCallInfo fcinfo, CheckMemo *m, const pg_uuid_t *user, int bit,
		  TimestampTz now)
{
	uint64		generation = authz_cache_generation;
	const VisibleSet *v;

	m->set_valid = false;
	cache_enter();
	v = resolve_visible(user, bit, RESULT_WORKSPACE);
	if (v->slots == NULL && v->serial != 0)
		cache_visible_table(v);
	if (v->slots == NULL)
	{
		VisibleSet *own = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(VisibleSet));

		*own = *v;
		visible_set_table(own, fcinfo->flinfo->fn_mcxt);
		v = own;
	}
	m->set_slots = v->slots;
	m->set_mask = v->mask;
	m->set_has_nil = v->has_nil;
	cache_leave();
	m->set_valid = generation == authz_cache_generation;
	m->set_generation = generation;
	m->set_statement = now;
	m->set_parallel = IsInParallelMode();
	m->set_user = *user;
	m->set_bit = bit;
}

/* Does the user hold the permission in the workspace? (memoised) */
static bool
workspace_check(FunctionCallInfo fcinfo, const pg_uuid_t *user, const pg_uuid_t *ws,
				text *perm)
{
	CheckMemo  *m = get_memo(fcinfo);
	int			bit = memo_bit(m, perm, false);
	TimestampTz now = GetCurrentStatementStartTimestamp();
	uint64		generation;
	ResultEntry r;

	if (memo_hit(m, user, ws, now))
		return permset_test(&m->perms, bit);
	if (set_usable(m, user, bit, now))
		return visible_table_contains(m->set_slots, m->set_mask, m->set_has_nil, ws);
	if (m->miss_statement != now)
	{
		m->miss_statement = now;
		m->misses = 0;
	}
	/* in a parallel query, the leader's set from the first row (parallel.c) */
	if (++m->misses > SET_AFTER_MISSES ||
		parallel_visible(user, bit, RESULT_WORKSPACE) != NULL)
	{
		set_build(fcinfo, m, user, bit, now);
		if (m->set_valid)
			return visible_table_contains(m->set_slots, m->set_mask, m->set_has_nil, ws);
	}
	generation = authz_cache_generation;
	resolve_workspace(user, ws, &r);
	memo_store(m, generation, user, ws, &r.perms, r.valid_until);
	return permset_test(&r.perms, bit);
}

PG_FUNCTION_INFO_V1(checks_can);
Datum
checks_can(PG_FUNCTION_ARGS)
{
	pg_uuid_t	user;

	if (!authz_current_user(&user))
	{
		(void) memo_bit(get_memo(fcinfo), PG_GETARG_TEXT_PP(1), false);
		PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(workspace_check(fcinfo, &user, PG_GETARG_UUID_P(0), PG_GETARG_TEXT_PP(1)));
}

/*
 * authz.check answers for any user only for the platform: once a user is
 * asserted, the session acts for that user, and may ask only about them.
 */
PG_FUNCTION_INFO_V1(checks_check);
Datum
checks_check(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user = PG_GETARG_UUID_P(0);

	cache_accept_invalidations();
	if (authz_user_asserted())
	{
		pg_uuid_t	me;

		if (!authz_current_user(&me) || uuid_cmp_raw(&me, user) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to check the permissions of another user while acting for a user"),
					 errdetail("Once a user is asserted, every function answers for that user only."),
					 errhint("Use authz.can() for the current user, or clear the assertion with authz.set_user(NULL) to check for the platform.")));
	}
	PG_RETURN_BOOL(workspace_check(fcinfo, user, PG_GETARG_UUID_P(1), PG_GETARG_TEXT_PP(2)));
}

PG_FUNCTION_INFO_V1(checks_can_org);
Datum
checks_can_org(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *org = PG_GETARG_UUID_P(0);
	CheckMemo  *m = get_memo(fcinfo);
	int			bit = memo_bit(m, PG_GETARG_TEXT_PP(1), true);
	pg_uuid_t	user;
	uint64		generation;
	PermSet		perms;

	if (!authz_current_user(&user))
		PG_RETURN_BOOL(false);
	if (memo_hit(m, &user, org, GetCurrentStatementStartTimestamp()))
		PG_RETURN_BOOL(permset_test(&m->perms, bit));
	generation = authz_cache_generation;
	resolve_org_perms(&user, org, &perms);
	memo_store(m, generation, &user, org, &perms, DT_NOEND);
	PG_RETURN_BOOL(permset_test(&perms, bit));
}

PG_FUNCTION_INFO_V1(checks_role_in);
Datum
checks_role_in(PG_FUNCTION_ARGS)
{
	pg_uuid_t	user;
	ResultEntry r;

	if (!authz_current_user(&user))
		PG_RETURN_NULL();
	resolve_workspace(&user, PG_GETARG_UUID_P(0), &r);
	if (r.role == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(r.role->name));
}

PG_FUNCTION_INFO_V1(checks_permissions_in);
Datum
checks_permissions_in(PG_FUNCTION_ARGS)
{
	pg_uuid_t	user;
	ResultEntry r;

	if (!authz_current_user(&user))
		PG_RETURN_PERMSET_P(palloc0(sizeof(PermSet)));
	resolve_workspace(&user, PG_GETARG_UUID_P(0), &r);
	PG_RETURN_PERMSET_P(permset_copy_out(&r.perms));
}

PG_FUNCTION_INFO_V1(checks_org_role);
Datum
checks_org_role(PG_FUNCTION_ARGS)
{
	pg_uuid_t	user;
	OrgRole		role;

	if (!authz_current_user(&user))
		PG_RETURN_NULL();
	role = resolve_org_role(&user, PG_GETARG_UUID_P(0));
	if (role == ORG_ROLE_NONE)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(org_role_name(role)));
}

/*
 * The last array one call site returned, kept in the call site's memory for
 * as long as the cache generation, the user and the statement are the same:
 * an index scan evaluates its  column = ANY (authz.workspace_array(...))  at
 * every rescan, and gets the same array back in constant time.
 */
typedef struct ArrayMemo
{
	bool		valid;
	uint64		generation;
	TimestampTz statement;
	pg_uuid_t	user;
	int			bit;
	Datum		array;
} ArrayMemo;

/* The current user's workspaces or projects holding a permission, as uuid[]. */
static Datum
array_for_current_user(FunctionCallInfo fcinfo, ResultKind kind)
{
	int			bit = permission_bit(PG_GETARG_TEXT_PP(0), false);
	pg_uuid_t	user;
	ArrayMemo  *m = (ArrayMemo *) fcinfo->flinfo->fn_extra;
	TimestampTz statement = GetCurrentStatementStartTimestamp();
	uint64		generation;
	MemoryContext old;
	Datum		array;

	if (!authz_current_user(&user))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(UUIDOID));
	if (m == NULL)
		m = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ArrayMemo));
	cache_accept_invalidations();
	generation = authz_cache_generation;
	if (m->valid && m->generation == generation && m->statement == statement &&
		m->bit == bit && uuid_cmp_raw(&m->user, &user) == 0)
		return m->array;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	array = kind == RESULT_PROJECT ? resolve_project_array(&user, bit)
		: resolve_workspace_array(&user, bit);
	MemoryContextSwitchTo(old);
	/* an array replaced here may still be in use: it stays until the call site goes */
	m->valid = generation == authz_cache_generation;
	m->generation = generation;
	m->statement = statement;
	m->user = user;
	m->bit = bit;
	m->array = array;
	return array;
}

PG_FUNCTION_INFO_V1(checks_project_array);
Datum
checks_project_array(PG_FUNCTION_ARGS)
{
	return array_for_current_user(fcinfo, RESULT_PROJECT);
}

PG_FUNCTION_INFO_V1(checks_workspace_array);
Datum
checks_workspace_array(PG_FUNCTION_ARGS)
{
	return array_for_current_user(fcinfo, RESULT_WORKSPACE);
}

/* Internal: effective role, rank and permissions of any user (no memo). */
PG_FUNCTION_INFO_V1(checks_effective);
Datum
checks_effective(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	ResultEntry r;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	resolve_workspace(PG_GETARG_UUID_P(0), PG_GETARG_UUID_P(1), &r);
	if (r.role)
		values[0] = CStringGetTextDatum(r.role->name);
	else
		nulls[0] = true;
	values[1] = Int32GetDatum(r.rank);
	values[2] = PointerGetDatum(permset_copy_out(&r.perms));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* Start a materialised set-returning result. */
static Tuplestorestate *
begin_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(old);
	return store;
}

static void
explain_row(Tuplestorestate *store, TupleDesc tupdesc, const char *source,
			const pg_uuid_t *team, const char *role, bool grants)
{
	Datum		values[4];
	bool		nulls[4] = {false, team == NULL, role == NULL, false};

	values[0] = CStringGetTextDatum(source);
	values[1] = team ? UUIDPGetDatum(team) : (Datum) 0;
	values[2] = role ? CStringGetTextDatum(role) : (Datum) 0;
	values[3] = BoolGetDatum(grants);
	tuplestore_putvalues(store, tupdesc, values, nulls);
}

/*
 * Internal: one row per source of the user's roles in the workspace, then the
 * per-participant grant or deny of the permission, then the result.
 */
PG_FUNCTION_INFO_V1(checks_explain);
Datum
checks_explain(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user = PG_GETARG_UUID_P(0);
	pg_uuid_t  *ws = PG_GETARG_UUID_P(1);
	int			bit = permission_bit(PG_GETARG_TEXT_PP(2), false);
	TupleDesc	tupdesc;
	Tuplestorestate *store = begin_srf(fcinfo, &tupdesc);
	Explanation ex;
	ResultEntry r;
	ListCell   *lc;
	int			view_bit;

	/* one cache entry around everything: the sources point into the cache */
	cache_enter();
	view_bit = cache_permission_bit("workspace.view", 14, true);
	resolve_explain(user, ws, &r, &ex);
	if (!ex.user_found)
		explain_row(store, tupdesc, "unknown user", NULL, NULL, false);
	else if (!ex.user_active)
		explain_row(store, tupdesc, "deactivated user", NULL, NULL, false);
	else if (!ex.workspace_found)
		explain_row(store, tupdesc, "unknown workspace", NULL, NULL, false);
	else
	{
		foreach(lc, ex.sources)
		{
			Source	   *s = (Source *) lfirst(lc);
			const char *source = source_kind_name(s->kind);
			bool		grants;

			if (s->kind == SOURCE_OPEN)
				grants = bit == view_bit;
			else if (s->role != NULL && s->role->projects_only)
			{
				/* held here, but it counts in the workspace's projects only */
				source = psprintf("%s (projects only)", source);
				grants = false;
			}
			else
				grants = s->role != NULL && permset_test(&s->role->perms, bit);
			explain_row(store, tupdesc, source,
						s->kind == SOURCE_TEAM ? &s->team_id : NULL,
						s->role ? s->role->name : NULL, grants);
		}
		if (ex.sources == NIL)
			explain_row(store, tupdesc, "no role", NULL, NULL, false);
		if (permset_test(&ex.grants, bit))
			explain_row(store, tupdesc, "grant", NULL, NULL, true);
		if (permset_test(&ex.denies, bit))
			explain_row(store, tupdesc, "deny", NULL, NULL, false);
	}
	explain_row(store, tupdesc, "result", NULL, r.role ? r.role->name : NULL,
				permset_test(&r.perms, bit));
	cache_leave();
	return (Datum) 0;
}

/* Does the current user hold the permission in the project? (memoised) */
PG_FUNCTION_INFO_V1(checks_can_project);
Datum
checks_can_project(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *project = PG_GETARG_UUID_P(0);
	CheckMemo  *m = get_memo(fcinfo);
	int			bit = memo_bit(m, PG_GETARG_TEXT_PP(1), false);
	pg_uuid_t	user;
	uint64		generation;
	ResultEntry r;

	if (!authz_current_user(&user))
		PG_RETURN_BOOL(false);
	if (memo_hit(m, &user, project, GetCurrentStatementStartTimestamp()))
		PG_RETURN_BOOL(permset_test(&m->perms, bit));
	generation = authz_cache_generation;
	resolve_project(&user, project, &r);
	memo_store(m, generation, &user, project, &r.perms, r.valid_until);
	PG_RETURN_BOOL(permset_test(&r.perms, bit));
}

/* The current user's effective role in a project, or NULL. */
PG_FUNCTION_INFO_V1(checks_project_role_in);
Datum
checks_project_role_in(PG_FUNCTION_ARGS)
{
	pg_uuid_t	user;
	ResultEntry r;

	if (!authz_current_user(&user))
		PG_RETURN_NULL();
	resolve_project(&user, PG_GETARG_UUID_P(0), &r);
	if (r.role == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(r.role->name));
}
