-- The seqera preset against Seqera Platform's "Workspaces" documentation.
-- Every assertion quotes the sentence it checks, in the order of the document,
-- after the preset's own contract (owners only, known names, the roles and
-- settings it installs, idempotent).
--
-- Mapping: Seqera's participant roles are the built-in owner and admin and the
-- preset's custom roles maintain, launch, connect and view; a user workspace is
-- the personal workspace; a collaborator is a participant who is not an org
-- member; teams participate with a role; a shared workspace gives every org
-- member the launch role; credits are charged at the org's (default) rate
-- card; Studio settings, labels and edits are authz.update_workspace; the
-- participant limit is the org's max_participants.
--
-- Not modelled, so not tested: the UI steps (tabs, "Add Workspace", "Add
-- participant", "Edit labels" dialogs, the Launchpad filter), pipelines,
-- compute environments, credentials, actions and run monitoring as such
-- ("Create a shared pipeline", "Use shared pipelines from a private
-- workspace", "The shared compute environment will not be available..."),
-- "One Seqera Compute credit is equivalent to $1", regional storage and
-- network prices, "Contact us to upgrade", "Immediate update adoption", and
-- "Studios sessions created in shared workspaces are not shared across all the
-- workspaces in an organization" (Studio sessions are not modelled).
--
-- One transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(61);

-- An application role, neither superuser nor trusted, so that billing reads
-- apply their permission checks.
CREATE ROLE regress_seqera_app;

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
-- The effective role of a user in a workspace, as they see it.
CREATE FUNCTION pg_temp.role_of(h text, w uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in(w);
END
$$;
-- The org role of a user, as they see it.
CREATE FUNCTION pg_temp.org_role_of(h text, o uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.org_role(o);
END
$$;
-- A workspace of an org by name.
CREATE FUNCTION pg_temp.ws(o uuid, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.workspaces WHERE org_id = o AND name = n $$;

-- The cast. sofia founds org seqera-bio with alan as its admin and lena, mark,
-- olive, tom and pat as members, and creates the shared workspace legacy,
-- all before the preset. quinn and rita join the org later. carl and nina are
-- collaborators from outside the org; sofia has worked with them before, in
-- her organization neighbours, so she may add them to a workspace without an
-- invitation. Teams: bio (tom) and infra (pat).
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT authz.create_user(h, h || '@example.com')
  FROM unnest('{sofia,alan,lena,mark,olive,tom,pat,quinn,rita,carl,nina}'::text[]) h;
SELECT pg_temp.act_as('sofia');
SELECT authz.create_org('seqera-bio', 'Seqera Bio') AS org \gset
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('alan'), 'admin');
SELECT pg_temp.add_org_member(:'org', pg_temp.uid(h)) FROM unnest('{lena,mark,olive,tom,pat}'::text[]) h;
SELECT authz.create_workspace(:'org', 'legacy', 'shared') AS legacy \gset
SELECT authz.create_org('neighbours') AS neighbours \gset
SELECT pg_temp.add_org_member(:'neighbours', pg_temp.uid(h)) FROM unnest('{carl,nina}'::text[]) h;

-- ===========================================================================
-- apply_preset: who may apply it, which names it knows, what it installs
-- ===========================================================================
SELECT pg_temp.act_as('alan');
SELECT throws_ok(format($$SELECT authz.apply_preset(%L, 'seqera')$$, :'org'),
    '42501', 'only owners of organization "seqera-bio" may apply a preset',
    'apply_preset: refused to an org admin (only org owners may apply a preset)');
SELECT pg_temp.act_as('sofia');
SELECT throws_ok(format($$SELECT authz.apply_preset(%L, 'nextflow')$$, :'org'),
    '22023', 'invalid preset: "nextflow"',
    'apply_preset: an unknown preset name is refused');
SELECT lives_ok(format($$SELECT authz.apply_preset(%L, 'seqera')$$, :'org'),
    'apply_preset: the org owner applies the seqera preset');
SELECT results_eq(
    format($$SELECT r.name, r.rank, pg_temp.sorted(array_agg(rp.permission)) FROM authz.roles r
               JOIN authz.role_permissions rp ON rp.role_id = r.id
              WHERE r.org_id = %L GROUP BY r.name, r.rank ORDER BY r.rank DESC$$, :'org'),
    $$VALUES ('maintain'::text, 60, pg_temp.sorted('{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}')),
             ('launch', 30, pg_temp.sorted('{workspace.view,members.view,content.read,content.create,run.execute}')),
             ('connect', 20, pg_temp.sorted('{workspace.view,members.view,content.read,run.execute}')),
             ('view', 10, pg_temp.sorted('{workspace.view,members.view,content.read}'))$$,
    'Seqera participant roles: Maintain 60, Launch 30, Connect 20, View 10 beside the built-in Owner and Admin');
SELECT results_eq(
    format($$SELECT a.name, o.member_workspace_role, o.members_can_create_workspaces, s.name
               FROM authz.orgs o JOIN authz.roles a ON a.id = o.admin_workspace_role
               JOIN authz.roles s ON s.id = o.default_shared_role WHERE o.id = %L$$, :'org'),
    $$VALUES ('owner'::text, NULL::uuid, false, 'launch'::text)$$,
    'seqera settings: org owners/admins are owners everywhere, members hold no org-wide role, only owners/admins create workspaces, shared workspaces give launch');
SELECT is((SELECT r.name FROM authz.workspaces w JOIN authz.roles r ON r.id = w.shared_role WHERE w.id = :'legacy'),
    'launch',
    'seqera: a workspace shared before the preset now gives org members launch too');

-- ===========================================================================
-- Introduction
-- ===========================================================================
SELECT results_eq(
    $$SELECT count(*), bool_and(org_id IS NULL), min(name) FROM authz.workspaces WHERE personal_user_id = pg_temp.uid('carl')$$,
    $$VALUES (1::bigint, true, 'carl'::text)$$,
    'Seqera: "Each user has a unique user workspace" -> exactly one personal workspace, in no organization');
SELECT pg_temp.act_as('carl');
SELECT authz.personal_workspace() AS carl_ws \gset
SELECT results_eq(
    format($$SELECT pg_temp.role_of('carl', %1$L), pg_temp.check(pg_temp.uid('carl'), %1$L, 'content.create')$$, :'carl_ws'),
    $$VALUES ('owner'::text, true)$$,
    'Seqera: a user workspace "to manage resources such as pipelines" -> its user owns it and creates content there');

SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.create_workspace(%1$L, 'rnd'), authz.create_workspace(%1$L, 'ops')$$, :'org'),
    'Seqera: "You can also create multiple workspaces within an organization context"');
SELECT pg_temp.ws(:'org', 'rnd') AS rnd, pg_temp.ws(:'org', 'ops') AS ops \gset
SELECT authz.create_team(:'org', 'bio') AS bio \gset
SELECT authz.create_team(:'org', 'infra') AS infra \gset
SELECT authz.add_team_member(:'bio', pg_temp.uid('tom'));
SELECT authz.add_team_member(:'infra', pg_temp.uid('pat'));
SELECT lives_ok(format($$SELECT authz.add_team(%L, %L, 'maintain'), authz.add_team(%L, %L, 'launch')$$,
                       :'rnd', :'bio', :'ops', :'infra'),
    'Seqera: "associate each of these workspaces with dedicated teams of users" -> team bio in rnd, team infra in ops');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('tom', %1$L), pg_temp.role_of('tom', %2$L), pg_temp.role_of('pat', %1$L), pg_temp.role_of('pat', %2$L)$$,
           :'rnd', :'ops'),
    $$VALUES ('maintain'::text, NULL::text, NULL::text, 'launch'::text)$$,
    'Seqera: "dedicated teams of users" -> each team''s members hold its role in its workspace only');
