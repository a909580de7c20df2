-- ---------------------------------------------------------------------------
-- Identity: who the current user is (C, identity.c)
-- ---------------------------------------------------------------------------

-- Roles granted workspace_authz_trusted (or EXECUTE on authz.set_user) may
-- assert identity. Roles are cluster-wide, so it may already exist.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'workspace_authz_trusted') THEN
        CREATE ROLE workspace_authz_trusted NOLOGIN;
        COMMENT ON ROLE workspace_authz_trusted IS
            'workspace_authz: members may assert the current user (authz.set_user) and act for the platform';
    END IF;
END
$$;

CREATE FUNCTION authz.set_user(user_id uuid, is_local boolean DEFAULT true) RETURNS void
    AS 'MODULE_PATHNAME', 'identity_set_user' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION authz.set_user(uuid, boolean) IS
    'Assert the current user (trusted roles only); is_local scopes it to the transaction; NULL clears it';
REVOKE ALL ON FUNCTION authz.set_user(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.set_user(uuid, boolean) TO workspace_authz_trusted;

CREATE FUNCTION authz.current_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'identity_current_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz.current_user_id() IS
    'The current user: asserted with authz.set_user(), else from the JWT claim when configured, else the user mapped to the login role, else NULL';

CREATE FUNCTION authz_internal._is_trusted() RETURNS boolean
    AS 'MODULE_PATHNAME', 'identity_is_trusted' LANGUAGE C STABLE PARALLEL SAFE;
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
