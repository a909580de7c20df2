/*
 * parallel.c
 *		Parallel queries: the leader's visible sets, passed to its workers.
 *
 * A parallel worker starts with an empty cache and may read the model only
 * with the query's snapshot, so a scan over many workspaces would make every
 * worker (and the leader, which in parallel mode uses a cache tied to the
 * snapshot too) compute the user's visible set again: for an org admin who
 * sees 100,000 workspaces, longer than the scan itself. Instead, when a
 * parallel query starts, the leader computes the visible sets its checks
 * use (authz.can and authz.workspace_array with a constant permission,
 * found in the plan) in its own cache, as a serial plan would use them,
 * copies them with their lookup tables into a dynamic shared memory segment
 * that it detaches when the query ends (after its workers), and names the segment in the setting
 * workspace_authz.parallel_sets, which PostgreSQL copies from a leader to
 * its workers. In parallel mode the leader and its workers answer those
 * checks from that segment only, so every process of the query gives the
 * answers a serial plan in the leader would.
 *
 * The setting is superuser-only (the extension sets it on behalf of any
 * user), hidden from SHOW ALL, rewritten when each parallel query starts,
 * and each set in the segment names its user: a set is used only for that
 * user.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parse_func.h"
#include "storage/dsm.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "workspace_authz.h"

static char *parallel_sets = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorEnd_hook_type prev_executor_end = NULL;

/* The segment this backend created for the query that is running, if any. */
static QueryDesc *shipped_query = NULL;
static dsm_segment *shipped_segment = NULL;

/* What the segment holds: a header, then each set's ids and lookup table. */
typedef struct ShippedSet
{
	pg_uuid_t	user_id;
	int32		bit;
	int32		kind;
	int32		n;
	uint32		mask;
	bool		has_nil;
	Size		ids_offset;
	Size		slots_offset;
} ShippedSet;

typedef struct ShippedHeader
{
	int32		nsets;
	ShippedSet	sets[FLEXIBLE_ARRAY_MEMBER];
} ShippedHeader;

/* The sets of the segment the setting names, mapped once per value. */
static char *mapped_value = NULL;
static int	nmapped = 0;
static VisibleSet *mapped = NULL;
static dsm_segment *mapped_seg = NULL;

typedef struct ShipWalk
{
	Oid			can_oid;
	Oid			array_oid;
	int			nbits;
	int			bits[PERMSET_BITS];
} ShipWalk;

static void
add_permission(ShipWalk *w, Node *arg)
{
	text	   *name;
	int			bit;

	if (arg == NULL || !IsA(arg, Const) || ((Const *) arg)->constisnull)
		return;
	name = DatumGetTextPP(((Const *) arg)->constvalue);
	cache_enter();
	bit = cache_permission_bit(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), true);
	cache_leave();
	if (bit < 0 || cache_permission_is_org(bit))
		return;
	for (int i = 0; i < w->nbits; i++)
		if (w->bits[i] == bit)
			return;
	if (w->nbits < PERMSET_BITS)
		w->bits[w->nbits++] = bit;
}

static bool
find_checks(Node *node, ShipWalk *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;

		if (f->funcid == w->can_oid && list_length(f->args) == 2)
			add_permission(w, lsecond(f->args));
		else if (f->funcid == w->array_oid && list_length(f->args) == 1)
			add_permission(w, linitial(f->args));
	}
	return expression_tree_walker(node, find_checks, (void *) w);
}

static void
walk_plans(List *plans, ShipWalk *w);

/* The checks of a plan tree: its nodes' quals, targets and index quals. */
static void
walk_plan(Plan *plan, ShipWalk *w)
{
	if (plan == NULL)
		return;
	check_stack_depth();
	find_checks((Node *) plan->qual, w);
	find_checks((Node *) plan->targetlist, w);
	switch (nodeTag(plan))
	{
		case T_IndexScan:
			find_checks((Node *) ((IndexScan *) plan)->indexqualorig, w);
			break;
		case T_IndexOnlyScan:
			find_checks((Node *) ((IndexOnlyScan *) plan)->indexqual, w);
			break;
		case T_BitmapIndexScan:
			find_checks((Node *) ((BitmapIndexScan *) plan)->indexqualorig, w);
			break;
		case T_BitmapHeapScan:
			find_checks((Node *) ((BitmapHeapScan *) plan)->bitmapqualorig, w);
			break;
		case T_Append:
			walk_plans(((Append *) plan)->appendplans, w);
			break;
		case T_MergeAppend:
			walk_plans(((MergeAppend *) plan)->mergeplans, w);
			break;
		case T_BitmapAnd:
			walk_plans(((BitmapAnd *) plan)->bitmapplans, w);
			break;
		case T_BitmapOr:
			walk_plans(((BitmapOr *) plan)->bitmapplans, w);
			break;
		case T_SubqueryScan:
			walk_plan(((SubqueryScan *) plan)->subplan, w);
			break;
		case T_CustomScan:
			walk_plans(((CustomScan *) plan)->custom_plans, w);
			break;
		default:
			break;
	}
	walk_plan(plan->lefttree, w);
	walk_plan(plan->righttree, w);
}

