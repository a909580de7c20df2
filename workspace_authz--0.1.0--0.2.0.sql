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
-- Idempotency keys are scoped by actor class as well as by tenant: the keys of
-- the platform's calls (no current user: add_credits, record_usage) and those
-- of the tenant's users (transfer_credits) never collide, so a tenant cannot
-- take the platform's next invoice or metering key.
ALTER TABLE authz.credit_movements
    ADD COLUMN by_platform boolean NOT NULL GENERATED ALWAYS AS (actor_id IS NULL) STORED;
ALTER TABLE authz.credit_movements DROP CONSTRAINT credit_movements_key;
ALTER TABLE authz.credit_movements
    ADD CONSTRAINT credit_movements_key UNIQUE (tenant_id, by_platform, idempotency_key);

COMMENT ON COLUMN authz.credit_movements.idempotency_key IS
    'Caller''s key, unique in the tenant and actor class: a retry with it returns this movement and moves nothing';

COMMENT ON COLUMN authz.credit_movements.by_platform IS
    'Actor class of its idempotency key: made by the platform (no current user), not by a user of the tenant';

COMMENT ON CONSTRAINT credit_movements_key ON authz.credit_movements IS
    'An idempotency key makes one movement per tenant and actor class (keys in other tenants, and the platform''s keys and the tenant users'' keys, are others; NULL keys never conflict)';

CREATE OR REPLACE FUNCTION authz_internal._replay(tenant_id uuid, idempotency_key text, fingerprint text) RETURNS authz.credit_movements
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

COMMENT ON FUNCTION authz_internal._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb) IS
    'Internal: insert a movement before any account is locked; NULL when its idempotency key was already used in its tenant by its actor class';

-- Rate cards are the platform's: set by trusted roles acting for the platform,
-- read by the organizations.

CREATE OR REPLACE FUNCTION authz.set_rate_card(org_id uuid, cpu_hour authz.credits DEFAULT '0.1',
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

-- The change feed is the audit log. NOTIFY workspace_authz is an opt-in
-- wake-up with an empty payload (setting workspace_authz.notify), so model
-- changes can be prepared for two-phase commit and LISTEN reveals nothing.

CREATE OR REPLACE FUNCTION authz_internal._audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    r jsonb := coalesce(new_row, old_row);
    key text;
    org uuid;
    ws uuid;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;    -- the row locks of the owner and capacity checks change nothing
    END IF;
    -- A row created before this transaction is being loaded by a restore: its
    -- history is in the restored log already. (The extension's functions
    -- insert with DEFAULT now(); application roles cannot insert at all.)
    IF TG_OP = 'INSERT'
       AND coalesce(new_row ->> 'created_at', new_row ->> 'updated_at')::timestamptz < now() THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        key := CASE WHEN i = 0 THEN '' ELSE key || '/' END || coalesce(r ->> TG_ARGV[i], '');
    END LOOP;

    CASE TG_TABLE_NAME
        WHEN 'orgs' THEN org := r ->> 'id';
        WHEN 'workspaces' THEN ws := r ->> 'id'; org := r ->> 'org_id';
        WHEN 'credit_movements' THEN ws := coalesce(r ->> 'from_workspace', r ->> 'to_workspace');
        WHEN 'team_members' THEN SELECT t.org_id INTO org FROM authz.teams t WHERE t.id = (r ->> 'team_id')::uuid;
        WHEN 'role_permissions' THEN SELECT x.org_id INTO org FROM authz.roles x WHERE x.id = (r ->> 'role_id')::uuid;
        WHEN 'project_members' THEN
            SELECT p.workspace_id INTO ws FROM authz.projects p WHERE p.id = (r ->> 'project_id')::uuid;
            IF NOT FOUND THEN
                -- deleted by the same cascade: the project's own audit rows know
                SELECT a.workspace_id INTO ws FROM authz.audit_log a
                 WHERE a.target = r ->> 'project_id' AND a.action LIKE 'projects.%' ORDER BY a.id DESC LIMIT 1;
            END IF;
        ELSE org := r ->> 'org_id'; ws := r ->> 'workspace_id';
    END CASE;
    IF org IS NULL AND ws IS NOT NULL THEN
        SELECT w.org_id INTO org FROM authz.workspaces w WHERE w.id = ws;
        IF NOT FOUND THEN
            -- the workspace went in the same cascade: its audit history knows its org
            SELECT a.org_id INTO org FROM authz.audit_log a
             WHERE a.workspace_id = ws AND a.org_id IS NOT NULL ORDER BY a.id DESC LIMIT 1;
        END IF;
    END IF;

    INSERT INTO authz.audit_log (actor_id, action, org_id, workspace_id, target, before, after)
    VALUES (authz.current_user_id(), TG_TABLE_NAME || '.' || lower(TG_OP), org, ws, coalesce(key, ''),
            old_row, new_row);

    -- The wake-up is opt-in: NOTIFY makes a transaction impossible to
    -- PREPARE, and every role may LISTEN. It carries nothing (notifications
    -- with one payload are folded into one per transaction): what changed is
    -- read from this log, which shows each reader only what they may see.
    IF TG_TABLE_NAME NOT IN ('credit_movements', 'rate_cards', 'invitations')
       AND coalesce(current_setting('workspace_authz.notify', true), 'off')::boolean THEN
        PERFORM pg_notify('workspace_authz', '');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._audit() IS
    'Internal trigger: write an audit row for a change, and with workspace_authz.notify on send an empty wake-up on channel workspace_authz for model changes';
