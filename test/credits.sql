-- Credit ledger (SPEC 5, 6, 8): top-ups, transfers, usage charges at the
-- organization's rate card and their rounding, idempotency keys, who may read
-- balances and summaries, the ledger check, append-only history, the guard on
-- deleting a funded workspace, and what each kind of user reads through RLS.
-- One session, one transaction. Money is moved by real non-superuser roles:
-- the billing system is a role granted workspace_authz_trusted; users act
-- through an application role that may only assert identity (authz.set_user),
-- or through login roles mapped to them (SET SESSION AUTHORIZATION).
\ir lib/platform.sql
BEGIN;
SELECT plan(173);
SET client_min_messages = warning;

CREATE ROLE regress_cr_billing LOGIN;   -- the billing and metering system
GRANT workspace_authz_trusted TO regress_cr_billing;
CREATE ROLE regress_cr_app LOGIN;       -- an application: may assert identity, nothing more
GRANT EXECUTE ON FUNCTION authz.set_user(uuid, boolean) TO regress_cr_app;
CREATE ROLE regress_cr_plain LOGIN;     -- ordinary role, mapped to nobody
CREATE ROLE regress_cr_olivia LOGIN;    -- owner of acme, globex and initech
CREATE ROLE regress_cr_adam LOGIN;      -- admin of acme
CREATE ROLE regress_cr_mia LOGIN;       -- member of acme and initech
CREATE ROLE regress_cr_gus LOGIN;       -- guest of acme, member participant of beta, viewer of gamma
CREATE ROLE regress_cr_wade LOGIN;      -- not in acme; admin participant of alpha
CREATE ROLE regress_cr_vera LOGIN;      -- not in acme; viewer participant of alpha
CREATE ROLE regress_cr_otto LOGIN;      -- in no organization

-- Names of the fixture objects and of the movements made, readable and
-- writable by every role of the test (temporary tables: no RLS).
CREATE TEMP TABLE ids (k text PRIMARY KEY, v uuid NOT NULL UNIQUE);
CREATE TEMP TABLE mv (k text PRIMARY KEY, id bigint, charge text);
GRANT SELECT, INSERT ON ids, mv TO PUBLIC;
CREATE FUNCTION pg_temp.id(k text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT v FROM ids WHERE ids.k = $1 $$;
CREATE FUNCTION pg_temp.mv(k text) RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT id FROM mv WHERE mv.k = $1 $$;
-- Balance of a workspace's account as text ('none' when it has no account);
-- the state of the books as one line. Read as the superuser, past RLS.
CREATE FUNCTION pg_temp.bal(k text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT a.balance::text FROM authz.credit_accounts a
                            WHERE a.workspace_id = pg_temp.id($1)), 'none') $$;
-- The text result of a query, or its SQLSTATE and message when it fails (so
-- that an unexpected error fails one assertion, not the whole file).
CREATE FUNCTION pg_temp.try(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE query INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
-- SQLSTATE, message, detail and hint of a failing query, separated by '|'.
CREATE FUNCTION pg_temp.failure(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d text;
    h text;
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN concat_ws('|', SQLSTATE, SQLERRM, d, h);
END
$$;
CREATE FUNCTION pg_temp.books() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT format('%s movements, %s entries; %s',
                        (SELECT count(*) FROM authz.credit_movements),
                        (SELECT count(*) FROM authz.credit_ledger),
                        (SELECT string_agg(i.k || '=' || a.balance::text, ' ' ORDER BY i.k)
                           FROM authz.credit_accounts a JOIN ids i ON i.v = a.workspace_id)) $$;

-- The cast. Org acme: workspaces alpha, beta, gamma (olivia owns them all);
-- dora, an admin of acme, is deactivated on the way.
-- Org globex: workspaces omega and sigma. Org initech: workspace meter
-- (metering tests).
DO $$
DECLARE
    olivia uuid := authz.create_user('olivia', 'olivia@example.com', 'Olivia', 'regress_cr_olivia');
    adam uuid := authz.create_user('adam', 'adam@example.com', 'Adam', 'regress_cr_adam');
    mia uuid := authz.create_user('mia', 'mia@example.com', 'Mia', 'regress_cr_mia');
    gus uuid := authz.create_user('gus', 'gus@example.com', 'Gus', 'regress_cr_gus');
    wade uuid := authz.create_user('wade', 'wade@example.com', 'Wade', 'regress_cr_wade');
    vera uuid := authz.create_user('vera', 'vera@example.com', 'Vera', 'regress_cr_vera');
    otto uuid := authz.create_user('otto', 'otto@example.com', 'Otto', 'regress_cr_otto');
    dora uuid := authz.create_user('dora', 'dora@example.com', 'Dora');
    acme uuid; globex uuid; initech uuid; alpha uuid; beta uuid; gamma uuid; omega uuid; sigma uuid; meter uuid;
BEGIN
    PERFORM authz.set_user(olivia);
    acme := authz.create_org('acme', 'Acme');
    alpha := authz.create_workspace(acme, 'alpha');
    beta := authz.create_workspace(acme, 'beta');
    gamma := authz.create_workspace(acme, 'gamma');
    PERFORM pg_temp.add_org_member(acme, adam, 'admin');
    PERFORM pg_temp.add_org_member(acme, mia, 'member');
    PERFORM pg_temp.add_org_member(acme, gus, 'guest');
    PERFORM pg_temp.add_org_member(acme, dora, 'admin');
    PERFORM pg_temp.add_member(alpha, wade, 'admin');
    PERFORM pg_temp.add_member(alpha, vera, 'viewer');
    PERFORM pg_temp.add_member(beta, gus, 'member');
    PERFORM pg_temp.add_member(gamma, gus, 'viewer');
    globex := authz.create_org('globex', 'Globex');
    omega := authz.create_workspace(globex, 'omega');
    sigma := authz.create_workspace(globex, 'sigma');
    initech := authz.create_org('initech', 'Initech');
    meter := authz.create_workspace(initech, 'meter');
    PERFORM pg_temp.add_org_member(initech, mia, 'member');
    PERFORM authz.set_user(NULL);
    INSERT INTO ids VALUES ('olivia', olivia), ('adam', adam), ('mia', mia), ('gus', gus), ('wade', wade),
        ('vera', vera), ('otto', otto), ('dora', dora), ('acme', acme), ('globex', globex), ('initech', initech),
        ('alpha', alpha), ('beta', beta), ('gamma', gamma), ('omega', omega), ('sigma', sigma), ('meter', meter),
        ('olivia_home', authz.personal_workspace(olivia)), ('mia_home', authz.personal_workspace(mia)),
        ('otto_home', authz.personal_workspace(otto));
END
$$;

-- Accounts open at their first movement (so that a restore never meets one
-- already opened by a trigger); until then the balance reads 0.
SELECT results_eq(
    $$SELECT i.k, a.balance::text, authz.balance(i.v)::text FROM ids i
        LEFT JOIN authz.credit_accounts a ON a.workspace_id = i.v
       WHERE i.k IN ('alpha', 'beta', 'gamma') ORDER BY i.k$$,
    $$VALUES ('alpha', NULL, '0'), ('beta', NULL, '0'), ('gamma', NULL, '0')$$,
    'a new workspace has no account row yet, and its balance reads 0');

-- ===========================================================================
-- add_credits
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_billing;
INSERT INTO mv (k, id) VALUES ('top1', authz.add_credits(pg_temp.id('alpha'), '100', 'initial'));
RESET SESSION AUTHORIZATION;

SELECT is((SELECT id FROM mv WHERE k = 'top1'),
          (SELECT m.id FROM authz.credit_movements m WHERE m.kind = 'topup' AND m.to_workspace = pg_temp.id('alpha')),
    'add_credits: returns the id of the movement it made');
SELECT is(pg_temp.bal('alpha'), '100', 'add_credits: the balance of the workspace grows by the amount');
SELECT results_eq(
    $$SELECT workspace_id, amount::text FROM authz.credit_ledger WHERE movement_id = pg_temp.mv('top1')$$,
    $$VALUES (pg_temp.id('alpha'), '100')$$,
    'add_credits: a top-up is one ledger entry of +amount on the workspace');
SELECT results_eq(
    $$SELECT kind, amount::text, from_workspace, to_workspace, memo, actor_id, login_role::text COLLATE "default"
        FROM authz.credit_movements WHERE id = pg_temp.mv('top1')$$,
    $$VALUES ('topup', '100', NULL::uuid, pg_temp.id('alpha'), 'initial', NULL::uuid, 'regress_cr_billing')$$,
    'add_credits: the movement records kind, amount, workspace, memo, no acting user and the login role');

SELECT pg_temp.books() AS books_before_topups \gset
SET SESSION AUTHORIZATION regress_cr_plain;
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '5')$$,
    '42501', 'permission denied for function add_credits',
    'add_credits: an ordinary role may not top up');
