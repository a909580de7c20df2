-- Targeted invalidation: a change about one organization or one user reloads
-- only the cache entries read from it, in every session, at their next
-- statement; every other entry stays memoised. Read through
-- authz.cache_stats() of a reader session (dblink 'b') with a warm cache,
-- while a writer session (dblink 'a') commits changes. Both connect as the
-- superuser and act as users through authz.set_user(user, false). Fixtures
-- are committed: this file runs without an outer transaction, and its
-- database is thrown away afterwards.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(43);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

CREATE FUNCTION conninfo() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), current_user,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

CREATE PROCEDURE remote(conn text, query text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
END
$$;

CREATE FUNCTION remote_text(conn text, query text) RETURNS text LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, query) AS t(v text)
$$;

CREATE PROCEDURE act_as(conn text, who text) LANGUAGE sql AS $$
    CALL remote(conn, format('SELECT authz.set_user(%L::uuid, false)', fx(who)))
$$;

-- authz.can in a session, for its current user.
CREATE FUNCTION can_in(conn text, ws text, perm text) RETURNS boolean LANGUAGE sql AS $$
    SELECT remote_text(conn, format('SELECT authz.can(%L::uuid, %L)', fx(ws), perm))::boolean
$$;

-- A counter of authz.cache_stats() in a session.
CREATE FUNCTION stat_in(conn text, counter text) RETURNS bigint LANGUAGE sql AS $$
    SELECT remote_text(conn, format('SELECT %I FROM authz.cache_stats()', counter))::bigint
$$;

-- Every counter but bytes, as one text, to compare before and after.
CREATE FUNCTION work_in(conn text) RETURNS text LANGUAGE sql AS $$
    SELECT remote_text(conn, 'SELECT format(''misses=%s loads=%s resets=%s'', misses, loads, resets)'
                             ' FROM authz.cache_stats()')
$$;

-- The reader's visible workspaces (names, sorted).
CREATE FUNCTION visible_in(conn text) RETURNS text LANGUAGE sql AS $$
    SELECT remote_text(conn, 'SELECT string_agg(w.name, '','' ORDER BY w.name) FROM authz.workspaces w'
                             ' WHERE w.id = ANY (authz.workspace_array(''workspace.view''))')
$$;

