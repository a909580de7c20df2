/*
 * cache.c
 *		Per-backend cache of the authorization model: its memory (one context
 *		per cache, the size budget), its lifecycle (entering, building,
 *		resetting) and the invalidation that keeps it coherent. What it holds
 *		is read by the loaders (loaders.c) through the model's catalogue
 *		(catalog.c); memoised answers live in the memo store (memo.c).
 *
 * Coherence.  Every write to an authz table fires a trigger
 * (cache_invalidate_trigger) that queues relcache invalidations naming what
 * changed: a change to the registry or the roles names "everything", a row of
 * the other tables names its user, organization, workspace, team or project by
 * an invalidation key (a 30-bit hash of the kind and the identifier, above
 * every relation OID PostgreSQL hands out in practice; a real relation that
 * shares the number only costs a spurious invalidation).  PostgreSQL
 * processes them in this backend at the next command boundary, in other
 * backends once the writer commits (and on hot standbys, from the commit
 * record), and replays them locally when the writer aborts, so a rolled-back
 * change leaves no trace.  A transaction that names more than
 * MAX_KEYS_PER_XACT keys names "everything" instead.
 *
 * "Everything" (and a reset of the whole relcache, such as a sinval queue
 * overflow) marks the caches stale: they are reset at the next outermost
 * cache_enter(), never while pointers into them are live.  A key bumps the
 * epoch of its bucket (one of INVAL_BUCKETS). Each cached entry keeps the
 * keys it was read from with their buckets' epochs (CacheDep) and is valid
 * while they are unchanged: a change about one tenant or one user leaves
 * every other tenant's entries in place (bar a bucket collision, which only
 * costs a reload). Validity is decided once per outermost entry (a frame):
 * an entry found valid in a frame stays so until the frame ends, so pointers
 * taken in a frame stay valid through it; an entry not yet checked in the
 * frame may be reloaded in place.
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

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "workspace_authz.h"
#include "cache_internal.h"

/* This backend's local transaction id (moved into vxid in PostgreSQL 17). */
#if PG_VERSION_NUM >= 170000
#define MY_LXID (MyProc->vxid.lxid)
#else
#define MY_LXID (MyProc->lxid)
#endif

static AuthzCache persistent_cache;
static AuthzCache transient_cache;
AuthzCache *cache_cur;			/* the cache in use by the outermost entry */
static int	cache_depth = 0;

uint64		authz_cache_generation = 1;

CacheStats	cache_stats;

/* ---- invalidation keys and epochs --------------------------------------- */

#define INVAL_BUCKETS		4096
#define INVAL_KEY_BASE		((uint32) 0xC0000000)
#define INVAL_KEY_ALL		INVAL_KEY_BASE	/* "everything" */
#define INVAL_POISON		PG_UINT32_MAX	/* an epoch no bucket reaches */
#define MAX_KEYS_PER_XACT	64

static uint32 bucket_epoch[INVAL_BUCKETS];
uint64		cache_inval_seq = 1;
uint64		cache_frame_seq = 0;
uint64		cache_relcache_seq = 0;	/* relcache invalidations of relations */

/* The invalidation key of an identifier of some kind. */
uint32
inval_key(InvalKind kind, const void *data, Size len)
{
	uint32		h = hash_combine(hash_bytes((const unsigned char *) data, (int) len),
								 (uint32) kind);

	h &= ~INVAL_KEY_BASE;
	if (h == 0)
		h = 1;
	return INVAL_KEY_BASE | h;
}

static inline uint32 *
bucket_of(uint32 key)
{
	return &bucket_epoch[key % INVAL_BUCKETS];
}

/*
 * Record the epochs of keys an entry was just read from. If an invalidation
 * arrived since the load began (seq_at_load), the entry may predate it: it
 * serves the frame that loaded it and is reloaded at its next check.
 */
void
cache_deps_seal(CacheDep *deps, int n, uint64 seq_at_load)
{
	for (int i = 0; i < n; i++)
		deps[i].epoch = cache_inval_seq == seq_at_load ? *bucket_of(deps[i].key) : INVAL_POISON;
}

bool
cache_deps_valid(const CacheDep *deps, int n)
{
	for (int i = 0; i < n; i++)
		if (deps[i].epoch != *bucket_of(deps[i].key))
			return false;
	return true;
}

/* ---- invalidation ------------------------------------------------------- */

static void
mark_stale(void)
{
	persistent_cache.stale = true;
	transient_cache.stale = true;
	authz_cache_generation++;
	cache_inval_seq++;
}

/*
 * Relcache callback: "everything", a key, a full reset, or any relation
 * (whose statistics the planner's memoised estimates may have used).
 */
