-- Custom workspace roles of an organization: authz.create_role, update_role
-- and drop_role, their refusals (rights, rank limits, names, permissions,
-- roles still in use), and the roles at work wherever a role name is taken
-- (participants, teams, org-wide roles, projects), with their rank in the
-- precedence of roles and their permissions seen by every holder at once.
-- One transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(107);

-- An application role: neither superuser nor trusted, so refusals name
-- only what its user may see, and RLS applies to it.
CREATE ROLE regress_cr_app;

-- Fixture lookups (as the superuser, past RLS).
-- authz.check for the platform: the asserted user is set aside for the call
-- (a trusted role answers about other users only while it asserts no user).
CREATE FUNCTION pg_temp.check(u uuid, w uuid, p text) RETURNS boolean LANGUAGE sql STABLE
    SET workspace_authz.user_id = ''
    AS $$ SELECT authz.check(u, w, p) $$;
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.org(s text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.orgs WHERE slug = s $$;
CREATE FUNCTION pg_temp.ws(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.orgs o ON o.id = w.org_id
           WHERE o.slug = s AND w.name = n $$;
CREATE FUNCTION pg_temp.project(s text, n text, p text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.projects WHERE workspace_id = pg_temp.ws(s, n) AND name = p $$;
CREATE FUNCTION pg_temp.team(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.teams WHERE org_id = pg_temp.org(s) AND name = n $$;
-- Act as a user (NULL: no identity).
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
-- A permission list in one canonical order, to compare lists as sets.
CREATE FUNCTION pg_temp.sorted(a text[]) RETURNS text[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT coalesce(array_agg(DISTINCT x COLLATE "C" ORDER BY x COLLATE "C"), '{}') FROM unnest(a) x $$;
-- The workspace permissions (materialised, so no check ever sees an org permission).
CREATE FUNCTION pg_temp.ws_permissions() RETURNS TABLE (name text) LANGUAGE sql STABLE
    AS $$ SELECT p.name FROM authz.permissions p WHERE p.scope = 'workspace' OFFSET 0 $$;
-- Every workspace permission a user holds in a workspace, as authz.check answers.
CREATE FUNCTION pg_temp.perms(h text, s text, n text) RETURNS text[] LANGUAGE sql STABLE
    SET workspace_authz.user_id = ''
    AS $$ SELECT pg_temp.sorted(array_agg(p.name)) FROM pg_temp.ws_permissions() p
           WHERE pg_temp.check(pg_temp.uid(h), pg_temp.ws(s, n), p.name) $$;
-- Every workspace permission a user holds in a project, as authz.can_project answers to them.
CREATE FUNCTION pg_temp.project_perms(h text, prj uuid) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN (SELECT pg_temp.sorted(array_agg(p.name)) FROM pg_temp.ws_permissions() p
             WHERE authz.can_project(prj, p.name));
END
$$;
-- The permissions a role of an org holds.
CREATE FUNCTION pg_temp.role_perms(s text, r text) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT pg_temp.sorted(array_agg(rp.permission)) FROM authz.role_permissions rp
            JOIN authz.roles x ON x.id = rp.role_id WHERE x.org_id = pg_temp.org(s) AND x.name = r $$;
-- The effective role of a user in a workspace, as they see it.
CREATE FUNCTION pg_temp.role_of(h text, s text, n text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in(pg_temp.ws(s, n));
END
$$;
-- Run a call as a user: 'ok', or 'SQLSTATE message | detail'.
CREATE FUNCTION pg_temp.outcome(actor text, call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
    det text;
BEGIN
    PERFORM pg_temp.act_as(actor);
    BEGIN
        EXECUTE call;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
        RETURN st || ' ' || msg || coalesce(' | ' || nullif(det, ''), '');
    END;
    RETURN 'ok';
END
$$;

-- The cast. olivia owns org acme, adam is its admin, gus a guest, the others
-- members; otto belongs to no organization. bea owns org beta, where ursula
-- is a member too. Team crew (tess) of acme; project p1 in acme/lab.
DO $$
DECLARE
    h text;
BEGIN
    FOREACH h IN ARRAY '{olivia,adam,mia,gus,otto,ursula,tess,vic,wes,bea,nina}'::text[] LOOP
        PERFORM pg_temp.act_as(NULL);   -- the platform's call: no user asserted
        PERFORM authz.create_user(h, h || '@example.com');
    END LOOP;
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_org('acme');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('adam'), 'admin');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('gus'), 'guest');
    FOREACH h IN ARRAY '{mia,ursula,tess,vic,wes,nina}'::text[] LOOP
        PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid(h), 'member');
    END LOOP;
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab2');
    PERFORM authz.create_team(pg_temp.org('acme'), 'crew');
    PERFORM authz.add_team_member(pg_temp.team('acme', 'crew'), pg_temp.uid('tess'));
    PERFORM authz.create_project(pg_temp.ws('acme', 'lab'), 'p1');
    PERFORM pg_temp.act_as('bea');
    PERFORM authz.create_org('beta');
    PERFORM authz.create_workspace(pg_temp.org('beta'), 'bws');
    PERFORM pg_temp.add_org_member(pg_temp.org('beta'), pg_temp.uid('ursula'), 'member');
    PERFORM pg_temp.act_as(NULL);
END
$$;

-- ===========================================================================
-- create_role: success
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT ok(authz.create_role(pg_temp.org('acme'), 'analyst', 60,
              '{workspace.view,members.view,content.read,content.update,billing.view,run.execute}',
              'Reads and edits content, sees billing') IS NOT NULL,
    'create_role: the org owner defines a role and gets its id');
SELECT results_eq(
    $$SELECT org_id = pg_temp.org('acme'), name, rank, description FROM authz.roles WHERE name = 'analyst'$$,
    $$VALUES (true, 'analyst'::text, 60, 'Reads and edits content, sees billing'::text)$$,
    'create_role: the role belongs to the org, with its rank and description');
SELECT is(pg_temp.role_perms('acme', 'analyst'),
    pg_temp.sorted('{workspace.view,members.view,content.read,content.update,billing.view,run.execute}'),
    'create_role: the role holds exactly the listed permissions');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'chief', 99, '{workspace.view,members.view,members.manage}')$$,
                       pg_temp.org('acme')),
    'create_role: the org owner may use rank 99');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'lead', 90,
                         '{workspace.view,members.view,members.manage,content.read}')$$, pg_temp.org('acme')),
    'create_role: the org owner defines a role ranked above admin (90)');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'placeholder', 5, '{}')$$, pg_temp.org('acme')),
    'create_role: an empty permission list is allowed');
