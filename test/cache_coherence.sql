-- Cache coherence across sessions (SPEC 3, performance contract): a change
-- committed by one session is visible to every other session's next
-- transaction, and to the changing session at once; a rollback leaves no
-- trace; a small cache (workspace_authz.cache_size) never changes answers.
--
-- Session A (dblink 'a') makes changes, session B (dblink 'b') asks checks with
-- a warm cache. Both connect as the superuser and act as users through
-- authz.set_user(user, false). Fixtures are committed: this file runs without
-- an outer transaction, and its database is thrown away afterwards.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(105);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

-- Connection string for another session of this database.
CREATE FUNCTION conninfo(role name DEFAULT 'postgres') RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), role,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

-- Run a statement in another session: '00000' when it succeeded, else its SQLSTATE.
CREATE FUNCTION remote_state(conn text, query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

CREATE FUNCTION remote_bool(conn text, query text) RETURNS boolean LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, query) AS t(v boolean)
$$;

CREATE FUNCTION remote_text(conn text, query text) RETURNS text LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, query) AS t(v text)
$$;

-- Run a statement in another session; its errors are ours.
CREATE PROCEDURE remote(conn text, query text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
END
$$;

-- Make a session act as a fixture user until told otherwise.
CREATE PROCEDURE act_as(conn text, who text) LANGUAGE sql AS $$
    CALL remote(conn, format('SELECT authz.set_user(%L::uuid, false)', fx(who)))
$$;

-- authz.can for the session's current user, asked in that session.
CREATE FUNCTION can_in(conn text, ws text, perm text) RETURNS boolean LANGUAGE sql AS $$
    SELECT remote_bool(conn, format('SELECT authz.can(%L::uuid, %L)', fx(ws), perm))
$$;

-- A statement run for the platform: the session's asserted user is set aside
-- for the call (a trusted role acts for the platform only while it asserts
-- no user), and comes back after it.
CREATE FUNCTION platform_exec(query text) RETURNS void
    LANGUAGE plpgsql SET workspace_authz.user_id = '' AS $$
BEGIN
    EXECUTE query;
END
$$;
CREATE FUNCTION platform_check(who uuid, ws uuid, perm text) RETURNS boolean
    LANGUAGE sql SET workspace_authz.user_id = '' AS $$ SELECT authz.check(who, ws, perm) $$;

-- authz.check for a given user, asked in that session for the platform (a superuser, so trusted).
CREATE FUNCTION check_in(conn text, who text, ws text, perm text) RETURNS boolean LANGUAGE sql AS $$
    SELECT remote_bool(conn, format('SELECT platform_check(%L::uuid, %L::uuid, %L)', fx(who), fx(ws), perm))
$$;

-- One call site of authz.check evaluated twice, with a role change in between
-- (made by the owner): the per-call-site memo must not hide the change made by
-- its own session.
CREATE FUNCTION check_change_check(ws uuid, who uuid, new_role text, perm text) RETURNS text
    LANGUAGE plpgsql SET workspace_authz.user_id = '' AS $$
DECLARE
    answers text[] := '{}';
BEGIN
    FOR i IN 1..2 LOOP
        answers := answers || authz.check(who, ws, perm)::text;
        IF i = 1 THEN
            PERFORM set_config('workspace_authz.user_id', fx('o')::text, true);
            PERFORM authz.set_role(ws, who, new_role);
            PERFORM set_config('workspace_authz.user_id', '', true);
        END IF;
    END LOOP;
    RETURN array_to_string(answers, ' then ');
END
$$;

-- Bytes held by this backend's authorization cache (the context and its hash tables).
-- PostgreSQL 18 describes the hierarchy by path instead of parent name.
CREATE FUNCTION cache_bytes() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    bytes bigint;
BEGIN
    IF current_setting('server_version_num')::int >= 180000 THEN
        EXECUTE $q$
            SELECT coalesce(sum(c.total_bytes), 0)::bigint
              FROM pg_backend_memory_contexts c, pg_backend_memory_contexts p
             WHERE p.name = 'workspace_authz cache' AND p.path[array_length(p.path, 1)] = ANY (c.path)
        $q$ INTO bytes;
    ELSE
        EXECUTE $q$
            SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts
             WHERE name = 'workspace_authz cache' OR parent = 'workspace_authz cache'
        $q$ INTO bytes;
    END IF;
    RETURN bytes;
END
$$;

-- ---- fixture (committed) ---------------------------------------------------

DO $$
DECLARE
    u record;
BEGIN
    FOR u IN SELECT * FROM (VALUES ('o', 'owner'), ('v', 'viewer'), ('m', 'member'), ('d', 'denied'),
                                   ('x', 'leaving'), ('t', 'teamed'), ('g', 'promoted'), ('s', 'sharer'),
                                   ('p', 'perm'), ('r1', 'rollback'), ('r2', 'savepoint'), ('l', 'self'),
                                   ('k', 'memo'), ('q', 'repeatable'), ('big', 'big')) AS x(name, handle)
    LOOP
        INSERT INTO fx VALUES (u.name, authz.create_user('coh-' || u.handle, 'coh-' || u.handle || '@example.com'));
    END LOOP;
    INSERT INTO fx VALUES ('x_personal', authz.personal_workspace(fx('x')));

    PERFORM authz.set_user(fx('o'), false);
    INSERT INTO fx VALUES ('org', authz.create_org('coh'));
    INSERT INTO fx VALUES ('ws', authz.create_workspace(fx('org'), 'main'));
    INSERT INTO fx VALUES ('ws2', authz.create_workspace(fx('org'), 'later-shared'));
    PERFORM pg_temp.add_member(fx('ws'), fx(m.u), m.r)
       FROM (VALUES ('v', 'viewer'), ('m', 'member'), ('d', 'member'), ('x', 'member'),
                    ('p', 'member'), ('r1', 'viewer'), ('r2', 'viewer'), ('l', 'member'),
                    ('k', 'viewer'), ('q', 'viewer')) AS m(u, r);
    PERFORM pg_temp.add_org_member(fx('org'), fx(x), 'member') FROM unnest('{t,g,s}'::text[]) x;
    INSERT INTO fx VALUES ('team', authz.create_team(fx('org'), 'editors'));
    PERFORM authz.add_team(fx('ws'), fx('team'), 'member');
    INSERT INTO fx VALUES ('bulk_team', authz.create_team(fx('org'), 'bulk'));
    PERFORM authz.set_user(NULL, false);
END
$$;

DO $$ BEGIN PERFORM dblink_connect('a', conninfo()); PERFORM dblink_connect('b', conninfo()); END $$;
CALL act_as('a', 'o');

-- ---- a role change -----------------------------------------------------------

CALL act_as('b', 'v');
SELECT is(can_in('b', 'ws', 'content.update'), false,
    'role change: B (viewer, warm cache) cannot update content');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.set_role(%L, %L, %L)', fx('ws'), fx('v'), 'member')), '00000',
    'role change: A makes the viewer a member, not committed yet');
