-- Identity (SPEC section 4), with real login roles: who authz.current_user_id()
-- is, who may assert it with authz.set_user(), how long an assertion lasts, and
-- every other way an ordinary role might try to forge it (SET, set_config, a
-- role default, a startup option, a placeholder planted before the library is
-- loaded, a JWT claim).
--
-- The other sessions (dblink) only see committed state, so the roles and users
-- below are committed first; the roles are dropped at the end (the database is
-- thrown away by the runner).

SET client_min_messages = warning;

DROP ROLE IF EXISTS regress_app, regress_mallory, regress_alice;
CREATE ROLE regress_app LOGIN;          -- the application's role: trusted
GRANT workspace_authz_trusted TO regress_app;
CREATE ROLE regress_mallory LOGIN;      -- an ordinary role, mapped to nobody
CREATE ROLE regress_alice LOGIN;        -- a psql user, mapped to user alice

DO $$
BEGIN
    PERFORM authz.create_user('regress_alice', 'alice@example.com', 'Alice', pg_role => 'regress_alice');
    PERFORM authz.create_user('regress_bob', 'bob@example.com', 'Bob');
    PERFORM authz.create_user('regress_carol', 'carol@example.com', 'Carol');
END
$$;

SELECT id AS alice FROM authz.users WHERE handle = 'regress_alice' \gset
SELECT id AS bob FROM authz.users WHERE handle = 'regress_bob' \gset
SELECT id AS carol FROM authz.users WHERE handle = 'regress_carol' \gset
-- Connection string for the other sessions (append " user=...").
SELECT format('dbname=%s host=%s port=%s', current_database(),
              current_setting('unix_socket_directories'), current_setting('port')) AS conn \gset

BEGIN;
SELECT plan(75);

-- Whether the calling role is trusted, as the extension judges it: the role
-- outside any SECURITY DEFINER function (this wrapper runs as its owner, a
-- superuser, so only the outer role can make the answer differ).
CREATE FUNCTION public.regress_is_trusted() RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT authz_internal._is_trusted() $$;

-- The current user, or NULL when asking raises an error.
CREATE FUNCTION pg_temp.current_user_or_null() RETURNS uuid
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN authz.current_user_id();
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

-- Assert a user in another session.
CREATE FUNCTION pg_temp.remote_set_user(conn text, u uuid, is_local boolean DEFAULT true) RETURNS text
    LANGUAGE sql AS $$
    SELECT x FROM dblink(conn, format('SELECT authz.set_user(%L, %L)::text', u, is_local)) AS t(x text)
$$;

-- The current user of another session.
CREATE FUNCTION pg_temp.remote_user(conn text) RETURNS uuid
    LANGUAGE sql AS $$ SELECT u FROM dblink(conn, 'SELECT authz.current_user_id()') AS t(u uuid) $$;

-- ---------------------------------------------------------------------------
-- Nobody asserted, nobody mapped: no identity. Superusers are trusted.
-- ---------------------------------------------------------------------------

SELECT is(authz.current_user_id(), NULL, 'a superuser mapped to no user has no identity');
SELECT ok(public.regress_is_trusted(), 'a superuser is trusted');

SAVEPOINT su;
SELECT lives_ok(format('SELECT authz.set_user(%L)', :'bob'), 'a superuser may call authz.set_user()');
SELECT is(authz.current_user_id(), :'bob'::uuid, 'the user a superuser asserts is the current user');
ROLLBACK TO SAVEPOINT su;
SELECT is(authz.current_user_id(), NULL, 'rolling back to a savepoint undoes the assertion made after it');

-- ---------------------------------------------------------------------------
-- The trusted application role.
-- ---------------------------------------------------------------------------

SELECT ok(pg_has_role('regress_app', 'workspace_authz_trusted', 'MEMBER'),
          'regress_app is a member of workspace_authz_trusted');

