/*
 * resolver.c
 *		The resolution rules of the specification (SPEC section 3): which
 *		roles a user holds in a workspace and from which sources, the
 *		resulting permissions after grants and denies, the effective role,
 *		org roles, and the set of workspaces where a user holds a permission.
 *
 * Answers are memoised per (user, workspace) in the cache; an answer is kept
 * until the first expiry among the sources it used.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "workspace_authz.h"

/* Identifier and rank of the built-in owner role (fixed in 10_tables.sql). */
static const pg_uuid_t owner_role_id = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
#define OWNER_RANK 100

const char *
source_kind_name(SourceKind kind)
{
	switch (kind)
	{
		case SOURCE_PERSONAL:
			return "personal";
		case SOURCE_DIRECT:
			return "participant";
		case SOURCE_TEAM:
			return "team";
		case SOURCE_ORG_WIDE:
			return "org-wide role";
		case SOURCE_ORG_ADMIN:
			return "org admin";
		case SOURCE_SHARED:
			return "shared workspace";
		case SOURCE_OPEN:
			return "open workspace";
	}
	return "unknown";
}

const char *
org_role_name(OrgRole role)
{
	switch (role)
	{
		case ORG_ROLE_OWNER:
			return "owner";
		case ORG_ROLE_ADMIN:
			return "admin";
		case ORG_ROLE_MEMBER:
			return "member";
		case ORG_ROLE_GUEST:
			return "guest";
		case ORG_ROLE_NONE:
			break;
	}
	return NULL;
}

static int
project_membership_key_cmp(const void *a, const void *b)
{
	return uuid_cmp_raw(&((const ProjectMembership *) a)->project_id,
						&((const ProjectMembership *) b)->project_id);
}