RESET SESSION AUTHORIZATION;
SET ROLE regress_cr_app;
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '5')$$,
    '42501', 'permission denied for function add_credits',
    'add_credits: a role trusted only to assert identity may not top up');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), NULL)$$,
    '22004', 'amount must not be NULL', 'add_credits: a NULL amount is refused with 22004');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '0')$$,
    '22023', 'amount must be positive, not 0', 'add_credits: a zero amount is refused with 22023');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '-5')$$,
    '22023', 'amount must be positive, not -5', 'add_credits: a negative amount is refused with 22023');
SELECT throws_ok($$SELECT authz.add_credits('00000000-0000-0000-0000-0000000000ff', '5')$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'add_credits: an unknown workspace is refused with 42704');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('omega'), '5', repeat('m', 1001))$$,
    '22023', 'memo is too long (1001 characters, at most 1000)',
    'add_credits: a memo longer than 1000 characters is refused with 22023');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '1.0000001')$$,
    '22P02', 'invalid input syntax for type authz.credits: "1.0000001"',
    'add_credits: an amount written with more than 6 decimals is malformed (22P02)');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), 'abc')$$,
    '22P02', 'invalid input syntax for type authz.credits: "abc"',
    'add_credits: an amount that is not a number is malformed (22P02)');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), 1.0000001)$$,
    '22003', 'value "1.0000001" cannot be stored exactly as authz.credits',
    'add_credits: a numeric amount that would need rounding is refused with 22003, never rounded');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '9223372036854')$$,
    '22003', 'authz.credits out of range',
    'add_credits: a top-up that would overflow the balance is refused with 22003');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.books(), :'books_before_topups',
    'add_credits: the refused calls moved nothing (same movements, entries and balances)');
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT lives_ok($$SELECT authz.add_credits(pg_temp.id('omega'), '5', repeat('m', 1000))$$,
    'add_credits: a memo of exactly 1000 characters is accepted');
RESET SESSION AUTHORIZATION;
-- The superuser is trusted too: otto's personal workspace gets 7 credits.
SELECT lives_ok($$SELECT authz.add_credits(pg_temp.id('otto_home'), '7')$$,
    'add_credits: the superuser may top up (a personal workspace too)');

-- Idempotency of top-ups.
SET SESSION AUTHORIZATION regress_cr_billing;
INSERT INTO mv (k, id) VALUES ('top_beta', authz.add_credits(pg_temp.id('beta'), '50', 'beta', 'topup-beta-1'));
RESET SESSION AUTHORIZATION;
SELECT pg_temp.books() AS books_after_beta \gset
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.add_credits(pg_temp.id('beta'), '50', 'beta', 'topup-beta-1')$$),
    pg_temp.mv('top_beta')::text,
    'add_credits: a retry with the same key and arguments returns the first movement id');
SELECT is(pg_temp.try($$SELECT authz.add_credits(pg_temp.id('beta'), '50.000000', 'beta', 'topup-beta-1')$$),
    pg_temp.mv('top_beta')::text,
    'add_credits: the same amount written another way is the same call');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('beta'), '51', 'beta', 'topup-beta-1')$$,
    '23505', 'idempotency key "topup-beta-1" was already used with other arguments',
    'add_credits: the same key with another amount is refused with 23505');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('beta'), '50', 'other', 'topup-beta-1')$$,
    '23505', 'idempotency key "topup-beta-1" was already used with other arguments',
    'add_credits: the same key with another memo is refused with 23505');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '50', 'beta', 'topup-beta-1')$$,
    '23505', 'idempotency key "topup-beta-1" was already used with other arguments',
    'add_credits: the same key on another workspace is refused with 23505');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('beta'), '50', 'beta', repeat('k', 256))$$,
    '22023', 'idempotency key is too long (256 characters, at most 255)',
    'add_credits: a key longer than 255 characters is refused with 22023');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.books(), :'books_after_beta',
    'add_credits: retries and refused reuses of a key moved nothing');
SELECT is(pg_temp.bal('beta'), '50', 'add_credits: the keyed top-up was applied once');

-- A key belongs to a tenant: the organization, or the personal workspace. The
-- refusal of a reused key says nothing of the first call.
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.failure($$SELECT authz.add_credits(pg_temp.id('alpha'), '51', 'other', 'topup-beta-1')$$),
    '23505|idempotency key "topup-beta-1" was already used with other arguments||Use a new key for a new movement.',
    'add_credits: a key reused in its organization is refused without a detail about the first call');
INSERT INTO mv (k, id) VALUES ('top_omega', authz.add_credits(pg_temp.id('omega'), '2', 'globex', 'topup-beta-1'));
INSERT INTO mv (k, id) VALUES ('top_home', authz.add_credits(pg_temp.id('olivia_home'), '3', NULL, 'topup-beta-1'));
SELECT is(pg_temp.try($$SELECT authz.add_credits(pg_temp.id('omega'), '2', 'globex', 'topup-beta-1')$$),
    pg_temp.mv('top_omega')::text,
    'add_credits: a retry in the other organization returns that organization''s movement');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('olivia_home'), '4', NULL, 'topup-beta-1')$$,
    '23505', 'idempotency key "topup-beta-1" was already used with other arguments',
    'add_credits: on a personal workspace the key is that workspace''s: other arguments are refused');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT id, to_workspace, amount::text FROM authz.credit_movements WHERE idempotency_key = 'topup-beta-1' ORDER BY id$$,
    $$VALUES (pg_temp.mv('top_beta'), pg_temp.id('beta'), '50'), (pg_temp.mv('top_omega'), pg_temp.id('omega'), '2'),
             (pg_temp.mv('top_home'), pg_temp.id('olivia_home'), '3')$$,
    'add_credits: one key used in two organizations and a personal workspace makes one movement in each');
