/*
 * ledger.c
 *		The credit ledger engine: every call that moves credits or reserves
 *		them. It owns top-ups (authz.add_credits), transfers
 *		(authz.transfer_credits), usage charges (authz.record_usage and
 *		authz.record_usage_batch) and holds (authz.hold_credits,
 *		authz.capture_hold, authz.release_hold), and the rules they share:
 *		argument checks, idempotency keys per tenant, the order in which
 *		accounts are locked, the funds check, and the lazy folding of usage
 *		charges into balances.
 *
 * Statements run through SPI with plans prepared once per backend and kept.
 * Error texts that other parts of the extension own (unknown workspace,
 * permission denied, a reused idempotency key, malformed text) are raised by
 * calling their SQL helpers, only on the failing path, so that each rule stays
 * in one place.
 *
 * The books. An account's balance always equals the sum of its ledger
 * entries. A usage charge never waits for the account: when the account row is
 * free (FOR UPDATE SKIP LOCKED) its entry is written and the balance updated at
 * once; when another transaction holds it, the charge is appended to
 * authz.credit_pending instead, and the next charge, fold or movement that gets
 * the lock moves every pending charge it sees into the ledger and the balance.
 * A workspace's balance is its account's balance plus its pending charges,
 * exact in every snapshot. Ledger entries are written only under the account
 * lock, so a ledger read in entry order replays each balance in the order the
 * lock imposed. Accounts are locked (or opened, then locked) in workspace-id
 * order, so movements never deadlock one another.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "common/int.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "workspace_authz.h"

/* From credits.c (SQL-callable, so not static). */
extern Datum credits_out(PG_FUNCTION_ARGS);
extern Datum credits_from_numeric(PG_FUNCTION_ARGS);
extern Datum credits_to_numeric(PG_FUNCTION_ARGS);

#define MEMO_MAX	1000
#define KEY_MAX		255

/* ---- saved plans ----------------------------------------------------------- */

typedef enum LedgerQuery
{
	Q_WORKSPACE,
	Q_WORKSPACE_RATES,
	Q_USAGE_WORKSPACE,
	Q_TRANSFER_PREP,
	Q_RAISE_WORKSPACE,
	Q_RAISE_TEXT,
	Q_CAN_BILL,
	Q_RAISE_BILL,
	Q_LABEL,
	Q_RAISE_HIDDEN,
	Q_RAISE_PLATFORM,
	Q_MOVE,
	Q_MOVE_NOKEY,
	Q_MOVE_USAGE,
	Q_MOVE_USAGE_NOKEY,
	Q_REPLAY,
	Q_LOCK,
	Q_SUMS,
	Q_OPEN,
	Q_LOCK_PAIR,
	Q_TRANSFER_APPLY,
	Q_TOPUP_APPLY,
	Q_TRY_LOCK,
	Q_OPEN_NEW,
	Q_USAGE_APPLY,
	Q_PENDING,
	Q_USAGE_BOOK,
	Q_BULK_MOVE_USAGE,
	Q_BULK_APPLY,
	Q_BULK_PENDING,
	Q_HOLD_INSERT,
	Q_HOLD_REPLAY,
	Q_HOLD_GET,
	Q_HOLD_CAPTURE,
	Q_HOLD_RELEASE,
	Q_COUNT
} LedgerQuery;

#define CR	0		/* placeholder in the argument lists: authz.credits */
#define CRA	1		/* placeholder: authz.credits[] */

typedef struct QueryDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[14];
} QueryDef;

static const QueryDef query_defs[Q_COUNT] = {
	[Q_WORKSPACE] = {
		"SELECT w.org_id FROM authz_internal._workspace($1) w",
		1, {UUIDOID}},
	[Q_WORKSPACE_RATES] = {
		"SELECT w.org_id, r.cpu_hour, r.memory_gib_hour, r.storage_gb_month"
		"  FROM authz_internal._workspace($1) w LEFT JOIN authz.rate_cards r ON r.org_id = w.org_id",
		1, {UUIDOID}},
	/* for a caller acting for the platform, who sees every workspace */
	[Q_USAGE_WORKSPACE] = {
		"SELECT w.org_id, r.cpu_hour, r.memory_gib_hour, r.storage_gb_month,"
		"       EXISTS (SELECT FROM authz.credit_accounts a WHERE a.workspace_id = w.id)"
		"  FROM authz.workspaces w LEFT JOIN authz.rate_cards r ON r.org_id = w.org_id WHERE w.id = $1",
		1, {UUIDOID}},
	/*
	 * Both workspaces of a transfer in one statement: their organization,
	 * whether the caller may see each ($3: the caller acts for the platform;
	 * otherwise the test of authz_internal._workspace for an active user,
	 * which raises the refusals when this says no), whether the caller may
	 * move the credits of its organization, and whether its account exists.
	 */
	[Q_TRANSFER_PREP] = {
		"SELECT w.id, w.org_id,"
		"       $3 OR (authz.current_user_id() IS NOT NULL"
		"              AND (authz.can(w.id, 'workspace.view')"
		"                   OR coalesce(authz.can_org(w.org_id, 'org.workspaces.list'), false))),"
		"       coalesce(authz.can_org(w.org_id, 'org.billing.manage'), false),"
		"       EXISTS (SELECT FROM authz.credit_accounts a WHERE a.workspace_id = w.id)"
		"  FROM authz.workspaces w WHERE w.id IN ($1, $2)",
		3, {UUIDOID, UUIDOID, BOOLOID}},
	[Q_RAISE_WORKSPACE] = {
		"SELECT authz_internal._workspace($1)",
		1, {UUIDOID}},
	[Q_RAISE_TEXT] = {
		"SELECT authz_internal._check_text($1, $2, $3)",
		3, {TEXTOID, TEXTOID, INT4OID}},
	[Q_CAN_BILL] = {
		"SELECT authz.can_org($1, 'org.billing.manage')",
		1, {UUIDOID}},
	[Q_RAISE_BILL] = {
		"SELECT authz_internal._actor(), authz_internal._require_org($1, 'org.billing.manage')",
		1, {UUIDOID}},
	[Q_LABEL] = {
		"SELECT authz_internal._workspace_label($1)",
		1, {UUIDOID}},
	[Q_RAISE_HIDDEN] = {
		"SELECT authz_internal._hidden($1, $2)",
		2, {TEXTOID, TEXTOID}},
	[Q_RAISE_PLATFORM] = {
		"SELECT authz_internal._require_platform($1)",
		1, {TEXTOID}},
	/*
	 * A movement: with a key, ON CONFLICT finds the first call's; without one
	 * nothing can conflict (NULL keys never do), so a plain insert.
	 */
#define MOVE_INSERT \
		"INSERT INTO authz.credit_movements (kind, amount, from_workspace, to_workspace, memo, tenant_id," \
		"                                    idempotency_key, fingerprint, usage, actor_id)" \
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, authz.current_user_id())"
	[Q_MOVE] = {
		MOVE_INSERT " ON CONFLICT ON CONSTRAINT credit_movements_key DO NOTHING RETURNING id",
		9, {TEXTOID, CR, UUIDOID, UUIDOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, JSONBOID}},
	[Q_MOVE_NOKEY] = {
		MOVE_INSERT " RETURNING id",
		9, {TEXTOID, CR, UUIDOID, UUIDOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, JSONBOID}},
