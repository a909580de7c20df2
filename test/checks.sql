-- Contracts of the check functions (SPEC section 5): can, can_org, role_in,
-- org_role, permissions_in, workspaces, workspace_array, who_can, explain and
-- check; their answers without a user, for unknown objects, unknown
-- permissions and NULL arguments; who may ask about others; and that a
-- change made in the transaction is seen at once, and a rolled-back one never.
\ir lib/platform.sql
BEGIN;
SELECT plan(95);

\set viewer_perms '{content.read,members.view,workspace.view}'

-- An application role: not a superuser and not trusted, so who_can and
-- explain apply their own permission checks to it.
CREATE ROLE regress_checks_app NOLOGIN;

-- The text of an authz.explain() call, for results_eq.
CREATE FUNCTION pg_temp.explain_sql(u uuid, w uuid, p text) RETURNS text
    LANGUAGE sql AS $$ SELECT format('SELECT * FROM authz.explain(%L, %L, %L)', u, w, p) $$;

CREATE FUNCTION pg_temp.who_can_sql(w uuid, p text) RETURNS text
    LANGUAGE sql AS $$ SELECT format('SELECT user_id, role FROM authz.who_can(%L, %L)', w, p) $$;

CREATE FUNCTION pg_temp.sorted(ids uuid[]) RETURNS uuid[]
    LANGUAGE sql AS $$ SELECT ARRAY(SELECT x FROM unnest(ids) x ORDER BY x) $$;

-- ---------------------------------------------------------------------------
-- Fixture. Org acme: alice owns it, bob is an admin, carol, dave and gina are
-- members, erin is a guest, hank is an admin who gets deactivated. frank is a
-- collaborator from outside; zed belongs nowhere.
-- alpha: private; carol and erin viewers, frank member, team eng (dave) member.
-- beta: private, alice only. gamma: shared. delta: open.
-- ---------------------------------------------------------------------------
SELECT authz.create_user('alice', 'alice@example.com') AS alice \gset
SELECT authz.create_user('bob', 'bob@example.com') AS bob \gset
SELECT authz.create_user('carol', 'carol@example.com') AS carol \gset
SELECT authz.create_user('dave', 'dave@example.com') AS dave \gset
SELECT authz.create_user('erin', 'erin@example.com') AS erin \gset
SELECT authz.create_user('frank', 'frank@example.com') AS frank \gset
SELECT authz.create_user('gina', 'gina@example.com') AS gina \gset
SELECT authz.create_user('hank', 'hank@example.com') AS hank \gset
SELECT authz.create_user('zed', 'zed@example.com') AS zed \gset

SELECT authz.personal_workspace(:'alice') AS alice_home \gset
SELECT authz.personal_workspace(:'bob') AS bob_home \gset
SELECT authz.personal_workspace(:'carol') AS carol_home \gset
SELECT authz.personal_workspace(:'dave') AS dave_home \gset
SELECT authz.personal_workspace(:'erin') AS erin_home \gset
SELECT authz.personal_workspace(:'frank') AS frank_home \gset
SELECT authz.personal_workspace(:'zed') AS zed_home \gset
SELECT gen_random_uuid() AS nowhere \gset

SELECT authz.set_user(:'alice');
SELECT authz.create_org('acme') AS acme \gset
SELECT pg_temp.add_org_member(:'acme', :'bob', 'admin');
SELECT pg_temp.add_org_member(:'acme', :'hank', 'admin');
SELECT pg_temp.add_org_member(:'acme', :'carol', 'member');
SELECT pg_temp.add_org_member(:'acme', :'dave', 'member');
SELECT pg_temp.add_org_member(:'acme', :'gina', 'member');
SELECT pg_temp.add_org_member(:'acme', :'erin', 'guest');

SELECT authz.create_workspace(:'acme', 'alpha') AS alpha \gset
SELECT authz.create_workspace(:'acme', 'beta') AS beta \gset
SELECT authz.create_workspace(:'acme', 'gamma', 'shared') AS gamma \gset
SELECT authz.create_workspace(:'acme', 'delta', 'private', 'open') AS delta \gset