SELECT results_eq(
    format($$SELECT pg_temp.held('tom', %L, '{content.update,run.execute}'), pg_temp.held('pat', %L, '{content.update,run.execute}')$$,
           :'rnd', :'ops'),
    $$VALUES ('{content.update,run.execute}'::text[], '{run.execute}'::text[])$$,
    'Seqera: "providing fine-grained access control for each of the teams" -> Maintain edits and launches, Launch only launches');

SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.add_member(%1$L, %2$L, 'maintain'), authz.add_member(%1$L, %3$L, 'launch'),
                                authz.add_member(%1$L, %4$L, 'view')$$,
                       :'rnd', pg_temp.uid('lena'), pg_temp.uid('carl'), pg_temp.uid('nina')),
    'Seqera: "fine-tune access levels for specific members, collaborators, or teams ... by managing participants"');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('lena', %1$L), pg_temp.role_of('carl', %1$L), pg_temp.role_of('nina', %1$L)$$, :'rnd'),
    $$VALUES ('maintain'::text, 'launch'::text, 'view'::text)$$,
    'Seqera: "fine-tune access levels" -> the member, and the two collaborators, hold the roles they were given');
SELECT results_eq(
    format($$SELECT pg_temp.held('lena', %1$L, '{content.update,members.manage}'), pg_temp.held('nina', %1$L, '{content.read,run.execute}')$$,
           :'rnd'),
    $$VALUES ('{content.update}'::text[], '{content.read}'::text[])$$,
    'Seqera roles: Maintain edits but does not manage participants; View reads but does not launch');
