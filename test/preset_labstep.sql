-- The labstep preset (SPEC 7), checked against Labstep's article on
-- organisation and workspace roles, sentence by sentence. Each description
-- quotes the sentence it checks. Labstep's organisation Admin is our org owner
-- and org admin, its Member our org member, its Guest our org guest; its
-- workspace roles Owner, Editor and Viewer are the built-in owner, the preset's
-- custom role editor, and the built-in viewer.
--
-- Left out, as the extension does not model them:
--   * the two permission matrices (their check marks were lost; the prose
--     around them is checked instead), including "Create or Delete Org",
--     "Unlock" and "Manage Status Workflows";
--   * "Users with a Guest role still count towards your billing" and the
--     billing contact that follows (commercial terms);
--   * where things are in the interface: "in the Users tab", "go to the
--     workspace settings and click on the Members tab", "by clicking on the
--     vertical ellipsis ... in the Roles & Permissions tab" (the action behind
--     each is checked, not the screen);
--   * descriptions of who typically holds a role ("Admins are typically the
--     organisation's founders ...", "Members are typically employees ...",
--     "Guests are typically external collaborators ...", "This role is ideal
--     for team members ...", "typically given to users who need access to
--     view") and the course's closing knowledge check.
-- Visibility is read through RLS as an ordinary role after authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(72);

-- An application role: neither superuser nor trusted, so RLS applies to it.
CREATE ROLE regress_labstep_app NOLOGIN;

-- Act as a user (NULL: nobody).
CREATE FUNCTION pg_temp.act(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user((SELECT id FROM authz.users WHERE handle = h)) $$;
-- The current user's permissions in a workspace, sorted.
CREATE FUNCTION pg_temp.perms(ws uuid) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT authz.permissions_in(ws)::text[] $$;
-- Direct participants of a workspace holding a role, by handle.
CREATE FUNCTION pg_temp.holding(ws uuid, role text) RETURNS SETOF text LANGUAGE sql STABLE
    AS $$ SELECT u.handle FROM authz.participants p JOIN authz.users u ON u.id = p.user_id
           JOIN authz.roles r ON r.id = p.role_id WHERE p.workspace_id = ws AND r.name = role $$;
-- What a preset decides for an organization: its settings, custom roles (with
-- their ids, so re-creation would show) and its workspaces' role settings.
CREATE FUNCTION pg_temp.preset_state(o uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'org', (SELECT to_jsonb(x) - 'created_at' FROM authz.orgs x WHERE x.id = o),
        'roles', (SELECT jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name, 'rank', r.rank,
                      'description', r.description,
                      'permissions', (SELECT jsonb_agg(rp.permission ORDER BY rp.permission)
                                        FROM authz.role_permissions rp WHERE rp.role_id = r.id))
                      ORDER BY r.name)
                    FROM authz.roles r WHERE r.org_id = o),
        'workspaces', (SELECT jsonb_agg(jsonb_build_object('name', w.name, 'shared_role', w.shared_role,
                           'join_role', w.join_role) ORDER BY w.name)
                         FROM authz.workspaces w WHERE w.org_id = o))
$$;

-- ---------------------------------------------------------------------------
-- Fixture. olga creates organisation lab (its owner); adam is an Admin; mira,
-- mark, max and tina are Members; gwen is a Guest; alan is added and removed
-- as an Admin below (he and adam already share alan's organization
-- neighbours, so adam may add him without an invitation). The workspaces
-- legacy (open) and oldrun exist before the preset is applied.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    PERFORM authz.create_user(h, h || '@example.com')
       FROM unnest('{olga,adam,alan,mira,mark,max,tina,gwen}'::text[]) h;
END
$$;
SELECT id AS olga FROM authz.users WHERE handle = 'olga' \gset
SELECT id AS adam FROM authz.users WHERE handle = 'adam' \gset
SELECT id AS alan FROM authz.users WHERE handle = 'alan' \gset
SELECT id AS mira FROM authz.users WHERE handle = 'mira' \gset
SELECT id AS mark FROM authz.users WHERE handle = 'mark' \gset
SELECT id AS max FROM authz.users WHERE handle = 'max' \gset
SELECT id AS tina FROM authz.users WHERE handle = 'tina' \gset
SELECT id AS gwen FROM authz.users WHERE handle = 'gwen' \gset

