-- The latch preset against Latch's own documentation: "Workspaces & Orgs: An
-- Overview" (the overview and its permission table) and "Workspace Roles".
-- Every assertion quotes the sentence it checks, in the order of the documents,
-- after the preset's own contract (owners only, known names, idempotent).
--
-- Mapping: the built-in workspace roles are Latch's Owner, Admin, Member and
-- Viewer; Latch's org Admin and Member are the org roles admin and member (the
-- org's creator is its owner); "Owner permissions for all its child
-- workspaces" is the org-wide role owner; "a Viewer or Admin in all
-- workspaces" is set_org_workspace_role; someone who is limited to chosen
-- workspaces is a participant who is not an org member; "Advanced
-- Permissions" toggles are authz.grant / authz.deny.
--
-- Not modelled, so not tested: the UI steps ("Go to Workspace Settings >
-- Members Tab", "Click on the role dropdown", "Click on the Advanced
-- Permissions button", "toggle ... on and off" as a window), Latch Pods,
-- Registry, workflows, plots, pod templates, moving/copying data, the "Use a
-- Workspace/Organization when" advice, navigation and page-feedback text.
--
-- One transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(61);

-- An application role, neither superuser nor trusted, so that billing reads
-- apply their permission checks.
CREATE ROLE regress_latch_app;

-- authz.check for the platform: the asserted user is set aside for the call
-- (a trusted role answers about other users only while it asserts no user).
CREATE FUNCTION pg_temp.check(u uuid, w uuid, p text) RETURNS boolean LANGUAGE sql STABLE
    SET workspace_authz.user_id = ''
    AS $$ SELECT authz.check(u, w, p) $$;
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(array_agg(DISTINCT x COLLATE "C" ORDER BY x COLLATE "C"), '{}') FROM unnest(a) x $$;
-- Of the listed permissions, those the user holds in the workspace.
CREATE FUNCTION pg_temp.held(h text, w uuid, ps text[]) RETURNS text[] LANGUAGE sql STABLE
    SET workspace_authz.user_id = ''
    AS $$ SELECT pg_temp.sorted(array_agg(p)) FROM unnest(ps) p WHERE pg_temp.check(pg_temp.uid(h), w, p) $$;
-- Every workspace permission the user holds in the workspace.
CREATE FUNCTION pg_temp.perms(h text, w uuid) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT pg_temp.held(h, w, (SELECT array_agg(name) FROM authz.permissions WHERE scope = 'workspace')) $$;
-- The effective role of a user in a workspace, as they see it.
CREATE FUNCTION pg_temp.role_of(h text, w uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in(w);
END
$$;
-- An org permission of a user, as they see it.
CREATE FUNCTION pg_temp.can_org(h text, o uuid, p text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.can_org(o, p);
END
$$;

\set all_perms '{workspace.view,workspace.update,workspace.delete,members.view,members.manage,billing.view,billing.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}'
\set viewer_refused '{content.create,content.update,content.delete,run.execute}'

-- The cast. olga founds org latch-bio and its workspace lab before the preset;
-- adele is its org Admin, max a Member and wes a Member already set to Viewer
-- in all workspaces, all three from before the preset. After it: nora, vic and
-- ada join as Members, iris by invitation. cora, val, ana, kai and tim are from
-- outside the org: each is added only to the workspaces they may use. kai
-- founds neighbours, an organization apart, whose members ana, cora, adele and
-- nora are too: the people they add below (kai, nora) already share an
-- organization with them, so no invitation is needed.
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT authz.create_user(h, h || '@example.com')
  FROM unnest('{olga,adele,max,wes,nora,vic,ada,iris,cora,val,ana,kai,tim}'::text[]) h;
SELECT pg_temp.act_as('olga');
SELECT authz.create_org('latch-bio', 'Latch Bio') AS org \gset
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('adele'), 'admin');
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('max'));
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('wes'), 'member', 'viewer');
SELECT authz.create_workspace(:'org', 'lab') AS lab \gset
SELECT pg_temp.act_as('kai');
SELECT authz.create_org('neighbours') AS neighbours \gset
SELECT pg_temp.add_org_member(:'neighbours', pg_temp.uid(h)) FROM unnest('{ana,cora,adele,nora}'::text[]) h;

