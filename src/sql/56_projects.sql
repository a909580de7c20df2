-- ---------------------------------------------------------------------------
-- Projects (Label Studio): units inside a workspace with members of their
-- own. A user's permissions in a project are their workspace permissions
-- plus the role they hold in the project; project-only members see the
-- project, not the workspace.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz.can_project(project_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can_project' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 10
    SUPPORT authz_internal._can_support;
COMMENT ON FUNCTION authz.can_project(uuid, text) IS
    'Does the current user hold the permission in the project (workspace permissions plus the project role)?';

CREATE FUNCTION authz.project_array(permission text) RETURNS uuid[]
    AS 'MODULE_PATHNAME', 'checks_project_array' LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT authz_internal._can_support;
COMMENT ON FUNCTION authz.project_array(text) IS
    'Every project where the current user holds the permission, as an array (what authz.can_project answers true for)';

CREATE FUNCTION authz.role_in_project(project_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_project_role_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.role_in_project(uuid) IS
    'The current user''s effective role in the project (the higher of the workspace and project roles), or NULL';

CREATE FUNCTION authz_internal._project(project_id uuid) RETURNS authz.projects
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authz.projects;
BEGIN
    PERFORM authz_internal._check_id('project_id', project_id);
    SELECT * INTO p FROM authz.projects x WHERE x.id = project_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all() OR authz.can(p.workspace_id, 'workspace.view')
                         OR authz.role_in_project(project_id) IS NOT NULL) THEN
        PERFORM authz_internal._hidden('project', project_id::text);
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION authz_internal._project(uuid) IS
    'Internal: a project row the current user may see (42704 when unknown or not visible)';

CREATE FUNCTION authz.create_project(workspace_id uuid, name text, description text DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM authz_internal._workspace(workspace_id);
    PERFORM authz_internal._actor();
    PERFORM authz_internal._check_text('project name', name, 63, '^[A-Za-z0-9][A-Za-z0-9 _.-]*$',
        'A project name is letters, digits, spaces, "_", "." and "-", starting with a letter or digit.');
    IF description IS NOT NULL THEN
        PERFORM authz_internal._check_text('description', description, 10000);
    END IF;
    PERFORM authz_internal._require(workspace_id, 'content.create');
    IF EXISTS (SELECT 1 FROM authz.projects p
                WHERE p.workspace_id = create_project.workspace_id AND p.name = create_project.name) THEN
        RAISE EXCEPTION 'project "%" already exists in workspace "%"', name, authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.projects (workspace_id, name, description)
    VALUES (workspace_id, name, description) RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz.create_project(uuid, text, text) IS 'Create a project in a workspace (needs content.create there)';

CREATE FUNCTION authz.delete_project(project_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
BEGIN
    PERFORM authz_internal._actor();
    PERFORM authz_internal._require(p.workspace_id, 'content.delete');
    DELETE FROM authz.projects x WHERE x.id = p.id;
END
$$;
COMMENT ON FUNCTION authz.delete_project(uuid) IS 'Delete a project and its memberships (needs content.delete in its workspace)';

CREATE FUNCTION authz.add_project_member(project_id uuid, user_id uuid, role text,
                                         expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    w authz.workspaces := authz_internal._org_workspace(p.workspace_id);
    r authz.roles;
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    r := authz_internal._role(w.org_id, role);
    PERFORM authz_internal._check_expiry(expires_at, r);
    -- as add_member: the platform adds anyone, everyone else under the rules,
    -- and someone new to the project with their consent
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, r);
        IF NOT EXISTS (SELECT 1 FROM authz.project_members pm
                        WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id) THEN
            PERFORM authz_internal._check_consent(w.org_id, user_id);
        END IF;
    END IF;
    -- an expired membership is gone for every purpose
    DELETE FROM authz.project_members pm
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id AND pm.expires_at <= now();
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id;
    IF FOUND THEN
        -- changing someone's project role: nobody ranked above the actor
        IF NOT authz_internal._is_trusted()
           AND current.rank > authz_internal._rank(authz_internal._actor(), p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        -- a new project member: the collaborator policy, and a seat in the
        -- workspace unless they hold one already
        PERFORM authz_internal._check_capacity(p.workspace_id, user_id);
    END IF;
    INSERT INTO authz.project_members (project_id, user_id, role_id, expires_at)
    VALUES (p.id, user_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT project_members_pkey
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_project_member(uuid, uuid, text, timestamptz) IS
    'Give a user a role in a project, until expires_at when given (or change it; needs members.manage in the workspace; a project-only member takes a seat of the workspace''s participant limit; a user from outside the organization who shares none with you must be invited; trusted roles acting for the platform may add anyone)';

CREATE FUNCTION authz.remove_project_member(project_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    actor uuid := authz_internal._actor();
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    -- whether someone is a member is told only to who may see the members
    IF NOT (authz_internal._sees_all() OR user_id = actor OR authz.can_project(p.id, 'members.view')) THEN
        PERFORM authz_internal._hidden('user', user_id::text);
    END IF;
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id
       AND (pm.expires_at IS NULL OR pm.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of project "%"', authz_internal._user_label(user_id), p.name
            USING ERRCODE = '42704';
    END IF;
    IF user_id <> actor THEN
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, NULL);
        IF current.rank > authz_internal._rank(actor, p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    END IF;
    DELETE FROM authz.project_members pm WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id;
END
$$;
COMMENT ON FUNCTION authz.remove_project_member(uuid, uuid) IS
    'Remove a user from a project (needs members.manage in the workspace; anyone may leave)';

ALTER TABLE authz.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.projects FOR SELECT
    USING (authz.can(workspace_id, 'workspace.view') OR authz.role_in_project(id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.projects IS 'Projects of workspaces you may view, and projects you are a member of';
ALTER TABLE authz.project_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.project_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can_project(project_id, 'members.view'));
COMMENT ON POLICY visible ON authz.project_members IS 'Your project memberships, and the members of projects where you see members';
GRANT SELECT ON authz.projects, authz.project_members TO PUBLIC;