SELECT pg_temp.act('olga');
SELECT authz.create_org('lab', 'Lab Inc') AS lab \gset
SELECT authz.create_workspace(:'lab', 'legacy', 'private', 'open') AS legacy \gset
SELECT authz.create_workspace(:'lab', 'oldrun') AS oldrun \gset
SELECT pg_temp.add_org_member(:'lab', :'adam', 'admin');
SELECT pg_temp.add_org_member(:'lab', u, 'member') FROM unnest(ARRAY[:'mira', :'mark', :'max', :'tina']::uuid[]) u;
SELECT pg_temp.add_org_member(:'lab', :'gwen', 'guest');
SELECT pg_temp.act('alan');
SELECT authz.create_org('neighbours') AS neighbours \gset
SELECT pg_temp.add_org_member(:'neighbours', :'adam', 'member');

-- ===========================================================================
-- Applying the preset
-- ===========================================================================
SELECT pg_temp.act('adam');
SELECT throws_ok(format('SELECT authz.apply_preset(%L, %L)', :'lab', 'labstep'),
    '42501', 'only owners of organization "lab" may apply a preset',
    'apply_preset: an org admin, not an owner, is refused with 42501');
SELECT pg_temp.act('olga');
SELECT throws_ok(format('SELECT authz.apply_preset(%L, %L)', :'lab', 'benchling'),
    '22023', 'invalid preset: "benchling"',
    'apply_preset: an unknown preset name is refused with 22023');
SELECT lives_ok(format('SELECT authz.apply_preset(%L, %L)', :'lab', 'labstep'),
    'apply_preset: the org owner applies labstep');
SELECT results_eq(
    format($$SELECT r.name, r.rank, array_agg(rp.permission ORDER BY rp.permission)
               FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
              WHERE r.org_id = %L GROUP BY r.name, r.rank ORDER BY r.rank DESC$$, :'lab'),
    $$VALUES ('org_admin'::text, 90,
              '{members.manage,members.view,workspace.delete,workspace.update,workspace.view}'::text[]),
             ('editor', 40, '{content.create,content.delete,content.read,content.share,content.update,members.view,run.execute,workspace.view}')$$,
    'labstep: custom roles editor (content, no members.manage or workspace.update) and org_admin (settings and members, no content)');
SELECT results_eq(
    format($$SELECT a.name, m.name, j.name, (SELECT array_agg(jr.name) FROM authz.workspaces w
                    JOIN authz.roles jr ON jr.id = w.join_role WHERE w.id = %L)
               FROM authz.orgs o JOIN authz.roles a ON a.id = o.admin_workspace_role
               LEFT JOIN authz.roles m ON m.id = o.member_workspace_role
               JOIN authz.roles j ON j.id = o.default_join_role WHERE o.id = %L$$, :'legacy', :'lab'),
    $$VALUES ('org_admin'::text, NULL::text, 'editor'::text, '{editor}'::text[])$$,
    'labstep: org admins hold org_admin everywhere, members no org-wide role, open workspaces (existing ones too) are joined as editor');
SELECT pg_temp.preset_state(:'lab') AS state_before \gset
SELECT lives_ok(format('SELECT authz.apply_preset(%L, %L)', :'lab', 'labstep'),
    'apply_preset: applying labstep a second time succeeds');
SELECT is(pg_temp.preset_state(:'lab'), :'state_before'::jsonb,
    'apply_preset: applying labstep again changes nothing (same roles, same ids, same settings)');

-- Workspaces of the organisation after the preset: bench (invite-only) and
-- vault (invite-only) are olga's; commons is open.
SELECT authz.create_workspace(:'lab', 'bench') AS bench \gset
SELECT authz.create_workspace(:'lab', 'vault') AS vault \gset
SELECT authz.create_workspace(:'lab', 'commons', 'private', 'open') AS commons \gset

-- ===========================================================================
-- Organisation roles: Admin
-- ===========================================================================
SELECT pg_temp.act('adam');
SELECT is(ARRAY[authz.can_org(:'lab', 'org.members.manage'), authz.can_org(:'lab', 'org.workspaces.create'),
                authz.can_org(:'lab', 'org.billing.manage'), authz.can_org(:'lab', 'org.update')],
    ARRAY[true, true, true, true],
    'Labstep: "Admins have full control over all aspects of the organisation, including managing members, creating and deleting workspaces, managing billing, and changing organisation settings" -> an org admin holds org.members.manage, org.workspaces.create, org.billing.manage and org.update');
