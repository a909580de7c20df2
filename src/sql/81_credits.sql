-- ---------------------------------------------------------------------------
-- Credits: an account per workspace, an append-only ledger, top-ups,
-- transfers, usage charges at the organization's rate card (SPEC 5, 8).
--
-- Invariants: an account's balance always equals the sum of its ledger
-- entries (both change in the same statement of the same function); a
-- transfer is two entries (debit, credit) under one movement; transfers and
-- top-ups never make a balance negative, usage charges may; money-moving calls
-- are idempotent on their key within their tenant and their actor class (the
-- platform, or the tenant's users). Accounts are opened and
-- then locked in workspace-id order, so concurrent movements never deadlock.
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
CREATE INDEX credit_movements_from_idx ON authz.credit_movements (from_workspace, created_at);
CREATE INDEX credit_movements_to_idx ON authz.credit_movements (to_workspace, created_at);
COMMENT ON TABLE authz.credit_movements IS 'One row per top-up, transfer or usage charge (append-only)';
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
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    movement_id  bigint NOT NULL REFERENCES authz.credit_movements (id),
    workspace_id uuid NOT NULL,
    amount       authz.credits NOT NULL CHECK (amount <> '0'),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX credit_ledger_workspace_idx ON authz.credit_ledger (workspace_id, created_at);
CREATE INDEX credit_ledger_movement_idx ON authz.credit_ledger (movement_id);
COMMENT ON TABLE authz.credit_ledger IS
    'Append-only ledger entries: credits (positive) and debits (negative) of workspace accounts; a transfer is one of each';
COMMENT ON COLUMN authz.credit_ledger.id IS 'Entry id';
COMMENT ON SEQUENCE authz.credit_ledger_id_seq IS 'Identifiers of ledger entries, in the order they were written';
COMMENT ON COLUMN authz.credit_ledger.movement_id IS 'The movement this entry belongs to';
COMMENT ON COLUMN authz.credit_ledger.workspace_id IS 'Account (workspace) of the entry; kept after the workspace is deleted';
COMMENT ON COLUMN authz.credit_ledger.amount IS 'Signed amount: positive credits the account, negative debits it';
COMMENT ON COLUMN authz.credit_ledger.created_at IS 'When it was written';

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

-- Validate a money amount: present and positive.
CREATE FUNCTION authz_internal._check_amount(amount authz.credits) RETURNS authz.credits
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    IF amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF amount <= '0' THEN
        RAISE EXCEPTION 'amount must be positive, not %', amount USING ERRCODE = '22023';
    END IF;
    RETURN amount;
END
$$;
COMMENT ON FUNCTION authz_internal._check_amount(authz.credits) IS 'Internal: 22004 for NULL, 22023 unless positive';

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

-- Record a movement, first of all: its idempotency key makes a concurrent
-- call with the same key in the same tenant and actor class wait here until the first
-- commits, and then replay it, before looking at any balance. NULL: the key
-- was already used, and the caller returns that movement. A refusal later
-- rolls the movement back.
CREATE FUNCTION authz_internal._record_movement(kind text, amount authz.credits, from_workspace uuid,
                                       to_workspace uuid, memo text, tenant_id uuid, idempotency_key text,
                                       fingerprint text, usage jsonb DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        PERFORM authz_internal._check_text('idempotency key', idempotency_key, 255);
    END IF;
    INSERT INTO authz.credit_movements (kind, amount, from_workspace, to_workspace, memo, tenant_id,
                                        idempotency_key, fingerprint, usage, actor_id)
    VALUES (kind, amount, from_workspace, to_workspace, memo, tenant_id, idempotency_key, fingerprint, usage,
            authz.current_user_id())
    ON CONFLICT ON CONSTRAINT credit_movements_key DO NOTHING
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz_internal._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb) IS
    'Internal: insert a movement before any account is locked; NULL when its idempotency key was already used in its tenant by its actor class';

-- Lock the accounts of one or two workspaces, opening any that does not
-- exist yet, and return the first one's balance. Each account is locked, or
-- opened and then locked, strictly in workspace-id order: a session only ever
-- waits for an account (its lock, or its opening by another session) above
-- every account it holds, so no two sessions can deadlock.
CREATE FUNCTION authz_internal._lock_accounts(first uuid, second uuid DEFAULT NULL) RETURNS authz.credits
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w uuid;
    bal authz.credits;
    b authz.credits;
BEGIN
    FOREACH w IN ARRAY CASE WHEN second IS NULL THEN ARRAY[first]
                            WHEN first < second THEN ARRAY[first, second]
                            ELSE ARRAY[second, first] END
    LOOP
        SELECT x.balance INTO bal FROM authz.credit_accounts x WHERE x.workspace_id = w FOR UPDATE;
        IF NOT FOUND THEN
            -- an account is opened at its first movement
            INSERT INTO authz.credit_accounts (workspace_id) VALUES (w) ON CONFLICT DO NOTHING;
            SELECT x.balance INTO bal FROM authz.credit_accounts x WHERE x.workspace_id = w FOR UPDATE;
            IF NOT FOUND THEN
                PERFORM authz_internal._workspace(w);    -- deleted meanwhile: 42704
                RAISE EXCEPTION 'credit account of workspace "%" is missing right after it was opened', w
                    USING ERRCODE = 'XX000';
            END IF;
        END IF;
        IF w = first THEN
            b := bal;
        END IF;
    END LOOP;
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz_internal._lock_accounts(uuid, uuid) IS
    'Internal: lock one or two accounts in workspace-id order, opening each missing one just before locking it; returns the first balance';

-- ---- operations -----------------------------------------------------------

CREATE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    fp text;
    mid bigint;
BEGIN
    PERFORM authz_internal._require_platform('add credits');
    PERFORM authz_internal._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz_internal._check_text('memo', memo, 1000);
    END IF;
    fp := format('topup %s %s %s', workspace_id, amount, coalesce(memo, ''));
    mid := authz_internal._record_movement('topup', amount, NULL, workspace_id, memo, tenant, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(tenant, idempotency_key, fp)).id;
    END IF;
    PERFORM authz_internal._lock_accounts(workspace_id);
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, amount);
    UPDATE authz.credit_accounts a SET balance = a.balance + add_credits.amount, updated_at = now()
     WHERE a.workspace_id = add_credits.workspace_id;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) IS
    'Top up a workspace''s account (trusted roles: the billing system); returns the movement id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    src_org uuid;
    dst_org uuid;
    fp text;
    mid bigint;
    available authz.credits;
