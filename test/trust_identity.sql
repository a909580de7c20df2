-- The trust boundary of identity, with real login roles: acting for a user
-- (once a user is asserted, every function answers and acts for that user; a
-- trusted role's platform powers apply only when no user is asserted), a
-- deactivated user is nobody, workspace and project answers never share a
-- cache entry, and a READ COMMITTED transaction sees at its next statement a
-- revocation another session committed.
--
-- The other sessions (dblink) only see committed state, so the roles and the
-- tenancy below are committed first; the database is thrown away afterwards.

\ir lib/platform.sql
SET client_min_messages = warning;

DROP ROLE IF EXISTS regress_ti_app, regress_ti_dee;
CREATE ROLE regress_ti_app LOGIN;       -- the application's role: trusted
GRANT workspace_authz_trusted TO regress_ti_app;
CREATE ROLE regress_ti_dee LOGIN;       -- a psql user, mapped to user dee

CREATE TABLE public.ti (name text PRIMARY KEY, id uuid NOT NULL);
GRANT SELECT ON public.ti TO PUBLIC;
CREATE FUNCTION public.ti(text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM public.ti WHERE name = $1 $$;

-- acme: olga owns it and its workspaces w1 (with project p1) and w2; dave and
-- rita are org admins; zed and dee are members; dee administers w1.
-- globex: mia owns it and its workspace g1. neighbours: mia owns it and zed is
-- a member (so zed and mia see each other, and nothing of each other's
-- tenant).
DO $$
BEGIN
    INSERT INTO public.ti
    SELECT h, authz.create_user('ti-' || h, 'ti-' || h || '@example.com',
                                pg_role => CASE h WHEN 'dee' THEN 'regress_ti_dee' END)
      FROM unnest('{olga,dave,rita,zed,dee,mia}'::text[]) h;
    PERFORM authz.set_user(public.ti('olga'), false);
    INSERT INTO public.ti VALUES ('acme', authz.create_org('ti-acme'));
    INSERT INTO public.ti VALUES ('w1', authz.create_workspace(public.ti('acme'), 'w1'));
    INSERT INTO public.ti VALUES ('w2', authz.create_workspace(public.ti('acme'), 'w2'));
    INSERT INTO public.ti VALUES ('p1', authz.create_project(public.ti('w1'), 'p1'));
    PERFORM pg_temp.add_org_member(public.ti('acme'), public.ti('dave'), 'admin');
    PERFORM pg_temp.add_org_member(public.ti('acme'), public.ti('rita'), 'admin');
    PERFORM pg_temp.add_org_member(public.ti('acme'), public.ti('zed'), 'member');
    PERFORM pg_temp.add_org_member(public.ti('acme'), public.ti('dee'), 'member');
    PERFORM pg_temp.add_member(public.ti('w1'), public.ti('dee'), 'admin');
    PERFORM authz.set_user(public.ti('mia'), false);
    INSERT INTO public.ti VALUES ('globex', authz.create_org('ti-globex'));
    INSERT INTO public.ti VALUES ('g1', authz.create_workspace(public.ti('globex'), 'g1'));
    INSERT INTO public.ti VALUES ('neighbours', authz.create_org('ti-neighbours'));
    PERFORM pg_temp.add_org_member(public.ti('neighbours'), public.ti('zed'), 'member');
    PERFORM authz.set_user(NULL, false);
    PERFORM authz.add_credits(public.ti('w1'), '100');
    PERFORM authz.add_credits(public.ti('g1'), '100');
END
$$;

-- Connection string for the other sessions.
SELECT format('dbname=%s host=%s port=%s user=postgres', current_database(),
              current_setting('unix_socket_directories'), current_setting('port')) AS conn \gset

BEGIN;
SELECT plan(62);

-- ===========================================================================
-- Acting for a user: the application role asserts zed, a member of acme who
-- has no right in globex, and tries the platform's powers on globex.
-- ===========================================================================
SET ROLE regress_ti_app;
SELECT ok(authz.acting_for_platform(), 'a trusted role asserting no user acts for the platform');
SELECT authz.set_user(public.ti('zed')) \g /dev/null
SELECT ok(NOT authz.acting_for_platform(), 'once it asserts a user, it no longer acts for the platform');
SELECT throws_ok(format('SELECT authz.balance(%L)', public.ti('g1')), '42704',
    format('workspace "%s" not found or not allowed', public.ti('g1')),
    'acting for zed: the balance of another tenant''s workspace is refused');
SELECT throws_ok(format('SELECT * FROM authz.org_credit_summary(%L)', public.ti('globex')), '42704',
    format('organization "%s" not found or not allowed', public.ti('globex')),
    'acting for zed: another tenant''s credit summary is refused');
SELECT throws_ok(format('SELECT * FROM authz.who_can(%L, %L)', public.ti('g1'), 'content.read'), '42704',
    format('workspace "%s" not found or not allowed', public.ti('g1')),
    'acting for zed: who_can in another tenant''s workspace is refused');
SELECT throws_ok(format('SELECT * FROM authz.explain(%L, %L, %L)', public.ti('mia'), public.ti('g1'), 'content.read'),
    '42704', format('workspace "%s" not found or not allowed', public.ti('g1')),
    'acting for zed: explain of another user in another tenant is refused');
SELECT throws_ok(format('SELECT authz.personal_workspace(%L)', public.ti('mia')), '42501',
    'permission denied to look up the personal workspace of another user',
    'acting for zed: another user''s personal workspace is refused');
SELECT throws_ok(format('SELECT authz.check(%L, %L, %L)', public.ti('mia'), public.ti('g1'), 'content.read'), '42501',
    'permission denied to check the permissions of another user while acting for a user',
    'acting for zed: authz.check about another user is refused');
SELECT throws_ok(format('SELECT authz.add_credits(%L, %L)', public.ti('w1'), '1'), '42501',
    'permission denied to add credits: only a trusted role acting for no user may',
    'acting for zed: a top-up is refused');
SELECT throws_ok(format('SELECT authz.record_usage(%L, 1, 1)', public.ti('w1')), '42501',
    'permission denied to record usage: only a trusted role acting for no user may',
    'acting for zed: metering is refused');
SELECT throws_ok('SELECT authz.create_user(''ti-forged'', ''forged@example.com'')', '42501',
    'permission denied to create users: only a trusted role acting for no user may',
    'acting for zed: creating users is refused');
SELECT throws_ok('SELECT authz.define_permission(''ti.forged'')', '42501',
    'permission denied to register permissions: only a trusted role acting for no user may',
    'acting for zed: registering permissions is refused');
SELECT throws_ok('SELECT * FROM authz.verify_ledger()', '42501',
    'permission denied to verify the ledger: only a trusted role acting for no user may',
    'acting for zed: reading the whole ledger is refused');
SELECT throws_ok(format('SELECT authz.map_login_role(%L, NULL)', public.ti('mia')), '42501',
    'permission denied to map login roles: only a trusted role acting for no user may',
    'acting for zed: mapping login roles is refused');
SAVEPOINT deact;
SELECT throws_ok(format('SELECT authz.deactivate_user(%L)', public.ti('mia')), '42501', NULL,
    'acting for zed: deactivating another tenant''s user is refused');
ROLLBACK TO SAVEPOINT deact;
RESET ROLE;
SELECT is((SELECT status FROM authz.users WHERE id = public.ti('mia')), 'active',
    'acting for zed: mia is still active');
SET ROLE regress_ti_app;
SELECT is(authz.balance(public.ti('w1'))::text, '100',
    'acting for zed: the balance zed may see (org.billing.view in acme) is still answered');
SELECT is(authz.check(public.ti('zed'), public.ti('w1'), 'workspace.view'), authz.can(public.ti('w1'), 'workspace.view'),
    'acting for zed: authz.check about zed themselves answers as authz.can');

-- The same with JWT claims (JWT mode): a request names zed, or nobody.
RESET ROLE;
SELECT authz.set_user(NULL) \g /dev/null
SET LOCAL workspace_authz.jwt_claim = 'sub';
SET ROLE regress_ti_app;
SELECT set_config('request.jwt.claims', json_build_object('sub', public.ti('zed'))::text, true) \g /dev/null
SELECT is(authz.current_user_id(), public.ti('zed'), 'JWT mode: the claim names zed');
SELECT throws_ok(format('SELECT authz.balance(%L)', public.ti('g1')), '42704',
    format('workspace "%s" not found or not allowed', public.ti('g1')),
    'JWT mode, acting for zed: another tenant''s balance is refused');
SELECT throws_ok(format('SELECT authz.add_credits(%L, %L)', public.ti('w1'), '1'), '42501', NULL,
    'JWT mode, acting for zed: a top-up is refused');
SELECT set_config('request.jwt.claims', '{"role": "anon"}', true) \g /dev/null
SELECT ok(authz.current_user_id() IS NULL AND NOT authz.acting_for_platform(),
    'JWT mode: a request whose claims name nobody is nobody, and not the platform');
SELECT throws_ok(format('SELECT authz.balance(%L)', public.ti('g1')), '42501', NULL,
    'JWT mode, anonymous request: another tenant''s balance is refused');
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT ok(authz.acting_for_platform(), 'JWT mode: with no request claims, the trusted role acts for the platform again');
RESET ROLE;
RESET workspace_authz.jwt_claim;

-- What keeps working: the platform (no user asserted), and a user with the right.
SET ROLE regress_ti_app;
SELECT is(authz.balance(public.ti('g1'))::text, '100', 'the platform reads any balance');
SELECT is((SELECT count(*) FROM authz.org_credit_summary(public.ti('globex')))::int, 2,
    'the platform reads any credit summary');
SELECT is((SELECT array_agg(role) FROM authz.who_can(public.ti('g1'), 'workspace.delete')), '{owner}',
    'the platform lists who can, in any workspace');
SELECT is((SELECT role FROM authz.explain(public.ti('mia'), public.ti('g1'), 'content.read') WHERE source = 'result'),
    'owner', 'the platform explains any user');
SELECT ok(authz.personal_workspace(public.ti('mia')) IS NOT NULL, 'the platform looks up anyone''s personal workspace');
SELECT ok(authz.check(public.ti('mia'), public.ti('g1'), 'content.read'), 'the platform checks any user');
SELECT authz.set_user(public.ti('mia')) \g /dev/null
SELECT is(authz.balance(public.ti('g1'))::text, '100', 'acting for mia, globex''s owner: her balance');
SELECT is((SELECT role FROM authz.explain(public.ti('zed'), public.ti('g1'), 'content.read') WHERE source = 'result'),
    NULL, 'acting for mia: explaining someone in her workspace (members.view)');
SELECT authz.set_user(NULL) \g /dev/null
RESET ROLE;

-- ===========================================================================
-- A deactivated user is nobody: dee (a psql user, and an admin of w1) sent an
-- invitation and is in the audit log; once deactivated, reads nothing.
-- ===========================================================================
SELECT authz.set_user(public.ti('dee')) \g /dev/null
SELECT ok(authz.invite(public.ti('w1'), 'ti-guest@example.com', 'viewer') IS NOT NULL, 'dee invites someone to w1');
SELECT authz.set_user(NULL) \g /dev/null
GRANT SELECT ON authz.audit_log TO regress_ti_dee;     -- (granted to PUBLIC already)

-- What dee reads while active.
CREATE FUNCTION pg_temp.dee_reads() RETURNS text LANGUAGE sql AS $$
    SELECT format('audit %s, invitations %s, org memberships %s, participations %s',
                  (SELECT count(*) FROM authz.audit_log WHERE actor_id = public.ti('dee')),
                  (SELECT count(*) FROM authz.invitations WHERE inviter_id = public.ti('dee')),
                  (SELECT count(*) FROM authz.org_members WHERE user_id = public.ti('dee')),
                  (SELECT count(*) FROM authz.participants WHERE user_id = public.ti('dee')))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.dee_reads() TO regress_ti_dee;
SET SESSION AUTHORIZATION regress_ti_dee;
SELECT is(authz.current_user_id(), public.ti('dee'), 'dee''s login role is dee');
SELECT is(pg_temp.dee_reads(), 'audit 1, invitations 1, org memberships 1, participations 1',
    'active, dee reads the audit row of the invitation, the invitation, the membership and the participation');
RESET SESSION AUTHORIZATION;
SELECT authz.deactivate_user(public.ti('dee')) \g /dev/null
SET SESSION AUTHORIZATION regress_ti_dee;
SELECT is(authz.current_user_id(), NULL, 'deactivated, dee''s login role is nobody');
SELECT is(pg_temp.dee_reads(), 'audit 0, invitations 0, org memberships 0, participations 0',
    'deactivated, dee reads none of them');
SELECT is(authz.can(public.ti('w1'), 'workspace.view'), false, 'deactivated, dee holds nothing');
SELECT throws_ok('SELECT authz.create_org(''ti-dee'')', '42501', 'user "ti-dee" is deactivated',
    'deactivated, dee may do nothing (and is told why)');
RESET SESSION AUTHORIZATION;
SET ROLE regress_ti_app;
SELECT authz.set_user(public.ti('dee')) \g /dev/null
SELECT ok(authz.current_user_id() IS NULL AND NOT authz.acting_for_platform(),
    'the application asserting deactivated dee: nobody, and not the platform either');
SELECT is((SELECT count(*) FROM authz.audit WHERE split_part(action, '.', 1) = 'credit_movements')::int, 0,
    'asserting deactivated dee: the platform''s credit audit rows stay hidden');
SELECT throws_ok(format('SELECT authz.balance(%L)', public.ti('g1')), '42501', NULL,
    'asserting deactivated dee: no balance');
SELECT authz.set_user(NULL) \g /dev/null
SELECT ok((SELECT count(*) FROM authz.audit WHERE split_part(action, '.', 1) = 'credit_movements') > 0,
    'the platform (no user asserted) reads the credit audit rows');
RESET ROLE;

-- ===========================================================================
-- Workspace and project answers never share a cache entry (olga owns w1 and
-- w2; p1 is a project of w1).
-- ===========================================================================
CREATE TABLE public.ti_runs (project_id uuid NOT NULL, note text);
SELECT authz.protect('public.ti_runs', 'project_id', scope => 'project') \g /dev/null
GRANT SELECT, INSERT ON public.ti_runs TO regress_ti_app;
SET ROLE regress_ti_app;
SELECT authz.set_user(public.ti('olga')) \g /dev/null
SELECT ok(authz.can(public.ti('w1'), 'content.read'), 'olga reads in w1');
SELECT is(authz.can_project(public.ti('w1'), 'content.read'), false,
    'a workspace id is no project: can_project(<workspace>) is false after can(<workspace>)');
SELECT ok(authz.can_project(public.ti('p1'), 'content.read'), 'olga reads in project p1');
SELECT throws_ok(format('INSERT INTO public.ti_runs VALUES (%L, %L)', public.ti('w1'), 'keyed by a workspace'),
    '42501', NULL, 'a project-keyed table refuses a row keyed by a workspace id');
SELECT lives_ok(format('INSERT INTO public.ti_runs VALUES (%L, %L)', public.ti('p1'), 'keyed by a project'),
    'a project-keyed table accepts a row keyed by a project olga may write in');
RESET ROLE;
-- a change, so that the next statements start from a fresh cache
SELECT authz.set_user(public.ti('olga')) \g /dev/null
SELECT authz.update_workspace(public.ti('w2'), '{"description": "fresh"}') \g /dev/null
SET ROLE regress_ti_app;
SELECT is(authz.can_project(public.ti('w2'), 'workspace.view'), false,
    'can_project(<workspace>) first: false');
SELECT ok(authz.can(public.ti('w2'), 'workspace.view'),
    'the owner of w2 is not locked out of it afterwards (can_project did not poison the cache)');
SELECT authz.set_user(NULL) \g /dev/null
RESET ROLE;

-- ===========================================================================
-- Revocation inside a READ COMMITTED transaction: this session's transaction
-- acts for dave (an org admin) and keeps every lock it needs; another session
-- demotes dave and commits.
-- ===========================================================================
-- Session B (olga) is connected, and every statement dave's transaction runs
-- after the demotion ran once before it, so that nothing in this session takes
-- a new lock (which would absorb the invalidation by chance): the plain
-- statements below see the demotion only if the checks absorb it themselves.
SELECT public.ti('acme') AS acme, public.ti('w1') AS w1, public.ti('w2') AS w2 \gset
CREATE FUNCTION pg_temp.try_transfer(a uuid, b uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz.transfer_credits(a, b, '1');
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
SELECT dblink_connect('b', :'conn') \g /dev/null
SELECT dblink_exec('b', format('SET workspace_authz.user_id = %L', public.ti('olga'))) \g /dev/null
SELECT dblink_exec('b', 'DO $$ BEGIN END $$') AS warm \gset
SELECT authz.set_user(public.ti('dave')) \g /dev/null
SELECT authz.can_org(:'acme', 'org.billing.manage') AS may_before \gset
SELECT pg_temp.try_transfer(:'w1', :'w2') AS first_transfer \gset
SELECT is(:'may_before'::text, 't', 'dave, an org admin, may manage acme''s billing');
SELECT is(:'first_transfer'::text, '00000', 'dave transfers credits');
SELECT format('DO $$ BEGIN PERFORM authz.set_org_role(%L, %L, %L); END $$', :'acme', public.ti('dave'), 'member')
    AS demote_dave \gset
SELECT dblink_exec('b', :'demote_dave') AS demoted \gset
SELECT authz.can_org(:'acme', 'org.billing.manage') AS may_after \gset
SELECT pg_temp.try_transfer(:'w1', :'w2') AS second_transfer \gset
SELECT is(:'demoted'::text, 'DO', 'another session demotes dave to member, and commits');
SELECT is(:'may_after'::text, 'f', 'dave''s next statement, in the same transaction, no longer may manage billing');
SELECT is(:'second_transfer'::text, '42501', 'dave''s second transfer, in the same transaction, is refused');
SELECT authz.set_user(NULL) \g /dev/null

-- REPEATABLE READ keeps answering from its snapshot: rita, an org admin, in
-- another session's REPEATABLE READ transaction.
SELECT dblink_connect('rr', :'conn') \g /dev/null
SELECT dblink_exec('rr', 'BEGIN ISOLATION LEVEL REPEATABLE READ') \g /dev/null
SELECT * FROM dblink('rr', format('SELECT authz.set_user(%L)::text', public.ti('rita'))) AS t(x text) \g /dev/null
SELECT is((SELECT x FROM dblink('rr', format('SELECT authz.can_org(%L, %L)', public.ti('acme'), 'org.billing.manage'))
             AS t(x boolean)), true, 'REPEATABLE READ: rita may manage billing');
SELECT is(dblink_exec('b', format('DO $$ BEGIN PERFORM authz.set_org_role(%L, %L, %L); END $$',
                                  public.ti('acme'), public.ti('rita'), 'member')),
    'DO', 'another session demotes rita, and commits');
SELECT is((SELECT x FROM dblink('rr', format('SELECT authz.can_org(%L, %L)', public.ti('acme'), 'org.billing.manage'))
             AS t(x boolean)), true, 'REPEATABLE READ: rita''s transaction still answers from its snapshot');
SELECT dblink_exec('rr', 'COMMIT') \g /dev/null
SELECT * FROM dblink('rr', format('SELECT authz.set_user(%L, false)::text', public.ti('rita'))) AS t(x text) \g /dev/null
SELECT is((SELECT x FROM dblink('rr', format('SELECT authz.can_org(%L, %L)', public.ti('acme'), 'org.billing.manage'))
             AS t(x boolean)), false, 'REPEATABLE READ: rita''s next transaction sees the demotion');
SELECT dblink_disconnect('rr') \g /dev/null
SELECT dblink_disconnect('b') \g /dev/null

-- ===========================================================================
-- A restore may reserve a bit for a permission that restored data names before
-- its registration is loaded; nobody else can, not with row_security off either.
-- ===========================================================================
SET LOCAL row_security = off;
SET ROLE regress_ti_app;
SELECT throws_ok($$SELECT '{ti.unregistered}'::authz.permset$$, '22P02', NULL,
    'an ordinary role with row_security off: an unregistered name is malformed input');
RESET ROLE;
SET LOCAL row_security = on;
SELECT throws_ok($$SELECT '{ti.unregistered}'::authz.permset$$, '22P02', NULL,
    'a superuser with row_security on (no restore): an unregistered name is malformed input');
SELECT is((SELECT count(*) FROM authz_internal.restored_permissions)::int, 0, 'and no bit was reserved');

SELECT * FROM finish();
ROLLBACK;
