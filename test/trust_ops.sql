-- The trust boundary in operations: the change feed, idempotency keys across
-- actors, who prices usage, partitioned tables, and the triggers that must
-- fire whatever session_replication_role says. Each attack runs as real login
-- roles (mapped to users, or the platform's trusted role) through dblink, next
-- to the behaviour that must keep working: a platform top-up with its key,
-- two-phase commit of a model change, partitions protected as their parent.
-- Fixtures are committed: this file runs without an outer transaction, in a
-- database thrown away afterwards.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(55);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

CREATE FUNCTION conninfo(role name) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), role,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

-- A command in another session; an error there is raised here, with its SQLSTATE.
CREATE FUNCTION peer_exec(conn text, command text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, command) AS t(v text);
END
$$;
CREATE PROCEDURE on_peer(conn text, command text) LANGUAGE sql AS $$ SELECT peer_exec(conn, command) $$;
-- The SQL that runs a command in another session, for throws_ok and lives_ok.
CREATE FUNCTION peer_call(conn text, command text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('SELECT peer_exec(%L, %L)', conn, command)
$$;
-- The one value a query returns in another session.
CREATE FUNCTION peer_text(conn text, query text) RETURNS text LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, query) AS t(v text)
$$;
-- '00000' when a command worked in another session, else its SQLSTATE.
CREATE FUNCTION peer_state(conn text, command text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, command) AS t(v text);
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- What a listening session heard. A marker NOTIFY sent after the change under
-- test arrives after anything the change sent (notifications are delivered
-- in commit order), so "heard until the marker" is everything.
CREATE TABLE heard (n serial PRIMARY KEY, payload text);
CREATE FUNCTION heard_until_marker(conn text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
    got text[];
BEGIN
    TRUNCATE heard;
    LOOP
        INSERT INTO heard (payload)
        SELECT extra FROM dblink_get_notify(conn) WHERE notify_name = 'workspace_authz';
        EXIT WHEN EXISTS (SELECT 1 FROM heard WHERE payload = 'marker') OR clock_timestamp() > deadline;
        PERFORM pg_sleep(0.01);
    END LOOP;
    SELECT array_agg(payload ORDER BY n) INTO got FROM heard;
    RETURN got;
END
$$;

-- ---- fixture (committed) ---------------------------------------------------
-- Org acme: own owns it and its workspaces ws1 and ws2; adm is an org admin;
-- vw is a guest viewing ws1 only; rdr a guest viewing ws1. Org other belongs
-- to str, a stranger to acme. app is the platform (billing and metering);
-- tbl owns the application's partitioned table; nob is a login role mapped
-- to nobody.

DROP ROLE IF EXISTS regress_ops_own, regress_ops_adm, regress_ops_vw, regress_ops_rdr, regress_ops_str,
    regress_ops_app, regress_ops_tbl, regress_ops_nob;
CREATE ROLE regress_ops_own LOGIN;
CREATE ROLE regress_ops_adm LOGIN;
CREATE ROLE regress_ops_vw LOGIN;
CREATE ROLE regress_ops_rdr LOGIN;
CREATE ROLE regress_ops_str LOGIN;
CREATE ROLE regress_ops_app LOGIN IN ROLE workspace_authz_trusted;
CREATE ROLE regress_ops_tbl LOGIN;
CREATE ROLE regress_ops_nob LOGIN;
GRANT CREATE ON SCHEMA public TO regress_ops_tbl;
CREATE FOREIGN DATA WRAPPER regress_ops_fdw;
CREATE SERVER regress_ops_srv FOREIGN DATA WRAPPER regress_ops_fdw;
GRANT USAGE ON FOREIGN SERVER regress_ops_srv TO regress_ops_tbl;

DO $$
BEGIN
    INSERT INTO fx SELECT h, authz.create_user(h, h || '@example.com', NULL, 'regress_ops_' || h)
      FROM unnest(ARRAY['own', 'adm', 'vw', 'rdr', 'str']) h;
    PERFORM authz.set_user(fx('str'), false);
    INSERT INTO fx VALUES ('other', authz.create_org('ops-other'));
    PERFORM authz.set_user(fx('own'), false);
    INSERT INTO fx VALUES ('acme', authz.create_org('ops-acme'));
    INSERT INTO fx VALUES ('ws1', authz.create_workspace(fx('acme'), 'ws1'));
    INSERT INTO fx VALUES ('ws2', authz.create_workspace(fx('acme'), 'ws2'));
    PERFORM pg_temp.add_org_member(fx('acme'), fx('adm'), 'admin');
    PERFORM pg_temp.add_org_member(fx('acme'), fx('vw'), 'guest');
    PERFORM pg_temp.add_org_member(fx('acme'), fx('rdr'), 'guest');
    PERFORM pg_temp.add_member(fx('ws1'), fx('vw'), 'viewer');
    PERFORM authz.set_user(NULL, false);
END
$$;

DO $$
BEGIN
    PERFORM dblink_connect(r, conninfo(('regress_ops_' || r)::name))
       FROM unnest(ARRAY['own', 'adm', 'vw', 'rdr', 'str', 'app', 'tbl', 'nob']) r;
    PERFORM dblink_connect('su', conninfo(current_user));
END
$$;

-- ===========================================================================
-- The change feed
-- ===========================================================================

CALL on_peer('str', 'LISTEN workspace_authz');
CALL on_peer('own', format('SELECT authz.add_member(%L, %L, %L)', fx('ws1'), fx('rdr'), 'viewer'));
CALL on_peer('own', $$NOTIFY workspace_authz, 'marker'$$);
SELECT is(heard_until_marker('str'), ARRAY['marker'],
    'feed: a stranger listening on workspace_authz hears nothing of another organization''s committed change');

-- The opt-in wake-up: one per transaction, with nothing in it.
CALL on_peer('own', 'SET workspace_authz.notify = on');
CALL on_peer('own', 'BEGIN');
CALL on_peer('own', format('SELECT authz.set_role(%L, %L, %L)', fx('ws1'), fx('rdr'), 'member'));
CALL on_peer('own', format('SELECT authz.set_role(%L, %L, %L)', fx('ws1'), fx('rdr'), 'viewer'));
CALL on_peer('own', 'COMMIT');
CALL on_peer('own', $$NOTIFY workspace_authz, 'marker'$$);
SELECT is(heard_until_marker('str'), ARRAY['', 'marker'],
    'feed: with workspace_authz.notify on, a committed transaction of model changes sends one empty wake-up');
CALL on_peer('own', 'BEGIN');
CALL on_peer('own', format('SELECT authz.set_role(%L, %L, %L)', fx('ws1'), fx('rdr'), 'member'));
CALL on_peer('own', 'ROLLBACK');
CALL on_peer('own', $$NOTIFY workspace_authz, 'marker'$$);
SELECT is(heard_until_marker('str'), ARRAY['marker'], 'feed: a rolled-back change sends no wake-up');

-- Consumers read the audit log, under its RLS, from the last id they saw: a
-- forged wake-up shows no change there, a real one does, and a stranger reading
-- the same log sees nothing of it.
CREATE TABLE seen (who text PRIMARY KEY, last_id bigint);
INSERT INTO seen SELECT w, peer_text(w, 'SELECT coalesce(max(id), 0) FROM authz.audit_log')::bigint
  FROM unnest(ARRAY['own', 'str']) w;
CALL on_peer('nob', $$NOTIFY workspace_authz, '{"table": "participants", "operation": "delete"}'$$);
SELECT is(peer_text('own', format('SELECT count(*) FROM authz.audit_log WHERE id > %s',
                                  (SELECT last_id FROM seen WHERE who = 'own'))), '0',
    'feed: after a forged wake-up, the consumer finds no new entry in the audit log');
CALL on_peer('adm', format('SELECT authz.add_member(%L, %L, %L)', fx('ws2'), fx('vw'), 'viewer'));
SELECT is(peer_text('own', format($$SELECT string_agg(action, ',') FROM authz.audit_log WHERE id > %s$$,
                                  (SELECT last_id FROM seen WHERE who = 'own'))), 'participants.insert',
    'feed: after a real change, the consumer finds it in the audit log');
SELECT is(peer_text('str', format('SELECT count(*) FROM authz.audit_log WHERE id > %s',
                                  (SELECT last_id FROM seen WHERE who = 'str'))), '0',
    'feed: a stranger reading the audit log from the same point sees nothing of it');
CALL on_peer('adm', format('SELECT authz.remove_member(%L, %L)', fx('ws2'), fx('vw')));

-- Two-phase commit of a model change, by default.
CALL on_peer('own', 'RESET workspace_authz.notify');
SELECT is(peer_text('rdr', format('SELECT authz.can(%L, %L)::text', fx('ws2'), 'content.read')), 'false',
    '2pc: (rdr cannot read ws2 yet, and has that answer cached)');
CALL on_peer('own', 'BEGIN');
CALL on_peer('own', format('SELECT authz.add_member(%L, %L, %L)', fx('ws2'), fx('rdr'), 'viewer'));
SELECT is(peer_state('own', $$PREPARE TRANSACTION 'regress_ops_2pc'$$), '00000',
    '2pc: a transaction that changed the model can be prepared');
SELECT is(peer_state('su', $$COMMIT PREPARED 'regress_ops_2pc'$$), '00000', '2pc: and committed');
SELECT is(peer_text('rdr', format('SELECT authz.can(%L, %L)::text', fx('ws2'), 'content.read')), 'true',
    '2pc: the committed change reaches the cache of a session that was already warm');
CALL on_peer('own', 'SET workspace_authz.notify = on');
CALL on_peer('own', 'BEGIN');
CALL on_peer('own', format('SELECT authz.set_role(%L, %L, %L)', fx('ws2'), fx('rdr'), 'member'));
SELECT is(peer_state('own', $$PREPARE TRANSACTION 'regress_ops_2pc_notify'$$), '0A000',
    '2pc: with the opt-in wake-up on, PREPARE TRANSACTION is refused (0A000), as documented');
CALL on_peer('own', 'RESET workspace_authz.notify');
CALL on_peer('app', 'BEGIN');
CALL on_peer('app', format($$SELECT authz.add_credits(%L, '1', NULL, 'inv-2pc')$$, fx('ws1')));
CALL on_peer('app', $$PREPARE TRANSACTION 'regress_ops_2pc_credits'$$);
CREATE TABLE outcome AS SELECT peer_state('su', $$COMMIT PREPARED 'regress_ops_2pc_credits'$$) AS state;
SELECT is((SELECT state FROM outcome) || ' '
          || (SELECT count(*) FROM authz.credit_movements WHERE idempotency_key = 'inv-2pc'), '00000 1',
    '2pc: a credit movement can be prepared and committed');
SELECT is((SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'regress_ops%'), 0::bigint,
    '2pc: no prepared transaction is left behind');

-- ===========================================================================
-- Idempotency keys: the platform's and the tenant's never collide
-- ===========================================================================

CREATE TABLE mv (k text PRIMARY KEY, v text);
INSERT INTO mv VALUES ('platform-1', peer_text('app', format($$SELECT authz.add_credits(%L, '100', 'plan', 'inv-1')$$, fx('ws1'))));
-- The attack: a tenant admin takes the platform's next invoice key.
SELECT lives_ok(peer_call('adm', format($$SELECT authz.transfer_credits(%L, %L, '0.000001', NULL, 'inv-2')$$,
                                        fx('ws1'), fx('ws2'))),
    'keys: (a tenant admin makes a tiny transfer with the key of the platform''s next invoice)');
INSERT INTO mv VALUES ('tenant-2', (SELECT id::text FROM authz.credit_movements WHERE idempotency_key = 'inv-2'));
SELECT lives_ok(peer_call('app', format($$SELECT authz.add_credits(%L, '50', 'plan', 'inv-2')$$, fx('ws1'))),
    'keys: the platform''s top-up with its own next key still works');
INSERT INTO mv VALUES ('platform-2', peer_text('app', format($$SELECT authz.add_credits(%L, '50', 'plan', 'inv-2')$$, fx('ws1'))));
SELECT isnt((SELECT v FROM mv WHERE k = 'platform-2'), (SELECT v FROM mv WHERE k = 'tenant-2'),
    'keys: the top-up is a movement of its own, not the tenant''s transfer');
SELECT is(peer_text('app', format($$SELECT authz.add_credits(%L, '50', 'plan', 'inv-2')$$, fx('ws1'))),
    (SELECT v FROM mv WHERE k = 'platform-2'), 'keys: a retry of the platform''s top-up returns its movement');
SELECT is(peer_text('app', format('SELECT authz.balance(%L)', fx('ws1'))), '150.999999',
    'keys: the retries moved nothing (1 + 100 + 50 - 0.000001)');
SELECT throws_ok(peer_call('app', format($$SELECT authz.add_credits(%L, '60', 'plan', 'inv-2')$$, fx('ws1'))),
    '23505', NULL, 'keys: the platform''s key reused with other arguments is still refused (23505)');
SELECT lives_ok(peer_call('adm', format($$SELECT authz.transfer_credits(%L, %L, '1', NULL, 'meter-1')$$,
                                        fx('ws1'), fx('ws2'))),
    'keys: (the tenant admin takes the metering system''s next key too)');
SELECT is(peer_text('app', format($$SELECT authz.record_usage(%L, 1, 0, 0, 'meter-1')$$, fx('ws2'))), '0.1',
    'keys: the metering system still charges the usage with its key');
SELECT is(peer_text('app', format($$SELECT authz.record_usage(%L, 1, 0, 0, 'meter-1')$$, fx('ws2'))), '0.1',
    'keys: and a retry returns the same charge');
SELECT is((SELECT count(*) FROM authz.credit_movements WHERE idempotency_key = 'meter-1' AND kind = 'usage'), 1::bigint,
    'keys: the retried usage was charged once');
-- The other direction: the platform's keys never block the tenant's.
CALL on_peer('app', format($$SELECT authz.add_credits(%L, '5', NULL, 'tr-9')$$, fx('ws2')));
SELECT lives_ok(peer_call('adm', format($$SELECT authz.transfer_credits(%L, %L, '1', NULL, 'tr-9')$$,
                                        fx('ws2'), fx('ws1'))),
    'keys: a tenant''s transfer with a key the platform used works');
INSERT INTO mv VALUES ('tenant-9', (SELECT id::text FROM authz.credit_movements WHERE idempotency_key = 'tr-9' AND kind = 'transfer'));
SELECT is(peer_text('adm', format($$SELECT authz.transfer_credits(%L, %L, '1', NULL, 'tr-9')$$, fx('ws2'), fx('ws1'))),
    (SELECT v FROM mv WHERE k = 'tenant-9'), 'keys: and its retry returns the tenant''s transfer');
SELECT results_eq($$SELECT kind, by_platform FROM authz.credit_movements WHERE idempotency_key IN ('inv-2', 'tr-9')
                     ORDER BY idempotency_key, kind$$,
    $$VALUES ('topup', true), ('transfer', false), ('topup', true), ('transfer', false)$$,
    'keys: one key, two movements: one by the platform, one by the tenant');

-- ===========================================================================
-- Rate cards are the platform's
-- ===========================================================================

SELECT throws_ok(peer_call('adm', format($$SELECT authz.set_rate_card(%L, '0', '0', '0')$$, fx('acme'))),
    '42501', NULL, 'rate card: an org admin (org.billing.manage) may not price the organization''s usage');
SELECT throws_ok(peer_call('own', format($$SELECT authz.set_rate_card(%L, '0', '0', '0')$$, fx('acme'))),
    '42501', NULL, 'rate card: nor may the org owner');
SELECT lives_ok(peer_call('app', format($$SELECT authz.set_rate_card(%L, '0.2', '0.05', '0.05')$$, fx('acme'))),
    'rate card: the platform sets it');
SELECT is(peer_text('adm', 'SELECT string_agg(cpu_hour::text, '','') FROM authz.rate_cards'), '0.2',
    'rate card: the tenant reads its rate card');
SELECT is(peer_text('str', 'SELECT count(*) FROM authz.rate_cards'), '0',
    'rate card: a stranger reads none');
SELECT is(peer_text('app', format('SELECT authz.record_usage(%L, 1, 0, 0)', fx('ws2'))), '0.2',
    'rate card: usage is charged at the platform''s price');

-- ===========================================================================
-- Partitioned tables: every partition, present and future, is protected
-- ===========================================================================

CALL on_peer('tbl', $$
    CREATE TABLE docs (part text NOT NULL, workspace_id uuid NOT NULL, body text) PARTITION BY LIST (part);
    CREATE TABLE docs_a PARTITION OF docs FOR VALUES IN ('a');
    CREATE INDEX ON docs (workspace_id);
    SELECT authz.protect('docs');
    CREATE TABLE docs_b PARTITION OF docs FOR VALUES IN ('b');
    CREATE TABLE docs_c (LIKE docs);
    ALTER TABLE docs ATTACH PARTITION docs_c FOR VALUES IN ('c');
    CREATE TABLE docs_d PARTITION OF docs FOR VALUES IN ('d') PARTITION BY HASH (workspace_id);
    CREATE TABLE docs_d0 PARTITION OF docs_d FOR VALUES WITH (MODULUS 1, REMAINDER 0);
    GRANT SELECT, INSERT, UPDATE, DELETE ON docs, docs_a, docs_b, docs_c, docs_d, docs_d0 TO regress_ops_vw;
$$);
CALL on_peer('tbl', format($$INSERT INTO docs SELECT p, w, p FROM unnest(ARRAY['a', 'b', 'c', 'd']) p,
                                 unnest(ARRAY[%L, %L]::uuid[]) w$$, fx('ws1'), fx('ws2')));

SELECT is(peer_text('vw', 'SELECT count(*) FROM docs'), '4',
    'partitions: (through the partitioned table, vw reads the 4 rows of ws1)');
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_a'), '1',
    'partitions: a partition that existed when the table was protected shows only vw''s workspace');
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_b'), '1',
    'partitions: a partition created later (PARTITION OF) shows only vw''s workspace');
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_c'), '1',
    'partitions: a partition attached later (ATTACH PARTITION) shows only vw''s workspace');
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_d0'), '1',
    'partitions: a sub-partition created later shows only vw''s workspace');
