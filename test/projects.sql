-- Projects: units inside a workspace with members of their own. A user's
-- permissions in a project are their workspace permissions plus their
-- (unexpired) project role; project-only members see the project and nothing
-- of the workspace. Covers create_project, add_project_member,
-- remove_project_member, delete_project, can_project, role_in_project, the
-- RLS of authz.projects and authz.workspaces, and authz.protect with
-- scope => 'project' as seen by a real application role.
-- One transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(90);

SET LOCAL client_min_messages = warning;

-- An application role: neither superuser nor trusted, so RLS applies.
CREATE ROLE regress_prj_app;

-- Fixture lookups (as the superuser, past RLS).
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.org(s text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.orgs WHERE slug = s $$;
CREATE FUNCTION pg_temp.ws(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.orgs o ON o.id = w.org_id
           WHERE o.slug = s AND w.name = n $$;
CREATE FUNCTION pg_temp.prj(n text, p text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.projects WHERE workspace_id = pg_temp.ws('acme', n) AND name = p $$;
-- Act as a user (NULL: no identity).
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
-- A user's answer to can_project / role_in_project / can / role_in.
CREATE FUNCTION pg_temp.can_project(h text, prj uuid, perm text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.can_project(prj, perm);
END
$$;
CREATE FUNCTION pg_temp.role_in_project(h text, prj uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in_project(prj);
END
$$;
CREATE FUNCTION pg_temp.can(h text, ws uuid, perm text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.can(ws, perm);
END
$$;
CREATE FUNCTION pg_temp.role_in(h text, ws uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in(ws);
END
$$;
-- Rows a data-changing statement affects, run as the current role (RLS applies).
CREATE FUNCTION pg_temp.affected(dml text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    EXECUTE dml;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
CREATE FUNCTION pg_temp.policy_expr(tbl regclass, policy name, which text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE which WHEN 'using' THEN pg_get_expr(p.polqual, p.polrelid)
                      ELSE pg_get_expr(p.polwithcheck, p.polrelid) END
      FROM pg_policy p WHERE p.polrelid = tbl AND p.polname = policy
$$;

-- The cast. olivia owns org acme and its workspaces lab and lab2; in lab,
-- wanda is admin, mia and dan members, vera viewer (all org members); gus is
-- an org guest, otto, eve and tom are outside the org.
DO $$
DECLARE
    h text;
BEGIN
    FOREACH h IN ARRAY '{olivia,wanda,mia,vera,dan,gus,otto,eve,tom}'::text[] LOOP
        PERFORM authz.create_user(h, h || '@example.com');
    END LOOP;
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_org('acme');
    FOREACH h IN ARRAY '{wanda,mia,vera,dan}'::text[] LOOP
        PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid(h), 'member');
    END LOOP;
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('gus'), 'guest');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab2');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('wanda'), 'admin');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('mia'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('dan'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('vera'), 'viewer');
    PERFORM pg_temp.act_as(NULL);
END
$$;

-- ===========================================================================
-- create_project
-- ===========================================================================
SELECT pg_temp.act_as('mia');
SELECT ok(authz.create_project(pg_temp.ws('acme', 'lab'), 'p1', 'First project') IS NOT NULL,
    'create_project: a workspace member (content.create) creates a project and gets its id');
SELECT results_eq($$SELECT workspace_id = pg_temp.ws('acme', 'lab'), name, description FROM authz.projects$$,
    $$VALUES (true, 'p1'::text, 'First project'::text)$$,
    'create_project: the project belongs to the workspace, with its name and description');
SELECT lives_ok(format($$SELECT authz.create_project(%L, 'p2')$$, pg_temp.ws('acme', 'lab')),
    'create_project: a second project in the same workspace');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.create_project(%L, 'p1')$$, pg_temp.ws('acme', 'lab2')),
    'create_project: a project name may repeat in another workspace');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.create_project(%L, 'p1')$$, pg_temp.ws('acme', 'lab')),
    '23505', 'project "p1" already exists in workspace "acme/lab"',
    'create_project: a name taken in the workspace is refused with 23505');
SELECT throws_ok(format($$SELECT authz.create_project(%L, '-p')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'invalid project name: "-p"',
    'create_project: a malformed name is refused with 22023');
SELECT throws_ok($$SELECT authz.create_project('00000000-0000-0000-0000-0000000000ff', 'p9')$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'create_project: an unknown workspace is refused with 42704');
SELECT pg_temp.act_as('vera');
SELECT throws_ok(format($$SELECT authz.create_project(%L, 'p9')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'permission denied: "content.create" is required in workspace "acme/lab"',
    'create_project: refused to a viewer (no content.create)');
SELECT pg_temp.act_as(NULL);
SELECT throws_ok(format($$SELECT authz.create_project(%L, 'p9')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'no authz user is set for this session',
    'create_project: refused without an identity');

-- ===========================================================================
-- add_project_member
-- ===========================================================================
SELECT pg_temp.act_as('wanda');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('vera')),
    'add_project_member: a workspace admin (members.manage) gives a viewer the member role in a project');
SELECT results_eq(
    format($$VALUES (pg_temp.can_project('vera', %1$L, 'content.update')),
                    (pg_temp.can('vera', %2$L, 'content.update')),
                    (pg_temp.can_project('vera', %3$L, 'content.update'))$$,
           pg_temp.prj('lab', 'p1'), pg_temp.ws('acme', 'lab'), pg_temp.prj('lab', 'p2')),
    $$VALUES (true), (false), (false)$$,
    'can_project: the project role adds content.update in that project only, not in the workspace nor its other projects');
SELECT is(pg_temp.can_project('vera', pg_temp.prj('lab', 'p1'), 'content.read'), true,
    'can_project: the workspace permissions still hold in the project');
SELECT is(pg_temp.role_in_project('vera', pg_temp.prj('lab', 'p1')), 'member',
    'role_in_project: the project role (member) outranks the workspace role (viewer)');
SELECT is(pg_temp.role_in('vera', pg_temp.ws('acme', 'lab')), 'viewer',
    'role_in: the workspace role is unchanged by a project role');
SELECT pg_temp.act_as('wanda');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'admin')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('vera')),
    'add_project_member: adding a member again changes their role');
SELECT results_eq(
    format($$SELECT r.name FROM authz.project_members pm JOIN authz.roles r ON r.id = pm.role_id
              WHERE pm.project_id = %L AND pm.user_id = %L$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('vera')),
    $$VALUES ('admin'::text)$$,
    'add_project_member: one membership row, with the new role');
SELECT is(pg_temp.role_in_project('vera', pg_temp.prj('lab', 'p1')), 'admin',
    'role_in_project: the changed role counts at once');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'owner')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('mia')),
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "acme/lab"',
    'add_project_member: an admin may not give a role above their own rank');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'boss')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('mia')),
    '42704', 'role "boss" not found or not allowed',
    'add_project_member: an unknown role is refused with 42704');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$, pg_temp.prj('lab', 'p1'),
                        '00000000-0000-0000-0000-0000000000ee'),
    '42704', 'user "00000000-0000-0000-0000-0000000000ee" not found or not allowed',
    'add_project_member: an unknown user is refused with 42704');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$, '00000000-0000-0000-0000-0000000000dd',
                        pg_temp.uid('mia')),
    '42704', 'project "00000000-0000-0000-0000-0000000000dd" not found or not allowed',
    'add_project_member: an unknown project is refused with 42704');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'member', now() - interval '1 hour')$$,
                        pg_temp.prj('lab', 'p1'), pg_temp.uid('mia')),
    '22023', NULL,
    'add_project_member: an expiry in the past is refused with 22023');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'owner', now() + interval '1 day')$$,
                        pg_temp.prj('lab', 'p1'), pg_temp.uid('mia')),
    '22023', 'owner participations cannot expire',
    'add_project_member: the owner role with an expiry is refused with 22023');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('gus')),
    '42501', 'permission denied: "members.manage" is required in workspace "acme/lab"',
    'add_project_member: refused to a workspace member (no members.manage)');