SELECT results_eq(
    format($$SELECT pg_temp.org_role_of('mark', %L), pg_temp.role_of('mark', %L), pg_temp.check(pg_temp.uid('mark'), %L, 'workspace.view')$$,
           :'org', :'rnd', :'rnd'),
    $$VALUES ('member'::text, NULL::text, false)$$,
    'Seqera: "Organizations consist of members, while workspaces consist of participants." -> an org member who is no participant has nothing in a private workspace');
SELECT results_eq(
    format($$SELECT pg_temp.org_role_of('carl', %L), pg_temp.role_of('carl', %L), pg_temp.role_of('carl', %L)$$, :'org', :'rnd', :'ops'),
    $$VALUES (NULL::text, 'launch'::text, NULL::text)$$,
    'Seqera: "a collaborator within that workspace only" -> not an org member, a role in rnd and none in ops');

SELECT pg_temp.act_as('sofia');
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('quinn'));
SELECT authz.update_org(:'org', '{"max_participants": 5}');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'view')$$, :'rnd', pg_temp.uid('quinn')),
    '23514', 'workspace "seqera-bio/rnd" has reached its limit of 5 participants',
    'Seqera: "Collaborators count toward the total number of workspace participants." -> owner, member, 2 collaborators and a team fill 5 seats');
SELECT authz.remove_member(:'rnd', pg_temp.uid('nina'));
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'view')$$, :'rnd', pg_temp.uid('quinn')),
    'Seqera: "Collaborators count toward the total" -> once a collaborator leaves, the seat is free for a member');
SELECT authz.update_org(:'org', '{"max_participants": null}');

-- ===========================================================================
-- Create a new workspace
-- ===========================================================================
SELECT pg_temp.act_as('alan');
SELECT lives_ok(format($$SELECT authz.create_workspace(%L, 'alan-ws')$$, :'org'),
    'Seqera: "Organization owners and admins can create a new workspace" -> an org admin creates one');
SELECT pg_temp.act_as('mark');
SELECT throws_ok(format($$SELECT authz.create_workspace(%L, 'mark-ws')$$, :'org'),
    '42501', 'permission denied: "org.workspaces.create" is required in organization "seqera-bio"',
    'Seqera: "Organization owners and admins can create a new workspace" -> a plain member cannot');
SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"full_name": "Research and Development", "description": "Pipelines in development"}')$$, :'rnd'),
    'Seqera: "As a workspace owner, you can modify optional workspace fields after workspace creation."');
SELECT results_eq(format('SELECT name, full_name, description FROM authz.workspaces WHERE id = %L', :'rnd'),
    $$VALUES ('rnd'::text, 'Research and Development'::text, 'Pipelines in development'::text)$$,
    'Seqera: "Enter the Name and Full name ... Optionally, add a Description" -> the workspace keeps all three');
SELECT lives_ok(format($$SELECT authz.create_workspace(%L, 'showcase', 'shared')$$, :'org'),
    'Seqera: "Under Visibility, select either Private or Shared." -> a shared workspace');
SELECT pg_temp.ws(:'org', 'showcase') AS showcase \gset
SELECT set_eq(
    format($$SELECT w.name, w.visibility, r.name AS shared_role FROM authz.workspaces w JOIN authz.roles r ON r.id = w.shared_role
              WHERE w.org_id = %L AND w.name IN ('rnd', 'showcase')$$, :'org'),
    $$VALUES ('rnd'::text, 'private'::text, 'launch'::text), ('showcase', 'shared', 'launch')$$,
    'Seqera: "Private or Shared" (private by default); "Create a shared workspace ... Visibility ... must be set to Shared"');
SELECT results_eq(
    format($$SELECT u.handle, pg_temp.check(u.id, %L, 'content.read') FROM authz.users u
              WHERE u.handle IN ('lena', 'carl', 'mark', 'pat') ORDER BY u.handle$$, :'rnd'),
    $$VALUES ('carl'::text, true), ('lena', true), ('mark', false), ('pat', false)$$,
    'Seqera: "Private visibility means that workspace pipelines are only accessible to workspace participants."');
SELECT pg_temp.act_as('carl');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'view')$$, :'carl_ws', pg_temp.uid('lena')),
    '22023', 'personal workspace "carl" has no participants',
    'Seqera: "Apart from the Participants tab, the organization workspace is similar to the user workspace." -> a user workspace has no participants');

-- ===========================================================================
-- Workspace settings: credits
-- ===========================================================================
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT authz.add_credits(:'rnd', '50', 'purchase');
SELECT is(authz.record_usage(:'rnd', 1, 0, 0)::text, '0.1',
    'Seqera: "CPU time: 1 CPU/Hr = 0.1 credits"');
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT is(authz.record_usage(:'rnd', 0, 1, 0)::text, '0.025',
    'Seqera: "Memory: 1 GiB/Hr = 0.025 credits"');
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT is(authz.record_usage(:'rnd', 0, 0, 1)::text, '0.025',
    'Seqera: "Storage: 1 GB = 0.025 credits per month"');
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT is(authz.record_usage(:'rnd', 100, 400, 20)::text, '20.5',
    'Seqera: "Credits are consumed for CPU time, memory and storage usage" -> 100 CPU-h + 400 GiB-h + 20 GB-months = 20.5');
SELECT pg_temp.act_as('sofia');
SET ROLE regress_seqera_app;
SELECT is(authz.balance(:'rnd')::text, '29.35',
    'Seqera: "Your available credit balance depends on the credits purchased" -> 50 purchased - 20.65 consumed');
SELECT set_eq(
    format($$SELECT workspace, balance::text, usage::text FROM authz.org_credit_summary(%L)
              WHERE workspace IN ('rnd', '(organization total)')$$, :'org'),
    $$VALUES ('rnd'::text, '29.35'::text, '20.65'::text), ('(organization total)', '29.35', '20.65')$$,
    'Seqera: "The Credits view contains the current credit balance available to the organization, and the credits spent in the workspace."');
RESET ROLE;