SELECT authz.create_team(:'acme', 'eng') AS eng \gset
SELECT authz.add_team_member(:'eng', :'dave');
SELECT pg_temp.add_member(:'alpha', :'carol', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'erin', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'frank', 'member');
SELECT authz.add_team(:'alpha', :'eng', 'member');
SELECT authz.set_user(NULL);
SELECT authz.deactivate_user(:'hank');

-- ---------------------------------------------------------------------------
-- Answers for the current user.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(:'carol');
SELECT is(authz.can(:'alpha', 'content.read'), true,
    'can: true for a permission the current user holds');
SELECT is(authz.can(:'alpha', 'content.update'), false,
    'can: false for a permission the current user lacks');
SELECT is(authz.role_in(:'alpha'), 'viewer',
    'role_in: the current user''s effective role');
SELECT is(authz.permissions_in(:'alpha')::text[], :'viewer_perms'::text[],
    'permissions_in: exactly the current user''s permissions');
SELECT is(authz.can_org(:'acme', 'org.view'), true,
    'can_org: true for an org permission of the current user''s org role');
SELECT is(authz.can_org(:'acme', 'org.delete'), false,
    'can_org: false for an org permission the org role lacks');
SELECT is(authz.org_role(:'acme'), 'member',
    'org_role: the current user''s org role');
SELECT authz.set_user(:'zed');
SELECT is(authz.org_role(:'acme'), NULL,
    'org_role: NULL in an org the current user does not belong to');

-- No current user: no access at all.
SELECT authz.set_user(NULL);
SELECT is(authz.current_user_id(), NULL, 'set_user(NULL) leaves no current user');
SELECT is(authz.can(:'alpha', 'workspace.view'), false, 'can: false when no user is set');
SELECT is(authz.can_org(:'acme', 'org.view'), false, 'can_org: false when no user is set');
SELECT is(authz.role_in(:'alpha'), NULL, 'role_in: NULL when no user is set');
SELECT is(authz.org_role(:'acme'), NULL, 'org_role: NULL when no user is set');
SELECT is(authz.permissions_in(:'alpha')::text[], '{}'::text[], 'permissions_in: empty when no user is set');
SELECT is_empty('SELECT * FROM authz.workspaces()', 'workspaces: no rows when no user is set');
SELECT is(authz.workspace_array(), '{}'::uuid[], 'workspace_array: empty when no user is set');

-- Unknown objects.
SELECT authz.set_user(:'carol');
SELECT is(authz.can(:'nowhere', 'workspace.view'), false, 'can: false in an unknown workspace');
SELECT is(authz.role_in(:'nowhere'), NULL, 'role_in: NULL in an unknown workspace');
SELECT is(authz.permissions_in(:'nowhere')::text[], '{}'::text[], 'permissions_in: empty in an unknown workspace');
SELECT is(authz.can_org(:'nowhere', 'org.view'), false, 'can_org: false in an unknown org');
SELECT is(authz.org_role(:'nowhere'), NULL, 'org_role: NULL in an unknown org');

-- Unknown permission names are an error, never a silent false.
SELECT throws_ok(format('SELECT authz.can(%L, %L)', :'alpha', 'x'),
    '42704', 'permission "x" does not exist', 'can: an unknown permission raises 42704');
SELECT throws_ok(format('SELECT authz.can_org(%L, %L)', :'acme', 'x'),
    '42704', 'permission "x" does not exist', 'can_org: an unknown permission raises 42704');
SELECT throws_ok($$SELECT * FROM authz.workspaces('x')$$,
    '42704', 'permission "x" does not exist', 'workspaces: an unknown permission raises 42704');
SELECT throws_ok($$SELECT authz.workspace_array('x')$$,
    '42704', 'permission "x" does not exist', 'workspace_array: an unknown permission raises 42704');
SELECT throws_ok(format('SELECT authz.check(%L, %L, %L)', :'carol', :'alpha', 'x'),
    '42704', 'permission "x" does not exist', 'check: an unknown permission raises 42704');
SELECT throws_ok(format('SELECT * FROM authz.who_can(%L, %L)', :'alpha', 'x'),
    '42704', 'permission "x" does not exist', 'who_can: an unknown permission raises 42704');
SELECT throws_ok(pg_temp.explain_sql(:'carol', :'alpha', 'x'),
    '42704', 'permission "x" does not exist', 'explain: an unknown permission raises 42704');
