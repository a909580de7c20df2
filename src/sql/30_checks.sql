-- ---------------------------------------------------------------------------
-- Checks (C, checks.c): fast, STABLE, safe in RLS policies
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz_internal._can_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'planner_can_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION authz_internal._can_support(internal) IS
    'Planner support for authz.can and authz.can_project (index conditions on the workspace or project column, selectivity) and the cost of authz.workspace_array and authz.project_array';

CREATE FUNCTION authz.can(workspace_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 10
    SUPPORT authz_internal._can_support;
COMMENT ON FUNCTION authz.can(uuid, text) IS
    'Does the current user hold the permission in the workspace?';

CREATE FUNCTION authz.can_org(org_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can_org' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1;
COMMENT ON FUNCTION authz.can_org(uuid, text) IS
    'Does the current user hold the org permission (from their org role)?';

CREATE FUNCTION authz.role_in(workspace_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_role_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.role_in(uuid) IS
    'The current user''s effective role in the workspace (highest-ranked source), or NULL';

CREATE FUNCTION authz.org_role(org_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_org_role' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.org_role(uuid) IS
    'The current user''s role in the organization (owner, admin, member, guest), or NULL';

CREATE FUNCTION authz.permissions_in(workspace_id uuid) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'checks_permissions_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.permissions_in(uuid) IS
    'The current user''s effective permissions in the workspace';

CREATE FUNCTION authz.workspace_array(permission text DEFAULT 'workspace.view') RETURNS uuid[]
    AS 'MODULE_PATHNAME', 'checks_workspace_array' LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT authz_internal._can_support;
COMMENT ON FUNCTION authz.workspace_array(text) IS
    'Every workspace where the current user holds the permission, as an array';

CREATE FUNCTION authz.workspaces(permission text DEFAULT 'workspace.view') RETURNS SETOF uuid
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.unnest(authz.workspace_array(permission)) $$;
COMMENT ON FUNCTION authz.workspaces(text) IS
    'Every workspace where the current user holds the permission';

CREATE FUNCTION authz.check(user_id uuid, workspace_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_check' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1;
COMMENT ON FUNCTION authz.check(uuid, uuid, text) IS
    'Does the given user hold the permission in the workspace? (trusted roles only)';
REVOKE ALL ON FUNCTION authz.check(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.check(uuid, uuid, text) TO workspace_authz_trusted;

CREATE FUNCTION authz_internal._effective(user_id uuid, workspace_id uuid,
                                 OUT role text, OUT rank integer, OUT permissions authz.permset)
    AS 'MODULE_PATHNAME', 'checks_effective' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal._effective(uuid, uuid) IS
    'Internal: effective role, rank (0 for none) and permissions of any user in a workspace';
REVOKE ALL ON FUNCTION authz_internal._effective(uuid, uuid) FROM PUBLIC;

CREATE FUNCTION authz_internal._explain(user_id uuid, workspace_id uuid, permission text)
    RETURNS TABLE (source text, team_id uuid, role text, grants boolean)
    AS 'MODULE_PATHNAME', 'checks_explain' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION authz_internal._explain(uuid, uuid, text) IS
    'Internal: the sources behind a resolution, for authz.explain';
REVOKE ALL ON FUNCTION authz_internal._explain(uuid, uuid, text) FROM PUBLIC;

CREATE FUNCTION authz.who_can(workspace_id uuid, permission text)
    RETURNS TABLE (user_id uuid, role text, handle text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._workspace(workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM authz_internal._check_permissions(ARRAY[permission]);
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._require(workspace_id, 'members.view');
    END IF;
    -- Handles as the users table shows them to the caller.
    RETURN QUERY
    SELECT c.uid, e.role,
           CASE WHEN authz_internal._is_trusted() OR authz_internal._visible_user(c.uid) THEN u.handle END
      FROM authz_internal._candidates(who_can.workspace_id) c(uid)
      JOIN authz.users u ON u.id = c.uid,
           LATERAL authz_internal._effective(c.uid, who_can.workspace_id) e
     WHERE e.permissions OPERATOR(authz.@>) authz.permset(ARRAY[permission])
     ORDER BY e.rank DESC, c.uid;
END
$$;
COMMENT ON FUNCTION authz.who_can(uuid, text) IS
    'Every user holding the permission in the workspace, with their effective role and handle (needs members.view there; the handle is NULL for users you may not see in authz.users)';

CREATE FUNCTION authz.explain(user_id uuid, workspace_id uuid, permission text)
    RETURNS TABLE (source text, role text, grants boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces;
    sees_members boolean;
BEGIN
    PERFORM authz_internal._check_id('user_id', user_id);
    PERFORM authz_internal._check_id('workspace_id', workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- Only what the caller may see is explained: an unknown or hidden
    -- workspace or user is refused alike, before the permission check.
    -- Trusted roles see everything, unknown things as rows of the answer.
    IF authz_internal._is_trusted() THEN
        SELECT x.* INTO w FROM authz.workspaces x WHERE x.id = workspace_id;
    ELSE
        w := authz_internal._workspace(workspace_id);
        IF user_id IS DISTINCT FROM authz.current_user_id() THEN
            PERFORM authz_internal._require(workspace_id, 'members.view');
            PERFORM authz_internal._user(user_id);
        END IF;
    END IF;
    -- Another user's org role, org-wide role and org membership are told only
    -- to who may see the organization's members (not to collaborators), and a
    -- team's name only to who may see the team.
    sees_members := user_id IS NOT DISTINCT FROM authz.current_user_id() OR authz_internal._is_trusted()
                    OR coalesce(authz.can_org(w.org_id, 'org.members.view'), false);
    RETURN QUERY
    SELECT CASE WHEN e.team_id IS NOT NULL
                THEN 'team' || coalesce(' ' || t.name, '')
                WHEN NOT sees_members AND e.source ~ '^(org-wide role|org admin|shared workspace|open workspace)'
                THEN 'organization'
                ELSE e.source END,
           CASE WHEN e.team_id IS NULL AND NOT sees_members
                     AND e.source ~ '^(org-wide role|org admin|shared workspace|open workspace)'
                THEN NULL ELSE e.role END,
           e.grants
      FROM authz_internal._explain(user_id, workspace_id, permission) WITH ORDINALITY e
      LEFT JOIN authz.teams t ON t.id = e.team_id
                             AND (authz_internal._is_trusted() OR authz_internal._visible_team(t.id))
     ORDER BY e.ordinality;
END
$$;
COMMENT ON FUNCTION authz.explain(uuid, uuid, text) IS
    'Why a user has, or lacks, a permission in a workspace: one row per source, grant and deny, then the result (for another user, needs members.view; their org-derived sources show as "organization" unless you see the org''s members, and teams by name only if you see them)';

-- ---------------------------------------------------------------------------
-- The cache's counters, for operators.
-- ---------------------------------------------------------------------------
CREATE FUNCTION authz.cache_stats(OUT hits bigint, OUT misses bigint, OUT loads bigint, OUT resets bigint,
                                  OUT invalidations bigint, OUT bytes bigint)
    RETURNS record
    AS 'MODULE_PATHNAME', 'cache_stats_sql' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION authz.cache_stats() IS
    'This session''s cache of the model since it started: answers found in the memo (hits) and computed (misses), entries read from the model''s tables (loads), caches dropped whole (resets), invalidations of the model received, and the memory the caches hold now (bytes)';
