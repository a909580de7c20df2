-- ---------------------------------------------------------------------------
-- Last: internal functions are not for PUBLIC, and the model survives pg_dump.
-- ---------------------------------------------------------------------------

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'authz_internal'::regnamespace AND p.proname LIKE '\_%'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

-- The policy helpers run as the querying role, and authz.protect's helpers as
-- the table owner calling it (or running the command that makes a partition).
GRANT EXECUTE ON FUNCTION authz_internal._visible_user(uuid), authz_internal._visible_team(uuid),
    authz_internal._visible_role(uuid), authz_internal._visible_credits(uuid), authz_internal._drop_policies(regclass),
    authz_internal._is_protected(regclass), authz_internal._protect_partition(regclass, regclass) TO PUBLIC;
-- authz.access reads through it; it shows each reader only what they may see.
GRANT EXECUTE ON FUNCTION authz_internal._access() TO PUBLIC;

-- Cache invalidation and the append-only rule hold for every writer: also
-- for logical replication's apply workers and for sessions that set
-- session_replication_role = replica (restores), where ordinary triggers do
-- not fire. Apply workers fire row triggers only, never statement triggers:
-- a row trigger enabled for replica mode only invalidates the caches there
-- (tables whose rows name what they change have a row trigger already).
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
                AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger r
                                 WHERE r.tgrelid = g.tgrelid AND r.tgname = 'invalidate_rows')
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
                AND g.tgname IN ('invalidate_cache', 'invalidate_rows', 'append_only', 'append_only_truncate')
              ORDER BY 2, 1
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.rel, t.tgname);
    END LOOP;
END
$$;

-- Rows the install script creates are not dumped; everything else is.
SELECT pg_catalog.pg_extension_config_dump('authz.permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.roles', 'WHERE org_id IS NOT NULL');
SELECT pg_catalog.pg_extension_config_dump('authz.role_permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.users', '');
SELECT pg_catalog.pg_extension_config_dump('authz.user_subjects', '');
SELECT pg_catalog.pg_extension_config_dump('authz.orgs', '');
SELECT pg_catalog.pg_extension_config_dump('authz.org_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.workspaces', '');
SELECT pg_catalog.pg_extension_config_dump('authz.teams', '');
SELECT pg_catalog.pg_extension_config_dump('authz.team_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.participants', '');
SELECT pg_catalog.pg_extension_config_dump('authz.participant_permissions', '');
SELECT pg_catalog.pg_extension_config_dump('authz.projects', '');
SELECT pg_catalog.pg_extension_config_dump('authz.project_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.invitations', '');
SELECT pg_catalog.pg_extension_config_dump('authz.rate_cards', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_accounts', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_movements', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_ledger', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_pending', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_holds', '');
SELECT pg_catalog.pg_extension_config_dump('authz.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_movements', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_ledger', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_holds', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.audit_log', 'id'), '');
