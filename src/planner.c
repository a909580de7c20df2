/*
 * planner.c
 *		Planner support for authz.can(workspace, permission) and
 *		authz.can_project(project, permission), and the cost of
 *		authz.workspace_array and authz.project_array.
 *
 * Index condition: when the first argument is an indexed column, the call is
 * equivalent to  column = ANY (authz.workspace_array(permission))  (for
 * projects, authz.project_array), which a btree index can answer; the array
 * is computed when the scan starts (memoised: see checks.c), never baked into
 * the plan, so cached plans stay correct for every user. A btree scan sorts
 * and walks its array at every (re)scan, so the condition is only offered
 * when it pays: not when the planning user sees more than INDEX_SET_MIN
 * workspaces holding more than INDEX_SELECTIVITY_MAX of the rows, where the
 * check stays a filter (constant time per row) and the scan uses the other
 * conditions (a join key, the primary key).
 *
 * Selectivity: the planner is told the fraction of rows in the workspaces (or
 * projects) the current user can see, estimated from the column's statistics
 * exactly as a constant  column = ANY ('{...}')  would be, from a sample of
 * the visible set when it is large. The visible set and the estimate are
 * memoised (memo.c), so planning a statement costs the same for a user who
 * sees 100,000 workspaces as for one who sees ten. Estimates only steer the
 * plan; answers never depend on them.
 *
 * Cost: the arrays cost what a scan pays for them, one operator per member
 * of the planning user's set.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "workspace_authz.h"

/* Above this many visible workspaces, estimate from a prefix and scale. */
#define SELECTIVITY_SAMPLE 1000

/* When an index condition stops paying (see the file header). */
#define INDEX_SET_MIN 1000
#define INDEX_SELECTIVITY_MAX 0.5

/* The functions this support function is attached to. */
typedef enum Supported
{
	SUPPORTED_CAN,				/* authz.can */
	SUPPORTED_CAN_PROJECT,		/* authz.can_project */
	SUPPORTED_WORKSPACE_ARRAY,	/* authz.workspace_array */
	SUPPORTED_PROJECT_ARRAY		/* authz.project_array */
} Supported;

/* Which of them is asked about (one catalog lookup per request). */
static Supported
supported(Oid funcid)
{
	char	   *name = get_func_name(funcid);

	if (name == NULL)
		return SUPPORTED_CAN;
	if (strcmp(name, "can_project") == 0)
		return SUPPORTED_CAN_PROJECT;
	if (strcmp(name, "workspace_array") == 0)
		return SUPPORTED_WORKSPACE_ARRAY;
	if (strcmp(name, "project_array") == 0)
		return SUPPORTED_PROJECT_ARRAY;
	return SUPPORTED_CAN;
}

/* authz.workspace_array(text), or authz.project_array(text) for projects. */
static Oid
array_function_oid(bool projects)
{
	Oid			argtypes[1] = {TEXTOID};

	return LookupFuncName(list_make2(makeString("authz"),
									 makeString(projects ? "project_array" : "workspace_array")),
						  1, argtypes, false);
}

static ScalarArrayOpExpr *
make_any(Oid eqop, Node *column, Node *array)
{
	ScalarArrayOpExpr *saop = makeNode(ScalarArrayOpExpr);

	saop->opno = eqop;
	saop->opfuncid = get_opcode(eqop);
	saop->useOr = true;
	saop->inputcollid = InvalidOid;
	saop->args = list_make2(column, array);
	saop->location = -1;
	return saop;
}

/*
 * The planning user's visible set for a permission: its size and its
 * selectivity on a column, memoised per (relation, column, set). False when
 * the permission is not a known constant.
 */
