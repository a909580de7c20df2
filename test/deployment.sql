-- Fitting real deployments, with real login roles: users created with the
-- identity provider's id, external subjects mapped per issuer, JWT mode
-- reading a claim path (strings and numbers, mapped subjects and user ids,
-- nothing for a claim naming no active user), and pool-safe identity
-- (workspace_authz.identity_scope = transaction, set per role by a
-- superuser: a user asserted by the role lasts one transaction block).
--
-- The other sessions (dblink) only see committed state, so the roles and users
-- below are committed first; the roles are dropped at the end (the database is
-- thrown away by the runner).

SET client_min_messages = warning;

DROP ROLE IF EXISTS regress_dep_app, regress_dep_pooled, regress_dep_plain;
CREATE ROLE regress_dep_app LOGIN;        -- a trusted application role, default scope
GRANT workspace_authz_trusted TO regress_dep_app;
CREATE ROLE regress_dep_pooled LOGIN;     -- the same behind a transaction-pooling proxy
GRANT workspace_authz_trusted TO regress_dep_pooled;
ALTER ROLE regress_dep_pooled SET workspace_authz.identity_scope = 'transaction';
CREATE ROLE regress_dep_plain LOGIN;      -- an ordinary role

DO $$
BEGIN
    PERFORM authz.create_user('regress_dep_ada', 'ada@dep.example', id => 'ada00000-0000-4000-8000-000000000001');
    PERFORM authz.create_user('regress_dep_bob', 'bob@dep.example');
    PERFORM authz.create_user('regress_dep_gone', 'gone@dep.example');
END
$$;
SELECT 'ada00000-0000-4000-8000-000000000001' AS ada \gset
SELECT id AS bob FROM authz.users WHERE handle = 'regress_dep_bob' \gset
SELECT id AS gone FROM authz.users WHERE handle = 'regress_dep_gone' \gset
SELECT authz.deactivate_user(:'gone') \g /dev/null
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT authz.map_subject(:'bob', 'https://idp.example/', 'auth0|123456') \g /dev/null
SELECT format('dbname=%s host=%s port=%s', current_database(),
              current_setting('unix_socket_directories'), current_setting('port')) AS conn \gset

CREATE TABLE public.dep_notes (id serial PRIMARY KEY, workspace_id uuid NOT NULL, body text);
SELECT authz.protect('public.dep_notes') \g /dev/null
INSERT INTO public.dep_notes (workspace_id, body)
VALUES (authz.personal_workspace(:'ada'), 'ada'), (authz.personal_workspace(:'bob'), 'bob');
GRANT SELECT ON public.dep_notes TO regress_dep_plain;

BEGIN;
SELECT plan(55);

CREATE FUNCTION pg_temp.remote_user(conn text) RETURNS uuid
    LANGUAGE sql AS $$ SELECT u FROM dblink(conn, 'SELECT authz.current_user_id()') AS t(u uuid) $$;
CREATE FUNCTION pg_temp.remote(conn text, sql text) RETURNS text
    LANGUAGE sql AS $$ SELECT x FROM dblink(conn, sql) AS t(x text) $$;

-- ---------------------------------------------------------------------------
-- Users with a given id; external subjects.
-- ---------------------------------------------------------------------------

SELECT is((SELECT handle FROM authz.users WHERE id = :'ada'), 'regress_dep_ada',
          'create_user(..., id => ...) creates the user with that id');
SELECT is((SELECT count(*) FROM authz.workspaces WHERE personal_user_id = :'ada'), 1::bigint,
          'a user created with a given id has a personal workspace');
SELECT throws_ok(format($$SELECT authz.create_user('regress_dep_twin', 'twin@dep.example', id => %L)$$, :'ada'),
                 '23505', format('user id "%s" is already taken', :'ada'),
                 'create_user refuses an id already taken (23505)');
SELECT ok(authz.create_user('regress_dep_new', 'new@dep.example') IS NOT NULL,
          'create_user without an id still generates one');