SELECT is(pg_temp.role_perms('acme', 'placeholder'), '{}'::text[],
    'create_role: a role defined with no permissions holds none');
SELECT pg_temp.act_as('adam');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'helper', 80, '{workspace.view,content.read}')$$,
                       pg_temp.org('acme')),
    'create_role: an org admin may define a role up to the rank of the admin workspace role (80)');
SELECT pg_temp.act_as('bea');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'analyst', 20, '{workspace.view,content.read}')$$,
                       pg_temp.org('beta')),
    'create_role: another org may define a role of the same name');

-- ===========================================================================
-- create_role: refusals
-- ===========================================================================
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.roles.manage" is required in organization "acme"',
    'create_role: refused to an org member (no org.roles.manage)');
SELECT pg_temp.act_as('gus');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.roles.manage" is required in organization "acme"',
    'create_role: refused to an org guest');
SELECT pg_temp.org('acme') AS acme_id \gset
SELECT pg_temp.act_as('otto');
SET ROLE regress_cr_app;
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read}')$$, :'acme_id'),
    '42704', format('organization "%s" not found or not allowed', :'acme_id'),
    'create_role: refused to a user outside the org, whose error does not name the org (as for an unknown one)');
RESET ROLE;
SELECT pg_temp.act_as(NULL);
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'no authz user is set for this session',
    'create_role: refused without an identity');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 0, '{content.read}')$$, pg_temp.org('acme')),
    '22023', 'rank 0 of role "x" is out of range',
    'create_role: rank 0 is refused with 22023');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 100, '{content.read}')$$, pg_temp.org('acme')),
    '22023', 'rank 100 of role "x" is out of range',
    'create_role: rank 100 (owner''s) is refused with 22023, even to the org owner');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', NULL, '{content.read}')$$, pg_temp.org('acme')),
    '22004', 'rank must not be NULL',
    'create_role: a NULL rank is refused with 22004');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'Analyst2', 10, '{content.read}')$$, pg_temp.org('acme')),
    '22023', 'invalid role name: "Analyst2"',
    'create_role: a name with capitals is refused with 22023');