SELECT lives_ok(format('SELECT authz.create_workspace(%L, %L)', :'lab', 'scratch'),
    'Labstep: Admins can "create ... workspaces" -> an org admin creates one');
SELECT lives_ok(format('SELECT authz.delete_workspace(%L)', :'oldrun'),
    'Labstep: Admins can "delete workspaces" -> an org admin deletes a workspace another user created');
SELECT is((SELECT count(*) FROM authz.workspaces WHERE id = :'oldrun')::int, 0,
    'Labstep: "creating and deleting workspaces" -> the workspace deleted by the admin is gone');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Lab Incorporated"}')$$, :'lab'),
    'Labstep: Admins can change "organisation settings" -> an org admin updates the org');
SELECT lives_ok(format('SELECT authz.add_org_member(%L, %L, %L)', :'lab', :'alan', 'admin'),
    'Labstep: "They also have the ability to add ... other admins" -> an org admin adds another admin');
SELECT lives_ok(format('SELECT authz.remove_org_member(%L, %L)', :'lab', :'alan'),
    'Labstep: "They also have the ability to ... remove other admins" -> an org admin removes another admin');
SELECT is((SELECT count(*) FROM authz.org_members WHERE org_id = :'lab' AND user_id = :'alan')::int, 0,
    'Labstep: "add and remove other admins" -> the removed admin is no longer in the organisation');
SELECT pg_temp.act('mira');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Mira Inc"}')$$, :'lab'),
    '42501', 'permission denied: "org.update" is required in organization "lab"',
    'Labstep: "The Admin role is the highest level of access" -> a Member cannot change organisation settings');
SET ROLE regress_labstep_app;
SELECT set_eq(
    $$SELECT u.handle FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
       WHERE m.role IN ('owner', 'admin')$$,
    ARRAY['olga', 'adam'],
    'Labstep: "You can see who the organisation''s admins are" -> a Member reads the owner and the admin among the org members');
RESET ROLE;

-- ===========================================================================
-- Organisation roles: Member
-- ===========================================================================
SELECT pg_temp.act('mira');
SELECT lives_ok(format('SELECT authz.join_workspace(%L)', :'commons'),
    'Labstep: "Members can join any open workspace within the organisation" -> a Member joins an open workspace');
SELECT lives_ok(format('SELECT authz.join_workspace(%L)', :'legacy'),
    'Labstep: "Members can join any open workspace" -> also one that was open before the preset was applied');
SELECT is(ARRAY[authz.role_in(:'commons'), authz.role_in(:'legacy')], ARRAY['editor', 'editor'],
    'Labstep: "Members can join any open workspace" -> they join it as Editor');
SELECT throws_ok(format('SELECT authz.join_workspace(%L)', :'bench'),
    '42501', 'workspace "lab/bench" is invite-only',
    'Labstep: Members "can only access Invite-only workspaces that they have been added to explicitly" -> joining one is refused');
SELECT is(ARRAY[authz.can(:'bench', 'workspace.view'), authz.can(:'bench', 'content.read')], ARRAY[false, false],
    'Labstep: "can only access Invite-only workspaces that they have been added to explicitly" -> before being added, a Member cannot open it or read its content');
SELECT pg_temp.act('olga');
SELECT pg_temp.add_member(:'bench', :'mira', 'viewer');
SELECT pg_temp.act('mira');
SELECT is(ARRAY[authz.can(:'bench', 'workspace.view'), authz.can(:'bench', 'content.read')], ARRAY[true, true],
    'Labstep: "Invite-only workspaces that they have been added to explicitly" -> once added, the Member opens it and reads its content');
SELECT throws_ok(format('SELECT authz.create_workspace(%L, %L)', :'lab', 'mira-lab'),
    '42501', 'permission denied: "org.workspaces.create" is required in organization "lab"',
    'Labstep: "They can create new workspaces if Admins allow them to" -> not while Admins do not allow it');
SELECT pg_temp.act('adam');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"members_can_create_workspaces": true}')$$, :'lab'),
    'Labstep: "if Admins allow them to" -> an org admin allows Members to create workspaces');
SELECT pg_temp.act('mira');
SELECT lives_ok(format('SELECT authz.create_workspace(%L, %L)', :'lab', 'mira-lab'),
    'Labstep: "They can create new workspaces if Admins allow them to" -> once allowed, a Member creates one');