SET SESSION AUTHORIZATION regress_app;
SELECT is(authz.current_user_id(), NULL, 'regress_app is mapped to no user: no identity until one is asserted');
SELECT ok(public.regress_is_trusted(), 'a member of workspace_authz_trusted is trusted');

SAVEPOINT a;
SELECT lives_ok(format('SELECT authz.set_user(%L)', :'bob'), 'a trusted role may call authz.set_user()');
SELECT is(authz.current_user_id(), :'bob'::uuid, 'the asserted user is the current user');
SAVEPOINT b;
SELECT authz.set_user(:'carol') \g /dev/null
SELECT is(authz.current_user_id(), :'carol'::uuid, 'a later assertion replaces the earlier one');
ROLLBACK TO SAVEPOINT b;
SELECT is(authz.current_user_id(), :'bob'::uuid,
          'ROLLBACK TO SAVEPOINT undoes the assertion made after the savepoint, keeping the one before');
SELECT authz.set_user(NULL) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'set_user(NULL) clears the assertion (regress_app maps to nobody)');
ROLLBACK TO SAVEPOINT a;
SELECT is(authz.current_user_id(), NULL, 'rolling back to a savepoint before any assertion leaves no identity');

SELECT throws_ok('SELECT authz.set_user(''00000000-0000-0000-0000-0000000000ff'')', '42704',
                 'user "00000000-0000-0000-0000-0000000000ff" does not exist',
                 'asserting an unknown user is refused');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- A psql user mapped through authz.users.pg_role.
-- ---------------------------------------------------------------------------

SET SESSION AUTHORIZATION regress_alice;
SELECT is(authz.current_user_id(), :'alice'::uuid, 'a login role mapped through pg_role is that user');
SELECT ok(NOT public.regress_is_trusted(), 'a mapped ordinary role is not trusted');
SELECT throws_ok(format('SELECT authz.set_user(%L)', :'bob'), '42501', 'permission denied for function set_user',
                 'a mapped ordinary role cannot assert another user');
RESET SESSION AUTHORIZATION;

SET ROLE regress_alice;
SELECT is(authz.current_user_id(), NULL,
          'SET ROLE to a mapped role does not make its user current: the mapping follows the login role');
RESET ROLE;

-- A trusted login role that is also mapped: clearing the assertion falls back to the mapping.
SAVEPOINT mapped_trusted;
GRANT workspace_authz_trusted TO regress_alice;
SET SESSION AUTHORIZATION regress_alice;
SELECT authz.set_user(:'bob') \g /dev/null
SELECT is(authz.current_user_id(), :'bob'::uuid, 'an assertion wins over the login mapping');
SELECT authz.set_user(NULL) \g /dev/null
SELECT is(authz.current_user_id(), :'alice'::uuid, 'set_user(NULL) falls back to the user mapped to the login role');
ROLLBACK TO SAVEPOINT mapped_trusted;
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- An ordinary role cannot assert or forge identity in any way.
-- ---------------------------------------------------------------------------

SET SESSION AUTHORIZATION regress_mallory;
SELECT is(authz.current_user_id(), NULL, 'an ordinary role mapped to nobody has no identity');
SELECT ok(NOT public.regress_is_trusted(), 'an ordinary role is not trusted');
SELECT throws_ok(format('SELECT authz.set_user(%L)', :'alice'), '42501', 'permission denied for function set_user',
                 'an ordinary role cannot call authz.set_user()');
