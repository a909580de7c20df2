-- workspace_authz 0.1.0 -> 0.2.0. Every change to the install script since
-- 0.1.0 is carried here too; test/upgrade.sh compares an updated 0.1.0
-- installation with a fresh 0.2.0 one, object by object.

\echo Use "ALTER EXTENSION workspace_authz UPDATE TO '0.2.0'" to load this file. \quit

-- Helpers and the types' support functions move to schema authz_internal, and
-- every function body that names them follows.
CREATE SCHEMA authz_internal;
COMMENT ON SCHEMA authz_internal IS
    'workspace_authz internals: helpers of the functions in schema authz and support functions of its types; not an interface';
GRANT USAGE ON SCHEMA authz_internal TO PUBLIC;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'authz'::regnamespace
                AND (p.proname LIKE '\_%' OR p.proname ~ '^(permset|credits)_')
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET SCHEMA authz_internal', f);
    END LOOP;
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace)
                AND p.prosrc ~ 'authz\.(_|permset_|credits_)'
    LOOP
        EXECUTE pg_catalog.regexp_replace(pg_catalog.pg_get_functiondef(f),
                                          'authz\.(_|permset_|credits_)', 'authz_internal.\1', 'g');
    END LOOP;
END
$$;

-- The credit ledger engine in C (src/ledger.c): top-ups, transfers and usage
-- charges; usage charges that do not wait for the account (pending charges,
-- folded lazily); batched usage; holds; a lighter ledger (the movement row is
-- its own audit record, one index per ledger entry, no per-entry foreign key
-- check).
DROP TRIGGER audit ON authz.credit_movements;
DROP INDEX authz.credit_movements_from_idx, authz.credit_movements_to_idx;
ALTER TABLE authz.credit_ledger DROP CONSTRAINT credit_ledger_movement_id_fkey;
DROP INDEX authz.credit_ledger_workspace_idx, authz.credit_ledger_movement_idx;
ALTER TABLE authz.credit_ledger DROP CONSTRAINT credit_ledger_pkey;
ALTER TABLE authz.credit_ledger ADD PRIMARY KEY (workspace_id, id);
COMMENT ON TABLE authz.credit_movements IS
    'One row per top-up, transfer or usage charge (append-only); each row is the audit record of its movement';
COMMENT ON TABLE authz.credit_ledger IS
    'Append-only ledger entries: credits (positive) and debits (negative) of workspace accounts; a transfer is one of each; written only under the account''s lock, so entry order is the order of the account''s changes';
COMMENT ON COLUMN authz.credit_ledger.movement_id IS
    'The movement this entry belongs to (written by the engine in the movement''s transaction)';
COMMENT ON CONSTRAINT credit_ledger_pkey ON authz.credit_ledger IS
    'An account''s entries in the order they were written (the only index of the ledger)';

CREATE TABLE authz.credit_pending (
    workspace_id uuid NOT NULL,
    movement_id  bigint NOT NULL,
    amount       authz.credits NOT NULL CHECK (amount < '0'),
    PRIMARY KEY (workspace_id, movement_id)
);
COMMENT ON TABLE authz.credit_pending IS
    'Usage charges booked while another transaction held the account, not yet folded into its ledger and balance';
COMMENT ON COLUMN authz.credit_pending.workspace_id IS 'Account (workspace) charged';
COMMENT ON COLUMN authz.credit_pending.movement_id IS 'The usage movement';
COMMENT ON COLUMN authz.credit_pending.amount IS 'Signed amount of the entry to write (negative)';
COMMENT ON CONSTRAINT credit_pending_pkey ON authz.credit_pending IS 'An account''s pending charges';