SELECT throws_ok(format($$SELECT authz.create_role(%L, '2nd_line', 10, '{content.read}')$$, pg_temp.org('acme')),
    '22023', 'invalid role name: "2nd_line"',
    'create_role: a name not starting with a letter is refused with 22023');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'owner', 10, '{content.read}')$$, pg_temp.org('acme')),
    '23505', 'role "owner" already exists in organization "acme"',
    'create_role: the name of a built-in role is refused with 23505');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'analyst', 10, '{content.read}')$$, pg_temp.org('acme')),
    '23505', 'role "analyst" already exists in organization "acme"',
    'create_role: the name of an existing role of the org is refused with 23505');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read,content.fly}')$$, pg_temp.org('acme')),
    '42704', 'permission "content.fly" does not exist',
    'create_role: an unknown permission is refused with 42704');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, '{content.read,org.update}')$$, pg_temp.org('acme')),
    '22023', 'permission "org.update" is an org permission, not a workspace permission',
    'create_role: an org permission is refused with 22023');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 10, NULL)$$, pg_temp.org('acme')),
    '22004', 'permissions must not be NULL',
    'create_role: a NULL permission list is refused with 22004');
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 81, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'cannot give role "x" rank 81, above your own rank (80) in organization "acme"',
    'create_role: an org admin may not define a role ranked above 80');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 99, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'cannot give role "x" rank 99, above your own rank (80) in organization "acme"',
    'create_role: an org admin may not use rank 99 either');
-- The admin's limit follows the org's admin workspace role.
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "member"}');
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'x', 41, '{content.read}')$$, pg_temp.org('acme')),
    '42501', 'cannot give role "x" rank 41, above your own rank (40) in organization "acme"',
    'create_role: with admin_workspace_role = member, an org admin is limited to rank 40');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "admin"}');
SELECT is((SELECT count(*)::int FROM authz.roles WHERE org_id = pg_temp.org('acme')), 5,
    'create_role: no refused call left a role behind');

-- ===========================================================================
-- The permissions a custom role may hold
-- ===========================================================================
-- workspace.delete belongs to the owner role alone: an admin must not define
-- a role with it, give it to themself org-wide and delete a workspace.
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'wrecker', 80, '{workspace.view,workspace.delete}')$$,
                        pg_temp.org('acme')),
    '22023', 'role "wrecker" cannot hold permission "workspace.delete", which belongs to the owner role alone',
    'create_role: an org admin may not define a role holding workspace.delete (22023)');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'wrecker', 90, '{workspace.view,workspace.delete}')$$,
                        pg_temp.org('acme')),
    '22023', 'role "wrecker" cannot hold permission "workspace.delete", which belongs to the owner role alone',
    'create_role: nor may the org owner (22023)');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'lead', permissions => '{workspace.view,workspace.delete}')$$,
                        pg_temp.org('acme')),
    '22023', 'role "lead" cannot hold permission "workspace.delete", which belongs to the owner role alone',
    'update_role: workspace.delete cannot be added to a custom role (22023)');
-- Beyond that, what the roles an admin may assign hold: with
-- admin_workspace_role = member, an org admin assigns member and viewer.
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "member"}');
SELECT authz.create_role(pg_temp.org('acme'), 'auditor', 20, '{workspace.view,content.read,billing.view,billing.manage}');
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.create_role(%L, 'clerk', 30, '{workspace.view,members.manage,workspace.update}')$$,
                        pg_temp.org('acme')),
    '42501', 'cannot give role "clerk" permissions "members.manage", "workspace.update", which no role you may assign holds in organization "acme"',
    'create_role: an org admin may not give a role permissions no role they may assign holds (42501)');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'cashier', 10, '{workspace.view,billing.manage}')$$, pg_temp.org('acme')),
    'create_role: a permission of a custom role the admin may assign (auditor, 20) may be handed out again');
SELECT lives_ok(format($$SELECT authz.create_role(%L, 'clerk', 30, '{workspace.view,content.read,content.create,run.execute}')$$,
                       pg_temp.org('acme')),
    'create_role: an org admin may combine permissions of the roles they may assign');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'clerk', permissions => '{workspace.view,content.read,members.manage}')$$,
                        pg_temp.org('acme')),
    '42501', 'cannot give role "clerk" permission "members.manage", which no role you may assign holds in organization "acme"',
    'update_role: an org admin may not add such a permission either (42501)');
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'auditor', permissions => '{workspace.view,billing.view,billing.manage}')$$,
                       pg_temp.org('acme')),
    'update_role: an org admin may take permissions away, keeping ones the role already held');