static const OrgMembership *
find_membership(const UserInfo *u, const pg_uuid_t *org_id)
{
	int			lo = 0,
				hi = u->norgs - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = uuid_cmp_raw(&u->orgs[mid].org_id, org_id);

		if (c == 0)
			return &u->orgs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Accumulator for one resolution. */
typedef struct Acc
{
	ResultEntry *out;
	Explanation *ex;			/* NULL unless explaining */
	int			view_bit;
	bool		for_project;	/* project roles count */
} Acc;

static void
add_source(Acc *acc, SourceKind kind, const RoleInfo *role, const pg_uuid_t *team)
{
	if (kind == SOURCE_OPEN)
	{
		if (acc->view_bit >= 0)
			permset_add(&acc->out->perms, acc->view_bit);
	}
	else if (role == NULL || !role->found)
		return;
	else if (!role->projects_only || acc->for_project)
	{
		permset_union_into(&acc->out->perms, &role->perms);
		if (role->rank > acc->out->rank)
		{
			acc->out->rank = role->rank;
			acc->out->role = role;
		}
	}
	if (acc->ex)
	{
		Source	   *s = palloc0(sizeof(Source));

		s->kind = kind;
		s->role = role;
		if (team)
			s->team_id = *team;
		acc->ex->sources = lappend(acc->ex->sources, s);
	}
}

#define limit_validity(out, expires_at) \
	do { \
		if ((expires_at) < (out)->valid_until) \
			(out)->valid_until = (expires_at); \
	} while (0)

/*
 * SPEC 3, rules 1-4, for one user and workspace at time `now`; with
 * for_project, the roles that count in the workspace's projects only count
 * too. Must run between cache_enter() and cache_leave().
 */
static void
compute(const pg_uuid_t *user_id, const pg_uuid_t *ws_id, TimestampTz now,
		bool for_project, ResultEntry *out, Explanation *ex)
{
	const UserInfo *u;
	const WorkspaceInfo *w;
	PermSet		grants,
				denies;
	Acc			acc;
	int			i;
	const Participation *parts;
	int			nparts;

	memset(out, 0, sizeof(*out));
	result_key(&out->key, user_id, ws_id, RESULT_WORKSPACE);
	out->valid_until = DT_NOEND;
	out->ndeps = 1;
	out->deps[0].key = inval_key(INVAL_WORKSPACE, ws_id->data, UUID_LEN);
	permset_clear(&grants);
	permset_clear(&denies);
	acc.out = out;
	acc.ex = ex;
	acc.view_bit = cache_permission_bit("workspace.view", 14, true);
	acc.for_project = for_project;

	/* Rule 1: a missing or deactivated user holds nothing. */
	u = cache_user(user_id);
	out->user_serial = u->serial;
	if (ex)
	{
		ex->user_found = u->found;
		ex->user_active = u->active;
	}
	if (!u->found || !u->active)
		return;
	w = cache_workspace(ws_id);
	if (ex)
		ex->workspace_found = w->found;
	if (!w->found)
		return;

	/* Rule 2: every source. */
	if (w->has_personal && uuid_cmp_raw(&w->personal_user, user_id) == 0)
		add_source(&acc, SOURCE_PERSONAL, cache_role(&owner_role_id), NULL);

	nparts = cache_user_parts_in(u, ws_id, &parts);
	for (i = 0; i < nparts; i++)
	{
		const Participation *p = &parts[i];
		bool		current = p->expires_at > now;

		if (current)
		{
			limit_validity(out, p->expires_at);
			add_source(&acc, p->via_team ? SOURCE_TEAM : SOURCE_DIRECT,
					   cache_role(&p->role_id), p->via_team ? &p->team_id : NULL);
		}

		/*
		 * Rule 3 inputs: the participant's own grants and denies. Grants come
		 * with the participation and end with it; a deny outlives it, so that
		 * the participation's expiry never gives back what other sources hold.
		 */
		for (int k = 0; k < p->noverrides; k++)
		{
			const Override *o = &p->overrides[k];

			if (o->expires_at <= now || (o->grant && !current))
				continue;
			limit_validity(out, o->expires_at);
			permset_add(o->grant ? &grants : &denies, o->bit);
		}
	}

	if (w->has_org)
	{
		const OrgMembership *m = find_membership(u, &w->org_id);

		out->deps[out->ndeps++].key = inval_key(INVAL_ORG, w->org_id.data, UUID_LEN);

		/* Guests get nothing from the org: only their participations. */
		if (m && m->role != ORG_ROLE_GUEST)
		{
			if (m->has_ws_role)
				add_source(&acc, SOURCE_ORG_WIDE, cache_role(&m->ws_role), NULL);
			if (m->role >= ORG_ROLE_ADMIN)
			{
				const OrgInfo *o = cache_org(&w->org_id);

				if (o->found && o->has_admin_role)
					add_source(&acc, SOURCE_ORG_ADMIN, cache_role(&o->admin_role), NULL);
			}
			if (w->shared && w->has_shared_role)
				add_source(&acc, SOURCE_SHARED, cache_role(&w->shared_role), NULL);
			if (w->open)
				add_source(&acc, SOURCE_OPEN, NULL, NULL);
		}
	}

	/*
	 * Rule 3: grants, then denies, which win over every source. An effective
	 * owner holds every workspace permission: denies left from before the
	 * user became owner (through a team, an org-wide role, the org admin
	 * role) do not apply.
	 */
	if (out->rank >= OWNER_RANK)
		permset_clear(&denies);
	permset_union_into(&out->perms, &grants);
	permset_minus_into(&out->perms, &denies);
	if (ex)
	{
		ex->grants = grants;
		ex->denies = denies;
	}
}

/* Effective permissions and role of a user in a workspace (memoised). */
void
resolve_workspace(const pg_uuid_t *user_id, const pg_uuid_t *ws_id, ResultEntry *out)
{
	ResultKey	key;
	ResultEntry *e;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	uint64		generation;

	cache_enter();
	result_key(&key, user_id, ws_id, RESULT_WORKSPACE);
	e = cache_result_find(&key);
	if (e && e->valid_until > now)
		*out = *e;
	else
	{
		generation = authz_cache_generation;
		compute(user_id, ws_id, now, false, out, NULL);
		cache_result_store(out, generation);
	}
	cache_leave();
}

/* The same resolution, keeping every source for authz.explain. */
void
resolve_explain(const pg_uuid_t *user_id, const pg_uuid_t *ws_id,
				ResultEntry *out, Explanation *ex)
{
	memset(ex, 0, sizeof(*ex));
	cache_enter();
	compute(user_id, ws_id, GetCurrentStatementStartTimestamp(), false, out, ex);
	cache_leave();
}

/* The user's org role (NONE when absent, deactivated or not a member). */
OrgRole
resolve_org_role(const pg_uuid_t *user_id, const pg_uuid_t *org_id)
{
	const UserInfo *u;
	const OrgMembership *m;
	OrgRole		role = ORG_ROLE_NONE;

	cache_enter();
	u = cache_user(user_id);
	if (u->found && u->active && (m = find_membership(u, org_id)) != NULL)
		role = m->role;
	cache_leave();
	return role;
}

/* Org permissions come from the org role alone (plus the org's settings). */
void
resolve_org_perms(const pg_uuid_t *user_id, const pg_uuid_t *org_id, PermSet *out)
{
	OrgRole		role = resolve_org_role(user_id, org_id);

	permset_clear(out);
	if (role == ORG_ROLE_NONE)
		return;
	cache_enter();
	*out = *cache_org_role_perms(role);
	if (role == ORG_ROLE_MEMBER && cache_org_create_bit() >= 0)
	{
		const OrgInfo *o = cache_org(org_id);

		if (o->found && o->members_can_create)
			permset_add(out, cache_org_create_bit());
	}
	cache_leave();
}

/*
 * Effective permissions in a project: the workspace's, plus the role the user
 * holds in the project itself. Memoised under the key (user, project).
 */
void
resolve_project(const pg_uuid_t *user_id, const pg_uuid_t *project_id, ResultEntry *out)
{
	ResultKey	key;
	ResultEntry *e;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	uint64		generation;
	const ProjectInfo *p;
	const UserInfo *u;

	cache_enter();
	result_key(&key, user_id, project_id, RESULT_PROJECT);
	e = cache_result_find(&key);
	if (e && e->valid_until > now)
	{
		*out = *e;
		cache_leave();
		return;
	}
	generation = authz_cache_generation;
	p = cache_project(project_id);
	u = cache_user(user_id);
	if (!p->found)
	{
		memset(out, 0, sizeof(*out));
		out->valid_until = DT_NOEND;
		out->user_serial = u->serial;
	}
	else
		compute(user_id, &p->workspace_id, now, true, out, NULL);
	out->key = key;
	out->deps[out->ndeps++].key = inval_key(INVAL_PROJECT, project_id->data, UUID_LEN);

	if (p->found && u->found && u->active)
	{
		const ProjectMembership *pm;
		ProjectMembership probe;

		probe.project_id = *project_id;
		pm = bsearch(&probe, u->projects, u->nprojects, sizeof(ProjectMembership),
					 project_membership_key_cmp);
		if (pm && pm->expires_at > now)
		{
			const RoleInfo *role = cache_role(&pm->role_id);

			limit_validity(out, pm->expires_at);
			if (role->found)
			{
				permset_union_into(&out->perms, &role->perms);
				if (role->rank > out->rank)
				{
					out->rank = role->rank;
					out->role = role;
				}
			}
		}
	}
	cache_result_store(out, generation);
	cache_leave();
}

/* A growable array of invalidation keys. */
typedef struct DepList
{
	CacheDep   *deps;
	int			n;
	int			cap;
} DepList;

static void
dep_add(DepList *l, uint32 key)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->deps = l->deps ? repalloc(l->deps, sizeof(CacheDep) * l->cap)
			: palloc(sizeof(CacheDep) * l->cap);
	}
	l->deps[l->n++].key = key;
}