CREATE TABLE authz.credit_holds (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    amount          authz.credits NOT NULL CHECK (amount > '0'),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'captured', 'released')),
    expires_at      timestamptz NOT NULL,
    captured        authz.credits CHECK (captured >= '0' AND captured <= amount),
    movement_id     bigint,
    tenant_id       uuid NOT NULL,
    idempotency_key text,
    fingerprint     text NOT NULL,
    actor_id        uuid,
    login_role      name NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at       timestamptz,
    CONSTRAINT credit_holds_key UNIQUE (tenant_id, idempotency_key),
    CHECK ((status = 'captured') = (captured IS NOT NULL AND movement_id IS NOT NULL))
);
CREATE INDEX credit_holds_open_idx ON authz.credit_holds (workspace_id) WHERE status = 'open';
COMMENT ON TABLE authz.credit_holds IS
    'Credits reserved for running work: an open hold that has not expired is not available to transfers or other holds';
COMMENT ON SEQUENCE authz.credit_holds_id_seq IS 'Identifiers of holds, in the order they were made';
COMMENT ON COLUMN authz.credit_holds.id IS 'Hold id, returned by authz.hold_credits';
COMMENT ON COLUMN authz.credit_holds.workspace_id IS 'Workspace whose credits are held';
COMMENT ON COLUMN authz.credit_holds.amount IS 'Amount held';
COMMENT ON COLUMN authz.credit_holds.status IS
    'open (reserved until expires_at), captured (charged, the rest released) or released';
COMMENT ON COLUMN authz.credit_holds.expires_at IS 'After this an open hold reserves nothing and can no longer be captured';
COMMENT ON COLUMN authz.credit_holds.captured IS 'Amount charged at capture';
COMMENT ON COLUMN authz.credit_holds.movement_id IS 'The usage movement made by the capture';
COMMENT ON COLUMN authz.credit_holds.tenant_id IS 'Tenant whose idempotency keys it shares (as for movements)';
COMMENT ON COLUMN authz.credit_holds.idempotency_key IS 'Caller''s key, unique in the tenant: a retry returns this hold';
COMMENT ON COLUMN authz.credit_holds.fingerprint IS 'The arguments of the call, to refuse a key reused with others';
COMMENT ON COLUMN authz.credit_holds.actor_id IS 'Current user who made it (NULL for a trusted role acting for the platform)';
COMMENT ON COLUMN authz.credit_holds.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.credit_holds.created_at IS 'When it was made';
COMMENT ON COLUMN authz.credit_holds.closed_at IS 'When it was captured or released';
COMMENT ON CONSTRAINT credit_holds_key ON authz.credit_holds IS
    'An idempotency key makes one hold per tenant (NULL keys never conflict)';
COMMENT ON INDEX authz.credit_holds_open_idx IS 'Open holds of an account, summed under its lock';

CREATE TYPE authz.usage_event AS (
    workspace_id      uuid,
    cpu_hours         numeric,
    memory_gib_hours  numeric,
    storage_gb_months numeric,
    idempotency_key   text
);
COMMENT ON TYPE authz.usage_event IS 'One usage event of authz.record_usage_batch: the arguments of authz.record_usage';
COMMENT ON COLUMN authz.usage_event.workspace_id IS 'Workspace charged';
COMMENT ON COLUMN authz.usage_event.cpu_hours IS 'CPU-hours used';
COMMENT ON COLUMN authz.usage_event.memory_gib_hours IS 'GiB-hours of memory used';
COMMENT ON COLUMN authz.usage_event.storage_gb_months IS 'GB-months of storage used';
COMMENT ON COLUMN authz.usage_event.idempotency_key IS 'The event''s key: a retried event books nothing twice';

DROP FUNCTION authz_internal._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb);
DROP FUNCTION authz_internal._lock_accounts(uuid, uuid);
DROP FUNCTION authz_internal._check_amount(authz.credits);