-- ===========================================================================
-- apply_preset: who may apply it, which names it knows
-- ===========================================================================
SELECT pg_temp.act_as('adele');
SELECT throws_ok(format($$SELECT authz.apply_preset(%L, 'latch')$$, :'org'),
    '42501', 'only owners of organization "latch-bio" may apply a preset',
    'apply_preset: refused to an org admin (only org owners may apply a preset)');
SELECT pg_temp.act_as('olga');
SELECT throws_ok(format($$SELECT authz.apply_preset(%L, 'benchling')$$, :'org'),
    '22023', 'invalid preset: "benchling"',
    'apply_preset: an unknown preset name is refused');
SELECT lives_ok(format($$SELECT authz.apply_preset(%L, 'latch')$$, :'org'),
    'apply_preset: the org owner applies the latch preset');
SELECT results_eq(
    format($$SELECT a.name, m.name FROM authz.orgs o
               JOIN authz.roles a ON a.id = o.admin_workspace_role
               JOIN authz.roles m ON m.id = o.member_workspace_role WHERE o.id = %L$$, :'org'),
    $$VALUES ('owner'::text, 'owner'::text)$$,
    'Latch: "Grant organization members with owner-level permissions across all managed workspaces" -> admin and member org-wide workspace role are owner');

-- The rest of the cast, after the preset.
SELECT pg_temp.act_as('olga');
SELECT pg_temp.add_member(:'lab', pg_temp.uid('cora'), 'member');
SELECT pg_temp.add_member(:'lab', pg_temp.uid('val'), 'viewer');
SELECT pg_temp.add_member(:'lab', pg_temp.uid('ana'), 'admin');
SELECT authz.create_workspace(:'org', 'scratch') AS scratch \gset
SELECT pg_temp.add_member(:'scratch', pg_temp.uid('ana'), 'admin');

-- ===========================================================================
-- Overview: "In Workspaces you can..."
-- ===========================================================================
SELECT pg_temp.act_as('ana');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'member')$$, :'lab', pg_temp.uid('kai')),
    'Latch: "Manage your team members and their access to the workspace" -> a workspace Admin adds a member');

SELECT pg_temp.act_as(NULL);   -- the platform tops up and meters (no user asserted)
SELECT authz.add_credits(:'lab', '100', 'purchase');
SELECT authz.record_usage(:'lab', 10, 0);
SELECT pg_temp.act_as('ana');
SET ROLE regress_latch_app;
SELECT is(authz.balance(:'lab')::text, '99',
    'Latch: "workspace-specific billing, including credit balance and usage" -> the workspace Admin reads the balance, usage deducted');
RESET ROLE;
SELECT pg_temp.act_as('cora');
SET ROLE regress_latch_app;
SELECT throws_ok(format($$SELECT authz.balance(%L)$$, :'lab'),
    '42501', 'permission denied: "billing.view" is required in workspace "latch-bio/lab"',
    'Latch: workspace billing is the Admin''s ("Configures billing") -> a Member limited to the workspace cannot read the balance');
RESET ROLE;

SELECT is(pg_temp.held('cora', :'lab', '{content.read,content.create,content.share}'),
    pg_temp.sorted('{content.read,content.create,content.share}'),
    'Latch: "Share data with your team and organize data within the workspace" -> a Member reads, creates and shares content');
SELECT ok(pg_temp.check(pg_temp.uid('cora'), :'lab', 'run.execute'),
    'Latch: "Run and manage workflows ... within the workspace" -> a Member holds run.execute');

-- ===========================================================================
-- Overview: "In Organizations you can..."
-- ===========================================================================
SELECT pg_temp.act_as('adele');
SELECT lives_ok(format($$SELECT authz.create_workspace(%L, 'assay')$$, :'org'),
    'Latch: "Create and oversee multiple workspaces under a unified organization" -> the org Admin adds a second workspace');
SELECT id AS assay FROM authz.workspaces WHERE org_id = :'org' AND name = 'assay' \gset
SELECT lives_ok(format($$SELECT authz.add_org_member(%L, %L)$$, :'org', pg_temp.uid('nora')),
    'Latch: org Admin "can perform tasks like ... inviting members" -> the org Admin adds a member');
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('vic'));
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('ada'));

