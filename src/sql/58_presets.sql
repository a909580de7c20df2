-- ---------------------------------------------------------------------------
-- Presets: configure an organization so it behaves as one of the source
-- products describes (SPEC 7). Applying a preset again is harmless.
-- ---------------------------------------------------------------------------

-- Create or update a custom role of the organization (presets only).
CREATE FUNCTION authz_internal._preset_role(org_id uuid, name text, rank integer, permissions text[],
                                   description text, projects_only boolean DEFAULT false) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    role_id uuid;
BEGIN
    SELECT r.id INTO role_id FROM authz.roles r WHERE r.org_id = _preset_role.org_id AND r.name = _preset_role.name;
    IF role_id IS NULL THEN
        INSERT INTO authz.roles (org_id, name, rank, description, projects_only)
        VALUES (org_id, name, rank, description, projects_only) RETURNING id INTO role_id;
    ELSE
        UPDATE authz.roles r SET rank = _preset_role.rank, description = _preset_role.description,
               projects_only = _preset_role.projects_only
         WHERE r.id = role_id;
    END IF;
    PERFORM authz_internal._set_role_permissions(role_id, permissions);
    RETURN role_id;
END
$$;
COMMENT ON FUNCTION authz_internal._preset_role(uuid, text, integer, text[], text, boolean) IS 'Internal: create or update a preset''s custom role';

CREATE FUNCTION authz_internal._builtin_role(name text) RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT r.id FROM authz.roles r WHERE r.org_id IS NULL AND r.name = _builtin_role.name $$;
COMMENT ON FUNCTION authz_internal._builtin_role(text) IS 'Internal: the id of a built-in role';

CREATE FUNCTION authz.apply_preset(org_id uuid, preset text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz_internal._org(org_id);
    actor uuid := authz_internal._actor();
    owner_role uuid := authz_internal._builtin_role('owner');
    launch uuid;
    manager uuid;
    editor uuid;
BEGIN
    PERFORM authz_internal._check_choice('preset', preset, '{latch,seqera,labstep,label_studio}');
    -- A preset can raise what org members and admins get: owners only.
    IF authz_internal._org_role_of(org_id, actor) IS DISTINCT FROM 'owner' THEN
        RAISE EXCEPTION 'only owners of organization "%" may apply a preset', authz_internal._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;

    IF preset = 'latch' THEN
        -- "All members of an Organization automatically have Owner permissions for
        -- all its child workspaces"; a member may be set to Viewer or Admin instead.
        UPDATE authz.orgs x SET admin_workspace_role = owner_role, member_workspace_role = owner_role,
               members_can_create_workspaces = false
         WHERE x.id = org_id;
        UPDATE authz.org_members m SET workspace_role = owner_role
         WHERE m.org_id = apply_preset.org_id AND m.role <> 'guest' AND m.workspace_role IS NULL;

    ELSIF preset = 'seqera' THEN
        -- Participant roles Owner, Admin, Maintain, Launch, Connect, View.
        PERFORM authz_internal._preset_role(org_id, 'maintain', 60,
            '{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Seqera Maintain: launch and edit pipelines, compute environments and data');
        launch := authz_internal._preset_role(org_id, 'launch', 30,
            '{workspace.view,members.view,content.read,content.create,run.execute}',
            'Seqera Launch: launch pipelines and see their runs');
        PERFORM authz_internal._preset_role(org_id, 'connect', 20,
            '{workspace.view,members.view,content.read,run.execute}',
            'Seqera Connect: use running Studio sessions');
        PERFORM authz_internal._preset_role(org_id, 'view', 10,
            '{workspace.view,members.view,content.read}',
            'Seqera View: read-only access to pipelines and runs');
        -- Organization owners manage every workspace; shared workspaces let every
        -- member launch their pipelines.
        UPDATE authz.orgs x SET admin_workspace_role = owner_role, member_workspace_role = NULL,
               members_can_create_workspaces = false, default_shared_role = launch
         WHERE x.id = org_id;
        UPDATE authz.workspaces w SET shared_role = launch WHERE w.org_id = apply_preset.org_id;
        -- "CPU time: 1 CPU/Hr = 0.1 credits", "Memory: 1 GiB/Hr = 0.025", "Storage: 1 GB = 0.025 per month"
        INSERT INTO authz.rate_cards AS rc (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
        VALUES (org_id, '0.1', '0.025', '0.025')
        ON CONFLICT ON CONSTRAINT rate_cards_pkey DO UPDATE
           SET cpu_hour = EXCLUDED.cpu_hour, memory_gib_hour = EXCLUDED.memory_gib_hour,
               storage_gb_month = EXCLUDED.storage_gb_month, updated_at = now();

    ELSIF preset = 'labstep' THEN
        -- Workspace roles Owner, Editor, Viewer; the org role does not define
        -- content permissions: org admins manage workspaces and their members only.
        editor := authz_internal._preset_role(org_id, 'editor', 40,
            '{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Labstep Editor: create, edit, delete and share content; not members or settings');
        -- "Admins have full control ... including ... creating and deleting
        -- workspaces": org_admin is the one role besides owner with workspace.delete.
        manager := authz_internal._preset_role(org_id, 'org_admin', 90,
            '{workspace.view,workspace.update,workspace.delete,members.view,members.manage}',
            'Labstep organisation Admin in every workspace: settings and members, not content');
        UPDATE authz.orgs x SET admin_workspace_role = manager, member_workspace_role = NULL,
               default_join_role = editor
         WHERE x.id = org_id;
        UPDATE authz.workspaces w SET join_role = editor WHERE w.org_id = apply_preset.org_id;

    ELSE
        -- Label Studio: Owner and Administrator are the org owner and admin roles;
        -- Manager is a workspace and project role; Reviewer and Annotator are
        -- project roles: "Annotators and reviewers can only see projects, not
        -- workspaces", also when they hold the role org-wide.
        PERFORM authz_internal._preset_role(org_id, 'manager', 60,
            '{workspace.view,members.view,members.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Label Studio Manager: set up projects and assign annotators and reviewers');
        PERFORM authz_internal._preset_role(org_id, 'reviewer', 30, '{content.read,content.update}',
            'Label Studio Reviewer: review annotations in their projects', true);
        PERFORM authz_internal._preset_role(org_id, 'annotator', 20, '{content.read,content.create}',
            'Label Studio Annotator: annotate tasks in their projects', true);
        UPDATE authz.orgs x SET admin_workspace_role = authz_internal._builtin_role('admin'), member_workspace_role = NULL,
               members_can_create_workspaces = false
         WHERE x.id = org_id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.apply_preset(uuid, text) IS
    'Configure an organization as latch, seqera, labstep or label_studio describe (settings, custom roles, defaults); org owners only; idempotent';