SELECT is(check_in('a', 'v', 'ws', 'content.update'), true,
    'role change: A sees its own uncommitted change at once');
SELECT is(can_in('b', 'ws', 'content.update'), false,
    'role change: B does not see the uncommitted change');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.update'), true,
    'role change: B''s next transaction sees the committed change');
SELECT is(remote_text('b', format('SELECT authz.role_in(%L)', fx('ws'))), 'member',
    'role change: B''s role_in reports the new role');

-- ---- removing a member -------------------------------------------------------

CALL act_as('b', 'm');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'removal: B (member) reads content');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('ws'), fx('m'))), '00000',
    'removal: A removes the member, not committed yet');
SELECT is(check_in('a', 'm', 'ws', 'content.read'), false, 'removal: A sees the removal at once');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'removal: B still reads before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.read'), false, 'removal: B''s next transaction no longer reads');
SELECT is(remote_bool('b', format('SELECT %L::uuid = ANY (authz.workspace_array(''workspace.view''))', fx('ws'))),
    false, 'removal: the workspace left B''s workspace list too');

-- ---- a deny --------------------------------------------------------------------

CALL act_as('b', 'd');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'deny: B (member) reads content');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.deny(%L, %L, %L)', fx('ws'), fx('d'), '{content.read}')), '00000',
    'deny: A denies content.read, not committed yet');
SELECT is(check_in('a', 'd', 'ws', 'content.read'), false, 'deny: A sees the deny at once');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'deny: B still reads before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.read'), false, 'deny: B''s next transaction is denied');
SELECT is(can_in('b', 'ws', 'content.update'), true, 'deny: B''s other permissions are untouched');

-- ---- deactivating a user -------------------------------------------------------

