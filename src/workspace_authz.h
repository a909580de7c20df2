/*
 * workspace_authz.h
 *		Declarations shared by the modules of workspace_authz.
 *
 * Module map: permset.c (the permset type), identity.c (who the current user
 * is), cache.c (per-backend cache of the model: memory and invalidation),
 * catalog.c (the model's relations, indexes and columns), loaders.c (reading
 * the model into the cache), memo.c (memoised answers), resolver.c (SPEC
 * rules: effective permissions and role), checks.c (SQL-callable checks),
 * planner.c (planner support for authz.can), credits.c (the credits type),
 * tokens.c (invitation tokens), distributed.c (Citus).
 */
#ifndef WORKSPACE_AUTHZ_H
#define WORKSPACE_AUTHZ_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "access/attnum.h"
#include "utils/uuid.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

/*
 * Input errors of the types are soft from PostgreSQL 16 on, so that
 * pg_input_is_valid() works: the error is saved in escontext and the caller
 * gets false. Before 16 there is no error context and they are raised.
 */
#if PG_VERSION_NUM >= 160000
#define authz_input_error(escontext, ...) \
	ereturn(escontext, false, __VA_ARGS__)
#else
#define authz_input_error(escontext, ...) \
	do { \
		(void) (escontext); \
		ereport(ERROR, __VA_ARGS__); \
	} while (0)
#endif

/* ---- permission sets ---------------------------------------------------- */

#define PERMSET_WORDS	4
#define PERMSET_BITS	(PERMSET_WORDS * 64)

/* A set of registered permissions: bit N is the permission whose bit is N. */
typedef struct PermSet
{
	uint64		w[PERMSET_WORDS];
} PermSet;

static inline void
permset_clear(PermSet *s)
{
	memset(s, 0, sizeof(PermSet));
}

static inline void
permset_add(PermSet *s, int bit)
{
	s->w[bit >> 6] |= UINT64CONST(1) << (bit & 63);
}

static inline bool
permset_test(const PermSet *s, int bit)
{
	return (s->w[bit >> 6] >> (bit & 63)) & 1;
}

static inline void
permset_union_into(PermSet *dst, const PermSet *src)
{
	for (int i = 0; i < PERMSET_WORDS; i++)
		dst->w[i] |= src->w[i];
}

static inline void
permset_minus_into(PermSet *dst, const PermSet *src)
{
	for (int i = 0; i < PERMSET_WORDS; i++)
		dst->w[i] &= ~src->w[i];
}

#define DatumGetPermSetP(X)		((PermSet *) DatumGetPointer(X))
#define PG_GETARG_PERMSET_P(n)	DatumGetPermSetP(PG_GETARG_DATUM(n))
#define PG_RETURN_PERMSET_P(x)	PG_RETURN_POINTER(x)

extern PermSet *permset_copy_out(const PermSet *s);

/* ---- settings ----------------------------------------------------------- */

extern int	authz_cache_size_kb;
extern char *authz_jwt_claim;

/* ---- module initialisation (called from _PG_init) ----------------------- */

extern void identity_init(void);
extern void cache_init(void);
extern void distributed_init(void);
extern void parallel_init(void);
extern int64 distributed_shard_of(Oid relid);
extern Oid	distributed_local_shard(Oid nsp, const char *name, int64 shardid);
extern void distributed_propagate_user(const pg_uuid_t *user_id);
extern bool distributed_token_user(pg_uuid_t *user_id);
extern const char *distributed_token_value(void);

/* ---- identity.c --------------------------------------------------------- */

extern bool authz_current_user(pg_uuid_t *user_id);
extern bool authz_user_asserted(void);
extern bool authz_caller_is_trusted(void);
extern bool authz_identity_stays_here(void);

/* ---- cache.c, loaders.c, memo.c: the loaded model ----------------------- */

typedef enum OrgRole
{
	ORG_ROLE_NONE = 0,
	ORG_ROLE_GUEST,
	ORG_ROLE_MEMBER,
	ORG_ROLE_ADMIN,
	ORG_ROLE_OWNER
} OrgRole;

#define ORG_ROLE_COUNT 5

#define ROLE_NAME_MAX 64

