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
 * found in the plan) in its own cache, as a serial plan would use them, and
 * passes them to its workers in the setting workspace_authz.parallel_sets,
 * which PostgreSQL copies from a leader to its workers. In parallel mode the
 * leader and its workers answer those checks from those sets only, so every
 * process of the query gives the answers a serial plan in the leader would.
 *
 * The setting is superuser-only (the extension sets it on behalf of any
 * user), hidden from SHOW ALL, and names its user: a set is used only for
 * that user. Its value is ';'-separated sets, each
 * kind:bit:user:count:ids, the uuids in hex.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "workspace_authz.h"

static char *parallel_sets = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;

/* The sets of the setting's current value, parsed once per value. */
static const char *parsed_value = NULL;
static char *parsed_copy = NULL;
static int	nparsed = 0;
static VisibleSet *parsed = NULL;
static MemoryContext parsed_cxt = NULL;

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

/* Forget what was parsed (the setting changed, or is being set). */
static void
forget_parsed(void)
{
	if (parsed_cxt)
		MemoryContextReset(parsed_cxt);
	parsed = NULL;
	nparsed = 0;
	parsed_value = NULL;
	parsed_copy = NULL;
}

/* Are the parsed sets those of the setting's current value? */
static bool
parsed_current(void)
{
	return parsed_value == parallel_sets && parsed_copy != NULL &&
		(parallel_sets == NULL ? *parsed_copy == '\0' : strcmp(parsed_copy, parallel_sets) == 0);
}

/* Set the setting to the visible sets of the plan's checks (or to nothing). */
static void
ship(PlannedStmt *stmt)
{
	ShipWalk	w;
	Oid			types[2] = {UUIDOID, TEXTOID};
	pg_uuid_t	user;
	StringInfoData buf;
	MemoryContext old;

	initStringInfo(&buf);
	memset(&w, 0, sizeof(w));
	w.can_oid = authz_function("can", 2, types);
	w.array_oid = authz_function("workspace_array", 1, &types[1]);
	if (OidIsValid(w.can_oid) && authz_current_user(&user))
	{
		walk_plan(stmt->planTree, &w);
		walk_plans(stmt->subplans, &w);
	}
	if (w.nbits == 0 && (parallel_sets == NULL || *parallel_sets == '\0'))
	{
		pfree(buf.data);
		return;					/* nothing to pass, and nothing passed before */
	}
	forget_parsed();
	if (parsed_cxt == NULL)
		parsed_cxt = AllocSetContextCreate(TopMemoryContext, "workspace_authz parallel sets",
										   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(parsed_cxt);
	parsed = palloc0(sizeof(VisibleSet) * Max(w.nbits, 1));
	MemoryContextSwitchTo(old);
	cache_enter();
	for (int i = 0; i < w.nbits; i++)
	{
		const VisibleSet *v = resolve_visible(&user, w.bits[i], RESULT_WORKSPACE);
		VisibleSet *p = &parsed[nparsed++];
		char	   *hex;

		memset(p, 0, sizeof(*p));
		p->user_id = user;
		p->bit = w.bits[i];
		p->kind = RESULT_WORKSPACE;
		p->n = v->n;
		p->valid_until = DT_NOEND;
		p->ids = MemoryContextAlloc(parsed_cxt, sizeof(pg_uuid_t) * Max(v->n, 1));
		memcpy(p->ids, v->ids, sizeof(pg_uuid_t) * v->n);
		appendStringInfo(&buf, "%s%d:%d:%s:%d:", i ? ";" : "", (int) RESULT_WORKSPACE,
						 w.bits[i], uuid_to_cstring(&user), v->n);
		enlargeStringInfo(&buf, v->n * UUID_LEN * 2 + 1);
		hex = buf.data + buf.len;
		buf.len += (int) hex_encode((const char *) v->ids, (size_t) v->n * UUID_LEN, hex);
		buf.data[buf.len] = '\0';
	}
	cache_leave();
	SetConfigOption("workspace_authz.parallel_sets", buf.data, PGC_SUSET, PGC_S_SESSION);
	/* the leader keeps what it computed: no need to parse its own value */
	parsed_value = parallel_sets;
	parsed_copy = MemoryContextStrdup(parsed_cxt, buf.data);
	pfree(buf.data);
}

static void
parallel_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (queryDesc->plannedstmt->parallelModeNeeded && !(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		!IsInParallelMode() && !IsParallelWorker() && IsTransactionState())
		ship(queryDesc->plannedstmt);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* Parse the setting's value (in a worker: as its leader set it). */
static void
parse_value(void)
{
	const char *p = parallel_sets;
	int			count = 0;

	forget_parsed();
	if (parsed_cxt == NULL)
		parsed_cxt = AllocSetContextCreate(TopMemoryContext, "workspace_authz parallel sets",
										   ALLOCSET_DEFAULT_SIZES);
	parsed_value = parallel_sets;
	parsed_copy = MemoryContextStrdup(parsed_cxt, p ? p : "");
	if (p == NULL || *p == '\0')
		return;
	for (const char *c = p; *c; c++)
		count += (*c == ';');
	parsed = MemoryContextAllocZero(parsed_cxt, sizeof(VisibleSet) * (count + 1));
	while (*p)
	{
		VisibleSet *v = &parsed[nparsed];
		int			kind,
					bit,
					n,
					used = 0;
		char		user[37];

		if (sscanf(p, "%d:%d:%36[0-9a-f-]:%d:%n", &kind, &bit, user, &n, &used) != 4 || used == 0 ||
			n < 0 || strlen(p + used) < (size_t) n * UUID_LEN * 2)
			break;				/* not the extension's own value: use none of it */
		p += used;
		v->user_id = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(user)));
		v->kind = kind;
		v->bit = bit;
		v->n = n;
		v->valid_until = DT_NOEND;
		v->ids = MemoryContextAlloc(parsed_cxt, sizeof(pg_uuid_t) * Max(n, 1));
		hex_decode(p, (size_t) n * UUID_LEN * 2, (char *) v->ids);
		p += (size_t) n * UUID_LEN * 2;
		nparsed++;
		if (*p == ';')
			p++;
	}
}

/*
 * In parallel mode, the leader's visible set of (user, permission), if it
 * passed one; NULL otherwise, and outside parallel mode.
 */
const VisibleSet *
parallel_visible(const pg_uuid_t *user_id, int bit, ResultKind kind)
{
	if (!IsInParallelMode())
		return NULL;
	if (!parsed_current())
		parse_value();
	for (int i = 0; i < nparsed; i++)
		if (parsed[i].bit == bit && parsed[i].kind == (int32) kind &&
			uuid_cmp_raw(&parsed[i].user_id, user_id) == 0)
			return &parsed[i];
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
}