#define MOVE_USAGE_INSERT \
		"INSERT INTO authz.credit_movements (kind, amount, from_workspace, tenant_id," \
		"                                    idempotency_key, fingerprint, usage, actor_id)" \
		" VALUES ('usage', $1, $2, $3, $4, $5," \
		"         pg_catalog.jsonb_build_object('cpu_hours', $6, 'memory_gib_hours', $7," \
		"                                       'storage_gb_months', $8, 'cpu_hour', $9," \
		"                                       'memory_gib_hour', $10, 'storage_gb_month', $11)," \
		"         authz.current_user_id())"
	[Q_MOVE_USAGE] = {
		MOVE_USAGE_INSERT " ON CONFLICT ON CONSTRAINT credit_movements_key DO NOTHING RETURNING id",
		11, {CR, UUIDOID, UUIDOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID,
			NUMERICOID, NUMERICOID, NUMERICOID}},
	[Q_MOVE_USAGE_NOKEY] = {
		MOVE_USAGE_INSERT " RETURNING id",
		11, {CR, UUIDOID, UUIDOID, TEXTOID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID,
			NUMERICOID, NUMERICOID, NUMERICOID}},
	[Q_REPLAY] = {
		"SELECT r.id, r.amount FROM authz_internal._replay($1, $2, $3) r",
		3, {UUIDOID, TEXTOID, TEXTOID}},
	/* lock an account: its latest balance */
	[Q_LOCK] = {
		"SELECT a.balance FROM authz.credit_accounts a WHERE a.workspace_id = $1 FOR UPDATE",
		1, {UUIDOID}},
	/*
	 * Pending charges and open holds of an account locked by an earlier
	 * statement: a statement started after the lock was granted sees what the
	 * previous holder committed (a subquery of the locking statement would not).
	 */
	[Q_SUMS] = {
		"SELECT (SELECT authz.sum(p.amount) FROM authz.credit_pending p WHERE p.workspace_id = $1),"
		"       (SELECT authz.sum(h.amount) FROM authz.credit_holds h"
		"         WHERE h.workspace_id = $1 AND h.status = 'open' AND h.expires_at > pg_catalog.now())",
		1, {UUIDOID}},
	[Q_OPEN] = {
		"INSERT INTO authz.credit_accounts (workspace_id) VALUES ($1) ON CONFLICT DO NOTHING",
		1, {UUIDOID}},
	/* lock two existing accounts, in workspace-id order: their balances */
	[Q_LOCK_PAIR] = {
		"SELECT a.workspace_id, a.balance FROM authz.credit_accounts a"
		" WHERE a.workspace_id IN ($1, $2) ORDER BY a.workspace_id FOR UPDATE",
		2, {UUIDOID, UUIDOID}},
	/*
	 * A transfer of $4 from $2 to $3 (movement $1), both accounts locked by an
	 * earlier statement, $5 the source's locked balance: the source's pending
	 * charges and open holds (read after the locks were granted), the funds
	 * check, both balances and both entries, in one statement. Nothing is
	 * updated or written when the funds do not cover the amount; the answer
	 * is the pending and held sums and the number of accounts updated.
	 */
	[Q_TRANSFER_APPLY] = {
		"WITH f AS (SELECT coalesce((SELECT authz.sum(p.amount) FROM authz.credit_pending p"
		"                             WHERE p.workspace_id = $2), '0'::authz.credits) AS pending,"
		"                  coalesce((SELECT authz.sum(h.amount) FROM authz.credit_holds h"
		"                             WHERE h.workspace_id = $2 AND h.status = 'open'"
		"                               AND h.expires_at > pg_catalog.now()), '0'::authz.credits) AS held),"
		"     u AS (UPDATE authz.credit_accounts a"
		"              SET balance = CASE WHEN a.workspace_id = $2 THEN a.balance OPERATOR(authz.-) $4"
		"                                 ELSE a.balance OPERATOR(authz.+) $4 END,"
		"                  updated_at = pg_catalog.now()"
		"             FROM f"
		"            WHERE a.workspace_id IN ($2, $3)"
		"              AND $5 OPERATOR(authz.+) f.pending OPERATOR(authz.-) f.held OPERATOR(authz.>=) $4"
		"           RETURNING a.workspace_id),"
		"     e AS (INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)"
		"           SELECT $1, u.workspace_id,"
		"                  CASE WHEN u.workspace_id = $2 THEN OPERATOR(authz.-) $4 ELSE $4 END FROM u)"
		"SELECT f.pending, f.held, (SELECT count(*) FROM u) FROM f",
		5, {INT8OID, UUIDOID, UUIDOID, CR, CR}},
	[Q_TOPUP_APPLY] = {
		"WITH e AS (INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES ($1, $2, $3))"
		"UPDATE authz.credit_accounts a SET balance = a.balance OPERATOR(authz.+) $3, updated_at = pg_catalog.now()"
		" WHERE a.workspace_id = $2",
		3, {INT8OID, UUIDOID, CR}},
	[Q_TRY_LOCK] = {
		"SELECT 1 FROM authz.credit_accounts a WHERE a.workspace_id = $1 FOR UPDATE SKIP LOCKED",
		1, {UUIDOID}},
	[Q_OPEN_NEW] = {
		"INSERT INTO authz.credit_accounts (workspace_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1",
		1, {UUIDOID}},
	/*
	 * Under the account lock: fold the pending charges, then the new one
	 * ($1 NULL: none), into the ledger in movement order, and the balance.
	 */
	[Q_USAGE_APPLY] = {
		"WITH d AS (DELETE FROM authz.credit_pending p WHERE p.workspace_id = $2"
		"           RETURNING p.movement_id, p.amount),"
		"     e AS (INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)"
		"           SELECT x.movement_id, $2, x.amount"
		"             FROM (SELECT d.movement_id, d.amount FROM d"
		"                   UNION ALL SELECT $1, $3 WHERE $1 IS NOT NULL) x"
		"            ORDER BY x.movement_id"
		"           RETURNING amount)"
		"UPDATE authz.credit_accounts a SET balance = a.balance OPERATOR(authz.+) s.total,"
		"       updated_at = pg_catalog.now()"
		"  FROM (SELECT authz.sum(e.amount) AS total FROM e) s"
		" WHERE a.workspace_id = $2 AND s.total IS NOT NULL",
		3, {INT8OID, UUIDOID, CR}},
	/*
	 * A usage charge $3 (negative) of movement $1 on the existing account of
	 * $2, in one statement: when the account row is free, lock it and fold
	 * the pending charges this statement sees and the new one into the ledger
	 * (in movement order) and the balance; when another transaction holds it,
	 * append the charge to the pending ones. Pending charges committed after
	 * this statement's snapshot stay pending for the next holder; those an
	 * earlier holder folded meanwhile are not deleted twice (the delete skips
	 * a row already deleted). Answers whether the account was locked.
	 */
	[Q_USAGE_BOOK] = {
		"WITH l AS (SELECT a.workspace_id FROM authz.credit_accounts a"
		"            WHERE a.workspace_id = $2 FOR UPDATE SKIP LOCKED),"
		"     q AS (INSERT INTO authz.credit_pending (workspace_id, movement_id, amount)"
		"           SELECT $2, $1, $3 WHERE NOT EXISTS (SELECT FROM l) RETURNING 1),"
		"     d AS (DELETE FROM authz.credit_pending p WHERE p.workspace_id = $2 AND EXISTS (SELECT FROM l)"
		"           RETURNING p.movement_id, p.amount),"
		"     e AS (INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)"
		"           SELECT x.movement_id, $2, x.amount"
		"             FROM (SELECT d.movement_id, d.amount FROM d UNION ALL SELECT $1, $3 FROM l) x"
		"            ORDER BY x.movement_id"
		"           RETURNING amount),"
		"     u AS (UPDATE authz.credit_accounts a SET balance = a.balance OPERATOR(authz.+) s.total,"
		"                  updated_at = pg_catalog.now()"
		"             FROM (SELECT authz.sum(e.amount) AS total FROM e) s"
		"            WHERE a.workspace_id = $2 AND s.total IS NOT NULL RETURNING 1)"
		"SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM q), (SELECT count(*) FROM u)",
		3, {INT8OID, UUIDOID, CR}},
	[Q_PENDING] = {
		"INSERT INTO authz.credit_pending (workspace_id, movement_id, amount) VALUES ($1, $2, $3)",
		3, {UUIDOID, INT8OID, CR}},
	/*
	 * A batch's movements, in event order: one row per event recorded (its id
	 * and key), none for an event whose key was used already.
	 */
	[Q_BULK_MOVE_USAGE] = {
		"INSERT INTO authz.credit_movements AS m (kind, amount, from_workspace, tenant_id,"
		"                                         idempotency_key, fingerprint, usage, actor_id)"
		"SELECT 'usage', u.a, u.w, u.t, u.k, u.f,"
		"       pg_catalog.jsonb_build_object('cpu_hours', u.c, 'memory_gib_hours', u.m,"
		"                                     'storage_gb_months', u.s, 'cpu_hour', u.rc,"
		"                                     'memory_gib_hour', u.rm, 'storage_gb_month', u.rs),"
		"       authz.current_user_id()"
		"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
		"                  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
		"                  pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9),"
		"                  pg_catalog.unnest($10), pg_catalog.unnest($11))"
		"       WITH ORDINALITY u(a, w, t, k, f, c, m, s, rc, rm, rs, n)"
		" ORDER BY u.n"
		" ON CONFLICT ON CONSTRAINT credit_movements_key DO NOTHING RETURNING m.id, m.idempotency_key",
		11, {CRA, UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID,
			NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID}},
	/* a batch's charges of one workspace ($2 movements, $3 amounts), as above */
	[Q_BULK_APPLY] = {
		"WITH d AS (DELETE FROM authz.credit_pending p WHERE p.workspace_id = $1"
		"           RETURNING p.movement_id, p.amount),"
		"     e AS (INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)"
		"           SELECT x.movement_id, $1, x.amount"
		"             FROM (SELECT d.movement_id, d.amount FROM d"
		"                   UNION ALL SELECT u.m, u.a FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) u(m, a)) x"
		"            ORDER BY x.movement_id"
		"           RETURNING amount)"
		"UPDATE authz.credit_accounts a SET balance = a.balance OPERATOR(authz.+) s.total,"
		"       updated_at = pg_catalog.now()"
		"  FROM (SELECT authz.sum(e.amount) AS total FROM e) s"
		" WHERE a.workspace_id = $1 AND s.total IS NOT NULL",
		3, {UUIDOID, INT8ARRAYOID, CRA}},
	[Q_BULK_PENDING] = {
		"INSERT INTO authz.credit_pending (workspace_id, movement_id, amount)"
		"SELECT $1, u.m, u.a FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) u(m, a)",
		3, {UUIDOID, INT8ARRAYOID, CRA}},
	[Q_HOLD_INSERT] = {
		"INSERT INTO authz.credit_holds (workspace_id, amount, tenant_id, idempotency_key, fingerprint,"
		"                                expires_at, actor_id)"
		" VALUES ($1, $2, $3, $4, $5, pg_catalog.now() + $6, authz.current_user_id())"
		" ON CONFLICT ON CONSTRAINT credit_holds_key DO NOTHING RETURNING id",
		6, {UUIDOID, CR, UUIDOID, TEXTOID, TEXTOID, INTERVALOID}},
	[Q_HOLD_REPLAY] = {
		"SELECT h.id, h.fingerprint FROM authz.credit_holds h WHERE h.tenant_id = $1 AND h.idempotency_key = $2",
		2, {UUIDOID, TEXTOID}},
	[Q_HOLD_GET] = {
		"SELECT h.workspace_id, h.amount, h.status, h.expires_at <= pg_catalog.now(), h.captured,"
		"       h.movement_id, h.tenant_id, h.expires_at"
		"  FROM authz.credit_holds h WHERE h.id = $1 FOR UPDATE",
		1, {INT8OID}},
	[Q_HOLD_CAPTURE] = {
		"UPDATE authz.credit_holds SET status = 'captured', captured = $2, movement_id = $3,"
		"       closed_at = pg_catalog.now() WHERE id = $1",
		3, {INT8OID, CR, INT8OID}},
	[Q_HOLD_RELEASE] = {
		"UPDATE authz.credit_holds SET status = 'released', closed_at = pg_catalog.now() WHERE id = $1",
		1, {INT8OID}},
};