static bool
visible_estimate(PlannerInfo *root, Node *column, int varRelid, bool projects,
				 Node *permission, Selectivity *selectivity, int *nvisible)
{
	text	   *name;
	int			bit;
	pg_uuid_t	user;
	const VisibleSet *set;
	Oid			relid = InvalidOid;
	AttrNumber	attnum = 0;
	double		s;

	if (!IsA(permission, Const) || ((Const *) permission)->constisnull)
		return false;
	name = DatumGetTextPP(((Const *) permission)->constvalue);
	cache_enter();
	bit = cache_permission_bit(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), true);
	if (bit < 0 || !authz_current_user(&user))
	{
		cache_leave();
		if (bit < 0)
			return false;
		*selectivity = 0.0;		/* no current user: nothing is visible */
		*nvisible = 0;
		return true;
	}
	set = resolve_visible(&user, bit, projects ? RESULT_PROJECT : RESULT_WORKSPACE);
	*nvisible = set->n;
	if (column == NULL)
	{
		cache_leave();
		*selectivity = 0.0;		/* not asked for */
		return true;
	}

	if (root && IsA(column, Var) && ((Var *) column)->varno > 0 &&
		((Var *) column)->varno <= list_length(root->parse->rtable))
	{
		RangeTblEntry *rte = planner_rt_fetch(((Var *) column)->varno, root);

		if (rte->rtekind == RTE_RELATION)
		{
			relid = rte->relid;
			attnum = rte->inh ? -((Var *) column)->varattno : ((Var *) column)->varattno;
		}
	}
	if (!OidIsValid(relid) || !cache_selectivity_find(relid, attnum, set, &s))
	{
		int			sample = Min(set->n, SELECTIVITY_SAMPLE);
		Const	   *array = makeConst(UUIDARRAYOID, -1, InvalidOid, -1,
									  visible_set_array(set, sample), false, false);

		s = clause_selectivity(root,
							   (Node *) make_any(lookup_type_cache(UUIDOID, TYPECACHE_EQ_OPR)->eq_opr,
												 column, (Node *) array),
							   varRelid, JOIN_INNER, NULL);
		if (sample > 0)
			s *= (double) set->n / sample;
		s = Min(Max(s, 0.0), 1.0);
		if (OidIsValid(relid))
			cache_selectivity_store(relid, attnum, set, s);
	}
	cache_leave();
	*selectivity = s;
	return true;
}

static List *
can_index_condition(SupportRequestIndexCondition *req, Supported fn)
{
	FuncExpr   *call;
	Node	   *permission;
	Oid			eqop;
	FuncExpr   *array;
	bool		projects;
	Selectivity s;
	int			n;

	if (!is_funcclause(req->node) || req->indexarg != 0)
		return NIL;
	call = (FuncExpr *) req->node;
	if (list_length(call->args) != 2 ||
		(fn != SUPPORTED_CAN && fn != SUPPORTED_CAN_PROJECT))
		return NIL;
	permission = lsecond(call->args);
	projects = fn == SUPPORTED_CAN_PROJECT;

	/* The permission must be fixed for the whole scan. */
	if (contain_var_clause(permission) || contain_volatile_functions(permission))
		return NIL;
	if (req->index->relam != BTREE_AM_OID || !req->index->amsearcharray)
		return NIL;
	eqop = get_opfamily_member(req->opfamily, UUIDOID, UUIDOID, BTEqualStrategyNumber);
	if (!OidIsValid(eqop))
		return NIL;
	if (visible_estimate(req->root, linitial(call->args), req->index->rel->relid, projects,
						 permission, &s, &n) &&
		n > INDEX_SET_MIN && s > INDEX_SELECTIVITY_MAX)
		return NIL;

	array = makeFuncExpr(array_function_oid(projects), UUIDARRAYOID,
						 list_make1(copyObject(permission)),
						 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	req->lossy = false;
	return list_make1(make_any(eqop, copyObject(linitial(call->args)), (Node *) array));
}

static bool
can_selectivity(SupportRequestSelectivity *req, Supported fn)
{
	Selectivity s;
	int			n;

	if (req->is_join || list_length(req->args) != 2 ||
		(fn != SUPPORTED_CAN && fn != SUPPORTED_CAN_PROJECT))
		return false;
	if (!visible_estimate(req->root, linitial(req->args), req->varRelid,
						  fn == SUPPORTED_CAN_PROJECT, lsecond(req->args), &s, &n))
		return false;
	req->selectivity = s;
	return true;
}

/* workspace_array / project_array: one operator per member of the set. */
static bool
array_cost(SupportRequestCost *req, Supported fn)
{
	FuncExpr   *call = (FuncExpr *) req->node;
	Selectivity s;
	int			n;

	if ((fn != SUPPORTED_WORKSPACE_ARRAY && fn != SUPPORTED_PROJECT_ARRAY) ||
		call == NULL || !IsA(call, FuncExpr) || list_length(call->args) != 1)
		return false;
	if (!visible_estimate(NULL, NULL, 0, fn == SUPPORTED_PROJECT_ARRAY,
						  linitial(call->args), &s, &n))
		return false;
	req->startup = 0;
	req->per_tuple = cpu_operator_cost * Max(n, 1);
	return true;
}

PG_FUNCTION_INFO_V1(planner_can_support);
Datum
planner_can_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
	{
		SupportRequestIndexCondition *req = (SupportRequestIndexCondition *) rawreq;
		List	   *conds = can_index_condition(req, supported(req->funcid));

		PG_RETURN_POINTER(conds);
	}
	if (IsA(rawreq, SupportRequestCost))
	{
		SupportRequestCost *req = (SupportRequestCost *) rawreq;

		if (array_cost(req, supported(req->funcid)))
			PG_RETURN_POINTER(req);
		PG_RETURN_POINTER(NULL);
	}
	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;

		if (can_selectivity(req, supported(req->funcid)))
			PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}
