-- Holds and batched metering (issue: the credits engine): hold_credits,
-- capture_hold, release_hold, available(), expiry, what holds do to transfers;
-- record_usage_batch: per-event results, idempotency of a retried batch, a
-- batch with one bad event books nothing; who may call them. One session, one
-- transaction; money is moved by a trusted non-superuser role.
BEGIN;
SELECT plan(47);
SET client_min_messages = warning;

CREATE ROLE regress_ho_billing LOGIN;   -- the platform: billing, metering, scheduler
GRANT workspace_authz_trusted TO regress_ho_billing;
CREATE ROLE regress_ho_plain LOGIN;     -- an ordinary role

CREATE TEMP TABLE ids (k text PRIMARY KEY, v uuid NOT NULL);
CREATE TEMP TABLE h (k text PRIMARY KEY, id bigint);
GRANT SELECT, INSERT, UPDATE ON ids, h TO PUBLIC;
CREATE FUNCTION pg_temp.id(k text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT v FROM ids WHERE ids.k = $1 $$;
CREATE FUNCTION pg_temp.h(k text) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT id FROM h WHERE h.k = $1 $$;
-- movements and holds made with some keys (keys are not readable by PUBLIC)
CREATE FUNCTION pg_temp.keyed(keys text[]) RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER AS $$
    SELECT (SELECT count(*) FROM authz.credit_movements m WHERE m.idempotency_key = ANY ($1))
         + (SELECT count(*) FROM authz.credit_holds x WHERE x.idempotency_key = ANY ($1)) $$;
-- balance / available / open holds of a workspace, read as the superuser
CREATE FUNCTION pg_temp.state(k text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('balance %s available %s', authz.balance(pg_temp.id($1)), authz.available(pg_temp.id($1))) $$;

DO $$
DECLARE
    owner uuid := authz.create_user('hold_owner', 'hold-owner@example.com');
    org uuid;
BEGIN
    PERFORM authz.set_user(owner);
    org := authz.create_org('holdco', 'Hold Co');
    INSERT INTO ids VALUES ('owner', owner), ('org', org),
        ('run', authz.create_workspace(org, 'run')), ('other', authz.create_workspace(org, 'other')),
        ('batch1', authz.create_workspace(org, 'batch1')), ('batch2', authz.create_workspace(org, 'batch2'));
    PERFORM authz.set_user(NULL);
END
$$;

SET SESSION AUTHORIZATION regress_ho_billing;
SELECT authz.add_credits(pg_temp.id('run'), '100') \g /dev/null

-- ===========================================================================
-- hold, capture, release
-- ===========================================================================
INSERT INTO h VALUES ('h1', authz.hold_credits(pg_temp.id('run'), '30', 'run-1'));
SELECT is(pg_temp.state('run'), 'balance 100 available 70', 'hold_credits: 30 held leaves 70 available, balance unchanged');
SELECT is(authz.hold_credits(pg_temp.id('run'), '30', 'run-1'), pg_temp.h('h1'),
    'hold_credits: a retry with the same key and arguments returns the same hold');
SELECT is(pg_temp.state('run'), 'balance 100 available 70', '...and holds nothing more');
SELECT authz.set_user(pg_temp.id('owner')) \g /dev/null
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '1', 'run-user')$$, '42501', NULL,
    'hold_credits: a trusted role acting for a user (the owner) may not hold: holds are the platform''s');
SELECT throws_ok($$SELECT authz.release_hold(pg_temp.h('h1'))$$, '42501', NULL,
    'release_hold: nor release one');
SELECT authz.set_user(NULL) \g /dev/null
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '31', 'run-1')$$, '23505', NULL,
    'hold_credits: the same key with other arguments is refused (23505)');
INSERT INTO h VALUES ('h2', authz.hold_credits(pg_temp.id('run'), '70', 'run-2'));
SELECT is(pg_temp.state('run'), 'balance 100 available 0', 'hold_credits: the last 70 credits can be held');
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '0.000001', 'run-3')$$, '23514',
    'insufficient credits in workspace "holdco/run": available 0, hold 0.000001',
    'hold_credits: beyond the available credits is refused (23514)');
SELECT is(pg_temp.keyed('{run-3}'), 0::bigint,
    '...and nothing is held');
SELECT authz.set_user(pg_temp.id('owner')) \g /dev/null
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('run'), pg_temp.id('other'), '1')$$, '23514',
    'insufficient credits in workspace "holdco/run": balance 0, transfer 1',
    'transfer_credits: held credits cannot be transferred (the check is on the available credits)');