static SPIPlanPtr plans[Q_COUNT];
static Oid	plans_credits_oid = InvalidOid;
static Oid	plans_credits_array_oid = InvalidOid;
static bool plans_citus = false;	/* were they prepared with Citus installed? */

/*
 * The OID of authz.credits. When it changes (the extension was dropped and
 * created again in this session), or Citus arrives in the database or leaves
 * it, the saved plans are forgotten.
 */
static Oid
credits_type(void)
{
	Oid			nsp = get_namespace_oid("authz", false);
	Oid			typ = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									  CStringGetDatum("credits"), ObjectIdGetDatum(nsp));
	bool		citus = OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE));

	if (!OidIsValid(typ))
		elog(ERROR, "type authz.credits is missing");
	if (typ != plans_credits_oid || citus != plans_citus)
	{
		for (int i = 0; i < Q_COUNT; i++)
		{
			if (plans[i])
				SPI_freeplan(plans[i]);
			plans[i] = NULL;
		}
		plans_credits_oid = typ;
		plans_credits_array_oid = get_array_type(typ);
		plans_citus = citus;
	}
	return typ;
}

static SPIPlanPtr
plan_for(LedgerQuery q)
{
	if (plans[q] == NULL)
	{
		const QueryDef *d = &query_defs[q];
		Oid			types[14];
		SPIPlanPtr	p;

		for (int i = 0; i < d->nargs; i++)
			types[i] = d->argtypes[i] == CR ? plans_credits_oid :
				d->argtypes[i] == CRA ? plans_credits_array_oid : d->argtypes[i];
		/*
		 * One generic plan per statement: every statement finds its rows by
		 * key, so planning again for each call's values would find nothing
		 * better (and with array arguments it would happen at every call).
		 * Not with Citus, whose planner cannot plan the statements that write
		 * through a WITH clause with their parameters unbound: there the plan
		 * cache decides, as for any statement.
		 */
		p = SPI_prepare_cursor(d->sql, d->nargs, types, plans_citus ? 0 : CURSOR_OPT_GENERIC_PLAN);
		if (p == NULL)
			elog(ERROR, "could not prepare ledger statement %d: %s", (int) q,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "could not keep ledger statement %d", (int) q);
		plans[q] = p;
	}
	return plans[q];
}

/* Run a saved statement; values[i] with nulls[i] ' ' or 'n'. */
static int
run(LedgerQuery q, Datum *values, const char *nulls, bool read_only)
{
	int			rc;

	/* results are read right after each statement: let the last one go */
	SPI_freetuptable(SPI_tuptable);
	SPI_tuptable = NULL;
	/* every statement sees what committed before it (a new snapshot) */
	(void) read_only;
	rc = SPI_execute_plan(plan_for(q), values, nulls, false, 0);

	if (rc < 0)
		elog(ERROR, "ledger statement %d failed: %s", (int) q, SPI_result_code_string(rc));
	return rc;
}

static Datum
col(int row, int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, isnull);
}

/* ---- values ------------------------------------------------------------------- */

static char *
credits_text(int64 amount)
{
	return DatumGetCString(DirectFunctionCall1(credits_out, Int64GetDatum(amount)));
}

static char *
uuid_text(Datum id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, id));
}

static char *
workspace_label(Datum workspace_id)
{
	Datum		v[1] = {workspace_id};
	bool		isnull;
	Datum		d;

	run(Q_LABEL, v, " ", true);
	d = col(0, 1, &isnull);
	return isnull ? uuid_text(workspace_id) : TextDatumGetCString(d);
}

/*
 * Platform powers (top-ups, usage, holds) belong to a trusted role acting for
 * no user; the refusal comes from authz_internal._require_platform.
 */
static void
require_platform(const char *what)
{
	Datum		v[1];

	if (authz_caller_is_trusted())
		return;
	v[0] = CStringGetTextDatum(what);
	run(Q_RAISE_PLATFORM, v, " ", true);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s: only a trusted role acting for no user may", what)));
}

/* ---- argument checks ------------------------------------------------------------ */

static void
require_not_null(FunctionCallInfo fcinfo, int arg, const char *what)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
}