-- otto, eve and tom stay outside acme, but share an organization (neighbours)
-- with olivia and wanda, who therefore see them and may add them to projects
-- without an invitation.
SELECT pg_temp.act_as('olivia');
DO $$
DECLARE
    h text;
BEGIN
    PERFORM authz.create_org('neighbours');
    FOREACH h IN ARRAY '{wanda,otto,eve,tom}'::text[] LOOP
        PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid(h), 'member');
    END LOOP;
END
$$;
-- Someone ranked above the admin in the project cannot be changed by them.
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('tom'), 'owner');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('tom')),
    '42501', 'cannot change user "tom" (project role "owner") who ranks above you in workspace "acme/lab"',
    'add_project_member: an admin may not change the project role of someone ranked above them');
SELECT throws_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('tom')),
    '42501', 'cannot change user "tom" (project role "owner") who ranks above you in workspace "acme/lab"',
    'remove_project_member: an admin may not remove someone ranked above them');

-- An expired membership is no membership: an admin may give the project a
-- new role for someone whose expired role ranked above them.
SELECT pg_temp.act_as('olivia');
SELECT authz.create_role(pg_temp.org('acme'), 'lead', 90, '{workspace.view,members.view,members.manage,content.read}');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p2'), pg_temp.uid('otto'), 'lead', now() + interval '1 hour');
UPDATE authz.project_members SET expires_at = now() - interval '1 minute'
 WHERE user_id = pg_temp.uid('otto') AND project_id = pg_temp.prj('lab', 'p2');
