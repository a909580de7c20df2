-- Last-owner protection when two sessions act at once (SPEC 3): every org
-- workspace keeps an active direct owner and every organization an active
-- owner, also when two sessions remove, demote or deactivate the last two
-- owners concurrently. Session A (dblink 'a') acts first and holds its
-- transaction open; session B (dblink 'b') then runs its change asynchronously,
-- must wait for A's lock, and must fail once A commits.
-- Fixtures are committed: this file runs without an outer transaction.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(58);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

CREATE FUNCTION conninfo(role name DEFAULT 'postgres') RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), role,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

-- Run a statement in another session; its errors are ours.
CREATE PROCEDURE remote(conn text, query text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
END
$$;

CREATE PROCEDURE act_as(conn text, who text) LANGUAGE sql AS $$
    CALL remote(conn, format('SELECT authz.set_user(%L::uuid, false)', fx(who)))
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

-- Start a statement in another session without waiting for it.
CREATE PROCEDURE send(conn text, query text) LANGUAGE plpgsql AS $$
BEGIN
    IF dblink_send_query(conn, query) <> 1 THEN
        RAISE EXCEPTION 'could not send the query to %', conn;
    END IF;
END
$$;

-- Wait for the statement sent to a session: '00000' when it succeeded, else
-- its SQLSTATE followed by the error message.
CREATE FUNCTION await(conn text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    outcome text := '00000';
BEGIN
    BEGIN
        PERFORM * FROM dblink_get_result(conn) AS t(v text);
    EXCEPTION WHEN OTHERS THEN
        outcome := SQLSTATE || ' ' || SQLERRM;
    END;
    PERFORM * FROM dblink_get_result(conn, false) AS t(v text);
    RETURN outcome;
END
$$;

CREATE FUNCTION backend_pid(conn text) RETURNS int LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, 'SELECT pg_backend_pid()') AS t(v int)
$$;

-- Wait (at most 20 s) until a backend waits for a lock.
CREATE FUNCTION waits_for_lock(backend int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..2000 LOOP
        IF EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = backend AND NOT l.granted) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN false;
END
$$;

-- Active direct owners of a workspace, and active owners of an organization.
CREATE FUNCTION ws_owners(ws text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(f.name ORDER BY f.name), '{}')
      FROM authz.participants p JOIN authz.users u ON u.id = p.user_id JOIN fx f ON f.id = u.id
     WHERE p.workspace_id = fx(ws) AND p.role_id = '00000000-0000-0000-0000-000000000001'
       AND u.status = 'active'
$$;
CREATE FUNCTION org_owners(org text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(f.name ORDER BY f.name), '{}')
      FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id JOIN fx f ON f.id = u.id
     WHERE m.org_id = fx(org) AND m.role = 'owner' AND u.status = 'active'
$$;

-- ---- fixture (committed) ---------------------------------------------------
-- Each scenario has its own owners, so a wrongly successful change cannot
-- leak into the next one.

DO $$
DECLARE
    n text;
BEGIN
    FOREACH n IN ARRAY '{o1,o2,ad,x1,x2,d1,d2,d3,d4,r1,r2,r3,r4,s1,s2,q1,q2,oo1,oo2,oo3,oo4,oo5,oo6,oo7,oo8}'::text[]
    LOOP
        INSERT INTO fx VALUES (n, authz.create_user('race-' || n, 'race-' || n || '@example.com'));
    END LOOP;

    PERFORM authz.set_user(fx('o1'), false);
    INSERT INTO fx VALUES ('org', authz.create_org('race'));
    -- workspace name, first owner, second owner
    FOR n IN SELECT unnest('{leave,demote,deact,deact2,rr,rr2,ser,cascade}'::text[]) LOOP
        INSERT INTO fx VALUES (n, authz.create_workspace(fx('org'), n));
        PERFORM pg_temp.add_member(fx(n), fx('ad'), 'admin');
    END LOOP;
    FOR i IN 1..20 LOOP
        INSERT INTO fx VALUES ('loop' || i, authz.create_workspace(fx('org'), 'loop' || i));
        PERFORM pg_temp.add_member(fx('loop' || i), fx('o2'), 'owner');
    END LOOP;
    PERFORM pg_temp.add_member(fx('leave'), fx('o2'), 'owner');
    PERFORM pg_temp.add_member(fx('demote'), fx('o2'), 'owner');
    -- every other scenario: hand the workspace to its own two owners
    PERFORM pg_temp.add_member(fx(w), fx(a), 'owner'), pg_temp.add_member(fx(w), fx(b), 'owner')
       FROM (VALUES ('deact', 'd1', 'd2'), ('deact2', 'd3', 'd4'), ('rr', 'r1', 'r2'),
                    ('rr2', 'r3', 'r4'), ('ser', 's1', 's2'), ('cascade', 'x1', 'x2')) AS x(w, a, b);
    PERFORM authz.remove_member(fx(w), fx('o1'))
       FROM unnest('{deact,deact2,rr,rr2,ser,cascade}'::text[]) w;
    PERFORM pg_temp.add_org_member(fx('org'), fx('x1'), 'member');

    -- organizations with exactly two owners and no workspaces
    FOR n IN SELECT unnest('{1,3,5,7}'::text[]) LOOP
        PERFORM authz.set_user(fx('oo' || n), false);
        INSERT INTO fx VALUES ('org' || n, authz.create_org('race-org' || n));
        PERFORM pg_temp.add_org_member(fx('org' || n), fx('oo' || (n::int + 1)), 'owner');
        PERFORM pg_temp.add_org_member(fx('org' || n), fx('ad'), 'admin');
    END LOOP;
    PERFORM authz.set_user(NULL, false);
END
$$;

SELECT is(ws_owners('leave'), '{o1,o2}', 'fixture: workspace "leave" has exactly two owners');
SELECT is(ws_owners('deact'), '{d1,d2}', 'fixture: workspace "deact" has exactly two owners');
SELECT is(org_owners('org1'), '{oo1,oo2}', 'fixture: organization "race-org1" has exactly two owners');

DO $$ BEGIN PERFORM dblink_connect('a', conninfo()); PERFORM dblink_connect('b', conninfo()); END $$;
CREATE TABLE pids AS SELECT backend_pid('a') AS a, backend_pid('b') AS b;

-- ---- two owners leave at once ----------------------------------------------------

CALL act_as('a', 'o1');
CALL act_as('b', 'o2');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('leave'), fx('o1'))), '00000',
    'leave: A (owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.remove_member(%L, %L)', fx('leave'), fx('o2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'leave: B (owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(await('b'), format('23514 workspace "%s" must keep at least one owner', fx('leave')),
    'leave: once A commits, B is refused with 23514');
SELECT is(ws_owners('leave'), '{o2}', 'leave: exactly one owner is left (the one who stayed)');

-- ---- two owners demote each other at once -------------------------------------

CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.set_role(%L, %L, %L)', fx('demote'), fx('o2'), 'admin')), '00000',
    'demote: A (owner 1) demotes owner 2, not committed yet');
CALL send('b', format('SELECT authz.set_role(%L, %L, %L)', fx('demote'), fx('o1'), 'admin'));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'demote: B (owner 2) demoting owner 1 waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(left(await('b'), 5), '23514', 'demote: once A commits, B is refused with 23514');
SELECT is(ws_owners('demote'), '{o1}', 'demote: exactly one owner is left');

-- ---- a removal and a deactivation at once ---------------------------------------

CALL act_as('a', 'd1');
CALL act_as('b', 'd2');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('deact'), fx('d1'))), '00000',
    'removal + deactivation: A (owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.deactivate_user(%L)', fx('d2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'removal + deactivation: B deactivating owner 2 waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(await('b'), format('23514 workspace "%s" must keep at least one owner', fx('deact')),
    'removal + deactivation: once A commits, the deactivation is refused with 23514');
SELECT is(ws_owners('deact'), '{d2}', 'removal + deactivation: exactly one owner is left');
SELECT is((SELECT status FROM authz.users WHERE id = fx('d2')), 'active',
    'removal + deactivation: the refused deactivation left the user active');

-- The same, the deactivation first.
CALL act_as('a', 'd3');
CALL act_as('b', 'd4');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.deactivate_user(%L)', fx('d3'))), '00000',
    'deactivation + removal: A deactivates owner 1, not committed yet');
