-- Parallel query gives the same answers as serial (SPEC 3, performance
-- contract). A committed table of 200,000 rows over 200 workspaces is read by
-- users with every kind of source, once with parallel query off and once with
-- it forced on; the counts and checksums must match, and the parallel plans
-- must really run workers. Then the same through the policies of
-- authz.protect, as a role that owns nothing. Queries run in a separate
-- session (dblink 'p') so that they are top-level statements the planner may
-- parallelise. Fixtures are committed: no outer transaction.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(97);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

CREATE FUNCTION conninfo(role name DEFAULT 'postgres') RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), role,
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

-- The setting that runs every plan under a Gather (renamed in PostgreSQL 16).
CREATE FUNCTION force_setting() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
                THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END
$$;

-- Serial, or parallel with every cost that could avoid it set to zero
-- ('forced' also runs even trivial plans under a Gather).
CREATE PROCEDURE set_mode(conn text, mode text) LANGUAGE plpgsql AS $$
BEGIN
    -- (not RESET ALL: that would also clear the asserted user)
    CALL remote(conn, 'RESET parallel_setup_cost');
    CALL remote(conn, 'RESET parallel_tuple_cost');
    CALL remote(conn, 'RESET min_parallel_table_scan_size');
    CALL remote(conn, 'RESET min_parallel_index_scan_size');
    CALL remote(conn, 'RESET max_parallel_workers_per_gather');
    CALL remote(conn, 'RESET ' || force_setting());
    IF mode = 'serial' THEN
        CALL remote(conn, 'SET max_parallel_workers_per_gather = 0');
    ELSE
        CALL remote(conn, 'SET parallel_setup_cost = 0');
        CALL remote(conn, 'SET parallel_tuple_cost = 0');
        CALL remote(conn, 'SET min_parallel_table_scan_size = 0');
        CALL remote(conn, 'SET min_parallel_index_scan_size = 0');
        CALL remote(conn, 'SET max_parallel_workers_per_gather = 2');
        IF mode = 'forced' THEN
            CALL remote(conn, 'SET ' || force_setting() || ' = on');
        END IF;
    END IF;
END
$$;

-- The plan of a query in another session, as JSON (ANALYZE runs it).
CREATE FUNCTION remote_plan(conn text, query text, run boolean DEFAULT false) RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT string_agg(v, E'\n')::jsonb
      FROM dblink(conn, format('EXPLAIN (FORMAT JSON%s) %s', CASE WHEN run THEN ', ANALYZE' END, query))
           AS t(v text)
$$;