SELECT authz.set_user(NULL) \g /dev/null
SELECT is(authz.record_usage(pg_temp.id('run'), 10, 0)::text, '1',
    'record_usage: usage is still charged when everything is held (never refused)');
SELECT is(pg_temp.state('run'), 'balance 99 available -1', '...and may take the available credits below zero');

SELECT isnt(authz.capture_hold(pg_temp.h('h1'), '12.5'), NULL, 'capture_hold: charge 12.5 of a hold of 30');
SELECT is(pg_temp.state('run'), 'balance 86.5 available 16.5', '...the balance drops by 12.5 and the other 17.5 are released');
SELECT results_eq($$SELECT m.kind, m.amount::text, m.from_workspace, m.usage
                      FROM authz.credit_movements m JOIN authz.credit_holds x ON x.movement_id = m.id WHERE x.id = pg_temp.h('h1')$$,
    $$VALUES ('usage', '12.5', pg_temp.id('run'), jsonb_build_object('hold_id', pg_temp.h('h1'), 'held', 30))$$,
    '...as one usage movement that names the hold');
SELECT is(authz.capture_hold(pg_temp.h('h1'), '12.5'),
          (SELECT movement_id FROM authz.credit_holds WHERE id = pg_temp.h('h1')),
    'capture_hold: a retry with the same amount returns the same movement');
SELECT is(pg_temp.state('run'), 'balance 86.5 available 16.5', '...and charges nothing more');
SELECT throws_ok($$SELECT authz.capture_hold(pg_temp.h('h1'), '13')$$, '55000', NULL,
    'capture_hold: a second capture with another amount is refused (55000)');
SELECT throws_ok($$SELECT authz.release_hold(pg_temp.h('h1'))$$, '55000', NULL,
    'release_hold: a captured hold cannot be released (55000)');
SELECT throws_ok($$SELECT authz.capture_hold(pg_temp.h('h2'), '70.000001')$$, '22023', NULL,
    'capture_hold: more than the amount held is refused (22023)');
SELECT lives_ok($$SELECT authz.release_hold(pg_temp.h('h2'))$$, 'release_hold: an open hold is released');
SELECT is(pg_temp.state('run'), 'balance 86.5 available 86.5', '...and its 70 credits are available again');
SELECT lives_ok($$SELECT authz.release_hold(pg_temp.h('h2'))$$, 'release_hold: releasing it again does nothing');
SELECT throws_ok($$SELECT authz.capture_hold(pg_temp.h('h2'), '1')$$, '55000', NULL,
    'capture_hold: a released hold cannot be captured (55000)');
SELECT throws_ok($$SELECT authz.capture_hold(-1, '1')$$, '42704', 'hold "-1" not found or not allowed',
    'capture_hold: an unknown hold is refused (42704)');

-- ===========================================================================
-- expiry
-- ===========================================================================
INSERT INTO h VALUES ('h3', authz.hold_credits(pg_temp.id('run'), '80', 'run-4', '1 minute'));
SELECT is(pg_temp.state('run'), 'balance 86.5 available 6.5', 'hold_credits: a hold with a one-minute expiry reserves 80');
RESET SESSION AUTHORIZATION;
-- the hold is made to have expired (time does not pass inside one transaction)
UPDATE authz.credit_holds SET expires_at = now() - interval '1 second' WHERE id = pg_temp.h('h3');
SET SESSION AUTHORIZATION regress_ho_billing;
SELECT is(pg_temp.state('run'), 'balance 86.5 available 86.5', 'an expired hold reserves nothing');
SELECT throws_ok($$SELECT authz.capture_hold(pg_temp.h('h3'), '1')$$, '55000', NULL,
    'capture_hold: an expired hold cannot be captured (55000)');
SELECT authz.set_user(pg_temp.id('owner')) \g /dev/null
SELECT lives_ok($$SELECT authz.transfer_credits(pg_temp.id('run'), pg_temp.id('other'), '86.5')$$,
    'transfer_credits: credits of an expired hold can be transferred');
SELECT authz.set_user(NULL) \g /dev/null
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '1', 'run-5', '0 seconds')$$, '22023', NULL,
    'hold_credits: an expiry that is not in the future is refused (22023)');
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '0', 'run-6')$$, '22023', NULL,
    'hold_credits: a hold of zero is refused (22023)');

-- ===========================================================================
-- record_usage_batch
-- ===========================================================================
CREATE TEMP TABLE batch AS
SELECT ARRAY[ROW(pg_temp.id('batch1'), 1, 0, 0, 'ev-1'),
             ROW(pg_temp.id('batch2'), 2, 4, 0, 'ev-2'),
             ROW(pg_temp.id('batch1'), 0.000001, 0, 0, 'ev-3'),
             ROW(pg_temp.id('batch1'), 10, 0, 0, NULL)]::authz.usage_event[] AS events;