SELECT authz.set_user(NULL);
SELECT throws_ok(format('SELECT authz.can(%L, %L)', :'alpha', 'x'),
    '42704', 'permission "x" does not exist', 'can: an unknown permission raises 42704 even when no user is set');

-- STRICT: a NULL argument gives NULL.
SELECT authz.set_user(:'carol');
SELECT is(authz.can(NULL, 'workspace.view'), NULL, 'can: NULL workspace gives NULL');
SELECT is(authz.can(:'alpha', NULL), NULL, 'can: NULL permission gives NULL');
SELECT is(authz.can_org(NULL, 'org.view'), NULL, 'can_org: NULL org gives NULL');
SELECT is(authz.role_in(NULL), NULL, 'role_in: NULL workspace gives NULL');
SELECT is(authz.org_role(NULL), NULL, 'org_role: NULL org gives NULL');
SELECT is(authz.permissions_in(NULL)::text, NULL, 'permissions_in: NULL workspace gives NULL');
SELECT is(authz.check(NULL, :'alpha', 'workspace.view'), NULL, 'check: NULL user gives NULL');
SELECT is(authz.workspace_array(NULL), NULL, 'workspace_array: NULL permission gives NULL');
SELECT is_empty('SELECT * FROM authz.workspaces(NULL)', 'workspaces: NULL permission gives no rows');
SELECT throws_ok($$SELECT * FROM authz.who_can(NULL, 'workspace.view')$$,
    '22004', 'workspace_id must not be NULL', 'who_can: a NULL workspace is refused with 22004');
SELECT throws_ok(format('SELECT * FROM authz.explain(NULL, %L, %L)', :'alpha', 'workspace.view'),
    '22004', 'user_id must not be NULL', 'explain: a NULL user is refused with 22004');

-- ---------------------------------------------------------------------------
-- workspaces() and workspace_array(): every workspace where the current user
-- holds the permission, nothing else.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(:'alice');
SELECT set_eq('SELECT * FROM authz.workspaces()',
    ARRAY[:'alice_home', :'alpha', :'beta', :'gamma', :'delta']::uuid[],
    'workspaces: an org owner sees their personal workspace and every workspace of the org');
SELECT authz.set_user(:'carol');
SELECT set_eq('SELECT * FROM authz.workspaces()',
    ARRAY[:'carol_home', :'alpha', :'gamma', :'delta']::uuid[],
    'workspaces: a member sees their personal workspace, their participation, the shared and the open workspace');
SELECT set_eq($$SELECT * FROM authz.workspaces('content.update')$$,
    ARRAY[:'carol_home']::uuid[],
    'workspaces(content.update): a viewer, shared viewer and open-workspace member edits only in their personal workspace');
SELECT is(pg_temp.sorted(authz.workspace_array()), ARRAY(SELECT x FROM authz.workspaces() x ORDER BY x),
    'workspace_array holds the same workspaces as workspaces()');
SELECT authz.set_user(:'erin');
SELECT set_eq('SELECT * FROM authz.workspaces()',
    ARRAY[:'erin_home', :'alpha']::uuid[],
    'workspaces: a guest sees their personal workspace and the workspace they participate in only');
SELECT authz.set_user(:'bob');
SELECT set_eq('SELECT * FROM authz.workspaces()',
    ARRAY[:'bob_home', :'alpha', :'beta', :'gamma', :'delta']::uuid[],
    'workspaces: an org admin sees every workspace of the org through the admin role');
SELECT set_eq($$SELECT * FROM authz.workspaces('workspace.delete')$$,
    ARRAY[:'bob_home']::uuid[],
    'workspaces(workspace.delete): an org admin may delete only their personal workspace');
SELECT authz.set_user(:'dave');
SELECT set_eq($$SELECT * FROM authz.workspaces('content.update')$$,
    ARRAY[:'dave_home', :'alpha']::uuid[],
    'workspaces(content.update): a team member edits where the team is a member');
SELECT authz.set_user(:'frank');
SELECT set_eq($$SELECT * FROM authz.workspaces('content.update')$$,
    ARRAY[:'frank_home', :'alpha']::uuid[],
    'workspaces(content.update): a collaborator edits where they participate as member');
