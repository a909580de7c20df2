-- Participant limits under concurrency (feature: participant limits). Two
-- sessions adding the last allowed participant of a workspace at once:
-- exactly one succeeds. In READ COMMITTED the second waits for the first's
-- lock on the workspace row, then gets 23514; in REPEATABLE READ it gets 40001
-- or 23514; never one participant too many. (The change feed is tested in
-- trust_ops.sql.) Sessions A and B (dblink 'a' and 'b') act. The fixtures are
-- committed: this file runs without an outer transaction, in a database
-- thrown away afterwards. Every session connects as the superuser running the
-- file, so no login role is created.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(45);

-- ---- helpers ---------------------------------------------------------------

-- Fixture objects by name.
CREATE TABLE named (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION id_of(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM named WHERE name = $1 $$;

CREATE FUNCTION peer_conninfo() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), current_user,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

-- Run a command in a session; an error there is an error here.
CREATE PROCEDURE on_peer(conn text, command text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, command) AS r(v text);
END
$$;

-- Run a command in a session: '00000' when it worked, else SQLSTATE and message.
CREATE FUNCTION peer_outcome(conn text, command text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, command) AS r(v text);
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- Make a session act as a fixture user for the rest of its life.
CREATE PROCEDURE peer_user(conn text, who text) LANGUAGE sql AS $$
    CALL on_peer(conn, format('SELECT authz.set_user(%L, false)', id_of(who)))
$$;

-- Start a command in a session without waiting; collect its outcome later.
CREATE PROCEDURE peer_start(conn text, command text) LANGUAGE plpgsql AS $$
BEGIN
    IF dblink_send_query(conn, command) <> 1 THEN
        RAISE EXCEPTION 'session % did not take the command', conn;
    END IF;
END
$$;
CREATE FUNCTION peer_result(conn text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text := '00000';
BEGIN
    BEGIN
        PERFORM * FROM dblink_get_result(conn) AS r(v text);
    EXCEPTION WHEN OTHERS THEN
        result := SQLSTATE || ' ' || SQLERRM;
    END;
    -- the end of the results, so the connection takes the next command
    PERFORM * FROM dblink_get_result(conn, false) AS r(v text);
    RETURN result;
END
$$;

CREATE TABLE pids (conn text PRIMARY KEY, pid int NOT NULL);

-- Whether session `waiter` is (within 20 s) blocked on a lock that session
-- `holder` holds, as pg_stat_activity and pg_blocking_pids tell.
CREATE FUNCTION blocked_by(waiter text, holder text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    w int := (SELECT pid FROM pids WHERE conn = waiter);
    h int := (SELECT pid FROM pids WHERE conn = holder);
BEGIN
    FOR attempt IN 1..2000 LOOP
        PERFORM pg_stat_clear_snapshot();   -- read the activity afresh each time
        IF EXISTS (SELECT 1 FROM pg_stat_activity a
                    WHERE a.pid = w AND a.wait_event_type = 'Lock' AND h = ANY (pg_blocking_pids(w))) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN false;
END
$$;

-- Unexpired participants of a workspace: how many, and who (users by handle, teams as 'team').
CREATE FUNCTION seats(ws text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM authz.participants p
     WHERE p.workspace_id = id_of(ws) AND (p.expires_at IS NULL OR p.expires_at > now())
$$;
CREATE FUNCTION seated(ws text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(coalesce(u.handle, 'team') ORDER BY coalesce(u.handle, 'team'))
      FROM authz.participants p LEFT JOIN authz.users u ON u.id = p.user_id
     WHERE p.workspace_id = id_of(ws)
$$;

-- ---- fixture (committed) ---------------------------------------------------
-- Org lim allows 3 participants per workspace; each scenario workspace starts
-- with 2 (its owner own and p1). Org race allows 2; its 20 workspaces start
-- with their owner alone. Org feed has no limit.
-- adm is an admin of both orgs (so an admin in every workspace); j is a member
-- of lim who may join its open workspace; inv1 and inv2 are invited. x, y, ua
-- and ub, whom own and adm add, belong to neither: they share org neighbours
-- (no workspaces) with own and adm, so that adding them needs no invitation.

DO $$
DECLARE
    n text;
BEGIN
    FOREACH n IN ARRAY '{own,adm,p1,x,y,j,inv1,inv2,ua,ub,z1,z2}'::text[] LOOP
        INSERT INTO named VALUES (n, authz.create_user('lim-' || n, 'lim-' || n || '@example.com'));
    END LOOP;
    PERFORM authz.set_user(id_of('own'), false);

    INSERT INTO named VALUES ('lim', authz.create_org('lim'));
    PERFORM pg_temp.add_org_member(id_of('lim'), id_of('adm'), 'admin');
    PERFORM pg_temp.add_org_member(id_of('lim'), id_of('j'), 'member');
    FOREACH n IN ARRAY '{aa,ja,ia,ai,ta,rr,rr2}'::text[] LOOP
        INSERT INTO named VALUES (n, authz.create_workspace(id_of('lim'), n, 'private',
                                                            CASE n WHEN 'ja' THEN 'open' ELSE 'invite_only' END));
        PERFORM pg_temp.add_member(id_of(n), id_of('p1'), 'viewer');
    END LOOP;
    INSERT INTO named VALUES ('crew', authz.create_team(id_of('lim'), 'crew'));
    PERFORM authz.update_org(id_of('lim'), '{"max_participants": 3}');

    INSERT INTO named VALUES ('race', authz.create_org('race'));
    PERFORM pg_temp.add_org_member(id_of('race'), id_of('adm'), 'admin');
    FOR i IN 1..20 LOOP
        INSERT INTO named VALUES ('r' || i, authz.create_workspace(id_of('race'), 'r' || i));
    END LOOP;
    PERFORM authz.update_org(id_of('race'), '{"max_participants": 2}');

    INSERT INTO named VALUES ('neighbours', authz.create_org('neighbours'));
    FOREACH n IN ARRAY '{adm,x,y,ua,ub}'::text[] LOOP
        PERFORM pg_temp.add_org_member(id_of('neighbours'), id_of(n), 'member');
    END LOOP;

    INSERT INTO named VALUES ('feedorg', authz.create_org('feed'));
    INSERT INTO named VALUES ('feed', authz.create_workspace(id_of('feedorg'), 'f'));
    PERFORM authz.set_user(NULL, false);
END
$$;
CREATE TABLE tokens (name text PRIMARY KEY, token text NOT NULL);
CREATE FUNCTION token_of(text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT token FROM tokens WHERE name = $1 $$;
DO $$
BEGIN
    PERFORM authz.set_user(id_of('own'), false);
    INSERT INTO tokens VALUES
        ('ia', authz.invite(id_of('ia'), 'lim-inv1@example.com', 'viewer')),
        ('ai', authz.invite(id_of('ai'), 'lim-inv2@example.com', 'viewer')),
        ('twice', authz.invite(id_of('feed'), 'lim-inv1@example.com', 'member'));
    PERFORM authz.set_user(NULL, false);
END
$$;

SELECT is((SELECT count(*) FROM unnest('{aa,ja,ia,ai,ta,rr,rr2}'::text[]) w WHERE seats(w) = 2), 7::bigint,
    'fixture: each scenario workspace of org lim (limit 3) has 2 participants');
SELECT is((SELECT count(*) FROM generate_series(1, 20) i WHERE seats('r' || i) = 1), 20::bigint,
    'fixture: each of the 20 workspaces of org race (limit 2) has 1 participant');

DO $$
BEGIN
    PERFORM dblink_connect('a', peer_conninfo());
    PERFORM dblink_connect('b', peer_conninfo());
END
$$;
INSERT INTO pids SELECT c, (SELECT v FROM dblink(c, 'SELECT pg_backend_pid()') AS t(v int)) FROM unnest('{a,b}'::text[]) c;

-- ---- add_member against add_member ----------------------------------------------

CALL peer_user('a', 'own');
CALL peer_user('b', 'adm');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.add_member(%L, %L)', id_of('aa'), id_of('x'))), '00000',
    'add + add: A adds the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.add_member(%L, %L)', id_of('aa'), id_of('y')));
SELECT ok(blocked_by('b', 'a'), 'add + add: B adding a fourth waits for A''s lock on the workspace');
SELECT is(seats('aa'), 2::bigint, 'add + add: while A has not committed, others still see 2 participants');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '23514 workspace "lim/aa" has reached its limit of 3 participants',
    'add + add: once A commits, B is refused with 23514');
SELECT is(seats('aa'), 3::bigint, 'add + add: the workspace has exactly 3 participants, its limit');
SELECT is(seated('aa'), '{lim-own,lim-p1,lim-x}', 'add + add: A''s participant got the last seat');

-- ---- join_workspace against add_member --------------------------------------------

CALL peer_user('a', 'j');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.join_workspace(%L)', id_of('ja'))), '00000',
    'join + add: A joins the open workspace as the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.add_member(%L, %L)', id_of('ja'), id_of('y')));
SELECT ok(blocked_by('b', 'a'), 'join + add: B adding a fourth waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '23514 workspace "lim/ja" has reached its limit of 3 participants',
    'join + add: once A commits, B is refused with 23514');
SELECT is(seated('ja'), '{lim-j,lim-own,lim-p1}', 'join + add: exactly 3 participants, the one who joined among them');

-- The other way round: the seat is taken by an addition, the join is refused.
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.remove_member(%L, %L)', id_of('ja'), id_of('j'))), '00000',
    'add + join: A (j) leaves again, not committed yet');