static void
cache_relcache_callback(Datum arg, Oid relid)
{
	uint32		key = (uint32) relid;

	if (relid == InvalidOid || (key & INVAL_KEY_BASE) != INVAL_KEY_BASE)
		cache_relcache_seq++;	/* a relation's statistics may have changed */
	if (relid == InvalidOid || key == INVAL_KEY_ALL ||
		(OidIsValid(model_sentinel_relid()) && relid == model_sentinel_relid()))
	{
		cache_stats.invalidations++;
		mark_stale();
	}
	else if ((key & INVAL_KEY_BASE) == INVAL_KEY_BASE)
	{
		cache_stats.invalidations++;
		(*bucket_of(key))++;
		cache_inval_seq++;
		authz_cache_generation++;
	}
}

/* Syscache callback on pg_authid: login role names feed the identity map. */
static void
cache_authid_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	cache_stats.invalidations++;
	mark_stale();
}

/*
 * Keys the current command has queued (each is queued once per command: this
 * backend processes them at the command's end), and how many keys the
 * transaction queued in all (past MAX_KEYS_PER_XACT, "everything").
 */
static uint32 sent_keys[MAX_KEYS_PER_XACT];
static int	nsent_keys = 0;
static bool sent_all = false;
static CommandId sent_cid = InvalidCommandId;
static int	xact_keys = 0;

static void
forget_sent_keys(void)
{
	nsent_keys = 0;
	sent_all = false;
	sent_cid = InvalidCommandId;
	xact_keys = 0;
}

/* On abort no cache frame can still be running: errors unwind through them. */
static void
cache_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		cache_depth = 0;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		forget_sent_keys();
}

/*
 * A subtransaction's invalidations die with it: forget what the command sent,
 * so that it sends again what it changes next.
 */
static void
cache_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		cache_depth = 0;
		forget_sent_keys();
	}
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
 * Queue a transactional invalidation of a key: a relcache invalidation of
 * the "relation" whose OID is the key. PostgreSQL reads only the OID and
 * relisshared of the pg_class tuple it is given, and sends the message with
 * the transaction's other invalidations.
 */
static void
send_key(uint32 key)
{
	union
	{
		HeapTupleHeaderData hdr;
		char		data[MAXALIGN(SizeofHeapTupleHeader) + sizeof(FormData_pg_class)];
	}			buf;
	HeapTupleData tup;
	Form_pg_class cls;

	CommandId	cid = GetCurrentCommandId(false);

	if (cid != sent_cid)
	{
		nsent_keys = 0;
		sent_all = false;
		sent_cid = cid;
	}
	if (sent_all)
		return;
	for (int i = 0; i < nsent_keys; i++)
		if (sent_keys[i] == key)
			return;
	if (key != INVAL_KEY_ALL && (xact_keys >= MAX_KEYS_PER_XACT || nsent_keys == MAX_KEYS_PER_XACT))
		key = INVAL_KEY_ALL;
	if (key == INVAL_KEY_ALL)
		sent_all = true;
	else
	{
		sent_keys[nsent_keys++] = key;
		xact_keys++;
	}

	memset(&buf, 0, sizeof(buf));
	buf.hdr.t_hoff = MAXALIGN(SizeofHeapTupleHeader);
	cls = (Form_pg_class) ((char *) &buf + buf.hdr.t_hoff);
	cls->oid = (Oid) key;
	cls->relisshared = false;
	memset(&tup, 0, sizeof(tup));
	tup.t_data = &buf.hdr;
	tup.t_len = sizeof(buf);
	tup.t_tableOid = RelationRelationId;
	CacheInvalidateRelcacheByTuple(&tup);
}

/*
 * The keys one row names: arguments "kind=column" (or "projects"). False
 * for an argument it does not understand.
 */
static bool
send_row_keys(Trigger *trigger, TupleDesc desc, HeapTuple row)
{
	for (int i = 0; i < trigger->tgnargs; i++)
	{
		const char *arg = trigger->tgargs[i];
		const char *eq = strchr(arg, '=');
		InvalKind	kind;
		int			attno;
		Datum		d;
		bool		isnull;
		Oid			type;

		if (eq == NULL)
		{
			if (strcmp(arg, "projects") != 0)
				return false;
			send_key(inval_key(INVAL_PROJECTS, "", 0));
			continue;
		}
		if (strncmp(arg, "user=", 5) == 0)
			kind = INVAL_USER;
		else if (strncmp(arg, "org=", 4) == 0)
			kind = INVAL_ORG;
		else if (strncmp(arg, "org_workspaces=", 15) == 0)
			kind = INVAL_ORG_WORKSPACES;
		else if (strncmp(arg, "workspace=", 10) == 0)
			kind = INVAL_WORKSPACE;
		else if (strncmp(arg, "team=", 5) == 0)
			kind = INVAL_TEAM;
		else if (strncmp(arg, "project=", 8) == 0)
			kind = INVAL_PROJECT;
		else if (strncmp(arg, "login=", 6) == 0)
			kind = INVAL_LOGIN;
		else
			return false;
		attno = SPI_fnumber(desc, eq + 1);
		if (attno <= 0)
			return false;
		d = heap_getattr(row, attno, desc, &isnull);
		if (isnull)
			continue;
		type = TupleDescAttr(desc, attno - 1)->atttypid;
		if (type == UUIDOID)
			send_key(inval_key(kind, DatumGetUUIDP(d)->data, UUID_LEN));
		else if (type == NAMEOID)
			send_key(inval_key(kind, NameStr(*DatumGetName(d)), strlen(NameStr(*DatumGetName(d)))));
		else
			return false;
	}
	return true;
}