/*
 * What a cached entry was read from: an invalidation key (a hash of what
 * changed: a user, an organization, a workspace, ...) and the epoch of its
 * bucket when the entry was read (cache.c). An entry stays valid while the
 * epochs of all its keys are unchanged.
 */
typedef struct CacheDep
{
	uint32		key;
	uint32		epoch;
} CacheDep;

typedef enum InvalKind
{
	INVAL_USER = 'u',
	INVAL_ORG = 'o',			/* an organization's settings */
	INVAL_ORG_WORKSPACES = 'W',	/* the set of an organization's workspaces */
	INVAL_WORKSPACE = 'w',
	INVAL_TEAM = 't',
	INVAL_PROJECT = 'p',
	INVAL_LOGIN = 'l',
	INVAL_PROJECTS = 'P'		/* the set of projects, whoever's */
} InvalKind;

typedef struct RoleInfo
{
	pg_uuid_t	id;				/* hash key */
	bool		found;
	int32		rank;
	bool		projects_only;	/* counts in projects, never in workspaces */
	PermSet		perms;
	char		name[ROLE_NAME_MAX];
} RoleInfo;

typedef struct OrgInfo
{
	pg_uuid_t	id;				/* hash key */
	bool		found;
	uint64		checked;		/* frame in which dep was last found valid */
	CacheDep	dep;
	bool		members_can_create;
	bool		has_admin_role;
	pg_uuid_t	admin_role;		/* workspace role held by org owners/admins */
} OrgInfo;

typedef struct WorkspaceInfo
{
	pg_uuid_t	id;				/* hash key */
	bool		found;
	uint64		checked;
	CacheDep	dep;
	bool		has_org;
	bool		has_personal;
	bool		shared;
	bool		open;
	bool		has_shared_role;
	pg_uuid_t	org_id;
	pg_uuid_t	personal_user;
	pg_uuid_t	shared_role;
} WorkspaceInfo;

typedef struct OrgMembership
{
	pg_uuid_t	org_id;
	OrgRole		role;
	bool		has_ws_role;
	pg_uuid_t	ws_role;		/* org-wide workspace role */
} OrgMembership;

/* A per-participant grant or deny of one permission. */
typedef struct Override
{
	int16		bit;
	bool		grant;			/* false: deny */
	TimestampTz expires_at;		/* DT_NOEND when it does not expire */
} Override;

/* A role the user holds in a workspace directly or through a team. */
typedef struct Participation
{
	pg_uuid_t	workspace_id;
	pg_uuid_t	role_id;
	bool		via_team;
	pg_uuid_t	team_id;
	TimestampTz expires_at;		/* DT_NOEND when it does not expire */
	int			noverrides;		/* direct participations only */
	Override   *overrides;
} Participation;

/* A role the user holds in one project. */
typedef struct ProjectMembership
{
	pg_uuid_t	project_id;
	pg_uuid_t	role_id;
	TimestampTz expires_at;		/* DT_NOEND when it does not expire */
} ProjectMembership;

typedef struct ProjectInfo
{
	pg_uuid_t	id;				/* hash key */
	bool		found;
	uint64		checked;
	CacheDep	dep;
	pg_uuid_t	workspace_id;
} ProjectInfo;

typedef struct UserInfo
{
	pg_uuid_t	id;				/* hash key */
	bool		found;
	bool		active;
	uint64		serial;			/* unique per load: answers name the load */
	uint64		checked;
	int			ndeps;
	CacheDep   *deps;			/* the user and their teams */
	int			norgs;
	OrgMembership *orgs;		/* sorted by org_id */
	int			nteams;
	pg_uuid_t  *teams;
	bool		parts_loaded;	/* participations are loaded on first use */
	int			pair_loads;		/* workspaces read one by one before that */
	int			nparts;
	Participation *parts;		/* sorted by workspace_id */
	int			nprojects;
	ProjectMembership *projects;	/* sorted by project_id */
	bool		candidates_loaded;
	uint64		candidates_checked;
	int			ncandidate_deps;
	CacheDep   *candidate_deps;	/* the orgs whose workspaces are candidates */
	int			ncandidates;
	pg_uuid_t  *candidates;		/* workspaces where the user may hold a role */
	bool		project_candidates_loaded;
	uint64		project_candidates_checked;
	CacheDep	project_candidates_dep; /* the set of projects */
	int			nproject_candidates;
	pg_uuid_t  *project_candidates;	/* projects where they may hold one */
} UserInfo;