SELECT lives_ok(format($$SELECT authz.map_subject(%L, 'https://idp.example/', 'auth0|123456')$$, :'bob'),
                'map_subject is idempotent');
SELECT throws_ok(format($$SELECT authz.map_subject(%L, 'https://idp.example/', 'auth0|123456')$$, :'ada'),
                 '23505', 'subject "auth0|123456" of issuer "https://idp.example/" is already mapped to user "regress_dep_bob"',
                 'map_subject refuses a subject mapped to another user (23505)');
SELECT throws_ok($$SELECT authz.map_subject('00000000-0000-4000-8000-00000000dead', 'https://idp.example/', 'x')$$,
                 '42704', 'user "00000000-0000-4000-8000-00000000dead" not found or not allowed',
                 'map_subject refuses an unknown user (42704)');
SELECT throws_ok(format($$SELECT authz.map_subject(%L, NULL, 'x')$$, :'ada'), '22004', 'issuer must not be NULL',
                 'map_subject refuses a NULL issuer');
SELECT throws_ok(format($$SELECT authz.map_subject(%L, 'https://idp.example/', ' ')$$, :'ada'), '22023',
                 'subject must not be empty', 'map_subject refuses an empty subject');
SET LOCAL ROLE regress_dep_plain;
SELECT throws_ok(format($$SELECT authz.map_subject(%L, 'https://idp.example/', 'mine')$$, :'ada'), '42501', NULL,
                 'an ordinary role may not map subjects');
SELECT throws_ok($$SELECT authz.unmap_subject('https://idp.example/', 'auth0|123456')$$, '42501', NULL,
                 'an ordinary role may not unmap subjects');
SELECT throws_ok($$SELECT authz.create_user('regress_dep_x', 'x@dep.example', id => gen_random_uuid())$$, '42501', NULL,
                 'an ordinary role may not create users, with an id or without');
SELECT is((SELECT count(*) FROM authz.user_subjects), 0::bigint, 'an ordinary role mapped to nobody sees no subjects');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- JWT mode: a claim path, read from request.jwt.claims.
-- ---------------------------------------------------------------------------