static void
walk_plans(List *plans, ShipWalk *w)
{
	ListCell   *lc;

	foreach(lc, plans)
		walk_plan((Plan *) lfirst(lc), w);
}

static Oid
authz_function(const char *name, int nargs, Oid *argtypes)
{
	return LookupFuncName(list_make2(makeString("authz"), makeString(pstrdup(name))),
						  nargs, argtypes, true);
}

/* Forget the mapped sets (the setting changed, or the segment went away). */
static void
forget_mapped(void)
{
	if (mapped)
		pfree(mapped);
	if (mapped_value)
		pfree(mapped_value);
	mapped = NULL;
	nmapped = 0;
	mapped_value = NULL;
	mapped_seg = NULL;
}

static void
segment_detached(dsm_segment *seg, Datum arg)
{
	if (seg == mapped_seg)
		forget_mapped();
	if (seg == shipped_segment)
	{
		shipped_segment = NULL;
		shipped_query = NULL;
	}
}

/* Detach the segment made for a query (its workers are done). */
static void
unship(void)
{
	dsm_segment *seg = shipped_segment;

	shipped_segment = NULL;
	shipped_query = NULL;
	if (seg)
		dsm_detach(seg);
}

/* Read the sets of a segment into `mapped` (pointing into the segment). */
static void
map_sets(dsm_segment *seg, const char *value)
{
	char	   *base = dsm_segment_address(seg);
	ShippedHeader *h = (ShippedHeader *) base;

	forget_mapped();
	mapped = MemoryContextAllocZero(TopMemoryContext, sizeof(VisibleSet) * Max(h->nsets, 1));
	for (int i = 0; i < h->nsets; i++)
	{
		VisibleSet *v = &mapped[i];
		ShippedSet *s = &h->sets[i];

		v->user_id = s->user_id;
		v->bit = s->bit;
		v->kind = s->kind;
		v->n = s->n;
		v->valid_until = DT_NOEND;
		v->ids = (pg_uuid_t *) (base + s->ids_offset);
		v->mask = s->mask;
		v->has_nil = s->has_nil;
		v->slots = (pg_uuid_t *) (base + s->slots_offset);
	}
	nmapped = h->nsets;
	mapped_value = MemoryContextStrdup(TopMemoryContext, value);
	mapped_seg = seg;
	on_dsm_detach(seg, segment_detached, (Datum) 0);
}