SELECT results_eq($$SELECT pg_temp.bal('beta'), pg_temp.bal('omega'), pg_temp.bal('olivia_home')$$,
    $$VALUES ('50', '7', '3')$$,
    'add_credits: each tenant''s keyed top-up was applied once');

-- ===========================================================================
-- transfer_credits
-- ===========================================================================
-- olivia, the org owner, through the application role.
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('olivia')) \g /dev/null
INSERT INTO mv (k, id)
VALUES ('tr1', authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '30', 'rebalance'));
RESET ROLE;
SELECT results_eq(
    $$SELECT workspace_id, amount::text FROM authz.credit_ledger WHERE movement_id = pg_temp.mv('tr1') ORDER BY amount$$,
    $$VALUES (pg_temp.id('alpha'), '-30'), (pg_temp.id('beta'), '30')$$,
    'transfer_credits: two entries under one movement, -amount on the source and +amount on the destination');
SELECT results_eq(
    $$SELECT kind, amount::text, from_workspace, to_workspace, memo, actor_id, login_role::text COLLATE "default"
        FROM authz.credit_movements WHERE id = pg_temp.mv('tr1')$$,
    $$VALUES ('transfer', '30', pg_temp.id('alpha'), pg_temp.id('beta'), 'rebalance', pg_temp.id('olivia'), 'postgres')$$,
    'transfer_credits: the movement records both workspaces, the memo, the acting user and the session''s login role');
SELECT results_eq($$SELECT pg_temp.bal('alpha'), pg_temp.bal('beta')$$, $$VALUES ('70', '80')$$,
    'transfer_credits: the org owner moved 30 credits from alpha to beta');

-- adam, an org admin, from his own mapped login role.
SELECT authz.set_user(NULL) \g /dev/null
SET SESSION AUTHORIZATION regress_cr_adam;
INSERT INTO mv (k, id) VALUES ('tr2', authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('alpha'), '5'));
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT pg_temp.bal('alpha'), pg_temp.bal('beta'), m.actor_id, m.login_role::text COLLATE "default"
        FROM authz.credit_movements m WHERE m.id = pg_temp.mv('tr2')$$,
    $$VALUES ('75', '75', pg_temp.id('adam'), 'regress_cr_adam')$$,
    'transfer_credits: an org admin may transfer; the movement names him and his login role');

-- Refused: who lacks org.billing.manage, or has no identity. Through the
-- application role (trusted to assert identity) refusals name the org.
SELECT pg_temp.books() AS books_before_refusals \gset
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('mia')) \g /dev/null
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42501', 'permission denied: "org.billing.manage" is required in organization "acme"',
    'transfer_credits: an org member may not transfer');
SELECT authz.set_user(pg_temp.id('gus')) \g /dev/null
-- (gus participates in both workspaces: he sees them, so what refuses him is
-- the permission, not their visibility)
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('gamma'), '1')$$,
    '42501', 'permission denied: "org.billing.manage" is required in organization "acme"',
    'transfer_credits: an org guest may not transfer');
SELECT authz.set_user(NULL) \g /dev/null
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42501', 'no authz user is set for this session',
    'transfer_credits: without an identity nobody may transfer');
RESET ROLE;
SET SESSION AUTHORIZATION regress_cr_mia;
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42501', 'permission denied: "org.billing.manage" is required in organization "acme"',
    'transfer_credits: an org member may not transfer from her mapped login role either');
RESET SESSION AUTHORIZATION;
-- Login roles mapped to users outside the organization: not trusted, so the
-- refusal names the organization by its id only.
SET SESSION AUTHORIZATION regress_cr_wade;
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.id('beta')),
    'transfer_credits: a workspace admin outside the org may not transfer (and is not told the org''s name) (the workspace it may not see is refused as an unknown one)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_vera;
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.id('beta')),
    'transfer_credits: a workspace viewer may not transfer (the workspace it may not see is refused as an unknown one)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_otto;
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.id('alpha')),
    'transfer_credits: an outsider may not transfer (the workspace it may not see is refused as an unknown one)');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.books(), :'books_before_refusals',
    'transfer_credits: the refused transfers moved nothing');

-- Refused: bad arguments (as the org owner).
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('olivia')) \g /dev/null
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('alpha'), '1')$$,
    '22023', 'cannot transfer credits from workspace "acme/alpha" to itself',
    'transfer_credits: a transfer from a workspace to itself is refused with 22023');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('omega'), '1')$$,
    '22023', 'workspaces "acme/alpha" and "globex/omega" are not in the same organization',
    'transfer_credits: workspaces of two organizations (both owned by the caller) are refused with 22023');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('olivia_home'), pg_temp.id('alpha'), '1')$$,
    '22023', 'workspaces "olivia" and "acme/alpha" are not in the same organization',
    'transfer_credits: a personal workspace (in no organization) is refused with 22023');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '0')$$,
    '22023', 'amount must be positive, not 0',
    'transfer_credits: a zero amount is refused with 22023');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('alpha'), '1000')$$,
    '23514', 'insufficient credits in workspace "acme/beta": balance 75, transfer 1000',
    'transfer_credits: more than the balance is refused with 23514, naming the balance and the amount');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('alpha'), '75.000001')$$,
    '23514', 'insufficient credits in workspace "acme/beta": balance 75, transfer 75.000001',
    'transfer_credits: the balance plus one millionth is refused with 23514');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '-5')$$,
    '22023', 'amount must be positive, not -5',
    'transfer_credits: a negative amount (a transfer the other way in disguise) is refused with 22023');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), NULL)$$,
    '22004', 'amount must not be NULL', 'transfer_credits: a NULL amount is refused with 22004');
SELECT throws_ok($$SELECT authz.transfer_credits(NULL, pg_temp.id('beta'), '1')$$,
    '22004', 'from_workspace must not be NULL', 'transfer_credits: a NULL source is refused with 22004');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), NULL, '1')$$,
    '22004', 'to_workspace must not be NULL', 'transfer_credits: a NULL destination is refused with 22004');
SELECT throws_ok($$SELECT authz.transfer_credits('00000000-0000-0000-0000-0000000000ff', pg_temp.id('beta'), '1')$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'transfer_credits: an unknown source is refused with 42704');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), '00000000-0000-0000-0000-0000000000ff', '1')$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'transfer_credits: an unknown destination is refused with 42704');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1', repeat('m', 1001))$$,
    '22023', 'memo is too long (1001 characters, at most 1000)',
    'transfer_credits: a memo longer than 1000 characters is refused with 22023');
RESET ROLE;
-- dora, an org admin, once deactivated (by the platform: no user asserted).
SELECT authz.set_user(NULL) \g /dev/null
SELECT authz.deactivate_user(pg_temp.id('dora')) \g /dev/null
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('dora')) \g /dev/null
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1')$$,
    '42501', 'user "dora" is deactivated',
    'transfer_credits: a deactivated org admin may not transfer, and is told why');
