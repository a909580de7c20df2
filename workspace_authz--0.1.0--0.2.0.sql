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

-- Partitioned tables: authz.protect protects every partition, at every depth,
-- and an event trigger protects the partitions created or attached later;
-- authz.unprotect undoes it all.

-- Is the table protected, i.e. does it carry authz.protect's policies?
CREATE FUNCTION authz_internal._is_protected(tbl regclass) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_policy x
                    WHERE x.polrelid = tbl
                      AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete'))
$$;
COMMENT ON FUNCTION authz_internal._is_protected(regclass) IS
    'Internal: does the table carry the policies authz.protect creates?';

-- A partition gets its parent's policies, as they are, and row-level
-- security: read directly, it shows and accepts what the parent would.
-- Runs as the caller, who owns the partition.
CREATE FUNCTION authz_internal._protect_partition(part regclass, parent regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = part) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'partition "%" of protected table "%" cannot be protected', part, parent
            USING ERRCODE = '42809',
                  DETAIL = 'Row-level security applies to tables and partitioned tables only.',
                  HINT = 'Keep foreign tables out of protected partitioned tables.';
    END IF;
    PERFORM authz_internal._drop_policies(part);
    FOR p IN SELECT x.polname, x.polpermissive,
                    CASE x.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
                    (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE quote_ident(a.rolname) END, ', ')
                       FROM unnest(x.polroles) r(oid) LEFT JOIN pg_roles a ON a.oid = r.oid) AS roles,
                    pg_get_expr(x.polqual, x.polrelid) AS qual,
                    pg_get_expr(x.polwithcheck, x.polrelid) AS with_check,
                    obj_description(x.oid, 'pg_policy') AS comment
               FROM pg_policy x
              WHERE x.polrelid = parent
                AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete')
              ORDER BY x.polname
    LOOP
        EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, part,
                       CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, p.cmd, p.roles,
                       ' USING (' || p.qual || ')', ' WITH CHECK (' || p.with_check || ')');
        EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', p.polname, part, p.comment);
    END LOOP;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', part);
END
$$;
COMMENT ON FUNCTION authz_internal._protect_partition(regclass, regclass) IS
    'Internal: give a partition the policies authz.protect created on its parent, and enable RLS on it (runs as the caller)';

-- Partitions of a protected table are protected with it, whenever and however
-- they come: CREATE TABLE ... PARTITION OF, ALTER TABLE ... ATTACH PARTITION,
-- at any depth. A partition of a protected table found without row-level
-- security at the end of a command (new, attached, or disabled by hand) gets
-- its parent's policies. Runs as the role running the command, who owns the
-- tables (or the command fails, and nothing is left open).
CREATE FUNCTION authz_internal._protect_new_partitions() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cmd record;
    r record;
BEGIN
    FOR cmd IN SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
                WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'foreign table')
    LOOP
        FOR r IN SELECT t.relid, t.parentrelid FROM pg_partition_tree(cmd.objid) t
                  WHERE t.parentrelid IS NOT NULL ORDER BY t.level
        LOOP
            IF NOT (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = r.relid)
               AND authz_internal._is_protected(r.parentrelid) THEN
                PERFORM authz_internal._protect_partition(r.relid, r.parentrelid);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz_internal._protect_new_partitions() IS
    'Internal event trigger: a partition of a protected table never stays without its parent''s policies and row-level security';

CREATE EVENT TRIGGER workspace_authz_partitions ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE FOREIGN TABLE')
    EXECUTE FUNCTION authz_internal._protect_new_partitions();
COMMENT ON EVENT TRIGGER workspace_authz_partitions IS
    'Partitions created in or attached to a protected table, at any depth, are protected as their parent';