SELECT results_eq(
    $$VALUES (pg_temp.role_perms('acme', 'clerk')), (pg_temp.role_perms('acme', 'auditor'))$$,
    $$VALUES (pg_temp.sorted('{workspace.view,content.read,content.create,run.execute}')),
             (pg_temp.sorted('{workspace.view,billing.view,billing.manage}'))$$,
    'custom roles: the refused calls gave no role a permission');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "admin"}');
SELECT authz.drop_role(pg_temp.org('acme'), r) FROM unnest('{auditor,clerk,cashier}'::text[]) r;

-- ===========================================================================
-- The role at work: participants, teams, org-wide roles, projects
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'analyst')$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('ursula')),
    'add_member: a custom role of the org is usable as a participant role');
SELECT is(pg_temp.perms('ursula', 'acme', 'lab'),
    pg_temp.sorted('{workspace.view,members.view,content.read,content.update,billing.view,run.execute}'),
    'a participant with a custom role holds exactly its permissions');
SELECT is(pg_temp.role_of('ursula', 'acme', 'lab'), 'analyst',
    'role_in names the custom role');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.add_team(%L, %L, 'analyst')$$, pg_temp.ws('acme', 'lab'), pg_temp.team('acme', 'crew')),
    'add_team: a custom role is usable as a team''s role');
SELECT is(pg_temp.perms('tess', 'acme', 'lab'), pg_temp.role_perms('acme', 'analyst'),
    'a member of a team holding a custom role holds exactly its permissions');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.set_org_workspace_role(%L, %L, 'analyst')$$, pg_temp.org('acme'), pg_temp.uid('vic')),
    'set_org_workspace_role: a custom role is usable as an org-wide role');
SELECT is(pg_temp.perms('vic', 'acme', 'lab2'), pg_temp.role_perms('acme', 'analyst'),
    'an org-wide custom role gives exactly its permissions in a workspace the member does not participate in');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'analyst')$$,
                       pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('gus')),
    'add_project_member: a custom role is usable as a project role');
SELECT is(pg_temp.project_perms('gus', pg_temp.project('acme', 'lab', 'p1')), pg_temp.role_perms('acme', 'analyst'),
    'a project member with a custom role holds exactly its permissions in the project');
SELECT is(pg_temp.perms('gus', 'acme', 'lab'), '{}'::text[],
    'a project role gives nothing in the workspace itself');

-- Precedence: the custom role (60) against member (40) and admin (80).
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('vic'), 'member');
SELECT is(pg_temp.role_of('vic', 'acme', 'lab'), 'analyst',
    'precedence: an org-wide custom role of rank 60 beats a member participation (40)');
SELECT is(pg_temp.perms('vic', 'acme', 'lab'),
    pg_temp.sorted(pg_temp.role_perms('acme', 'analyst') || '{content.create,content.delete,content.share}'::text[]),
    'precedence: the permissions are the union of member and the custom role');
SELECT pg_temp.act_as('olivia');
SELECT authz.set_role(pg_temp.ws('acme', 'lab'), pg_temp.uid('vic'), 'admin');
SELECT is(pg_temp.role_of('vic', 'acme', 'lab'), 'admin',
    'precedence: admin (80) beats the custom role (60)');
SELECT pg_temp.act_as('olivia');
SELECT authz.set_role(pg_temp.ws('acme', 'lab'), pg_temp.uid('vic'), 'member');

-- ===========================================================================
-- Rank rules: an org admin (80) and a custom role ranked 90
-- ===========================================================================
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'lead')$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('wes')),
    '42501', 'cannot assign role "lead" (rank 90) above your own rank (80) in workspace "acme/lab"',
    'rank rules: an admin may not make someone a participant with a custom role ranked 90');
SELECT throws_ok(format($$SELECT authz.add_team(%L, %L, 'lead')$$, pg_temp.ws('acme', 'lab2'), pg_temp.team('acme', 'crew')),
    '42501', 'cannot assign role "lead" (rank 90) above your own rank (80) in workspace "acme/lab2"',
    'rank rules: an admin may not give a team a custom role ranked 90');
SELECT throws_ok(format($$SELECT authz.set_org_workspace_role(%L, %L, 'lead')$$, pg_temp.org('acme'), pg_temp.uid('mia')),
    '42501', 'cannot assign org-wide workspace role "lead" (rank 90) above your limit (80) in organization "acme"',
    'rank rules: an org admin may not give an org-wide custom role ranked 90');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'lead')$$,
                        pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('mia')),
    '42501', 'cannot assign role "lead" (rank 90) above your own rank (80) in workspace "acme/lab"',
    'rank rules: an admin may not give a project role ranked 90');
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('wes'), 'lead');
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.set_role(%L, %L, 'viewer')$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('wes')),
    '42501', 'cannot change user "wes" (rank 90) who ranks above you (80) in workspace "acme/lab"',
    'rank rules: an admin may not change the role of someone holding a custom role ranked 90');
