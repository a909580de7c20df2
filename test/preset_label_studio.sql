-- The label_studio preset (SPEC 7), checked against Label Studio Enterprise's
-- "Organization management" overview, sentence by sentence. Each description
-- quotes the sentence it checks. Label Studio's Owner and Administrator are
-- our org owner and org admin; a Manager is an org member holding the
-- preset's manager role in the workspaces where they work (or org-wide);
-- Annotators and Reviewers are org guests holding the annotator or reviewer
-- role in projects.
--
-- Left out, as the extension does not model them:
--   * "use the Organization page" / "use the Organizations page to switch"
--     and the screenshots and diagrams (interface only; what the page allows,
--     and which organizations a user belongs to, are checked);
--   * "with an LDAP or SSO role join an existing organization" (directory
--     and single sign-on provisioning happen outside the database);
--   * "If permitted by your Label Studio Enterprise plan" (commercial plans;
--     creating organizations itself is checked);
--   * the example departments and insurance claim types (only the
--     organization > workspace > project structure they illustrate is checked).
-- Visibility is read through RLS in the sessions of login roles mapped to
-- users with authz.users.pg_role (SET SESSION AUTHORIZATION).
\ir lib/platform.sql
BEGIN;
SELECT plan(54);

CREATE ROLE regress_ls_mona LOGIN;
CREATE ROLE regress_ls_ann LOGIN;
CREATE ROLE regress_ls_rex LOGIN;
CREATE ROLE regress_ls_zoe LOGIN;
CREATE ROLE regress_ls_nick LOGIN;