/*
 * What a user's visible set is computed from besides the user's own rows:
 * the workspaces of the orgs they belong to (as candidates), those orgs'
 * settings, and each candidate workspace outside those orgs.
 */
static void
visible_deps(const UserInfo *u, DepList *deps)
{
	for (int i = 0; i < u->ncandidate_deps; i++)
		dep_add(deps, u->candidate_deps[i].key);
	for (int i = 0; i < u->norgs; i++)
		if (u->orgs[i].role != ORG_ROLE_GUEST && u->orgs[i].role != ORG_ROLE_NONE)
			dep_add(deps, inval_key(INVAL_ORG, u->orgs[i].org_id.data, UUID_LEN));
	for (int i = 0; i < u->ncandidates; i++)
	{
		const WorkspaceInfo *w = cache_workspace(&u->candidates[i]);
		const OrgMembership *m;

		if (!w->has_org)
			continue;			/* the user's own personal workspace */
		m = find_membership(u, &w->org_id);
		if (m == NULL || m->role == ORG_ROLE_GUEST || m->role == ORG_ROLE_NONE)
			dep_add(deps, inval_key(INVAL_WORKSPACE, w->id.data, UUID_LEN));
	}
}

/*
 * Every workspace (or project) where the user holds the permission: the
 * memoised set, or computed and memoised. The set is valid until the
 * caller's cache frame ends: call between cache_enter() and cache_leave().
 */