SELECT is(pg_temp.sorted(authz.workspace_array('content.update')), ARRAY(SELECT x FROM authz.workspaces('content.update') x ORDER BY x),
    'workspace_array(content.update) holds the same workspaces as workspaces(content.update)');
SELECT authz.set_user(:'zed');
SELECT set_eq('SELECT * FROM authz.workspaces()', ARRAY[:'zed_home']::uuid[],
    'workspaces: a user with no org and no participation sees only their personal workspace');
SELECT authz.set_user(:'hank');
SELECT is_empty('SELECT * FROM authz.workspaces()', 'workspaces: a deactivated user sees nothing');

-- ---------------------------------------------------------------------------
-- who_can: exactly the users holding the permission, with their role.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(NULL);
SELECT set_eq(pg_temp.who_can_sql(:'alpha', 'workspace.view'),
    format($$VALUES (%L::uuid, 'owner'::text), (%L, 'admin'), (%L, 'member'), (%L, 'member'), (%L, 'viewer'), (%L, 'viewer')$$,
           :'alice', :'bob', :'dave', :'frank', :'carol', :'erin'),
    'who_can: direct participants, team members, org admins, guests and collaborators who participate, not the deactivated admin');
SELECT results_eq(format('SELECT role FROM authz.who_can(%L, %L)', :'alpha', 'workspace.view'),
    ARRAY['owner', 'admin', 'member', 'member', 'viewer', 'viewer']::text[],
    'who_can: rows come in decreasing rank');
SELECT set_eq(pg_temp.who_can_sql(:'alpha', 'content.update'),
    format($$VALUES (%L::uuid, 'owner'::text), (%L, 'admin'), (%L, 'member'), (%L, 'member')$$,
           :'alice', :'bob', :'dave', :'frank'),
    'who_can(content.update): only the roles that hold it');
SELECT set_eq(pg_temp.who_can_sql(:'gamma', 'content.read'),
    format($$VALUES (%L::uuid, 'owner'::text), (%L, 'admin'), (%L, 'viewer'), (%L, 'viewer'), (%L, 'viewer')$$,
           :'alice', :'bob', :'carol', :'dave', :'gina'),
    'who_can in a shared workspace: every non-guest org member with the shared role');
SELECT set_eq(pg_temp.who_can_sql(:'delta', 'workspace.view'),
    format($$VALUES (%L::uuid, 'owner'::text), (%L, 'admin'), (%L, NULL), (%L, NULL), (%L, NULL)$$,
           :'alice', :'bob', :'carol', :'dave', :'gina'),
    'who_can in an open workspace: non-guest org members may view it, with no role');

SELECT authz.set_user(:'gina');
SET ROLE regress_checks_app;
SELECT throws_ok(pg_temp.who_can_sql(:'alpha', 'workspace.view'),
    '42501', 'permission denied: "members.view" is required in workspace "acme/alpha"',
    'who_can: refused to a user without members.view in the workspace');
RESET ROLE;
SELECT authz.set_user(:'carol');
SET ROLE regress_checks_app;
SELECT set_eq(pg_temp.who_can_sql(:'alpha', 'content.update'),
    format($$VALUES (%L::uuid, 'owner'::text), (%L, 'admin'), (%L, 'member'), (%L, 'member')$$,
           :'alice', :'bob', :'dave', :'frank'),
    'who_can: answered for a user with members.view (a viewer)');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- explain: one row per source, then grant and deny, then the result.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(NULL);
SELECT results_eq(pg_temp.explain_sql(:'carol', :'alpha', 'content.update'),
    $$VALUES ('participant'::text, 'viewer'::text, false), ('result', 'viewer', false)$$,
    'explain: a direct viewer asking content.update: the participant row does not grant it, result false');
SELECT results_eq(pg_temp.explain_sql(:'dave', :'alpha', 'content.update'),
    $$VALUES ('team eng'::text, 'member'::text, true), ('result', 'member', true)$$,
    'explain: a team source is named after the team');
SELECT results_eq(pg_temp.explain_sql(:'alice', :'beta', 'workspace.delete'),
    $$VALUES ('participant'::text, 'owner'::text, true), ('org admin', 'admin', false), ('result', 'owner', true)$$,
    'explain: every source in order, each saying whether its role grants the permission');