REVOKE ALL ON FUNCTION authz_internal._is_protected(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._protect_partition(regclass, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._protect_new_partitions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz_internal._is_protected(regclass),
    authz_internal._protect_partition(regclass, regclass) TO PUBLIC;

CREATE OR REPLACE FUNCTION authz.protect(tbl regclass, workspace_column name DEFAULT 'workspace_id',
                              read_permission text DEFAULT 'content.read',
                              write_permission text DEFAULT 'content.update',
                              insert_permission text DEFAULT 'content.create',
                              delete_permission text DEFAULT 'content.delete',
                              scope text DEFAULT 'workspace')
    RETURNS void LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    att record;
    p text;
    pscope text;
    kind "char";
    check_fn text;
    part record;
BEGIN
    IF scope IS NULL OR scope NOT IN ('workspace', 'project') THEN
        RAISE EXCEPTION 'invalid scope: "%"', scope
            USING ERRCODE = '22023', HINT = 'Rows are keyed by a workspace or by a project.';
    END IF;
    check_fn := CASE scope WHEN 'workspace' THEN 'authz.can' ELSE 'authz.can_project' END;
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF workspace_column IS NULL THEN
        RAISE EXCEPTION 'workspace column must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    -- Rows of a partition are read and written through its parents too: the
    -- partition tree is protected from its root, as one.
    IF (SELECT c.relispartition FROM pg_class c WHERE c.oid = tbl) THEN
        RAISE EXCEPTION '"%" is a partition of "%"', tbl, pg_partition_root(tbl)
            USING ERRCODE = '42809',
                  DETAIL = 'Its rows are also read and written through the partitioned table.',
                  HINT = format('Protect the partitioned table %s: its partitions are protected with it.',
                                pg_partition_root(tbl));
    END IF;
    IF EXISTS (SELECT 1 FROM pg_partition_tree(tbl) t JOIN pg_class c ON c.oid = t.relid
                WHERE c.relkind NOT IN ('r', 'p')) THEN
        RAISE EXCEPTION 'partitioned table "%" has partitions that cannot be protected', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Row-level security applies to tables and partitioned tables only.',
                  HINT = 'Keep foreign tables out of protected partitioned tables.';
    END IF;
    SELECT a.attnum, a.atttypid INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = workspace_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', workspace_column, tbl
            USING ERRCODE = '42703';
    END IF;
    IF att.atttypid <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "%" of relation "%" must be of type uuid, not %',
            workspace_column, tbl, att.atttypid::regtype USING ERRCODE = '42804';
    END IF;
    FOREACH p IN ARRAY ARRAY[read_permission, write_permission, insert_permission, delete_permission] LOOP
        IF p IS NULL THEN
            RAISE EXCEPTION 'permissions must not be NULL' USING ERRCODE = '22004';
        END IF;
        SELECT x.scope INTO pscope FROM authz.permissions x WHERE x.name = p;
        IF pscope IS NULL THEN
            RAISE EXCEPTION 'permission "%" does not exist', p
                USING ERRCODE = '42704', HINT = 'Register it with authz.define_permission().';
        ELSIF pscope <> 'workspace' THEN
            RAISE EXCEPTION 'permission "%" is an org permission, not a workspace permission', p
                USING ERRCODE = '22023', HINT = 'Rows are protected with workspace permissions.';
        END IF;
    END LOOP;

    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    PERFORM authz_internal._drop_policies(tbl);
    EXECUTE format('CREATE POLICY authz_select ON %s FOR SELECT USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, read_permission);
    EXECUTE format('CREATE POLICY authz_insert ON %s FOR INSERT WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, insert_permission);
    EXECUTE format('CREATE POLICY authz_update ON %s FOR UPDATE USING (%s(%I, %L)) WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, write_permission, check_fn, workspace_column, write_permission);
    EXECUTE format('CREATE POLICY authz_delete ON %s FOR DELETE USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, delete_permission);
    EXECUTE format('COMMENT ON POLICY authz_select ON %s IS %L', tbl, 'workspace_authz: read needs ' || read_permission);
    EXECUTE format('COMMENT ON POLICY authz_insert ON %s IS %L', tbl, 'workspace_authz: insert needs ' || insert_permission);
    EXECUTE format('COMMENT ON POLICY authz_update ON %s IS %L', tbl, 'workspace_authz: update needs ' || write_permission);
    EXECUTE format('COMMENT ON POLICY authz_delete ON %s IS %L', tbl, 'workspace_authz: delete needs ' || delete_permission);
    -- Every partition, at every depth, as its parent (those created or
    -- attached later too: see authz_internal._protect_new_partitions).
    FOR part IN SELECT t.relid, t.parentrelid FROM pg_partition_tree(tbl) t
                 WHERE t.parentrelid IS NOT NULL ORDER BY t.level
    LOOP
        PERFORM authz_internal._protect_partition(part.relid, part.parentrelid);
    END LOOP;

    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tbl AND i.indkey[0] = att.attnum) THEN
        RAISE NOTICE 'no index on "%" starts with column "%"', tbl, workspace_column
            USING HINT = format('CREATE INDEX ON %s (%I) lets selective queries use an index scan.',
                                tbl, workspace_column);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.protect(regclass, name, text, text, text, text, text) IS
    'Enable RLS on a table keyed by workspace (or, with scope => ''project'', by project), one policy per command checking authz.can (or authz.can_project); a partitioned table with all its partitions, present and future; idempotent; table owner only';

CREATE OR REPLACE FUNCTION authz.unprotect(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
    parent regclass;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    SELECT i.inhparent INTO parent FROM pg_inherits i
     WHERE i.inhrelid = tbl AND (SELECT c.relispartition FROM pg_class c WHERE c.oid = tbl);
    IF parent IS NOT NULL AND authz_internal._is_protected(parent) THEN
        RAISE EXCEPTION '"%" is a partition of protected table "%"', tbl, parent
            USING ERRCODE = '42809',
                  DETAIL = 'The partitions of a protected table are protected as it is.',
                  HINT = format('Unprotect the partitioned table %s, or detach the partition first.',
                                pg_partition_root(tbl));
    END IF;
    -- The table first, then its partitions from the top: none is ever left
    -- without row-level security under a parent that still has the policies.
    FOR rel IN SELECT x.relid FROM (SELECT tbl AS relid, 0 AS level
                                    UNION ALL
                                    SELECT t.relid, t.level FROM pg_partition_tree(tbl) t
                                     WHERE t.parentrelid IS NOT NULL) x
                ORDER BY x.level
    LOOP
        PERFORM authz_internal._drop_policies(rel);
        IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = rel)
           AND (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) IN ('r', 'p') THEN
            EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', rel);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz.unprotect(regclass) IS
    'Drop the policies authz.protect created, on the table and its partitions; RLS is disabled again on each unless other policies remain';

-- Cache invalidation and the append-only rule hold for every writer: also
-- for logical replication's apply workers and for sessions that set
-- session_replication_role = replica (restores), where ordinary triggers do
-- not fire. Apply workers fire row triggers only, never statement triggers:
-- a row trigger enabled for replica mode only invalidates the caches there.
-- (The audit trigger stays an ordinary one: a subscriber receives the
-- publisher's audit rows, and a restore loads the log as it was.)
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT g.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger g
              WHERE g.tgname = 'invalidate_cache'
                AND g.tgrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                                   WHERE c.relnamespace = 'authz'::regnamespace)
              ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache_replica AFTER INSERT OR UPDATE OR DELETE ON %s'
            ' FOR EACH ROW EXECUTE FUNCTION authz_internal._invalidate_cache()', t.rel);
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE REPLICA TRIGGER invalidate_cache_replica', t.rel);
        EXECUTE pg_catalog.format(
            'COMMENT ON TRIGGER invalidate_cache_replica ON %s IS %L', t.rel,
            'Changes applied in replica mode (logical replication fires no statement triggers) invalidate every cache');
    END LOOP;
    FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger g
              WHERE g.tgrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                                   WHERE c.relnamespace = 'authz'::regnamespace)
                AND g.tgname IN ('invalidate_cache', 'append_only', 'append_only_truncate')
              ORDER BY 2, 1
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.rel, t.tgname);
    END LOOP;
END
$$;

-- Partitions of tables protected before this version get their parent's
-- policies now.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.relid, t.parentrelid
               FROM pg_catalog.pg_class c, LATERAL pg_catalog.pg_partition_tree(c.oid) t
              WHERE c.relkind = 'p' AND NOT c.relispartition AND authz_internal._is_protected(c.oid)
                AND t.parentrelid IS NOT NULL
              ORDER BY c.oid, t.level
    LOOP
        IF NOT (SELECT x.relrowsecurity FROM pg_catalog.pg_class x WHERE x.oid = r.relid) THEN
            PERFORM authz_internal._protect_partition(r.relid, r.parentrelid);
        END IF;
    END LOOP;
END
$$;