SELECT pg_temp.act_as('olga');
SELECT set_eq(
    format($$SELECT w.name FROM authz.workspaces() x JOIN authz.workspaces w ON w.id = x WHERE w.org_id = %L$$, :'org'),
    $$VALUES ('lab'::text), ('assay'), ('scratch')$$,
    'Latch: "Create and oversee multiple workspaces" -> the org owner sees every workspace of the org');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('nora', %L), pg_temp.role_of('nora', %L)$$, :'lab', :'assay'),
    $$VALUES ('owner'::text, 'owner'::text)$$,
    'Latch: "Grant organization members with owner-level permissions across all managed workspaces" -> a new member is owner in lab and assay');

SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT authz.add_credits(:'assay', '50', 'purchase');
SELECT authz.record_usage(:'assay', 20, 0);
SELECT pg_temp.act_as('nora');
SET ROLE regress_latch_app;
SELECT results_eq(
    format($$SELECT balance::text, usage::text FROM authz.org_credit_summary(%L) WHERE workspace_id IS NULL$$, :'org'),
    $$VALUES ('147'::text, '3'::text)$$,
    'Latch: "View comprehensive billing that aggregates usage across all managed workspaces" -> an org member reads the org total (usage 1 + 2)');
RESET ROLE;

SELECT pg_temp.act_as('adele');
SELECT lives_ok(format($$SELECT authz.transfer_credits(%L, %L, '30', 'rebalance')$$, :'lab', :'assay'),
    'Latch: "Transfer credits between workspaces to manage resources across projects" -> the org Admin moves 30 credits');
SELECT set_eq(
    format($$SELECT workspace, balance::text, transfers_in::text, transfers_out::text
               FROM authz.org_credit_summary(%L) WHERE workspace IN ('lab', 'assay')$$, :'org'),
    $$VALUES ('lab'::text, '69'::text, '0'::text, '30'::text), ('assay', '78', '30', '0')$$,
    'Latch: "Transfer credits between workspaces" -> the credits left lab and reached assay');

-- ===========================================================================
-- Overview: "Permissions" and its table
-- ===========================================================================
SELECT results_eq(
    format($$SELECT pg_temp.can_org('adele', %1$L, 'org.workspaces.create'), pg_temp.can_org('adele', %1$L, 'org.members.manage'),
                    pg_temp.can_org('nora', %1$L, 'org.workspaces.create'), pg_temp.can_org('nora', %1$L, 'org.members.manage')$$,
           :'org'),
    $$VALUES (true, true, false, false)$$,
    'Latch: "Within a Latch Organization, you can be an Admin or a Member" -> the Admin adds workspaces and members, the Member does neither');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('ana', %1$L), pg_temp.role_of('cora', %1$L), pg_temp.role_of('val', %1$L)$$, :'lab'),
    $$VALUES ('admin'::text, 'member'::text, 'viewer'::text)$$,
    'Latch: "Within a Latch Workspace, you can be an Admin, Member, or Viewer" -> participants hold those roles');

-- Workspace column
SELECT is(pg_temp.held('ana', :'lab', '{billing.manage,members.manage,workspace.update}'),
    pg_temp.sorted('{billing.manage,members.manage,workspace.update}'),
    'Latch: workspace Admin "performs administrative tasks within the workspace. Configures billing, adds/ removes members" -> billing.manage, members.manage, workspace.update');
SELECT pg_temp.act_as('ana');
SELECT lives_ok(format($$SELECT authz.remove_member(%L, %L)$$, :'lab', pg_temp.uid('kai')),
    'Latch: workspace Admin "adds/ removes members" -> the Admin removes a member');
SELECT is(pg_temp.held('cora', :'lab', '{content.read,content.create,run.execute}'),
    pg_temp.sorted('{content.read,content.create,run.execute}'),
    'Latch: workspace Member "can use the workspace resources, such as creating pods, running workflows, using Registry"');
SELECT is(pg_temp.held('val', :'lab', '{workspace.view,content.read}'), pg_temp.sorted('{workspace.view,content.read}'),
    'Latch: workspace Viewer "can only view the workspace resources" -> workspace.view and content.read');
SELECT is(pg_temp.held('val', :'lab', :'viewer_refused'), '{}'::text[],
    'Latch: workspace Viewer "cannot perform any actions" -> no content.create/update/delete, no run.execute');