SELECT results_eq(pg_temp.explain_sql(:'bob', :'beta', 'content.update'),
    $$VALUES ('org admin'::text, 'admin'::text, true), ('result', 'admin', true)$$,
    'explain: the org admin source');
SELECT results_eq(pg_temp.explain_sql(:'carol', :'gamma', 'content.read'),
    $$VALUES ('shared workspace'::text, 'viewer'::text, true), ('result', 'viewer', true)$$,
    'explain: the shared workspace source with its shared role');
SELECT results_eq(pg_temp.explain_sql(:'carol', :'delta', 'workspace.view'),
    $$VALUES ('open workspace'::text, NULL::text, true), ('result', NULL, true)$$,
    'explain: the open workspace source has no role and grants workspace.view');
SELECT results_eq(pg_temp.explain_sql(:'carol', :'delta', 'content.read'),
    $$VALUES ('open workspace'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: the open workspace source grants nothing but workspace.view');
SELECT results_eq(pg_temp.explain_sql(:'carol', :'carol_home', 'workspace.delete'),
    $$VALUES ('personal'::text, 'owner'::text, true), ('result', 'owner', true)$$,
    'explain: the personal source');
SELECT results_eq(pg_temp.explain_sql(:'zed', :'alpha', 'workspace.view'),
    $$VALUES ('no role'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: "no role" when the user has no source');
SELECT results_eq(pg_temp.explain_sql(:'nowhere', :'alpha', 'workspace.view'),
    $$VALUES ('unknown user'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: an unknown user');
SELECT results_eq(pg_temp.explain_sql(:'hank', :'alpha', 'workspace.view'),
    $$VALUES ('deactivated user'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: a deactivated user');
SELECT results_eq(pg_temp.explain_sql(:'carol', :'nowhere', 'workspace.view'),
    $$VALUES ('unknown workspace'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: an unknown workspace');

SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'carol', '{content.create}');
SELECT authz.deny(:'alpha', :'frank', '{content.delete}');
SELECT authz.set_user(NULL);
SELECT results_eq(pg_temp.explain_sql(:'carol', :'alpha', 'content.create'),
    $$VALUES ('participant'::text, 'viewer'::text, false), ('grant', NULL, true), ('result', 'viewer', true)$$,
    'explain: a grant row after the sources, and the result true');
SELECT results_eq(pg_temp.explain_sql(:'frank', :'alpha', 'content.delete'),
    $$VALUES ('participant'::text, 'member'::text, true), ('deny', NULL, false), ('result', 'member', false)$$,
    'explain: a deny row after the sources, and the result false');

-- Who may ask about whom.
SELECT authz.set_user(:'gina');
SET ROLE regress_checks_app;
SELECT throws_ok(pg_temp.explain_sql(:'carol', :'alpha', 'content.read'),
    '42501', 'permission denied: "members.view" is required in workspace "acme/alpha"',
    'explain: about another user, refused without members.view in the workspace');
SELECT results_eq(pg_temp.explain_sql(:'gina', :'alpha', 'content.read'),
    $$VALUES ('no role'::text, NULL::text, false), ('result', NULL, false)$$,
    'explain: about oneself, allowed without members.view');
RESET ROLE;
SELECT authz.set_user(:'erin');
SET ROLE regress_checks_app;
SELECT results_eq(pg_temp.explain_sql(:'frank', :'alpha', 'content.read'),
    $$VALUES ('participant'::text, 'member'::text, true), ('result', 'member', true)$$,
    'explain: about another user, allowed with members.view in the workspace');
SELECT throws_ok(format('SELECT authz.check(%L, %L, %L)', :'carol', :'alpha', 'content.read'),
    '42501', 'permission denied for function check',
    'check: refused to an untrusted role');
RESET ROLE;

-- check answers for any user when the trusted caller acts for the platform
-- (no user asserted); once a user is asserted, only for that user.
SELECT authz.set_user(:'zed');
SELECT throws_ok(format('SELECT authz.check(%L, %L, %L)', :'carol', :'alpha', 'content.read'), '42501',
    'permission denied to check the permissions of another user while acting for a user',
    'check: refused about another user once a user is asserted, even to a trusted role');
SELECT is(authz.check(:'zed', :'alpha', 'content.read'), false,
    'check: about the asserted user themselves, still answered');
SELECT authz.set_user(NULL);
SELECT is(authz.check(:'carol', :'alpha', 'content.read'), true,
    'check: another user''s permission, for a trusted role asserting no user');
SELECT is(authz.check(:'carol', :'alpha', 'content.update'), false,
    'check: false for a permission the other user lacks');
SELECT is(authz.check(:'erin', :'gamma', 'workspace.view'), false,
    'check: a guest gets nothing from a shared workspace');
SELECT is(authz.check(:'carol', :'gamma', 'workspace.view'), true,
    'check: a member views a shared workspace');

-- ---------------------------------------------------------------------------
-- One call site asked about several permissions answers each of them (checks
-- in a query over many rows, and the checks inside the administration
-- functions, run the same function with different permissions).
-- ---------------------------------------------------------------------------
SELECT authz.set_user(:'carol');
SELECT is(ARRAY(SELECT authz.can(:'alpha', p) FROM unnest('{content.read,content.update,workspace.view}'::text[]) WITH ORDINALITY t(p, n) ORDER BY n),
    '{t,f,t}'::boolean[],
    'can: one query asking content.read, content.update, workspace.view answers each permission');
SELECT is(ARRAY(SELECT authz.can_org(:'acme', p) FROM unnest('{org.view,org.delete}'::text[]) WITH ORDINALITY t(p, n) ORDER BY n),
    '{t,f}'::boolean[],
    'can_org: one query asking org.view, org.delete answers each permission');
SELECT is(ARRAY(SELECT authz.check(authz.current_user_id(), :'alpha', p) FROM unnest('{content.update,content.read}'::text[]) WITH ORDINALITY t(p, n) ORDER BY n),
    '{f,t}'::boolean[],
    'check: one query asking content.update, content.read answers each permission');
SET ROLE regress_checks_app;
SELECT lives_ok(format('SELECT count(*) FROM authz.who_can(%L, %L)', :'alpha', 'workspace.view'),
    'a viewer may list who can view the workspace (members.view)');
SELECT throws_ok(format('SELECT authz.add_member(%L, %L, %L)', :'alpha', :'frank', 'viewer'),
    '42501', 'permission denied: "members.manage" is required in workspace "acme/alpha"',
    'a viewer still may not add members afterwards in the same transaction (members.manage)');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- A change made in this transaction is seen by the next check at once; a
-- change rolled back to a savepoint is never seen.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(:'gina');
SELECT is(authz.can(:'beta', 'content.read'), false, 'before being added, gina cannot read beta');
SELECT authz.set_user(:'alice');
SELECT pg_temp.add_member(:'beta', :'gina', 'viewer');
SELECT authz.set_user(:'gina');
SELECT is(authz.can(:'beta', 'content.read'), true, 'add_member is seen by the next check in the same transaction');
SELECT authz.set_user(:'alice');
SELECT authz.set_role(:'beta', :'gina', 'member');
SELECT authz.set_user(:'gina');
SELECT is(authz.role_in(:'beta'), 'member', 'set_role is seen by the next check in the same transaction');
SELECT authz.set_user(:'alice');
SELECT authz.remove_member(:'beta', :'gina');
SELECT authz.set_user(:'gina');
SELECT is(authz.can(:'beta', 'content.read'), false, 'remove_member is seen by the next check in the same transaction');

SAVEPOINT before_change;
SELECT authz.set_user(:'alice');
SELECT pg_temp.add_member(:'beta', :'gina', 'member');
SELECT authz.set_user(:'gina');
SELECT authz.can(:'beta', 'content.update') AS inside_savepoint \gset
ROLLBACK TO SAVEPOINT before_change;
SELECT is(:'inside_savepoint'::boolean, true, 'inside the savepoint the new participation was seen');
SELECT authz.set_user(:'gina');
SELECT is(authz.can(:'beta', 'content.update'), false,
    'after ROLLBACK TO SAVEPOINT the rolled-back participation is not seen');
SELECT is(authz.role_in(:'beta'), NULL, 'after ROLLBACK TO SAVEPOINT gina has no role in beta');

SELECT * FROM finish();
ROLLBACK;
