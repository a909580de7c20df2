-- Included by the suites (\ir lib/platform.sql): fixtures put people into
-- organizations, workspaces and projects the way the platform does, as a
-- trusted role with no user asserted, since a user may add only people who
-- already share an organization with them (anyone else accepts an
-- invitation). The asserted user, if any, is set aside for the call and then
-- restored.
CREATE FUNCTION pg_temp.as_platform(stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    acting text := nullif(current_setting('workspace_authz.user_id', true), '');
BEGIN
    PERFORM authz.set_user(NULL, false);
    EXECUTE stmt;
    IF acting IS NOT NULL THEN
        PERFORM authz.set_user(acting::uuid, false);
    END IF;
END
$$;
CREATE FUNCTION pg_temp.add_org_member(org_id uuid, user_id uuid, role text DEFAULT 'member',
                                       workspace_role text DEFAULT NULL) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.as_platform(format('SELECT authz.add_org_member(%L, %L, %L, %L)',
                                      org_id, user_id, role, workspace_role))
$$;
CREATE FUNCTION pg_temp.add_member(workspace_id uuid, user_id uuid, role text DEFAULT 'member',
                                   expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.as_platform(format('SELECT authz.add_member(%L, %L, %L, %L)',
                                      workspace_id, user_id, role, expires_at))
$$;
CREATE FUNCTION pg_temp.add_project_member(project_id uuid, user_id uuid, role text,
                                           expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE sql AS $$
    SELECT pg_temp.as_platform(format('SELECT authz.add_project_member(%L, %L, %L, %L)',
                                      project_id, user_id, role, expires_at))
$$;