SELECT pg_temp.act_as('wanda');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, pg_temp.prj('lab', 'p2'), pg_temp.uid('otto')),
    'add_project_member: an expired membership ranked above the admin does not stop them adding the user again');

-- Projects of a personal workspace: personal workspaces take no participants.
SELECT pg_temp.act_as('olivia');
SELECT authz.create_project(authz.personal_workspace(), 'notes');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$,
                        (SELECT id FROM authz.projects WHERE name = 'notes'), pg_temp.uid('mia')),
    '22023', NULL,
    'add_project_member: a project of a personal workspace takes no members (22023)');

-- ===========================================================================
-- can_project = workspace permissions UNION project role
-- ===========================================================================
SELECT results_eq(
    format($$VALUES (pg_temp.can_project('mia', %1$L, 'content.delete')), (pg_temp.can_project('mia', %2$L, 'content.delete')),
                    (pg_temp.can_project('mia', %1$L, 'members.manage')), (pg_temp.can_project('mia', %3$L, 'content.read'))$$,
           pg_temp.prj('lab', 'p1'), pg_temp.prj('lab', 'p2'), pg_temp.prj('lab2', 'p1')),
    $$VALUES (true), (true), (false), (false)$$,
    'can_project: a workspace member holds their workspace permissions in every project of it, and only those');
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('mia'), 'viewer');
SELECT is(pg_temp.role_in_project('mia', pg_temp.prj('lab', 'p1')), 'member',
    'role_in_project: a lower project role (viewer) leaves the workspace role (member) in effect');
SELECT is(pg_temp.can_project('mia', pg_temp.prj('lab', 'p1'), 'content.delete'), true,
    'can_project: a lower project role takes no workspace permission away');
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('mia'), 'admin');
SELECT is(pg_temp.role_in_project('mia', pg_temp.prj('lab', 'p1')), 'admin',
    'role_in_project: a higher project role (admin) is the effective role in the project');
SELECT is(pg_temp.can_project('mia', pg_temp.prj('lab', 'p1'), 'members.manage'), true,
    'can_project: the higher project role adds its permissions (members.manage)');

-- A project-only member: an org guest given a role in p1.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('gus'), 'member');
SELECT results_eq(
    format($$VALUES (pg_temp.can_project('gus', %1$L, 'content.read')), (pg_temp.can_project('gus', %1$L, 'content.create')),
                    (pg_temp.can_project('gus', %2$L, 'content.read')), (pg_temp.can('gus', %3$L, 'workspace.view'))$$,
           pg_temp.prj('lab', 'p1'), pg_temp.prj('lab', 'p2'), pg_temp.ws('acme', 'lab')),
    $$VALUES (true), (true), (false), (false)$$,
    'project-only guest: holds the project role in p1, nothing in p2, and cannot view the workspace');
SELECT is(pg_temp.role_in('gus', pg_temp.ws('acme', 'lab')), NULL,
    'project-only guest: no role in the workspace');
SELECT is(pg_temp.role_in_project('gus', pg_temp.prj('lab', 'p1')), 'member',
    'project-only guest: role_in_project names the project role');