CALL send('b', format('SELECT authz.remove_member(%L, %L)', fx('deact2'), fx('d4')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'deactivation + removal: B (owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(left(await('b'), 5), '23514', 'deactivation + removal: once A commits, B is refused with 23514');
SELECT is(ws_owners('deact2'), '{d4}', 'deactivation + removal: exactly one active owner is left');

-- Leaving the organization removes one's participations: it races with a
-- workspace owner leaving like any other removal. (Nobody else may remove
-- owner 1 from the organization: they rank above anyone but an owner of the
-- workspace, as for authz.remove_member.)
CALL act_as('a', 'x1');
CALL act_as('b', 'x2');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_org_member(%L, %L)', fx('org'), fx('x1'))), '00000',
    'org removal + leave: A (owner 1) leaves the organization, not committed yet');
CALL send('b', format('SELECT authz.remove_member(%L, %L)', fx('cascade'), fx('x2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'org removal + leave: B (owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(left(await('b'), 5), '23514', 'org removal + leave: once A commits, B is refused with 23514');
SELECT is(ws_owners('cascade'), '{x2}', 'org removal + leave: exactly one owner is left');

-- ---- organizations: two owners leave at once ---------------------------------------

CALL act_as('a', 'oo1');
CALL act_as('b', 'oo2');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_org_member(%L, %L)', fx('org1'), fx('oo1'))), '00000',
    'org leave: A (org owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.remove_org_member(%L, %L)', fx('org1'), fx('oo2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'org leave: B (org owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(await('b'), format('23514 organization "%s" must keep at least one owner', fx('org1')),
    'org leave: once A commits, B is refused with 23514');
SELECT is(org_owners('org1'), '{oo2}', 'org leave: exactly one org owner is left');

-- ---- organizations: two owners demote each other at once --------------------------

CALL act_as('a', 'oo3');
CALL act_as('b', 'oo4');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.set_org_role(%L, %L, %L)', fx('org3'), fx('oo4'), 'admin')), '00000',
    'org demote: A (org owner 1) demotes org owner 2, not committed yet');
CALL send('b', format('SELECT authz.set_org_role(%L, %L, %L)', fx('org3'), fx('oo3'), 'member'));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'org demote: B (org owner 2) demoting org owner 1 waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(left(await('b'), 5), '23514', 'org demote: once A commits, B is refused with 23514');
SELECT is(org_owners('org3'), '{oo3}', 'org demote: exactly one org owner is left');

-- ---- organizations: a removal and a deactivation at once ----------------------------

CALL act_as('a', 'oo5');
CALL act_as('b', 'oo6');
CALL remote('a', 'BEGIN');
SELECT is(remote_state('a', format('SELECT authz.remove_org_member(%L, %L)', fx('org5'), fx('oo5'))), '00000',
    'org removal + deactivation: A (org owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.deactivate_user(%L)', fx('oo6')));
SELECT ok(waits_for_lock((SELECT b FROM pids)),
    'org removal + deactivation: B deactivating org owner 2 waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT is(left(await('b'), 5), '23514', 'org removal + deactivation: the deactivation is refused with 23514');
SELECT is(org_owners('org5'), '{oo6}', 'org removal + deactivation: exactly one org owner is left');

-- ---- REPEATABLE READ: both sessions --------------------------------------------------
-- Under snapshot isolation B cannot see A's commit; it must fail, with a
-- serialization failure (40001) or the invariant error (23514).

CALL act_as('a', 'r1');
CALL act_as('b', 'r2');
CALL remote('a', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
CALL remote('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(remote_state('b', 'SELECT count(*) FROM authz.participants'), '00000',
    'repeatable read: B takes its snapshot');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('rr'), fx('r1'))), '00000',
    'repeatable read: A (owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.remove_member(%L, %L)', fx('rr'), fx('r2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'repeatable read: B (owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT ok(left(await('b'), 5) IN ('40001', '23514'),
    'repeatable read: once A commits, B fails (40001 or 23514)');
CALL remote('b', 'ROLLBACK');
SELECT is(ws_owners('rr'), '{r2}', 'repeatable read: exactly one owner is left');

-- B's snapshot predates A's whole transaction: no waiting, still no success.
CALL act_as('a', 'r3');
CALL act_as('b', 'r4');
CALL remote('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(remote_state('b', 'SELECT count(*) FROM authz.participants'), '00000',
    'repeatable read, old snapshot: B takes its snapshot first');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('rr2'), fx('r3'))), '00000',
    'repeatable read, old snapshot: A (owner 1) leaves and commits');
SELECT ok(remote_state('b', format('SELECT authz.remove_member(%L, %L)', fx('rr2'), fx('r4'))) IN ('40001', '23514'),
    'repeatable read, old snapshot: B (owner 2) leaving fails (40001 or 23514)');
CALL remote('b', 'ROLLBACK');
SELECT is(ws_owners('rr2'), '{r4}', 'repeatable read, old snapshot: exactly one owner is left');

-- The same for organizations.
CALL act_as('a', 'oo7');
CALL act_as('b', 'oo8');
CALL remote('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(remote_state('b', 'SELECT count(*) FROM authz.org_members'), '00000',
    'repeatable read, org: B takes its snapshot first');
SELECT is(remote_state('a', format('SELECT authz.remove_org_member(%L, %L)', fx('org7'), fx('oo7'))), '00000',
    'repeatable read, org: A (org owner 1) leaves and commits');
SELECT ok(remote_state('b', format('SELECT authz.set_org_role(%L, %L, %L)', fx('org7'), fx('oo8'), 'admin'))
          IN ('40001', '23514'),
    'repeatable read, org: B (org owner 2) demoting itself fails (40001 or 23514)');
CALL remote('b', 'ROLLBACK');
SELECT is(org_owners('org7'), '{oo8}', 'repeatable read, org: exactly one org owner is left');

-- SERIALIZABLE: both sessions, overlapping.
CALL act_as('a', 's1');
CALL act_as('b', 's2');
CALL remote('a', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
CALL remote('b', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT is(remote_state('b', 'SELECT count(*) FROM authz.participants'), '00000',
    'serializable: B takes its snapshot');
SELECT is(remote_state('a', format('SELECT authz.remove_member(%L, %L)', fx('ser'), fx('s1'))), '00000',
    'serializable: A (owner 1) leaves, not committed yet');
CALL send('b', format('SELECT authz.remove_member(%L, %L)', fx('ser'), fx('s2')));
SELECT ok(waits_for_lock((SELECT b FROM pids)), 'serializable: B (owner 2) leaving waits for A''s lock');
CALL remote('a', 'COMMIT');
SELECT ok(left(await('b'), 5) IN ('40001', '23514'), 'serializable: once A commits, B fails (40001 or 23514)');
CALL remote('b', 'ROLLBACK');
SELECT is(ws_owners('ser'), '{s2}', 'serializable: exactly one owner is left');

-- ---- 20 rounds of a real race --------------------------------------------------------
-- Both statements are sent at once, in autocommit. Even rounds: each owner
-- leaves; odd rounds: each owner removes the other. Exactly one may succeed.
-- The loser gets 23514, or 42501 when it is already gone when it starts; o2,
-- who is in no organization, then no longer sees the workspace either, and
-- is refused as for an unknown one (42704). o1 owns the organization and
-- always sees it.

CALL act_as('a', 'o1');
CALL act_as('b', 'o2');
CREATE TABLE rounds (round int PRIMARY KEY, a text, b text, owners text[]);
CREATE PROCEDURE race(round int) LANGUAGE plpgsql AS $$
DECLARE
    ws uuid := fx('loop' || round);
BEGIN
    IF round % 2 = 0 THEN
        CALL send('a', format('SELECT authz.remove_member(%L, %L)', ws, fx('o1')));
        CALL send('b', format('SELECT authz.remove_member(%L, %L)', ws, fx('o2')));
    ELSE
        CALL send('a', format('SELECT authz.remove_member(%L, %L)', ws, fx('o2')));
        CALL send('b', format('SELECT authz.remove_member(%L, %L)', ws, fx('o1')));
    END IF;
    INSERT INTO rounds VALUES (round, left(await('a'), 5), left(await('b'), 5), ws_owners('loop' || round));
END
$$;
CALL race(1); CALL race(2); CALL race(3); CALL race(4); CALL race(5);
CALL race(6); CALL race(7); CALL race(8); CALL race(9); CALL race(10);
CALL race(11); CALL race(12); CALL race(13); CALL race(14); CALL race(15);
CALL race(16); CALL race(17); CALL race(18); CALL race(19); CALL race(20);

SELECT is((SELECT count(*) FROM rounds WHERE cardinality(owners) = 1), 20::bigint,
    'race: after every one of 20 rounds the workspace has exactly one owner');
SELECT is((SELECT count(*) FROM rounds WHERE (a = '00000') <> (b = '00000')), 20::bigint,
    'race: in every round exactly one of the two changes succeeded');
SELECT is((SELECT count(*) FROM rounds
            WHERE (a = '00000' AND b = '23514') OR (b = '00000' AND a = '23514')
               OR (round % 2 = 1 AND ((a = '00000' AND b IN ('42501', '42704')) OR (b = '00000' AND a = '42501')))),
    20::bigint, 'race: the loser was refused with 23514 (or, once removed by the winner, 42501; 42704 for o2, who no longer sees the workspace)');
SELECT is((SELECT count(*) FROM rounds r
            WHERE owners = CASE WHEN (r.a = '00000') = (r.round % 2 = 0) THEN '{o2}'::text[] ELSE '{o1}' END),
    20::bigint, 'race: the owner left is the one the winner did not remove');
SELECT diag('race: rounds won by A: ' || count(*) FILTER (WHERE a = '00000')
            || ', by B: ' || count(*) FILTER (WHERE b = '00000')
            || '; losers refused with 23514: ' || count(*) FILTER (WHERE '23514' IN (a, b))
            || ', with 42501: ' || count(*) FILTER (WHERE '42501' IN (a, b))
            || ', with 42704: ' || count(*) FILTER (WHERE '42704' IN (a, b))) FROM rounds;

DO $$ BEGIN PERFORM dblink_disconnect('a'); PERFORM dblink_disconnect('b'); END $$;

SELECT * FROM finish();