SELECT throws_ok(peer_call('vw', format($$INSERT INTO docs_b VALUES ('b', %L, 'planted')$$, fx('ws2'))),
    '42501', NULL, 'partitions: a partition refuses a row for another workspace');
SELECT is(peer_text('vw', 'WITH x AS (DELETE FROM docs_d0 RETURNING 1) SELECT count(*) FROM x'), '0',
    'partitions: a sub-partition deletes nothing the role may not delete');
SELECT is((SELECT array_agg(p.polname || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
                            || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ORDER BY p.polname)
             FROM pg_policy p WHERE p.polrelid = 'docs_d0'::regclass),
          (SELECT array_agg(p.polname || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
                            || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ORDER BY p.polname)
             FROM pg_policy p WHERE p.polrelid = 'docs'::regclass),
    'partitions: a partition has its parent''s four policies');
CALL on_peer('tbl', 'ALTER TABLE docs_a DISABLE ROW LEVEL SECURITY');
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_a'), '1',
    'partitions: row-level security disabled on a partition of a protected table comes back at once');
SELECT throws_ok(peer_call('tbl', $$SELECT authz.protect('docs_b')$$), '42809', NULL,
    'partitions: protect() of a partition is refused (42809): the tree is protected from its root');
SELECT throws_ok(peer_call('tbl', $$SELECT authz.unprotect('docs_b')$$), '42809', NULL,
    'partitions: unprotect() of a partition of a protected table is refused (42809)');