-- The reader's warm working set: checks in both orgs and the visible set.
CREATE PROCEDURE warm(conn text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM can_in(conn, 'wb', 'workspace.view'), can_in(conn, 'wb2', 'workspace.view'),
            visible_in(conn);
END
$$;

-- ---- fixtures (committed): org A and org B, unrelated ------------------------

INSERT INTO fx
SELECT n, authz.create_user('regress_tg_' || n, 'regress_tg_' || n || '@example.com')
  FROM unnest(ARRAY['oa', 'ma', 'ob', 'mb', 'xb']) AS n;

SELECT authz.set_user(fx('oa'), false);
INSERT INTO fx VALUES ('A', authz.create_org('regress-tg-a'));
INSERT INTO fx VALUES ('wa', authz.create_workspace(fx('A'), 'wa'));
INSERT INTO fx VALUES ('wa2', authz.create_workspace(fx('A'), 'wa2'));
SELECT authz.set_user(fx('ob'), false);
INSERT INTO fx VALUES ('B', authz.create_org('regress-tg-b'));
INSERT INTO fx VALUES ('wb', authz.create_workspace(fx('B'), 'wb'));
INSERT INTO fx VALUES ('wb2', authz.create_workspace(fx('B'), 'wb2'));
SELECT authz.set_user(NULL, false);
SELECT pg_temp.add_org_member(fx('A'), fx('ma'));
SELECT pg_temp.add_org_member(fx('B'), fx('mb'));
SELECT pg_temp.add_org_member(fx('B'), fx('xb'));
SELECT pg_temp.add_member(fx('wb'), fx('mb'), 'viewer');
SELECT pg_temp.add_member(fx('wb2'), fx('mb'), 'viewer');
SELECT authz.set_user(fx('oa'), false);
INSERT INTO fx VALUES ('team', (SELECT authz.create_team(fx('A'), 'regress-tg-team')));
SELECT authz.set_user(NULL, false);

SELECT dblink_connect('a', conninfo());
SELECT dblink_connect('b', conninfo());
CALL remote('b', 'SET client_min_messages = warning');

-- ===========================================================================
-- A change in org A leaves org B's reader untouched
-- ===========================================================================

CALL act_as('b', 'mb');
CALL warm('b');
SELECT work_in('b') AS before \gset
SELECT stat_in('b', 'invalidations') AS inval_before \gset
CALL warm('b');
SELECT is(work_in('b'), :'before', 'org B''s reader: the same checks again cost nothing (all memoised)');

CALL act_as('a', 'oa');
CALL remote('a', format('SELECT authz.add_member(%L, %L, ''viewer'')', fx('wa'), fx('ma')));
CALL warm('b');
SELECT ok(stat_in('b', 'invalidations') > :inval_before,
    'org B''s reader receives the invalidation of org A''s change');
SELECT is(work_in('b'), :'before',
    'org A''s new participant: org B''s reader reloads nothing and recomputes nothing');

CALL remote('a', format('SELECT authz.update_org(%L, ''{"full_name": "Org A"}'')', fx('A')));
CALL remote('a', format('SELECT authz.create_workspace(%L, ''wa3'')', fx('A')));
CALL warm('b');
SELECT is(work_in('b'), :'before',
    'org A''s settings and a new workspace in org A: org B''s reader still recomputes nothing');

CALL remote('a', format('SELECT authz.add_team_member(%L, %L)', fx('team'), fx('ma')));
CALL remote('a', format('SELECT authz.add_team(%L, %L, ''member'')', fx('wa2'), fx('team')));
CALL warm('b');
SELECT is(work_in('b'), :'before', 'a team of org A joins a workspace: org B''s reader recomputes nothing');

CALL remote('a', 'SELECT authz.set_user(NULL, false)');
CALL remote('a', $$SELECT authz.create_user('regress_tg_new', 'regress_tg_new@example.com')::text$$);
CALL warm('b');
SELECT is(work_in('b'), :'before', 'a new user elsewhere: org B''s reader recomputes nothing');

-- ===========================================================================
-- ... and reaches org A's readers at their next statement
-- ===========================================================================

CALL act_as('b', 'ma');
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'org A''s member sees wa (the participation added above)');
SELECT is(can_in('b', 'wa2', 'workspace.view'), true, 'and wa2, through the team');
SELECT is(can_in('b', 'wa2', 'members.manage'), false, 'the team''s member role does not manage members');
CALL act_as('a', 'oa');
CALL remote('a', format('SELECT authz.add_team(%L, %L, ''admin'')', fx('wa2'), fx('team')));
SELECT is(can_in('b', 'wa2', 'members.manage'), true,
    'the team''s role raised: its member''s next statement holds the new permission');
CALL remote('a', format('SELECT authz.remove_team_member(%L, %L)', fx('team'), fx('ma')));
SELECT is(can_in('b', 'wa2', 'workspace.view'), false,
    'removed from the team: the next statement has lost the workspace');
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wa'), fx('ma')));
SELECT is(can_in('b', 'wa', 'workspace.view'), false,
    'removed from the workspace: the next statement is refused');
CALL remote('a', format('SELECT authz.add_member(%L, %L, ''viewer'')', fx('wa'), fx('ma')));
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'added back: the next statement sees it again');

-- The visible set follows changes about the reader and their orgs.
CALL act_as('b', 'mb');
SELECT is(visible_in('b'), 'regress_tg_mb,wb,wb2', 'org B''s member sees their personal workspace, wb and wb2');
CALL act_as('a', 'ob');
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wb2'), fx('mb')));
SELECT is(visible_in('b'), 'regress_tg_mb,wb', 'removed from wb2: the next visible set has lost it');
CALL remote('a', format('SELECT authz.update_workspace(%L, ''{"visibility": "shared"}'')', fx('wb2')));
SELECT is(visible_in('b'), 'regress_tg_mb,wb,wb2', 'wb2 shared with org B: the next visible set has it again');
CALL remote('a', format('SELECT authz.create_workspace(%L, ''wb3'', ''shared'')', fx('B')));
SELECT is(visible_in('b'), 'regress_tg_mb,wb,wb2,wb3', 'a new shared workspace in org B: the next visible set has it');
CALL remote('a', format('SELECT authz.delete_workspace(id) FROM authz.workspaces WHERE org_id = %L AND name = ''wb3''', fx('B')));
SELECT is(visible_in('b'), 'regress_tg_mb,wb,wb2', 'deleted: gone from the next visible set');