SET LOCAL workspace_authz.jwt_claim = 'sub';
SELECT set_config('request.jwt.claims', json_build_object('sub', :'ada')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), :'ada'::uuid, 'claim path sub: a user id names the user');
SELECT set_config('request.jwt.claims', json_build_object('sub', 'auth0|123456', 'iss', 'https://idp.example/')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), :'bob'::uuid, 'a subject mapped for the token''s issuer names its user');
SELECT set_config('request.jwt.claims', json_build_object('sub', 'auth0|123456', 'iss', 'https://evil.example/')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'the same subject from another issuer names nobody');
SELECT set_config('request.jwt.claims', json_build_object('sub', 'auth0|123456')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a mapped subject in a token without an issuer names nobody');
SELECT set_config('request.jwt.claims', json_build_object('sub', '00000000-0000-4000-8000-00000000dead')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a user id that is no user gives no identity');
SELECT throws_ok($$SELECT authz.set_user('00000000-0000-4000-8000-00000000dead')$$, '42704', NULL,
                 '... as set_user refuses to assert it');
SELECT set_config('request.jwt.claims', json_build_object('sub', :'gone')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a deactivated user''s id gives no identity');
SELECT set_config('request.jwt.claims', json_build_object('sub', :'ada', 'role', 'authenticated')::text, true) \g /dev/null
SET LOCAL ROLE regress_dep_plain;
SELECT is((SELECT array_agg(body) FROM public.dep_notes), '{ada}'::text[], 'RLS answers for the claimed user');
SELECT set_config('request.jwt.claims', json_build_object('sub', '00000000-0000-4000-8000-00000000dead')::text, true) \g /dev/null
SELECT is((SELECT count(*) FROM public.dep_notes), 0::bigint, 'claims naming no user see no rows');
RESET ROLE;

SET LOCAL workspace_authz.jwt_claim = 'app_metadata.uid';
SELECT set_config('request.jwt.claims', json_build_object('sub', :'bob', 'app_metadata', json_build_object('uid', :'ada'))::text, true) \g /dev/null
SELECT is(authz.current_user_id(), :'ada'::uuid, 'claim path app_metadata.uid: the nested claim names the user, not sub');
SELECT set_config('request.jwt.claims', json_build_object('sub', :'ada', 'app_metadata', json_build_object('other', :'ada'))::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a missing nested claim names nobody');
SELECT set_config('request.jwt.claims', json_build_object('app_metadata', :'ada')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a path through a string names nobody');
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT authz.map_subject(:'ada', 'https://idp.example/', '123456') \g /dev/null
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": 123456}}', true) \g /dev/null
SELECT is(authz.current_user_id(), :'ada'::uuid, 'a number claim is a subject in its canonical text form');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": 1234567}}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'an unmapped number names nobody');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": true}}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a boolean claim names nobody');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": null}}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'a null claim names nobody');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": ["123456"]}}', true) \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'an array claim names nobody');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": 123456', true) \g /dev/null
SELECT throws_ok('SELECT authz.current_user_id()', '22P02', NULL, 'malformed claims are an error, never an identity');
SELECT set_config('request.jwt.claims', '{"iss": "https://idp.example/", "app_metadata": {"uid": 123456}}', true) \g /dev/null
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT authz.unmap_subject('https://idp.example/', '123456') \g /dev/null
SELECT is(authz.current_user_id(), NULL, 'unmapping a subject ends its identity at once');

-- A mapping wins over a user id: a provider whose subjects are uuids
-- (Keycloak) names the user it is mapped to.
SET LOCAL workspace_authz.jwt_claim = 'sub';
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT authz.map_subject(:'ada', 'https://keycloak.example/', :'bob') \g /dev/null
SELECT set_config('request.jwt.claims', json_build_object('sub', :'bob', 'iss', 'https://keycloak.example/')::text, true) \g /dev/null
SELECT is(authz.current_user_id(), :'ada'::uuid, 'a mapped subject that looks like a user id names the user it is mapped to');

SET LOCAL workspace_authz.jwt_claim = '"https://hasura.io/jwt/claims".x-user';
SELECT set_config('request.jwt.claims', json_build_object('https://hasura.io/jwt/claims', json_build_object('x-user', :'bob'))::text, true) \g /dev/null
SELECT is(authz.current_user_id(), :'bob'::uuid, 'a double-quoted key holds dots');
SELECT throws_ok($$SET LOCAL workspace_authz.jwt_claim = 'app_metadata..uid'$$, '22023', NULL,
                 'a claim path with an empty key is refused');
SELECT throws_ok($$SET LOCAL workspace_authz.jwt_claim = '"app_metadata.uid'$$, '22023', NULL,
                 'a claim path with an unclosed quote is refused');
SELECT throws_ok($$SET LOCAL workspace_authz.jwt_claim = 'sub.'$$, '22023', NULL,
                 'a claim path ending in a dot is refused');
RESET workspace_authz.jwt_claim;
RESET request.jwt.claims;

-- ---------------------------------------------------------------------------
-- Pool-safe identity: identity_scope = transaction, from a role setting.
-- ---------------------------------------------------------------------------

SELECT dblink_connect('pooled', :'conn' || ' user=regress_dep_pooled') \g /dev/null
SELECT is(pg_temp.remote('pooled', 'SHOW workspace_authz.identity_scope'), 'transaction',
          'the superuser''s role setting applies at login, before the library is loaded');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled', format('SELECT authz.set_user(%L, false)::text', :'ada')),
                 '42501', 'permission denied to assert a user for the whole session',
                 'under identity_scope = transaction, set_user(u, false) is refused');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled', format('SELECT authz.set_user(%L)::text', :'ada')),
                 '25P01', 'authz.set_user() must be called inside a transaction block',
                 'under identity_scope = transaction, set_user outside a transaction block is an error, not a warning');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled',
                        format('BEGIN; SELECT authz.set_user(%L, false)::text', :'ada')),
                 '42501', 'permission denied to assert a user for the whole session',
                 '... and refused inside a transaction block too');