SELECT throws_ok(peer_call('tbl', $$CREATE FOREIGN TABLE docs_f PARTITION OF docs FOR VALUES IN ('f') SERVER regress_ops_srv$$),
    '42809', NULL, 'partitions: a foreign table (which cannot have RLS) cannot become a partition of a protected table');
CALL on_peer('tbl', $$SELECT authz.protect('docs', read_permission => 'members.manage')$$);
SELECT is(peer_text('vw', 'SELECT count(*) FROM docs_d0'), '0',
    'partitions: protect() again with other permissions applies them to every partition');
CALL on_peer('tbl', $$SELECT authz.unprotect('docs')$$);
SELECT is((SELECT string_agg(c.relname || ':' || c.relrowsecurity || ':'
                             || (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), ',' ORDER BY c.relname)
             FROM pg_class c WHERE c.relname ~ '^docs(_.*)?$' AND c.relkind IN ('r', 'p')),
    'docs:false:0,docs_a:false:0,docs_b:false:0,docs_c:false:0,docs_d:false:0,docs_d0:false:0',
    'partitions: unprotect() removes the policies and row-level security from the table and every partition');
CALL on_peer('tbl', $$CREATE TABLE docs_e PARTITION OF docs FOR VALUES IN ('e')$$);
SELECT is((SELECT relrowsecurity FROM pg_class WHERE relname = 'docs_e'), false,
    'partitions: once unprotected, new partitions are left as they are created');