SELECT id AS miralab FROM authz.workspaces WHERE org_id = :'lab' AND name = 'mira-lab' \gset
SELECT is(authz.role_in(:'miralab'), 'owner',
    'Labstep: "If you create a workspace, you''ll automatically be appointed as its owner" -> the Member who created it is its owner');
SELECT lives_ok(format('SELECT authz.add_member(%L, %L, %L)', :'miralab', :'mark', 'editor'),
    'Labstep: Members "can also assign roles within the workspaces they own" -> the owning Member adds someone as Editor');
SELECT lives_ok(format('SELECT authz.set_role(%L, %L, %L)', :'miralab', :'mark', 'viewer'),
    'Labstep: Members "can also assign roles within the workspaces they own" -> and changes that role to Viewer');
SELECT throws_ok(format('SELECT authz.add_member(%L, %L, %L)', :'commons', :'max', 'viewer'),
    '42501', 'permission denied: "members.manage" is required in workspace "lab/commons"',
    'Labstep: "assign roles within the workspaces they own" -> not in a workspace where the Member is only an Editor');

-- ===========================================================================
-- Organisation roles: Guest
-- ===========================================================================
SELECT pg_temp.act('gwen');
SET ROLE regress_labstep_app;
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['gwen'],
    'Labstep: "Guests can''t see the list of workspaces" -> a guest reads no row of authz.workspaces but its own');
SELECT set_eq('SELECT handle FROM authz.users', ARRAY['gwen'],
    'Labstep: "Guests can''t see the list of ... users within an organisation" -> a guest reads only itself in authz.users');
SELECT set_eq('SELECT user_id FROM authz.org_members', ARRAY[:'gwen']::uuid[],
    'Labstep: "Guests can''t see the list of ... users within an organisation" -> a guest reads only its own org membership');
RESET ROLE;
SELECT throws_ok(format('SELECT authz.join_workspace(%L)', :'commons'),
    '42704', format('workspace "%s" not found or not allowed', :'commons'),
    'Labstep: Guests cannot "join open workspaces" -> join_workspace is refused (the guest does not see the workspace)');
SELECT is(authz.can(:'commons', 'workspace.view'), false,
    'Labstep: Guests cannot "join open workspaces" -> an open workspace gives a guest no view either');
SELECT pg_temp.act('mira');
SELECT lives_ok(format('SELECT authz.add_member(%L, %L, %L)', :'miralab', :'gwen', 'viewer'),
    'Labstep: "Guests have access to specific projects within the organisation, as determined by the workspace''s owner or admin" -> the workspace owner adds a guest');
SELECT pg_temp.act('gwen');
SET ROLE regress_labstep_app;
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['gwen', 'mira-lab'],
    'Labstep: "They can only see the specific workspaces they have been granted access to" -> the guest reads its own and the one granted');
RESET ROLE;
SELECT is(pg_temp.perms(:'miralab'), '{content.read,members.view,workspace.view}'::text[],
    'Labstep: Guests "only have the specific permissions they are granted within that workspace" -> exactly those of the role given');
SELECT pg_temp.act('mira');
SELECT authz.grant(:'miralab', :'gwen', '{content.create}');
SELECT pg_temp.act('gwen');
SELECT is(ARRAY[authz.can(:'miralab', 'content.create'), authz.can(:'miralab', 'content.delete')], ARRAY[true, false],
    'Labstep: Guests "only have the specific permissions they are granted" -> a granted permission is added, nothing else');

-- ===========================================================================
-- Workspace roles: Owner
-- ===========================================================================
SELECT pg_temp.act('olga');
SELECT set_eq(format('SELECT unnest(pg_temp.perms(%L))', :'bench'),
    $$SELECT name FROM authz.permissions WHERE scope = 'workspace'$$,
    'Labstep: "The Owner is the user with full control over the workspace" -> the owner holds every workspace permission');
SELECT lives_ok(format('SELECT authz.add_member(%L, %L, %L)', :'bench', :'max', 'viewer'),
    'Labstep: the Owner "can add ... members"');
SELECT lives_ok(format('SELECT authz.remove_member(%L, %L)', :'bench', :'max'),
    'Labstep: the Owner "can ... remove members"');
SELECT lives_ok(format('SELECT authz.set_role(%L, %L, %L)', :'bench', :'mira', 'editor'),
    'Labstep: the Owner can "change roles"');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"description": "Shared bench"}')$$, :'bench'),
    'Labstep: the Owner can "make changes to the workspace settings"');
