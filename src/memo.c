/*
 * memo.c
 *		The memo store: answers the resolver computed for one (user,
 *		workspace) or (user, project) pair, the sets of workspaces (or
 *		projects) where a user holds a permission, and the planner's
 *		estimates for those sets. Each is kept in the cache in use while what
 *		it was computed from is unchanged (its user's load and its
 *		invalidation keys, see cache.c), and all are dropped first when the
 *		cache passes workspace_authz.cache_size. Callers hold copies, or
 *		pointers used within one cache frame; a check's call site may keep a
 *		visible set's lookup table across frames while the cache generation
 *		is unchanged: every path that frees one starts a new generation
 *		(a reset, shedding the memo store, an invalidation concerning it).
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "workspace_authz.h"
#include "cache_internal.h"

typedef struct VisibleKey
{
	pg_uuid_t	user_id;
	int32		bit;
	int32		kind;
} VisibleKey;

/* A planner estimate for one column and one visible set. */
typedef struct SelectivityKey
{
	Oid			relid;
	AttrNumber	attnum;
	int32		bit;
	int32		kind;
	pg_uuid_t	user_id;
} SelectivityKey;

typedef struct SelectivityEntry
{
	SelectivityKey key;
	uint64		set_serial;		/* the visible set it was estimated for */
	uint64		relcache_seq;	/* statistics as of this relcache state */
	double		selectivity;
} SelectivityEntry;

/* Create the (empty) memo store of a cache being built or shed. */
void
memo_create(AuthzCache *c)
{
	c->results = cache_make_hash(c, "authz results", sizeof(ResultKey), sizeof(ResultEntry), true);
	c->visible = cache_make_hash(c, "authz visible sets", sizeof(VisibleKey), sizeof(VisibleSet), true);
	c->selectivities = cache_make_hash(c, "authz selectivities", sizeof(SelectivityKey),
									   sizeof(SelectivityEntry), true);
}

/*
 * Drop every memoised answer (their memory goes with the cache's context).
 * A new generation: call sites that keep a visible set's table drop it.
 */
void
memo_drop(AuthzCache *c)
{
	authz_cache_generation++;
	hash_destroy(c->results);
	hash_destroy(c->visible);
	hash_destroy(c->selectivities);
	memo_create(c);
}

/* Was an answer computed from the user's current load, and is it valid? */
static bool
answer_fresh(uint64 *checked, const CacheDep *deps, int ndeps,
			 const pg_uuid_t *user_id, uint64 user_serial)
{
	if (*checked == cache_frame_seq)
		return true;
	if (!cache_deps_valid(deps, ndeps) || cache_user(user_id)->serial != user_serial)
		return false;
	*checked = cache_frame_seq;
	return true;
}

/* A memoised answer, if there is a valid one. */
ResultEntry *
cache_result_find(const ResultKey *key)
{
	ResultEntry *e = hash_search(cache_cur->results, key, HASH_FIND, NULL);

	if (e && !answer_fresh(&e->checked, e->deps, e->ndeps, &key->user_id, e->user_serial))
		e = NULL;
	if (e)
		cache_stats.hits++;
	else
		cache_stats.misses++;
	return e;
}

/* May an answer computed under `generation` be kept? */
static bool
may_store(uint64 generation)
{
	if (generation != authz_cache_generation || cache_cur->stale || cache_cur->over_budget)
		return false;
	if (cache_over_budget(cache_cur))
	{
		cache_cur->over_budget = true;
		return false;
	}
	return true;
}

/* Store an answer computed under generation `generation`, unless outdated. */
void
cache_result_store(const ResultEntry *entry, uint64 generation)
{
	ResultEntry *e;

	if (!may_store(generation))
		return;
	e = hash_search(cache_cur->results, &entry->key, HASH_ENTER, NULL);
	*e = *entry;
	cache_deps_seal(e->deps, e->ndeps, cache_inval_seq);
	e->checked = cache_frame_seq;
}

static void
free_visible(VisibleSet *v)
{
	if (v->ids)
		pfree(v->ids);
	if (v->deps)
		pfree(v->deps);
	if (v->slots)
		pfree(v->slots);
}