-- ===========================================================================
-- Triggers that fire whatever session_replication_role says
-- ===========================================================================

SELECT is((SELECT string_agg(DISTINCT tgname || '=' || tgenabled::text, ',' ORDER BY tgname || '=' || tgenabled::text)
             FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'authz.%'
              AND tgname IN ('invalidate_cache', 'invalidate_rows', 'invalidate_cache_replica', 'append_only', 'append_only_truncate')),
    'append_only=A,append_only_truncate=A,invalidate_cache=A,invalidate_cache_replica=R,invalidate_rows=A',
    'replica: the cache invalidation and append-only triggers are enabled ALWAYS (the registry''s row-level invalidation in replica mode only)');
CALL on_peer('su', 'SET session_replication_role = replica');
SELECT throws_ok(peer_call('su', 'UPDATE authz.audit_log SET action = action'), '42501', NULL,
    'replica: under session_replication_role = replica, the audit log still refuses UPDATE');
SELECT throws_ok(peer_call('su', 'DELETE FROM authz.audit_log'), '42501', NULL,
    'replica: and DELETE');
SELECT throws_ok(peer_call('su', 'DELETE FROM authz.credit_ledger'), '42501', NULL,
    'replica: the ledger still refuses DELETE');
SELECT throws_ok(peer_call('su', 'UPDATE authz.credit_movements SET amount = ''0'''), '42501', NULL,
    'replica: the movements still refuse UPDATE');