/*
 * Trigger on every authz table: queue the invalidations of what a change
 * affects (see the file header). As a row trigger with arguments, the keys
 * each row names (its old and new versions); otherwise, and for any argument
 * it does not understand, "everything".
 */
PG_FUNCTION_INFO_V1(cache_invalidate_trigger);
Datum
cache_invalidate_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Trigger    *trigger;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("authz._invalidate_cache() must be called as a trigger")));
	trigger = td->tg_trigger;
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event) && trigger->tgnargs > 0)
	{
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		bool		ok = true;

		if (td->tg_trigtuple)
			ok = send_row_keys(trigger, desc, td->tg_trigtuple);
		if (ok && TRIGGER_FIRED_BY_UPDATE(td->tg_event) && td->tg_newtuple)
			ok = send_row_keys(trigger, desc, td->tg_newtuple);
		if (!ok)
			send_key(INVAL_KEY_ALL);
	}
	else
		send_key(INVAL_KEY_ALL);
	return PointerGetDatum(NULL);
}

/* ---- cache lifecycle ---------------------------------------------------- */

HTAB *
cache_make_hash(AuthzCache *c, const char *name, Size keysize, Size entrysize, bool blobs)
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

	if (c->valid)
		cache_stats.resets++;
	if (ctx)
		MemoryContextReset(ctx);
	memset(c, 0, sizeof(AuthzCache));
	c->ctx = ctx;
	authz_cache_generation++;
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
	c->perm_by_name = cache_make_hash(c, "authz permissions", PERM_NAME_MAX, sizeof(PermName), false);
	c->roles = cache_make_hash(c, "authz roles", sizeof(pg_uuid_t), sizeof(RoleInfo), true);
	c->orgs = cache_make_hash(c, "authz orgs", sizeof(pg_uuid_t), sizeof(OrgInfo), true);
	c->workspaces = cache_make_hash(c, "authz workspaces", sizeof(pg_uuid_t), sizeof(WorkspaceInfo), true);
	c->projects = cache_make_hash(c, "authz projects", sizeof(pg_uuid_t), sizeof(ProjectInfo), true);
	c->users = cache_make_hash(c, "authz users", sizeof(pg_uuid_t), sizeof(UserInfo), true);
	memo_create(c);
	c->logins = cache_make_hash(c, "authz logins", sizeof(Oid), sizeof(LoginEntry), true);
	model_resolve();
	c->org_create_bit = -1;
	model_load_registry(c);
	c->valid = true;
}

bool
cache_over_budget(AuthzCache *c)
{
	return MemoryContextMemAllocated(c->ctx, true) > (Size) authz_cache_size_kb * 1024;
}

/* Past the budget: drop the answers, and everything if that is not enough. */
static void
shed_answers(AuthzCache *c)
{
	memo_drop(c);
	c->over_budget = false;
	if (cache_over_budget(c))
		cache_reset(c);
}

/* Must entries be read with the active snapshot rather than the latest? */
bool
cache_use_active_snapshot(void)
{
	return IsInParallelMode() || IsolationUsesXactSnapshot();
}

/*
 * Does the transient cache belong to the snapshot now active? Under
 * REPEATABLE READ the snapshot is the transaction's, and only its command id
 * moves; this backend's own writes invalidate the cache anyway, so entries
 * stay valid across the transaction's commands.
 */
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

	if (cache_depth > 0 || !IsTransactionState() || cache_use_active_snapshot())
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
	cache_frame_seq = cache_inval_seq;

	if (cache_use_active_snapshot())
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
	cache_cur = c;
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

/*
 * authz.cache_stats(): this backend's counters, and the memory its caches
 * hold now (the persistent cache and the snapshot one).
 */
PG_FUNCTION_INFO_V1(cache_stats_sql);
Datum
cache_stats_sql(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	Size		bytes = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("authz.cache_stats() must return a row")));
	if (persistent_cache.ctx)
		bytes += MemoryContextMemAllocated(persistent_cache.ctx, true);
	if (transient_cache.ctx)
		bytes += MemoryContextMemAllocated(transient_cache.ctx, true);
	values[0] = Int64GetDatum((int64) cache_stats.hits);
	values[1] = Int64GetDatum((int64) cache_stats.misses);
	values[2] = Int64GetDatum((int64) cache_stats.loads);
	values[3] = Int64GetDatum((int64) cache_stats.resets);
	values[4] = Int64GetDatum((int64) cache_stats.invalidations);
	values[5] = Int64GetDatum((int64) bytes);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
