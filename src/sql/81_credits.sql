-- ---------------------------------------------------------------------------
-- Credits: an account per workspace, an append-only ledger, top-ups,
-- transfers, usage charges at the organization's rate card (SPEC 5, 8).
--
-- The engine is C (src/ledger.c). Invariants: an account's balance always
-- equals the sum of its ledger entries (both change in the same statement);
-- a workspace's balance is its account's balance plus its pending usage
-- charges (credit_pending), which usage appends when another transaction holds
-- the account and which the next holder folds in; a transfer is two entries
-- (debit, credit) under one movement; transfers and holds never take the
-- available credits (balance less open holds) below zero, usage charges may;
-- money-moving calls are idempotent on their key within their tenant and their
-- actor class (the platform, or the tenant's users). Accounts are opened and
-- then locked in workspace-id order, so concurrent movements never deadlock. A
-- movement row is its own audit record.
-- ---------------------------------------------------------------------------

CREATE TABLE authz.credit_accounts (
    workspace_id uuid PRIMARY KEY REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    balance      authz.credits NOT NULL DEFAULT '0',
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.credit_accounts IS
    'The credit account of a workspace, opened at its first movement (none means 0); balance equals the sum of its ledger entries';
COMMENT ON COLUMN authz.credit_accounts.workspace_id IS 'Workspace';
COMMENT ON COLUMN authz.credit_accounts.balance IS 'Current balance (may be negative after usage charges only)';
COMMENT ON COLUMN authz.credit_accounts.updated_at IS 'Time of the last movement';

CREATE TABLE authz.rate_cards (
    org_id           uuid PRIMARY KEY REFERENCES authz.orgs (id) ON DELETE CASCADE,
    cpu_hour         authz.credits NOT NULL DEFAULT '0.1' CHECK (cpu_hour >= '0'),
    memory_gib_hour  authz.credits NOT NULL DEFAULT '0.025' CHECK (memory_gib_hour >= '0'),
    storage_gb_month authz.credits NOT NULL DEFAULT '0.025' CHECK (storage_gb_month >= '0'),
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.rate_cards IS 'Usage prices of an organization (absent: the defaults 0.1 / 0.025 / 0.025)';
COMMENT ON COLUMN authz.rate_cards.org_id IS 'Organization';
COMMENT ON COLUMN authz.rate_cards.cpu_hour IS 'Credits per CPU-hour';
COMMENT ON COLUMN authz.rate_cards.memory_gib_hour IS 'Credits per GiB of memory per hour';
COMMENT ON COLUMN authz.rate_cards.storage_gb_month IS 'Credits per GB of storage per month';
COMMENT ON COLUMN authz.rate_cards.updated_at IS 'When the prices last changed';

CREATE TABLE authz.credit_movements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('topup', 'transfer', 'usage')),
    amount          authz.credits NOT NULL CHECK (amount >= '0'),
    from_workspace  uuid,
    to_workspace    uuid,
    memo            text,
    tenant_id       uuid NOT NULL,
    idempotency_key text,
    fingerprint     text NOT NULL,
    usage           jsonb,
    actor_id        uuid,
    login_role      name NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    by_platform     boolean NOT NULL GENERATED ALWAYS AS (actor_id IS NULL) STORED,
    CONSTRAINT credit_movements_key UNIQUE (tenant_id, by_platform, idempotency_key),
    CHECK (kind <> 'transfer' OR (from_workspace IS NOT NULL AND to_workspace IS NOT NULL)),
    CHECK (kind <> 'topup' OR (from_workspace IS NULL AND to_workspace IS NOT NULL)),
    CHECK (kind <> 'usage' OR (from_workspace IS NOT NULL AND to_workspace IS NULL))
);
COMMENT ON TABLE authz.credit_movements IS
    'One row per top-up, transfer or usage charge (append-only); each row is the audit record of its movement';
COMMENT ON SEQUENCE authz.credit_movements_id_seq IS 'Identifiers of credit movements, in the order they were recorded';
COMMENT ON COLUMN authz.credit_movements.id IS 'Movement id, returned by the call that made it';
COMMENT ON COLUMN authz.credit_movements.kind IS 'topup (from outside), transfer (between workspaces of one org) or usage (consumed)';
COMMENT ON COLUMN authz.credit_movements.amount IS 'Amount moved (positive)';
COMMENT ON COLUMN authz.credit_movements.from_workspace IS 'Workspace debited (transfers, usage)';
COMMENT ON COLUMN authz.credit_movements.to_workspace IS 'Workspace credited (top-ups, transfers)';
COMMENT ON COLUMN authz.credit_movements.memo IS 'Free text from the caller';
COMMENT ON COLUMN authz.credit_movements.tenant_id IS
    'Tenant whose idempotency keys it shares: the organization of its workspaces, or the personal workspace itself';
COMMENT ON COLUMN authz.credit_movements.idempotency_key IS
    'Caller''s key, unique in the tenant and actor class: a retry with it returns this movement and moves nothing';
COMMENT ON COLUMN authz.credit_movements.fingerprint IS 'The arguments of the call, to refuse a key reused with others';
COMMENT ON COLUMN authz.credit_movements.usage IS 'For usage charges: quantities and rates applied';
COMMENT ON COLUMN authz.credit_movements.actor_id IS 'Current user who made it (NULL for a trusted role acting for the platform)';
COMMENT ON COLUMN authz.credit_movements.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.credit_movements.created_at IS 'When it was made';
COMMENT ON COLUMN authz.credit_movements.by_platform IS
    'Actor class of its idempotency key: made by the platform (no current user), not by a user of the tenant';
COMMENT ON CONSTRAINT credit_movements_key ON authz.credit_movements IS
    'An idempotency key makes one movement per tenant and actor class (keys in other tenants, and the platform''s keys and the tenant users'' keys, are others; NULL keys never conflict)';

CREATE TABLE authz.credit_ledger (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    movement_id  bigint NOT NULL,
    workspace_id uuid NOT NULL,
    amount       authz.credits NOT NULL CHECK (amount <> '0'),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (workspace_id, id)
);
COMMENT ON TABLE authz.credit_ledger IS
    'Append-only ledger entries: credits (positive) and debits (negative) of workspace accounts; a transfer is one of each; written only under the account''s lock, so entry order is the order of the account''s changes';
COMMENT ON COLUMN authz.credit_ledger.id IS 'Entry id';
COMMENT ON SEQUENCE authz.credit_ledger_id_seq IS 'Identifiers of ledger entries, in the order they were written';
COMMENT ON COLUMN authz.credit_ledger.movement_id IS
    'The movement this entry belongs to (written by the engine in the movement''s transaction)';
COMMENT ON CONSTRAINT credit_ledger_pkey ON authz.credit_ledger IS
    'An account''s entries in the order they were written (the only index of the ledger)';
COMMENT ON COLUMN authz.credit_ledger.workspace_id IS 'Account (workspace) of the entry; kept after the workspace is deleted';
COMMENT ON COLUMN authz.credit_ledger.amount IS 'Signed amount: positive credits the account, negative debits it';
COMMENT ON COLUMN authz.credit_ledger.created_at IS 'When it was written';

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
COMMENT ON COLUMN authz.credit_holds.idempotency_key IS
    'The platform''s key, unique in the tenant: a retry returns this hold';
COMMENT ON COLUMN authz.credit_holds.fingerprint IS 'The arguments of the call, to refuse a key reused with others';
COMMENT ON COLUMN authz.credit_holds.actor_id IS 'Current user who made it (NULL: holds are made by the platform)';
COMMENT ON COLUMN authz.credit_holds.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.credit_holds.created_at IS 'When it was made';
COMMENT ON COLUMN authz.credit_holds.closed_at IS 'When it was captured or released';
COMMENT ON CONSTRAINT credit_holds_key ON authz.credit_holds IS
    'An idempotency key makes one hold per tenant (holds are the platform''s only; NULL keys never conflict)';
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

-- The ledger and the movements are append-only, whoever tries otherwise.
CREATE FUNCTION authz_internal._append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'authz.% is append-only', TG_TABLE_NAME
        USING ERRCODE = '42501', HINT = 'Correct a movement with a new one.';
END
$$;
COMMENT ON FUNCTION authz_internal._append_only() IS 'Internal trigger: refuse UPDATE, DELETE and TRUNCATE on append-only tables';
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON authz.credit_ledger
    FOR EACH ROW EXECUTE FUNCTION authz_internal._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.credit_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._append_only();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON authz.credit_movements
    FOR EACH ROW EXECUTE FUNCTION authz_internal._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.credit_movements
    FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._append_only();

-- A workspace holding credits cannot be deleted: move them out first.
CREATE FUNCTION authz_internal._keep_funded_workspace() RETURNS trigger
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
CREATE TRIGGER keep_funded BEFORE DELETE ON authz.workspaces
    FOR EACH ROW EXECUTE FUNCTION authz_internal._keep_funded_workspace();

-- ---- helpers --------------------------------------------------------------

-- The movement made earlier in a tenant with an idempotency key by the same
-- actor class (the platform, or the tenant's users: a key of one never names
-- a movement of the other): the same arguments return it; other arguments are
-- refused, saying nothing of the first call (its arguments are the billing
-- system's, not the caller's).
CREATE FUNCTION authz_internal._replay(tenant_id uuid, idempotency_key text, fingerprint text) RETURNS authz.credit_movements
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.credit_movements;
BEGIN
    SELECT * INTO m FROM authz.credit_movements x
     WHERE x.tenant_id = _replay.tenant_id AND x.idempotency_key = _replay.idempotency_key
       AND x.by_platform = (authz.current_user_id() IS NULL);
    IF FOUND AND m.fingerprint <> _replay.fingerprint THEN
        RAISE EXCEPTION 'idempotency key "%" was already used with other arguments', idempotency_key
            USING ERRCODE = '23505', HINT = 'Use a new key for a new movement.';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION authz_internal._replay(uuid, text, text) IS
    'Internal: the movement already made in a tenant with an idempotency key by the caller''s actor class (23505 when its arguments differ)';

-- Lock an account (waiting for it) and fold its pending usage charges into
-- its ledger and balance.
CREATE FUNCTION authz_internal._fold(workspace_id uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_fold' LANGUAGE C VOLATILE
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz_internal._fold(uuid) IS
    'Internal: lock a workspace''s account and fold its pending usage charges into its ledger and balance';

-- ---- operations (src/ledger.c) ---------------------------------------------

CREATE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_add_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) IS
    'Top up a workspace''s account (trusted roles: the billing system); returns the movement id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_transfer_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never takes the source''s available credits below zero; returns the movement id; idempotent on its key';

CREATE FUNCTION authz.set_rate_card(org_id uuid, cpu_hour authz.credits DEFAULT '0.1',
                                    memory_gib_hour authz.credits DEFAULT '0.025',
                                    storage_gb_month authz.credits DEFAULT '0.025')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    -- Prices are the platform's: tenants read their rate card, never set it.
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied: rate cards are set by the platform'
            USING ERRCODE = '42501',
                  HINT = 'A trusted role with no user asserted (the billing system) sets prices; organizations read theirs in authz.rate_cards.';
    END IF;
    PERFORM authz_internal._org(org_id);
    IF cpu_hour IS NULL OR memory_gib_hour IS NULL OR storage_gb_month IS NULL THEN
        RAISE EXCEPTION 'rates must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hour < '0' OR memory_gib_hour < '0' OR storage_gb_month < '0' THEN
        RAISE EXCEPTION 'rates must not be negative' USING ERRCODE = '22023';
    END IF;
    INSERT INTO authz.rate_cards AS r (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    VALUES (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    ON CONFLICT ON CONSTRAINT rate_cards_pkey DO UPDATE
       SET cpu_hour = EXCLUDED.cpu_hour, memory_gib_hour = EXCLUDED.memory_gib_hour,
           storage_gb_month = EXCLUDED.storage_gb_month, updated_at = now();
END
$$;
COMMENT ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) IS
    'Set an organization''s usage prices per CPU-hour, GiB-hour and GB-month (trusted roles acting for the platform: the billing system)';
REVOKE ALL ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) TO workspace_authz_trusted;

-- What usage costs: the exact sum of quantity times rate, rounded once to
-- 6 decimal places, half away from zero.
CREATE FUNCTION authz.usage_charge(cpu_hours numeric, memory_gib_hours numeric, storage_gb_months numeric,
                                   cpu_hour authz.credits, memory_gib_hour authz.credits,
                                   storage_gb_month authz.credits)
    RETURNS authz.credits LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT round(cpu_hours * cpu_hour::numeric + memory_gib_hours * memory_gib_hour::numeric
                 + storage_gb_months * storage_gb_month::numeric, 6)::authz.credits
$$;
COMMENT ON FUNCTION authz.usage_charge(numeric, numeric, numeric, authz.credits, authz.credits, authz.credits) IS
    'Price of usage: sum of quantity x rate computed exactly, then rounded once to 6 decimals, half away from zero';

CREATE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
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
    'Charge many usage events of many workspaces in one call, as record_usage each (trusted roles acting for the platform); all or nothing: an invalid event refuses the whole batch; one row per event: its position, charge, movement and whether it was a retry';
REVOKE ALL ON FUNCTION authz.record_usage_batch(authz.usage_event[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage_batch(authz.usage_event[]) TO workspace_authz_trusted;

CREATE FUNCTION authz.hold_credits(workspace_id uuid, amount authz.credits, idempotency_key text,
                                   expires_in interval DEFAULT '1 hour')
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_hold_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) IS
    'Reserve credits for running work until captured, released or expired (trusted roles acting for the platform); refused (23514, nothing held) beyond the available credits; returns the hold id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) TO workspace_authz_trusted;

CREATE FUNCTION authz.capture_hold(hold_id bigint, amount authz.credits)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_capture_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.capture_hold(bigint, authz.credits) IS
    'Charge the actual amount (at most the amount held) as a usage movement and release the rest (trusted roles acting for the platform); returns the movement id; a retry with the same amount returns it again';
REVOKE ALL ON FUNCTION authz.capture_hold(bigint, authz.credits) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.capture_hold(bigint, authz.credits) TO workspace_authz_trusted;

CREATE FUNCTION authz.release_hold(hold_id bigint)
    RETURNS void AS 'MODULE_PATHNAME', 'ledger_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.release_hold(bigint) IS
    'Release a hold without charging anything (trusted roles acting for the platform); releasing it again does nothing';
REVOKE ALL ON FUNCTION authz.release_hold(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.release_hold(bigint) TO workspace_authz_trusted;

-- ---- reading --------------------------------------------------------------

-- May the current user see the workspace's credits? billing.view there, or
-- org.billing.view in its organization, or a trusted role.
CREATE FUNCTION authz_internal._visible_credits(workspace_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz.can(w.id, 'billing.view')
        OR coalesce(authz.can_org(w.org_id, 'org.billing.view'), false)
      FROM authz.workspaces w WHERE w.id = _visible_credits.workspace_id
$$;
COMMENT ON FUNCTION authz_internal._visible_credits(uuid) IS
    'Policy helper: billing.view in the workspace or org.billing.view in its organization';

CREATE FUNCTION authz.balance(workspace_id uuid) RETURNS authz.credits
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

CREATE FUNCTION authz.org_credit_summary(org_id uuid, since timestamptz DEFAULT '-infinity',
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
    SELECT s.id, s.name, s.balance, s.topups, s.t_in, s.t_out, s.used
      FROM (SELECT p.id, p.name, p.balance, p.topups, p.t_in, p.t_out, p.used, false AS total FROM per_ws p
            UNION ALL
            SELECT NULL, '(organization total)', coalesce(sum(p.balance), '0'), coalesce(sum(p.topups), '0'),
                   coalesce(sum(p.t_in), '0'), coalesce(sum(p.t_out), '0'), coalesce(sum(p.used), '0'), true
              FROM per_ws p) s
     ORDER BY s.total, s.name, s.id;
END
$$;
COMMENT ON FUNCTION authz.org_credit_summary(uuid, timestamptz, timestamptz) IS
    'Per workspace of an organization, by name: balance, and top-ups, transfers and usage over [since, until); then the organization total (needs org.billing.view)';

CREATE FUNCTION authz.verify_ledger()
    RETURNS TABLE (workspace_id uuid, balance authz.credits, ledger_sum authz.credits)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT coalesce(a.workspace_id, l.workspace_id), a.balance, l.total
      FROM authz.credit_accounts a
      FULL JOIN (SELECT e.workspace_id, sum(e.amount) AS total
                   FROM authz.credit_ledger e GROUP BY e.workspace_id) l
        ON l.workspace_id = a.workspace_id
     WHERE authz_internal._require_platform('verify the ledger')
       AND coalesce(a.balance, '0') <> coalesce(l.total, '0')
$$;
COMMENT ON FUNCTION authz.verify_ledger() IS
    'Accounts whose balance differs from the sum of their ledger entries (no rows when the books are right; trusted roles)';
REVOKE ALL ON FUNCTION authz.verify_ledger() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.verify_ledger() TO workspace_authz_trusted;

-- Read access: balances, movements and entries of what the reader may bill.
ALTER TABLE authz.credit_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_accounts FOR SELECT USING (authz_internal._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_accounts IS 'Accounts of workspaces where you see billing';
ALTER TABLE authz.credit_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_ledger FOR SELECT USING (authz_internal._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_ledger IS 'Entries of workspaces where you see billing';
ALTER TABLE authz.credit_movements ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_movements FOR SELECT
    USING (coalesce(authz_internal._visible_credits(from_workspace), false)
           OR coalesce(authz_internal._visible_credits(to_workspace), false)
           OR authz.acting_for_platform());
COMMENT ON POLICY visible ON authz.credit_movements IS
    'Movements touching a workspace where you see billing; all of them for a trusted role acting for the platform (no current user), as the audit log shows them';
ALTER TABLE authz.credit_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_pending FOR SELECT USING (authz_internal._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_pending IS 'Pending charges of workspaces where you see billing';
ALTER TABLE authz.credit_holds ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_holds FOR SELECT
    USING (coalesce(authz_internal._visible_credits(workspace_id), false)
           OR authz.acting_for_platform());
COMMENT ON POLICY visible ON authz.credit_holds IS
    'Holds of workspaces where you see billing; all of them for a trusted role acting for the platform (no current user), which makes them';
ALTER TABLE authz.rate_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.rate_cards FOR SELECT USING (authz.can_org(org_id, 'org.billing.view'));
COMMENT ON POLICY visible ON authz.rate_cards IS 'Rate cards of organizations where you see billing';
GRANT SELECT ON authz.credit_accounts, authz.credit_ledger, authz.credit_pending, authz.credit_movements,
    authz.rate_cards TO PUBLIC;
-- The idempotency key and fingerprint are the billing system's; readers do not need them.
REVOKE SELECT ON authz.credit_movements FROM PUBLIC;
GRANT SELECT (id, kind, amount, from_workspace, to_workspace, memo, tenant_id, usage, actor_id, login_role, created_at)
    ON authz.credit_movements TO PUBLIC;
GRANT SELECT (id, workspace_id, amount, status, expires_at, captured, movement_id, actor_id, login_role, created_at,
              closed_at)
    ON authz.credit_holds TO PUBLIC;