/* What a memoised answer is about: workspaces and projects never share keys. */
typedef enum ResultKind
{
	RESULT_WORKSPACE = 1,
	RESULT_PROJECT = 2
} ResultKind;

/*
 * Memoised answer for one (user, workspace) or (user, project) pair. Hashed
 * as bytes: fill it with result_key(), which leaves no stray bytes.
 */
typedef struct ResultKey
{
	pg_uuid_t	user_id;
	pg_uuid_t	object_id;		/* a workspace or a project, as kind says */
	uint8		kind;			/* a ResultKind */
} ResultKey;

static inline void
result_key(ResultKey *key, const pg_uuid_t *user_id, const pg_uuid_t *object_id,
		   ResultKind kind)
{
	memset(key, 0, sizeof(*key));
	key->user_id = *user_id;
	key->object_id = *object_id;
	key->kind = (uint8) kind;
}

typedef struct ResultEntry
{
	ResultKey	key;
	PermSet		perms;
	int32		rank;			/* 0 when the user holds no role */
	const RoleInfo *role;		/* highest-ranked role, or NULL */
	TimestampTz valid_until;	/* first expiry among the sources used */
	uint64		user_serial;	/* the load of the user it was computed from */
	uint64		checked;
	int			ndeps;
	CacheDep	deps[3];		/* the workspace, its org, the project */
} ResultEntry;

/*
 * The memoised set of workspaces (or projects) where a user holds one
 * permission, sorted, with what it was computed from.
 */
typedef struct VisibleSet
{
	pg_uuid_t	user_id;		/* hash key: user, bit, kind */
	int32		bit;
	int32		kind;			/* a ResultKind */
	uint64		serial;			/* unique per computation */
	uint64		user_serial;
	uint64		checked;
	TimestampTz valid_until;
	int			ndeps;
	CacheDep   *deps;			/* orgs (and personal workspaces) of the set */
	int			n;
	pg_uuid_t  *ids;
	/* a lookup table of the ids, built on first use (visible_set_table) */
	uint32		mask;			/* slots - 1 */
	bool		has_nil;		/* the nil uuid, which marks empty slots */
	pg_uuid_t  *slots;			/* open addressing, or NULL */
} VisibleSet;

static inline uint32
visible_hash(const pg_uuid_t *id)
{
	uint64		a,
				b;

	memcpy(&a, id->data, 8);
	memcpy(&b, id->data + 8, 8);
	a ^= b * UINT64CONST(0x9E3779B97F4A7C15);
	return (uint32) ((a * UINT64CONST(0xFF51AFD7ED558CCD)) >> 32);
}

/* Is the id in a lookup table (slots, mask, has_nil) of a visible set? */
static inline bool
visible_table_contains(const pg_uuid_t *slots, uint32 mask, bool has_nil, const pg_uuid_t *id)
{
	static const pg_uuid_t nil;

	if (memcmp(id, &nil, UUID_LEN) == 0)
		return has_nil;
	for (uint32 i = visible_hash(id) & mask;; i = (i + 1) & mask)
	{
		if (memcmp(&slots[i], id, UUID_LEN) == 0)
			return true;
		if (memcmp(&slots[i], &nil, UUID_LEN) == 0)
			return false;
	}
}

/* Bumped whenever cached answers may have changed; memos compare it. */
extern uint64 authz_cache_generation;

/* Invalidations (cache.c): keys, epochs, and the validity of entries. */
extern uint64 cache_inval_seq;	/* bumped by every invalidation received */
extern uint64 cache_frame_seq;	/* cache_inval_seq at the outermost entry */
extern uint32 inval_key(InvalKind kind, const void *data, Size len);
extern void cache_deps_seal(CacheDep *deps, int n, uint64 seq_at_load);
extern bool cache_deps_valid(const CacheDep *deps, int n);

/* Is an entry still valid? Checked once per frame, then by one compare. */
static inline bool
cache_entry_fresh(uint64 *checked, const CacheDep *deps, int n)
{
	if (*checked == cache_frame_seq)
		return true;
	if (!cache_deps_valid(deps, n))
		return false;
	*checked = cache_frame_seq;
	return true;
}

