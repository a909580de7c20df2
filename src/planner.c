/*
 * planner.c
 *		Planner support for authz.can(workspace, permission) and
 *		authz.can_project(project, permission).
 *
 * Index condition: when the first argument is an indexed column, the call is
 * equivalent to  column = ANY (authz.workspace_array(permission))  (for
 * projects, authz.project_array), which a btree index can answer; the array
 * is computed once per scan, never baked into the plan, so cached plans stay
 * correct for every user.
 *
 * Selectivity: the planner is told the fraction of rows in the workspaces (or
 * projects) the current user can see, estimated from the column's statistics
 * exactly as a constant  column = ANY ('{...}')  would be. Estimates only
 * steer the plan; answers never depend on them.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "workspace_authz.h"

/* Above this many visible workspaces, estimate from a prefix and scale. */
#define SELECTIVITY_SAMPLE 1000

/* Is the supported function authz.can_project (else authz.can)? */
static bool
is_project_check(Oid funcid)
{
	char	   *name = get_func_name(funcid);

	return name != NULL && strcmp(name, "can_project") == 0;
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

static List *
can_index_condition(SupportRequestIndexCondition *req)
{
	FuncExpr   *call;
	Node	   *permission;
	Oid			eqop;
	FuncExpr   *array;

	if (!is_funcclause(req->node) || req->indexarg != 0)
		return NIL;
	call = (FuncExpr *) req->node;
	if (list_length(call->args) != 2)
		return NIL;
	permission = lsecond(call->args);

	/* The permission must be fixed for the whole scan. */
	if (contain_var_clause(permission) || contain_volatile_functions(permission))
		return NIL;
	if (req->index->relam != BTREE_AM_OID || !req->index->amsearcharray)
		return NIL;
	eqop = get_opfamily_member(req->opfamily, UUIDOID, UUIDOID, BTEqualStrategyNumber);
	if (!OidIsValid(eqop))
		return NIL;

	array = makeFuncExpr(array_function_oid(is_project_check(call->funcid)), UUIDARRAYOID,
						 list_make1(copyObject(permission)),
						 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	req->lossy = false;
	return list_make1(make_any(eqop, copyObject(linitial(call->args)), (Node *) array));
}

static bool
can_selectivity(SupportRequestSelectivity *req)
{
	Node	   *column;
	Const	   *permission;
	text	   *name;
	int			bit;
	pg_uuid_t	user;
	ArrayType  *visible;
	int			n;
	double		scale = 1.0;
	Const	   *array;
	Selectivity s;

	if (req->is_join || list_length(req->args) != 2)
		return false;
	column = linitial(req->args);
	permission = (Const *) lsecond(req->args);
	if (!IsA(permission, Const) || permission->constisnull)
		return false;

	name = DatumGetTextPP(permission->constvalue);
	cache_enter();
	bit = cache_permission_bit(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), true);
	cache_leave();
	if (bit < 0)
		return false;

	if (authz_current_user(&user))
		visible = DatumGetArrayTypeP(is_project_check(req->funcid)
									 ? resolve_project_array(&user, bit)
									 : resolve_workspace_array(&user, bit));
	else
		visible = construct_empty_array(UUIDOID);

	n = ArrayGetNItems(ARR_NDIM(visible), ARR_DIMS(visible));
	if (n > SELECTIVITY_SAMPLE)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			total;

		deconstruct_array(visible, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR,
						  &elems, &nulls, &total);
		visible = construct_array(elems, SELECTIVITY_SAMPLE, UUIDOID, UUID_LEN,
								  false, TYPALIGN_CHAR);
		scale = (double) n / SELECTIVITY_SAMPLE;
	}
	array = makeConst(UUIDARRAYOID, -1, InvalidOid, -1, PointerGetDatum(visible),
					  false, false);
	s = clause_selectivity(req->root,
						   (Node *) make_any(lookup_type_cache(UUIDOID, TYPECACHE_EQ_OPR)->eq_opr,
										  column, (Node *) array),
						   req->varRelid, JOIN_INNER, NULL);
	s *= scale;
	req->selectivity = Min(Max(s, 0.0), 1.0);
	return true;
}

PG_FUNCTION_INFO_V1(planner_can_support);
Datum
planner_can_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
	{
		List	   *conds = can_index_condition((SupportRequestIndexCondition *) rawreq);

		PG_RETURN_POINTER(conds);
	}
	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;

		if (can_selectivity(req))
			PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}