SELECT throws_ok(peer_call('su', 'TRUNCATE authz.audit_log'), '42501', NULL,
    'replica: the audit log still refuses TRUNCATE');
SELECT is(peer_text('vw', format('SELECT authz.can(%L, %L)::text', fx('ws2'), 'content.read')), 'false',
    'replica: (vw cannot read ws2, and has that answer cached)');
CALL on_peer('su', format($$INSERT INTO authz.participants (workspace_id, user_id, role_id)
                                VALUES (%L, %L, '00000000-0000-0000-0000-000000000004')$$, fx('ws2'), fx('vw')));
SELECT is(peer_text('vw', format('SELECT authz.can(%L, %L)::text', fx('ws2'), 'content.read')), 'true',
    'replica: a change written under session_replication_role = replica reaches other sessions'' caches');
CALL on_peer('su', 'RESET session_replication_role');

-- Nothing prepared may outlive the file (it would keep the database in use).
SELECT peer_state('su', format('ROLLBACK PREPARED %L', gid)) FROM pg_prepared_xacts
 WHERE gid LIKE 'regress_ops%' \g /dev/null
DO $$
BEGIN
    PERFORM dblink_disconnect(c) FROM unnest(dblink_get_connections()) c;
END
$$;

SELECT * FROM finish();