/* Amounts moved or held: present and positive. */
static int64
check_amount(FunctionCallInfo fcinfo, int arg)
{
	int64		amount;

	require_not_null(fcinfo, arg, "amount");
	amount = PG_GETARG_INT64(arg);
	if (amount <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be positive, not %s", credits_text(amount))));
	return amount;
}

/*
 * An optional text argument (memo, idempotency key): NULL, or not blank and not
 * too long. The refusal itself comes from authz_internal._check_text.
 */
static void
check_text_datum(Datum value, bool isnull, const char *what, int max_length)
{
	text	   *t;
	const char *s;
	int			len;
	bool		blank = true;

	if (isnull)
		return;
	t = DatumGetTextPP(value);
	s = VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	for (int i = 0; i < len && blank; i++)
		blank = (s[i] == ' ');
	if (blank || pg_mbstrlen_with_len(s, len) > max_length)
	{
		Datum		v[3] = {CStringGetTextDatum(what), value, Int32GetDatum(max_length)};

		run(Q_RAISE_TEXT, v, "   ", true);
		elog(ERROR, "%s was refused without an error", what);
	}
}

static Datum
check_text(FunctionCallInfo fcinfo, int arg, const char *what, int max_length, bool *isnull)
{
	*isnull = PG_ARGISNULL(arg);
	if (*isnull)
		return (Datum) 0;
	check_text_datum(PG_GETARG_DATUM(arg), false, what, max_length);
	return PG_GETARG_DATUM(arg);
}

static Datum
arg_or_null(FunctionCallInfo fcinfo, int arg, bool *isnull)
{
	*isnull = PG_ARGISNULL(arg);
	return *isnull ? (Datum) 0 : PG_GETARG_DATUM(arg);
}

/*
 * The organization of a workspace (has_org false for a personal one); an
 * unknown workspace raises 42704 through authz_internal._workspace.
 */
static void
lookup_workspace(Datum workspace_id, bool *has_org, Datum *org_id)
{
	Datum		v[1] = {workspace_id};
	bool		isnull;

	run(Q_WORKSPACE, v, " ", true);
	if (SPI_processed == 0)
	{
		run(Q_RAISE_WORKSPACE, v, " ", true);
		elog(ERROR, "workspace %s was not found", uuid_text(workspace_id));
	}
	*org_id = col(0, 1, &isnull);
	*has_org = !isnull;
	*org_id = isnull ? (Datum) 0 : datumCopy(*org_id, false, UUID_LEN);
}

/* ---- movements ------------------------------------------------------------------ */

/*
 * Record a movement before any account is locked. Its idempotency key makes a
 * concurrent call with the same key in the same tenant wait here until the first
 * commits. Returns the new id, or 0 when the key was already used: then *replay
 * holds the earlier movement's id and *replay_amount its amount (a key reused
 * with other arguments raises 23505 through authz_internal._replay).
 */
static int64
insert_movement(const char *kind, int64 amount, Datum from, bool from_null, Datum to, bool to_null,
				Datum memo, bool memo_null, Datum tenant, Datum key, bool key_null,
				const char *fingerprint, Datum usage, bool usage_null,
				int64 *replay, int64 *replay_amount)
{
	Datum		v[9];
	char		n[10] = "         ";
	Datum		fp = CStringGetTextDatum(fingerprint);
	bool		isnull;

	v[0] = CStringGetTextDatum(kind);
	v[1] = Int64GetDatum(amount);
	v[2] = from;
	if (from_null)
		n[2] = 'n';
	v[3] = to;
	if (to_null)
		n[3] = 'n';
	v[4] = memo;
	if (memo_null)
		n[4] = 'n';
	v[5] = tenant;
	v[6] = key;
	if (key_null)
		n[6] = 'n';
	v[7] = fp;
	v[8] = usage;
	if (usage_null)
		n[8] = 'n';
	run(key_null ? Q_MOVE_NOKEY : Q_MOVE, v, n, false);
	if (SPI_processed == 1)
		return DatumGetInt64(col(0, 1, &isnull));
	{
		Datum		r[3] = {tenant, key, fp};

		run(Q_REPLAY, r, "   ", true);
		if (SPI_processed != 1 || (col(0, 1, &isnull), isnull))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("movement with idempotency key \"%s\" is missing after a conflict",
							TextDatumGetCString(key))));
		*replay = DatumGetInt64(col(0, 1, &isnull));
		*replay_amount = DatumGetInt64(col(0, 2, &isnull));
	}
	return 0;
}

/* The state of one locked account. */
typedef struct Account
{
	int64		balance;		/* the account row */
	int64		pending;		/* committed usage charges not folded yet */
	int64		held;			/* open, unexpired holds */
} Account;

/*
 * Lock an account, opening it first when it does not exist. A session waits
 * only for an account above every account it holds (callers go in
 * workspace-id order), so no two sessions deadlock. With sums, also read its
 * pending charges and open holds, once the lock is held.
 */
static void
lock_account(Datum workspace_id, Account *acc, bool sums)
{
	Datum		v[1] = {workspace_id};
	bool		isnull;
	Datum		d;

	run(Q_LOCK, v, " ", false);
	if (SPI_processed == 0)
	{
		run(Q_OPEN, v, " ", false);
		run(Q_LOCK, v, " ", false);
		if (SPI_processed == 0)
		{
			run(Q_RAISE_WORKSPACE, v, " ", true);	/* deleted meanwhile: 42704 */
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("credit account of workspace \"%s\" is missing right after it was opened",
							uuid_text(workspace_id))));
		}
	}
	acc->balance = DatumGetInt64(col(0, 1, &isnull));
	acc->pending = 0;
	acc->held = 0;
	if (!sums)
		return;
	run(Q_SUMS, v, " ", false);
	d = col(0, 1, &isnull);
	acc->pending = isnull ? 0 : DatumGetInt64(d);
	d = col(0, 2, &isnull);
	acc->held = isnull ? 0 : DatumGetInt64(d);
}

/* What the account may still give: balance + pending charges - open holds. */
static int64
account_available(const Account *acc)
{
	int64		r;

	if (pg_add_s64_overflow(acc->balance, acc->pending, &r) ||
		pg_sub_s64_overflow(r, acc->held, &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("authz.credits out of range")));
	return r;
}

/*
 * Book a usage charge (negative amount) of a recorded movement without waiting
 * for the account: at once when the account is free or new, else as a pending
 * charge folded by whoever next holds the account. With has_account (the
 * account was seen to exist), one statement; otherwise the account may have to
 * be opened first.
 */
static void
book_usage(Datum workspace_id, int64 movement_id, int64 charge, bool has_account)
{
	Datum		v1[1] = {workspace_id};
	Datum		v3[3];

	if (has_account)
	{
		bool		isnull;

		v3[0] = Int64GetDatum(movement_id);
		v3[1] = workspace_id;
		v3[2] = Int64GetDatum(-charge);
		run(Q_USAGE_BOOK, v3, "   ", false);
		if (DatumGetInt64(col(0, 1, &isnull)) + DatumGetInt64(col(0, 2, &isnull)) != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("usage movement %lld was not booked", (long long) movement_id)));
		return;
	}
	run(Q_TRY_LOCK, v1, " ", false);
	if (SPI_processed == 0)
		run(Q_OPEN_NEW, v1, " ", false);	/* none yet: ours once inserted */
	if (SPI_processed == 1)
	{
		v3[0] = Int64GetDatum(movement_id);
		v3[1] = workspace_id;
		v3[2] = Int64GetDatum(-charge);
		run(Q_USAGE_APPLY, v3, "   ", false);
	}
	else
	{
		v3[0] = workspace_id;
		v3[1] = Int64GetDatum(movement_id);
		v3[2] = Int64GetDatum(-charge);
		run(Q_PENDING, v3, "   ", false);
	}
}

/* ---- usage prices ------------------------------------------------------------------ */

typedef struct Rates
{
	Datum		cpu;			/* numeric */
	Datum		mem;
	Datum		sto;
} Rates;

static Datum
numeric_of_credits(int64 c)
{
	return DirectFunctionCall1(credits_to_numeric, Int64GetDatum(c));
}

static Datum
numeric_text_default(const char *s)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/* cpu x rate + mem x rate + storage x rate, exact, rounded once to 6 places. */
static int64
usage_price(Datum cpu, Datum mem, Datum sto, const Rates *r)
{
	Datum		t;

	t = DirectFunctionCall2(numeric_mul, cpu, r->cpu);
	t = DirectFunctionCall2(numeric_add, t, DirectFunctionCall2(numeric_mul, mem, r->mem));
	t = DirectFunctionCall2(numeric_add, t, DirectFunctionCall2(numeric_mul, sto, r->sto));
	t = DirectFunctionCall2(numeric_round, t, Int32GetDatum(6));
	return DatumGetInt64(DirectFunctionCall1(credits_from_numeric, t));
}

static void
check_quantities(bool anynull, Datum cpu, Datum mem, Datum sto)
{
	Datum		q[3] = {cpu, mem, sto};
	Datum		zero;

	if (anynull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("usage quantities must not be NULL")));
	zero = numeric_text_default("0");
	for (int i = 0; i < 3; i++)
		if (!numeric_is_nan(DatumGetNumeric(q[i])) &&
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, q[i], zero)) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("usage quantities must not be negative")));
	for (int i = 0; i < 3; i++)
	{
		Numeric		n = DatumGetNumeric(q[i]);

		if (numeric_is_nan(n) || numeric_is_inf(n))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("usage quantities must be finite numbers")));
	}
}

static char *
trimmed(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out,
											   DirectFunctionCall1(numeric_trim_scale, num)));
}

/* Usage rates of a workspace's organization (the defaults without a rate card). */
static void
rates_from_row(int first_col, Rates *rates)
{
	bool		isnull;
	Datum		d = col(0, first_col, &isnull);

	if (isnull)
	{
		rates->cpu = numeric_text_default("0.1");
		rates->mem = numeric_text_default("0.025");
		rates->sto = numeric_text_default("0.025");
	}
	else
	{
		rates->cpu = numeric_of_credits(DatumGetInt64(d));
		rates->mem = numeric_of_credits(DatumGetInt64(col(0, first_col + 1, &isnull)));
		rates->sto = numeric_of_credits(DatumGetInt64(col(0, first_col + 2, &isnull)));
	}
}