CALL act_as('b', 'x');
SELECT is(can_in('b', 'ws', 'workspace.view'), true, 'deactivation: B (member) sees the workspace');
SELECT is(can_in('b', 'x_personal', 'workspace.view'), true, 'deactivation: B sees its personal workspace');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT platform_exec(format(''SELECT authz.deactivate_user(%%L)'', %L::uuid))', fx('x'))), '00000',
    'deactivation: A deactivates the user, not committed yet');
SELECT is(check_in('a', 'x', 'ws', 'workspace.view'), false, 'deactivation: A sees it at once');
SELECT is(can_in('b', 'ws', 'workspace.view'), true,
    'deactivation: B still sees the workspace before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'workspace.view'), false,
    'deactivation: B''s next transaction sees no workspace');
SELECT is(can_in('b', 'x_personal', 'workspace.view'), false,
    'deactivation: B''s next transaction does not see its personal workspace either');

-- ---- joining a team that participates --------------------------------------------

CALL act_as('b', 't');
SELECT is(can_in('b', 'ws', 'content.read'), false, 'team: B (org member, private workspace) reads nothing');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.add_team_member(%L, %L)', fx('team'), fx('t'))), '00000',
    'team: A adds B''s user to a participating team, not committed yet');
SELECT is(check_in('a', 't', 'ws', 'content.read'), true, 'team: A sees the team source at once');
SELECT is(can_in('b', 'ws', 'content.read'), false, 'team: B does not read before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'team: B''s next transaction reads through the team');

-- ---- changing the org role ---------------------------------------------------

CALL act_as('b', 'g');
SELECT is(can_in('b', 'ws', 'members.manage'), false, 'org role: B (org member) cannot manage members');
SELECT is(remote_bool('b', format('SELECT authz.can_org(%L, %L)', fx('org'), 'org.members.manage')), false,
    'org role: B cannot manage org members');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.set_org_role(%L, %L, %L)', fx('org'), fx('g'), 'admin')), '00000',
    'org role: A makes B''s user an org admin, not committed yet');
SELECT is(check_in('a', 'g', 'ws', 'members.manage'), true, 'org role: A sees the org admin source at once');
SELECT is(can_in('b', 'ws', 'members.manage'), false, 'org role: B unchanged before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'members.manage'), true,
    'org role: B''s next transaction manages members as an org admin');
SELECT is(remote_bool('b', format('SELECT authz.can_org(%L, %L)', fx('org'), 'org.members.manage')), true,
    'org role: B''s next transaction holds the org admin permissions');

-- ---- a workspace becoming shared ---------------------------------------------

CALL act_as('b', 's');
SELECT is(can_in('b', 'ws2', 'content.read'), false, 'shared: B (org member) cannot read a private workspace');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('UPDATE authz.workspaces SET visibility = %L WHERE id = %L', 'shared', fx('ws2'))),
    '00000', 'shared: A makes the workspace shared, not committed yet');
SELECT is(check_in('a', 's', 'ws2', 'content.read'), true, 'shared: A sees the shared role at once');
SELECT is(can_in('b', 'ws2', 'content.read'), false, 'shared: B cannot read before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws2', 'content.read'), true, 'shared: B''s next transaction reads as the shared role');
SELECT is(remote_text('b', format('SELECT authz.role_in(%L)', fx('ws2'))), 'viewer',
    'shared: B''s role is the shared role (viewer)');

-- ---- a new permission ----------------------------------------------------------

CALL act_as('b', 'p');
SELECT throws_ok(format($$SELECT can_in('b', 'ws', %L)$$, 'reports.export'), '42704',
    'permission "reports.export" does not exist', 'new permission: B does not know it yet');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', $$SELECT platform_exec('SELECT authz.define_permission(''reports.export'', ''Export reports'', ''{member}'')')$$),
    '00000', 'new permission: A registers it for members, not committed yet');
SELECT is(check_in('a', 'p', 'ws', 'reports.export'), true, 'new permission: A uses it at once');
SELECT throws_ok(format($$SELECT can_in('b', 'ws', %L)$$, 'reports.export'), '42704',
    'permission "reports.export" does not exist', 'new permission: B still does not know it before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'reports.export'), true, 'new permission: B''s next transaction holds it (member)');
SELECT is(remote_bool('b', format('SELECT authz.permissions_in(%L) OPERATOR(authz.@>) authz.permset(%L::text[])',
                                  fx('ws'), '{reports.export,content.read}')), true,
    'new permission: B''s permission set includes it');

-- ---- rollback leaves no trace ----------------------------------------------------

CALL act_as('b', 'r1');
SELECT is(can_in('b', 'ws', 'members.manage'), false, 'rollback: B (viewer) cannot manage members');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.set_role(%L, %L, %L)', fx('ws'), fx('r1'), 'admin')), '00000',
    'rollback: A makes the viewer an admin');