/* Set the setting to a segment with the visible sets of the plan's checks. */
static void
ship(QueryDesc *queryDesc)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	ShipWalk	w;
	Oid			types[2] = {UUIDOID, TEXTOID};
	pg_uuid_t	user;
	const VisibleSet *sets[PERMSET_BITS];
	Size		size;
	dsm_segment *seg;
	char	   *base;
	ShippedHeader *h;
	char		value[32];

	memset(&w, 0, sizeof(w));
	w.can_oid = authz_function("can", 2, types);
	w.array_oid = authz_function("workspace_array", 1, &types[1]);
	if (OidIsValid(w.can_oid) && authz_current_user(&user))
	{
		walk_plan(stmt->planTree, &w);
		walk_plans(stmt->subplans, &w);
	}
	unship();					/* a query whose end was not seen */
	if (w.nbits == 0)
	{
		if (parallel_sets != NULL && *parallel_sets != '\0')
			SetConfigOption("workspace_authz.parallel_sets", "", PGC_SUSET, PGC_S_SESSION);
		return;
	}

	cache_enter();
	size = MAXALIGN(offsetof(ShippedHeader, sets) + sizeof(ShippedSet) * w.nbits);
	for (int i = 0; i < w.nbits; i++)
	{
		VisibleSet *own;

		sets[i] = resolve_visible(&user, w.bits[i], RESULT_WORKSPACE);
		if (sets[i]->slots == NULL && sets[i]->serial != 0)
			cache_visible_table(sets[i]);
		if (sets[i]->slots == NULL)
		{
			own = palloc(sizeof(VisibleSet));
			*own = *sets[i];
			visible_set_table(own, CurrentMemoryContext);
			sets[i] = own;
		}
		size += MAXALIGN(sizeof(pg_uuid_t) * sets[i]->n) +
			MAXALIGN(sizeof(pg_uuid_t) * ((Size) sets[i]->mask + 1));
	}
	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
	{
		/* no segment to be had: the workers compute the sets themselves */
		cache_leave();
		SetConfigOption("workspace_authz.parallel_sets", "", PGC_SUSET, PGC_S_SESSION);
		return;
	}
	base = dsm_segment_address(seg);
	h = (ShippedHeader *) base;
	h->nsets = w.nbits;
	size = MAXALIGN(offsetof(ShippedHeader, sets) + sizeof(ShippedSet) * w.nbits);
	for (int i = 0; i < w.nbits; i++)
	{
		ShippedSet *s = &h->sets[i];
		const VisibleSet *v = sets[i];

		s->user_id = user;
		s->bit = v->bit;
		s->kind = RESULT_WORKSPACE;
		s->n = v->n;
		s->mask = v->mask;
		s->has_nil = v->has_nil;
		s->ids_offset = size;
		memcpy(base + size, v->ids, sizeof(pg_uuid_t) * v->n);
		size += MAXALIGN(sizeof(pg_uuid_t) * v->n);
		s->slots_offset = size;
		memcpy(base + size, v->slots, sizeof(pg_uuid_t) * ((Size) v->mask + 1));
		size += MAXALIGN(sizeof(pg_uuid_t) * ((Size) v->mask + 1));
	}
	cache_leave();
	snprintf(value, sizeof(value), "%u", dsm_segment_handle(seg));
	SetConfigOption("workspace_authz.parallel_sets", value, PGC_SUSET, PGC_S_SESSION);
	/* the leader answers from the same segment, until the query ends */
	map_sets(seg, value);
	shipped_query = queryDesc;
	shipped_segment = seg;
}

static void
parallel_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (queryDesc->plannedstmt->parallelModeNeeded && !(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		!IsInParallelMode() && !IsParallelWorker() && IsTransactionState())
		ship(queryDesc);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* After the query's end (its workers have exited), its segment goes. */
static void
parallel_executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (queryDesc == shipped_query)
		unship();
}

/*
 * In parallel mode, the leader's visible set of (user, permission), if it
 * passed one; NULL otherwise, and outside parallel mode.
 */
const VisibleSet *
parallel_visible(const pg_uuid_t *user_id, int bit, ResultKind kind)
{
	const char *value = parallel_sets ? parallel_sets : "";

	if (!IsInParallelMode())
		return NULL;
	if (mapped_value == NULL || strcmp(mapped_value, value) != 0)
	{
		dsm_segment *seg;
		char	   *end;
		unsigned long handle;

		forget_mapped();
		if (*value == '\0' || !IsParallelWorker())
			return NULL;
		handle = strtoul(value, &end, 10);
		if (*end != '\0' || (seg = dsm_find_mapping((dsm_handle) handle)) == NULL)
		{
			seg = *end == '\0' ? dsm_attach((dsm_handle) handle) : NULL;
			if (seg == NULL)
				return NULL;	/* not the leader's segment: compute the sets */
			dsm_pin_mapping(seg);
		}
		map_sets(seg, value);
	}
	for (int i = 0; i < nmapped; i++)
		if (mapped[i].bit == bit && mapped[i].kind == (int32) kind &&
			uuid_cmp_raw(&mapped[i].user_id, user_id) == 0)
			return &mapped[i];
	return NULL;
}

void
parallel_init(void)
{
	DefineCustomStringVariable("workspace_authz.parallel_sets",
							   "Visible sets a parallel query's leader passes to its workers (set by the extension).",
							   NULL,
							   &parallel_sets,
							   "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = parallel_executor_start;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = parallel_executor_end;
}