/*
 * Look a charged workspace up: its organization (has_org false for a personal
 * workspace), rates and whether its account exists. Usage is a platform
 * power: a caller acting for the platform sees every workspace, so its
 * look-up needs no visibility test; any other caller gets the refusals of
 * authz_internal._workspace, then of authz_internal._require_platform.
 */
static void
usage_workspace(bool trusted, Datum workspace_id, bool *has_org, Datum *org, Rates *rates,
				bool *has_account)
{
	Datum		v[1] = {workspace_id};
	bool		isnull;
	Datum		d;

	run(trusted ? Q_USAGE_WORKSPACE : Q_WORKSPACE_RATES, v, " ", true);
	if (SPI_processed == 0)
	{
		run(Q_RAISE_WORKSPACE, v, " ", true);
		elog(ERROR, "workspace %s was not found", uuid_text(workspace_id));
	}
	*has_account = trusted ? DatumGetBool(col(0, 5, &isnull)) : false;
	d = col(0, 1, &isnull);
	*has_org = !isnull;
	*org = isnull ? (Datum) 0 : datumCopy(d, false, UUID_LEN);
	rates_from_row(2, rates);
	if (!trusted)
		require_platform("record usage");
}

/* Result of one usage charge. */
typedef struct UsageResult
{
	int64		charge;
	int64		movement_id;
	bool		replayed;
} UsageResult;

/* numerically equal quantities (10, 10.0) are the same arguments */
static char *
usage_fingerprint(Datum workspace_id, Datum cpu, Datum mem, Datum sto)
{
	return psprintf("usage %s %s %s %s", uuid_text(workspace_id), trimmed(cpu), trimmed(mem), trimmed(sto));
}

/* The movement a key names, after a conflict (23505 for other arguments). */
static void
usage_replay(Datum tenant, Datum key, Datum fp, UsageResult *res)
{
	Datum		r[3] = {tenant, key, fp};
	bool		isnull;

	run(Q_REPLAY, r, "   ", true);
	if (SPI_processed != 1 || (col(0, 1, &isnull), isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("movement with idempotency key \"%s\" is missing after a conflict",
						TextDatumGetCString(key))));
	res->movement_id = DatumGetInt64(col(0, 1, &isnull));
	res->charge = DatumGetInt64(col(0, 2, &isnull));
	res->replayed = true;
}

/* Validate, price, record and book one usage charge (authz.record_usage). */
static void
usage_one(bool trusted, Datum workspace_id, bool ws_null, Datum cpu, Datum mem, Datum sto, bool qty_null,
		  Datum key, bool key_null, UsageResult *res)
{
	Datum		v[11];
	char		n[12] = "           ";
	bool		isnull;
	bool		has_org;
	Datum		org;
	Datum		tenant;
	Rates		rates;
	int64		charge;
	bool		has_account;

	if (ws_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workspace_id must not be NULL")));
	usage_workspace(trusted, workspace_id, &has_org, &org, &rates, &has_account);
	tenant = has_org ? org : workspace_id;
	check_quantities(qty_null, cpu, mem, sto);
	charge = usage_price(cpu, mem, sto, &rates);
	check_text_datum(key, key_null, "idempotency key", KEY_MAX);

	v[0] = Int64GetDatum(charge);
	v[1] = workspace_id;
	v[2] = tenant;
	v[3] = key;
	if (key_null)
		n[3] = 'n';
	v[4] = CStringGetTextDatum(usage_fingerprint(workspace_id, cpu, mem, sto));
	v[5] = cpu;
	v[6] = mem;
	v[7] = sto;
	v[8] = rates.cpu;
	v[9] = rates.mem;
	v[10] = rates.sto;
	run(key_null ? Q_MOVE_USAGE_NOKEY : Q_MOVE_USAGE, v, n, false);
	if (SPI_processed == 0)
	{
		usage_replay(tenant, key, v[4], res);
		return;
	}
	res->movement_id = DatumGetInt64(col(0, 1, &isnull));
	res->charge = charge;
	res->replayed = false;

	/* Usage records what happened: it never fails for lack of funds. */
	if (charge != 0)
		book_usage(workspace_id, res->movement_id, charge, has_account);
}

static void
ledger_connect(void)
{
	credits_type();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* ---- authz.add_credits ---------------------------------------------------------- */

PG_FUNCTION_INFO_V1(ledger_add_credits);
Datum
ledger_add_credits(PG_FUNCTION_ARGS)
{
	Datum		ws;
	bool		has_org;
	Datum		org;
	int64		amount;
	Datum		memo;
	bool		memo_null;
	Datum		key;
	bool		key_null;
	int64		mid;
	int64		replay = 0;
	int64		replay_amount;
	char	   *fp;

	ledger_connect();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workspace_id must not be NULL")));
	ws = PG_GETARG_DATUM(0);
	lookup_workspace(ws, &has_org, &org);
	require_platform("add credits");
	amount = check_amount(fcinfo, 1);
	memo = check_text(fcinfo, 2, "memo", MEMO_MAX, &memo_null);
	key = check_text(fcinfo, 3, "idempotency key", KEY_MAX, &key_null);

	fp = psprintf("topup %s %s %s", uuid_text(ws), credits_text(amount),
				  memo_null ? "" : TextDatumGetCString(memo));
	mid = insert_movement("topup", amount, (Datum) 0, true, ws, false, memo, memo_null,
						  has_org ? org : ws, key, key_null, fp, (Datum) 0, true,
						  &replay, &replay_amount);
	if (mid == 0)
	{
		SPI_finish();
		PG_RETURN_INT64(replay);
	}
	{
		Account		acc;
		Datum		v[3] = {Int64GetDatum(mid), ws, Int64GetDatum(amount)};

		lock_account(ws, &acc, false);
		run(Q_TOPUP_APPLY, v, "   ", false);
	}
	SPI_finish();
	PG_RETURN_INT64(mid);
}

/* ---- authz.transfer_credits -------------------------------------------------------- */

/* One workspace of a transfer, as Q_TRANSFER_PREP found it. */
typedef struct TransferSide
{
	Datum		id;
	bool		found;			/* found and visible to the caller */
	bool		has_org;
	Datum		org;
	bool		may_bill;		/* org.billing.manage in its organization */
	bool		has_account;
} TransferSide;

/*
 * A workspace the statement did not show as visible: authz_internal._workspace
 * decides, raising 42704 (unknown or not visible) or 42501 (no active user).
 */
static void
transfer_side_slow(TransferSide *w)
{
	Datum		v[1] = {w->id};
	bool		isnull;
	Datum		d;

	run(Q_WORKSPACE, v, " ", true);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("workspace \"%s\" does not exist", uuid_text(w->id))));
	d = col(0, 1, &isnull);
	w->found = true;
	w->has_org = !isnull;
	w->org = isnull ? (Datum) 0 : datumCopy(d, false, UUID_LEN);
	w->has_account = false;		/* unknown: open-or-lock */
	if (w->has_org)
	{
		Datum		b[1] = {w->org};

		run(Q_CAN_BILL, b, " ", true);
		d = col(0, 1, &isnull);
		w->may_bill = !isnull && DatumGetBool(d);
	}
}

static void
refuse_funds(Datum from, int64 available, int64 held, int64 amount)
{
	char	   *label = workspace_label(from);

	if (held != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("insufficient credits in workspace \"%s\": balance %s, transfer %s",
						label, credits_text(available), credits_text(amount)),
				 errdetail("Holds for running work reserve %s of its credits.", credits_text(held)),
				 errhint("Top the workspace up, or transfer less.")));
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("insufficient credits in workspace \"%s\": balance %s, transfer %s",
					label, credits_text(available), credits_text(amount)),
			 errhint("Top the workspace up, or transfer less.")));
}

/*
 * Everything that does not need the balances happens before any account is
 * locked: arguments, both workspaces and the caller's rights (one statement),
 * the movement (its idempotency key makes a concurrent retry wait there, not
 * on the accounts). Then both accounts are locked in workspace-id order (one
 * statement when both exist), and one statement checks the funds, updates both
 * balances and writes both entries. The locks are held from there to commit.
 */