CALL on_peer('a', 'COMMIT');
CALL peer_user('a', 'own');
CALL peer_user('b', 'j');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.add_member(%L, %L)', id_of('ja'), id_of('x'))), '00000',
    'add + join: A adds the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.join_workspace(%L)', id_of('ja')));
SELECT ok(blocked_by('b', 'a'), 'add + join: B joining waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '23514 workspace "lim/ja" has reached its limit of 3 participants',
    'add + join: once A commits, the join is refused with 23514');
SELECT is(seated('ja'), '{lim-own,lim-p1,lim-x}', 'add + join: exactly 3 participants, without the one who tried to join');

-- ---- accept_invitation against add_member --------------------------------------------

CALL peer_user('a', 'inv1');
CALL peer_user('b', 'adm');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.accept_invitation(%L)', token_of('ia'))),
    '00000', 'accept + add: A accepts an invitation for the third seat, not committed yet');
CALL peer_start('b', format('SELECT authz.add_member(%L, %L)', id_of('ia'), id_of('y')));
SELECT ok(blocked_by('b', 'a'), 'accept + add: B adding a fourth waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '23514 workspace "lim/ia" has reached its limit of 3 participants',
    'accept + add: once A commits, B is refused with 23514');
SELECT is(seated('ia'), '{lim-inv1,lim-own,lim-p1}', 'accept + add: exactly 3 participants, the invitee among them');