-- Org settings reach the members they concern.
CALL act_as('b', 'xb');
SELECT is(can_in('b', 'wb', 'workspace.view'), false, 'a plain member of org B without a participation does not see wb');
CALL remote('a', format('SELECT authz.set_org_workspace_role(%L, %L, ''viewer'')', fx('B'), fx('xb')));
SELECT is(can_in('b', 'wb', 'workspace.view'), true, 'given an org-wide role: the next statement sees wb');
CALL remote('a', format('SELECT authz.set_org_workspace_role(%L, %L, NULL)', fx('B'), fx('xb')));
SELECT is(can_in('b', 'wb', 'workspace.view'), false, 'the org-wide role cleared: the next statement does not');
CALL remote('a', format('SELECT authz.set_org_role(%L, %L, ''admin'')', fx('B'), fx('xb')));
SELECT is(can_in('b', 'wb', 'workspace.view'), true, 'made org admin: the org''s admin role reaches the next statement');
CALL remote('a', format('SELECT authz.update_org(%L, ''{"admin_workspace_role": null}'')', fx('B')));
SELECT is(can_in('b', 'wb', 'workspace.view'), false,
    'the org no longer gives its admins a workspace role (an org row): the next statement does not see wb');
CALL remote('a', format('SELECT authz.update_org(%L, ''{"admin_workspace_role": "admin"}'')', fx('B')));
SELECT is(can_in('b', 'wb', 'workspace.view'), true, 'given back: it does');

-- A user's own row: deactivation.
CALL act_as('b', 'mb');
SELECT is(can_in('b', 'wb', 'workspace.view'), true, 'mb sees wb');
CALL remote('a', 'SELECT authz.set_user(NULL, false)');
CALL remote('a', format('SELECT authz.deactivate_user(%L)', fx('mb')));
SELECT is(remote_text('b', format('SELECT authz.can(%L::uuid, ''workspace.view'')', fx('wb'))), 'f',
    'deactivated: the next statement of the session asserting them holds nothing');
CALL remote('a', format('UPDATE authz.users SET status = ''active'' WHERE id = %L', fx('mb')));
SELECT is(can_in('b', 'wb', 'workspace.view'), true,
    'reactivated by a plain UPDATE of the table: the next statement sees wb again');

-- ===========================================================================
-- Rollback, savepoints, snapshots, and transactions that change a lot
-- ===========================================================================

CALL act_as('b', 'ma');
CALL act_as('a', 'oa');
CALL remote('a', 'BEGIN');
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wa'), fx('ma')));
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'a change not yet committed does not reach other sessions');
CALL remote('a', 'ROLLBACK');
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'rolled back: no trace in other sessions');
CALL remote('a', 'SELECT authz.set_user(NULL, false)');
SELECT is(remote_text('a', format('SELECT authz.check(%L, %L, ''workspace.view'')', fx('ma'), fx('wa'))), 't',
    'nor in the session that rolled back');

-- A savepoint rolled back, then the same user changed again in the same transaction.
CALL act_as('a', 'oa');
CALL remote('a', 'BEGIN');
CALL remote('a', 'SAVEPOINT s');
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wa'), fx('ma')));
CALL remote('a', 'ROLLBACK TO SAVEPOINT s');
CALL remote('a', format('SELECT authz.set_role(%L, %L, ''admin'')', fx('wa'), fx('ma')));
CALL remote('a', 'COMMIT');
SELECT is(can_in('b', 'wa', 'members.manage'), true,
    'a change made after a savepoint rolled back reaches other sessions at commit');