SELECT throws_ok(format($$SELECT authz.remove_member(%L, %L)$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('wes')),
    '42501', 'cannot change user "wes" (rank 90) who ranks above you (80) in workspace "acme/lab"',
    'rank rules: an admin may not remove someone holding a custom role ranked 90');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'lead', permissions => '{workspace.view}')$$, pg_temp.org('acme')),
    '42501', 'cannot give role "lead" rank 90, above your own rank (80) in organization "acme"',
    'update_role: an org admin may not change a role ranked above 80');
SELECT throws_ok(format($$SELECT authz.drop_role(%L, 'lead')$$, pg_temp.org('acme')),
    '42501', 'cannot give role "lead" rank 90, above your own rank (80) in organization "acme"',
    'drop_role: an org admin may not drop a role ranked above 80');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', rank => 85)$$, pg_temp.org('acme')),
    '42501', 'cannot give role "analyst" rank 85, above your own rank (80) in organization "acme"',
    'update_role: an org admin may not lift a role above 80');
SELECT is(pg_temp.role_of('wes', 'acme', 'lab'), 'lead',
    'rank rules: the refused calls changed nothing');

-- ===========================================================================
-- update_role
-- ===========================================================================
SELECT results_eq(
    $$SELECT pg_temp.check(pg_temp.uid(h), pg_temp.ws('acme', w), 'content.delete') FROM (VALUES
        (1, 'ursula', 'lab'), (2, 'tess', 'lab'), (3, 'vic', 'lab2')) v(n, h, w) ORDER BY n$$,
    $$VALUES (false), (false), (false)$$,
    'update_role: before the change, the holders lack content.delete');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'analyst',
        permissions => '{workspace.view,members.view,content.read,content.update,content.delete,billing.view,run.execute}')$$,
        pg_temp.org('acme')),
    'update_role: the org owner replaces the permissions of a custom role');
SELECT results_eq(
    $$SELECT pg_temp.check(pg_temp.uid(h), pg_temp.ws('acme', w), 'content.delete') FROM (VALUES
        (1, 'ursula', 'lab'), (2, 'tess', 'lab'), (3, 'vic', 'lab2')) v(n, h, w) ORDER BY n$$,
    $$VALUES (true), (true), (true)$$,
    'update_role: participant, team and org-wide holders hold the new permission at once');
SELECT is(pg_temp.project_perms('gus', pg_temp.project('acme', 'lab', 'p1')), pg_temp.role_perms('acme', 'analyst'),
    'update_role: a project holder holds the new permissions at once');
-- The same permissions again, in another order: nothing changes, nothing is audited.
SELECT pg_temp.act_as('olivia');
SELECT count(*) AS audit_rows FROM authz.audit_log \gset
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'analyst',
        permissions => '{run.execute,billing.view,content.delete,content.update,content.read,members.view,workspace.view}')$$,
        pg_temp.org('acme')),
    'update_role: the owner passes a custom role''s permissions unchanged');
SELECT is((SELECT count(*) FROM authz.audit_log), :'audit_rows'::bigint,
    'update_role: the same permissions again write no audit row');
SELECT authz.update_role(pg_temp.org('acme'), 'analyst',
    permissions => '{workspace.view,members.view,content.read,content.update,billing.view,run.execute}');
SELECT results_eq(
    format($$SELECT action, before ->> 'permission', after ->> 'permission' FROM authz.audit_log WHERE id > %s ORDER BY id$$,
           :'audit_rows'),
    $$VALUES ('role_permissions.delete'::text, 'content.delete'::text, NULL::text)$$,
    'update_role: taking one permission away writes one audit row, for that permission only');
SELECT authz.update_role(pg_temp.org('acme'), 'analyst',
    permissions => '{workspace.view,members.view,content.read,content.update,content.delete,billing.view,run.execute}');
SELECT pg_temp.act_as('adam');
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'analyst', rank => 30, description => 'Junior analysts')$$,
                       pg_temp.org('acme')),
    'update_role: an org admin lowers the rank of a role ranked within their limit');
SELECT results_eq($$SELECT rank, description FROM authz.roles WHERE name = 'analyst' AND org_id = pg_temp.org('acme')$$,
    $$VALUES (30, 'Junior analysts'::text)$$,
    'update_role: rank and description changed');