SELECT authz.set_user(pg_temp.id('olivia')) \g /dev/null
RESET ROLE;
SELECT is(pg_temp.books(), :'books_before_refusals',
    'transfer_credits: the refused transfers, overdraws included, moved nothing');

-- Idempotency of transfers; the full balance may go.
SET ROLE regress_cr_app;
INSERT INTO mv (k, id)
VALUES ('tr_gamma', authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('gamma'), '25', 'to gamma', 'tr-1'));
RESET ROLE;
SELECT pg_temp.books() AS books_after_tr1 \gset
SET ROLE regress_cr_app;
SELECT is(pg_temp.try($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('gamma'), '25', 'to gamma', 'tr-1')$$),
    pg_temp.mv('tr_gamma')::text,
    'transfer_credits: a retry with the same key and arguments returns the first movement id');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('gamma'), '26', 'to gamma', 'tr-1')$$,
    '23505', 'idempotency key "tr-1" was already used with other arguments',
    'transfer_credits: the same key with another amount is refused with 23505');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('gamma'), '25', 'to gamma', 'tr-1')$$,
    '23505', 'idempotency key "tr-1" was already used with other arguments',
    'transfer_credits: the same key from another workspace is refused with 23505');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '25', 'to gamma', 'tr-1')$$,
    '23505', 'idempotency key "tr-1" was already used with other arguments',
    'transfer_credits: the same key to another workspace is refused with 23505');
SELECT is(pg_temp.failure($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('gamma'), '25', 'other', 'tr-1')$$),
    '23505|idempotency key "tr-1" was already used with other arguments||Use a new key for a new movement.',
    'transfer_credits: the same key with another memo is refused with 23505, without a detail about the first call');
SELECT throws_ok($$SELECT authz.transfer_credits(pg_temp.id('alpha'), pg_temp.id('beta'), '1000000', 'beta', 'topup-beta-1')$$,
    '23514', NULL,
    'transfer_credits: the platform''s keys are not the tenant''s: a top-up''s key is no obstacle to a transfer (refused here only for lack of funds)');
RESET ROLE;
SELECT is(pg_temp.books(), :'books_after_tr1',
    'transfer_credits: the retry and the refused reuses moved nothing');
SET ROLE regress_cr_app;
INSERT INTO mv (k, id)
VALUES ('tr_globex', authz.transfer_credits(pg_temp.id('omega'), pg_temp.id('sigma'), '1', NULL, 'tr-1'));
SELECT is(pg_temp.try($$SELECT authz.transfer_credits(pg_temp.id('omega'), pg_temp.id('sigma'), '1', NULL, 'tr-1')$$),
    pg_temp.mv('tr_globex')::text,
    'transfer_credits: a retry in the other organization returns that organization''s movement');
RESET ROLE;
SELECT results_eq(
    $$SELECT id, from_workspace FROM authz.credit_movements WHERE idempotency_key = 'tr-1' ORDER BY id$$,
    $$VALUES (pg_temp.mv('tr_gamma'), pg_temp.id('alpha')), (pg_temp.mv('tr_globex'), pg_temp.id('omega'))$$,
    'transfer_credits: the same key in another organization makes that organization''s own transfer');
SELECT results_eq($$SELECT pg_temp.bal('omega'), pg_temp.bal('sigma')$$, $$VALUES ('6', '1')$$,
    'transfer_credits: ...applied once (omega 7 - 1, sigma 0 + 1)');

SET ROLE regress_cr_app;
INSERT INTO mv (k, id)
VALUES ('tr_full', authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('gamma'), '75', NULL, 'tr-full'));
RESET ROLE;
SELECT results_eq($$SELECT pg_temp.bal('alpha'), pg_temp.bal('beta'), pg_temp.bal('gamma')$$,
    $$VALUES ('50', '0', '100')$$,
    'transfer_credits: exactly the whole balance may be transferred; the source reaches 0');
SET ROLE regress_cr_app;
SELECT is(pg_temp.try($$SELECT authz.transfer_credits(pg_temp.id('beta'), pg_temp.id('gamma'), '75', NULL, 'tr-full')$$),
    pg_temp.mv('tr_full')::text,
    'transfer_credits: a retry returns the first movement even though the source could no longer pay it');
SELECT authz.set_user(NULL) \g /dev/null
RESET ROLE;
SELECT results_eq($$SELECT pg_temp.bal('beta'), pg_temp.bal('gamma')$$, $$VALUES ('0', '100')$$,
    'transfer_credits: that retry moved nothing');

-- ===========================================================================
-- record_usage at the default rates (acme has no rate card)
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_billing;
INSERT INTO mv (k, charge) VALUES ('use1', authz.record_usage(pg_temp.id('alpha'), 10, 4, 2, 'use-1'));
RESET SESSION AUTHORIZATION;
SELECT is((SELECT charge FROM mv WHERE k = 'use1'), '1.15',
    'record_usage: 10 CPU-hours, 4 GiB-hours, 2 GB-months at 0.1/0.025/0.025 cost 1.15');
SELECT results_eq(
    $$SELECT m.kind, m.amount::text, m.from_workspace, m.to_workspace, m.actor_id, m.login_role::text COLLATE "default",
             m.usage = '{"cpu_hours": 10, "memory_gib_hours": 4, "storage_gb_months": 2,
                         "cpu_hour": 0.1, "memory_gib_hour": 0.025, "storage_gb_month": 0.025}'::jsonb,
             l.workspace_id, l.amount::text
        FROM authz.credit_movements m JOIN authz.credit_ledger l ON l.movement_id = m.id
       WHERE m.idempotency_key = 'use-1'$$,
    $$VALUES ('usage', '1.15', pg_temp.id('alpha'), NULL::uuid, NULL::uuid, 'regress_cr_billing', true,
              pg_temp.id('alpha'), '-1.15')$$,
    'record_usage: one usage movement with quantities and rates, and one ledger entry of -charge');
SELECT is(pg_temp.bal('alpha'), '48.85', 'record_usage: the charge is taken from the balance');
SELECT pg_temp.books() AS books_after_use1 \gset
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('alpha'), 10, 4, 2, 'use-1')$$), '1.15',
    'record_usage: a retry with the same key and quantities returns the first charge');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 10, 4, 3, 'use-1')$$,
    '23505', 'idempotency key "use-1" was already used with other arguments',
    'record_usage: the same key with other quantities is refused with 23505');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('alpha'), 10.0, 4.00, 2, 'use-1')$$), '1.15',
    'record_usage: the same quantities written with other scales (10.0, 4.00) are the same call');
SELECT throws_ok($$SELECT authz.add_credits(pg_temp.id('alpha'), '1', NULL, 'use-1')$$,
    '23505', 'idempotency key "use-1" was already used with other arguments',
    'add_credits: a usage charge''s key cannot be reused for a top-up');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), NULL, 0, 0)$$,
    '22004', 'usage quantities must not be NULL', 'record_usage: a NULL CPU quantity is refused with 22004');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 1, -0.5, 0)$$,
    '22023', 'usage quantities must not be negative',
    'record_usage: a negative quantity (a refund in disguise) is refused with 22023');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 'NaN', 0, 0)$$,
    '22023', 'usage quantities must be finite numbers', 'record_usage: NaN is refused with 22023');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 0, 'Infinity', 0)$$,
    '22023', 'usage quantities must be finite numbers', 'record_usage: Infinity is refused with 22023');