-- An organization that had its own prices before it adopted the preset.
SELECT pg_temp.act_as('sofia');
SELECT authz.create_org('seqera-old') AS old_org \gset
SELECT pg_temp.act_as(NULL);
SELECT authz.set_rate_card(:'old_org', '0.5', '0.1', '0.1');
SELECT pg_temp.act_as('sofia');
SELECT authz.apply_preset(:'old_org', 'seqera');
SELECT authz.create_workspace(:'old_org', 'w') AS old_ws \gset
SELECT pg_temp.act_as(NULL);   -- the platform meters usage (no user asserted)
SELECT results_eq(
    format($$SELECT authz.record_usage(%1$L, 1, 0, 0)::text, authz.record_usage(%1$L, 0, 1, 0)::text,
                    authz.record_usage(%1$L, 0, 0, 1)::text$$, :'old_ws'),
    $$VALUES ('0.1'::text, '0.025'::text, '0.025'::text)$$,
    'Seqera: "resources are charged at the following rates" -> also in an org that had other prices before the preset');

-- ===========================================================================
-- Workspace settings: Studios, labels, edit, delete
-- ===========================================================================
SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"session_lifespan_hours": 1}')$$, :'rnd'),
    'Seqera: "a predefined lifespan (between 1 and 120 hours)" -> 1 hour is accepted');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"session_lifespan_hours": 120}')$$, :'rnd'),
    'Seqera: "a predefined lifespan (between 1 and 120 hours)" -> 120 hours is accepted');
SELECT is((SELECT session_lifespan_hours FROM authz.workspaces WHERE id = :'rnd'), 120,
    'Seqera: "after which all Studio sessions in the workspace are automatically stopped" -> the lifespan is stored');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"session_lifespan_hours": 0}')$$, :'rnd'),
    '22023', 'setting "session_lifespan_hours" must be a whole number from 1 to 120, not 0',
    'Seqera: "between 1 and 120 hours" -> 0 is refused');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"session_lifespan_hours": 121}')$$, :'rnd'),
    '22023', 'setting "session_lifespan_hours" must be a whole number from 1 to 120, not 121',
    'Seqera: "between 1 and 120 hours" -> 121 is refused');
SELECT authz.update_workspace(:'rnd', '{"session_lifespan_hours": null}');
SELECT is((SELECT session_lifespan_hours FROM authz.workspaces WHERE id = :'rnd'), NULL::integer,
    'Seqera: "To keep all workspace Studios running indefinitely, select Always keep the session running." -> null lifespan');
SELECT authz.update_workspace(:'rnd', '{"labels": ["team=rnd", "env:dev", "team=rnd"]}');
SELECT is((SELECT labels FROM authz.workspaces WHERE id = :'rnd'), '{env:dev,team=rnd}'::text[],
    'Seqera: "Select Edit labels to manage the workspace labels" -> labels stored, sorted and distinct');

SELECT pg_temp.add_member(:'ops', pg_temp.uid('olive'), 'owner');
SELECT pg_temp.act_as('olive');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"name": "operations"}')$$, :'ops'),
    'Seqera: "Workspace owners can edit their workspace name from the workspace Settings tab."');
SELECT pg_temp.act_as('lena');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"name": "lena-rnd"}')$$, :'rnd'),
    '42501', 'permission denied: "workspace.update" is required in workspace "seqera-bio/rnd"',
    'Seqera: "Workspace owners can edit their workspace name" -> a Maintain participant cannot');
SELECT pg_temp.act_as('olive');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L,
    '{"name": "ops-2", "full_name": "Operations", "description": "Production runs", "visibility": "shared"}')$$, :'ops'),
    'Seqera: "Select Edit workspace to update the workspace name, full name, description, and sharing."');
SELECT results_eq(format('SELECT name, full_name, description, visibility FROM authz.workspaces WHERE id = %L', :'ops'),
    $$VALUES ('ops-2'::text, 'Operations'::text, 'Production runs'::text, 'shared'::text)$$,
    'Seqera: "update the workspace name, full name, description, and sharing" -> all four changed');