SELECT is(pg_temp.role_of('vic', 'acme', 'lab'), 'member',
    'update_role: once ranked 30, the custom role loses to member (40) at once');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_role(pg_temp.org('acme'), 'analyst', rank => 60);
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'admin', rank => 50)$$, pg_temp.org('acme')),
    '42501', 'built-in role "admin" cannot be changed',
    'update_role: a built-in role cannot be changed');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', new_name => 'viewer')$$, pg_temp.org('acme')),
    '23505', 'role "viewer" already exists in organization "acme"',
    'update_role: renaming to a built-in name is refused with 23505');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', new_name => 'lead')$$, pg_temp.org('acme')),
    '23505', 'role "lead" already exists in organization "acme"',
    'update_role: renaming to the name of another role of the org is refused with 23505');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', new_name => 'Data-Analyst')$$, pg_temp.org('acme')),
    '22023', 'invalid role name: "Data-Analyst"',
    'update_role: a malformed new name is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', rank => 100)$$, pg_temp.org('acme')),
    '22023', 'rank 100 of role "analyst" is out of range',
    'update_role: rank 100 is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', permissions => '{org.view}')$$, pg_temp.org('acme')),
    '22023', 'permission "org.view" is an org permission, not a workspace permission',
    'update_role: an org permission is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'ghost', rank => 10)$$, pg_temp.org('acme')),
    '42704', 'role "ghost" not found or not allowed',
    'update_role: an unknown role is refused with 42704');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', rank => 10)$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.roles.manage" is required in organization "acme"',
    'update_role: refused to an org member');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.update_role(%L, 'analyst', new_name => 'data_analyst')$$, pg_temp.org('acme')),
    'update_role: a custom role is renamed');
SELECT results_eq(
    $$SELECT pg_temp.role_of(h, 'acme', w) FROM (VALUES (1, 'ursula', 'lab'), (2, 'tess', 'lab'), (3, 'vic', 'lab2')) v(n, h, w)
       ORDER BY n$$,
    $$VALUES ('data_analyst'::text), ('data_analyst'), ('data_analyst')$$,
    'update_role: renaming keeps every assignment, under the new name');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'analyst')$$, pg_temp.ws('acme', 'lab2'), pg_temp.uid('mia')),
    '42704', 'role "analyst" not found or not allowed',
    'update_role: the old name is no longer a role of the org');

-- ===========================================================================
-- A custom role belongs to its org
-- ===========================================================================
SELECT pg_temp.act_as('bea');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'lead')$$, pg_temp.ws('beta', 'bws'), pg_temp.uid('ursula')),
    '42704', 'role "lead" not found or not allowed',
    'a custom role of org acme is unknown in a workspace of org beta');
SELECT throws_ok(format($$SELECT authz.set_org_workspace_role(%L, %L, 'lead')$$, pg_temp.org('beta'), pg_temp.uid('ursula')),
    '42704', 'role "lead" not found or not allowed',
    'a custom role of org acme is unknown as an org-wide role of org beta');
SELECT throws_ok(format($$SELECT authz.drop_role(%L, 'lead')$$, pg_temp.org('beta')),
    '42704', 'role "lead" not found or not allowed',
    'drop_role: a custom role of another org is unknown');
SELECT pg_temp.add_member(pg_temp.ws('beta', 'bws'), pg_temp.uid('ursula'), 'analyst');
SELECT is(pg_temp.perms('ursula', 'beta', 'bws'), pg_temp.sorted('{workspace.view,content.read}'),
    'a role name resolves to the role of the workspace''s own org');
SELECT pg_temp.act_as('olivia');
-- (olivia is not in org beta: it is refused as not found or not allowed,
-- before any permission check, so that nothing tells her what beta defines)
SELECT throws_ok(format($$SELECT authz.update_role(%L, 'analyst', rank => 10)$$, pg_temp.org('beta')),
    '42704', format('organization "%s" not found or not allowed', pg_temp.org('beta')),
    'update_role: the owner of another org may not change a role of org beta');
SELECT pg_temp.act_as('bea');
SET ROLE regress_cr_app;
SELECT results_eq($$SELECT name FROM authz.roles WHERE org_id IS NOT NULL ORDER BY name$$,
    $$VALUES ('analyst'::text)$$,
    'RLS: an application role sees the custom roles of its user''s orgs only');
RESET ROLE;