SELECT throws_ok($$SELECT authz.record_usage('00000000-0000-0000-0000-0000000000ff', 1, 0)$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'record_usage: an unknown workspace is refused with 42704');
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 1e20, 0)$$,
    '22003', 'value "10000000000000000000.000000" is out of range for type authz.credits',
    'record_usage: a charge too large for the type is refused with 22003');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_plain;
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('alpha'), 1, 0)$$,
    '42501', 'permission denied for function record_usage',
    'record_usage: an ordinary role may not record usage');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT throws_ok($$SELECT authz.record_usage(pg_temp.id('beta'), 10, 4, 2, 'use-1')$$,
    '23505', 'idempotency key "use-1" was already used with other arguments',
    'record_usage: the same key on another workspace of the organization is refused with 23505');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.books(), :'books_after_use1',
    'record_usage: the retry and the refused calls moved nothing');
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 10, 4, 2, 'use-1')$$), '1.15',
    'record_usage: the same key in another organization charges that organization''s workspace');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT from_workspace, amount::text FROM authz.credit_movements WHERE idempotency_key = 'use-1' ORDER BY id$$,
    $$VALUES (pg_temp.id('alpha'), '1.15'), (pg_temp.id('meter'), '1.15')$$,
    'record_usage: one charge per organization with that key');

-- Usage is never refused for lack of funds: beta holds 0.
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('beta'), 5, 0)$$), '0.5',
    'record_usage: a workspace holding nothing is still charged (5 CPU-hours cost 0.5)');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.bal('beta'), '-0.5', 'record_usage: the charge takes the balance below zero');

-- Without a key there is no idempotency: the same top-up twice is two top-ups.
SET SESSION AUTHORIZATION regress_cr_billing;
INSERT INTO mv (k, id) VALUES ('null_key_1', authz.add_credits(pg_temp.id('alpha'), '1.5'));
INSERT INTO mv (k, id) VALUES ('null_key_2', authz.add_credits(pg_temp.id('alpha'), '1.5'));
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT pg_temp.mv('null_key_1') <> pg_temp.mv('null_key_2'), pg_temp.bal('alpha'),
             (SELECT count(*) FROM authz.credit_movements WHERE id IN (pg_temp.mv('null_key_1'), pg_temp.mv('null_key_2'))
                 AND idempotency_key IS NULL)$$,
    $$VALUES (true, '51.85', 2::bigint)$$,
    'add_credits: two calls without a key make two movements, both applied');

-- ===========================================================================
-- Rounding: the exact sum of quantity x rate, rounded once to 6 decimals,
-- half away from zero (on initech's workspace meter, at the default rates)
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT results_eq(
    $$SELECT authz.record_usage(pg_temp.id('meter'), c, m, s)::text
        FROM (VALUES (1, 0, 0, 1), (0, 1, 0, 2), (0, 0, 1, 3), (3, 8, 100, 4), (0.5, 0.5, 0, 5), (2.25, 0, 0.04, 6))
             v(c, m, s, n) ORDER BY n$$,
    $$VALUES ('0.1'), ('0.025'), ('0.025'), ('3'), ('0.0625'), ('0.226')$$,
    'record_usage: charges at the default rates 0.1 per CPU-hour, 0.025 per GiB-hour and per GB-month');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 2, 2)$$), '0.25',
    'record_usage: storage defaults to 0 GB-months');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.000005, 0)$$), '0.000001',
    'record_usage: 0.0000005 rounds half away from zero to 0.000001 (half-even would give 0)');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.000025, 0)$$), '0.000003',
    'record_usage: 0.0000025 rounds to 0.000003 (half-even would give 0.000002)');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.000004, 0.000016)$$), '0.000001',
    'record_usage: two terms of 0.0000004 are summed before rounding: 0.000001 (rounding each would give 0)');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.000005, 0.00002)$$), '0.000001',
    'record_usage: two terms of 0.0000005 are summed before rounding: 0.000001 (rounding each would give 0.000002)');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.0000049999, 0)$$), '0',
    'record_usage: 0.00000049999 is below the half and rounds to 0');
INSERT INTO mv (k, charge) VALUES ('zero', authz.record_usage(pg_temp.id('meter'), 0.0000005, 0, 0, 'use-zero'));
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT (SELECT charge FROM mv WHERE k = 'zero'), m.amount::text,
             (SELECT count(*) FROM authz.credit_ledger l WHERE l.movement_id = m.id)
        FROM authz.credit_movements m WHERE m.idempotency_key = 'use-zero'$$,
    $$VALUES ('0', '0', 0::bigint)$$,
    'record_usage: a charge that rounds to 0 (0.0000005 CPU-hour) records the usage but writes no ledger entry');
SELECT results_eq(
    $$SELECT authz.usage_charge(c, m, s, '0.1', '0.025', '0.025')::text
        FROM (VALUES (0.000005, 0, 0, 1), (0.000015, 0, 0, 2), (0, 0.00006, 0, 3), (0, 0, 0.00002, 4)) v(c, m, s, n)
       ORDER BY n$$,
    $$VALUES ('0.000001'), ('0.000002'), ('0.000002'), ('0.000001')$$,
    'usage_charge: every exact half is rounded away from zero, whichever term carries it');

-- ===========================================================================
-- Rate cards
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_billing;
INSERT INTO mv (k, charge) VALUES ('use_m', authz.record_usage(pg_temp.id('meter'), 1, 0, 0, 'use-m'));
RESET SESSION AUTHORIZATION;
-- Prices are the platform's: the billing system sets them, tenants read them.
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT lives_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0.5', '0.01', '0.2')$$,
    'set_rate_card: the billing system (a trusted role, no user asserted) sets the organization''s prices');
SELECT throws_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0.5', '-0.01', '0.2')$$,
    '22023', 'rates must not be negative', 'set_rate_card: a negative rate is refused with 22023');
SELECT throws_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0.5', '0.01', NULL)$$,
    '22004', 'rates must not be NULL', 'set_rate_card: a NULL rate is refused with 22004');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_olivia;
SELECT throws_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0', '0', '0')$$,
    '42501', NULL, 'set_rate_card: the org owner (org.billing.manage) may not price the organization''s usage');
SELECT results_eq($$SELECT cpu_hour::text, memory_gib_hour::text, storage_gb_month::text FROM authz.rate_cards$$,
    $$VALUES ('0.5', '0.01', '0.2')$$,
    'rate_cards: the org owner reads the organization''s rate card');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_mia;
SELECT throws_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0', '0', '0')$$,
    '42501', NULL, 'set_rate_card: an org member may not set prices');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_otto;
SELECT is((SELECT count(*) FROM authz.rate_cards), 0::bigint,
    'rate_cards: a user in no organization reads no rate card');
RESET SESSION AUTHORIZATION;
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('olivia')) \g /dev/null
SELECT throws_ok($$SELECT authz.set_rate_card(pg_temp.id('initech'), '0', '0', '0')$$,
    '42501', NULL, 'set_rate_card: nor may the org owner through the application');