SELECT pg_temp.act_as('gus');
SELECT ok(NOT pg_temp.ws('acme', 'lab') = ANY (ARRAY(SELECT authz.workspaces())),
    'project-only guest: authz.workspaces() does not list the workspace');
SELECT pg_temp.uid('gus') AS gus_id, pg_temp.prj('lab', 'p1') AS p1_id, pg_temp.prj('lab', 'p2') AS p2_id,
       pg_temp.prj('lab2', 'p1') AS l2p1_id, pg_temp.ws('acme', 'lab') AS lab_id, pg_temp.ws('acme', 'lab2') AS lab2_id,
       pg_temp.uid('eve') AS eve_id, pg_temp.uid('vera') AS vera_id \gset
SELECT authz.set_user(:'gus_id');
SET ROLE regress_prj_app;
SELECT results_eq($$SELECT id FROM authz.projects$$, format($$VALUES (%L::uuid)$$, :'p1_id'),
    'project-only guest, through RLS: authz.projects shows the project only');
SELECT is((SELECT count(*)::int FROM authz.workspaces WHERE org_id IS NOT NULL), 0,
    'project-only guest, through RLS: authz.workspaces shows no workspace of the org');
RESET ROLE;

-- Deactivated users get nothing, whatever their roles.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('dan'), 'admin');
SELECT is(pg_temp.can_project('dan', pg_temp.prj('lab', 'p1'), 'members.manage'), true,
    'deactivation: before, the project role counts');
SELECT authz.deactivate_user(pg_temp.uid('dan'));
SELECT results_eq(
    format($$VALUES (pg_temp.can_project('dan', %1$L, 'members.manage')), (pg_temp.can_project('dan', %1$L, 'content.read')),
                    (pg_temp.can_project('dan', %2$L, 'content.read'))$$,
           pg_temp.prj('lab', 'p1'), pg_temp.prj('lab', 'p2')),
    $$VALUES (false), (false), (false)$$,
    'deactivation: a deactivated user holds nothing in any project, neither from the project role nor the workspace');
SELECT is(pg_temp.role_in_project('dan', pg_temp.prj('lab', 'p1')), NULL,
    'deactivation: role_in_project is NULL');

-- Expired project memberships give nothing.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('eve'), 'member', now() + interval '1 hour');
SELECT is(pg_temp.can_project('eve', pg_temp.prj('lab', 'p1'), 'content.update'), true,
    'expiry: a membership that has not expired yet counts');
-- Time passes: the membership ends.
UPDATE authz.project_members SET expires_at = now() - interval '1 minute'
 WHERE user_id = pg_temp.uid('eve');
SELECT is(pg_temp.can_project('eve', pg_temp.prj('lab', 'p1'), 'content.read'), false,
    'expiry: an expired project membership gives nothing');
SELECT is(pg_temp.role_in_project('eve', pg_temp.prj('lab', 'p1')), NULL,
    'expiry: an expired project membership gives no role');
SELECT authz.set_user(:'eve_id');
SET ROLE regress_prj_app;
SELECT is((SELECT count(*)::int FROM authz.projects), 0,
    'expiry, through RLS: an expired member sees no project');
RESET ROLE;

-- Unknown projects and wrong permissions.
SELECT is(pg_temp.can_project('olivia', '00000000-0000-0000-0000-0000000000dd', 'content.read'), false,
    'can_project: an unknown project gives false');
SELECT is(pg_temp.role_in_project('olivia', '00000000-0000-0000-0000-0000000000dd'), NULL,
    'role_in_project: an unknown project gives NULL');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.can_project(%L, 'org.update')$$, pg_temp.prj('lab', 'p1')),
    '22023', 'permission "org.update" is an org permission, not a workspace permission',
    'can_project: an org permission is refused with 22023');
SELECT throws_ok(format($$SELECT authz.can_project(%L, 'content.fly')$$, pg_temp.prj('lab', 'p1')),
    '42704', 'permission "content.fly" does not exist',
    'can_project: an unknown permission is refused with 42704');
SELECT pg_temp.act_as(NULL);
SELECT is(authz.can_project(pg_temp.prj('lab', 'p1'), 'content.read'), false,
    'can_project: false without an identity');

-- ===========================================================================
-- remove_project_member
-- ===========================================================================
SELECT pg_temp.act_as('wanda');
SELECT lives_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('vera')),
    'remove_project_member: a workspace admin removes a project member');