SELECT is(check_in('a', 'r1', 'ws', 'members.manage'), true, 'rollback: A sees the change inside its transaction');
CALL remote('a', 'ROLLBACK');
SELECT is(check_in('a', 'r1', 'ws', 'members.manage'), false, 'rollback: A''s next check gives the old answer');
SELECT is(remote_text('a', format('SELECT authz.role_in(%L)', fx('ws'))), 'owner',
    'rollback: A''s own identity and role are untouched');
SELECT is(can_in('b', 'ws', 'members.manage'), false, 'rollback: B''s next check gives the old answer');
SELECT is(remote_text('b', format('SELECT authz.role_in(%L)', fx('ws'))), 'viewer',
    'rollback: B''s role is still viewer');

-- ---- savepoint rollback --------------------------------------------------------

CALL act_as('b', 'r2');
SELECT is(can_in('b', 'ws', 'content.update'), false, 'savepoint: B (viewer) cannot update content');
CALL remote('a', 'BEGIN');
CALL remote('a', 'SAVEPOINT before_change');
SELECT is(remote_state('a', format('SELECT authz.set_role(%L, %L, %L)', fx('ws'), fx('r2'), 'member')), '00000',
    'savepoint: A makes the viewer a member inside a savepoint');
SELECT is(check_in('a', 'r2', 'ws', 'content.update'), true, 'savepoint: A sees the change inside the savepoint');
CALL remote('a', 'ROLLBACK TO SAVEPOINT before_change');
SELECT is(check_in('a', 'r2', 'ws', 'content.update'), false,
    'savepoint: after ROLLBACK TO SAVEPOINT, A''s check gives the old answer');
CALL remote('a', 'COMMIT');
SELECT is(check_in('a', 'r2', 'ws', 'content.update'), false, 'savepoint: still the old answer after COMMIT');
SELECT is(can_in('b', 'ws', 'content.update'), false, 'savepoint: B gives the old answer');

-- ---- the changing session's own identity ---------------------------------------

CALL act_as('b', 'l');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'leaving: B (member) reads content');
CALL act_as('a', 'l');
SELECT is(can_in('a', 'ws', 'content.read'), true, 'leaving: A, acting as the same member, reads content');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('ws'), fx('l'))), '00000',
    'leaving: A leaves the workspace, not committed yet');
SELECT is(can_in('a', 'ws', 'content.read'), false, 'leaving: A''s next statement no longer reads');
SELECT is(can_in('b', 'ws', 'content.read'), true, 'leaving: B still reads before the commit');
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.read'), false, 'leaving: B''s next transaction no longer reads');
CALL act_as('a', 'o');

-- One call site, evaluated before and after a change in the same function call.
CALL act_as('b', 'k');
SELECT is(can_in('b', 'ws', 'members.manage'), false, 'memo: B (viewer) cannot manage members');
SELECT is(remote_text('a', format('SELECT check_change_check(%L, %L, %L, %L)',
                                  fx('ws'), fx('k'), 'admin', 'members.manage')),
    'false then true', 'memo: the same call site sees its own session''s change at the next statement');
SELECT is(remote_text('b', format('SELECT count(*) FROM generate_series(1, 1000) g WHERE authz.can(%L, %L)',
                                  fx('ws'), 'members.manage')), '1000',
    'memo: B''s next transaction sees the change on every row of a scan');

-- ---- a login role mapped to a new user -----------------------------------------
-- Identity from the login role is cached too: mapping the role to a user must
-- reach a session logged in with it at its next transaction.

DROP ROLE IF EXISTS regress_coh_login;
CREATE ROLE regress_coh_login LOGIN;
DO $$ BEGIN PERFORM dblink_connect('c', conninfo('regress_coh_login')); END $$;
SELECT is(remote_text('c', 'SELECT authz.current_user_id()'), NULL,
    'login role: a session of an unmapped login role has no user');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', $$SELECT platform_exec('SELECT authz.create_user(''coh-login'', ''coh-login@example.com'', NULL, ''regress_coh_login'')')$$),
    '00000', 'login role: A creates a user mapped to the login role, not committed yet');
