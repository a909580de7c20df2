/*
 * memo.c
 *		The memo store: answers the resolver computed for one (user,
 *		workspace) or (user, project) pair, kept in the cache in use until
 *		the next invalidation, and dropped first when the cache passes
 *		workspace_authz.cache_size (callers only ever hold copies).
 */
#include "postgres.h"

#include "utils/hsearch.h"

#include "workspace_authz.h"
#include "cache_internal.h"

/* Create the (empty) memo store of a cache being built or shed. */
void
memo_create(AuthzCache *c)
{
	c->results = cache_make_hash(c, "authz results", sizeof(ResultKey), sizeof(ResultEntry), true);
}

ResultEntry *
cache_result_find(const ResultKey *key)
{
	ResultEntry *e = hash_search(cache_cur->results, key, HASH_FIND, NULL);

	if (e)
		cache_stats.hits++;
	else
		cache_stats.misses++;
	return e;
}

/* Store an answer computed under generation `generation`, unless outdated. */
void
cache_result_store(const ResultEntry *entry, uint64 generation)
{
	ResultEntry *e;

	if (generation != authz_cache_generation || cache_cur->stale || cache_cur->over_budget)
		return;
	if (cache_over_budget(cache_cur))
	{
		cache_cur->over_budget = true;
		return;
	}
	e = hash_search(cache_cur->results, &entry->key, HASH_ENTER, NULL);
	*e = *entry;
}