SELECT results_eq(
    format($$VALUES (pg_temp.can_project('vera', %1$L, 'content.update')), (pg_temp.can_project('vera', %1$L, 'content.read'))$$,
           pg_temp.prj('lab', 'p1')),
    $$VALUES (false), (true)$$,
    'remove_project_member: the project role is gone at once, the workspace role remains');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, pg_temp.prj('lab', 'p1'), pg_temp.uid('gus')),
    '42501', 'permission denied: "members.manage" is required in workspace "acme/lab"',
    'remove_project_member: refused to someone without members.manage removing another');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, pg_temp.prj('lab', 'p2'), pg_temp.uid('gus')),
    '42704', 'user "gus" is not a member of project "p2"',
    'remove_project_member: someone who is not a member is refused with 42704');

-- ===========================================================================
-- authz.protect(..., scope => 'project')
-- ===========================================================================
CREATE TABLE docs (id serial PRIMARY KEY, project_id uuid NOT NULL, title text NOT NULL);
CREATE INDEX docs_project_idx ON docs (project_id);
INSERT INTO docs (project_id, title)
SELECT p, 'doc ' || i FROM unnest(ARRAY[pg_temp.prj('lab', 'p1'), pg_temp.prj('lab', 'p2'), pg_temp.prj('lab2', 'p1')]) p,
       generate_series(1, 2) i;
GRANT SELECT, INSERT, UPDATE, DELETE ON docs TO regress_prj_app;
GRANT USAGE ON SEQUENCE docs_id_seq TO regress_prj_app;

SELECT lives_ok($$SELECT authz.protect('docs', 'project_id', scope => 'project')$$,
    'protect: scope => project on a table keyed by project');
SELECT results_eq(
    $$SELECT pg_temp.policy_expr('docs', p, w) FROM (VALUES (1, 'authz_select', 'using'), (2, 'authz_insert', 'check'),
        (3, 'authz_update', 'using'), (4, 'authz_update', 'check'), (5, 'authz_delete', 'using')) v(n, p, w) ORDER BY n$$,
    $$VALUES ('authz.can_project(project_id, ''content.read''::text)'::text),
             ('authz.can_project(project_id, ''content.create''::text)'),
             ('authz.can_project(project_id, ''content.update''::text)'),
             ('authz.can_project(project_id, ''content.update''::text)'),
             ('authz.can_project(project_id, ''content.delete''::text)')$$,
    'protect: with scope => project, every policy checks authz.can_project on the column');
SELECT throws_ok($$SELECT authz.protect('docs', 'project_id', scope => 'org')$$,
    '22023', 'invalid scope: "org"',
    'protect: an unknown scope is refused with 22023');

-- vera: viewer of lab (content.read in every lab project), member of project p1.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(pg_temp.prj('lab', 'p1'), pg_temp.uid('vera'), 'member');
SELECT authz.set_user(:'vera_id');
SET ROLE regress_prj_app;
SELECT results_eq($$SELECT id FROM authz.projects ORDER BY id$$,
    format($$SELECT * FROM (VALUES (%L::uuid), (%L::uuid)) v ORDER BY 1$$, :'p1_id', :'p2_id'),
    'RLS: a workspace viewer sees every project of the workspace, and none of another workspace');
SELECT results_eq($$SELECT project_id, count(*)::int FROM docs GROUP BY project_id ORDER BY 1$$,
    format($$SELECT * FROM (VALUES (%L::uuid, 2), (%L::uuid, 2)) v ORDER BY 1$$, :'p1_id', :'p2_id'),
    'protect by project: reads follow content.read (workspace viewer: both projects of lab, not lab2)');
SELECT lives_ok(format($$INSERT INTO docs (project_id, title) VALUES (%L, 'new')$$, :'p1_id'),
    'protect by project: insert allowed where the project role gives content.create');
SELECT throws_ok(format($$INSERT INTO docs (project_id, title) VALUES (%L, 'new')$$, :'p2_id'),
    '42501', 'new row violates row-level security policy for table "docs"',
    'protect by project: insert refused in a project where the user lacks content.create');