CALL peer_user('a', 'own');
CALL peer_user('b', 'inv2');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.add_member(%L, %L)', id_of('ai'), id_of('x'))), '00000',
    'add + accept: A adds the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.accept_invitation(%L)', token_of('ai')));
SELECT ok(blocked_by('b', 'a'), 'add + accept: B accepting an invitation waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), format('23514 workspace "%s" has reached its limit of 3 participants', id_of('ai')),
    'add + accept: once A commits, the acceptance is refused with 23514');
SELECT results_eq(
    $$SELECT seated('ai'), (SELECT accepted_at IS NULL FROM authz.invitations
                               WHERE token_hash = sha256(convert_to(token_of('ai'), 'UTF8')))$$,
    $$VALUES ('{lim-own,lim-p1,lim-x}'::text[], true)$$,
    'add + accept: exactly 3 participants, and the refused invitation is still unused');

-- ---- add_team against add_member --------------------------------------------------
-- A team is one participant, whatever its size.

CALL peer_user('a', 'own');
CALL peer_user('b', 'adm');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.add_team(%L, %L, %L)', id_of('ta'), id_of('crew'), 'viewer')), '00000',
    'team + add: A adds a team as the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.add_member(%L, %L)', id_of('ta'), id_of('y')));
SELECT ok(blocked_by('b', 'a'), 'team + add: B adding a fourth waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '23514 workspace "lim/ta" has reached its limit of 3 participants',
    'team + add: once A commits, B is refused with 23514');
SELECT is(seated('ta'), '{lim-own,lim-p1,team}', 'team + add: exactly 3 participants, the team among them');

-- ---- one invitation accepted twice at once -------------------------------------------

CALL peer_user('a', 'inv1');
CALL peer_user('b', 'inv1');
CALL on_peer('a', 'BEGIN');
SELECT is(peer_outcome('a', format('SELECT authz.accept_invitation(%L)', token_of('twice'))), '00000',
    'accept twice: A accepts the invitation, not committed yet');
CALL peer_start('b', format('SELECT authz.accept_invitation(%L)', token_of('twice')));
SELECT ok(blocked_by('b', 'a'), 'accept twice: B accepting the same invitation waits for A''s lock on it');
CALL on_peer('a', 'COMMIT');
SELECT is(peer_result('b'), '55000 invitation was already used',
    'accept twice: once A commits, B is refused with 55000');
