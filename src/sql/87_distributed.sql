-- ---------------------------------------------------------------------------
-- Scaling out with Citus (C, distributed.c; README, Scaling out with Citus)
-- ---------------------------------------------------------------------------

-- The key under which the coordinator proves to the workers which user it
-- asserted (workspace_authz.user_token). Each installation makes its own;
-- authz.distribute() replicates the coordinator's to every node. Only its
-- owner reads it: the C code reads it directly.
CREATE TABLE authz_internal.cluster_key (
    key bytea NOT NULL CHECK (octet_length(key) >= 32)
);
COMMENT ON TABLE authz_internal.cluster_key IS
    'The secret key that signs the asserted user for the Citus workers (one row; readable by its owner only)';
COMMENT ON COLUMN authz_internal.cluster_key.key IS 'Random key of 32 bytes';
INSERT INTO authz_internal.cluster_key (key)
SELECT pg_catalog.uuid_send(pg_catalog.gen_random_uuid()) || pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
REVOKE ALL ON authz_internal.cluster_key FROM PUBLIC;

CREATE FUNCTION authz_internal._on_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'distributed_on_worker' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal._on_worker() IS
    'Internal: is this node a Citus worker? The rule triggers check and audit a change once, where it is made (the coordinator)';

-- Turn the installation into a distributed one (see the README).
CREATE FUNCTION authz.distribute() RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regclass;
    tg record;
    def text;
    cond text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'extension "citus" is not installed in this database'
            USING ERRCODE = '55000', HINT = 'CREATE EXTENSION citus on every node, and add the workers first.';
    END IF;
    IF authz_internal._on_worker() THEN
        RAISE EXCEPTION 'authz.distribute() runs on the coordinator' USING ERRCODE = '55000';
    END IF;
    -- The coordinator holds a copy too: its loaders read it, and the rules run
    -- on it.
    IF NOT EXISTS (SELECT 1 FROM pg_dist_node n WHERE n.groupid = 0) THEN
        RAISE EXCEPTION 'the coordinator is not in the Citus metadata' USING ERRCODE = '55000',
            HINT = 'Run SELECT citus_set_coordinator_host(''host'', port) first.';
    END IF;
    IF NOT pg_has_role(current_user, (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'workspace_authz'), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of extension workspace_authz may distribute it' USING ERRCODE = '42501';
    END IF;
    -- The rule triggers go with the tables to every copy (see below), and
    -- foreign keys between the tables are kept: each table is distributed
    -- after the ones it references.
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
    FOREACH t IN ARRAY ARRAY['authz_internal.cluster_key', 'authz.permissions', 'authz.users', 'authz.orgs',
                             'authz.roles', 'authz.role_permissions', 'authz.org_role_permissions',
                             'authz.org_members', 'authz.workspaces', 'authz.teams', 'authz.team_members',
                             'authz.participants', 'authz.participant_permissions', 'authz.projects',
                             'authz.project_members', 'authz.invitations', 'authz.rate_cards',
                             'authz.credit_accounts', 'authz.credit_movements', 'authz.credit_ledger',
                             'authz.audit_log']::regclass[]
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = t);
        -- A function call, so that the body compiles without Citus.
        EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING t;
    END LOOP;
    -- A change is checked (last owner, validation, ...) and audited once,
    -- where it is made: the coordinator, whose copy Citus writes in the
    -- session that made the change. The workers apply the same rows to their
    -- copies; there the rule triggers stand aside (their checks would write to
    -- other nodes from a write to a shard, which Citus refuses). Cache
    -- invalidation and the append-only refusals fire on every copy.
    FOR tg IN SELECT x.oid, x.tgname, x.tgrelid::regclass AS rel
                FROM pg_trigger x JOIN pg_class c ON c.oid = x.tgrelid
               WHERE c.relnamespace = 'authz'::regnamespace AND NOT x.tgisinternal AND x.tgenabled = 'O'
                 AND x.tgfoid NOT IN ('authz_internal._invalidate_cache'::regproc, 'authz_internal._append_only'::regproc)
                 AND EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = x.tgrelid)
               ORDER BY 3, 2
    LOOP
        def := pg_get_triggerdef(tg.oid);
        CONTINUE WHEN position('authz_internal._on_worker()' IN def) > 0;
        cond := regexp_match(def, ' WHEN \((.*)\) EXECUTE FUNCTION ');
        IF cond IS NULL THEN
            def := replace(def, ' EXECUTE FUNCTION ', ' WHEN (NOT authz_internal._on_worker()) EXECUTE FUNCTION ');
        ELSE
            def := replace(def, ' WHEN (' || cond[1] || ') EXECUTE FUNCTION ',
                           ' WHEN (NOT authz_internal._on_worker() AND (' || cond[1] || ')) EXECUTE FUNCTION ');
        END IF;
        EXECUTE format('DROP TRIGGER %I ON %s', tg.tgname, tg.rel);
        EXECUTE def;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz.distribute() IS
    'On a Citus coordinator with its workers added: make the extension''s tables reference tables, copied to every node; idempotent; the extension owner only';
REVOKE ALL ON FUNCTION authz.distribute() FROM PUBLIC;