SELECT is(pg_temp.affected(format($$UPDATE docs SET title = title || '!' WHERE project_id IN (%L, %L)$$, :'p1_id', :'p2_id')), 3,
    'protect by project: updates reach only rows of the project with content.update (2 + the new one)');
SELECT throws_ok(format($$UPDATE docs SET project_id = %L WHERE project_id = %L$$, :'p2_id', :'p1_id'),
    '42501', 'new row violates row-level security policy for table "docs"',
    'protect by project: a row may not be moved into a project without content.update');
SELECT is(pg_temp.affected(format($$DELETE FROM docs WHERE project_id IN (%L, %L, %L)$$, :'p1_id', :'p2_id', :'l2p1_id')), 3,
    'protect by project: deletes reach only rows of the project with content.delete');
RESET ROLE;
SELECT authz.set_user(:'gus_id');
SET ROLE regress_prj_app;
SELECT is((SELECT count(*)::int FROM docs), 0,
    'protect by project: the project-only guest sees no row once those of p1 are gone');
SELECT lives_ok(format($$INSERT INTO docs (project_id, title) VALUES (%L, 'by gus')$$, :'p1_id'),
    'protect by project: the project-only guest writes in the project of their role');
SELECT results_eq($$SELECT project_id, title FROM docs$$, format($$VALUES (%L::uuid, 'by gus'::text)$$, :'p1_id'),
    'protect by project: the project-only guest reads only rows of their project');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM docs), 5,
    'protect by project: the rows of the other projects are all still there');

-- Index support: authz.can_project(project_id, p) becomes the index condition
-- project_id = ANY (authz.project_array(p)), which lists what can_project answers.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
CREATE FUNCTION pg_temp.project_array_agrees(h text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM authz.projects
             WHERE authz.can_project(id, 'content.read'))
         = (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(authz.project_array('content.read')) x);
END
$$;
SELECT is(ARRAY[pg_temp.project_array_agrees('vera'), pg_temp.project_array_agrees('gus'),
                pg_temp.project_array_agrees('olivia')], ARRAY[true, true, true],
    'project_array lists exactly the projects where can_project answers true (a viewer, a project-only guest, the owner)');
SELECT authz.set_user(:'vera_id');
SET ROLE regress_prj_app;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT string_agg(id::text, ',' ORDER BY id) AS vera_rows_seq FROM docs \gset
RESET enable_indexscan;
RESET enable_bitmapscan;
SET LOCAL enable_seqscan = off;
SELECT ok(pg_temp.plan_of('SELECT id FROM docs') ~ 'Index Cond: \(project_id = ANY \(authz\.project_array\(',
    'protect by project: a project-keyed policy uses the index on the project column (Index Cond with authz.project_array)');
SELECT is((SELECT string_agg(id::text, ',' ORDER BY id) || '/' || count(*) FROM docs), :'vera_rows_seq' || '/3',
    'protect by project: through the index, vera reads exactly the 3 rows a sequential scan gives her');
RESET enable_seqscan;
RESET ROLE;

-- ===========================================================================
-- A project-only collaborator from outside every organization of the owner
-- (added by the platform) is seen by who sees the workspace's members, so
-- their project role can be changed and ended; nobody else learns of them.
-- ===========================================================================
SELECT authz.set_user(NULL);
SELECT authz.create_user('pia', 'pia@example.com') AS pia_id \gset
SELECT authz.add_project_member(:'p1_id', :'pia_id', 'viewer');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$, :'p1_id', :'pia_id'),
    'outside collaborator: the workspace owner changes their project role');
SELECT lives_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, :'p1_id', :'pia_id'),
    'outside collaborator: the workspace owner ends their project role');
SELECT pg_temp.act_as('eve');
SELECT throws_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, :'p1_id', :'pia_id'),
    '42704', format('project "%s" not found or not allowed', :'p1_id'),
    'outside collaborator: someone outside the workspace learns nothing of them, nor of the project');

-- ===========================================================================
-- remove_project_member by oneself, delete_project
-- ===========================================================================
SELECT pg_temp.act_as('gus');
SELECT lives_ok(format($$SELECT authz.remove_project_member(%L, %L)$$, :'p1_id', :'gus_id'),
    'remove_project_member: a member may leave a project');
SELECT is(pg_temp.can_project('gus', :'p1_id', 'content.read'), false,
    'remove_project_member: having left, the guest holds nothing in the project');