SELECT throws_ok(format('SET workspace_authz.user_id = %L', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot SET workspace_authz.user_id');
SELECT throws_ok(format('SET LOCAL workspace_authz.user_id = %L', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot SET LOCAL workspace_authz.user_id');
SELECT throws_ok(format('SELECT set_config(''workspace_authz.user_id'', %L, false)', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot set_config() workspace_authz.user_id for the session');
SELECT throws_ok(format('SELECT set_config(''workspace_authz.user_id'', %L, true)', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot set_config() workspace_authz.user_id for the transaction');
SELECT throws_ok(format('UPDATE pg_settings SET setting = %L WHERE name = ''workspace_authz.user_id''', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot change workspace_authz.user_id through pg_settings');
SELECT throws_ok(format('ALTER ROLE regress_mallory SET workspace_authz.user_id = %L', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot make workspace_authz.user_id a default of its own role');
SELECT throws_ok(format('CREATE FUNCTION pg_temp.regress_as_alice() RETURNS uuid LANGUAGE sql'
                        ' SET workspace_authz.user_id = %L AS ''SELECT authz.current_user_id()''', :'alice'), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot create a function that sets workspace_authz.user_id when called');
SELECT throws_ok('RESET workspace_authz.user_id', '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot RESET workspace_authz.user_id either');
SELECT throws_ok('SET workspace_authz.jwt_claim = ''sub''', '42501',
                 'permission denied to set parameter "workspace_authz.jwt_claim"',
                 'an ordinary role cannot turn on the JWT claim mode');
SELECT throws_ok(format('SELECT authz.check(%L, %L, ''workspace.view'')', :'alice', gen_random_uuid()), '42501',
                 'permission denied for function check',
                 'an ordinary role cannot call authz.check() on behalf of another user');
SELECT throws_ok('SELECT authz.create_user(''regress_forged'', ''forged@example.com'', NULL, ''regress_mallory'')', '42501',
                 'permission denied for function create_user',
                 'an ordinary role cannot create a user mapped to itself');
SELECT throws_ok('SELECT authz.define_permission(''regress.forged'')', '42501',
                 'permission denied for function define_permission',
                 'an ordinary role cannot register permissions');
SELECT is(authz.current_user_id(), NULL, 'after every refused attempt the ordinary role still has no identity');
SELECT set_config('request.jwt.claims', json_build_object('sub', :'alice')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'with the JWT mode off, request.jwt.claims names nobody');
RESET SESSION AUTHORIZATION;

-- RESET ALL by an ordinary role after a superuser asserted alice for the session:
-- the assertion goes away and nobody else takes its place.
SAVEPOINT reset_all;
SELECT authz.set_user(:'alice', false) \g /dev/null
SET SESSION AUTHORIZATION regress_mallory;
RESET ALL;
SELECT is(authz.current_user_id(), NULL, 'RESET ALL by an ordinary role leaves no identity, never another user');
RESET SESSION AUTHORIZATION;
ROLLBACK TO SAVEPOINT reset_all;

-- ---------------------------------------------------------------------------
-- JWT mode (superuser-only setting workspace_authz.jwt_claim).
-- ---------------------------------------------------------------------------

SELECT set_config('request.jwt.claims', json_build_object('sub', :'bob')::text, true) \g /dev/null
SELECT is(current_setting('workspace_authz.jwt_claim'), '', 'the JWT claim mode is off by default');
SELECT is(authz.current_user_id(), NULL, 'with workspace_authz.jwt_claim unset, request.jwt.claims gives no identity');
SET LOCAL workspace_authz.jwt_claim = 'sub';
SELECT is(authz.current_user_id(), :'bob'::uuid, 'with workspace_authz.jwt_claim = sub, the claim names the current user');
SELECT set_config('request.jwt.claims', '{"sub": "not-a-uuid"}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a claim that is not a uuid names nobody');
SELECT set_config('request.jwt.claims', format('{"sub": "%s-00"}', :'bob'), true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a claim with extra characters after a uuid names nobody');
SELECT set_config('request.jwt.claims', '{"sub": 42}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a numeric claim names nobody');
SELECT set_config('request.jwt.claims', json_build_object('sub', json_build_object('id', :'bob'))::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'an object claim names nobody');
SELECT set_config('request.jwt.claims', json_build_array(:'bob')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'claims that are not a JSON object name nobody');
SELECT set_config('request.jwt.claims', json_build_object('user', :'bob')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'claims without the configured claim name nobody');
SET LOCAL workspace_authz.jwt_claim = 'user';
SELECT is(authz.current_user_id(), :'bob'::uuid, 'the configured claim name is the one read');
SELECT set_config('request.jwt.claims', json_build_object('user', :'bob', 'sub', :'carol')::text, true) \g /dev/null
SAVEPOINT jwt_assert;
SELECT authz.set_user(:'alice') \g /dev/null
SELECT is(authz.current_user_id(), :'alice'::uuid, 'an assertion with set_user wins over the JWT claim');
ROLLBACK TO SAVEPOINT jwt_assert;
SELECT is(authz.current_user_id(), :'bob'::uuid, 'without the assertion the claim names the user again');
SELECT set_config('request.jwt.claims', 'not json', true) \g /dev/null
SELECT is(pg_temp.current_user_or_null(), NULL, 'malformed JSON claims name nobody (an error or no identity)');
RESET request.jwt.claims;
RESET workspace_authz.jwt_claim;

-- ---------------------------------------------------------------------------
-- Other sessions: real logins, transaction ends, session-level assertions.
-- ---------------------------------------------------------------------------

SELECT dblink_connect('alice', :'conn' || ' user=regress_alice') \g /dev/null
SELECT is(pg_temp.remote_user('alice'), :'alice'::uuid, 'a real login of a mapped role is that user');
SELECT throws_ok(format('SELECT pg_temp.remote_set_user(''alice'', %L)', :'bob'), '42501',
                 'permission denied for function set_user', 'a mapped login cannot assert another user');
SELECT dblink_disconnect('alice') \g /dev/null

SELECT dblink_connect('app', :'conn' || ' user=regress_app') \g /dev/null
SELECT dblink_exec('app', 'BEGIN') \g /dev/null
SELECT pg_temp.remote_set_user('app', :'bob') \g /dev/null
SELECT is(pg_temp.remote_user('app'), :'bob'::uuid, 'inside the transaction the asserted user is current');
SELECT dblink_exec('app', 'COMMIT') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'a transaction-local assertion ends with the transaction (COMMIT)');

SELECT dblink_exec('app', 'BEGIN') \g /dev/null
SELECT pg_temp.remote_set_user('app', :'bob', false) \g /dev/null
SELECT dblink_exec('app', 'ROLLBACK') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'a rolled-back session-level assertion leaves no trace');

SELECT pg_temp.remote_set_user('app', :'bob') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL,
          'a transaction-local assertion outside a transaction block does not outlive its statement');

SELECT pg_temp.remote_set_user('app', :'bob', is_local => false) \g /dev/null
SELECT is(pg_temp.remote_user('app'), :'bob'::uuid, 'a session-level assertion holds in the next transaction');
SELECT dblink_exec('app', 'BEGIN') \g /dev/null
SELECT pg_temp.remote_set_user('app', :'carol') \g /dev/null
SELECT is(pg_temp.remote_user('app'), :'carol'::uuid, 'a transaction-local assertion overrides the session one');
SELECT dblink_exec('app', 'COMMIT') \g /dev/null
SELECT is(pg_temp.remote_user('app'), :'bob'::uuid, 'after the transaction the session-level assertion is back');
SELECT pg_temp.remote_set_user('app', NULL, false) \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'set_user(NULL, false) clears the session-level assertion');

SELECT pg_temp.remote_set_user('app', :'alice', false) \g /dev/null
SELECT dblink_exec('app', 'RESET ALL') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'RESET ALL clears a session-level assertion and names nobody else');
SELECT pg_temp.remote_set_user('app', :'alice', false) \g /dev/null
SELECT dblink_exec('app', 'DISCARD ALL') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'DISCARD ALL clears a session-level assertion and names nobody else');
SELECT dblink_disconnect('app') \g /dev/null

-- ---------------------------------------------------------------------------
-- Placeholders planted before the library is loaded. In a brand-new session
-- the library is not loaded yet, so SET may accept an unknown setting as a
-- placeholder; loading the library must not turn it into an identity.
-- ---------------------------------------------------------------------------

SELECT dblink_connect('m1', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT dblink_exec('m1', format('SET workspace_authz.user_id = %L', :'alice'), false) \g /dev/null
SELECT is(pg_temp.remote_user('m1'), NULL, 'a placeholder planted with SET before the library loads names nobody');
SELECT is((SELECT v FROM dblink('m1', 'SELECT current_setting(''workspace_authz.user_id'')') AS t(v text)), '',
          'the planted value is discarded when the library loads');
SELECT dblink_disconnect('m1') \g /dev/null

SELECT dblink_connect('m2', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT * FROM dblink('m2', format('SELECT set_config(''workspace_authz.user_id'', %L, false)', :'alice'), false) AS t(v text) \g /dev/null
SELECT is(pg_temp.remote_user('m2'), NULL, 'a placeholder planted with set_config() before the library loads names nobody');
SELECT dblink_disconnect('m2') \g /dev/null

SELECT dblink_connect('m3', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT dblink_exec('m3', 'BEGIN') \g /dev/null
SELECT dblink_exec('m3', format('SET LOCAL workspace_authz.user_id = %L', :'alice'), false) \g /dev/null
SELECT is(pg_temp.remote_user('m3'), NULL, 'a transaction-local placeholder names nobody either');
SELECT dblink_exec('m3', 'COMMIT') \g /dev/null
SELECT dblink_disconnect('m3') \g /dev/null

-- The library may first be loaded inside a SECURITY DEFINER function owned by
-- a superuser: the planted value must still be refused.
SELECT dblink_connect('m4', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT dblink_exec('m4', format('SET workspace_authz.user_id = %L', :'alice'), false) \g /dev/null
SELECT throws_ok('SELECT * FROM dblink(''m4'', ''SELECT authz.create_org(''''regress-forged'''')::text'') AS t(x text)', '42501',
                 'no authz user is set for this session',
                 'a placeholder is no identity even when the library loads inside a SECURITY DEFINER function');
SELECT dblink_disconnect('m4') \g /dev/null
SELECT is((SELECT count(*) FROM authz.orgs WHERE slug = 'regress-forged'), 0::bigint,
          'no organization was created with a forged identity');

-- A startup option is a placeholder too.
SELECT dblink_connect('m5', :'conn' || format(' user=regress_mallory options=''-c workspace_authz.user_id=%s''', :'alice')) \g /dev/null
SELECT is(pg_temp.remote_user('m5'), NULL, 'workspace_authz.user_id passed as a startup option names nobody');
SELECT dblink_disconnect('m5') \g /dev/null

-- A role default stored before the library is loaded.
SELECT dblink_connect('m6', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT throws_ok(format('SELECT dblink_exec(''m6'', %L)',
                        format('ALTER ROLE regress_mallory SET workspace_authz.user_id = %L', :'alice')), '42501',
                 'permission denied to set parameter "workspace_authz.user_id"',
                 'an ordinary role cannot store workspace_authz.user_id as its default, even before the library loads');
SELECT dblink_disconnect('m6') \g /dev/null
SELECT dblink_connect('m7', :'conn' || ' user=regress_mallory') \g /dev/null
SELECT is(pg_temp.remote_user('m7'), NULL, 'a later login of the ordinary role still names nobody');
SELECT dblink_exec('m7', format('SET request.jwt.claims = %L', json_build_object('sub', :'alice'))) \g /dev/null
SELECT is(pg_temp.remote_user('m7'), NULL, 'request.jwt.claims set by an ordinary login names nobody by default');
SELECT dblink_exec('m7', 'DISCARD ALL') \g /dev/null
SELECT is(pg_temp.remote_user('m7'), NULL, 'DISCARD ALL by an ordinary login leaves no identity');
SELECT dblink_disconnect('m7') \g /dev/null

SELECT * FROM finish();
ROLLBACK;

-- A refused role default must not have been stored; drop it anyway with the roles.
DROP ROLE regress_app, regress_mallory, regress_alice;