SELECT is(ARRAY[authz.can(:'bench', 'content.read'), authz.can(:'bench', 'content.update'),
                authz.can(:'bench', 'content.delete')], ARRAY[true, true, true],
    'Labstep: "The owner also has access to all the content ... and can edit or delete them as needed"');
SELECT pg_temp.add_member(:'bench', :'tina', 'owner');
SELECT set_eq(format('SELECT pg_temp.holding(%L, %L)', :'bench', 'owner'), ARRAY['olga', 'tina'],
    'Labstep: "A workspace can have multiple owners" -> two owners of bench');
SELECT pg_temp.act('adam');
SELECT is(authz.role_in((SELECT id FROM authz.workspaces WHERE org_id = :'lab' AND name = 'scratch')), 'owner',
    'Labstep: "If you create a workspace, you''ll automatically be appointed as its owner" -> also an org admin, whose org role alone gives org_admin');

-- ===========================================================================
-- Workspace roles: Editor
-- ===========================================================================
SELECT pg_temp.act('olga');
SELECT pg_temp.add_member(:'bench', :'mark', 'editor');
SELECT pg_temp.act('mark');
SELECT is(ARRAY[authz.can(:'bench', 'content.create'), authz.can(:'bench', 'content.update'),
                authz.can(:'bench', 'content.delete')], ARRAY[true, true, true],
    'Labstep: "Editors can create, edit, and delete content within the workspace"');
SELECT throws_ok(format('SELECT authz.add_member(%L, %L, %L)', :'bench', :'max', 'viewer'),
    '42501', 'permission denied: "members.manage" is required in workspace "lab/bench"',
    'Labstep: Editors "cannot add ... members"');
SELECT throws_ok(format('SELECT authz.remove_member(%L, %L)', :'bench', :'mira'),
    '42501', 'permission denied: "members.manage" is required in workspace "lab/bench"',
    'Labstep: Editors "cannot ... remove members"');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"description": "Mine now"}')$$, :'bench'),
    '42501', 'permission denied: "workspace.update" is required in workspace "lab/bench"',
    'Labstep: Editors cannot "make changes to the workspace settings"');
SELECT results_eq(
    format($$SELECT name FROM authz.roles WHERE name IN ('owner', 'editor', 'viewer')
               AND (org_id IS NULL OR org_id = %L) ORDER BY rank DESC$$, :'lab'),
    ARRAY['owner', 'editor', 'viewer'],
    'Labstep: "The Editor has the second-highest level of access to a workspace" and Viewer "is the lowest level of access" -> ranks owner > editor > viewer');
SELECT pg_temp.act('olga');
SELECT pg_temp.add_member(:'bench', :'max', 'editor');
SELECT set_eq(format('SELECT pg_temp.holding(%L, %L)', :'bench', 'editor'), ARRAY['mira', 'mark', 'max'],
    'Labstep: "the owner can also assign the editor role to multiple users" -> three Editors in bench');

-- ===========================================================================
-- Workspace roles: Viewer (mark is a Viewer in mira-lab)
-- ===========================================================================
SELECT pg_temp.act('mark');
SELECT is(ARRAY[authz.can(:'miralab', 'content.create'), authz.can(:'miralab', 'content.update'),
                authz.can(:'miralab', 'content.delete')], ARRAY[false, false, false],
    'Labstep: "As a viewer ... you will not be able to create, edit, or delete any content"');
SELECT is(ARRAY[authz.can(:'miralab', 'workspace.view'), authz.can(:'miralab', 'content.read')], ARRAY[true, true],
    'Labstep: "However, you will still be able to view and access all content within the workspace"');

-- ===========================================================================
-- Custom roles
-- ===========================================================================
SELECT pg_temp.act('adam');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'technician', 30,
                          '{workspace.view,members.view,content.read,content.update}')$$, :'lab'),
    'Labstep: "A custom role is an admin-defined role that can be created in addition to the default roles" -> an org admin creates one');
SELECT pg_temp.act('mira');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'intern', 5, '{content.read}')$$, :'lab'),
    '42501', 'permission denied: "org.roles.manage" is required in organization "lab"',
    'Labstep: "A custom role is an admin-defined role" -> a Member cannot define one');
SELECT lives_ok(format('SELECT authz.add_member(%L, %L, %L)', :'miralab', :'max', 'technician'),
    'Labstep: "Once the custom role has been created, it can be assigned to users" in a workspace');
