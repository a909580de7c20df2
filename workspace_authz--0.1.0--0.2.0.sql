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
