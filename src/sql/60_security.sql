-- ---------------------------------------------------------------------------
-- Who may read the model. Application roles read the tables through RLS, as
-- far as the current user may see; nobody but the extension's functions
-- writes them. (Superusers and the extension owner bypass RLS.)
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA authz TO PUBLIC;

-- Visibility helpers for the policies: they read the tables as the owner.
CREATE FUNCTION authz_internal._visible_user(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _visible_user.user_id AND authz.can_org(m.org_id, 'org.members.view'))
        OR EXISTS (SELECT 1 FROM authz.participants p
                    WHERE p.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                     JOIN authz.participants p ON p.team_id = tm.team_id
                    WHERE tm.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.participant_permissions pp
                    WHERE pp.user_id = _visible_user.user_id AND pp.effect = 'deny'
                      AND authz.can(pp.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.project_members pm JOIN authz.projects pr ON pr.id = pm.project_id
                    WHERE pm.user_id = _visible_user.user_id AND authz.can(pr.workspace_id, 'members.view'))
$$;
COMMENT ON FUNCTION authz_internal._visible_user(uuid) IS
    'Policy helper: the current user, members of orgs where they see members, participants (and denied former participants) of workspaces where they see members, and members of those workspaces'' projects';

-- E-mail addresses are personal: readable only by the user, by fellow
-- members of an organization where the reader sees the members, and by
-- trusted roles. Participants from outside the reader's organizations
-- (collaborators) show their handle, never their address.
CREATE FUNCTION authz_internal._may_read_email(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR authz_internal._is_trusted()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _may_read_email.user_id AND authz.can_org(m.org_id, 'org.members.view'))
$$;
COMMENT ON FUNCTION authz_internal._may_read_email(uuid) IS
    'Policy helper: whether the current user may read a user''s e-mail address (themselves, members of their organizations where they see members, trusted roles)';

CREATE FUNCTION authz.user_email(user_id uuid) RETURNS text
    LANGUAGE sql STABLE STRICT SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.email FROM authz.users u WHERE u.id = user_email.user_id AND authz_internal._may_read_email(u.id)
$$;
COMMENT ON FUNCTION authz.user_email(uuid) IS
    'A user''s e-mail address, or NULL: readable by the user, by members of their organizations who see the members, and by trusted roles';

CREATE FUNCTION authz_internal._visible_team(team_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz.can_org(t.org_id, 'org.members.view')
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                    WHERE tm.team_id = t.id AND tm.user_id = authz.current_user_id())
      FROM authz.teams t WHERE t.id = _visible_team.team_id
$$;
COMMENT ON FUNCTION authz_internal._visible_team(uuid) IS
    'Policy helper: teams of orgs where the current user sees members, and the user''s own teams';

CREATE FUNCTION authz_internal._visible_role(role_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.org_id IS NULL OR authz.org_role(r.org_id) IS NOT NULL
      FROM authz.roles r WHERE r.id = _visible_role.role_id
$$;
COMMENT ON FUNCTION authz_internal._visible_role(uuid) IS
    'Policy helper: built-in roles and the custom roles of the current user''s organizations';

ALTER TABLE authz.permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.permissions FOR SELECT USING (true);
COMMENT ON POLICY visible ON authz.permissions IS 'Everyone sees the registered permissions';

ALTER TABLE authz.org_role_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.org_role_permissions FOR SELECT USING (true);
COMMENT ON POLICY visible ON authz.org_role_permissions IS 'Everyone sees what org roles allow';

ALTER TABLE authz.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.users FOR SELECT USING (authz_internal._visible_user(id));
COMMENT ON POLICY visible ON authz.users IS
    'Yourself, members of organizations where you see members, participants of workspaces where you see members';

ALTER TABLE authz.user_subjects ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.user_subjects FOR SELECT USING (user_id = authz.current_user_id());
COMMENT ON POLICY visible ON authz.user_subjects IS 'Your own external subjects';

ALTER TABLE authz.orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.orgs FOR SELECT USING (authz.org_role(id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.orgs IS 'Organizations you belong to';

ALTER TABLE authz.roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.roles FOR SELECT USING (org_id IS NULL OR authz.org_role(org_id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.roles IS 'Built-in roles and the custom roles of your organizations';

ALTER TABLE authz.role_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.role_permissions FOR SELECT USING (authz_internal._visible_role(role_id));
COMMENT ON POLICY visible ON authz.role_permissions IS 'Permissions of the roles you see';

ALTER TABLE authz.org_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.org_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can_org(org_id, 'org.members.view'));
COMMENT ON POLICY visible ON authz.org_members IS 'Your memberships, and the members of organizations where you see members';

ALTER TABLE authz.workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.workspaces FOR SELECT
    USING (authz.can(id, 'workspace.view') OR authz.can_org(org_id, 'org.workspaces.list'));
COMMENT ON POLICY visible ON authz.workspaces IS
    'Workspaces you may view, and the workspace list of organizations where you may list them (not guests)';

ALTER TABLE authz.teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.teams FOR SELECT USING (authz_internal._visible_team(id));
COMMENT ON POLICY visible ON authz.teams IS 'Teams of organizations where you see members, and your own teams';

ALTER TABLE authz.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.team_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz_internal._visible_team(team_id));
COMMENT ON POLICY visible ON authz.team_members IS 'Members of the teams you see';

ALTER TABLE authz.participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.participants FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can(workspace_id, 'members.view'));
COMMENT ON POLICY visible ON authz.participants IS 'Your participations, and the participants of workspaces where you see members';

ALTER TABLE authz.participant_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.participant_permissions FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can(workspace_id, 'members.view'));
COMMENT ON POLICY visible ON authz.participant_permissions IS 'Grants and denies of the participants you see';

GRANT SELECT ON authz.permissions, authz.org_role_permissions, authz.orgs, authz.roles,
    authz.role_permissions, authz.org_members, authz.workspaces, authz.teams, authz.team_members,
    authz.participants, authz.participant_permissions, authz.user_subjects TO PUBLIC;
-- The users' e-mail addresses are read through authz.user_email() only.
REVOKE SELECT ON authz.users FROM PUBLIC;
GRANT SELECT (id, handle, display_name, pg_role, status, created_at, deactivated_at) ON authz.users TO PUBLIC;