SELECT pg_temp.act('max');
SELECT is(ARRAY[authz.role_in(:'miralab'), authz.can(:'miralab', 'content.update')::text,
                authz.can(:'miralab', 'content.create')::text],
    ARRAY['technician', 'true', 'false'],
    'Labstep: a custom role "allowing for more granular control over user permissions" -> its holder has exactly its permissions');
SELECT pg_temp.act('adam');
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'technician',
                          permissions => '{workspace.view,members.view,content.read,content.update,content.create}')$$, :'lab'),
    'Labstep: "Custom roles can also be edited ... at any time by Admins"');
SELECT pg_temp.act('max');
SELECT is(authz.can(:'miralab', 'content.create'), true,
    'Labstep: "Custom roles can also be edited" -> the edit applies at once to users holding the role');
SELECT pg_temp.act('adam');
SELECT throws_ok(format('SELECT authz.drop_role(%L, %L)', :'lab', 'technician'),
    '2BP01', 'role "technician" is still assigned',
    'Labstep: custom roles "deleted at any time by Admins" -> refused with 2BP01 while the role is still assigned');
SELECT pg_temp.act('mira');
SELECT authz.set_role(:'miralab', :'max', 'viewer');
SELECT pg_temp.act('adam');
SELECT lives_ok(format('SELECT authz.drop_role(%L, %L)', :'lab', 'technician'),
    'Labstep: custom roles can be "deleted ... by Admins" -> once nobody holds it, an org admin deletes it');
SELECT is((SELECT count(*) FROM authz.roles WHERE org_id = :'lab' AND name = 'technician')::int, 0,
    'Labstep: custom roles can be "deleted" -> the role is gone');

-- ===========================================================================
-- Conclusion: content permissions come from workspace roles only
-- ===========================================================================
SELECT pg_temp.act('mark');
SELECT is(ARRAY[authz.can(:'bench', 'content.update'), authz.can(:'miralab', 'content.update')], ARRAY[true, false],
    'Labstep: "user permissions are mainly controlled by the workspaces they are part of and their role within each workspace" -> Editor in one, Viewer in another');
SELECT pg_temp.act('tina');
SELECT is(ARRAY[authz.role_in(:'vault'), array_to_string(pg_temp.perms(:'vault'), ',')], ARRAY[NULL, ''],
    'Labstep: "The organisation role does not define what permissions a user can have at the workspace level" -> a Member gets nothing in a workspace they are not part of');
SELECT pg_temp.act('adam');
SELECT is(pg_temp.perms(:'vault'), '{members.manage,members.view,workspace.delete,workspace.update,workspace.view}'::text[],
    'Labstep: "The Organisation Role is purely for managing the overall organisation and its members" -> an org admin manages the workspace (settings, members) in vault');
SELECT is(ARRAY[authz.can(:'vault', 'content.read'), authz.can(:'vault', 'content.create')], ARRAY[false, false],
    'Labstep: "The organisation role does not define what permissions a user can have at the workspace level" -> an org admin gets no content permission from the org role');
SELECT pg_temp.act('olga');
SELECT is(ARRAY[authz.can(:'miralab', 'members.manage'), authz.can(:'miralab', 'content.read')], ARRAY[true, false],
    'Labstep: "this is always controlled on a per workspace level by the workspace role" -> the org owner manages members of a workspace they are not part of, without reading its content');
SELECT pg_temp.act('adam');
SELECT lives_ok(format('SELECT authz.add_member(%L, %L, %L)', :'vault', :'max', 'editor'),
    'Labstep: "as an Admin, you can always manage and assign workspace roles for individual users when they''re added to a workspace" -> adds a user as Editor');
SELECT lives_ok(format('SELECT authz.set_role(%L, %L, %L)', :'vault', :'max', 'viewer'),
    'Labstep: "as an Admin, you can always manage and assign workspace roles" -> changes a user to Viewer');
-- Custom roles rank below owner (SPEC 2), and nobody assigns a role above
-- their own rank (SPEC 3): the org_admin role stops short of making owners.
SELECT throws_ok(format('SELECT authz.set_role(%L, %L, %L)', :'vault', :'max', 'owner'), '42501', NULL,
    'Labstep: "as an Admin, you can always manage and assign workspace roles" -> every role below Owner; making an Owner takes an Owner (org_admin ranks 90, custom roles rank below owner)');

SELECT * FROM finish();
ROLLBACK;