SELECT is(seated('feed'), '{lim-inv1,lim-own}', 'accept twice: the invitee participates once');

-- ---- REPEATABLE READ ------------------------------------------------------------------

CALL peer_user('a', 'own');
CALL peer_user('b', 'adm');
CALL on_peer('a', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
CALL on_peer('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(peer_outcome('b', 'SELECT count(*) FROM authz.participants'), '00000',
    'repeatable read: B takes its snapshot first');
SELECT is(peer_outcome('a', format('SELECT authz.add_member(%L, %L)', id_of('rr'), id_of('x'))), '00000',
    'repeatable read: A adds the third participant, not committed yet');
CALL peer_start('b', format('SELECT authz.add_member(%L, %L)', id_of('rr'), id_of('y')));
SELECT ok(blocked_by('b', 'a'), 'repeatable read: B adding a fourth waits for A''s lock');
CALL on_peer('a', 'COMMIT');
SELECT ok(left(peer_result('b'), 5) IN ('40001', '23514'),
    'repeatable read: once A commits, B fails with 40001 or 23514');
CALL on_peer('b', 'ROLLBACK');
SELECT is(seated('rr'), '{lim-own,lim-p1,lim-x}', 'repeatable read: exactly 3 participants, never 4');

-- B's snapshot is older than A's whole transaction: B cannot see the seat taken.
CALL on_peer('b', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT is(peer_outcome('b', 'SELECT count(*) FROM authz.participants'), '00000',
    'repeatable read, old snapshot: B takes its snapshot first');
SELECT is(peer_outcome('a', format('SELECT authz.add_member(%L, %L)', id_of('rr2'), id_of('x'))), '00000',
    'repeatable read, old snapshot: A adds the third participant and commits');
SELECT ok(left(peer_outcome('b', format('SELECT authz.add_member(%L, %L)', id_of('rr2'), id_of('y'))), 5)
          IN ('40001', '23514'),
    'repeatable read, old snapshot: B adding a fourth fails with 40001 or 23514');
CALL on_peer('b', 'ROLLBACK');
SELECT is(seated('rr2'), '{lim-own,lim-p1,lim-x}', 'repeatable read, old snapshot: exactly 3 participants, never 4');

-- ---- 20 rounds of a real race ------------------------------------------------------
-- Both additions are sent at once, in autocommit, for the last seat of a
-- workspace of org race; odd rounds send A first, even rounds B first.

CREATE TABLE rounds (round int PRIMARY KEY, a text, b text, seats bigint);
CREATE PROCEDURE race(round int) LANGUAGE plpgsql AS $$
DECLARE
    ws uuid := id_of('r' || round);
    add_a text := format('SELECT authz.add_member(%L, %L)', ws, id_of('ua'));
    add_b text := format('SELECT authz.add_member(%L, %L)', ws, id_of('ub'));
    outcome_a text;
    outcome_b text;
BEGIN
    IF round % 2 = 1 THEN
        CALL peer_start('a', add_a);
        CALL peer_start('b', add_b);
    ELSE
        CALL peer_start('b', add_b);
        CALL peer_start('a', add_a);
    END IF;
    outcome_a := left(peer_result('a'), 5);
    outcome_b := left(peer_result('b'), 5);
    -- counted once both have finished, in a statement of its own
    INSERT INTO rounds VALUES (round, outcome_a, outcome_b, seats('r' || round));
END
$$;
CALL peer_user('a', 'own');
CALL peer_user('b', 'adm');
DO $$
BEGIN
    FOR i IN 1..20 LOOP
        CALL race(i);
        COMMIT;
    END LOOP;
END
$$;

SELECT is((SELECT count(*) FROM rounds WHERE seats > 2), 0::bigint,
    'race: in none of 20 rounds does a workspace exceed its limit of 2 participants');
SELECT is((SELECT count(*) FROM rounds WHERE seats = 2 AND (a = '00000') <> (b = '00000')), 20::bigint,
    'race: in every round exactly one of the two additions took the last seat');
SELECT is((SELECT count(*) FROM rounds WHERE '23514' IN (a, b)), 20::bigint,
    'race: in every round the other addition was refused with 23514');
SELECT diag('race: seats won by A: ' || count(*) FILTER (WHERE a = '00000')
            || ', by B: ' || count(*) FILTER (WHERE b = '00000')) FROM rounds;

DO $$
BEGIN
    PERFORM dblink_disconnect('a');
    PERFORM dblink_disconnect('b');
END
$$;

SELECT * FROM finish();