static void
visible_key(VisibleKey *key, const pg_uuid_t *user_id, int bit, ResultKind kind)
{
	memset(key, 0, sizeof(*key));
	key->user_id = *user_id;
	key->bit = bit;
	key->kind = (int32) kind;
}

/* The memoised visible set, if there is a valid one. */
const VisibleSet *
cache_visible_find(const pg_uuid_t *user_id, int bit, ResultKind kind)
{
	VisibleKey	key;
	VisibleSet *v;

	visible_key(&key, user_id, bit, kind);
	v = hash_search(cache_cur->visible, &key, HASH_FIND, NULL);
	if (v && (v->valid_until <= GetCurrentStatementStartTimestamp() ||
			  !answer_fresh(&v->checked, v->deps, v->ndeps, user_id, v->user_serial)))
	{
		free_visible(v);
		hash_search(cache_cur->visible, &key, HASH_REMOVE, NULL);
		v = NULL;
	}
	if (v)
		cache_stats.hits++;
	else
		cache_stats.misses++;
	return v;
}

/*
 * Keep a visible set computed under `generation` (its arrays in the caller's
 * memory); returns the kept copy, or NULL when it may not be kept.
 */
const VisibleSet *
cache_visible_store(const VisibleSet *set, uint64 generation)
{
	static uint64 serial = 0;
	VisibleKey	key;
	VisibleSet *v;

	if (!may_store(generation))
		return NULL;
	visible_key(&key, &set->user_id, set->bit, (ResultKind) set->kind);
	v = hash_search(cache_cur->visible, &key, HASH_ENTER, NULL);
	*v = *set;
	v->serial = ++serial;
	v->ids = set->n ? MemoryContextAlloc(cache_cur->ctx, sizeof(pg_uuid_t) * set->n) : NULL;
	if (set->n)
		memcpy(v->ids, set->ids, sizeof(pg_uuid_t) * set->n);
	v->slots = NULL;
	v->deps = set->ndeps ? MemoryContextAlloc(cache_cur->ctx, sizeof(CacheDep) * set->ndeps) : NULL;
	if (set->ndeps)
		memcpy(v->deps, set->deps, sizeof(CacheDep) * set->ndeps);
	cache_deps_seal(v->deps, v->ndeps, cache_inval_seq);
	v->checked = cache_frame_seq;
	return v;
}

/*
 * Build the lookup table of a kept visible set, once. It lives as long as the
 * set: until an invalidation that concerns it, or a reset or a shedding of
 * the memo store, each of which starts a new generation.
 */
void
cache_visible_table(const VisibleSet *set)
{
	VisibleSet *v = (VisibleSet *) set;

	if (v->slots == NULL)
	{
		visible_set_table(v, cache_cur->ctx);
		if (cache_over_budget(cache_cur))
			cache_cur->over_budget = true;
	}
}

static void
selectivity_key(SelectivityKey *key, Oid relid, AttrNumber attnum, const VisibleSet *set)
{
	memset(key, 0, sizeof(*key));
	key->relid = relid;
	key->attnum = attnum;
	key->bit = set->bit;
	key->kind = set->kind;
	key->user_id = set->user_id;
}

/* The estimate for a column and a (kept) visible set, as long as both hold. */
bool
cache_selectivity_find(Oid relid, AttrNumber attnum, const VisibleSet *set, double *selectivity)
{
	SelectivityKey key;
	SelectivityEntry *e;

	selectivity_key(&key, relid, attnum, set);
	e = hash_search(cache_cur->selectivities, &key, HASH_FIND, NULL);
	if (e == NULL || e->set_serial != set->serial || e->relcache_seq != cache_relcache_seq)
		return false;
	*selectivity = e->selectivity;
	return true;
}

void
cache_selectivity_store(Oid relid, AttrNumber attnum, const VisibleSet *set, double selectivity)
{
	SelectivityKey key;
	SelectivityEntry *e;

	if (set->serial == 0 || !may_store(authz_cache_generation))
		return;
	selectivity_key(&key, relid, attnum, set);
	e = hash_search(cache_cur->selectivities, &key, HASH_ENTER, NULL);
	e->set_serial = set->serial;
	e->relcache_seq = cache_relcache_seq;
	e->selectivity = selectivity;
}