SELECT dblink_exec('pooled', 'ROLLBACK') \g /dev/null
SELECT is(pg_temp.remote('pooled', format('BEGIN; SELECT authz.set_user(%L)::text; SELECT authz.current_user_id()::text', :'ada')),
          :'ada', 'inside a transaction block set_user(u) asserts the user');
SELECT dblink_exec('pooled', 'COMMIT') \g /dev/null
SELECT is(pg_temp.remote_user('pooled'), NULL, 'after COMMIT the next client of the connection is nobody');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled', 'SET workspace_authz.identity_scope = session'),
                 '42501', NULL, 'the pooled role cannot lift the setting with SET');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled',
                        $$SELECT set_config('workspace_authz.identity_scope', 'session', false)$$),
                 '42501', NULL, '... nor with set_config');
SELECT throws_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled', 'RESET workspace_authz.identity_scope'),
                 '42501', NULL, '... nor with RESET');
SELECT is(pg_temp.remote('pooled', 'SHOW workspace_authz.identity_scope'), 'transaction', 'the setting is unchanged');
SELECT lives_ok(format('SELECT pg_temp.remote(%L, %L)', 'pooled', 'SELECT authz.set_user(NULL)::text'),
                'clearing the user is allowed anywhere under identity_scope = transaction');
SELECT dblink_disconnect('pooled') \g /dev/null

SAVEPOINT su;
SET LOCAL workspace_authz.identity_scope = 'transaction';
SELECT lives_ok(format('SELECT authz.set_user(%L, false)', :'bob'),
                'a superuser may still assert a user for the session under identity_scope = transaction');
ROLLBACK TO SAVEPOINT su;

-- set_user(NULL) clears both levels, in and outside a transaction block.
SELECT dblink_connect('app', :'conn' || ' user=regress_dep_app') \g /dev/null
SELECT is(pg_temp.remote('app', 'SELECT authz.current_user_id(); SHOW workspace_authz.identity_scope'), 'session',
          'identity_scope defaults to session');
SELECT pg_temp.remote('app', format('SELECT authz.set_user(%L, false)::text', :'bob')) \g /dev/null
SELECT is(pg_temp.remote('app', format('BEGIN; SELECT authz.set_user(%L)::text; SELECT authz.set_user(NULL)::text; SELECT authz.current_user_id()::text', :'ada')),
          NULL, 'inside a transaction block set_user(NULL) clears the transaction''s user');
SELECT dblink_exec('app', 'COMMIT') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, '... and the session''s: after COMMIT nobody is the user');
SELECT pg_temp.remote('app', format('SELECT authz.set_user(%L, false)::text', :'bob')) \g /dev/null
SELECT pg_temp.remote('app', 'SELECT authz.set_user(NULL)::text') \g /dev/null
SELECT is(pg_temp.remote_user('app'), NULL, 'set_user(NULL) outside a transaction block clears a session-level user');
SELECT pg_temp.remote('app', format('SELECT authz.set_user(%L, false)::text', :'bob')) \g /dev/null
SELECT pg_temp.remote('app', 'BEGIN; SELECT authz.set_user(NULL)::text') \g /dev/null
SELECT dblink_exec('app', 'ROLLBACK') \g /dev/null
SELECT is(pg_temp.remote_user('app'), :'bob'::uuid, 'a clearing rolled back leaves the session''s user');
SELECT lives_ok(format('SELECT pg_temp.remote(%L, %L)', 'app', format('SELECT authz.set_user(%L)::text', :'ada')),
                'under the default scope set_user outside a transaction block is only a warning');
SELECT dblink_disconnect('app') \g /dev/null

SELECT * FROM finish();
ROLLBACK;

DROP TABLE public.dep_notes;
DROP ROLE regress_dep_app, regress_dep_pooled, regress_dep_plain;