-- ===========================================================================
-- drop_role: refused while in use (DETAIL names the uses), then allowed
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY '{r_part,r_proj,r_wide,r_shared,r_join,r_org,r_inv,r_both}'::text[] LOOP
        PERFORM authz.create_role(pg_temp.org('acme'), r, 20, '{workspace.view,content.read}');
    END LOOP;
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab2'), pg_temp.uid('mia'), 'r_part');
    PERFORM authz.add_team(pg_temp.ws('acme', 'lab2'), pg_temp.team('acme', 'crew'), 'r_part');
    PERFORM pg_temp.add_project_member(pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('nina'), 'r_proj');
    PERFORM authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('mia'), 'r_wide');
    PERFORM authz.update_workspace(pg_temp.ws('acme', 'lab'), '{"shared_role": "r_shared"}');
    PERFORM authz.update_workspace(pg_temp.ws('acme', 'lab2'), '{"join_role": "r_join"}');
    PERFORM authz.update_org(pg_temp.org('acme'), '{"default_join_role": "r_org"}');
    PERFORM authz.invite(pg_temp.ws('acme', 'lab'), 'someone@example.com', 'r_inv');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab2'), pg_temp.uid('wes'), 'r_both');
    PERFORM pg_temp.add_project_member(pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('wes'), 'r_both');
END
$$;
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_part')),
    '2BP01 role "r_part" is still assigned | It is used by 2 participant(s).',
    'drop_role: refused with 2BP01 while user and team participants hold the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_proj')),
    '2BP01 role "r_proj" is still assigned | It is used by 1 project member(s).',
    'drop_role: refused with 2BP01 while a project member holds the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_wide')),
    '2BP01 role "r_wide" is still assigned | It is used by 1 org-wide assignment(s).',
    'drop_role: refused with 2BP01 while an org member holds the role org-wide');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_shared')),
    '2BP01 role "r_shared" is still assigned | It is used by 1 workspace setting(s).',
    'drop_role: refused with 2BP01 while a workspace''s shared_role is the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_join')),
    '2BP01 role "r_join" is still assigned | It is used by 1 workspace setting(s).',
    'drop_role: refused with 2BP01 while a workspace''s join_role is the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_org')),
    '2BP01 role "r_org" is still assigned | It is used by 1 organization setting(s).',
    'drop_role: refused with 2BP01 while an org default setting is the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_inv')),
    '2BP01 role "r_inv" is still assigned | It is used by 1 pending invitation(s).',
    'drop_role: refused with 2BP01 while a pending invitation offers the role');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_both')),
    '2BP01 role "r_both" is still assigned | It is used by 1 participant(s), 1 project member(s).',
    'drop_role: the DETAIL lists every kind of use');
SELECT throws_ok(format($$SELECT authz.drop_role(%L, 'member')$$, pg_temp.org('acme')),
    '42501', 'built-in role "member" cannot be changed',
    'drop_role: a built-in role cannot be dropped');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.drop_role(%L, 'placeholder')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.roles.manage" is required in organization "acme"',
    'drop_role: refused to an org member');

-- Take every use away; the roles may go.
SELECT pg_temp.act_as('olivia');
DO $$
BEGIN
    PERFORM authz.remove_member(pg_temp.ws('acme', 'lab2'), pg_temp.uid('mia'));
    PERFORM authz.remove_team(pg_temp.ws('acme', 'lab2'), pg_temp.team('acme', 'crew'));
    PERFORM authz.remove_project_member(pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('nina'));
    PERFORM authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('mia'), NULL);
    PERFORM authz.update_workspace(pg_temp.ws('acme', 'lab'), '{"shared_role": "viewer"}');
    PERFORM authz.update_workspace(pg_temp.ws('acme', 'lab2'), '{"join_role": "member"}');
    PERFORM authz.update_org(pg_temp.org('acme'), '{"default_join_role": "member"}');
    PERFORM authz.revoke_invitation(i.id) FROM authz.invitations i WHERE i.email = 'someone@example.com';
    PERFORM authz.remove_member(pg_temp.ws('acme', 'lab2'), pg_temp.uid('wes'));
    PERFORM authz.remove_project_member(pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('wes'));