-- Leaving the organization ends the guest's project roles in it, as it ends participations.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_project_member(:'p2_id', :'gus_id', 'member');
SELECT authz.remove_org_member(pg_temp.org('acme'), :'gus_id');
SELECT is(pg_temp.can_project('gus', :'p2_id', 'content.read'), false,
    'remove_org_member: a guest removed from the org holds nothing in its projects any more');
SELECT pg_temp.act_as('vera');
SELECT throws_ok(format($$SELECT authz.delete_project(%L)$$, :'p2_id'),
    '42501', 'permission denied: "content.delete" is required in workspace "acme/lab"',
    'delete_project: refused to a viewer (no content.delete in the workspace)');
-- eve does not see the project: refused as an unknown one, before any permission check
SELECT pg_temp.act_as('eve');
SELECT throws_ok(format($$SELECT authz.delete_project(%L)$$, :'p1_id'),
    '42704', format('project "%s" not found or not allowed', :'p1_id'),
    'delete_project: refused to someone outside the workspace');
SELECT pg_temp.act_as('mia');
SELECT lives_ok(format($$SELECT authz.delete_project(%L)$$, :'p1_id'),
    'delete_project: a workspace member (content.delete) deletes a project');
SELECT results_eq(
    format($$VALUES ((SELECT count(*)::int FROM authz.projects WHERE id = %1$L)),
                    ((SELECT count(*)::int FROM authz.project_members WHERE project_id = %1$L))$$, :'p1_id'),
    $$VALUES (0), (0)$$,
    'delete_project: the project and its memberships are gone');
SELECT is(pg_temp.can_project('mia', :'p1_id', 'content.read'), false,
    'delete_project: a deleted project answers false');
SELECT throws_ok(format($$SELECT authz.delete_project(%L)$$, :'p1_id'),
    '42704', format('project "%s" not found or not allowed', :'p1_id'),
    'delete_project: an unknown project is refused with 42704');

-- ===========================================================================
-- The participant limit: project-only members take a seat too
-- ===========================================================================
-- Org small allows 2 participants per workspace: olivia (owner of w) and one more.
SELECT pg_temp.act_as('olivia');
DO $$
BEGIN
    PERFORM authz.create_org('small');
    PERFORM authz.update_org(pg_temp.org('small'), '{"max_participants": 2}');
    PERFORM authz.create_workspace(pg_temp.org('small'), 'w');
    PERFORM authz.create_project(pg_temp.ws('small', 'w'), 'q1');
    PERFORM authz.create_project(pg_temp.ws('small', 'w'), 'q2');
END
$$;
SELECT (SELECT id FROM authz.projects WHERE workspace_id = pg_temp.ws('small', 'w') AND name = 'q1') AS q1_id,
       (SELECT id FROM authz.projects WHERE workspace_id = pg_temp.ws('small', 'w') AND name = 'q2') AS q2_id,
       pg_temp.ws('small', 'w') AS w_id \gset
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, :'q1_id', pg_temp.uid('tom')),
    'limit: a project-only member takes the second seat');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, :'q2_id', pg_temp.uid('eve')),
    '23514', 'workspace "small/w" has reached its limit of 2 participants',
    'limit: another project-only member is refused once the seats are taken');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'viewer')$$, :'w_id', pg_temp.uid('eve')),
    '23514', 'workspace "small/w" has reached its limit of 2 participants',
    'limit: the project-only member counts against new participants as well');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'member')$$, :'q2_id', pg_temp.uid('tom')),
    'limit: the project-only member may join another project of the workspace (no new seat)');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'viewer')$$, :'w_id', pg_temp.uid('tom')),
    'limit: the project-only member may become a participant (no new seat)');
SELECT results_eq(
    format($$SELECT (SELECT count(*)::int FROM authz.participants WHERE workspace_id = %1$L),
                    (SELECT count(DISTINCT user_id)::int FROM authz.project_members pm JOIN authz.projects p ON p.id = pm.project_id
                      WHERE p.workspace_id = %1$L)$$, :'w_id'),
    $$VALUES (2, 1)$$,
    'limit: two participants (olivia, tom), tom in the projects too; the refused calls added nobody');

SELECT * FROM finish();
ROLLBACK;