CREATE FUNCTION has_gather(plan jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_path_exists(plan, 'strict $.**."Node Type" ? (@ starts with "Gather")')
$$;

CREATE FUNCTION workers_launched(plan jsonb) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(sum(w::int), 0)::int FROM jsonb_path_query(plan, 'strict $.**."Workers Launched"') w
$$;

-- One query, serial then parallel, in session conn as it is set up now.
CREATE TABLE answers (
    who text, label text, serial text, parallel text, gather boolean, workers int,
    PRIMARY KEY (who, label)
);
CREATE PROCEDURE compare(conn text, who text, label text, query text, mode text DEFAULT 'parallel')
    LANGUAGE plpgsql AS $$
DECLARE
    s text;
    p text;
    plan jsonb;
BEGIN
    CALL set_mode(conn, 'serial');
    s := remote_text(conn, query);
    CALL set_mode(conn, mode);
    p := remote_text(conn, query);
    plan := remote_plan(conn, query, true);
    INSERT INTO answers VALUES (who, label, s, p, has_gather(plan), workers_launched(plan));
END
$$;

CREATE PROCEDURE act_as(conn text, who text) LANGUAGE sql AS $$
    CALL remote(conn, format('SELECT authz.set_user(%L::uuid, false)', fx(who)))
$$;

-- ---- fixture (committed) ---------------------------------------------------
-- Org par-a: workspaces a1..a100, org par-b: b1..b100 (b41..b60 shared,
-- b61..b80 open). Users and what they may read (content.read):
--   owner     owner of a1..a50, plus rows in their personal workspace
--   viewer    viewer of a51..a100, member of b1..b10 with content.read denied in b1..b5
--   guest     par-b guest, viewer of b11..b15 (nothing from shared workspaces)
--   orgadmin  par-a admin: admin everywhere in par-a
--   member    par-b member: viewer of the shared b41..b60, view only of the open b61..b80
--   orgwide   par-b member with the org-wide role viewer: all of par-b
--   teamed    par-b member in a team that is member of b81..b90, plus the shared ones
--   collab    outside collaborator: viewer of a1..a5 (expired) and a6..a8
--   nobody    no access;  gone  deactivated viewer of all of par-a

DO $$
DECLARE
    n text;
BEGIN
    FOREACH n IN ARRAY '{founder,owner,viewer,guest,orgadmin,member,orgwide,teamed,collab,nobody,gone}'::text[] LOOP
        INSERT INTO fx VALUES (n, authz.create_user('par-' || n, 'par-' || n || '@example.com'));
    END LOOP;
    INSERT INTO fx VALUES ('owner_personal', authz.personal_workspace(fx('owner')));
    PERFORM authz.set_user(fx('founder'), false);
    INSERT INTO fx VALUES ('orga', authz.create_org('par-a'));
    INSERT INTO fx VALUES ('orgb', authz.create_org('par-b'));
    INSERT INTO authz.workspaces (org_id, name, visibility, join_policy)
    SELECT fx('orga'), 'a' || i, 'private', 'invite_only' FROM generate_series(1, 100) i
    UNION ALL
    SELECT fx('orgb'), 'b' || i,
           CASE WHEN i BETWEEN 41 AND 60 THEN 'shared' ELSE 'private' END,
           CASE WHEN i BETWEEN 61 AND 80 THEN 'open' ELSE 'invite_only' END
      FROM generate_series(1, 100) i;
    INSERT INTO fx SELECT name, id FROM authz.workspaces WHERE org_id IN (fx('orga'), fx('orgb'));
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    SELECT id, fx('founder'), '00000000-0000-0000-0000-000000000001'
      FROM authz.workspaces WHERE org_id IN (fx('orga'), fx('orgb'));

    INSERT INTO authz.participants (workspace_id, user_id, role_id, expires_at)
    SELECT fx('a' || i), fx('owner'), '00000000-0000-0000-0000-000000000001'::uuid, NULL::timestamptz
      FROM generate_series(1, 50) i
    UNION ALL
    SELECT fx('a' || i), fx('viewer'), '00000000-0000-0000-0000-000000000004', NULL FROM generate_series(51, 100) i
    UNION ALL
    SELECT fx('b' || i), fx('viewer'), '00000000-0000-0000-0000-000000000003', NULL FROM generate_series(1, 10) i
    UNION ALL
    SELECT fx('b' || i), fx('guest'), '00000000-0000-0000-0000-000000000004', NULL FROM generate_series(11, 15) i
    UNION ALL
    SELECT fx('a' || i), fx('collab'), '00000000-0000-0000-0000-000000000004', now() - interval '1 day'
      FROM generate_series(1, 5) i
    UNION ALL
    SELECT fx('a' || i), fx('collab'), '00000000-0000-0000-0000-000000000004', NULL FROM generate_series(6, 8) i
    UNION ALL
    SELECT fx('a' || i), fx('gone'), '00000000-0000-0000-0000-000000000004', NULL FROM generate_series(1, 100) i;
    PERFORM authz.deny(fx('b' || i), fx('viewer'), '{content.read}') FROM generate_series(1, 5) i;

    PERFORM pg_temp.add_org_member(fx('orgb'), fx('guest'), 'guest');
    PERFORM pg_temp.add_org_member(fx('orga'), fx('orgadmin'), 'admin');
    PERFORM pg_temp.add_org_member(fx('orgb'), fx('member'), 'member');
    PERFORM pg_temp.add_org_member(fx('orgb'), fx('orgwide'), 'member', 'viewer');
    PERFORM pg_temp.add_org_member(fx('orgb'), fx('teamed'), 'member');
    INSERT INTO fx VALUES ('crew', authz.create_team(fx('orgb'), 'crew'));
    PERFORM authz.add_team_member(fx('crew'), fx('teamed'));
    PERFORM authz.add_team(fx('b' || i), fx('crew'), 'member') FROM generate_series(81, 90) i;
    PERFORM authz.set_user(NULL, false);
    PERFORM authz.deactivate_user(fx('gone'));
END
$$;

-- 1,000 rows in each of the 200 workspaces, interleaved so that consecutive
-- rows belong to different workspaces; a few rows elsewhere.
CREATE TABLE docs (id bigint PRIMARY KEY, workspace_id uuid, body text);
INSERT INTO docs
SELECT g, (SELECT array_agg(id ORDER BY name) FROM fx WHERE name ~ '^[ab][0-9]+$')[1 + g % 200], 'document ' || g
  FROM generate_series(1, 200000) g;
INSERT INTO docs SELECT 200000 + g, fx('owner_personal'), 'personal ' || g FROM generate_series(1, 7) g;
INSERT INTO docs SELECT 200100 + g, gen_random_uuid(), 'nowhere ' || g FROM generate_series(1, 5) g;
INSERT INTO docs SELECT 200200 + g, NULL, 'unfiled ' || g FROM generate_series(1, 3) g;
ANALYZE docs;

DO $$ BEGIN PERFORM dblink_connect('p', conninfo()); END $$;

-- ---- authz.can in WHERE: serial versus parallel ---------------------------------

CREATE TABLE readers (who text PRIMARY KEY, expected bigint);
INSERT INTO readers VALUES ('owner', 50007), ('viewer', 55000), ('guest', 5000), ('orgadmin', 100000),
    ('member', 20000), ('orgwide', 100000), ('teamed', 30000), ('collab', 3000), ('nobody', 0), ('gone', 0);

CREATE PROCEDURE compare_readers(conn text, prefix text, query_of_perm text) LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT who FROM readers ORDER BY who LOOP
        CALL act_as(conn, r.who);
        CALL compare(conn, r.who, prefix || ' content.read', format(query_of_perm, 'content.read'));
        CALL compare(conn, r.who, prefix || ' workspace.view', format(query_of_perm, 'workspace.view'));
    END LOOP;
END
$$;

CALL compare_readers('p', 'where',
    $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs WHERE authz.can(workspace_id, %L)$q$);

SELECT is(a.parallel, a.serial, format('parallel = serial: %s, authz.can(workspace_id, ''%s'') in WHERE',
                                       a.who, split_part(a.label, ' ', 2)))
  FROM answers a WHERE a.label LIKE 'where %' ORDER BY a.who, a.label;
SELECT is(split_part(a.serial, '/', 1)::bigint, r.expected,
          format('%s reads the %s rows of their design', a.who, r.expected))
  FROM answers a JOIN readers r USING (who) WHERE a.label = 'where content.read' ORDER BY a.who;
SELECT is((SELECT count(*) FROM answers WHERE label LIKE 'where %' AND gather AND workers > 0), 20::bigint,
    'every parallel plan has a Gather node and launched workers');

-- ---- role_in and permissions_in per row -----------------------------------------

CREATE PROCEDURE compare_roles(conn text) LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT unnest('{owner,viewer,guest,orgadmin,teamed}'::text[]) AS who LOOP
        CALL act_as(conn, r.who);
        CALL compare(conn, r.who, 'role_in rows',
            $q$SELECT count(*) || '/' || sum(hashtext(coalesce(authz.role_in(workspace_id), '-') || ' '
                                                || authz.permissions_in(workspace_id)::text))
                 FROM docs WHERE workspace_id IS NOT NULL$q$);
        CALL compare(conn, r.who, 'role_in workspaces',
            $q$SELECT string_agg(w.name || ':' || coalesce(authz.role_in(w.id), '-') || ':'
                                 || authz.permissions_in(w.id)::text, ',' ORDER BY w.name)
                 FROM authz.workspaces w$q$, 'forced');
    END LOOP;
END
$$;
CALL compare_roles('p');

SELECT is(a.parallel, a.serial, format('parallel = serial: %s, %s', a.who,
          CASE a.label WHEN 'role_in rows' THEN 'role_in/permissions_in over every row'
                       ELSE 'role_in/permissions_in over authz.workspaces (forced parallel)' END))
  FROM answers a WHERE a.label LIKE 'role_in %' ORDER BY a.who, a.label;
SELECT is((SELECT count(*) FROM answers WHERE label LIKE 'role_in %' AND gather AND workers > 0), 10::bigint,
    'role_in/permissions_in: every parallel plan has a Gather node and launched workers');
SELECT is((SELECT serial FROM answers WHERE who = 'orgadmin' AND label = 'role_in workspaces') ~ '^a1:admin:\{[^}]*members\.manage',
    true, 'role_in over workspaces: the org admin is admin of a1 (the answer is not trivially empty)');

-- ---- inside a transaction that changed the model itself -------------------------
-- Workers must see the leader's uncommitted change, and nothing of it after
-- the rollback.

CREATE FUNCTION both_ways(conn text, query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    CALL remote(conn, 'SET LOCAL max_parallel_workers_per_gather = 0');
    s := remote_text(conn, query);
    CALL remote(conn, 'SET LOCAL max_parallel_workers_per_gather = 2');
    CALL remote(conn, 'SET LOCAL parallel_setup_cost = 0');
    CALL remote(conn, 'SET LOCAL parallel_tuple_cost = 0');
    CALL remote(conn, 'SET LOCAL min_parallel_table_scan_size = 0');
    RETURN s || ' | ' || remote_text(conn, query);
END
$$;

CALL set_mode('p', 'serial');
CALL act_as('p', 'founder');
CALL remote('p', 'BEGIN');
CALL remote('p', format('SELECT authz.deny(%L, %L, %L)', fx('a51'), fx('viewer'), '{content.read}'));
CALL remote('p', format('SELECT authz.set_role(%L, %L, %L)', fx('b11'), fx('guest'), 'member'));
CALL remote('p', format('SELECT authz.set_user(%L)', fx('viewer')));
SELECT is(both_ways('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'),
    '54000 | 54000', 'own transaction: a deny not yet committed hides one workspace, serial and parallel alike');
SELECT ok(workers_launched(remote_plan('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')', true)) > 0,
    'own transaction: that query ran with parallel workers');
CALL remote('p', format('SELECT authz.set_user(%L)', fx('guest')));
SELECT is(both_ways('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.update'')'),
    '1000 | 1000', 'own transaction: a promotion not yet committed shows, serial and parallel alike');
CALL remote('p', 'ROLLBACK');
CALL set_mode('p', 'parallel');
CALL act_as('p', 'viewer');
SELECT is(remote_text('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'), '55000',
    'after the rollback, the next parallel query gives the old answer (viewer)');
CALL act_as('p', 'guest');
SELECT is(remote_text('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.update'')'), '0',
    'after the rollback, the next parallel query gives the old answer (guest)');

-- A change committed by another session between two parallel queries. That
-- session adds the outside collaborator as the platform (no user asserted):
-- a user would have to invite them.
DO $$ BEGIN PERFORM dblink_connect('q', conninfo()); END $$;
CALL remote('q', 'SELECT authz.set_user(NULL, false)');
CALL act_as('p', 'collab');
SELECT is(remote_text('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'), '3000',
    'between commits: the collaborator reads 3 workspaces in parallel');
CALL remote('q', format('SELECT authz.add_member(%L, %L, %L)', fx('b99'), fx('collab'), 'viewer'));
SELECT is(remote_text('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'), '4000',
    'between commits: the next parallel query sees the workspace added by another session');

-- REPEATABLE READ: answers come from the transaction's snapshot, so a change
-- another session commits meanwhile shows neither serially nor in parallel,
-- and shows in the next transaction.
CALL set_mode('p', 'serial');
CALL remote('p', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
CALL remote('p', 'SELECT 1');
CALL remote('q', format('SELECT authz.add_member(%L, %L, %L)', fx('b98'), fx('collab'), 'viewer'));
SELECT is(both_ways('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'),
    '4000 | 4000', 'repeatable read: a membership committed after the snapshot shows neither serially nor in parallel');
SELECT ok(workers_launched(remote_plan('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')', true)) > 0,
    'repeatable read: that query ran with parallel workers');
CALL remote('p', 'COMMIT');
CALL set_mode('p', 'parallel');
SELECT is(remote_text('p', 'SELECT count(*) FROM docs WHERE authz.can(workspace_id, ''content.read'')'), '5000',
    'repeatable read: the next transaction sees the new membership');
DO $$ BEGIN PERFORM dblink_disconnect('q'); END $$;

-- ---- with an index on the workspace column --------------------------------------

CREATE INDEX docs_workspace_idx ON docs (workspace_id);
ANALYZE docs;
CREATE PROCEDURE compare_indexed(conn text) LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT unnest('{guest,collab,viewer,orgadmin}'::text[]) AS who LOOP
        CALL act_as(conn, r.who);
        CALL compare(conn, r.who, 'indexed',
            $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs
                WHERE authz.can(workspace_id, 'content.read')$q$);
    END LOOP;
END
$$;
CALL compare_indexed('p');
SELECT is(a.parallel, a.serial, format('parallel = serial with an index on workspace_id: %s', a.who))
  FROM answers a WHERE a.label = 'indexed' ORDER BY a.who;

-- ---- through the policies of authz.protect, as a role that owns nothing ---------

DROP ROLE IF EXISTS regress_par_reader;
CREATE ROLE regress_par_reader NOLOGIN;
SELECT authz.protect('docs') \g /dev/null
GRANT SELECT ON docs TO regress_par_reader;

-- Each user through the policies, next to authz.can in WHERE as the superuser.
-- Plans are forced parallel: for users who see nothing the planner prefers a
-- serial bitmap scan even with parallel costs at zero.
CREATE PROCEDURE compare_policies(conn text) LANGUAGE plpgsql AS $$
DECLARE
    r record;
    ref text;
BEGIN
    FOR r IN SELECT who FROM readers ORDER BY who LOOP
        CALL remote(conn, 'RESET ROLE');
        CALL act_as(conn, r.who);
        CALL set_mode(conn, 'serial');
        ref := remote_text(conn, $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs
                                    WHERE authz.can(workspace_id, 'content.read')$q$);
        INSERT INTO answers VALUES (r.who, 'policy reference', ref, ref, NULL, NULL);
        CALL remote(conn, 'SET ROLE regress_par_reader');
        CALL compare(conn, r.who, 'policy',
            $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs$q$, 'forced');
    END LOOP;
    CALL remote(conn, 'RESET ROLE');
END
$$;
CALL compare_policies('p');

SELECT is(a.parallel, a.serial, format('parallel = serial through the policies: %s', a.who))
  FROM answers a WHERE a.label = 'policy' ORDER BY a.who;
SELECT is(a.serial, w.serial, format('through the policies %s reads what authz.can in WHERE gives', a.who))
  FROM answers a JOIN answers w ON w.who = a.who AND w.label = 'policy reference'
 WHERE a.label = 'policy' ORDER BY a.who;
SELECT is((SELECT count(*) FROM answers WHERE label = 'policy' AND gather AND workers > 0), 10::bigint,
    'through the policies: every parallel plan has a Gather node and launched workers');
SELECT is((SELECT split_part(serial, '/', 1) FROM answers WHERE who = 'collab' AND label = 'policy'), '5000',
    'through the policies: the collaborator reads the workspaces added in the meantime too');

-- Identity from the login role, and from a JWT claim, must reach the workers too.
DROP ROLE IF EXISTS regress_par_login;
CREATE ROLE regress_par_login LOGIN;
GRANT SELECT ON docs TO regress_par_login;
DO $$
BEGIN
    INSERT INTO fx VALUES ('mapped', authz.create_user('par-mapped', 'par-mapped@example.com', NULL, 'regress_par_login'));
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    SELECT fx('a' || i), fx('mapped'), '00000000-0000-0000-0000-000000000004' FROM generate_series(1, 20) i;
    PERFORM dblink_connect('login', conninfo('regress_par_login'));
END
$$;
CALL compare('login', 'mapped', 'login role',
    $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs$q$, 'forced');
SELECT is(parallel, serial, 'login role: parallel = serial through the policies') FROM answers WHERE label = 'login role';
SELECT is(split_part(serial, '/', 1), '20000', 'login role: the mapped user reads its 20 workspaces')
  FROM answers WHERE label = 'login role';
SELECT ok(gather AND workers > 0, 'login role: the parallel plan launched workers') FROM answers WHERE label = 'login role';
DO $$ BEGIN PERFORM dblink_disconnect('login'); END $$;

CALL remote('p', 'SELECT authz.set_user(NULL, false)');
CALL remote('p', 'SET workspace_authz.jwt_claim = ''sub''');
CALL remote('p', format('SELECT set_config(%L, %L, false)', 'request.jwt.claims',
                        json_build_object('sub', fx('teamed'), 'role', 'authenticated')));
CALL remote('p', 'SET ROLE regress_par_reader');
CALL compare('p', 'teamed', 'jwt claim',
    $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs$q$, 'forced');
CALL remote('p', 'RESET ROLE');
SELECT is(parallel, serial, 'JWT claim: parallel = serial through the policies') FROM answers WHERE label = 'jwt claim';
SELECT is(serial, (SELECT serial FROM answers WHERE who = 'teamed' AND label = 'policy'),
    'JWT claim: the user named by the claim reads what set_user gave them') FROM answers WHERE label = 'jwt claim';
SELECT ok(gather AND workers > 0, 'JWT claim: the parallel plan launched workers') FROM answers WHERE label = 'jwt claim';
SELECT is(remote_text('p', 'SELECT current_user'), 'postgres', 'the query session is back to its own role');

-- ===========================================================================
-- The leader passes its visible sets to its workers (workspace_authz.parallel_sets)
-- ===========================================================================

CREATE FUNCTION remote_state(conn text, query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- The setting as the session has it (read by a serial query: a parallel one
-- would set it again).
CREATE FUNCTION shipped(conn text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    CALL set_mode(conn, 'serial');
    RETURN remote_text(conn, $q$SELECT current_setting('workspace_authz.parallel_sets')$q$);
END
$$;

CALL remote('p', 'SET ROLE regress_par_reader');
SELECT is(remote_state('p', $q$SET workspace_authz.parallel_sets = ''$q$), '42501',
    'parallel sets: a role that is not a superuser cannot set them');
CALL remote('p', 'RESET ROLE');

CALL act_as('p', 'orgadmin');
CALL compare('p', 'orgadmin', 'shipped', $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs
                                          WHERE authz.can(workspace_id, 'content.read')$q$, 'forced');
SELECT is(parallel, serial, 'parallel sets: parallel = serial for the org admin') FROM answers WHERE label = 'shipped';
SELECT ok(gather AND workers > 0, 'parallel sets: the plan launched workers') FROM answers WHERE label = 'shipped';
SELECT matches(shipped('p'), '^[0-9]+$', 'parallel sets: a parallel query with checks names the segment of its sets');
CALL set_mode('p', 'forced');
SELECT is(remote_text('p', 'SELECT count(*)::text FROM docs WHERE id <= 10'), '10', 'a parallel query without checks');
SELECT is(shipped('p'), '', 'parallel sets: a parallel query without checks clears the setting');

-- A value set by hand is replaced before the workers start.
CALL act_as('p', 'nobody');
CALL remote('p', 'SET workspace_authz.parallel_sets = ''1''');
CALL compare('p', 'nobody', 'forged', $q$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM docs
                                        WHERE authz.can(workspace_id, 'content.read')$q$, 'forced');
SELECT is(parallel, serial, 'parallel sets: a value set by hand changes no answer') FROM answers WHERE label = 'forged';
SELECT is(parallel, '0/0', 'parallel sets: the user who sees nothing reads nothing') FROM answers WHERE label = 'forged';
SELECT isnt(shipped('p'), '1', 'parallel sets: the leader has set its own value');

-- A revoke committed elsewhere reaches the next parallel query's workers.
CALL act_as('p', 'viewer');
CALL compare('p', 'viewer', 'before revoke', $q$SELECT count(*)::text FROM docs
                                               WHERE authz.can(workspace_id, 'content.read')$q$, 'forced');
DELETE FROM authz.participants WHERE workspace_id = fx('a51') AND user_id = fx('viewer');
CALL compare('p', 'viewer', 'after revoke', $q$SELECT count(*)::text FROM docs
                                              WHERE authz.can(workspace_id, 'content.read')$q$, 'forced');
SELECT is(parallel, serial, 'parallel sets: after a revoke, parallel = serial') FROM answers WHERE label = 'after revoke';
SELECT is(a.parallel::int, b.parallel::int - 1000, 'parallel sets: the parallel query has lost the revoked workspace''s rows')
  FROM answers a, answers b WHERE a.label = 'after revoke' AND b.label = 'before revoke';

DO $$ BEGIN PERFORM dblink_disconnect('p'); END $$;
DROP OWNED BY regress_par_reader;
DROP ROLE regress_par_reader;
DROP OWNED BY regress_par_login;
DROP ROLE regress_par_login;

SELECT * FROM finish();
