/*
 * cache_internal.h
 *		What the cache's own modules share: the cache structure (cache.c owns
 *		its memory and invalidation), the model's catalogue and scans
 *		(catalog.c), the loaders' entry points (loaders.c) and the memo store
 *		(memo.c). Nothing outside these modules includes it.
 */
#ifndef WORKSPACE_AUTHZ_CACHE_INTERNAL_H
#define WORKSPACE_AUTHZ_CACHE_INTERNAL_H

#include "access/genam.h"
#include "access/skey.h"
#include "utils/hsearch.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

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
	uint64		checked;
	CacheDep	dep;			/* the role's name */
	pg_uuid_t	user_id;
} LoginEntry;

typedef struct AuthzCache
{
	MemoryContext ctx;
	bool		valid;			/* registry loaded, hashes created */
	bool		stale;			/* reset at the next outermost entry */
	bool		over_budget;	/* past cache_size: shed answers, then all */
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
	HTAB	   *results;		/* the memo store (memo.c) */
	HTAB	   *visible;		/* visible sets (memo.c) */
	HTAB	   *selectivities;	/* the planner's estimates (memo.c) */
	HTAB	   *logins;
	/* transient cache only: the snapshot its entries were loaded with */
	LocalTransactionId snap_lxid;
	TransactionId snap_xmin;
	TransactionId snap_xmax;
	CommandId	snap_curcid;
} AuthzCache;

/* ---- cache.c: memory and snapshots -------------------------------------- */

/* What this backend's caches did since it started (authz.cache_stats). */
typedef struct CacheStats
{
	uint64		hits;			/* answers found in the memo store */
	uint64		misses;			/* answers the memo store did not hold */
	uint64		loads;			/* entries read from the model's tables */
	uint64		resets;			/* caches dropped whole */
	uint64		invalidations;	/* invalidations of the model received */
} CacheStats;

extern CacheStats cache_stats;
extern uint64 cache_relcache_seq;

extern AuthzCache *cache_cur;	/* the cache in use by the outermost entry */

extern HTAB *cache_make_hash(AuthzCache *c, const char *name, Size keysize,
							 Size entrysize, bool blobs);
extern bool cache_over_budget(AuthzCache *c);
extern bool cache_use_active_snapshot(void);

/* ---- catalog.c: the model's relations, indexes and columns -------------- */

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

typedef enum ModelIndex
{
	IDX_ROLES_PKEY,
	IDX_ROLE_PERMISSIONS_PKEY,
	IDX_ORGS_PKEY,
	IDX_WORKSPACES_PKEY,
	IDX_WORKSPACES_PERSONAL,
	IDX_WORKSPACES_ORG,
	IDX_WORKSPACES_ORG_OPEN,
	IDX_USERS_PKEY,
	IDX_USERS_PG_ROLE,
	IDX_ORG_MEMBERS_USER,
	IDX_PARTICIPANTS_USER,
	IDX_PARTICIPANTS_TEAM,
	IDX_PARTICIPANTS_WS_USER,
	IDX_PARTICIPANTS_WS_TEAM,
	IDX_TEAM_MEMBERS_USER,
	IDX_PARTICIPANT_PERMISSIONS_USER,
	IDX_PARTICIPANT_PERMISSIONS_PKEY,
	IDX_PROJECTS_PKEY,
	IDX_PROJECTS_WORKSPACE,
	IDX_PROJECT_MEMBERS_USER,
	IDX_COUNT
} ModelIndex;

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

extern void model_resolve(void);
extern Oid	model_sentinel_relid(void);
extern AttrNumber model_attnum(ModelCol col);
extern void scan_begin(ModelScan *s, ModelRel rel, int index, int nkeys, ScanKey keys);
extern HeapTuple scan_next(ModelScan *s);
extern void scan_end(ModelScan *s);
extern void scan_by_uuid(ModelScan *s, ModelRel rel, int index, ModelCol col,
						 const pg_uuid_t *id, ScanKeyData *key);
extern void scan_by_uuids(ModelScan *s, ModelRel rel, int index, ModelCol col1,
						  const pg_uuid_t *id1, ModelCol col2, const pg_uuid_t *id2,
						  ScanKeyData *keys);
extern Datum model_get(ModelScan *s, HeapTuple tup, ModelCol col, bool *isnull);
extern bool get_uuid(ModelScan *s, HeapTuple tup, ModelCol col, pg_uuid_t *out);
extern bool get_text_is(ModelScan *s, HeapTuple tup, ModelCol col, const char *value);
extern char *get_cstring(ModelScan *s, HeapTuple tup, ModelCol col);
extern TimestampTz get_expiry(ModelScan *s, HeapTuple tup, ModelCol col);

/* ---- loaders.c ---------------------------------------------------------- */

extern void model_load_registry(AuthzCache *c);

/* ---- memo.c ------------------------------------------------------------- */

extern void memo_create(AuthzCache *c);
extern void memo_drop(AuthzCache *c);

#endif							/* WORKSPACE_AUTHZ_CACHE_INTERNAL_H */