SELECT authz.set_user(NULL) \g /dev/null
RESET ROLE;
SELECT results_eq(
    $$SELECT cpu_hour::text, memory_gib_hour::text, storage_gb_month::text FROM authz.rate_cards
       WHERE org_id = pg_temp.id('initech')$$,
    $$VALUES ('0.5', '0.01', '0.2')$$,
    'set_rate_card: the refused calls left the prices the billing system set');
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 2, 10, 1)$$), '1.3',
    'record_usage: charges at the organization''s rate card (2 x 0.5 + 10 x 0.01 + 1 x 0.2)');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 0.000001, 0, 0)$$), '0.000001',
    'record_usage: at the rate card too, an exact half (0.0000005) rounds away from zero');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('meter'), 1, 0, 0, 'use-m')$$), '0.1',
    'record_usage: a retry after the prices changed returns the first charge, at the old price');
SELECT is(pg_temp.try($$SELECT authz.record_usage(pg_temp.id('alpha'), 1, 0, 0)$$), '0.1',
    'record_usage: another organization''s rate card does not apply (acme still pays 0.1)');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM authz.credit_movements WHERE idempotency_key = 'use-m'), 1::bigint,
    'record_usage: the retry made no second movement');
SELECT is((SELECT usage ->> 'cpu_hour' FROM authz.credit_movements m
            WHERE m.from_workspace = pg_temp.id('meter') AND m.amount::text = '1.3'),
    '0.5', 'record_usage: the movement records the rate applied');
SELECT is(pg_temp.bal('alpha'), '51.75', 'record_usage: acme''s charge at the default rate was applied');

-- ===========================================================================
-- The audit rows of movements (SPEC 9), as authz.audit shows them from the
-- movements themselves: who, what, where; never the idempotency key or the
-- fingerprint (the billing system's arguments)
-- ===========================================================================
SELECT results_eq(
    $$SELECT a.action, a.actor, a.login_role::text COLLATE "default", a.org_id, a.workspace_id,
             a.changes ->> 'kind', a.changes ->> 'amount', (a.changes ->> 'to_workspace')::uuid, a.changes ->> 'memo',
             a.changes ?| '{idempotency_key,fingerprint,tenant_id}'
        FROM authz.audit a WHERE a.target = pg_temp.mv('tr_gamma')::text AND a.action LIKE 'credit\_movements.%'$$,
    $$VALUES ('credit_movements.insert', 'olivia', 'postgres', pg_temp.id('acme'), pg_temp.id('alpha'),
              'transfer', '25', pg_temp.id('gamma'), 'to gamma', false)$$,
    'audit: a keyed transfer shows one row with its actor, login role, organization, source and destination, without key or fingerprint');
SELECT results_eq(
    $$SELECT a.action, a.actor, a.login_role::text COLLATE "default", a.org_id, a.workspace_id,
             a.changes ->> 'kind', a.changes ->> 'amount', a.changes -> 'usage' = m.usage,
             a.changes ?| '{idempotency_key,fingerprint,tenant_id}'
        FROM authz.audit a JOIN authz.credit_movements m ON a.target = m.id::text
       WHERE a.action LIKE 'credit\_movements.%' AND m.idempotency_key = 'use-1' AND m.from_workspace = pg_temp.id('alpha')$$,
    $$VALUES ('credit_movements.insert', '(platform)', 'regress_cr_billing', pg_temp.id('acme'), pg_temp.id('alpha'),
              'usage', '1.15', true, false)$$,
    'audit: a keyed usage charge shows one row with no actor (the platform), its login role, quantities and rates, without key or fingerprint');
SELECT is((SELECT count(*) FROM authz.audit a
            WHERE a.action LIKE 'credit\_movements.%'
              AND (a.changes ?| '{idempotency_key,fingerprint}'
                   OR EXISTS (SELECT FROM authz.credit_movements m
                               WHERE strpos(a.changes::text, m.idempotency_key) > 0
                                  OR strpos(a.changes::text, m.fingerprint) > 0))),
    0::bigint, 'audit: no audit row of any movement holds a key or a fingerprint, under any name');
SELECT is((SELECT count(*) FROM authz.audit a WHERE a.action LIKE 'credit\_movements.%'),
          (SELECT count(*) FROM authz.credit_movements),
    'audit: every movement shows as one audit row (the movement row is its own record)');

-- ===========================================================================
-- balance(): who may read it
-- ===========================================================================
SELECT authz.set_user(NULL) \g /dev/null
SET SESSION AUTHORIZATION regress_cr_olivia;
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('alpha'))$$), '51.75', 'balance: the org owner reads it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_wade;
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('alpha'))$$), '51.75',
    'balance: a workspace admin reads it (billing.view), even from outside the organization');
SELECT throws_ok($$SELECT authz.balance(pg_temp.id('beta'))$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.id('beta')),
    'balance: that admin may not read another workspace''s balance (which they may not see)');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_mia;
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('beta'))$$), '-0.5',
    'balance: an org member reads any workspace of the org (org.billing.view)');
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('mia_home'))$$), '0',
    'balance: a workspace that never had a movement holds 0');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_vera;
SELECT throws_ok($$SELECT authz.balance(pg_temp.id('alpha'))$$,
    '42501', 'permission denied: "billing.view" is required in workspace "acme/alpha"',
    'balance: a workspace viewer may not read it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_gus;
SELECT throws_ok($$SELECT authz.balance(pg_temp.id('beta'))$$,
    '42501', 'permission denied: "billing.view" is required in workspace "acme/beta"',
    'balance: an org guest may not read it, even where a member participant');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_otto;
SELECT throws_ok($$SELECT authz.balance(pg_temp.id('alpha'))$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.id('alpha')),
    'balance: an outsider may not read it (and is not told the workspace''s name)');
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('otto_home'))$$), '7',
    'balance: the owner of a personal workspace reads its balance');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is(pg_temp.try($$SELECT authz.balance(pg_temp.id('beta'))$$), '-0.5', 'balance: a trusted role reads any balance');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- org_credit_summary
-- acme: alpha 100 + 1.5 + 1.5 topped up, 5 in, 30 + 25 out, 1.15 + 0.1 used;
-- beta 50 topped up, 30 in, 5 + 75 out, 0.5 used; gamma 25 + 75 in.
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_mia;
SELECT results_eq(
    $$SELECT workspace_id, workspace, balance::text, topups::text, transfers_in::text, transfers_out::text, usage::text
        FROM authz.org_credit_summary(pg_temp.id('acme'))$$,
    $$(SELECT * FROM (VALUES (pg_temp.id('alpha'), 'alpha', '51.75', '103', '5', '55', '1.25'),
                             (pg_temp.id('beta'), 'beta', '-0.5', '50', '30', '80', '0.5'),
                             (pg_temp.id('gamma'), 'gamma', '100', '0', '100', '0', '0')) v
       ORDER BY 2)$$
    || $$ UNION ALL SELECT NULL::uuid, '(organization total)', '151.25', '153', '135', '135', '1.75'$$,
    'org_credit_summary: one row per workspace (by name), then the organization total; an org member reads it');