CREATE FUNCTION authz_internal._fold(workspace_id uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_fold' LANGUAGE C VOLATILE
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz_internal._fold(uuid) IS
    'Internal: lock a workspace''s account and fold its pending usage charges into its ledger and balance';
REVOKE ALL ON FUNCTION authz_internal._fold(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authz_internal._keep_funded_workspace() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    PERFORM authz_internal._fold(OLD.id);    -- pending charges count, and go with the account
    SELECT a.balance INTO b FROM authz.credit_accounts a WHERE a.workspace_id = OLD.id FOR UPDATE;
    IF b IS NOT NULL AND b OPERATOR(authz.<>) '0'::authz.credits THEN
        RAISE EXCEPTION 'workspace "%" still holds % credits', authz_internal._workspace_label(OLD.id), b
            USING ERRCODE = '23514',
                  HINT = 'Transfer its credits to another workspace of the organization first.';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION authz_internal._keep_funded_workspace() IS 'Internal trigger: refuse to delete a workspace whose balance is not zero';

CREATE OR REPLACE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_add_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) IS
    'Top up a workspace''s account (trusted roles: the billing system); returns the movement id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) TO workspace_authz_trusted;

CREATE OR REPLACE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_transfer_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never takes the source''s available credits below zero; returns the movement id; idempotent on its key';

CREATE OR REPLACE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
                                   storage_gb_months numeric DEFAULT 0, idempotency_key text DEFAULT NULL)
    RETURNS authz.credits AS 'MODULE_PATHNAME', 'ledger_record_usage' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) IS
    'Charge a workspace for usage at its organization''s rate card (trusted roles: the metering system); never refused for lack of funds, never waits for the account; returns the charge; idempotent on its key';
REVOKE ALL ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.record_usage_batch(events authz.usage_event[])
    RETURNS TABLE (event integer, workspace_id uuid, charge authz.credits, movement_id bigint, replayed boolean)
    AS 'MODULE_PATHNAME', 'ledger_record_usage_batch' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.record_usage_batch(authz.usage_event[]) IS
    'Charge many usage events of many workspaces in one call, as record_usage each (trusted roles); all or nothing: an invalid event refuses the whole batch; one row per event: its position, charge, movement and whether it was a retry';