PG_FUNCTION_INFO_V1(ledger_transfer_credits);
Datum
ledger_transfer_credits(PG_FUNCTION_ARGS)
{
	TransferSide src;
	TransferSide dst;
	int64		amount;
	Datum		memo;
	bool		memo_null;
	Datum		key;
	bool		key_null;
	int64		mid;
	int64		replay = 0;
	int64		replay_amount;
	char	   *fp;
	int64		balance = 0;
	bool		locked = false;

	ledger_connect();
	require_not_null(fcinfo, 0, "from_workspace");
	require_not_null(fcinfo, 1, "to_workspace");
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.id = PG_GETARG_DATUM(0);
	dst.id = PG_GETARG_DATUM(1);
	amount = check_amount(fcinfo, 2);
	memo = check_text(fcinfo, 3, "memo", MEMO_MAX, &memo_null);
	key = arg_or_null(fcinfo, 4, &key_null);

	{
		Datum		v[3] = {src.id, dst.id, BoolGetDatum(authz_caller_is_trusted())};

		run(Q_TRANSFER_PREP, v, "   ", true);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		id = col(i, 1, &isnull);
			Datum		org = col(i, 2, &isnull);
			bool		has_org = !isnull;
			bool		visible = DatumGetBool(col(i, 3, &isnull));
			bool		may_bill = DatumGetBool(col(i, 4, &isnull));
			bool		has_account = DatumGetBool(col(i, 5, &isnull));

			for (int k = 0; k < 2; k++)
			{
				TransferSide *w = k == 0 ? &src : &dst;

				if (!visible || !datumIsEqual(id, w->id, false, UUID_LEN))
					continue;
				w->found = true;
				w->has_org = has_org;
				w->org = has_org ? datumCopy(org, false, UUID_LEN) : (Datum) 0;
				w->may_bill = may_bill;
				w->has_account = has_account;
			}
		}
	}
	if (!src.found)
		transfer_side_slow(&src);
	if (!dst.found)
		transfer_side_slow(&dst);
	if (datumIsEqual(src.id, dst.id, false, UUID_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot transfer credits from workspace \"%s\" to itself", workspace_label(src.id))));
	if (!src.has_org || !dst.has_org || !datumIsEqual(src.org, dst.org, false, UUID_LEN))
	{
		char	   *a = workspace_label(src.id);
		char	   *b = workspace_label(dst.id);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workspaces \"%s\" and \"%s\" are not in the same organization", a, b),
				 errhint("Credits move between workspaces of one organization.")));
	}
	if (!src.may_bill)
	{
		Datum		v[1] = {src.org};

		run(Q_RAISE_BILL, v, " ", true);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied: \"org.billing.manage\" is required")));
	}

	check_text_datum(key, key_null, "idempotency key", KEY_MAX);
	fp = psprintf("transfer %s %s %s %s", uuid_text(src.id), uuid_text(dst.id), credits_text(amount),
				  memo_null ? "" : TextDatumGetCString(memo));
	mid = insert_movement("transfer", amount, src.id, false, dst.id, false, memo, memo_null, src.org,
						  key, key_null, fp, (Datum) 0, true, &replay, &replay_amount);
	if (mid == 0)
	{
		SPI_finish();
		PG_RETURN_INT64(replay);
	}

	/* lock both accounts, in workspace-id order */
	if (src.has_account && dst.has_account)
	{
		Datum		v[2] = {src.id, dst.id};

		run(Q_LOCK_PAIR, v, "  ", false);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			if (datumIsEqual(col(i, 1, &isnull), src.id, false, UUID_LEN))
			{
				balance = DatumGetInt64(col(i, 2, &isnull));
				locked = true;
			}
		}
		if (SPI_processed != 2)
		{
			/* an account went away with its workspace meanwhile: 42704 */
			Datum		w[1] = {locked ? dst.id : src.id};

			run(Q_RAISE_WORKSPACE, w, " ", true);
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("credit account of workspace \"%s\" is missing", uuid_text(w[0]))));
		}
	}
	else
	{
		Account		a;
		Account		b;
		bool		src_first = DatumGetInt32(DirectFunctionCall2(uuid_cmp, src.id, dst.id)) < 0;

		lock_account(src_first ? src.id : dst.id, &a, false);
		lock_account(src_first ? dst.id : src.id, &b, false);
		balance = src_first ? a.balance : b.balance;
	}

	/* the funds check, both balances and both entries */
	{
		Datum		v[5] = {Int64GetDatum(mid), src.id, dst.id, Int64GetDatum(amount), Int64GetDatum(balance)};
		bool		isnull;
		Account		acc;
		int64		updated;

		run(Q_TRANSFER_APPLY, v, "     ", false);
		acc.balance = balance;
		acc.pending = DatumGetInt64(col(0, 1, &isnull));
		acc.held = DatumGetInt64(col(0, 2, &isnull));
		updated = DatumGetInt64(col(0, 3, &isnull));
		if (updated == 0)
			refuse_funds(src.id, account_available(&acc), acc.held, amount);
		if (updated != 2)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("transfer %lld updated %lld accounts, not 2", (long long) mid, (long long) updated)));
	}
	SPI_finish();
	PG_RETURN_INT64(mid);
}

/* ---- authz.record_usage ------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(ledger_record_usage);
Datum
ledger_record_usage(PG_FUNCTION_ARGS)
{
	Datum		key;
	bool		key_null;
	UsageResult res;
	bool		qty_null = PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3);

	ledger_connect();
	key = arg_or_null(fcinfo, 4, &key_null);
	usage_one(authz_caller_is_trusted(), PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0),
			  qty_null ? (Datum) 0 : PG_GETARG_DATUM(1),
			  qty_null ? (Datum) 0 : PG_GETARG_DATUM(2),
			  qty_null ? (Datum) 0 : PG_GETARG_DATUM(3), qty_null,
			  key, key_null, &res);
	SPI_finish();
	PG_RETURN_INT64(res.charge);
}

/* ---- authz.record_usage_batch ----------------------------------------------------------- */

/* A workspace as a batch sees it: looked up once, with its new charges. */
typedef struct BatchWorkspace
{
	pg_uuid_t	id;				/* hash key */
	bool		has_org;
	pg_uuid_t	org;
	Rates		rates;			/* numeric, in the batch's context */
	int			n;
	int			cap;
	Datum	   *movements;		/* int8 */
	Datum	   *amounts;		/* credits (negative) */
} BatchWorkspace;

typedef struct BatchContext
{
	int			event;			/* 1-based position being checked or replayed */
	int			nevents;
} BatchContext;

static void
batch_error_context(void *arg)
{
	BatchContext *b = (BatchContext *) arg;

	if (b->event > 0)
		errcontext("usage event %d of %d in the batch (nothing of the batch was booked)",
				   b->event, b->nevents);
}

static int
batch_ws_cmp(const void *a, const void *b)
{
	return memcmp(&(*(BatchWorkspace *const *) a)->id, &(*(BatchWorkspace *const *) b)->id, UUID_LEN);
}

static Datum
array_of(Datum *values, bool *nulls, int n, Oid type, int16 len, bool byval, char align)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type, len, byval, align));
}

/* byte-equal texts (keys are unique under a deterministic collation) */
static bool
text_equal(Datum a, Datum b)
{
	text	   *x = DatumGetTextPP(a);
	text	   *y = DatumGetTextPP(b);

	return VARSIZE_ANY_EXHDR(x) == VARSIZE_ANY_EXHDR(y) &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) == 0;
}

static void
batch_add_charge(BatchWorkspace *bw, int64 movement_id, int64 charge)
{
	if (bw->n == bw->cap)
	{
		bw->cap = bw->cap == 0 ? 16 : bw->cap * 2;
		bw->movements = bw->movements ? repalloc(bw->movements, sizeof(Datum) * bw->cap)
			: palloc(sizeof(Datum) * bw->cap);
		bw->amounts = bw->amounts ? repalloc(bw->amounts, sizeof(Datum) * bw->cap)
			: palloc(sizeof(Datum) * bw->cap);
	}
	bw->movements[bw->n] = Int64GetDatum(movement_id);
	bw->amounts[bw->n] = Int64GetDatum(-charge);
	bw->n++;
}

/*
 * Every event is checked and priced first (each workspace looked up once);
 * then one statement records the movements of all of them, in event order,
 * skipping keys already used; a skipped event is a retry of the movement its
 * key names (or refused with 23505 for other quantities). Last, each
 * workspace's new charges are booked in workspace-id order, never waiting for
 * an account: into its ledger and balance, with what it had pending, when the
 * account is free or new, else as pending charges. Any refusal refuses the
 * whole batch.
 */
