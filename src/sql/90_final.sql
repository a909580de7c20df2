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

-- The policy helpers run as the querying role, and authz.protect's helper as
-- the table owner calling it.
GRANT EXECUTE ON FUNCTION authz_internal._visible_user(uuid), authz_internal._visible_team(uuid),
    authz_internal._visible_role(uuid), authz_internal._visible_credits(uuid), authz_internal._drop_policies(regclass) TO PUBLIC;

-- Rows the install script creates are not dumped; everything else is.
SELECT pg_catalog.pg_extension_config_dump('authz.permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.roles', 'WHERE org_id IS NOT NULL');
SELECT pg_catalog.pg_extension_config_dump('authz.role_permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.users', '');
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
