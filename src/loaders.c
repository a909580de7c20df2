/*
 * loaders.c
 *		Loading the model into the cache in use: the permission registry,
 *		roles, organizations, workspaces, projects, users with their
 *		memberships and candidate workspaces, and the identity lookups
 *		(login roles, mapped external subjects). Each loader reads the
 *		model's tables through the catalogue (catalog.c) with the load
 *		snapshot, and keeps what it read in the cache's memory (cache.c).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "workspace_authz.h"
#include "cache_internal.h"

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

static int
get_permission_bit(AuthzCache *c, ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = model_get(s, tup, col, &isnull);
	text	   *t;

	if (isnull)
		return -1;
	t = DatumGetTextPP(d);
	return registry_bit(c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* Load every registered permission, and the permissions of each org role. */
void
model_load_registry(AuthzCache *c)
{
	ModelScan	s;
	HeapTuple	tup;

	cache_stats.loads++;
	scan_begin(&s, REL_PERMISSIONS, -1, 0, NULL);
	while ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;
		char	   *name = get_cstring(&s, tup, C_PERM_NAME);
		int			bit = DatumGetInt16(model_get(&s, tup, C_PERM_BIT, &isnull));
		PermName   *e;
		char		key[PERM_NAME_MAX];

		if (name == NULL || bit < 0 || bit >= PERMSET_BITS || strlen(name) >= PERM_NAME_MAX)
			continue;
		memset(key, 0, sizeof(key));
		strcpy(key, name);
		e = hash_search(c->perm_by_name, key, HASH_ENTER, NULL);
		e->bit = bit;
		c->perm_names[bit] = MemoryContextStrdup(c->ctx, name);
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
	int			bit = registry_bit(cache_cur, name, len);

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
	return (bit >= 0 && bit < PERMSET_BITS) ? cache_cur->perm_names[bit] : NULL;
}

bool
cache_permission_is_org(int bit)
{
	return permset_test(&cache_cur->org_scope, bit);
}

const PermSet *
cache_org_role_perms(OrgRole role)
{
	return &cache_cur->org_role_perms[role];
}

int
cache_org_create_bit(void)
{
	return cache_cur->org_create_bit;
}

/* ---- roles, orgs, workspaces -------------------------------------------- */

const RoleInfo *
cache_role(const pg_uuid_t *id)
{
	RoleInfo   *r = hash_search(cache_cur->roles, id, HASH_FIND, NULL);
	RoleInfo	tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	if (r)
		return r;
	cache_stats.loads++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_ROLES, IDX_ROLES_PKEY, C_ROLE_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;
		char	   *name = get_cstring(&s, tup, C_ROLE_NAME);

		tmp.found = true;
		strlcpy(tmp.name, name ? name : "", ROLE_NAME_MAX);
		tmp.rank = DatumGetInt32(model_get(&s, tup, C_ROLE_RANK, &isnull));
		tmp.projects_only = DatumGetBool(model_get(&s, tup, C_ROLE_PROJECTS_ONLY, &isnull));
	}
	scan_end(&s);
	if (tmp.found)
	{
		scan_by_uuid(&s, REL_ROLE_PERMISSIONS, IDX_ROLE_PERMISSIONS_PKEY, C_RP_ROLE, id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			int			bit = get_permission_bit(cache_cur, &s, tup, C_RP_PERMISSION);

			if (bit >= 0)
				permset_add(&tmp.perms, bit);
		}
		scan_end(&s);
	}
	r = hash_search(cache_cur->roles, id, HASH_ENTER, NULL);
	*r = tmp;
	return r;
}