SELECT pg_temp.act_as('sofia');
SELECT authz.create_workspace(:'org', 'tmp') AS tmp \gset
SELECT pg_temp.add_member(:'tmp', pg_temp.uid('lena'), 'maintain');
SELECT lives_ok(format($$SELECT authz.delete_workspace(%L)$$, :'tmp'),
    'Seqera: "Select Delete workspace to delete the workspace and its associated resources."');
SELECT results_eq(
    format($$SELECT (SELECT count(*) FROM authz.workspaces WHERE id = %1$L), (SELECT count(*) FROM authz.participants WHERE workspace_id = %1$L),
                    pg_temp.check(pg_temp.uid('lena'), %1$L, 'workspace.view')$$, :'tmp'),
    $$VALUES (0::bigint, 0::bigint, false)$$,
    'Seqera: "This action cannot be reversed." -> the workspace and its participants are gone');

-- ===========================================================================
-- Add a new participant
-- ===========================================================================
SELECT set_eq(
    format($$SELECT coalesce(u.handle, t.name),
                    CASE WHEN p.team_id IS NOT NULL THEN 'team'
                         WHEN EXISTS (SELECT 1 FROM authz.org_members m WHERE m.org_id = %1$L AND m.user_id = p.user_id)
                         THEN 'organization member' ELSE 'collaborator' END
               FROM authz.participants p LEFT JOIN authz.users u ON u.id = p.user_id LEFT JOIN authz.teams t ON t.id = p.team_id
              WHERE p.workspace_id = %2$L AND coalesce(u.handle, '') <> 'sofia'$$, :'org', :'rnd'),
    $$VALUES ('lena'::text, 'organization member'::text), ('quinn', 'organization member'), ('carl', 'collaborator'), ('bio', 'team')$$,
    'Seqera: "A new workspace participant can be an existing organization member, team, or collaborator."');
SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.set_role(%L, %L, 'connect')$$, :'rnd', pg_temp.uid('carl')),
    'Seqera: "Optionally, update the participant role."');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('carl', %1$L), pg_temp.held('carl', %1$L, '{content.create,run.execute}')$$, :'rnd'),
    $$VALUES ('connect'::text, '{run.execute}'::text[])$$,
    'Seqera: "update the participant role" -> the collaborator now holds Connect: runs, creates nothing');

-- ===========================================================================
-- Shared workspaces
-- ===========================================================================
SELECT results_eq(
    format($$SELECT u.handle, pg_temp.role_of(u.handle, %L) FROM authz.users u
              WHERE u.handle IN ('mark', 'lena', 'tom', 'pat') ORDER BY u.handle$$, :'showcase'),
    $$VALUES ('lena'::text, 'launch'::text), ('mark', 'launch'), ('pat', 'launch'), ('tom', 'launch')$$,
    'Seqera: "A shared workspace enables the creation of pipelines in a centralized location, making them accessible to all members of an organization."');
SELECT is(pg_temp.held('mark', :'showcase', '{content.read,run.execute}'), '{content.read,run.execute}'::text[],
    'Seqera: shared pipelines are "available to users in other organization workspaces to launch" -> a member reads and launches');
SELECT is(pg_temp.role_of('mark', :'legacy'), 'launch',
    'Seqera: "accessible to all members of an organization" -> also in the workspace shared before the preset');
SELECT results_eq(
    format($$SELECT pg_temp.role_of('carl', %1$L), pg_temp.check(pg_temp.uid('carl'), %1$L, 'run.execute')$$, :'showcase'),
    $$VALUES (NULL::text, false)$$,
    'Seqera: shared with "all members of an organization" -> a collaborator, who is no member, is not given the shared workspace');
