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

-- Acting for a user: once a user is asserted (authz.set_user, or JWT claims in
-- JWT mode), every function answers and acts for that user; the platform
-- powers of a trusted role apply only when no user is asserted. A deactivated
-- user is no current user. authz.acting_for_platform() tells which applies;
-- the functions for trusted roles refuse while a user is asserted.
COMMENT ON FUNCTION authz_internal._is_trusted() IS
    'Internal: the calling role (outside SECURITY DEFINER) is a superuser or may execute authz.set_user, and asserts no user';

CREATE FUNCTION authz.acting_for_platform() RETURNS boolean
    AS 'MODULE_PATHNAME', 'identity_is_trusted' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz.acting_for_platform() IS
    'Does the calling role act for the platform: trusted (a superuser, or may execute authz.set_user) and asserting no user?';

CREATE FUNCTION authz_internal._claimed_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'identity_claimed_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal._claimed_user_id() IS
    'Internal: the user the session claims to be (asserted, JWT claim or login role), even when deactivated';

-- The platform powers of a trusted role apply only while it asserts no user.
CREATE FUNCTION authz_internal._require_platform(what text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to %: only a trusted role acting for no user may', what
            USING ERRCODE = '42501',
                  DETAIL = 'Once a user is asserted, every function acts for that user; the platform powers of a trusted role apply only when no user is asserted.',
                  HINT = 'Clear the asserted user with authz.set_user(NULL) first.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION authz_internal._require_platform(text) IS
    'Internal: refuse (42501) unless the caller acts for the platform (trusted, no user asserted); true otherwise';

REVOKE ALL ON FUNCTION authz_internal._claimed_user_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._require_platform(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authz_internal._actor() RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid uuid := authz.current_user_id();
    claimed uuid;
    st text;
    h text;
BEGIN
    IF uid IS NOT NULL THEN
        RETURN uid;
    END IF;
    claimed := authz_internal._claimed_user_id();
    IF claimed IS NULL THEN
        RAISE EXCEPTION 'no authz user is set for this session'
            USING ERRCODE = '42501',
                  HINT = 'A trusted role calls authz.set_user(), or authz.users.pg_role maps the login role to a user.';
    END IF;
    SELECT u.status, u.handle INTO st, h FROM authz.users u WHERE u.id = claimed;
    IF st IS NULL THEN
        RAISE EXCEPTION 'current user "%" does not exist', claimed USING ERRCODE = '42501';
    END IF;
    RAISE EXCEPTION 'user "%" is deactivated', h USING ERRCODE = '42501';
END
$$;

CREATE OR REPLACE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._require_platform('create users');
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE lower(u.email) = lower(create_user.email)) THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    INSERT INTO authz.users (handle, email, display_name, pg_role)
    VALUES (handle, email, display_name, pg_role)
    RETURNING id INTO uid;
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;

CREATE OR REPLACE FUNCTION authz.map_login_role(user_id uuid, pg_role name) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users := authz_internal._user(user_id);
    other text;
BEGIN
    PERFORM authz_internal._require_platform('map login roles');
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT x.handle INTO other FROM authz.users x
         WHERE x.pg_role = map_login_role.pg_role AND x.id <> map_login_role.user_id;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;
    UPDATE authz.users x SET pg_role = map_login_role.pg_role WHERE x.id = u.id;
END
$$;

CREATE OR REPLACE FUNCTION authz.define_permission(name text, description text DEFAULT NULL, roles text[] DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    existing authz.permissions;
    free_bit integer;
    holders text[];
BEGIN
    PERFORM authz_internal._require_platform('register permissions');
    PERFORM authz_internal._check_text('permission name', name, 63, '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$',
        'A permission name is dot-separated lower-case words, e.g. pipelines.launch.');
    IF description IS NOT NULL THEN
        PERFORM authz_internal._check_text('description', description, 1000);
    END IF;
    IF roles IS NULL OR EXISTS (SELECT 1 FROM unnest(roles) r WHERE r IS NULL OR r NOT IN ('member', 'viewer')) THEN
        RAISE EXCEPTION 'invalid roles for permission "%": %', name, coalesce(roles::text, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Owners and admins always hold registered permissions; list member and/or viewer to add them.';
    END IF;
    -- Owners and admins hold every workspace permission but workspace.delete.
    holders := ARRAY(SELECT DISTINCT r FROM unnest('{owner,admin}'::text[] || roles) r);

    -- One registration at a time: bit numbers are allocated here.
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO existing FROM authz.permissions p WHERE p.name = define_permission.name;
    IF FOUND THEN
        IF existing.builtin THEN
            RAISE EXCEPTION 'built-in permission "%" cannot be redefined', name USING ERRCODE = '42501';
        END IF;
        UPDATE authz.permissions p SET description = define_permission.description
         WHERE p.name = define_permission.name;
    ELSE
        SELECT min(b) INTO free_bit FROM generate_series(0, 255) b
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = b);
        IF free_bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
                USING ERRCODE = '54000';
        END IF;
        INSERT INTO authz.permissions (name, bit, scope, description)
        VALUES (name, free_bit, 'workspace', description);
    END IF;
    -- The built-in roles that hold it: exactly the requested ones.
    DELETE FROM authz.role_permissions rp
     WHERE rp.permission = define_permission.name AND rp.role_id IN (SELECT r.id FROM authz.roles r WHERE r.org_id IS NULL);
    INSERT INTO authz.role_permissions (role_id, permission)
    SELECT r.id, define_permission.name FROM authz.roles r WHERE r.org_id IS NULL AND r.name = ANY (holders);
END
$$;

CREATE OR REPLACE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
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

CREATE OR REPLACE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
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

CREATE OR REPLACE FUNCTION authz.verify_ledger()
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

ALTER POLICY visible ON authz.audit_log
    USING ((actor_id = authz.current_user_id()
            OR coalesce(authz.can_org(org_id, 'org.update'), false)
            OR coalesce(authz.can(workspace_id, 'workspace.update'), false))
           AND CASE split_part(action, '.', 1)
               WHEN 'credit_movements' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
                                            OR coalesce(authz_internal._visible_credits((after ->> 'from_workspace')::uuid), false)
                                            OR coalesce(authz_internal._visible_credits((after ->> 'to_workspace')::uuid), false)
               WHEN 'rate_cards' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
               ELSE true END
           OR split_part(action, '.', 1) IN ('credit_movements', 'rate_cards')
              AND authz.acting_for_platform());

-- Dump and restore of application data typed authz.permset: a name the restored
-- data meets before its registration is loaded gets a bit at once, and the
-- registration loaded later takes it.
-- Restoring a dump. pg_restore may load an application table whose
-- authz.permset values name application permissions before it loads their
-- registrations (table data is restored in name order, or in parallel). The
-- permset input then reserves a bit for such a name
-- (authz_internal._restore_permission, for a role that may load the registry
-- itself, with row_security off as in every pg_dump script), and the
-- registration loaded later takes that bit: bits are per database, and every
-- stored set was read by name.
CREATE TABLE authz_internal.restored_permissions (
    name text PRIMARY KEY,
    bit  smallint NOT NULL UNIQUE CHECK (bit >= 0 AND bit < 256)
);
COMMENT ON TABLE authz_internal.restored_permissions IS
    'Bits reserved during a restore for permissions that restored data names before their registration is loaded (empty otherwise)';
COMMENT ON COLUMN authz_internal.restored_permissions.name IS 'Permission name, not registered yet';
COMMENT ON COLUMN authz_internal.restored_permissions.bit IS 'The bit the restored data uses for it, which its registration takes';

CREATE FUNCTION authz_internal._restore_permission(name text) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    -- one at a time: a concurrent load of the registry waits, or is waited for
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT p.bit INTO b FROM authz.permissions p WHERE p.name = _restore_permission.name;
    IF NOT FOUND THEN
        SELECT r.bit INTO b FROM authz_internal.restored_permissions r WHERE r.name = _restore_permission.name;
    END IF;
    IF FOUND THEN
        RETURN b;
    END IF;
    SELECT min(x) INTO b FROM generate_series(0, 255) x
     WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
       AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
    IF b IS NULL THEN
        RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
            USING ERRCODE = '54000';
    END IF;
    INSERT INTO authz_internal.restored_permissions VALUES (name, b);
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz_internal._restore_permission(text) IS
    'Internal: during a restore, the bit of a permission that restored data names before its registration is loaded';

-- A registration loaded by a restore takes the bit reserved for its name; one
-- whose bit is reserved for another name takes the lowest free bit.
CREATE FUNCTION authz_internal._permissions_restored() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    DELETE FROM authz_internal.restored_permissions r WHERE r.name = NEW.name RETURNING r.bit INTO b;
    IF b IS NOT NULL THEN
        NEW.bit := b;
    ELSIF EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = NEW.bit) THEN
        SELECT min(x) INTO NEW.bit FROM generate_series(0, 255) x
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
           AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
        IF NEW.bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', NEW.name
                USING ERRCODE = '54000';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION authz_internal._permissions_restored() IS
    'Trigger: a registration takes the bit a restore reserved for its name; a bit reserved for another name becomes the lowest free one';
CREATE TRIGGER restored BEFORE INSERT ON authz.permissions
    FOR EACH ROW EXECUTE FUNCTION authz_internal._permissions_restored();
COMMENT ON TRIGGER restored ON authz.permissions IS
    'Restores: a registration takes the bit restored data already uses for it';
REVOKE ALL ON FUNCTION authz_internal._restore_permission(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._permissions_restored() FROM PUBLIC;