extern void cache_accept_invalidations(void);
extern void cache_enter(void);
extern void cache_leave(void);
extern int	cache_permission_bit(const char *name, int len, bool missing_ok);
extern const char *cache_permission_name(int bit);
extern bool cache_permission_is_org(int bit);
extern const PermSet *cache_org_role_perms(OrgRole role);
extern int	cache_org_create_bit(void);
extern const RoleInfo *cache_role(const pg_uuid_t *id);
extern const OrgInfo *cache_org(const pg_uuid_t *id);
extern const WorkspaceInfo *cache_workspace(const pg_uuid_t *id);
extern const ProjectInfo *cache_project(const pg_uuid_t *id);
extern const UserInfo *cache_user(const pg_uuid_t *id);
extern void cache_user_parts(const UserInfo *user);
extern int	cache_user_parts_in(const UserInfo *user, const pg_uuid_t *ws,
								const Participation **out);
extern void cache_user_candidates(const UserInfo *user);
extern void cache_user_project_candidates(const UserInfo *user);
extern bool cache_login_user(Oid roleid, pg_uuid_t *user_id);
extern bool cache_subject_user(const char *issuer, const char *subject, pg_uuid_t *user_id);
extern ResultEntry *cache_result_find(const ResultKey *key);
extern void cache_result_store(const ResultEntry *entry, uint64 generation);
extern const VisibleSet *cache_visible_find(const pg_uuid_t *user_id, int bit, ResultKind kind);
extern const VisibleSet *cache_visible_store(const VisibleSet *set, uint64 generation);
extern bool cache_selectivity_find(Oid relid, AttrNumber attnum, const VisibleSet *set,
								   double *selectivity);
extern void cache_selectivity_store(Oid relid, AttrNumber attnum, const VisibleSet *set,
									double selectivity);

/* ---- resolver.c --------------------------------------------------------- */

typedef enum SourceKind
{
	SOURCE_PERSONAL,
	SOURCE_DIRECT,
	SOURCE_TEAM,
	SOURCE_ORG_WIDE,
	SOURCE_ORG_ADMIN,
	SOURCE_SHARED,
	SOURCE_OPEN
} SourceKind;

typedef struct Source
{
	SourceKind	kind;
	const RoleInfo *role;		/* NULL for SOURCE_OPEN */
	pg_uuid_t	team_id;
} Source;

/* Why the resolver answered as it did; used by authz.explain. */
typedef struct Explanation
{
	bool		user_found;
	bool		user_active;
	bool		workspace_found;
	List	   *sources;		/* of Source * */
	PermSet		grants;
	PermSet		denies;
} Explanation;

extern void resolve_workspace(const pg_uuid_t *user_id,
							  const pg_uuid_t *workspace_id, ResultEntry *out);
extern void resolve_explain(const pg_uuid_t *user_id,
							const pg_uuid_t *workspace_id, ResultEntry *out,
							Explanation *ex);
extern OrgRole resolve_org_role(const pg_uuid_t *user_id, const pg_uuid_t *org_id);
extern void resolve_org_perms(const pg_uuid_t *user_id, const pg_uuid_t *org_id,
							  PermSet *out);
extern Datum resolve_workspace_array(const pg_uuid_t *user_id, int bit);
extern Datum resolve_project_array(const pg_uuid_t *user_id, int bit);
extern const VisibleSet *resolve_visible(const pg_uuid_t *user_id, int bit, ResultKind kind);
extern Datum visible_set_array(const VisibleSet *set, int limit);
extern void visible_set_table(VisibleSet *set, MemoryContext cxt);
extern void cache_visible_table(const VisibleSet *set);
extern const VisibleSet *parallel_visible(const pg_uuid_t *user_id, int bit, ResultKind kind);
extern void resolve_project(const pg_uuid_t *user_id, const pg_uuid_t *project_id,
							ResultEntry *out);
extern const char *source_kind_name(SourceKind kind);
extern const char *org_role_name(OrgRole role);

/* ---- helpers ------------------------------------------------------------ */

static inline int
uuid_cmp_raw(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN);
}

extern char *uuid_to_cstring(const pg_uuid_t *u);

#endif							/* WORKSPACE_AUTHZ_H */