-- Inside the writer's transaction, each statement sees the one before.
CALL remote('a', 'BEGIN');
CALL remote('a', format('SELECT authz.add_member(%L, %L, ''viewer'')', fx('wa2'), fx('ma')));
SELECT is(remote_text('a', format('SELECT authz.check(%L, %L, ''workspace.view'') FROM (SELECT authz.set_user(NULL)) s', fx('ma'), fx('wa2'))), 't',
    'the writer''s next statement sees its own change');
CALL remote('a', format('SELECT authz.set_user(%L)', fx('oa')));
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wa2'), fx('ma')));
SELECT is(remote_text('a', format('SELECT authz.check(%L, %L, ''workspace.view'') FROM (SELECT authz.set_user(NULL)) s', fx('ma'), fx('wa2'))), 'f',
    'and the statement after that sees the next change to the same user');
CALL remote('a', 'COMMIT');

-- REPEATABLE READ keeps answering from its snapshot.
CALL remote('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'repeatable read: ma sees wa');
CALL act_as('a', 'oa');
CALL remote('a', format('SELECT authz.remove_member(%L, %L)', fx('wa'), fx('ma')));
SELECT is(can_in('b', 'wa', 'workspace.view'), true, 'repeatable read: a revoke committed after the snapshot is not seen');
CALL remote('b', 'COMMIT');
SELECT is(can_in('b', 'wa', 'workspace.view'), false, 'the next transaction sees it');

-- A transaction naming many keys invalidates everything instead.
CALL act_as('b', 'mb');
CALL warm('b');
SELECT stat_in('b', 'resets') AS resets_before \gset
CALL remote('a', 'SELECT authz.set_user(NULL, false)');
CALL remote('a', $$SELECT count(authz.create_user('regress_tg_bulk' || i, 'regress_tg_bulk' || i || '@example.com')) FROM generate_series(1, 70) i$$);
CALL warm('b');
SELECT ok(stat_in('b', 'resets') > :resets_before, 'a transaction that changes 70 users resets every cache once');
SELECT is(can_in('b', 'wb', 'workspace.view'), true, 'and answers are the same after it');

-- A cached answer never outlives what it was read from: the same check asked
-- through one call site (the site's memo) after a change about its user.
CALL act_as('b', 'ma');
SELECT is(remote_text('b', format($q$SELECT string_agg(authz.can(%L::uuid, 'workspace.view')::text, ',') FROM generate_series(1, 3)$q$, fx('wa2'))),
    'false,false,false', 'one call site, three rows: false');
CALL act_as('a', 'oa');
CALL remote('a', format('SELECT authz.add_member(%L, %L, ''viewer'')', fx('wa2'), fx('ma')));
SELECT is(remote_text('b', format($q$SELECT string_agg(authz.can(%L::uuid, 'workspace.view')::text, ',') FROM generate_series(1, 3)$q$, fx('wa2'))),
    'true,true,true', 'after the change, the same call site answers true');

-- Keys are sent as relcache invalidations of no relation: the model's tables
-- keep their cached plans (no invalidation of authz.users per change).
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgname = 'invalidate_rows'
             AND tgrelid::regclass::text LIKE 'authz.%'), 11::bigint,
    'eleven model tables name the rows they change');
SELECT is((SELECT string_agg(tgrelid::regclass::text, ',' ORDER BY tgrelid::regclass::text) FROM pg_trigger
            WHERE tgname = 'invalidate_cache' AND tgtype & 4 <> 0 AND tgrelid::regclass::text LIKE 'authz.%'),
    'authz.org_role_permissions,authz.permissions,authz.role_permissions,authz.roles',
    'the registry and the roles invalidate everything on any change');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgname = 'invalidate_cache' AND tgtype & 32 <> 0
             AND tgrelid::regclass::text LIKE 'authz.%'), 15::bigint,
    'TRUNCATE of any model table invalidates everything');

SELECT dblink_disconnect('a');
SELECT dblink_disconnect('b');
SELECT * FROM finish();