SELECT results_eq(
    $$SELECT workspace, balance::text, topups::text, transfers_in::text, transfers_out::text, usage::text
        FROM authz.org_credit_summary(pg_temp.id('acme'), now() + interval '1 hour')$$,
    $$(SELECT w, b, '0', '0', '0', '0' FROM (VALUES (pg_temp.id('alpha'), 'alpha', '51.75'),
             (pg_temp.id('beta'), 'beta', '-0.5'), (pg_temp.id('gamma'), 'gamma', '100')) v(i, w, b)
       ORDER BY w)$$
    || $$ UNION ALL SELECT '(organization total)', '151.25', '0', '0', '0', '0'$$,
    'org_credit_summary: a period after every movement shows the balances and no flows');
SELECT results_eq(
    $$SELECT workspace, topups::text, transfers_in::text, transfers_out::text, usage::text
        FROM authz.org_credit_summary(pg_temp.id('acme'), now() - interval '1 hour', now())$$,
    $$(SELECT w, '0', '0', '0', '0' FROM (VALUES (pg_temp.id('alpha'), 'alpha'),
             (pg_temp.id('beta'), 'beta'), (pg_temp.id('gamma'), 'gamma')) v(i, w)
       ORDER BY w)$$
    || $$ UNION ALL SELECT '(organization total)', '0', '0', '0', '0'$$,
    'org_credit_summary: the period ends before until (movements made at until are excluded)');
SELECT results_eq(
    $$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'), '-infinity')$$,
    $$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'), now(), 'infinity')$$,
    'org_credit_summary: since = now() includes movements made at now(), as since = -infinity does');
SELECT throws_ok($$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'), NULL)$$,
    '22004', 'period bounds must not be NULL', 'org_credit_summary: a NULL bound is refused with 22004');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_gus;
SELECT throws_ok($$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'))$$,
    '42501', 'permission denied: "org.billing.view" is required in organization "acme"',
    'org_credit_summary: an org guest may not read it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_wade;
SELECT throws_ok($$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'))$$,
    '42704', format('organization "%s" not found or not allowed', pg_temp.id('acme')),
    'org_credit_summary: a workspace admin outside the organization may not read it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_otto;
SELECT throws_ok($$SELECT * FROM authz.org_credit_summary(pg_temp.id('acme'))$$,
    '42704', format('organization "%s" not found or not allowed', pg_temp.id('acme')),
    'org_credit_summary: an outsider may not read it');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT results_eq(
    $$SELECT workspace, balance::text, usage::text FROM authz.org_credit_summary(pg_temp.id('acme')) OFFSET 3$$,
    $$VALUES ('(organization total)', '151.25', '1.75')$$,
    'org_credit_summary: a trusted role reads it');
RESET SESSION AUTHORIZATION;

-- A period that holds only some movements. globex: omega 5 + 2 topped up and
-- 1 out to sigma today; plus a top-up of 1000 two days ago, written as
-- pg_restore loads history (with its time; movements made in this
-- transaction all carry now()).
INSERT INTO authz.credit_movements (kind, amount, to_workspace, tenant_id, fingerprint, created_at)
VALUES ('topup', '1000', pg_temp.id('omega'), pg_temp.id('globex'), 'restored', now() - interval '2 days')
RETURNING id AS old_topup \gset
INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount, created_at)
VALUES (:old_topup, pg_temp.id('omega'), '1000', now() - interval '2 days');
UPDATE authz.credit_accounts SET balance = balance OPERATOR(authz.+) '1000' WHERE workspace_id = pg_temp.id('omega');
SET SESSION AUTHORIZATION regress_cr_olivia;
SELECT results_eq(
    $$SELECT workspace, balance::text, topups::text, transfers_in::text, transfers_out::text
        FROM authz.org_credit_summary(pg_temp.id('globex'), now() - interval '3 days', now() - interval '1 day')$$,
    $$(SELECT w, b, t, '0', '0' FROM (VALUES (pg_temp.id('omega'), 'omega', '1006', '1000'),
                                             (pg_temp.id('sigma'), 'sigma', '1', '0')) v(i, w, b, t) ORDER BY w)$$
    || $$ UNION ALL SELECT '(organization total)', '1007', '1000', '0', '0'$$,
    'org_credit_summary: a period two days back counts only the movement made then; balances are today''s');
SELECT results_eq(
    $$SELECT workspace, balance::text, topups::text, transfers_in::text, transfers_out::text
        FROM authz.org_credit_summary(pg_temp.id('globex'), now() - interval '1 day')$$,
    $$(SELECT w, b, t, i_, o FROM (VALUES (pg_temp.id('omega'), 'omega', '1006', '7', '0', '1'),
                                          (pg_temp.id('sigma'), 'sigma', '1', '0', '1', '0')) v(i, w, b, t, i_, o) ORDER BY w)$$
    || $$ UNION ALL SELECT '(organization total)', '1007', '7', '1', '1'$$,
    'org_credit_summary: the last day counts today''s movements and not the one two days back');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- RLS on the credit tables, and the columns ordinary roles may not read
-- ===========================================================================
CREATE TEMP TABLE ledger_copy AS SELECT id, workspace_id FROM authz.credit_ledger;
CREATE TEMP TABLE movement_copy AS SELECT id, from_workspace, to_workspace FROM authz.credit_movements;
GRANT SELECT ON ledger_copy, movement_copy TO PUBLIC;

SET SESSION AUTHORIZATION regress_cr_vera;
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM authz.credit_accounts), (SELECT count(*) FROM authz.credit_ledger),
             (SELECT count(*) FROM authz.credit_movements), (SELECT count(*) FROM authz.rate_cards)$$,
    $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
    'RLS: a workspace viewer sees no account, entry, movement or rate card');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_cr_wade;
SELECT set_eq($$SELECT workspace_id FROM authz.credit_accounts$$, $$VALUES (pg_temp.id('alpha'))$$,
    'RLS: a workspace admin sees the account of that workspace only');
SELECT set_eq($$SELECT id FROM authz.credit_ledger$$,
    $$SELECT id FROM ledger_copy WHERE workspace_id = pg_temp.id('alpha')$$,
    'RLS: a workspace admin sees exactly the ledger entries of that workspace');
SELECT set_eq($$SELECT id FROM authz.credit_movements$$,
    $$SELECT id FROM movement_copy WHERE pg_temp.id('alpha') IN (from_workspace, to_workspace)$$,
    'RLS: a workspace admin sees exactly the movements touching that workspace');
SELECT is_empty($$SELECT * FROM authz.rate_cards$$,
    'RLS: a workspace admin outside the organization sees no rate card');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_cr_mia;
SELECT set_eq($$SELECT workspace_id FROM authz.credit_accounts$$,
    $$VALUES (pg_temp.id('alpha')), (pg_temp.id('beta')), (pg_temp.id('gamma')), (pg_temp.id('meter'))$$,
    'RLS: an org member sees the accounts of the workspaces of her organizations');
SELECT set_eq($$SELECT id FROM authz.credit_ledger$$,
    $$SELECT id FROM ledger_copy
       WHERE workspace_id IN (pg_temp.id('alpha'), pg_temp.id('beta'), pg_temp.id('gamma'), pg_temp.id('meter'))$$,
    'RLS: an org member sees exactly the ledger entries of those workspaces');