-- Organization column
SELECT pg_temp.act_as('adele');
SELECT authz.invite_to_org(:'org', 'iris@example.com') AS iris_token \gset
SELECT ok(:'iris_token' ~ '^[0-9a-f]{64}$',
    'Latch: org Admin "can perform tasks like adding new workspaces, inviting members" -> the Admin invites to the org');
SELECT pg_temp.act_as('iris');
SELECT authz.accept_invitation(:'iris_token');
SELECT results_eq(
    format($$SELECT pg_temp.can_org('nora', %1$L, 'org.members.view'), pg_temp.can_org('nora', %1$L, 'org.billing.view')$$, :'org'),
    $$VALUES (true, true)$$,
    'Latch: org Member "can view members, billing, etc."');
SELECT pg_temp.act_as('nora');
SELECT throws_ok(format($$SELECT authz.create_workspace(%L, 'side')$$, :'org'),
    '42501', 'permission denied: "org.workspaces.create" is required in organization "latch-bio"',
    'Latch: "adding new workspaces" is the org Admin''s task, not in the Member''s column -> a Member cannot add one');

SELECT pg_temp.act_as('olga');
SELECT lives_ok(format($$SELECT authz.set_org_workspace_role(%1$L, %2$L, 'viewer'), authz.set_org_workspace_role(%1$L, %3$L, 'admin')$$,
                       :'org', pg_temp.uid('vic'), pg_temp.uid('ada')),
    'Latch: "You can set a member to be a Viewer or Admin in all workspaces by default" -> set_org_workspace_role viewer / admin');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('vic', %1$L), pg_temp.role_of('vic', %2$L), pg_temp.role_of('ada', %1$L), pg_temp.role_of('ada', %2$L)$$,
           :'lab', :'assay'),
    $$VALUES ('viewer'::text, 'viewer'::text, 'admin'::text, 'admin'::text)$$,
    'Latch: "a Viewer or Admin in all workspaces" -> the member set to Viewer is viewer, the one set to Admin admin, in lab and assay');
SELECT is(pg_temp.held('vic', :'assay', :'viewer_refused'), '{}'::text[],
    'Latch: a member set to Viewer "cannot perform any actions" in any workspace');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('wes', %L), pg_temp.role_of('wes', %L)$$, :'lab', :'assay'),
    $$VALUES ('viewer'::text, 'viewer'::text)$$,
    'Latch: "set a member to be a Viewer ... by default" -> a member set to Viewer before the preset stays viewer');

-- The note
SELECT results_eq(
    format($$SELECT pg_temp.role_of('max', %L), pg_temp.role_of('max', %L)$$, :'lab', :'assay'),
    $$VALUES ('owner'::text, 'owner'::text)$$,
    'Latch: "All members of an Organization automatically have Owner permissions for all its child workspaces" -> a member from before the preset is owner in lab and assay');
SELECT is(pg_temp.perms('max', :'assay'), pg_temp.sorted(:'all_perms'),
    'Latch: "automatically have Owner permissions" -> a member from before the preset holds every workspace permission');
SELECT is(pg_temp.perms('nora', :'lab'), pg_temp.sorted(:'all_perms'),
    'Latch: "automatically have Owner permissions" -> a member added after the preset holds every workspace permission');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('iris', %L), pg_temp.role_of('iris', %L)$$, :'lab', :'assay'),
    $$VALUES ('owner'::text, 'owner'::text)$$,
    'Latch: "All members of an Organization automatically have Owner permissions" -> a member who joined by invitation is owner in lab and assay');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('cora', %L), pg_temp.check(pg_temp.uid('cora'), %L, 'workspace.view'),
                    pg_temp.can_org('cora', %L, 'org.view')$$, :'assay', :'assay', :'org'),
    $$VALUES (NULL::text, false, false)$$,
    'Latch: "If you want to limit someone''s permissions, add them only to the specific workspaces" -> a non-member participant of lab has nothing in assay nor the org');
SELECT pg_temp.act_as('cora');
SELECT set_eq(
    format($$SELECT w.name FROM authz.workspaces() x JOIN authz.workspaces w ON w.id = x WHERE w.org_id = %L$$, :'org'),
    $$VALUES ('lab'::text)$$,
    'Latch: "add them only to the specific workspaces where you want them to have access" -> the limited user sees lab only');