PG_FUNCTION_INFO_V1(ledger_record_usage_batch);
Datum
ledger_record_usage_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *arr;
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	TupleDesc	evdesc;
	HTAB	   *batch;
	HASHCTL		hctl;
	BatchContext bctx;
	ErrorContextCallback errcb;
	Datum	   *ws;
	Datum	   *tenant;
	Datum	   *amount;
	Datum	   *key;
	bool	   *key_null;
	Datum	   *fp;
	Datum	   *qty[3];
	Datum	   *rate[3];
	BatchWorkspace **ev_ws;
	UsageResult *res;
	MemoryContext per_event;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("events must not be NULL")));
	InitMaterializedSRF(fcinfo, 0);

	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("events must be a one-dimensional array")));
	elemtype = ARR_ELEMTYPE(arr);
	get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, elemtype, elmlen, elmbyval, elmalign, &elems, &elemnulls, &nelems);
	evdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	if (evdesc->natts != 5)
		elog(ERROR, "authz.usage_event has %d attributes, expected 5", evdesc->natts);

	ledger_connect();
	require_platform("record usage");
	if (nelems == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}
	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(pg_uuid_t);
	hctl.entrysize = sizeof(BatchWorkspace);
	hctl.hcxt = CurrentMemoryContext;
	batch = hash_create("usage batch workspaces", 64, &hctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	bctx.event = 0;
	bctx.nevents = nelems;
	errcb.callback = batch_error_context;
	errcb.arg = &bctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	ws = palloc(sizeof(Datum) * nelems);
	tenant = palloc(sizeof(Datum) * nelems);
	amount = palloc(sizeof(Datum) * nelems);
	key = palloc(sizeof(Datum) * nelems);
	key_null = palloc(sizeof(bool) * nelems);
	fp = palloc(sizeof(Datum) * nelems);
	for (int k = 0; k < 3; k++)
	{
		qty[k] = palloc(sizeof(Datum) * nelems);
		rate[k] = palloc(sizeof(Datum) * nelems);
	}
	ev_ws = palloc(sizeof(BatchWorkspace *) * nelems);
	res = palloc(sizeof(UsageResult) * nelems);
	per_event = AllocSetContextCreate(CurrentMemoryContext, "usage batch event", ALLOCSET_DEFAULT_SIZES);

	/* check and price every event */
	for (int i = 0; i < nelems; i++)
	{
		HeapTupleHeader ev;
		HeapTupleData tup;
		Datum		f[5];
		bool		fn[5];
		BatchWorkspace *bw;
		bool		found;
		char	   *fpstr;
		MemoryContext oldcxt;

		bctx.event = i + 1;
		if (elemnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a usage event must not be NULL")));
		ev = DatumGetHeapTupleHeader(elems[i]);
		tup.t_len = HeapTupleHeaderGetDatumLength(ev);
		ItemPointerSetInvalid(&tup.t_self);
		tup.t_tableOid = InvalidOid;
		tup.t_data = ev;
		heap_deform_tuple(&tup, evdesc, f, fn);

		if (fn[0])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("workspace_id must not be NULL")));
		bw = hash_search(batch, DatumGetPointer(f[0]), HASH_ENTER, &found);
		if (!found)
		{
			Datum		org;
			bool		has_account;

			bw->n = 0;
			bw->cap = 0;
			bw->movements = NULL;
			bw->amounts = NULL;
			usage_workspace(true, f[0], &bw->has_org, &org, &bw->rates, &has_account);
			if (bw->has_org)
				memcpy(&bw->org, DatumGetPointer(org), UUID_LEN);
		}
		oldcxt = MemoryContextSwitchTo(per_event);
		check_quantities(fn[1] || fn[2] || fn[3], f[1], f[2], f[3]);
		res[i].charge = usage_price(f[1], f[2], f[3], &bw->rates);
		res[i].movement_id = 0;
		res[i].replayed = false;
		check_text_datum(f[4], fn[4], "idempotency key", KEY_MAX);
		fpstr = usage_fingerprint(f[0], f[1], f[2], f[3]);
		MemoryContextSwitchTo(oldcxt);
		fp[i] = CStringGetTextDatum(fpstr);
		MemoryContextReset(per_event);

		ev_ws[i] = bw;
		ws[i] = f[0];
		tenant[i] = bw->has_org ? UUIDPGetDatum(&bw->org) : f[0];
		amount[i] = Int64GetDatum(res[i].charge);
		key[i] = fn[4] ? (Datum) 0 : f[4];
		key_null[i] = fn[4];
		qty[0][i] = f[1];
		qty[1][i] = f[2];
		qty[2][i] = f[3];
		rate[0][i] = bw->rates.cpu;
		rate[1][i] = bw->rates.mem;
		rate[2][i] = bw->rates.sto;
	}
	bctx.event = 0;

	/* record every movement, in event order; keys already used are skipped */
	{
		Datum		v[11];
		uint64		nrows;
		SPITupleTable *tt;
		uint64		r = 0;

		v[0] = array_of(amount, NULL, nelems, plans_credits_oid, 8, true, TYPALIGN_DOUBLE);
		v[1] = array_of(ws, NULL, nelems, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
		v[2] = array_of(tenant, NULL, nelems, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
		v[3] = array_of(key, key_null, nelems, TEXTOID, -1, false, TYPALIGN_INT);
		v[4] = array_of(fp, NULL, nelems, TEXTOID, -1, false, TYPALIGN_INT);
		for (int k = 0; k < 3; k++)
		{
			v[5 + k] = array_of(qty[k], NULL, nelems, NUMERICOID, -1, false, TYPALIGN_INT);
			v[8 + k] = array_of(rate[k], NULL, nelems, NUMERICOID, -1, false, TYPALIGN_INT);
		}
		run(Q_BULK_MOVE_USAGE, v, "           ", false);
		nrows = SPI_processed;
		tt = SPI_tuptable;
		SPI_tuptable = NULL;	/* kept while the replays below run */
		for (int i = 0; i < nelems; i++)
		{
			bool		isnull;
			bool		inserted = false;

			if (r < nrows)
			{
				Datum		k = SPI_getbinval(tt->vals[r], tt->tupdesc, 2, &isnull);

				/* a row per inserted event, in event order: it carries the event's key */
				inserted = key_null[i] ? isnull :
					(!isnull && text_equal(k, key[i]));
			}
			if (inserted)
			{
				res[i].movement_id = DatumGetInt64(SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &isnull));
				r++;
				if (res[i].charge != 0)
					batch_add_charge(ev_ws[i], res[i].movement_id, res[i].charge);
			}
			else
			{
				if (key_null[i])
					elog(ERROR, "usage event %d without a key was not recorded", i + 1);
				bctx.event = i + 1;
				usage_replay(tenant[i], key[i], fp[i], &res[i]);
				bctx.event = 0;
			}
		}
		if (r != nrows)
			elog(ERROR, "usage batch recorded %llu movements for %llu events",
				 (unsigned long long) nrows, (unsigned long long) r);
		SPI_freetuptable(tt);
	}

	/* book each workspace's new charges, in workspace-id order */
	{
		long		nws = hash_get_num_entries(batch);
		BatchWorkspace **list = palloc(sizeof(BatchWorkspace *) * Max(nws, 1));
		HASH_SEQ_STATUS seq;
		BatchWorkspace *bw;
		int			k = 0;

		hash_seq_init(&seq, batch);
		while ((bw = hash_seq_search(&seq)) != NULL)
			if (bw->n > 0)
				list[k++] = bw;
		qsort(list, k, sizeof(BatchWorkspace *), batch_ws_cmp);
		for (int i = 0; i < k; i++)
		{
			Datum		id = UUIDPGetDatum(&list[i]->id);
			Datum		v1[1] = {id};
			Datum		v3[3];

			v3[0] = id;
			v3[1] = PointerGetDatum(construct_array(list[i]->movements, list[i]->n, INT8OID, 8, true, TYPALIGN_DOUBLE));
			v3[2] = PointerGetDatum(construct_array(list[i]->amounts, list[i]->n, plans_credits_oid, 8, true, TYPALIGN_DOUBLE));
			run(Q_TRY_LOCK, v1, " ", false);
			if (SPI_processed == 0)
				run(Q_OPEN_NEW, v1, " ", false);
			if (SPI_processed == 1)
				run(Q_BULK_APPLY, v3, "   ", false);
			else
				run(Q_BULK_PENDING, v3, "   ", false);
		}
	}
	error_context_stack = errcb.previous;

	for (int i = 0; i < nelems; i++)
	{
		Datum		out[5];
		bool		outnull[5] = {false, false, false, false, false};

		out[0] = Int32GetDatum(i + 1);
		out[1] = ws[i];
		out[2] = Int64GetDatum(res[i].charge);
		out[3] = Int64GetDatum(res[i].movement_id);
		out[4] = BoolGetDatum(res[i].replayed);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, outnull);
	}
	SPI_finish();
	return (Datum) 0;
}