SELECT results_eq($$SELECT event, workspace_id, charge::text, replayed FROM authz.record_usage_batch((SELECT events FROM batch))$$,
    $$VALUES (1, pg_temp.id('batch1'), '0.1', false), (2, pg_temp.id('batch2'), '0.3', false),
             (3, pg_temp.id('batch1'), '0', false), (4, pg_temp.id('batch1'), '1', false)$$,
    'record_usage_batch: one row per event with its charge at the rate card');
SELECT is(format('%s %s', authz.balance(pg_temp.id('batch1')), authz.balance(pg_temp.id('batch2'))), '-1.1 -0.3',
    '...the charges are booked on each workspace');
SELECT results_eq($$SELECT event, charge::text, replayed FROM authz.record_usage_batch((SELECT events[1:3] FROM batch))$$,
    $$VALUES (1, '0.1', true), (2, '0.3', true), (3, '0', true)$$,
    'record_usage_batch: a retried batch answers every keyed event as a replay');
SELECT is(format('%s %s', authz.balance(pg_temp.id('batch1')), authz.balance(pg_temp.id('batch2'))), '-1.1 -0.3',
    '...and books nothing twice');
SELECT is(pg_temp.keyed('{ev-1,ev-2,ev-3}'), 3::bigint,
    '...one movement per key');
SELECT throws_ok($$SELECT * FROM authz.record_usage_batch(ARRAY[
        ROW(pg_temp.id('batch1'), 5, 0, 0, 'ev-4'),
        ROW(pg_temp.id('batch2'), -1, 0, 0, 'ev-5')]::authz.usage_event[])$$, '22023', NULL,
    'record_usage_batch: a batch with one bad event is refused');
SELECT is(pg_temp.keyed('{ev-4,ev-5}'), 0::bigint,
    '...and books none of its events');
SELECT throws_ok($$SELECT * FROM authz.record_usage_batch(ARRAY[
        ROW(pg_temp.id('batch1'), 1.5, 0, 0, 'ev-1')]::authz.usage_event[])$$, '23505', NULL,
    'record_usage_batch: a key reused with other quantities refuses the batch (23505)');
-- one key twice in one batch: the second event is a retry of the first
SELECT results_eq($$SELECT event, charge::text, replayed, movement_id = first_value(movement_id) OVER (ORDER BY event)
                      FROM authz.record_usage_batch(ARRAY[
                           ROW(pg_temp.id('batch2'), 1, 0, 0, 'ev-6'),
                           ROW(pg_temp.id('batch1'), 2, 0, 0, NULL),
                           ROW(pg_temp.id('batch2'), 1.0, 0, 0, 'ev-6'),
                           ROW(pg_temp.id('batch1'), 3, 0, 0, 'ev-7')]::authz.usage_event[])$$,
    $$VALUES (1, '0.1', false, true), (2, '0.2', false, false), (3, '0.1', true, true), (4, '0.3', false, false)$$,
    'record_usage_batch: a key twice in one batch books one movement; the second event answers it as a replay');
SELECT is(format('%s %s', authz.balance(pg_temp.id('batch1')), authz.balance(pg_temp.id('batch2'))), '-1.6 -0.4',
    '...and is charged once');
SELECT throws_ok($$SELECT * FROM authz.record_usage_batch(ARRAY[
        ROW(pg_temp.id('batch1'), 1, 0, 0, 'ev-8'),
        ROW(pg_temp.id('batch1'), 2, 0, 0, 'ev-8')]::authz.usage_event[])$$, '23505', NULL,
    'record_usage_batch: a key twice in one batch with other quantities refuses the batch (23505)');
SELECT is(pg_temp.keyed('{ev-8}'), 0::bigint, '...and books none of its events');
SELECT is((SELECT count(*) FROM authz.record_usage_batch('{}')), 0::bigint, 'record_usage_batch: an empty batch books nothing');
SELECT is(authz.available(pg_temp.id('batch1'))::text, authz.balance(pg_temp.id('batch1'))::text,
    'available: with no hold, the balance');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM authz.verify_ledger()), 0::bigint, 'verify_ledger: the books balance after all of it');

-- ===========================================================================
-- who may
-- ===========================================================================
SET SESSION AUTHORIZATION regress_ho_plain;
SELECT throws_ok($$SELECT authz.hold_credits(pg_temp.id('run'), '1', 'x')$$, '42501', NULL,
    'hold_credits: an ordinary role may not hold credits');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