-- ===========================================================================
-- Workspace Roles
-- ===========================================================================
SELECT results_eq(
    format($$SELECT name, rank FROM authz.roles WHERE org_id IS NULL OR org_id = %L ORDER BY rank DESC$$, :'org'),
    $$VALUES ('owner'::text, 100), ('admin', 80), ('member', 40), ('viewer', 10)$$,
    'Latch: "There are 4 base roles for a workspace: Owner, Admin, Member, Viewer" (in that precedence)');

-- Owner
SELECT set_eq(
    format($$SELECT w.name AS workspace, u.handle, r.name AS role FROM authz.participants p JOIN authz.workspaces w ON w.id = p.workspace_id
               JOIN authz.users u ON u.id = p.user_id JOIN authz.roles r ON r.id = p.role_id
              WHERE w.name IN ('lab', 'assay') AND w.org_id = %L AND r.name = 'owner'$$, :'org'),
    $$VALUES ('lab'::text, 'olga'::text, 'owner'::text), ('assay', 'adele', 'owner')$$,
    'Latch: Owner "This is the user who created the workspace." -> each creator is its owner participant');
SELECT pg_temp.act_as('olga');
SELECT is((SELECT array_agg(DISTINCT role) FROM authz.who_can(:'lab', 'workspace.delete')), '{owner}'::text[],
    'Latch: Owner "The only one who can delete a workspace." -> everyone holding workspace.delete in lab is an owner');
SELECT results_eq(
    format($$SELECT u.handle, pg_temp.check(u.id, %L, 'workspace.delete') FROM authz.users u
              WHERE u.handle IN ('ana', 'ada', 'cora', 'val', 'vic') ORDER BY u.handle$$, :'lab'),
    $$VALUES ('ada'::text, false), ('ana', false), ('cora', false), ('val', false), ('vic', false)$$,
    'Latch: Owner "The only one who can delete a workspace." -> Admins, Members and Viewers do not hold workspace.delete');
SELECT pg_temp.act_as('ana');
SELECT throws_ok(format($$SELECT authz.delete_workspace(%L)$$, :'scratch'),
    '42501', 'permission denied: "workspace.delete" is required in workspace "latch-bio/scratch"',
    'Latch: Owner "The only one who can delete a workspace." -> a workspace Admin cannot delete it');
SELECT pg_temp.act_as('olga');
SELECT lives_ok(format($$SELECT authz.delete_workspace(%L)$$, :'scratch'),
    'Latch: Owner "The only one who can delete a workspace." -> its owner deletes it');
SELECT is(pg_temp.sorted(ARRAY(SELECT unnest(pg_temp.perms('olga', :'lab')) EXCEPT SELECT unnest(pg_temp.perms('ana', :'lab')))),
    '{workspace.delete}'::text[],
    'Latch: Owner "Has all permissions of Admin." -> owner = admin + workspace.delete');

-- Admin
SELECT is(pg_temp.perms('ana', :'lab'), pg_temp.sorted(array_remove(:'all_perms'::text[], 'workspace.delete')),
    'Latch: Admin "Has full access to everything in a workspace." -> every permission but deleting it');
SELECT pg_temp.act_as('ana');
SELECT authz.invite(:'lab', 'tim@example.com', 'member') AS tim_token \gset
SELECT ok(:'tim_token' ~ '^[0-9a-f]{64}$',
    'Latch: Admin "Can invite new members" -> the workspace Admin invites by email');
SELECT pg_temp.act_as('tim');
SELECT authz.accept_invitation(:'tim_token');
SELECT pg_temp.act_as('ana');
SELECT lives_ok(format($$SELECT authz.set_role(%L, %L, 'viewer')$$, :'lab', pg_temp.uid('tim')),
    'Latch: Admin "Can ... change member workspace permissions" / Changing a Member''s Role: "Select the new role."');
SELECT is(pg_temp.role_of('tim', :'lab'), 'viewer',
    'Latch: "Select the new role." -> the invited member now holds the new role');
SELECT pg_temp.act_as('ana');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"description": "Sequencing lab"}')$$, :'lab'),
    'Latch: Admin "Can change workspace settings."');
SELECT is(pg_temp.held('ana', :'lab', '{billing.view,billing.manage}'), pg_temp.sorted('{billing.view,billing.manage}'),
    'Latch: Admin "Can view and manage workspace billing."');