/* ---- holds ------------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(ledger_hold_credits);
Datum
ledger_hold_credits(PG_FUNCTION_ARGS)
{
	Datum		ws;
	bool		has_org;
	Datum		org;
	int64		amount;
	Datum		key;
	bool		key_null;
	Interval   *ttl;
	char	   *fp;
	int64		hold_id;
	bool		isnull;
	Account		acc;

	ledger_connect();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workspace_id must not be NULL")));
	ws = PG_GETARG_DATUM(0);
	lookup_workspace(ws, &has_org, &org);
	require_platform("hold credits");
	amount = check_amount(fcinfo, 1);
	key = check_text(fcinfo, 2, "idempotency key", KEY_MAX, &key_null);
	require_not_null(fcinfo, 3, "expires_in");
	ttl = PG_GETARG_INTERVAL_P(3);
	{
		Interval	zero;

		memset(&zero, 0, sizeof(zero));
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(ttl),
											  IntervalPGetDatum(&zero))) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expires_in must be positive, not %s",
							DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(ttl))))));
	}
	fp = psprintf("hold %s %s %s", uuid_text(ws), credits_text(amount),
				  DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(ttl))));

	{
		Datum		v[6] = {ws, Int64GetDatum(amount), has_org ? org : ws, key,
		CStringGetTextDatum(fp), IntervalPGetDatum(ttl)};

		run(Q_HOLD_INSERT, v, key_null ? "   n  " : "      ", false);
		if (SPI_processed == 0)
		{
			Datum		r[2] = {has_org ? org : ws, key};
			char	   *got;

			run(Q_HOLD_REPLAY, r, "  ", true);
			if (SPI_processed != 1)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("hold with idempotency key \"%s\" is missing after a conflict",
								TextDatumGetCString(key))));
			hold_id = DatumGetInt64(col(0, 1, &isnull));
			got = TextDatumGetCString(col(0, 2, &isnull));
			if (strcmp(got, fp) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNIQUE_VIOLATION),
						 errmsg("idempotency key \"%s\" was already used with other arguments",
								TextDatumGetCString(key)),
						 errhint("Use a new key for a new hold.")));
			SPI_finish();
			PG_RETURN_INT64(hold_id);
		}
		hold_id = DatumGetInt64(col(0, 1, &isnull));
	}

	/* the account's open holds now include this one */
	lock_account(ws, &acc, true);
	if (account_available(&acc) < 0)
	{
		int64		before = acc.balance + acc.pending - (acc.held - amount);

		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("insufficient credits in workspace \"%s\": available %s, hold %s",
						workspace_label(ws), credits_text(before), credits_text(amount)),
				 errdetail("Available credits are the balance less the open holds; nothing was held."),
				 errhint("Top the workspace up, hold less, or release holds that are no longer needed.")));
	}
	SPI_finish();
	PG_RETURN_INT64(hold_id);
}

typedef struct HoldRow
{
	Datum		workspace_id;
	int64		amount;
	char	   *status;
	bool		expired;
	bool		captured_null;
	int64		captured;
	int64		movement_id;
	Datum		tenant_id;
	char	   *expires_at;
} HoldRow;

static void
get_hold(int64 hold_id, HoldRow *h)
{
	Datum		v[1] = {Int64GetDatum(hold_id)};
	bool		isnull;

	run(Q_HOLD_GET, v, " ", false);
	if (SPI_processed == 0)
	{
		Datum		r[2] = {CStringGetTextDatum("hold"), CStringGetTextDatum(psprintf("%lld", (long long) hold_id))};

		run(Q_RAISE_HIDDEN, r, "  ", true);	/* 42704, as for anything unknown */
		elog(ERROR, "hold %lld was not found", (long long) hold_id);
	}
	h->workspace_id = datumCopy(col(0, 1, &isnull), false, UUID_LEN);
	h->amount = DatumGetInt64(col(0, 2, &isnull));
	h->status = TextDatumGetCString(col(0, 3, &isnull));
	h->expired = DatumGetBool(col(0, 4, &isnull));
	h->captured = DatumGetInt64(col(0, 5, &h->captured_null));
	h->movement_id = DatumGetInt64(col(0, 6, &isnull));
	h->tenant_id = datumCopy(col(0, 7, &isnull), false, UUID_LEN);
	h->expires_at = DatumGetCString(DirectFunctionCall1(timestamptz_out, col(0, 8, &isnull)));
}

PG_FUNCTION_INFO_V1(ledger_capture_hold);
Datum
ledger_capture_hold(PG_FUNCTION_ARGS)
{
	int64		hold_id;
	int64		amount;
	HoldRow		h;
	int64		mid;
	int64		replay;
	int64		replay_amount;
	char	   *fp;
	Datum		usage;

	ledger_connect();
	require_platform("capture a hold");
	require_not_null(fcinfo, 0, "hold_id");
	require_not_null(fcinfo, 1, "amount");
	hold_id = PG_GETARG_INT64(0);
	amount = PG_GETARG_INT64(1);
	if (amount < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must not be negative, not %s", credits_text(amount))));
	get_hold(hold_id, &h);
	if (strcmp(h.status, "captured") == 0)
	{
		/* a retry of the same capture answers the same movement */
		if (!h.captured_null && h.captured == amount)
		{
			SPI_finish();
			PG_RETURN_INT64(h.movement_id);
		}
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %lld was already captured, for %s", (long long) hold_id,
						credits_text(h.captured)),
				 errhint("A hold is captured once.")));
	}
	if (strcmp(h.status, "released") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %lld was released", (long long) hold_id),
				 errhint("Charge the usage with authz.record_usage instead.")));
	if (h.expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %lld expired at %s", (long long) hold_id, h.expires_at),
				 errhint("Charge the usage with authz.record_usage instead.")));
	if (amount > h.amount)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture of %s exceeds hold %lld of %s", credits_text(amount), (long long) hold_id,
						credits_text(h.amount)),
				 errhint("Capture at most the amount held; charge the rest with authz.record_usage.")));

	fp = psprintf("capture %lld %s", (long long) hold_id, credits_text(amount));
	usage = DirectFunctionCall1(jsonb_in,
								CStringGetDatum(psprintf("{\"hold_id\": %lld, \"held\": %s}",
														 (long long) hold_id, credits_text(h.amount))));
	mid = insert_movement("usage", amount, h.workspace_id, false, (Datum) 0, true, (Datum) 0, true,
						  h.tenant_id, (Datum) 0, true, fp, usage, false, &replay, &replay_amount);
	if (amount != 0)
		book_usage(h.workspace_id, mid, amount, false);
	{
		Datum		v[3] = {Int64GetDatum(hold_id), Int64GetDatum(amount), Int64GetDatum(mid)};

		run(Q_HOLD_CAPTURE, v, "   ", false);
	}
	SPI_finish();
	PG_RETURN_INT64(mid);
}

PG_FUNCTION_INFO_V1(ledger_release_hold);
Datum
ledger_release_hold(PG_FUNCTION_ARGS)
{
	int64		hold_id;
	HoldRow		h;

	ledger_connect();
	require_platform("release a hold");
	require_not_null(fcinfo, 0, "hold_id");
	hold_id = PG_GETARG_INT64(0);
	get_hold(hold_id, &h);
	if (strcmp(h.status, "captured") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("hold %lld was captured, for %s", (long long) hold_id, credits_text(h.captured)),
				 errhint("A captured hold has nothing left to release.")));
	if (strcmp(h.status, "open") == 0)
	{
		Datum		v[1] = {Int64GetDatum(hold_id)};

		run(Q_HOLD_RELEASE, v, " ", false);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---- folding ------------------------------------------------------------------------------- */

/*
 * authz_internal._fold(workspace_id): lock the account (waiting for it) and
 * move its pending charges into the ledger and the balance.
 */
PG_FUNCTION_INFO_V1(ledger_fold);
Datum
ledger_fold(PG_FUNCTION_ARGS)
{
	Datum		ws;
	Datum		v1[1];
	Datum		v3[3];

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	ws = PG_GETARG_DATUM(0);
	ledger_connect();
	v1[0] = ws;
	run(Q_LOCK, v1, " ", false);
	if (SPI_processed == 1)
	{
		v3[0] = (Datum) 0;
		v3[1] = ws;
		v3[2] = (Datum) 0;
		run(Q_USAGE_APPLY, v3, "n n", false);
	}
	SPI_finish();
	PG_RETURN_VOID();
}