SELECT set_eq($$SELECT id FROM authz.credit_movements$$,
    $$SELECT id FROM movement_copy
       WHERE from_workspace IN (pg_temp.id('alpha'), pg_temp.id('beta'), pg_temp.id('gamma'), pg_temp.id('meter'))
          OR to_workspace IN (pg_temp.id('alpha'), pg_temp.id('beta'), pg_temp.id('gamma'), pg_temp.id('meter'))$$,
    'RLS: an org member sees exactly the movements touching those workspaces');
SELECT set_eq($$SELECT org_id FROM authz.rate_cards$$, $$VALUES (pg_temp.id('initech'))$$,
    'RLS: an org member sees the rate card of her organization');
SELECT throws_ok($$SELECT idempotency_key FROM authz.credit_movements$$,
    '42501', 'permission denied for table credit_movements',
    'privileges: an ordinary role may not read the idempotency keys of movements');
SELECT throws_ok($$SELECT fingerprint FROM authz.credit_movements$$,
    '42501', 'permission denied for table credit_movements',
    'privileges: an ordinary role may not read the fingerprints of movements');
SELECT lives_ok($$SELECT id, kind, amount, from_workspace, to_workspace, memo, usage, actor_id, login_role, created_at
                    FROM authz.credit_movements$$,
    'privileges: the other columns of the movements are readable');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_cr_otto;
SELECT results_eq(
    $$SELECT (SELECT array_agg(workspace_id) FROM authz.credit_accounts),
             (SELECT array_agg(DISTINCT workspace_id) FROM authz.credit_ledger),
             (SELECT array_agg(to_workspace) FROM authz.credit_movements),
             (SELECT count(*) FROM authz.rate_cards)$$,
    $$VALUES (ARRAY[pg_temp.id('otto_home')], ARRAY[pg_temp.id('otto_home')], ARRAY[pg_temp.id('otto_home')], 0::bigint)$$,
    'RLS: an outsider sees only the account, entry and movement of his personal workspace');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- Append-only history (even for the superuser)
-- ===========================================================================
SELECT throws_ok($$UPDATE authz.credit_ledger SET amount = '1000' WHERE movement_id = pg_temp.mv('top1')$$,
    '42501', 'authz.credit_ledger is append-only', 'append-only: the superuser may not UPDATE ledger entries');
SELECT throws_ok($$DELETE FROM authz.credit_ledger$$,
    '42501', 'authz.credit_ledger is append-only', 'append-only: the superuser may not DELETE ledger entries');
SELECT throws_ok($$TRUNCATE authz.credit_ledger$$,
    '42501', 'authz.credit_ledger is append-only', 'append-only: the superuser may not TRUNCATE the ledger');
SELECT throws_ok($$UPDATE authz.credit_movements SET memo = 'forged' WHERE id = pg_temp.mv('tr1')$$,
    '42501', 'authz.credit_movements is append-only', 'append-only: the superuser may not UPDATE movements');
SELECT throws_ok($$DELETE FROM authz.credit_movements WHERE id = pg_temp.mv('tr1')$$,
    '42501', 'authz.credit_movements is append-only', 'append-only: the superuser may not DELETE movements');
-- (A plain TRUNCATE of the movements stops earlier, at the ledger's foreign key.)
SELECT throws_ok($$TRUNCATE authz.credit_movements CASCADE$$,
    '42501', NULL, 'append-only: the superuser may not TRUNCATE the movements (with the ledger)');

-- ===========================================================================
-- Deleting a workspace that still holds credits
-- ===========================================================================
SELECT throws_ok($$DELETE FROM authz.workspaces WHERE id = pg_temp.id('gamma')$$,
    '23514', 'workspace "acme/gamma" still holds 100 credits',
    'workspaces: one holding credits cannot be deleted, not even by the superuser');
SELECT throws_ok($$DELETE FROM authz.workspaces WHERE id = pg_temp.id('beta')$$,
    '23514', 'workspace "acme/beta" still holds -0.5 credits',
    'workspaces: one in debt cannot be deleted either');
SET ROLE regress_cr_app;
SELECT authz.set_user(pg_temp.id('olivia')) \g /dev/null
SELECT throws_ok($$SELECT authz.delete_workspace(pg_temp.id('gamma'))$$,
    '23514', 'workspace "acme/gamma" still holds 100 credits',
    'delete_workspace: its owner may not delete a workspace holding credits either');
SELECT lives_ok($$SELECT authz.transfer_credits(pg_temp.id('gamma'), pg_temp.id('alpha'), '100', 'closing gamma')$$,
    'workspaces: the owner moves the credits out first');
SELECT authz.set_user(NULL) \g /dev/null
RESET ROLE;
SELECT lives_ok($$DELETE FROM authz.workspaces WHERE id = pg_temp.id('gamma')$$,
    'workspaces: once its balance is 0 the workspace may be deleted');
SELECT results_eq(
    $$SELECT amount::text FROM authz.credit_ledger WHERE workspace_id = pg_temp.id('gamma') ORDER BY id$$,
    $$VALUES ('25'), ('75'), ('-100')$$,
    'workspaces: the ledger entries of the deleted workspace remain');
SELECT is(pg_temp.bal('gamma'), 'none', 'workspaces: the account of the deleted workspace goes with it');

-- ===========================================================================
-- verify_ledger
-- ===========================================================================
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT is_empty($$SELECT * FROM authz.verify_ledger()$$,
    'verify_ledger: after all of the above every balance equals the sum of its entries');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_cr_plain;
SELECT throws_ok($$SELECT * FROM authz.verify_ledger()$$,
    '42501', 'permission denied for function verify_ledger', 'verify_ledger: an ordinary role may not call it');
RESET SESSION AUTHORIZATION;

-- Make the books disagree behind the extension's back (the whole file is
-- rolled back): an entry written for a workspace that has no account, then a
-- balance changed without an entry.
INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (pg_temp.mv('top1'), pg_temp.id('mia_home'), '2');
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT results_eq($$SELECT workspace_id, balance::text, ledger_sum::text FROM authz.verify_ledger()$$,
    $$VALUES (pg_temp.id('mia_home'), NULL, '2')$$,
    'verify_ledger: entries of a workspace without an account are reported, with no balance and their sum');
RESET SESSION AUTHORIZATION;
ALTER TABLE authz.credit_accounts DISABLE TRIGGER ALL;
UPDATE authz.credit_accounts SET balance = balance OPERATOR(authz.+) '1' WHERE workspace_id = pg_temp.id('beta');
ALTER TABLE authz.credit_accounts ENABLE TRIGGER ALL;
SET SESSION AUTHORIZATION regress_cr_billing;
SELECT set_eq($$SELECT workspace_id, balance::text, ledger_sum::text FROM authz.verify_ledger()$$,
    $$VALUES (pg_temp.id('beta'), '0.5', '-0.5'), (pg_temp.id('mia_home'), NULL, '2')$$,
    'verify_ledger: a tampered balance is reported too, with the balance and the sum of its entries');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