SELECT is(remote_text('c', 'SELECT authz.current_user_id()'), NULL,
    'login role: the mapping is not visible before the commit');
CALL remote('a', 'COMMIT');
SELECT is(remote_text('c', 'SELECT authz.current_user_id()')::uuid,
    (SELECT id FROM authz.users WHERE handle = 'coh-login'),
    'login role: the session''s next transaction is the new user');
SELECT is(remote_bool('c', 'SELECT authz.can(authz.personal_workspace(), ''workspace.view'')'), true,
    'login role: and sees its personal workspace');
DO $$ BEGIN PERFORM dblink_disconnect('c'); END $$;
DROP ROLE regress_coh_login;

-- ---- B inside one REPEATABLE READ transaction ----------------------------------
-- B's checks answer from its transaction snapshot, like its queries: a commit
-- made meanwhile shows in B's next transaction, not in this one, whether or not
-- B has processed the invalidation yet (it does when it next locks a relation).

CALL act_as('b', 'q');
CALL remote('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(can_in('b', 'ws', 'content.update'), false, 'repeatable read: B (viewer) cannot update content');
SELECT is(remote_state('a', format('SELECT authz.set_role(%L, %L, %L)', fx('ws'), fx('q'), 'member')), '00000',
    'repeatable read: A commits a promotion to member');
SELECT is(can_in('b', 'ws', 'content.update'), false,
    'repeatable read: B, same transaction, after the commit: still the snapshot''s answer');
SELECT is(remote_text('b', format('SELECT r.name FROM authz.participants p JOIN authz.roles r ON r.id = p.role_id'
                                  ' WHERE p.workspace_id = %L AND p.user_id = %L', fx('ws'), fx('q'))), 'viewer',
    'repeatable read: B''s snapshot of authz.participants still has the viewer role');
SELECT is(remote_text('b', format('SELECT authz.can(%L, %L) FROM (SELECT count(*) FROM fx) s',
                                  fx('ws'), 'content.update')), 'f',
    'repeatable read: B, same transaction, after locking another relation: the snapshot''s answer still');
CALL remote('b', 'COMMIT');
SELECT is(can_in('b', 'ws', 'content.update'), true,
    'repeatable read: B''s next transaction sees the committed change');

-- ---- org settings, custom roles and projects -------------------------------------

DO $$
BEGIN
    INSERT INTO fx SELECT n, authz.create_user('coh-' || n, 'coh-' || n || '@example.com')
      FROM unnest('{oa,cr,pj}'::text[]) n;
    PERFORM authz.set_user(fx('o'), false);
    INSERT INTO fx VALUES ('org2', authz.create_org('coh2'));
    INSERT INTO fx VALUES ('w3', authz.create_workspace(fx('org2'), 'third'));
    PERFORM pg_temp.add_org_member(fx('org2'), fx('oa'), 'admin');
    PERFORM pg_temp.add_org_member(fx('org2'), fx('cr'), 'member');
    PERFORM pg_temp.add_org_member(fx('org2'), fx('pj'), 'guest');
    PERFORM authz.create_role(fx('org2'), 'tester', 20, '{workspace.view,content.read}');
    PERFORM pg_temp.add_member(fx('w3'), fx('cr'), 'tester');
    INSERT INTO fx VALUES ('proj', authz.create_project(fx('w3'), 'runs'));
    PERFORM authz.set_user(NULL, false);
END
$$;

CALL act_as('b', 'oa');
SELECT is(can_in('b', 'w3', 'members.manage'), true,
    'org settings: B (org admin) manages members through the org''s admin workspace role');
SELECT is(remote_state('a', format('SELECT authz.update_org(%L, %L)', fx('org2'), '{"admin_workspace_role": "viewer"}')),
    '00000', 'org settings: A commits viewer as the role of org admins');
SELECT is(can_in('b', 'w3', 'members.manage'), false,
    'org settings: B''s next transaction no longer manages members');
SELECT is(can_in('b', 'w3', 'content.read'), true, 'org settings: B now holds the viewer role''s permissions');

CALL act_as('b', 'cr');
SELECT is(can_in('b', 'w3', 'content.update'), false, 'custom role: B (tester) cannot update content');
SELECT is(remote_state('a', format('SELECT authz.update_role(%L, %L, permissions => %L)', fx('org2'), 'tester',
                                   '{workspace.view,content.read,content.update}')), '00000',
    'custom role: A commits content.update into the role');
SELECT is(can_in('b', 'w3', 'content.update'), true,
    'custom role: B''s next transaction holds the role''s new permission');

CALL act_as('b', 'pj');
SELECT is(remote_bool('b', format('SELECT authz.can_project(%L, %L)', fx('proj'), 'content.read')), false,
    'project: B (org guest) reads nothing in the project');
SELECT is(remote_state('a', format('SELECT authz.add_project_member(%L, %L, %L)', fx('proj'), fx('pj'), 'viewer')),
    '00000', 'project: A commits B''s user as a project viewer');
SELECT is(remote_bool('b', format('SELECT authz.can_project(%L, %L)', fx('proj'), 'content.read')), true,
    'project: B''s next transaction reads in the project');
SELECT is(can_in('b', 'w3', 'content.read'), false, 'project: and still nothing in the workspace itself');

-- ---- a minimal cache keeps answering correctly -------------------------------
-- 2,000 workspaces where one user (an org guest: no org-derived source) holds
-- assorted direct roles, team roles, grants and denies. What was given is
-- recorded in bulk_roles and bulk_overrides, and the answers are compared with
-- a recomputation from those records (SPEC 3 rules 2-4).

INSERT INTO authz.workspaces (org_id, name)
SELECT fx('org'), 'bulk-' || i FROM generate_series(1, 2000) i;
CREATE TABLE bulk AS
SELECT substr(name, 6)::int AS i, id FROM authz.workspaces WHERE org_id = fx('org') AND name LIKE 'bulk-%';
INSERT INTO authz.participants (workspace_id, user_id, role_id)
SELECT id, fx('o'), '00000000-0000-0000-0000-000000000001' FROM bulk;

CREATE TABLE builtin_roles (name text PRIMARY KEY, id uuid, rank int, can_update boolean);
INSERT INTO builtin_roles VALUES
    ('owner', '00000000-0000-0000-0000-000000000001', 100, true),
    ('admin', '00000000-0000-0000-0000-000000000002', 80, true),
    ('member', '00000000-0000-0000-0000-000000000003', 40, true),
    ('viewer', '00000000-0000-0000-0000-000000000004', 10, false);
CREATE TABLE bulk_roles (id uuid, role text, via_team boolean);
INSERT INTO bulk_roles
SELECT id, (ARRAY['admin', 'member', 'viewer'])[1 + i % 3], false FROM bulk WHERE i % 5 <> 0
UNION ALL
SELECT id, 'member', true FROM bulk WHERE i % 7 = 0;
CREATE TABLE bulk_overrides (id uuid PRIMARY KEY, effect text);
INSERT INTO bulk_overrides
SELECT id, CASE WHEN i % 4 = 0 THEN 'grant' ELSE 'deny' END FROM bulk WHERE i % 4 IN (0, 1) AND i % 5 <> 0;

INSERT INTO authz.participants (workspace_id, user_id, role_id)
SELECT g.id, fx('big'), r.id FROM bulk_roles g JOIN builtin_roles r ON r.name = g.role WHERE NOT g.via_team;
INSERT INTO authz.participants (workspace_id, team_id, role_id)
SELECT g.id, fx('bulk_team'), r.id FROM bulk_roles g JOIN builtin_roles r ON r.name = g.role WHERE g.via_team;
DO $$
BEGIN
    PERFORM authz.set_user(fx('o'), false);
    PERFORM pg_temp.add_org_member(fx('org'), fx('big'), 'guest');
    PERFORM authz.add_team_member(fx('bulk_team'), fx('big'));
    PERFORM CASE effect WHEN 'grant' THEN authz.grant(id, fx('big'), '{content.update}')
                        ELSE authz.deny(id, fx('big'), '{content.update}') END
       FROM bulk_overrides;
    PERFORM authz.set_user(NULL, false);
END
$$;

CREATE VIEW bulk_expected AS
SELECT b.id,
       (EXISTS (SELECT 1 FROM bulk_roles g JOIN builtin_roles r ON r.name = g.role WHERE g.id = b.id AND r.can_update)
        OR EXISTS (SELECT 1 FROM bulk_overrides o WHERE o.id = b.id AND o.effect = 'grant'))
       AND NOT EXISTS (SELECT 1 FROM bulk_overrides o WHERE o.id = b.id AND o.effect = 'deny') AS can_update,
       (SELECT g.role FROM bulk_roles g JOIN builtin_roles r ON r.name = g.role
         WHERE g.id = b.id ORDER BY r.rank DESC LIMIT 1) AS role
  FROM bulk b;

SELECT is((SELECT count(*) FROM bulk_expected WHERE can_update), 1029::bigint,
    'cache size: the reference grants content.update in 1,029 of 2,000 workspaces');

SET workspace_authz.cache_size = '256kB';
SELECT authz.set_user(fx('big'), false) \g /dev/null
SELECT is((SELECT count(*) FROM bulk_expected e WHERE authz.can(e.id, 'content.update') IS DISTINCT FROM e.can_update),
    0::bigint, 'cache size 256kB: can() agrees with the recomputation in all 2,000 workspaces');
SELECT is((SELECT count(*) FROM bulk_expected e WHERE authz.role_in(e.id) IS DISTINCT FROM e.role),
    0::bigint, 'cache size 256kB: role_in() agrees with the recomputation in all 2,000 workspaces');
SELECT set_eq($$SELECT * FROM authz.workspaces('content.update') w WHERE w IN (SELECT id FROM bulk)$$,
              $$SELECT id FROM bulk_expected WHERE can_update$$,
    'cache size 256kB: authz.workspaces() lists exactly the expected workspaces');
SELECT cmp_ok(cache_bytes(), '<', 1048576::bigint,
    'cache size 256kB: the cache stays well under 1 MB');
SELECT diag('cache size 256kB: the cache holds ' || cache_bytes() || ' bytes');

-- One check per statement, as an application would ask them.
CREATE FUNCTION one_by_one() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    bad bigint := 0;
    e record;
BEGIN
    FOR e IN SELECT * FROM bulk_expected LOOP
        IF authz.can(e.id, 'content.update') IS DISTINCT FROM e.can_update THEN
            bad := bad + 1;
        END IF;
    END LOOP;
    RETURN bad;
END
$$;
SELECT is(one_by_one(), 0::bigint, 'cache size 256kB: 2,000 separate checks all agree with the recomputation');

-- A change committed elsewhere while the small cache keeps being refilled.
SELECT is(remote_state('a', format(
    'DO $do$ BEGIN PERFORM authz.reset_permissions(b.id, %L, ''{content.update}'') FROM bulk b JOIN bulk_overrides o USING (id) WHERE b.i <= 500 AND o.effect = ''deny''; END $do$',
    fx('big'))), '00000', 'cache size: another session commits the removal of 100 denies');
DELETE FROM bulk_overrides o USING bulk b WHERE b.id = o.id AND b.i <= 500 AND o.effect = 'deny';
SELECT is(remote_state('a', format(
    'DO $do$ BEGIN PERFORM authz.add_member(id, %L, ''admin'') FROM bulk WHERE i %% 5 = 0 AND i <= 500; END $do$',
    fx('big'))), '00000', 'cache size: another session commits admin roles in 100 more workspaces');
INSERT INTO bulk_roles SELECT id, 'admin', false FROM bulk WHERE i % 5 = 0 AND i <= 500;
SELECT is((SELECT count(*) FROM bulk_expected e WHERE authz.can(e.id, 'content.update') IS DISTINCT FROM e.can_update),
    0::bigint, 'cache size 256kB: after the other session''s commit, can() still agrees everywhere');
SELECT is((SELECT count(*) FROM bulk_expected WHERE can_update), 1187::bigint,
    'cache size: the reference now grants content.update in 1,187 workspaces');

RESET workspace_authz.cache_size;
SELECT is((SELECT count(*) FROM bulk_expected e WHERE authz.can(e.id, 'content.update') IS DISTINCT FROM e.can_update),
    0::bigint, 'default cache size: can() agrees with the recomputation too');
SELECT cmp_ok(cache_bytes(), '>', 262144::bigint,
    'default cache size: the same working set needs more than the 256kB minimum (so the small cache was refilled)');
SELECT diag('default cache size: the cache holds ' || cache_bytes() || ' bytes');
DO $$ BEGIN PERFORM authz.set_user(NULL, false); PERFORM dblink_disconnect('a'); PERFORM dblink_disconnect('b'); END $$;

SELECT * FROM finish();