BEGIN
    PERFORM authz_internal._check_id('from_workspace', from_workspace);
    PERFORM authz_internal._check_id('to_workspace', to_workspace);
    PERFORM authz_internal._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz_internal._check_text('memo', memo, 1000);
    END IF;
    -- unknown and hidden workspaces alike (42704): whether two workspaces
    -- share an organization is told only about workspaces the caller sees
    src_org := (authz_internal._workspace(from_workspace)).org_id;
    dst_org := (authz_internal._workspace(to_workspace)).org_id;
    IF from_workspace = to_workspace THEN
        RAISE EXCEPTION 'cannot transfer credits from workspace "%" to itself', authz_internal._workspace_label(from_workspace)
            USING ERRCODE = '22023';
    END IF;
    IF src_org IS NULL OR dst_org IS DISTINCT FROM src_org THEN
        RAISE EXCEPTION 'workspaces "%" and "%" are not in the same organization',
            authz_internal._workspace_label(from_workspace), authz_internal._workspace_label(to_workspace)
            USING ERRCODE = '22023', HINT = 'Credits move between workspaces of one organization.';
    END IF;
    IF NOT authz.can_org(src_org, 'org.billing.manage') THEN
        PERFORM authz_internal._actor();     -- names a missing or deactivated current user
        PERFORM authz_internal._require_org(src_org, 'org.billing.manage');
    END IF;

    fp := format('transfer %s %s %s %s', from_workspace, to_workspace, amount, coalesce(memo, ''));
    mid := authz_internal._record_movement('transfer', amount, from_workspace, to_workspace, memo, src_org, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(src_org, idempotency_key, fp)).id;
    END IF;
    available := authz_internal._lock_accounts(from_workspace, to_workspace);
    IF available IS NULL OR available < amount THEN
        RAISE EXCEPTION 'insufficient credits in workspace "%": balance %, transfer %',
            authz_internal._workspace_label(from_workspace), available, amount
            USING ERRCODE = '23514', HINT = 'Top the workspace up, or transfer less.';
    END IF;
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)
    VALUES (mid, from_workspace, -amount), (mid, to_workspace, amount);
    UPDATE authz.credit_accounts a
       SET balance = a.balance + CASE WHEN a.workspace_id = from_workspace THEN -amount ELSE amount END,
           updated_at = now()
     WHERE a.workspace_id IN (from_workspace, to_workspace);
    RETURN mid;