REVOKE ALL ON FUNCTION authz.record_usage_batch(authz.usage_event[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage_batch(authz.usage_event[]) TO workspace_authz_trusted;

CREATE FUNCTION authz.hold_credits(workspace_id uuid, amount authz.credits, idempotency_key text,
                                   expires_in interval DEFAULT '1 hour')
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_hold_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) IS
    'Reserve credits for running work until captured, released or expired (trusted roles); refused (23514, nothing held) beyond the available credits; returns the hold id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) TO workspace_authz_trusted;

CREATE FUNCTION authz.capture_hold(hold_id bigint, amount authz.credits)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_capture_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.capture_hold(bigint, authz.credits) IS
    'Charge the actual amount (at most the amount held) as a usage movement and release the rest (trusted roles); returns the movement id; a retry with the same amount returns it again';
REVOKE ALL ON FUNCTION authz.capture_hold(bigint, authz.credits) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.capture_hold(bigint, authz.credits) TO workspace_authz_trusted;

CREATE FUNCTION authz.release_hold(hold_id bigint)
    RETURNS void AS 'MODULE_PATHNAME', 'ledger_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.release_hold(bigint) IS
    'Release a hold without charging anything (trusted roles); releasing it again does nothing';
REVOKE ALL ON FUNCTION authz.release_hold(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.release_hold(bigint) TO workspace_authz_trusted;

CREATE OR REPLACE FUNCTION authz.balance(workspace_id uuid) RETURNS authz.credits
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    PERFORM authz_internal._workspace(workspace_id);
    IF NOT authz_internal._is_trusted() AND NOT coalesce(authz_internal._visible_credits(workspace_id), false) THEN
        RAISE EXCEPTION 'permission denied: "billing.view" is required in workspace "%"',
            authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42501', HINT = 'Or "org.billing.view" in its organization.';
    END IF;
    SELECT coalesce((SELECT a.balance FROM authz.credit_accounts a WHERE a.workspace_id = balance.workspace_id), '0')
           OPERATOR(authz.+)
           coalesce((SELECT authz.sum(p.amount) FROM authz.credit_pending p WHERE p.workspace_id = balance.workspace_id), '0')
      INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz.balance(uuid) IS
    'A workspace''s credit balance, pending usage charges included (needs billing.view there or org.billing.view in its organization)';

CREATE FUNCTION authz.available(workspace_id uuid) RETURNS authz.credits
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    RETURN authz.balance(workspace_id)
           OPERATOR(authz.-)
           coalesce((SELECT authz.sum(h.amount) FROM authz.credit_holds h
                      WHERE h.workspace_id = available.workspace_id AND h.status = 'open'
                        AND h.expires_at > pg_catalog.now()), '0');
END
$$;
COMMENT ON FUNCTION authz.available(uuid) IS
    'A workspace''s credits not held for running work: its balance less its open, unexpired holds (who may read balance() may read this)';

CREATE OR REPLACE FUNCTION authz.org_credit_summary(org_id uuid, since timestamptz DEFAULT '-infinity',
                                         until timestamptz DEFAULT 'infinity')
    RETURNS TABLE (workspace_id uuid, workspace text, balance authz.credits, topups authz.credits,
                   transfers_in authz.credits, transfers_out authz.credits, usage authz.credits)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._org(org_id);
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._require_org(org_id, 'org.billing.view');
    END IF;
    IF since IS NULL OR until IS NULL THEN
        RAISE EXCEPTION 'period bounds must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- flows from the entries of the organization's accounts (pending charges included)
    RETURN QUERY
    WITH ws AS (
        SELECT w.id, w.name FROM authz.workspaces w WHERE w.org_id = org_credit_summary.org_id
    ), flows AS (
        SELECT x.workspace_id, m.kind, x.amount
          FROM (SELECT e.workspace_id, e.movement_id, e.amount FROM authz.credit_ledger e
                 WHERE e.workspace_id IN (SELECT ws.id FROM ws)
                UNION ALL
                SELECT p.workspace_id, p.movement_id, p.amount FROM authz.credit_pending p
                 WHERE p.workspace_id IN (SELECT ws.id FROM ws)) x
          JOIN authz.credit_movements m ON m.id = x.movement_id
         WHERE m.created_at >= since AND m.created_at < until
    ), per_ws AS (
        SELECT ws.id, ws.name,
               coalesce(a.balance, '0')
                 + coalesce((SELECT sum(p.amount) FROM authz.credit_pending p WHERE p.workspace_id = ws.id), '0') AS balance,
               coalesce((SELECT sum(f.amount) FROM flows f WHERE f.workspace_id = ws.id AND f.kind = 'topup'), '0') AS topups,
               coalesce((SELECT sum(f.amount) FROM flows f
                          WHERE f.workspace_id = ws.id AND f.kind = 'transfer' AND f.amount > '0'), '0') AS t_in,
               coalesce((SELECT sum(-f.amount) FROM flows f
                          WHERE f.workspace_id = ws.id AND f.kind = 'transfer' AND f.amount < '0'), '0') AS t_out,
               coalesce((SELECT sum(-f.amount) FROM flows f WHERE f.workspace_id = ws.id AND f.kind = 'usage'), '0') AS used
          FROM ws LEFT JOIN authz.credit_accounts a ON a.workspace_id = ws.id
    )
    SELECT p.id, p.name, p.balance, p.topups, p.t_in, p.t_out, p.used FROM per_ws p
    UNION ALL
    SELECT NULL, '(organization total)', coalesce(sum(p.balance), '0'), coalesce(sum(p.topups), '0'),
           coalesce(sum(p.t_in), '0'), coalesce(sum(p.t_out), '0'), coalesce(sum(p.used), '0')
      FROM per_ws p
     ORDER BY 1 NULLS LAST;
END
$$;
COMMENT ON FUNCTION authz.org_credit_summary(uuid, timestamptz, timestamptz) IS
    'Per workspace of an organization: balance, and top-ups, transfers and usage over [since, until); then the organization total (needs org.billing.view)';

ALTER POLICY visible ON authz.credit_movements
    USING (coalesce(authz_internal._visible_credits(from_workspace), false)
           OR coalesce(authz_internal._visible_credits(to_workspace), false)
           OR authz.current_user_id() IS NULL
              AND pg_catalog.has_function_privilege('authz.set_user(uuid, boolean)'::regprocedure, 'EXECUTE'));
COMMENT ON POLICY visible ON authz.credit_movements IS
    'Movements touching a workspace where you see billing; all of them for a trusted role acting for the platform (no current user), as the audit log shows them';
ALTER TABLE authz.credit_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_pending FOR SELECT USING (authz_internal._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_pending IS 'Pending charges of workspaces where you see billing';
ALTER TABLE authz.credit_holds ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_holds FOR SELECT
    USING (coalesce(authz_internal._visible_credits(workspace_id), false)
           OR authz.current_user_id() IS NULL
              AND pg_catalog.has_function_privilege('authz.set_user(uuid, boolean)'::regprocedure, 'EXECUTE'));
COMMENT ON POLICY visible ON authz.credit_holds IS
    'Holds of workspaces where you see billing; all of them for a trusted role acting for the platform (no current user), which makes them';
GRANT SELECT ON authz.credit_pending TO PUBLIC;
GRANT SELECT (tenant_id) ON authz.credit_movements TO PUBLIC;
GRANT SELECT (id, workspace_id, amount, status, expires_at, captured, movement_id, actor_id, login_role, created_at,
              closed_at)
    ON authz.credit_holds TO PUBLIC;

CREATE OR REPLACE VIEW authz.audit WITH (security_invoker = true) AS
SELECT a.id, a.at, coalesce(u.handle, a.actor_id::text, '(platform)') AS actor, a.login_role, a.action, a.target,
       CASE WHEN a.before IS NOT NULL AND a.after IS NOT NULL
            THEN (SELECT jsonb_object_agg(k, jsonb_build_array(authz.audit_value(k, a.before -> k),
                                                               authz.audit_value(k, a.after -> k)))
                    FROM jsonb_object_keys(a.after) k
                   WHERE a.before -> k IS DISTINCT FROM a.after -> k)
            ELSE (SELECT jsonb_object_agg(e.key, authz.audit_value(e.key, e.value))
                    FROM jsonb_each(coalesce(a.after, a.before)) e) END AS changes,
       a.org_id, a.workspace_id
  FROM authz.audit_log a
  LEFT JOIN authz.users u ON u.id = a.actor_id
UNION ALL
SELECT NULL::bigint, m.created_at, coalesce(u.handle, m.actor_id::text, '(platform)'), m.login_role,
       'credit_movements.insert', m.id::text,
       jsonb_strip_nulls(jsonb_build_object('id', m.id, 'kind', m.kind, 'amount', m.amount,
                                            'from_workspace', m.from_workspace, 'to_workspace', m.to_workspace,
                                            'memo', m.memo, 'usage', m.usage, 'actor_id', m.actor_id,
                                            'login_role', m.login_role, 'created_at', m.created_at)),
       (SELECT o.id FROM authz.orgs o WHERE o.id = m.tenant_id), coalesce(m.from_workspace, m.to_workspace)
  FROM authz.credit_movements m
  LEFT JOIN authz.users u ON u.id = m.actor_id;
COMMENT ON VIEW authz.audit IS
    'The audit log for people: who did what, and what changed (for updates, each changed column as [before, after]); credit movements (id NULL, target the movement id) come from authz.credit_movements, with its read rules';
SELECT pg_catalog.pg_extension_config_dump('authz.credit_pending', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_holds', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_holds', 'id'), '');
