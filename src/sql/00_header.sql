-- workspace_authz install script. Assembled by the Makefile from src/sql/*.sql,
-- in file-name order; edit the pieces, not the assembled file.

\echo Use "CREATE EXTENSION workspace_authz" to load this file. \quit

-- The interface lives in schema authz; the helpers behind it (and the types'
-- support functions) in authz_internal, so that \df authz.* lists what
-- applications call.
CREATE SCHEMA authz_internal;
COMMENT ON SCHEMA authz_internal IS
    'workspace_authz internals: helpers of the functions in schema authz and support functions of its types; not an interface';
GRANT USAGE ON SCHEMA authz_internal TO PUBLIC;