END
$$;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never overdraws; returns the movement id; idempotent on its key';

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
    RETURNS authz.credits LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    rc authz.rate_cards;
    charge authz.credits;
    fp text;
    mid bigint;
BEGIN
    PERFORM authz_internal._require_platform('record usage');
    IF cpu_hours IS NULL OR memory_gib_hours IS NULL OR storage_gb_months IS NULL THEN
        RAISE EXCEPTION 'usage quantities must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hours < 0 OR memory_gib_hours < 0 OR storage_gb_months < 0 THEN
        RAISE EXCEPTION 'usage quantities must not be negative' USING ERRCODE = '22023';
    END IF;
    IF cpu_hours = 'NaN' OR memory_gib_hours = 'NaN' OR storage_gb_months = 'NaN'
       OR cpu_hours = 'Infinity' OR memory_gib_hours = 'Infinity' OR storage_gb_months = 'Infinity' THEN
        RAISE EXCEPTION 'usage quantities must be finite numbers' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO rc FROM authz.rate_cards r WHERE r.org_id = w.org_id;
    IF NOT FOUND THEN
        rc.cpu_hour := '0.1';
        rc.memory_gib_hour := '0.025';
        rc.storage_gb_month := '0.025';
    END IF;
    charge := authz.usage_charge(cpu_hours, memory_gib_hours, storage_gb_months,
                                 rc.cpu_hour, rc.memory_gib_hour, rc.storage_gb_month);

    -- numerically equal quantities (10, 10.0) are the same arguments
    fp := format('usage %s %s %s %s', workspace_id, trim_scale(cpu_hours), trim_scale(memory_gib_hours),
                 trim_scale(storage_gb_months));
    mid := authz_internal._record_movement('usage', charge, workspace_id, NULL, NULL, tenant, idempotency_key, fp,
        jsonb_build_object(
            'cpu_hours', cpu_hours, 'memory_gib_hours', memory_gib_hours, 'storage_gb_months', storage_gb_months,
            'cpu_hour', rc.cpu_hour::numeric, 'memory_gib_hour', rc.memory_gib_hour::numeric,
            'storage_gb_month', rc.storage_gb_month::numeric));
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(tenant, idempotency_key, fp)).amount;
    END IF;
    -- Usage records what happened: it never fails for lack of funds.
    IF charge <> '0' THEN
        PERFORM authz_internal._lock_accounts(workspace_id);
        INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, -charge);
        UPDATE authz.credit_accounts a SET balance = a.balance - charge, updated_at = now()
         WHERE a.workspace_id = record_usage.workspace_id;
    END IF;
    RETURN charge;
END
$$;
COMMENT ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) IS
    'Charge a workspace for usage at its organization''s rate card (trusted roles: the metering system); never refused for lack of funds; returns the charge; idempotent on its key';
REVOKE ALL ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) TO workspace_authz_trusted;

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
    SELECT a.balance INTO b FROM authz.credit_accounts a WHERE a.workspace_id = balance.workspace_id;
    RETURN coalesce(b, '0');
END
$$;
COMMENT ON FUNCTION authz.balance(uuid) IS
    'A workspace''s credit balance (needs billing.view there or org.billing.view in its organization)';

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
    RETURN QUERY
    WITH per_ws AS (
        SELECT w.id, w.name, coalesce(a.balance, '0') AS balance,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'topup'
                            AND m.created_at >= since AND m.created_at < until), '0') AS topups,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_in,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_out,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'usage'
                            AND m.created_at >= since AND m.created_at < until), '0') AS used
          FROM authz.workspaces w LEFT JOIN authz.credit_accounts a ON a.workspace_id = w.id
         WHERE w.org_id = org_credit_summary.org_id
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
           OR coalesce(authz_internal._visible_credits(to_workspace), false));
COMMENT ON POLICY visible ON authz.credit_movements IS 'Movements touching a workspace where you see billing';
ALTER TABLE authz.rate_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.rate_cards FOR SELECT USING (authz.can_org(org_id, 'org.billing.view'));
COMMENT ON POLICY visible ON authz.rate_cards IS 'Rate cards of organizations where you see billing';
GRANT SELECT ON authz.credit_accounts, authz.credit_ledger, authz.credit_movements, authz.rate_cards TO PUBLIC;
-- The idempotency key and fingerprint are the billing system's; readers do not need them.
REVOKE SELECT ON authz.credit_movements FROM PUBLIC;
GRANT SELECT (id, kind, amount, from_workspace, to_workspace, memo, usage, actor_id, login_role, created_at)
    ON authz.credit_movements TO PUBLIC;