const VisibleSet *
resolve_visible(const pg_uuid_t *user_id, int bit, ResultKind kind)
{
	const VisibleSet *found;
	VisibleSet	set;
	const UserInfo *u;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	uint64		generation;
	DepList		deps = {NULL, 0, 0};
	int			ncand;
	const pg_uuid_t *cand;
	const VisibleSet *kept;
	VisibleSet *copy;

	/* in a parallel query, the leader's set: every process answers alike */
	found = parallel_visible(user_id, bit, kind);
	if (found)
		return found;
	found = cache_visible_find(user_id, bit, kind);
	if (found)
		return found;
	generation = authz_cache_generation;
	memset(&set, 0, sizeof(set));
	set.user_id = *user_id;
	set.bit = bit;
	set.kind = (int32) kind;
	set.valid_until = DT_NOEND;
	u = cache_user(user_id);
	set.user_serial = u->serial;
	if (u->found && u->active)
	{
		if (kind == RESULT_PROJECT)
		{
			cache_user_project_candidates(u);
			ncand = u->nproject_candidates;
			cand = u->project_candidates;
			dep_add(&deps, inval_key(INVAL_PROJECTS, "", 0));
		}
		else
		{
			cache_user_candidates(u);
			ncand = u->ncandidates;
			cand = u->candidates;
		}
		visible_deps(u, &deps);
		set.ids = palloc(sizeof(pg_uuid_t) * Max(ncand, 1));
		for (int i = 0; i < ncand; i++)
		{
			ResultEntry r;

			if (kind == RESULT_PROJECT)
				resolve_project(user_id, &cand[i], &r);
			else
				compute(user_id, &cand[i], now, false, &r, NULL);	/* the set is the memo */
			limit_validity(&set, r.valid_until);
			if (permset_test(&r.perms, bit))
				set.ids[set.n++] = cand[i];
		}
	}
	set.deps = deps.deps;
	set.ndeps = deps.n;
	kept = cache_visible_store(&set, generation);
	if (kept)
		return kept;
	/* not kept (the model changed meanwhile, or the cache is full) */
	copy = palloc(sizeof(VisibleSet));
	*copy = set;
	return copy;
}

/* A visible set (its first `limit` members, if limit >= 0) as a uuid[]. */
Datum
visible_set_array(const VisibleSet *set, int limit)
{
	int			n = (limit >= 0 && limit < set->n) ? limit : set->n;
	ArrayType  *a;
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + (Size) n * UUID_LEN;

	a = (ArrayType *) palloc(bytes);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = UUIDOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	if (n > 0)
		memcpy((char *) a + ARR_OVERHEAD_NONULLS(1), set->ids, (Size) n * UUID_LEN);
	return PointerGetDatum(a);
}

/*
 * Build the lookup table of a visible set in cxt: open addressing, at most
 * three quarters full, the nil uuid marking empty slots.
 */
void
visible_set_table(VisibleSet *set, MemoryContext cxt)
{
	static const pg_uuid_t nil;
	uint32		slots = 16;

	while (slots < (uint32) set->n + (uint32) set->n / 3 + 1)
		slots <<= 1;
	set->slots = MemoryContextAllocZero(cxt, sizeof(pg_uuid_t) * slots);
	set->mask = slots - 1;
	set->has_nil = false;
	for (int k = 0; k < set->n; k++)
	{
		uint32		i;

		if (memcmp(&set->ids[k], &nil, UUID_LEN) == 0)
		{
			set->has_nil = true;
			continue;
		}
		for (i = visible_hash(&set->ids[k]) & set->mask;
			 memcmp(&set->slots[i], &nil, UUID_LEN) != 0;
			 i = (i + 1) & set->mask)
			;
		set->slots[i] = set->ids[k];
	}
}

/* Every workspace where the user holds the permission, as a uuid[]. */
Datum
resolve_workspace_array(const pg_uuid_t *user_id, int bit)
{
	Datum		result;

	cache_enter();
	result = visible_set_array(resolve_visible(user_id, bit, RESULT_WORKSPACE), -1);
	cache_leave();
	return result;
}

/* Every project where the user holds the permission, as a uuid[]. */
Datum
resolve_project_array(const pg_uuid_t *user_id, int bit)
{
	Datum		result;

	cache_enter();
	result = visible_set_array(resolve_visible(user_id, bit, RESULT_PROJECT), -1);
	cache_leave();
	return result;
}