-- Act as a user (NULL: nobody, so that a session's login mapping applies).
CREATE FUNCTION pg_temp.act(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user((SELECT id FROM authz.users WHERE handle = h)) $$;
-- An org permission of a user, asked as that user.
CREATE FUNCTION pg_temp.org_can(h text, o uuid, p text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_temp.act(h);
    RETURN authz.can_org(o, p);
END
$$;
-- The current user's role in each workspace and project of an organization,
-- as 'name=role' sorted by name (NULL role shown as '-').
CREATE FUNCTION pg_temp.ws_roles(o uuid) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT array_agg(w.name || '=' || coalesce(authz.role_in(w.id), '-') ORDER BY w.name)
            FROM authz.workspaces w WHERE w.org_id = o $$;
CREATE FUNCTION pg_temp.project_roles(o uuid) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT array_agg(p.name || '=' || coalesce(authz.role_in_project(p.id), '-') ORDER BY p.name)
            FROM authz.projects p JOIN authz.workspaces w ON w.id = p.workspace_id WHERE w.org_id = o $$;
-- What a preset decides for an organization (see preset_labstep.sql).
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
-- Fixture. oscar signs up and gets organization acme; ada is its
-- Administrator; mona, mick and nick are members (mona a Manager of support,
-- mick a Manager org-wide); ivy, ann and rex join through invitations or are
-- added later. olive owns organization claims, quinn owns organization other;
-- zoe belongs to acme and claims.
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    PERFORM authz.create_user(h, h || '@example.com',  NULL,
                              CASE WHEN h IN ('mona', 'ann', 'rex', 'zoe', 'nick') THEN 'regress_ls_' || h END)
       FROM unnest('{oscar,ada,mona,mick,nick,ivy,ann,rex,zoe,olive,quinn}'::text[]) h;
END
$$;
SELECT id AS oscar FROM authz.users WHERE handle = 'oscar' \gset
SELECT id AS ada FROM authz.users WHERE handle = 'ada' \gset
SELECT id AS mona FROM authz.users WHERE handle = 'mona' \gset
SELECT id AS mick FROM authz.users WHERE handle = 'mick' \gset
SELECT id AS nick FROM authz.users WHERE handle = 'nick' \gset
SELECT id AS rex FROM authz.users WHERE handle = 'rex' \gset
SELECT id AS zoe FROM authz.users WHERE handle = 'zoe' \gset

-- ===========================================================================
-- "When you sign up for Label Studio Enterprise for the first time, an
-- organization associated with your account is automatically created. You
-- become the owner of that organization."
-- ===========================================================================
SELECT pg_temp.act('oscar');
SELECT authz.create_org('acme', 'Acme Labels') AS acme \gset
SELECT is(authz.org_role(:'acme'), 'owner',
    'Label Studio: "an organization associated with your account is automatically created. You become the owner of that organization" -> create_org makes its creator the owner');
SELECT pg_temp.add_org_member(:'acme', :'ada', 'admin');
SELECT pg_temp.add_org_member(:'acme', u, 'member') FROM unnest(ARRAY[:'mona', :'mick', :'nick', :'zoe']::uuid[]) u;

-- ===========================================================================
-- Applying the preset
-- ===========================================================================
SELECT pg_temp.act('ada');
SELECT throws_ok(format('SELECT authz.apply_preset(%L, %L)', :'acme', 'label_studio'),
    '42501', 'only owners of organization "acme" may apply a preset',
    'apply_preset: an org admin (Label Studio Administrator), not the owner, is refused with 42501');
SELECT pg_temp.act('oscar');
SELECT throws_ok(format('SELECT authz.apply_preset(%L, %L)', :'acme', 'labelbox'),
    '22023', 'invalid preset: "labelbox"',
    'apply_preset: an unknown preset name is refused with 22023');
SELECT lives_ok(format('SELECT authz.apply_preset(%L, %L)', :'acme', 'label_studio'),
    'apply_preset: the org owner applies label_studio');
SELECT results_eq(
    format($$SELECT r.name, r.rank, r.projects_only, array_agg(rp.permission ORDER BY rp.permission)
               FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
              WHERE r.org_id = %L GROUP BY r.name, r.rank, r.projects_only ORDER BY r.rank DESC$$, :'acme'),
    $$VALUES ('manager'::text, 60, false,
              '{content.create,content.delete,content.read,content.share,content.update,members.manage,members.view,run.execute,workspace.view}'::text[]),
             ('reviewer', 30, true, '{content.read,content.update}'),
             ('annotator', 20, true, '{content.create,content.read}')$$,
    'label_studio: custom roles manager, reviewer (read and update) and annotator (read and create), the last two project roles');
SELECT results_eq(
    format($$SELECT a.name, o.member_workspace_role IS NULL, o.members_can_create_workspaces
               FROM authz.orgs o JOIN authz.roles a ON a.id = o.admin_workspace_role WHERE o.id = %L$$, :'acme'),
    $$VALUES ('admin'::text, true, false)$$,
    'label_studio: Administrators (org admins) hold admin in every workspace; members get no org-wide role by default');
SELECT pg_temp.preset_state(:'acme') AS state_before \gset
SELECT lives_ok(format('SELECT authz.apply_preset(%L, %L)', :'acme', 'label_studio'),
    'apply_preset: applying label_studio a second time succeeds');
SELECT is(pg_temp.preset_state(:'acme'), :'state_before'::jsonb,
    'apply_preset: applying label_studio again changes nothing (same roles, same ids, same settings)');

-- ===========================================================================
-- Organization > workspace > project
-- ===========================================================================
SELECT authz.create_workspace(:'acme', 'support') AS support \gset
SELECT authz.create_workspace(:'acme', 'development') AS development \gset
SELECT authz.create_project(:'support', 'refunds') AS refunds \gset
SELECT authz.create_project(:'support', 'outages') AS outages \gset
SELECT authz.create_project(:'development', 'bugs') AS bugs \gset
SELECT results_eq(
    format($$SELECT w.name, p.name FROM authz.projects p JOIN authz.workspaces w ON w.id = p.workspace_id
              WHERE w.org_id = %L ORDER BY 1, 2$$, :'acme'),
    $$VALUES ('development'::text, 'bugs'::text), ('support', 'outages'), ('support', 'refunds')$$,
    'Label Studio: "One organization for your company, with one workspace for the support department and another for the development team, with specific projects in each workspace"');

-- ===========================================================================
-- "Only users with the Owner or Administrator role can access this page"
-- (the Organization page manages organization membership)
-- ===========================================================================
SELECT pg_temp.act('ada');
SELECT pg_temp.add_org_member(:'acme', :'rex', 'guest');
SELECT results_eq(
    format($$SELECT h, pg_temp.org_can(h, %L, 'org.members.manage')
               FROM unnest('{oscar,ada,mona,rex}'::text[]) WITH ORDINALITY AS x(h, n) ORDER BY n$$, :'acme'),
    $$VALUES ('oscar'::text, true), ('ada', true), ('mona', false), ('rex', false)$$,
    'Label Studio: "Only users with the Owner or Administrator role can access this page" -> org.members.manage for the owner and the admin only');
SELECT pg_temp.act('mona');
SELECT throws_ok(format('SELECT authz.invite_to_org(%L, %L)', :'acme', 'someone@example.com'),
    '42501', 'permission denied: "org.members.manage" is required in organization "acme"',
    'Label Studio: "Only users with the Owner or Administrator role" manage membership -> a member cannot invite to the organization');

-- ===========================================================================
-- "People who join Label Studio Enterprise from an invitation link ... join
-- an existing organization."
-- ===========================================================================
SELECT pg_temp.act('ada');
SELECT authz.invite_to_org(:'acme', 'ivy@example.com', 'member', 'manager') AS ivy_token \gset
SELECT authz.invite_to_org(:'acme', 'ann@example.com', 'guest') AS ann_token \gset
SELECT pg_temp.act('ivy');
SELECT is(authz.accept_invitation(:'ivy_token'), :'acme'::uuid,
    'Label Studio: "People who join ... from an invitation link ... join an existing organization" -> accepting returns that organization');
SELECT is(authz.org_role(:'acme'), 'member',
    'Label Studio: "join an existing organization" -> the invited user is a member of it, with the role offered');
SELECT pg_temp.act('ann');
SELECT authz.accept_invitation(:'ann_token') \g /dev/null
SELECT is(authz.org_role(:'acme'), 'guest',
    'Label Studio: "join an existing organization" from an invitation link -> an annotator-to-be joins as a guest');

-- ===========================================================================
-- "When you assign a user role to an organization member, they hold that
-- role for all workspaces and projects for that organization."
-- ===========================================================================
SELECT pg_temp.act('oscar');
SELECT lives_ok(format('SELECT authz.set_org_workspace_role(%L, %L, %L)', :'acme', :'mick', 'manager'),
    'Label Studio: "When you assign a user role to an organization member" -> the owner makes a member Manager org-wide');
-- A workspace and a project created after the assignment.
SELECT authz.create_workspace(:'acme', 'research') AS research \gset
SELECT authz.create_project(:'research', 'labels') AS labels \gset
SELECT pg_temp.act('mick');
SELECT is(pg_temp.ws_roles(:'acme'), '{development=manager,research=manager,support=manager}'::text[],
    'Label Studio: "they hold that role for all workspaces ... for that organization" -> Manager in every workspace, later ones too');
SELECT is(pg_temp.project_roles(:'acme'), '{bugs=manager,labels=manager,outages=manager,refunds=manager}'::text[],
    'Label Studio: "they hold that role for all ... projects for that organization" -> Manager in every project');
SELECT is(ARRAY[authz.can_project(:'bugs', 'content.update'), authz.can(:'development', 'members.manage')],
    ARRAY[true, true],
    'Label Studio: "they hold that role for all workspaces and projects" -> with the Manager''s permissions there');
SELECT pg_temp.act('ivy');
SELECT is(pg_temp.ws_roles(:'acme'), '{development=manager,research=manager,support=manager}'::text[],
    'Label Studio: "they hold that role for all workspaces" -> also when the role came with the invitation');
SELECT pg_temp.act('ada');
SELECT is(pg_temp.ws_roles(:'acme') || pg_temp.project_roles(:'acme'),
    '{development=admin,research=admin,support=admin,bugs=admin,labels=admin,outages=admin,refunds=admin}'::text[],
    'Label Studio: "they hold that role for all workspaces and projects" -> the Administrator is admin in every workspace and project');
SELECT pg_temp.act('oscar');
SELECT authz.set_org_workspace_role(:'acme', :'nick', 'annotator');
SELECT pg_temp.act('nick');
SELECT is(pg_temp.project_roles(:'acme'), '{bugs=annotator,labels=annotator,outages=annotator,refunds=annotator}'::text[],
    'Label Studio: "they hold that role for all workspaces and projects" -> a member made Annotator org-wide annotates in every project');

-- ===========================================================================
-- "Managers within an organization can see all workspaces in that
-- organization, even if they don't have access to perform actions in them."
-- ===========================================================================
SELECT pg_temp.act('oscar');
SELECT pg_temp.add_member(:'support', :'mona', 'manager');
SELECT authz.set_user(NULL);
SET SESSION AUTHORIZATION regress_ls_mona;
SELECT set_eq(format('SELECT name FROM authz.workspaces WHERE org_id = %L', :'acme'),
    ARRAY['support', 'development', 'research'],
    'Label Studio: "Managers within an organization can see all workspaces in that organization" -> a Manager of support reads every workspace row');
SELECT is(ARRAY[authz.can(:'development', 'content.read'), authz.can(:'development', 'members.manage'),
                authz.can_project(:'bugs', 'content.read')],
    ARRAY[false, false, false],
    'Label Studio: "even if they don''t have access to perform actions in them" -> no content or member permission in development or its projects');
SELECT is(authz.role_in(:'development'), NULL,
    'Label Studio: "even if they don''t have access to perform actions in them" -> no role in a workspace they were not given');
SELECT is(ARRAY[authz.can(:'support', 'members.manage'), authz.can_project(:'refunds', 'content.update')],
    ARRAY[true, true],
    'Label Studio: Managers act in the workspaces where they hold the role -> manage members and content in support');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- "Annotators and reviewers can only see projects, not workspaces."
-- (The Manager of support assigns them to a project.)
-- ===========================================================================
SELECT pg_temp.act('mona');
SELECT pg_temp.add_project_member(:'refunds', (SELECT id FROM authz.users WHERE handle = 'ann'), 'annotator');
SELECT pg_temp.add_project_member(:'refunds', :'rex', 'reviewer');
SELECT authz.set_user(NULL);
SET SESSION AUTHORIZATION regress_ls_ann;
SELECT is(ARRAY[authz.can_project(:'refunds', 'content.read'), authz.can_project(:'refunds', 'content.create'),
                authz.can_project(:'refunds', 'content.update')],
    ARRAY[true, true, false],
    'Label Studio: "Annotators ... can only see projects" -> an annotator reads and annotates in their project, and does not review');
SELECT is(ARRAY[authz.can_project(:'outages', 'content.read'), authz.can_project(:'bugs', 'content.read')],
    ARRAY[false, false],
    'Label Studio: "Annotators ... can only see projects" -> only their own projects, not others of the same workspace or organization');
SELECT is(authz.role_in_project(:'refunds'), 'annotator',
    'Label Studio: "Annotators ... can only see projects" -> their role in the project is annotator');
SELECT is(ARRAY[authz.can(:'support', 'workspace.view')::text, authz.role_in(:'support')],
    ARRAY['false', NULL],
    'Label Studio: Annotators "can only see projects, not workspaces" -> no view of, and no role in, the project''s workspace');
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['ann'],
    'Label Studio: Annotators "can only see projects, not workspaces" -> an annotator reads no workspace row but its personal one');
SELECT set_eq('SELECT name FROM authz.projects', ARRAY['refunds'],
    'Label Studio: "Annotators ... can only see projects" -> an annotator reads the row of its project in authz.projects');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_ls_rex;
SELECT is(ARRAY[authz.can_project(:'refunds', 'content.read'), authz.can_project(:'refunds', 'content.update'),
                authz.can_project(:'refunds', 'content.create')],
    ARRAY[true, true, false],
    'Label Studio: "reviewers can only see projects" -> a reviewer reads and reviews in their project, and does not annotate');
SELECT is(ARRAY[authz.can(:'support', 'workspace.view'), authz.can_project(:'outages', 'content.read')],
    ARRAY[false, false],
    'Label Studio: "reviewers can only see projects, not workspaces" -> no view of the workspace nor of its other projects');
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['rex'],
    'Label Studio: reviewers "can only see projects, not workspaces" -> a reviewer reads no workspace row but its personal one');
SELECT set_eq('SELECT name FROM authz.projects', ARRAY['refunds'],
    'Label Studio: "reviewers can only see projects" -> a reviewer reads the row of its project in authz.projects');
RESET SESSION AUTHORIZATION;
-- nick holds the annotator role org-wide (assigned above): the document's two
-- sentences together say he annotates in every project and sees no workspace.
SET SESSION AUTHORIZATION regress_ls_nick;
SELECT set_eq('SELECT name FROM authz.projects', ARRAY['refunds', 'outages', 'bugs', 'labels'],
    'Label Studio: an Annotator holding the role org-wide "can only see projects" -> reads every project of the organization');
SELECT is(ARRAY[authz.can(:'support', 'workspace.view'), authz.can(:'development', 'workspace.view')], ARRAY[false, false],
    'Label Studio: an Annotator holding the role org-wide sees "projects, not workspaces" -> cannot view a workspace');
SELECT is(ARRAY[authz.can(:'support', 'content.read'), authz.can(:'support', 'content.create'), authz.role_in(:'support') IS NULL],
    ARRAY[false, false, true],
    'Label Studio: "projects, not workspaces" -> the org-wide Annotator reads and creates nothing in the workspace itself, and holds no role there');
SELECT is(ARRAY[authz.can_project(:'bugs', 'content.create'), authz.can_project(:'refunds', 'content.read')], ARRAY[true, true],
    'Label Studio: "they hold that role for all workspaces and projects" -> the org-wide Annotator annotates in the projects of every workspace');
SELECT throws_ok(format('SELECT authz.create_project(%L, %L)', :'support', 'sneaky'), '42501', NULL,
    'Label Studio: "projects, not workspaces" -> the org-wide Annotator cannot create projects in a workspace');
RESET SESSION AUTHORIZATION;
SELECT results_eq(format($$SELECT source, role, grants FROM authz.explain(%L, %L, 'content.read')$$, :'nick', :'support'),
    $$VALUES ('org-wide role (projects only)'::text, 'annotator'::text, false), ('result', NULL, false)$$,
    'explain: the org-wide Annotator''s role is listed as counting in projects only');
SET SESSION AUTHORIZATION regress_ls_nick;
-- Guests hold no org-wide role (SPEC 2): an org-wide Annotator is an org
-- member, who lists the workspaces without being able to view them; the
-- annotators who must not even list them are guests with project roles
-- (the reviewer above).
SELECT set_eq(format('SELECT name FROM authz.workspaces WHERE org_id = %L', :'acme'), ARRAY['development', 'research', 'support'],
    'Label Studio mapping: an Annotator holding the role org-wide is an org member, who lists the workspaces (org.workspaces.list) but cannot view them; "only projects, not workspaces" holds for guest annotators');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- "If some departments might collaborate with each other on a project, you
-- can use one organization for both and instead use workspaces to organize
-- the projects that they might or might not be collaborating on."
-- ===========================================================================
SELECT pg_temp.act('mick');
SELECT lives_ok(format('SELECT authz.add_project_member(%L, %L, %L)', :'bugs', :'mona', 'reviewer'),
    'Label Studio: "If some departments might collaborate with each other on a project, you can use one organization" -> a Manager brings the support Manager into a development project');
SELECT pg_temp.act('mona');
SELECT is(ARRAY[authz.can_project(:'bugs', 'content.update'), authz.can(:'development', 'content.read'),
                authz.can_project(:'refunds', 'members.manage')],
    ARRAY[true, false, true],
    'Label Studio: "use workspaces to organize the projects that they might or might not be collaborating on" -> she works in the shared project only, and keeps her own workspace');

-- ===========================================================================
-- Several organizations: "you can create organizations ... to further
-- separate access to data and projects"; "If you have access to multiple
-- organizations, ... switch between the organizations that you are a member of".
-- ===========================================================================
SELECT pg_temp.act('olive');
SELECT lives_ok($$SELECT authz.create_org('claims', 'Claims department')$$,
    'Label Studio: "you can create organizations in Label Studio to further separate access to data and projects" -> a second organization');
SELECT id AS claims FROM authz.orgs WHERE slug = 'claims' \gset
SELECT authz.apply_preset(:'claims', 'label_studio');
SELECT authz.create_workspace(:'claims', 'home') AS home \gset
SELECT authz.create_project(:'home', 'injury') AS injury \gset
SELECT authz.create_project(:'home', 'accident') AS accident \gset
SELECT pg_temp.add_org_member(:'claims', :'zoe', 'guest');
SELECT pg_temp.add_project_member(:'injury', :'zoe', 'annotator');
SELECT pg_temp.act('quinn');
SELECT authz.create_org('other') AS other \gset
SELECT authz.apply_preset(:'other', 'label_studio');
SELECT authz.create_workspace(:'other', 'misc') AS misc \gset
SELECT pg_temp.act('oscar');
SELECT authz.set_org_workspace_role(:'acme', :'zoe', 'manager');

SELECT authz.set_user(NULL);
SET SESSION AUTHORIZATION regress_ls_zoe;
SELECT set_eq('SELECT slug FROM authz.orgs', ARRAY['acme', 'claims'],
    'Label Studio: "switch between the organizations that you are a member of" -> a user of two organizations reads both, and no other');
SELECT is(ARRAY[authz.org_role(:'acme'), authz.org_role(:'claims'), authz.org_role(:'other')],
    ARRAY['member', 'guest', NULL],
    'Label Studio: "If you have access to multiple organizations" -> a different role in each');
SELECT set_eq('SELECT name FROM authz.workspaces WHERE org_id IS NOT NULL', ARRAY['support', 'development', 'research'],
    'Label Studio: organizations "separate access to data and projects" -> a Manager in acme sees its workspaces, none of claims where she annotates');
SELECT is(ARRAY[authz.role_in(:'home'), authz.role_in(:'misc')], ARRAY[NULL, NULL]::text[],
    'Label Studio: "they hold that role for all workspaces and projects for that organization" -> the org-wide Manager role of acme gives nothing in other organizations');
SELECT is(ARRAY[authz.can_project(:'injury', 'content.create'), authz.can_project(:'injury', 'content.update'),
                authz.can_project(:'accident', 'content.read')],
    ARRAY[true, false, false],
    'Label Studio: organizations "separate access" -> in claims she is only an annotator of her project');
SELECT set_eq('SELECT name FROM authz.projects', ARRAY['refunds', 'outages', 'bugs', 'labels', 'injury'],
    'Label Studio: "separate access to data and projects" -> she reads every project of acme and only her project of claims');
SELECT is((SELECT count(*) FROM authz.roles WHERE name = 'manager')::int, 2,
    'Label Studio: "switch between the organizations that you are a member of" -> she reads the custom roles of her two organizations only');
RESET SESSION AUTHORIZATION;
SELECT pg_temp.act('ada');
SELECT is(ARRAY[authz.org_role(:'claims'), authz.can(:'home', 'workspace.view')::text,
                authz.can_project(:'injury', 'content.read')::text],
    ARRAY[NULL, 'false', 'false'],
    'Label Studio: organizations "separate work and access between completely unrelated departments" -> an Administrator of acme has nothing in claims');
SELECT pg_temp.act('olive');
SELECT is(ARRAY[authz.can(:'support', 'workspace.view'), authz.can_org(:'acme', 'org.members.view')], ARRAY[false, false],
    'Label Studio: organizations "separate work and access" -> the owner of claims has nothing in acme');

SELECT * FROM finish();
ROLLBACK;