SELECT is(pg_temp.held('ana', :'lab', '{content.read,content.create,content.update,content.delete,run.execute}'),
    pg_temp.sorted('{content.read,content.create,content.update,content.delete,run.execute}'),
    'Latch: Admin "Can view and edit all workspace data(data, workflows, pods, etc.)."');

-- Member
SELECT is(pg_temp.held('cora', :'lab', '{run.execute,content.update,content.delete}'),
    pg_temp.sorted('{run.execute,content.update,content.delete}'),
    'Latch: Member "Can execute, edit and delete resources inside of the workspace."');
SELECT pg_temp.act_as('cora');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'viewer')$$, :'lab', pg_temp.uid('kai')),
    '42501', 'permission denied: "members.manage" is required in workspace "latch-bio/lab"',
    'Latch: inviting members is the Admin''s ("Can invite new members") -> a Member cannot add one');

-- Viewer
SELECT is(pg_temp.perms('val', :'lab'), pg_temp.sorted('{workspace.view,members.view,content.read}'),
    'Latch: Viewer "Can only view and download data in the workspace." -> view, members list and content.read only');
SELECT is(pg_temp.held('val', :'lab', '{run.execute,content.update,content.delete}'), '{}'::text[],
    'Latch: Viewer "Cannot execute, edit or delete resources(ex. workflows, pods, etc.)."');

-- Advanced Roles and Permissions
SELECT pg_temp.act_as('ana');
SELECT authz.grant(:'lab', pg_temp.uid('cora'), '{billing.view}');
SELECT ok(pg_temp.check(pg_temp.uid('cora'), :'lab', 'billing.view'),
    'Latch: "You can set fine-grained permissions for what a member of a workspace can do" -> a permission toggled on');
SELECT pg_temp.act_as('ana');
SELECT authz.deny(:'lab', pg_temp.uid('cora'), '{content.delete}');
SELECT ok(NOT pg_temp.check(pg_temp.uid('cora'), :'lab', 'content.delete'),
    'Latch: "toggle specific permissions on and off" -> a permission of the Member role toggled off');
SELECT pg_temp.act_as('ana');
SELECT authz.reset_permissions(:'lab', pg_temp.uid('cora'));
SELECT is(pg_temp.perms('cora', :'lab'),
    pg_temp.sorted('{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}'),
    'Latch: advanced permissions reset -> the member holds exactly the Member role again');

-- ===========================================================================
-- apply_preset again: nothing changes
-- ===========================================================================
CREATE TEMP TABLE before_settings AS
    SELECT members_can_create_workspaces, admin_workspace_role, member_workspace_role, default_shared_role,
           default_join_role, max_participants, allow_collaborators FROM authz.orgs WHERE id = :'org';
CREATE TEMP TABLE before_members AS
    SELECT user_id, role, workspace_role FROM authz.org_members WHERE org_id = :'org';
CREATE TEMP TABLE before_roles AS
    SELECT u.handle, w.name, pg_temp.role_of(u.handle, w.id) AS role
      FROM authz.users u CROSS JOIN authz.workspaces w WHERE w.org_id = :'org';
SELECT pg_temp.act_as('olga');
SELECT lives_ok(format($$SELECT authz.apply_preset(%L, 'latch')$$, :'org'),
    'apply_preset: applying latch a second time succeeds');
SELECT set_eq(
    format($$SELECT members_can_create_workspaces, admin_workspace_role, member_workspace_role, default_shared_role,
                    default_join_role, max_participants, allow_collaborators FROM authz.orgs WHERE id = %L$$, :'org'),
    'SELECT * FROM before_settings',
    'apply_preset is idempotent: the org settings are the same after a second application');
SELECT set_eq(format('SELECT user_id, role, workspace_role FROM authz.org_members WHERE org_id = %L', :'org'),
    'SELECT * FROM before_members',
    'apply_preset is idempotent: members keep their org roles and org-wide roles (Viewer/Admin choices included)');
SELECT set_eq(
    format($$SELECT u.handle, w.name, pg_temp.role_of(u.handle, w.id)
               FROM authz.users u CROSS JOIN authz.workspaces w WHERE w.org_id = %L$$, :'org'),
    'SELECT * FROM before_roles',
    'apply_preset is idempotent: every user keeps the same role in every workspace');

SELECT * FROM finish();
ROLLBACK;