SELECT pg_temp.act_as('sofia');
SELECT pg_temp.add_org_member(:'org', pg_temp.uid('rita'));
SELECT results_eq(
    format($$SELECT pg_temp.role_of('rita', %L), pg_temp.role_of('mark', %L)$$, :'showcase', :'ops'),
    $$VALUES ('launch'::text, 'launch'::text)$$,
    'Seqera: "Define once and share everywhere: ... automatically share them across the organization" -> a new member, and a workspace made shared later');
SELECT results_eq(
    format($$SELECT pg_temp.held('alan', %1$L, '{content.update}'), pg_temp.held('alan', %2$L, '{content.update}'),
                    pg_temp.role_of('sofia', %3$L), pg_temp.held('mark', %1$L, '{content.update}')$$,
           :'showcase', :'rnd', pg_temp.ws(:'org', 'alan-ws')),
    $$VALUES ('{content.update}'::text[], '{content.update}'::text[], 'owner'::text, '{}'::text[])$$,
    'Seqera: "Organization administrators can ensure the correct pipeline configuration is used in all areas" -> org admins/owners edit everywhere, members do not edit shared pipelines');
SELECT pg_temp.act_as('mark');
SELECT set_eq(
    format($$SELECT w.name FROM authz.workspaces('content.read') x JOIN authz.workspaces w ON w.id = x WHERE w.org_id = %L$$, :'org'),
    $$VALUES ('legacy'::text), ('showcase'), ('ops-2')$$,
    'Seqera: "Pipelines from all shared workspaces are visible" -> a member reads every shared workspace and no private one');

-- ===========================================================================
-- apply_preset again: nothing changes
-- ===========================================================================
CREATE TEMP TABLE before_roles AS
    SELECT r.id, r.name, r.rank, pg_temp.sorted(array_agg(rp.permission)) AS perms
      FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
     WHERE r.org_id = :'org' GROUP BY r.id, r.name, r.rank;
CREATE TEMP TABLE before_settings AS
    SELECT o.members_can_create_workspaces, o.admin_workspace_role, o.member_workspace_role, o.default_shared_role,
           o.default_join_role, o.max_participants, o.allow_collaborators, w.name, w.visibility, w.shared_role, w.join_role
      FROM authz.orgs o JOIN authz.workspaces w ON w.org_id = o.id WHERE o.id = :'org';
CREATE TEMP TABLE before_access AS
    SELECT u.handle, w.name, pg_temp.role_of(u.handle, w.id) AS role
      FROM authz.users u CROSS JOIN authz.workspaces w WHERE w.org_id = :'org';
SELECT pg_temp.act_as('sofia');
SELECT lives_ok(format($$SELECT authz.apply_preset(%L, 'seqera')$$, :'org'),
    'apply_preset: applying seqera a second time succeeds');
SELECT set_eq(
    format($$SELECT r.id, r.name, r.rank, pg_temp.sorted(array_agg(rp.permission))
               FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
              WHERE r.org_id = %L GROUP BY r.id, r.name, r.rank$$, :'org'),
    'SELECT * FROM before_roles',
    'apply_preset is idempotent: the same custom roles (same ids), ranks and permissions');
SELECT set_eq(
    format($$SELECT o.members_can_create_workspaces, o.admin_workspace_role, o.member_workspace_role, o.default_shared_role,
                    o.default_join_role, o.max_participants, o.allow_collaborators, w.name, w.visibility, w.shared_role, w.join_role
               FROM authz.orgs o JOIN authz.workspaces w ON w.org_id = o.id WHERE o.id = %L$$, :'org'),
    'SELECT * FROM before_settings',
    'apply_preset is idempotent: the same org and workspace settings');
SELECT set_eq(
    format($$SELECT u.handle, w.name, pg_temp.role_of(u.handle, w.id)
               FROM authz.users u CROSS JOIN authz.workspaces w WHERE w.org_id = %L$$, :'org'),
    'SELECT * FROM before_access',
    'apply_preset is idempotent: every user keeps the same role in every workspace');

SELECT * FROM finish();
ROLLBACK;