END
$$;
SELECT results_eq(
    format($$SELECT r, pg_temp.outcome('olivia', format('SELECT authz.drop_role(%%L, %%L)', %L::uuid, r))
               FROM unnest('{r_part,r_proj,r_wide,r_shared,r_join,r_org,r_both,placeholder}'::text[]) WITH ORDINALITY u(r, n)
              ORDER BY n$$, pg_temp.org('acme')),
    $$VALUES ('r_part'::text, 'ok'::text), ('r_proj', 'ok'), ('r_wide', 'ok'), ('r_shared', 'ok'), ('r_join', 'ok'),
             ('r_org', 'ok'), ('r_both', 'ok'), ('placeholder', 'ok')$$,
    'drop_role: once nothing uses them any more, the roles are dropped');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_inv')),
    'ok',
    'drop_role: a revoked invitation no longer holds the role');
SELECT is((SELECT array_agg(name ORDER BY name) FROM authz.roles WHERE org_id = pg_temp.org('acme') AND name <> 'r_inv'),
    '{chief,data_analyst,helper,lead}'::text[],
    'drop_role: the dropped roles are gone, the others remain');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'r_part')$$, pg_temp.ws('acme', 'lab2'), pg_temp.uid('mia')),
    '42704', 'role "r_part" not found or not allowed',
    'drop_role: a dropped role can no longer be assigned');

-- Expired access holding the role does not keep it: it goes with the role.
SELECT pg_temp.act_as('olivia');
DO $$
BEGIN
    PERFORM authz.create_role(pg_temp.org('acme'), 'r_old', 20, '{workspace.view,content.read}');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab2'), pg_temp.uid('mia'), 'r_old', now() + interval '1 day');
    PERFORM authz.add_team(pg_temp.ws('acme', 'lab2'), pg_temp.team('acme', 'crew'), 'r_old', now() + interval '1 day');
    PERFORM pg_temp.add_project_member(pg_temp.project('acme', 'lab', 'p1'), pg_temp.uid('nina'), 'r_old',
                                     now() + interval '1 day');
END
$$;
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_old')),
    '2BP01 role "r_old" is still assigned | It is used by 2 participant(s), 1 project member(s).',
    'drop_role: refused while participations and project memberships holding the role have not expired');
-- time passes (as the superuser)
UPDATE authz.participants SET expires_at = now() - interval '1 minute'
 WHERE role_id = (SELECT id FROM authz.roles WHERE org_id = pg_temp.org('acme') AND name = 'r_old');
UPDATE authz.project_members SET expires_at = now() - interval '1 minute'
 WHERE role_id = (SELECT id FROM authz.roles WHERE org_id = pg_temp.org('acme') AND name = 'r_old');
SELECT count(*) AS audit_rows FROM authz.audit_log \gset
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.drop_role(%L, %L)', pg_temp.org('acme'), 'r_old')), 'ok',
    'drop_role: expired participations and project memberships do not keep a role from being dropped');
SELECT results_eq(
    format($$SELECT action, count(*)::int FROM authz.audit_log WHERE id > %s AND action IN
              ('participants.delete', 'project_members.delete', 'roles.delete') GROUP BY action ORDER BY action$$,
           :'audit_rows'),
    $$VALUES ('participants.delete'::text, 2), ('project_members.delete', 1), ('roles.delete', 1)$$,
    'drop_role: the expired participations and project membership are deleted with the role, and audited');

-- ===========================================================================
-- Project roles: a projects_only role counts in projects only, wherever held
-- ===========================================================================
SELECT pg_temp.act_as(NULL);   -- the platform's call: no user asserted
SELECT authz.create_user('lara', 'lara@example.com');
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('lara'), 'member');
SELECT authz.create_role(pg_temp.org('acme'), 'labeler', 20, '{content.read,content.create}', projects_only => true);
SELECT pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('lara'), 'labeler');
SELECT is(ARRAY[array_to_string(pg_temp.perms('lara', 'acme', 'lab'), ','), pg_temp.role_of('lara', 'acme', 'lab')],
    ARRAY['', NULL],
    'projects_only: a project role held in a workspace gives nothing in the workspace itself, nor a role there');
SELECT is(pg_temp.project_perms('lara', pg_temp.project('acme', 'lab', 'p1')), '{content.create,content.read}'::text[],
    'projects_only: it counts in every project of that workspace');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_role(pg_temp.org('acme'), 'labeler', projects_only => false);
SELECT is(pg_temp.perms('lara', 'acme', 'lab'), '{content.create,content.read}'::text[],
    'update_role: projects_only => false makes it a workspace role again');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.create_role(%L, %L, 10, %L, NULL, NULL)',
                                          pg_temp.org('acme'), 'nulled', '{content.read}')),
    '22004 projects_only must not be NULL', 'create_role: projects_only NULL is refused (22004)');

SELECT * FROM finish();
ROLLBACK;