const OrgInfo *
cache_org(const pg_uuid_t *id)
{
	OrgInfo    *o = hash_search(cache_cur->orgs, id, HASH_FIND, NULL);
	OrgInfo		tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	uint64		seq = cache_inval_seq;

	if (o && cache_entry_fresh(&o->checked, &o->dep, 1))
		return o;
	cache_stats.loads++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	tmp.dep.key = inval_key(INVAL_ORG, id->data, UUID_LEN);
	scan_by_uuid(&s, REL_ORGS, IDX_ORGS_PKEY, C_ORG_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
	{
		bool		isnull;

		tmp.found = true;
		tmp.members_can_create = DatumGetBool(model_get(&s, tup, C_ORG_MEMBERS_CREATE, &isnull));
		tmp.has_admin_role = get_uuid(&s, tup, C_ORG_ADMIN_ROLE, &tmp.admin_role);
	}
	scan_end(&s);
	cache_deps_seal(&tmp.dep, 1, seq);
	tmp.checked = cache_frame_seq;
	o = hash_search(cache_cur->orgs, id, HASH_ENTER, NULL);
	*o = tmp;
	return o;
}

static void
workspace_from_tuple(ModelScan *s, HeapTuple tup, WorkspaceInfo *w)
{
	memset(w, 0, sizeof(*w));
	get_uuid(s, tup, C_WS_ID, &w->id);
	w->found = true;
	w->dep.key = inval_key(INVAL_WORKSPACE, w->id.data, UUID_LEN);
	w->has_org = get_uuid(s, tup, C_WS_ORG, &w->org_id);
	w->has_personal = get_uuid(s, tup, C_WS_PERSONAL, &w->personal_user);
	w->shared = get_text_is(s, tup, C_WS_VISIBILITY, "shared");
	w->has_shared_role = get_uuid(s, tup, C_WS_SHARED_ROLE, &w->shared_role);
	w->open = get_text_is(s, tup, C_WS_JOIN_POLICY, "open");
}

/*
 * Keep a workspace read by another scan (begun at seq), unless cached and
 * valid.
 */
static void
prime_workspace(WorkspaceInfo *w, uint64 seq)
{
	bool		found;
	WorkspaceInfo *e = hash_search(cache_cur->workspaces, &w->id, HASH_ENTER, &found);

	if (found && cache_entry_fresh(&e->checked, &e->dep, 1))
		return;
	cache_deps_seal(&w->dep, 1, seq);
	w->checked = cache_frame_seq;
	*e = *w;
}

const WorkspaceInfo *
cache_workspace(const pg_uuid_t *id)
{
	WorkspaceInfo *w = hash_search(cache_cur->workspaces, id, HASH_FIND, NULL);
	WorkspaceInfo tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	uint64		seq = cache_inval_seq;

	if (w && cache_entry_fresh(&w->checked, &w->dep, 1))
		return w;
	cache_stats.loads++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_WORKSPACES, IDX_WORKSPACES_PKEY, C_WS_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
		workspace_from_tuple(&s, tup, &tmp);
	scan_end(&s);
	tmp.dep.key = inval_key(INVAL_WORKSPACE, id->data, UUID_LEN);
	cache_deps_seal(&tmp.dep, 1, seq);
	tmp.checked = cache_frame_seq;
	w = hash_search(cache_cur->workspaces, id, HASH_ENTER, NULL);
	*w = tmp;
	return w;
}

const ProjectInfo *
cache_project(const pg_uuid_t *id)
{
	ProjectInfo *p = hash_search(cache_cur->projects, id, HASH_FIND, NULL);
	ProjectInfo tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	uint64		seq = cache_inval_seq;

	if (p && cache_entry_fresh(&p->checked, &p->dep, 1))
		return p;
	cache_stats.loads++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	scan_by_uuid(&s, REL_PROJECTS, IDX_PROJECTS_PKEY, C_PROJ_ID, id, &key);
	if ((tup = scan_next(&s)) != NULL)
		tmp.found = get_uuid(&s, tup, C_PROJ_WS, &tmp.workspace_id);
	scan_end(&s);
	tmp.dep.key = inval_key(INVAL_PROJECT, id->data, UUID_LEN);
	cache_deps_seal(&tmp.dep, 1, seq);
	tmp.checked = cache_frame_seq;
	p = hash_search(cache_cur->projects, id, HASH_ENTER, NULL);
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
	copy = MemoryContextAlloc(cache_cur->ctx, g->size * g->n);
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

static void
participation_from_tuple(ModelScan *s, HeapTuple tup, Participation *p)
{
	memset(p, 0, sizeof(*p));
	get_uuid(s, tup, C_P_WS, &p->workspace_id);
	get_uuid(s, tup, C_P_ROLE, &p->role_id);
	p->via_team = get_uuid(s, tup, C_P_TEAM, &p->team_id);
	p->expires_at = get_expiry(s, tup, C_P_EXPIRES);
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
		participation_from_tuple(&s, tup, grow(parts));
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
		bit = get_permission_bit(cache_cur, &s, tup, C_PP_PERMISSION);
		if (p == NULL || p->via_team || bit < 0)
			continue;
		p->overrides = p->overrides
			? repalloc(p->overrides, sizeof(Override) * (p->noverrides + 1))
			: MemoryContextAlloc(cache_cur->ctx, sizeof(Override));
		p->overrides[p->noverrides].bit = bit;
		p->overrides[p->noverrides].grant = get_text_is(&s, tup, C_PP_EFFECT, "grant");
		p->overrides[p->noverrides].expires_at = get_expiry(&s, tup, C_PP_EXPIRES);
		p->noverrides++;
	}
	scan_end(&s);
}

/*
 * Load, once per load of the user, their participations (directly and
 * through their teams) with their grants and denies: only the checks of
 * workspaces need them, so a user's first org-level call (creating a
 * workspace, say) does not read all of them.
 */
void
cache_user_parts(const UserInfo *user)
{
	UserInfo   *u = (UserInfo *) user;
	Growable	parts = {NULL, 0, 0, sizeof(Participation)};
	uint64		seq = cache_inval_seq;

	if (u->parts_loaded || !u->found)
		return;
	cache_stats.loads++;
	load_participations(&parts, IDX_PARTICIPANTS_USER, C_P_USER, &u->id);
	for (int i = 0; i < u->nteams; i++)
		load_participations(&parts, IDX_PARTICIPANTS_TEAM, C_P_TEAM, &u->teams[i]);
	if (parts.n > 1)
		qsort(parts.items, parts.n, parts.size, participation_cmp);
	add_deny_placeholders(&parts, &u->id);
	u->nparts = parts.n;
	u->parts = keep(&parts);
	if (u->nparts > 0)
		load_overrides(u);
	u->parts_loaded = true;
	/* read after the rest of the entry: if the model changed since, reload it next time */
	if (cache_inval_seq != seq)
		cache_deps_seal(u->deps, u->ndeps, 0);
	if (cache_over_budget(cache_cur))
		cache_cur->over_budget = true;
}

/* Index of the user's first loaded participation in the workspace, or -1. */
static int
first_participation(const UserInfo *u, const pg_uuid_t *ws)
{
	int			lo = 0,
				hi = u->nparts - 1,
				found = -1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = uuid_cmp_raw(&u->parts[mid].workspace_id, ws);

		if (c == 0)
		{
			found = mid;
			hi = mid - 1;
		}
		else if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return found;
}

/* After this many workspaces read one by one, a user's participations are all loaded. */
#define PAIR_LOADS_MAX 16

/*
 * The user's participations in one workspace, sorted as the loaded list is
 * (the direct one first), with their grants and denies. From the loaded list
 * when there is one; otherwise, for the first PAIR_LOADS_MAX workspaces asked
 * about, read from the indexes for that workspace alone, so that the first
 * check of a user with 10,000 memberships reads a handful of rows. Valid
 * until the frame ends.
 */
int
cache_user_parts_in(const UserInfo *user, const pg_uuid_t *ws, const Participation **out)
{
	UserInfo   *u = (UserInfo *) user;
	Growable	parts = {NULL, 0, 0, sizeof(Participation)};
	Participation *direct = NULL;
	ModelScan	s;
	ScanKeyData keys[2];
	HeapTuple	tup;

	*out = NULL;
	if (!u->found)
		return 0;
	if (!u->parts_loaded && u->pair_loads >= PAIR_LOADS_MAX)
		cache_user_parts(u);
	if (u->parts_loaded)
	{
		int			first = first_participation(u, ws);
		int			n = 0;

		if (first < 0)
			return 0;
		while (first + n < u->nparts && uuid_cmp_raw(&u->parts[first + n].workspace_id, ws) == 0)
			n++;
		*out = &u->parts[first];
		return n;
	}

	u->pair_loads++;
	cache_stats.loads++;
	scan_by_uuids(&s, REL_PARTICIPANTS, IDX_PARTICIPANTS_WS_USER, C_P_WS, ws, C_P_USER, &u->id, keys);
	if ((tup = scan_next(&s)) != NULL)
		participation_from_tuple(&s, tup, grow(&parts));
	scan_end(&s);
	for (int i = 0; i < u->nteams; i++)
	{
		scan_by_uuids(&s, REL_PARTICIPANTS, IDX_PARTICIPANTS_WS_TEAM, C_P_WS, ws, C_P_TEAM,
					  &u->teams[i], keys);
		if ((tup = scan_next(&s)) != NULL)
			participation_from_tuple(&s, tup, grow(&parts));
		scan_end(&s);
	}

	/* grants and denies go with the direct participation; a deny outlives it */
	scan_by_uuids(&s, REL_PARTICIPANT_PERMISSIONS, IDX_PARTICIPANT_PERMISSIONS_PKEY,
				  C_PP_WS, ws, C_PP_USER, &u->id, keys);
	while ((tup = scan_next(&s)) != NULL)
	{
		int			bit = get_permission_bit(cache_cur, &s, tup, C_PP_PERMISSION);
		bool		grant = get_text_is(&s, tup, C_PP_EFFECT, "grant");

		if (direct == NULL)
		{
			for (int i = 0; i < parts.n && direct == NULL; i++)
				if (!((Participation *) parts.items)[i].via_team)
					direct = (Participation *) parts.items + i;
			if (direct == NULL && !grant)
			{
				direct = grow(&parts);
				memset(direct, 0, sizeof(*direct));
				direct->workspace_id = *ws;
				direct->expires_at = DT_NOBEGIN;	/* never current: holds the denies */
			}
		}
		if (direct == NULL || bit < 0)
			continue;
		direct->overrides = direct->overrides
			? repalloc(direct->overrides, sizeof(Override) * (direct->noverrides + 1))
			: palloc(sizeof(Override));
		direct->overrides[direct->noverrides].bit = bit;
		direct->overrides[direct->noverrides].grant = grant;
		direct->overrides[direct->noverrides].expires_at = get_expiry(&s, tup, C_PP_EXPIRES);
		direct->noverrides++;
	}
	scan_end(&s);
	if (parts.n > 1)
		qsort(parts.items, parts.n, parts.size, participation_cmp);
	*out = parts.items;
	return parts.n;
}

static void
free_if(void *p)
{
	if (p)
		pfree(p);
}

/* Free what a user's entry holds, before it is loaded again in place. */
static void
user_release(UserInfo *u)
{
	free_if(u->orgs);
	free_if(u->teams);
	for (int i = 0; i < u->nparts; i++)
		free_if(u->parts[i].overrides);
	free_if(u->parts);
	free_if(u->projects);
	free_if(u->deps);
	free_if(u->candidate_deps);
	free_if(u->candidates);
	free_if(u->project_candidates);
}

const UserInfo *
cache_user(const pg_uuid_t *id)
{
	UserInfo   *u = hash_search(cache_cur->users, id, HASH_FIND, NULL);
	UserInfo	tmp;
	ModelScan	s;
	ScanKeyData key;
	HeapTuple	tup;

	uint64		seq = cache_inval_seq;
	static uint64 serial = 0;

	if (u && cache_entry_fresh(&u->checked, u->deps, u->ndeps))
		return u;
	cache_stats.loads++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.id = *id;
	tmp.serial = ++serial;

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

		scan_by_uuid(&s, REL_TEAM_MEMBERS, IDX_TEAM_MEMBERS_USER, C_TM_USER, id, &key);
		while ((tup = scan_next(&s)) != NULL)
			get_uuid(&s, tup, C_TM_TEAM, (pg_uuid_t *) grow(&teams));
		scan_end(&s);
		tmp.nteams = teams.n;
		tmp.teams = keep(&teams);
		/* the user's own rows, and the participations of each team */
		tmp.ndeps = 1 + teams.n;
		tmp.deps = MemoryContextAlloc(cache_cur->ctx, sizeof(CacheDep) * tmp.ndeps);
		for (int i = 0; i < teams.n; i++)
			tmp.deps[1 + i].key = inval_key(INVAL_TEAM, ((pg_uuid_t *) teams.items)[i].data, UUID_LEN);

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
		tmp.norgs = orgs.n;
		tmp.orgs = keep(&orgs);
	}

	if (tmp.deps == NULL)
	{
		tmp.ndeps = 1;
		tmp.deps = MemoryContextAlloc(cache_cur->ctx, sizeof(CacheDep));
	}
	tmp.deps[0].key = inval_key(INVAL_USER, id->data, UUID_LEN);
	cache_deps_seal(tmp.deps, tmp.ndeps, seq);
	tmp.checked = cache_frame_seq;

	if (u)
		user_release(u);
	else
		u = hash_search(cache_cur->users, id, HASH_ENTER, NULL);
	*u = tmp;
	if (cache_over_budget(cache_cur))
		cache_cur->over_budget = true;
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

	Growable	deps = {NULL, 0, 0, sizeof(CacheDep)};
	uint64		seq = cache_inval_seq;

	if (u->candidates_loaded &&
		cache_entry_fresh(&u->candidates_checked, u->candidate_deps, u->ncandidate_deps))
		return;
	cache_stats.loads++;
	free_if(u->candidates);
	free_if(u->candidate_deps);
	free_if(u->project_candidates);
	u->candidates = u->project_candidates = NULL;
	u->candidate_deps = NULL;
	u->candidates_loaded = u->project_candidates_loaded = false;

	/* personal workspaces: the user's own rows, already in the user's deps */
	scan_by_uuid(&s, REL_WORKSPACES, IDX_WORKSPACES_PERSONAL, C_WS_PERSONAL, &u->id, &key);
	while ((tup = scan_next(&s)) != NULL)
	{
		WorkspaceInfo w;

		workspace_from_tuple(&s, tup, &w);
		prime_workspace(&w, seq);
		*(pg_uuid_t *) grow(&ids) = w.id;
	}
	scan_end(&s);

	cache_user_parts(u);
	for (int i = 0; i < u->nparts; i++)
		*(pg_uuid_t *) grow(&ids) = u->parts[i].workspace_id;

	for (int i = 0; i < u->norgs; i++)
	{
		const OrgMembership *m = &u->orgs[i];
		bool		every = m->role >= ORG_ROLE_ADMIN || m->has_ws_role;

		if (m->role == ORG_ROLE_GUEST || m->role == ORG_ROLE_NONE)
			continue;
		((CacheDep *) grow(&deps))->key = inval_key(INVAL_ORG_WORKSPACES, m->org_id.data, UUID_LEN);
		/* a plain member: only the org's shared and open workspaces (a partial index) */
		scan_by_uuid(&s, REL_WORKSPACES, every ? IDX_WORKSPACES_ORG : IDX_WORKSPACES_ORG_OPEN,
					 C_WS_ORG, &m->org_id, &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			WorkspaceInfo w;

			workspace_from_tuple(&s, tup, &w);
			prime_workspace(&w, seq);
			if (every || w.shared || w.open)
				*(pg_uuid_t *) grow(&ids) = w.id;
		}
		scan_end(&s);
	}

	sort_unique(&ids);
	u->candidates = keep(&ids);
	u->ncandidates = ids.n;
	u->candidate_deps = keep(&deps);
	u->ncandidate_deps = deps.n;
	cache_deps_seal(u->candidate_deps, u->ncandidate_deps, seq);
	u->candidates_checked = cache_frame_seq;
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

	uint64		seq;

	cache_user_candidates(u);
	if (u->project_candidates_loaded &&
		cache_entry_fresh(&u->project_candidates_checked, &u->project_candidates_dep, 1))
		return;
	cache_stats.loads++;
	free_if(u->project_candidates);
	u->project_candidates = NULL;
	seq = cache_inval_seq;
	for (int i = 0; i < u->ncandidates; i++)
	{
		scan_by_uuid(&s, REL_PROJECTS, IDX_PROJECTS_WORKSPACE, C_PROJ_WS, &u->candidates[i], &key);
		while ((tup = scan_next(&s)) != NULL)
		{
			bool		found;
			pg_uuid_t	id;
			ProjectInfo *p;

			get_uuid(&s, tup, C_PROJ_ID, &id);
			p = hash_search(cache_cur->projects, &id, HASH_ENTER, &found);
			if (!found || !cache_entry_fresh(&p->checked, &p->dep, 1))
			{
				memset(p, 0, sizeof(*p));
				p->id = id;
				p->found = true;
				p->workspace_id = u->candidates[i];
				p->dep.key = inval_key(INVAL_PROJECT, id.data, UUID_LEN);
				cache_deps_seal(&p->dep, 1, seq);
				p->checked = cache_frame_seq;
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
	u->project_candidates_dep.key = inval_key(INVAL_PROJECTS, "", 0);
	cache_deps_seal(&u->project_candidates_dep, 1, seq);
	u->project_candidates_checked = cache_frame_seq;
	u->project_candidates_loaded = true;
}

/* The user whose pg_role is the given login role, if any. */
bool
cache_login_user(Oid roleid, pg_uuid_t *user_id)
{
	LoginEntry *e = hash_search(cache_cur->logins, &roleid, HASH_FIND, NULL);
	LoginEntry	tmp;

	if (e == NULL || !cache_entry_fresh(&e->checked, &e->dep, 1))
	{
		char	   *rolname = GetUserNameFromId(roleid, true);
		uint64		seq = cache_inval_seq;

		cache_stats.loads++;
		memset(&tmp, 0, sizeof(tmp));
		tmp.roleid = roleid;
		/* a role that does not exist: pg_authid's invalidation covers it */
		tmp.dep.key = inval_key(INVAL_LOGIN, rolname ? rolname : "", rolname ? strlen(rolname) : 0);
		if (rolname != NULL)
		{
			ModelScan	s;
			ScanKeyData key;
			NameData	nd;
			HeapTuple	tup;

			namestrcpy(&nd, rolname);
			ScanKeyInit(&key, model_attnum(C_USER_PG_ROLE), BTEqualStrategyNumber, F_NAMEEQ,
						NameGetDatum(&nd));
			scan_begin(&s, REL_USERS, IDX_USERS_PG_ROLE, 1, &key);
			if ((tup = scan_next(&s)) != NULL)
				tmp.found = get_uuid(&s, tup, C_USER_ID, &tmp.user_id);
			scan_end(&s);
		}
		cache_deps_seal(&tmp.dep, 1, seq);
		tmp.checked = cache_frame_seq;
		e = hash_search(cache_cur->logins, &roleid, HASH_ENTER, NULL);
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
	snap = RegisterSnapshot(cache_use_active_snapshot() ? GetActiveSnapshot() : GetLatestSnapshot());
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
