-- The security surface: who may execute what, who may write the model's
-- tables (nobody but the extension's functions), what each kind of user reads
-- through row-level security, and whether a hostile search_path can make the
-- SECURITY DEFINER functions run an attacker's code. Everything runs as real
-- non-superuser roles (SET SESSION AUTHORIZATION changes the login role, as a
-- login would); the roles are created inside the transaction and rolled back.
\ir lib/platform.sql
BEGIN;
SELECT plan(104);
SET client_min_messages = warning;

CREATE ROLE regress_sec_plain LOGIN;    -- ordinary role, mapped to nobody
CREATE ROLE regress_sec_ann LOGIN;      -- owner of org regress-a
CREATE ROLE regress_sec_mia LOGIN;      -- member of regress-a, in team core
CREATE ROLE regress_sec_gus LOGIN;      -- guest of regress-a, viewer of alpha
CREATE ROLE regress_sec_cole LOGIN;     -- collaborator: in alpha, not in the org
CREATE ROLE regress_sec_bea LOGIN;      -- owner of org regress-b
CREATE ROLE regress_sec_eve LOGIN;      -- attacker who owns schema regress_evil
CREATE SCHEMA regress_evil AUTHORIZATION regress_sec_eve;

-- Names of the objects created below, with the org each belongs to, readable
-- by every role of the test (a temporary table: no RLS).
CREATE TEMP TABLE ids (k text PRIMARY KEY, v uuid NOT NULL UNIQUE, org text);
GRANT SELECT ON ids TO PUBLIC;

-- Org regress-a: workspaces alpha (ann owner, gus viewer, cole member with a
-- deny), beta (ann owner, team core as member), secret (ann only). Org
-- regress-b: workspace gamma (bea owner, bo member), team bteam (bo).
DO $$
DECLARE
    ann uuid := authz.create_user('regress_ann', 'ann@example.com', 'Ann', 'regress_sec_ann');
    mia uuid := authz.create_user('regress_mia', 'mia@example.com', 'Mia', 'regress_sec_mia');
    gus uuid := authz.create_user('regress_gus', 'gus@example.com', 'Gus', 'regress_sec_gus');
    cole uuid := authz.create_user('regress_cole', 'cole@example.com', 'Cole', 'regress_sec_cole');
    bea uuid := authz.create_user('regress_bea', 'bea@example.com', 'Bea', 'regress_sec_bea');
    bo uuid := authz.create_user('regress_bo', 'bo@example.com', 'Bo');
    eve uuid := authz.create_user('regress_eve', 'eve@example.com', 'Eve', 'regress_sec_eve');
    ivy uuid := authz.create_user('regress_ivy', 'ivy@example.com', 'Ivy');
    org_a uuid; org_b uuid; alpha uuid; beta uuid; secret uuid; gamma uuid; core uuid; bteam uuid;
BEGIN
    PERFORM authz.set_user(ann);
    org_a := authz.create_org('regress-a', 'Org A');
    alpha := authz.create_workspace(org_a, 'alpha');
    beta := authz.create_workspace(org_a, 'beta');
    secret := authz.create_workspace(org_a, 'secret');
    PERFORM pg_temp.add_org_member(org_a, mia, 'member');
    PERFORM pg_temp.add_org_member(org_a, gus, 'guest');
    PERFORM pg_temp.add_member(alpha, gus, 'viewer');
    PERFORM pg_temp.add_member(alpha, cole, 'member');
    PERFORM authz.deny(alpha, cole, ARRAY['content.delete']);
    core := authz.create_team(org_a, 'core');
    PERFORM authz.add_team_member(core, mia);
    PERFORM authz.add_team(beta, core, 'member');

    PERFORM authz.set_user(bea);
    org_b := authz.create_org('regress-b', 'Org B');
    gamma := authz.create_workspace(org_b, 'gamma');
    PERFORM pg_temp.add_org_member(org_b, bo, 'member');
    PERFORM pg_temp.add_member(gamma, bo, 'member');
    bteam := authz.create_team(org_b, 'bteam');
    PERFORM authz.add_team_member(bteam, bo);

    -- Eve and Ivy share an organization (the platform put Ivy in it), so
    -- that Eve may add Ivy to her own organizations without an invitation.
    PERFORM authz.set_user(eve);
    PERFORM authz.create_org('regress-e', 'Org E');
    PERFORM authz.set_user(NULL);
    PERFORM pg_temp.add_org_member((SELECT o.id FROM authz.orgs o WHERE o.slug = 'regress-e'), ivy, 'member');

    INSERT INTO ids VALUES ('ann', ann, 'regress-a'), ('mia', mia, 'regress-a'), ('gus', gus, 'regress-a'),
        ('cole', cole, NULL), ('bea', bea, 'regress-b'), ('bo', bo, 'regress-b'), ('eve', eve, NULL),
        ('ivy', ivy, NULL), ('regress-a', org_a, 'regress-a'), ('regress-b', org_b, 'regress-b'),
        ('alpha', alpha, 'regress-a'), ('beta', beta, 'regress-a'), ('secret', secret, 'regress-a'),
        ('gamma', gamma, 'regress-b'), ('core', core, 'regress-a'), ('bteam', bteam, 'regress-b');
    -- Participants, named workspace:user or workspace:team.
    INSERT INTO ids
    SELECT w.k || ':' || coalesce(u.k, t.k), p.id, w.org
      FROM authz.participants p JOIN ids w ON w.v = p.workspace_id
      LEFT JOIN ids u ON u.v = p.user_id LEFT JOIN ids t ON t.v = p.team_id;
END
$$;
SELECT v AS alpha FROM ids WHERE k = 'alpha' \gset
SELECT v AS ann FROM ids WHERE k = 'ann' \gset
SELECT v AS ivy FROM ids WHERE k = 'ivy' \gset
SELECT count(*) AS permission_count FROM authz.permissions \gset

-- What the current role reads, named through ids (security_invoker: RLS applies to the reader).
CREATE TEMP VIEW seen_org_members WITH (security_invoker = true) AS
    SELECT o.k || ':' || u.k AS member
      FROM authz.org_members m JOIN ids o ON o.v = m.org_id JOIN ids u ON u.v = m.user_id;
CREATE TEMP VIEW seen_participants WITH (security_invoker = true) AS
    SELECT i.k AS participant FROM authz.participants p JOIN ids i ON i.v = p.id;
CREATE TEMP VIEW seen_team_members WITH (security_invoker = true) AS
    SELECT t.k || ':' || u.k AS team_member
      FROM authz.team_members tm JOIN ids t ON t.v = tm.team_id JOIN ids u ON u.v = tm.user_id;
CREATE TEMP VIEW seen_overrides WITH (security_invoker = true) AS
    SELECT w.k || ':' || u.k || ':' || pp.effect || ':' || pp.permission AS override
      FROM authz.participant_permissions pp JOIN ids w ON w.v = pp.workspace_id JOIN ids u ON u.v = pp.user_id;
-- Rows of org regress-a / regress-b the current role reads, table by table.
CREATE TEMP VIEW seen_of_org WITH (security_invoker = true) AS
    SELECT 'orgs' AS tbl, i.org FROM authz.orgs o JOIN ids i ON i.v = o.id
    UNION ALL SELECT 'workspaces', i.org FROM authz.workspaces w JOIN ids i ON i.v = w.id
    UNION ALL SELECT 'org_members', i.org FROM authz.org_members m JOIN ids i ON i.v = m.org_id
    UNION ALL SELECT 'teams', i.org FROM authz.teams t JOIN ids i ON i.v = t.id
    UNION ALL SELECT 'team_members', i.org FROM authz.team_members tm JOIN ids i ON i.v = tm.team_id
    UNION ALL SELECT 'participants', i.org FROM authz.participants p JOIN ids i ON i.v = p.id
    UNION ALL SELECT 'participant_permissions', i.org
                FROM authz.participant_permissions pp JOIN ids i ON i.v = pp.workspace_id
    UNION ALL SELECT 'users', i.org FROM authz.users u JOIN ids i ON i.v = u.id;
GRANT SELECT ON seen_org_members, seen_participants, seen_team_members, seen_overrides, seen_of_org TO PUBLIC;

-- The outcome of a statement run by the current role: 'ok', or SQLSTATE and message.
CREATE FUNCTION pg_temp.outcome(sql text) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- The model's tables, with their first ordinary column (identity columns
-- refuse SET col = col before privileges are even checked).
CREATE TEMP VIEW authz_tables AS
    SELECT c.relname AS tbl, a.attname AS col
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
       AND a.attnum = (SELECT min(x.attnum) FROM pg_catalog.pg_attribute x
                        WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped
                          AND x.attidentity = '' AND x.attgenerated = '')
     WHERE c.relnamespace = 'authz'::regnamespace AND c.relkind IN ('r', 'p');
GRANT SELECT ON authz_tables TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Function privileges.
-- ---------------------------------------------------------------------------

SELECT function_privs_are('authz', 'set_user', ARRAY['uuid', 'boolean'], 'workspace_authz_trusted', ARRAY['EXECUTE'],
                          'workspace_authz_trusted may execute authz.set_user');
SELECT function_privs_are('authz', 'check', ARRAY['uuid', 'uuid', 'text'], 'workspace_authz_trusted', ARRAY['EXECUTE'],
                          'workspace_authz_trusted may execute authz.check');
SELECT function_privs_are('authz', 'create_user', ARRAY['text', 'text', 'text', 'name', 'uuid'], 'workspace_authz_trusted',
                          ARRAY['EXECUTE'], 'workspace_authz_trusted may execute authz.create_user');
SELECT function_privs_are('authz', 'define_permission', ARRAY['text', 'text', 'text[]'], 'workspace_authz_trusted',
                          ARRAY['EXECUTE'], 'workspace_authz_trusted may execute authz.define_permission');
SELECT function_privs_are('authz', 'set_user', ARRAY['uuid', 'boolean'], 'regress_sec_plain', ARRAY[]::name[],
                          'an ordinary role may not execute authz.set_user');
SELECT function_privs_are('authz', 'check', ARRAY['uuid', 'uuid', 'text'], 'regress_sec_plain', ARRAY[]::name[],
                          'an ordinary role may not execute authz.check');
SELECT function_privs_are('authz', 'create_user', ARRAY['text', 'text', 'text', 'name', 'uuid'], 'regress_sec_plain',
                          ARRAY[]::name[], 'an ordinary role may not execute authz.create_user');
SELECT function_privs_are('authz', 'define_permission', ARRAY['text', 'text', 'text[]'], 'regress_sec_plain',
                          ARRAY[]::name[], 'an ordinary role may not execute authz.define_permission');
SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
     WHERE p.oid IN ('authz.set_user(uuid, boolean)'::regprocedure, 'authz.check(uuid, uuid, text)'::regprocedure,
                     'authz.create_user(text, text, text, name, uuid)'::regprocedure,
                     'authz.define_permission(text, text, text[])'::regprocedure)
       AND a.grantee = 0
$$, 'PUBLIC holds no privilege on the trusted-only functions');

SELECT function_privs_are('authz', 'can', ARRAY['uuid', 'text'], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.can');
SELECT function_privs_are('authz', 'can_org', ARRAY['uuid', 'text'], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.can_org');
SELECT function_privs_are('authz', 'role_in', ARRAY['uuid'], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.role_in');
SELECT function_privs_are('authz', 'permissions_in', ARRAY['uuid'], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.permissions_in');
SELECT function_privs_are('authz', 'workspaces', ARRAY['text'], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.workspaces');
SELECT function_privs_are('authz', 'current_user_id', ARRAY[]::name[], 'regress_sec_plain', ARRAY['EXECUTE'],
                          'an ordinary role may execute authz.current_user_id');
SELECT is_empty($$
    SELECT f FROM unnest(ARRAY['authz.org_role(uuid)', 'authz.workspace_array(text)', 'authz.who_can(uuid, text)',
                               'authz.explain(uuid, uuid, text)', 'authz.personal_workspace(uuid)']) f
     WHERE NOT has_function_privilege('regress_sec_plain', f, 'EXECUTE')
$$, 'an ordinary role may execute org_role, workspace_array, who_can, explain and personal_workspace');

-- Internal functions (names starting with "_") are not for PUBLIC. The only
-- exceptions are the policy helpers and helpers that run with the caller's own
-- rights (SECURITY INVOKER SQL or PL/pgSQL, called by the invoker-rights
-- protect/unprotect): none of them can do more than the caller could; and
-- _access, behind the view authz.access, which shows each reader only what
-- authz.explain tells them (test/names.sql).
SELECT is_empty($$
    SELECT p.oid::regprocedure, p.prosecdef, l.lanname
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace) AND p.proname LIKE '\_%'
       AND p.proname NOT LIKE '\_visible\_%' AND p.oid <> 'authz_internal._access()'::regprocedure
       AND (p.prosecdef OR l.lanname NOT IN ('sql', 'plpgsql'))
       AND has_function_privilege('regress_sec_plain', p.oid, 'EXECUTE')
$$, 'an ordinary role may execute no internal function that runs with more rights than its caller');
-- The policy helpers run as the reader, so the reader must be able to call them.
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace) AND p.proname LIKE '\_visible\_%'
       AND NOT has_function_privilege('regress_sec_plain', p.oid, 'EXECUTE')
$$, 'an ordinary role may execute every policy helper (_visible_*)');
-- Schema authz is the interface: helpers and the types' support functions live
-- in authz_internal.
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'authz'::regnamespace
       AND (p.proname LIKE '\_%' OR p.proname ~ '^(permset|credits)_' OR p.prorettype = 'trigger'::regtype
            OR 'internal'::regtype = ANY (p.proargtypes) OR 'cstring'::regtype = ANY (p.proargtypes))
$$, 'schema authz holds no helper, trigger or type support function');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'authz'::regnamespace AND p.prokind = 'f'
       AND obj_description(p.oid, 'pg_proc') IS NULL
$$, 'every function of schema authz has a comment');

-- An application table protected by its owner (the superuser here).
CREATE TABLE public.regress_protected (workspace_id uuid NOT NULL, body text);
CREATE INDEX ON public.regress_protected (workspace_id);
SELECT authz.protect('public.regress_protected') \g /dev/null

SET SESSION AUTHORIZATION regress_sec_plain;
SELECT throws_ok(format('SELECT * FROM authz_internal._effective(%L, %L)', :'ann', :'alpha'), '42501',
                 'permission denied for function _effective',
                 'an ordinary role cannot ask for the permissions of another user through authz_internal._effective');
SELECT throws_ok('SELECT authz_internal._drop_policies(''public.regress_protected'')', '42501',
                 'must be owner of relation regress_protected',
                 'an internal helper open to PUBLIC cannot drop the policies of a table the caller does not own');
SELECT policies_are('public', 'regress_protected', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
                    'the protected table keeps its policies');
SELECT throws_ok('CREATE FUNCTION authz.regress_planted() RETURNS int LANGUAGE sql AS ''SELECT 1''', '42501',
                 'permission denied for schema authz', 'an ordinary role cannot create objects in schema authz');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- Table privileges: SELECT only; writes go through the functions.
-- ---------------------------------------------------------------------------

SELECT is_empty($$
    SELECT c.relname, a.privilege_type
      FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
     WHERE c.relnamespace = 'authz'::regnamespace AND a.grantee <> c.relowner AND a.privilege_type <> 'SELECT'
$$, 'no role but the owner holds any privilege other than SELECT on the objects of schema authz');
SELECT is_empty($$
    SELECT tbl FROM authz_tables t JOIN pg_catalog.pg_class c ON c.oid = ('authz.' || quote_ident(t.tbl))::regclass
     WHERE NOT c.relrowsecurity
$$, 'row-level security is enabled on every table of schema authz');

SET SESSION AUTHORIZATION regress_sec_ann;
SELECT is_empty($$
    SELECT tbl, o FROM (SELECT tbl, pg_temp.outcome(format('INSERT INTO authz.%I DEFAULT VALUES', tbl)) o
                          FROM authz_tables) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an org owner''s role cannot INSERT into any table of schema authz');
SELECT is_empty($$
    SELECT tbl, o FROM (SELECT tbl, pg_temp.outcome(format('UPDATE authz.%I SET %I = %I', tbl, col, col)) o
                          FROM authz_tables) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an org owner''s role cannot UPDATE any table of schema authz');
SELECT is_empty($$
    SELECT tbl, o FROM (SELECT tbl, pg_temp.outcome(format('DELETE FROM authz.%I', tbl)) o FROM authz_tables) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an org owner''s role cannot DELETE from any table of schema authz');
SELECT is_empty($$
    SELECT tbl, o FROM (SELECT tbl, pg_temp.outcome(format('TRUNCATE authz.%I CASCADE', tbl)) o FROM authz_tables) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an org owner''s role cannot TRUNCATE any table of schema authz');
SELECT is_empty($$
    SELECT tbl, o FROM (SELECT tbl, pg_temp.outcome(format('SELECT 1 FROM authz.%I FOR UPDATE', tbl)) o
                          FROM authz_tables) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an org owner''s role cannot lock rows of any table of schema authz (SELECT ... FOR UPDATE)');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sec_plain;
SELECT is_empty($$
    SELECT tbl, cmd, o FROM (
        SELECT tbl, cmd, pg_temp.outcome(format(cmd, tbl, col)) o
          FROM authz_tables,
               unnest(ARRAY['INSERT INTO authz.%I DEFAULT VALUES', 'UPDATE authz.%I SET %2$I = %2$I',
                            'DELETE FROM authz.%I', 'TRUNCATE authz.%I']) cmd) x
     WHERE o <> '42501 permission denied for table ' || tbl
$$, 'an ordinary role mapped to nobody cannot write any table of schema authz either');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- Policies.
-- ---------------------------------------------------------------------------

SELECT policies_are('authz', 'permissions', ARRAY['visible'], 'authz.permissions has only its read policy');
SELECT policies_are('authz', 'org_role_permissions', ARRAY['visible'], 'authz.org_role_permissions has only its read policy');
SELECT policies_are('authz', 'users', ARRAY['visible'], 'authz.users has only its read policy');
SELECT policies_are('authz', 'orgs', ARRAY['visible'], 'authz.orgs has only its read policy');
SELECT policies_are('authz', 'roles', ARRAY['visible'], 'authz.roles has only its read policy');
SELECT policies_are('authz', 'role_permissions', ARRAY['visible'], 'authz.role_permissions has only its read policy');
SELECT policies_are('authz', 'org_members', ARRAY['visible'], 'authz.org_members has only its read policy');
SELECT policies_are('authz', 'workspaces', ARRAY['visible'], 'authz.workspaces has only its read policy');
SELECT policies_are('authz', 'teams', ARRAY['visible'], 'authz.teams has only its read policy');
SELECT policies_are('authz', 'team_members', ARRAY['visible'], 'authz.team_members has only its read policy');
SELECT policies_are('authz', 'participants', ARRAY['visible'], 'authz.participants has only its read policy');
SELECT policies_are('authz', 'participant_permissions', ARRAY['visible'],
                    'authz.participant_permissions has only its read policy');
SELECT is_empty($$
    SELECT p.polrelid::regclass, p.polname FROM pg_catalog.pg_policy p
     WHERE p.polrelid::regclass::text LIKE 'authz.%' AND p.polcmd <> 'r'
$$, 'every policy on the model is a SELECT policy (no policy lets anyone write)');

-- ---------------------------------------------------------------------------
-- Reading through RLS.
-- ---------------------------------------------------------------------------

-- No identity: only the registries everyone may read.
SET SESSION AUTHORIZATION regress_sec_plain;
SELECT is((SELECT count(*) FROM authz.users) + (SELECT count(*) FROM authz.orgs)
          + (SELECT count(*) FROM authz.workspaces) + (SELECT count(*) FROM authz.org_members)
          + (SELECT count(*) FROM authz.teams) + (SELECT count(*) FROM authz.team_members)
          + (SELECT count(*) FROM authz.participants) + (SELECT count(*) FROM authz.participant_permissions),
          0::bigint, 'a role with no identity reads no user, org, workspace, member, team or participant');
SELECT is((SELECT count(*) FROM authz.permissions), :'permission_count'::bigint,
          'everyone reads every registered permission');
SELECT results_eq($$SELECT (SELECT array_agg(name ORDER BY rank DESC) FROM authz.roles),
                           (SELECT count(*) FROM authz.role_permissions),
                           (SELECT count(*) FROM authz.org_role_permissions)$$,
                  $$VALUES ('{owner,admin,member,viewer}'::text[], 36::bigint, 28::bigint)$$,
                  'everyone reads the built-in roles, their permissions and what org roles allow');
RESET SESSION AUTHORIZATION;

-- A guest: its own org row and participations, not the workspace list nor the member list.
SET SESSION AUTHORIZATION regress_sec_gus;
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['alpha', 'regress_gus'],
              'a guest sees only the workspaces it participates in (and its personal one), not the org''s list');
SELECT set_eq('SELECT slug FROM authz.orgs', ARRAY['regress-a'], 'a guest sees its own org row');
SELECT set_eq('SELECT member FROM seen_org_members', ARRAY['regress-a:gus'],
              'a guest sees its own membership only, not the org''s member list');
SELECT set_eq('SELECT participant FROM seen_participants WHERE participant LIKE ''%:gus''', ARRAY['alpha:gus'],
              'a guest sees its own participations');
SELECT set_eq('SELECT DISTINCT split_part(participant, '':'', 1) FROM seen_participants', ARRAY['alpha'],
              'a guest sees participants only of the workspace it is in');
SELECT set_eq('SELECT handle FROM authz.users', ARRAY['regress_gus', 'regress_ann', 'regress_cole'],
              'a guest sees itself and the participants of its workspace, not the other org members');
SELECT is((SELECT count(*) FROM authz.teams), 0::bigint, 'a guest sees no team');
RESET SESSION AUTHORIZATION;

-- An org member: the whole workspace list and member list of its org, nothing of another org.
SET SESSION AUTHORIZATION regress_sec_mia;
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['alpha', 'beta', 'secret', 'regress_mia'],
              'an org member sees every workspace of its org (org.workspaces.list) and its personal one');
SELECT set_eq('SELECT member FROM seen_org_members', ARRAY['regress-a:ann', 'regress-a:mia', 'regress-a:gus'],
              'an org member sees every member of its org');
SELECT set_eq('SELECT handle FROM authz.users', ARRAY['regress_ann', 'regress_mia', 'regress_gus'],
              'an org member sees the users of its org, not collaborators of workspaces it is not in');
SELECT set_eq('SELECT name FROM authz.teams', ARRAY['core'], 'an org member sees the teams of its org');
SELECT set_eq('SELECT team_member FROM seen_team_members', ARRAY['core:mia'], 'an org member sees the team members of its org');
SELECT set_eq('SELECT participant FROM seen_participants', ARRAY['beta:ann', 'beta:core'],
              'an org member sees the participants of the workspaces where it holds members.view only');
SELECT is_empty('SELECT * FROM seen_overrides', 'an org member does not see the grants and denies of a workspace it is not in');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl = ''orgs''',
                'a member of org A does not see org B');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl = ''workspaces''',
                'a member of org A sees no workspace of org B');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl = ''users''',
                'a member of org A sees no user of org B');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl = ''org_members''',
                'a member of org A sees no member of org B');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl IN (''teams'', ''team_members'')',
                'a member of org A sees no team or team member of org B');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-b'' AND tbl = ''participants''',
                'a member of org A sees no participant of org B''s workspaces');
RESET SESSION AUTHORIZATION;

-- A collaborator: its workspace and that workspace's participants, not the org.
SET SESSION AUTHORIZATION regress_sec_cole;
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['alpha', 'regress_cole'],
              'a collaborator sees the workspace it participates in (and its personal one)');
SELECT is((SELECT count(*) FROM authz.orgs), 0::bigint, 'a collaborator does not see the org row');
SELECT is((SELECT count(*) FROM authz.org_members), 0::bigint, 'a collaborator does not see the org''s member list');
SELECT set_eq('SELECT participant FROM seen_participants', ARRAY['alpha:ann', 'alpha:gus', 'alpha:cole'],
              'a collaborator sees the participants of its workspace');
SELECT set_eq('SELECT handle FROM authz.users', ARRAY['regress_ann', 'regress_gus', 'regress_cole'],
              'a collaborator sees the users participating in its workspace, not the other org members');
SELECT is((SELECT count(*) FROM authz.teams), 0::bigint, 'a collaborator sees no team of the org');
SELECT set_eq('SELECT override FROM seen_overrides', ARRAY['alpha:cole:deny:content.delete'],
              'a participant sees its own grants and denies');
SELECT is((SELECT handle FROM authz.users WHERE id = authz.current_user_id()), 'regress_cole',
          'a user sees its own user row');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_sec_gus;
SELECT set_eq('SELECT override FROM seen_overrides', ARRAY['alpha:cole:deny:content.delete'],
              'a participant holding members.view sees the grants and denies of its workspace');
RESET SESSION AUTHORIZATION;

-- The owner of org B sees its own org and nothing of org A.
SET SESSION AUTHORIZATION regress_sec_bea;
SELECT set_eq('SELECT slug FROM authz.orgs', ARRAY['regress-b'], 'the owner of org B sees org B only');
SELECT set_eq('SELECT handle FROM authz.users', ARRAY['regress_bea', 'regress_bo'],
              'the owner of org B sees the users of org B only');
SELECT is_empty('SELECT tbl FROM seen_of_org WHERE org = ''regress-a''',
                'the owner of org B sees no row of org A in any table');
SELECT is_empty('SELECT * FROM seen_overrides', 'the owner of org B sees no grant or deny of org A');
RESET SESSION AUTHORIZATION;

-- RLS cannot be switched off by an ordinary role, and ordering does not leak rows.
SET SESSION AUTHORIZATION regress_sec_mia;
SET row_security = off;
SELECT throws_ok('SELECT slug FROM authz.orgs', '42501',
                 'query would be affected by row-level security policy for table "orgs"',
                 'with row_security off, reading orgs fails instead of returning other orgs');
SELECT throws_ok('SELECT handle FROM authz.users', '42501',
                 'query would be affected by row-level security policy for table "users"',
                 'with row_security off, reading users fails instead of returning other users');
RESET row_security;
RESET SESSION AUTHORIZATION;

-- A cheap function in WHERE sees only the rows the policy lets through.
CREATE FUNCTION public.regress_peek(v text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE COST 0.0000001 AS $$
BEGIN
    PERFORM set_config('regress.peeked', current_setting('regress.peeked') || ',' || v, false);
    RETURN true;
END
$$;
SET SESSION AUTHORIZATION regress_sec_mia;
SET regress.peeked = '';
SELECT count(*) FROM authz.users WHERE public.regress_peek(handle) \g /dev/null
SELECT count(*) FROM authz.workspaces WHERE public.regress_peek(name) \g /dev/null
SELECT set_eq($$SELECT DISTINCT x FROM unnest(string_to_array(current_setting('regress.peeked'), ',')) x WHERE x <> ''$$,
              ARRAY['regress_ann', 'regress_mia', 'regress_gus', 'alpha', 'beta', 'secret'],
              'a user-defined function in WHERE never sees a row the policy hides');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT set_eq('SELECT participant FROM seen_participants', ARRAY['beta:ann', 'beta:core'],
              'with index scans forced, participants read the same rows');
SELECT set_eq('SELECT name FROM authz.workspaces', ARRAY['alpha', 'beta', 'secret', 'regress_mia'],
              'with index scans forced, workspaces read the same rows');
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET SESSION AUTHORIZATION;

-- Questions about other users need the right to see members.
SET SESSION AUTHORIZATION regress_sec_bea;
SELECT throws_ok(format('SELECT * FROM authz.who_can(%L, ''content.read'')', :'alpha'), '42704', NULL,
                 'the owner of org B cannot list who may read in a workspace of org A');
SELECT throws_ok(format('SELECT * FROM authz.explain(%L, %L, ''content.read'')', :'ann', :'alpha'), '42704', NULL,
                 'the owner of org B cannot ask why a user of org A holds a permission');
SELECT throws_ok(format('SELECT authz.personal_workspace(%L)', :'ann'), '42501',
                 'permission denied to look up the personal workspace of another user',
                 'an ordinary role cannot look up the personal workspace of another user');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sec_mia;
SELECT throws_ok(format('SELECT * FROM authz.who_can(%L, ''content.read'')', :'alpha'), '42501', NULL,
                 'an org member without a role in a private workspace cannot list who may read there');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sec_cole;
SELECT set_eq(format('SELECT u.handle FROM authz.who_can(%L, ''content.read'') w JOIN authz.users u ON u.id = w.user_id',
                     :'alpha'),
              ARRAY['regress_ann', 'regress_gus', 'regress_cole'],
              'a collaborator holding members.view may list who may read in its workspace');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- Search-path hijack. Eve owns schema regress_evil, where she plants functions
-- and operators named like those the administration functions call without a
-- schema (lower, btrim, length, now, array_to_string, unnest, cardinality,
-- format, =, <>, ||, !~, >, >=), temporary ones, and temporary views named
-- like the catalogs protect() reads. Each raises 'hijacked'. She then calls
-- the administration functions with hostile search paths: none of her code
-- may run, and every call must behave as with a clean search_path.
-- ---------------------------------------------------------------------------

SET SESSION AUTHORIZATION regress_sec_eve;
CREATE FUNCTION regress_evil.trip(what text) RETURNS boolean
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: %', what; END $$;
CREATE FUNCTION regress_evil.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('lower')::text $$;
CREATE FUNCTION regress_evil.btrim(text) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('btrim')::text $$;
CREATE FUNCTION regress_evil.length(text) RETURNS integer LANGUAGE sql AS $$ SELECT regress_evil.trip('length')::integer $$;
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT regress_evil.trip('now')::text::timestamptz $$;
CREATE FUNCTION regress_evil.array_to_string(text[], text) RETURNS text
    LANGUAGE sql AS $$ SELECT regress_evil.trip('array_to_string')::text $$;
CREATE FUNCTION regress_evil.unnest(text[]) RETURNS SETOF text
    LANGUAGE sql AS $$ SELECT regress_evil.trip('unnest')::text $$;
CREATE FUNCTION regress_evil.cardinality(text[]) RETURNS integer
    LANGUAGE sql AS $$ SELECT regress_evil.trip('cardinality')::integer $$;
CREATE FUNCTION regress_evil.format(text, regclass) RETURNS text
    LANGUAGE sql AS $$ SELECT regress_evil.trip('format')::text $$;
CREATE FUNCTION regress_evil.format(text, regclass, name, text) RETURNS text
    LANGUAGE sql AS $$ SELECT regress_evil.trip('format')::text $$;
CREATE FUNCTION regress_evil.format(text, regclass, name, text, name, text) RETURNS text
    LANGUAGE sql AS $$ SELECT regress_evil.trip('format')::text $$;
CREATE FUNCTION regress_evil.text_op(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT regress_evil.trip('text operator') $$;
CREATE FUNCTION regress_evil.uuid_op(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT regress_evil.trip('uuid operator') $$;
CREATE FUNCTION regress_evil.int_op(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT regress_evil.trip('integer operator') $$;
CREATE FUNCTION regress_evil.concat_op(text, text) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('||')::text $$;
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.text_op);
CREATE OPERATOR regress_evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.text_op);
CREATE OPERATOR regress_evil.!~ (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.text_op);
CREATE OPERATOR regress_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = regress_evil.uuid_op);
CREATE OPERATOR regress_evil.<> (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = regress_evil.uuid_op);
CREATE OPERATOR regress_evil.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = regress_evil.int_op);
CREATE OPERATOR regress_evil.>= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = regress_evil.int_op);
CREATE OPERATOR regress_evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.concat_op);
CREATE FUNCTION pg_temp.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('pg_temp.lower')::text $$;
CREATE FUNCTION pg_temp.btrim(text) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('pg_temp.btrim')::text $$;
CREATE FUNCTION pg_temp.length(text) RETURNS integer LANGUAGE sql AS $$ SELECT regress_evil.trip('pg_temp.length')::integer $$;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT regress_evil.trip('pg_temp.now')::text::timestamptz $$;
CREATE FUNCTION pg_temp.format(text, regclass) RETURNS text LANGUAGE sql AS $$ SELECT regress_evil.trip('pg_temp.format')::text $$;
CREATE TEMP VIEW pg_class AS SELECT * FROM pg_catalog.pg_class WHERE regress_evil.trip('pg_temp.pg_class');
CREATE TEMP VIEW pg_attribute AS
    SELECT attrelid, attname, atttypid, attnum, attisdropped FROM pg_catalog.pg_attribute
     WHERE regress_evil.trip('pg_temp.pg_attribute');
CREATE TEMP VIEW pg_index AS SELECT * FROM pg_catalog.pg_index WHERE regress_evil.trip('pg_temp.pg_index');
CREATE TEMP VIEW pg_policy AS SELECT * FROM pg_catalog.pg_policy WHERE regress_evil.trip('pg_temp.pg_policy');

-- Eve's own application table, for protect() and unprotect().
CREATE TABLE regress_evil.docs (workspace_id uuid NOT NULL, body text);
CREATE INDEX ON regress_evil.docs (workspace_id);

-- What each attempt gave.
CREATE TABLE regress_evil.attempts (
    seq integer GENERATED ALWAYS AS IDENTITY,
    round integer NOT NULL,
    step text NOT NULL,
    state text NOT NULL,
    message text
);

-- Run one statement and record its outcome; returns its first column as text.
CREATE FUNCTION regress_evil.try(p_round integer, p_step text, p_sql text, a uuid DEFAULT NULL, b uuid DEFAULT NULL,
                                 c uuid DEFAULT NULL, s text DEFAULT NULL, r regclass DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE p_sql INTO result USING a, b, c, s, r;
    INSERT INTO regress_evil.attempts (round, step, state) VALUES (p_round, p_step, 'ok');
    RETURN result;
EXCEPTION WHEN OTHERS THEN
    INSERT INTO regress_evil.attempts (round, step, state, message) VALUES (p_round, p_step, SQLSTATE, SQLERRM);
    RETURN NULL;
END
$$;

-- One round of the attack, under whatever search_path is in effect.
CREATE FUNCTION regress_evil.attack(p_round integer, target uuid) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    o uuid;
    w uuid;
    t uuid;
BEGIN
    -- Controls: unpinned code running with this search_path does reach the traps.
    PERFORM regress_evil.try(p_round, 'control lower', 'SELECT lower(''X'')');
    PERFORM regress_evil.try(p_round, 'control array_to_string', 'SELECT array_to_string(ARRAY[''a''], '','')');
    PERFORM regress_evil.try(p_round, 'control =', 'SELECT ''a''::text = ''b''::text');
    PERFORM regress_evil.try(p_round, 'control pg_class', 'SELECT count(*) FROM pg_class');

    o := regress_evil.try(p_round, 'create_org', 'SELECT authz.create_org($4, ''Evil Co'')',
                          s => pg_catalog.concat('regress-evil-', p_round));
    w := regress_evil.try(p_round, 'create_workspace', 'SELECT authz.create_workspace($1, $4)',
                          a => o, s => pg_catalog.concat('ws-', p_round));
    PERFORM regress_evil.try(p_round, 'create_workspace bogus', 'SELECT authz.create_workspace($1, ''bad'', ''bogus'')', a => o);
    PERFORM regress_evil.try(p_round, 'add_org_member', 'SELECT authz.add_org_member($1, $2, ''member'', ''viewer'')',
                             a => o, b => target);
    PERFORM regress_evil.try(p_round, 'set_org_role', 'SELECT authz.set_org_role($1, $2, ''admin'')', a => o, b => target);
    PERFORM regress_evil.try(p_round, 'set_org_workspace_role', 'SELECT authz.set_org_workspace_role($1, $2, NULL)',
                             a => o, b => target);
    PERFORM regress_evil.try(p_round, 'add_member', 'SELECT authz.add_member($1, $2, ''viewer'')', a => w, b => target);
    PERFORM regress_evil.try(p_round, 'set_role', 'SELECT authz.set_role($1, $2, ''member'')', a => w, b => target);
    PERFORM regress_evil.try(p_round, 'grant', 'SELECT authz.grant($1, $2, ARRAY[''billing.view''])', a => w, b => target);
    PERFORM regress_evil.try(p_round, 'deny', 'SELECT authz.deny($1, $2, ARRAY[''content.delete''])', a => w, b => target);
    PERFORM regress_evil.try(p_round, 'reset_permissions', 'SELECT authz.reset_permissions($1, $2, ARRAY[''content.delete''])',
                             a => w, b => target);
    t := regress_evil.try(p_round, 'create_team', 'SELECT authz.create_team($1, $4)',
                          a => o, s => pg_catalog.concat('team-', p_round));
    PERFORM regress_evil.try(p_round, 'add_team_member', 'SELECT authz.add_team_member($1, $2)', a => t, b => target);
    PERFORM regress_evil.try(p_round, 'add_team', 'SELECT authz.add_team($1, $3, ''viewer'')', a => w, c => t);
    PERFORM regress_evil.try(p_round, 'who_can', 'SELECT count(*) FROM authz.who_can($1, ''content.read'')', a => w);
    PERFORM regress_evil.try(p_round, 'explain', 'SELECT count(*) FROM authz.explain($2, $1, ''billing.view'')',
                             a => w, b => target);
    PERFORM regress_evil.try(p_round, 'can', 'SELECT authz.can($1, ''content.read'')', a => w);
    PERFORM regress_evil.try(p_round, 'role_in', 'SELECT authz.role_in($1)', a => w);
    PERFORM regress_evil.try(p_round, 'permissions_in', 'SELECT authz.permissions_in($1)', a => w);
    PERFORM regress_evil.try(p_round, 'workspaces', 'SELECT count(*) FROM authz.workspaces(''content.read'')');
    PERFORM regress_evil.try(p_round, 'personal_workspace', 'SELECT authz.personal_workspace()');
    PERFORM regress_evil.try(p_round, 'protect', 'SELECT authz.protect($5)', r => 'regress_evil.docs');
    PERFORM regress_evil.try(p_round, 'unprotect', 'SELECT authz.unprotect($5)', r => 'regress_evil.docs');
    PERFORM regress_evil.try(p_round, 'remove_team', 'SELECT authz.remove_team($1, $3)', a => w, c => t);
    PERFORM regress_evil.try(p_round, 'remove_team_member', 'SELECT authz.remove_team_member($1, $2)', a => t, b => target);
    PERFORM regress_evil.try(p_round, 'remove_member', 'SELECT authz.remove_member($1, $2)', a => w, b => target);
    PERFORM regress_evil.try(p_round, 'remove_org_member', 'SELECT authz.remove_org_member($1, $2)', a => o, b => target);
    -- Refused (eve owns workspaces and orgs), after now() has been evaluated.
    PERFORM regress_evil.try(p_round, 'deactivate_user', 'SELECT authz.deactivate_user(authz.current_user_id())');
END
$$;

SET search_path = regress_evil, public;
SELECT regress_evil.attack(1, :'ivy') \g /dev/null
SET search_path = regress_evil, pg_catalog, public;
SELECT regress_evil.attack(2, :'ivy') \g /dev/null
SET search_path = pg_temp, regress_evil, pg_catalog, public;
SELECT regress_evil.attack(3, :'ivy') \g /dev/null
RESET search_path;
DROP VIEW pg_temp.pg_class, pg_temp.pg_attribute, pg_temp.pg_index, pg_temp.pg_policy;
RESET SESSION AUTHORIZATION;

SELECT ok(EXISTS (SELECT 1 FROM regress_evil.attempts WHERE round = 1 AND step LIKE 'control %' AND message LIKE 'hijacked%'),
          'with search_path = regress_evil, public the traps catch unpinned code (polymorphic look-alikes, temporary views)');
SELECT ok(EXISTS (SELECT 1 FROM regress_evil.attempts WHERE round = 2 AND step = 'control lower' AND message LIKE 'hijacked%'),
          'with search_path = regress_evil, pg_catalog, public the traps catch unpinned code');
SELECT ok(EXISTS (SELECT 1 FROM regress_evil.attempts WHERE round = 3 AND step = 'control pg_class' AND message LIKE 'hijacked%'),
          'with search_path = pg_temp, regress_evil, pg_catalog, public the traps catch unpinned code');
SELECT is((SELECT count(*) FROM regress_evil.attempts WHERE step NOT LIKE 'control %'), 84::bigint,
          'every administration call of the three rounds was made');
SELECT is_empty($$
    SELECT round, step, state, message FROM regress_evil.attempts
     WHERE step NOT LIKE 'control %' AND (message LIKE '%hijacked%' OR message LIKE '%regress\_evil.%')
$$, 'no function, operator or view planted by the attacker ran inside the extension''s functions');
SELECT is_empty($$
    SELECT round, step, state, message FROM regress_evil.attempts
     WHERE step NOT LIKE 'control %' AND round = 1
       AND state <> CASE step WHEN 'create_workspace bogus' THEN '22023' WHEN 'deactivate_user' THEN '23514' ELSE 'ok' END
$$, 'with search_path = regress_evil, public every administration call behaves as with a clean search_path');
SELECT is_empty($$
    SELECT round, step, state, message FROM regress_evil.attempts
     WHERE step NOT LIKE 'control %' AND round = 2
       AND state <> CASE step WHEN 'create_workspace bogus' THEN '22023' WHEN 'deactivate_user' THEN '23514' ELSE 'ok' END
$$, 'with search_path = regress_evil, pg_catalog, public every administration call behaves as with a clean search_path');
SELECT is_empty($$
    SELECT round, step, state, message FROM regress_evil.attempts
     WHERE step NOT LIKE 'control %' AND round = 3
       AND state <> CASE step WHEN 'create_workspace bogus' THEN '22023' WHEN 'deactivate_user' THEN '23514' ELSE 'ok' END
$$, 'with pg_temp first in search_path every administration call behaves as with a clean search_path');
SELECT is((SELECT count(*) FROM authz.users WHERE handle = 'regress_eve' AND status = 'active'), 1::bigint,
          'the attacker is still active: refused deactivations left no trace');

SELECT is_empty($$
    SELECT p.oid::regprocedure, p.proconfig FROM pg_catalog.pg_proc p
     WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace) AND p.prosecdef
       AND NOT coalesce(p.proconfig, '{}') && ARRAY['search_path=pg_catalog, authz, pg_temp',
                                                     'search_path=pg_catalog, pg_temp']
$$, 'every SECURITY DEFINER function of the extension pins search_path to pg_catalog first and pg_temp last');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace) AND l.lanname = 'plpgsql'
       AND NOT coalesce(p.proconfig, '{}') && ARRAY['search_path=pg_catalog, authz, pg_temp',
                                                     'search_path=pg_catalog, pg_temp']
$$, 'every PL/pgSQL function of the extension pins search_path too');

SELECT is_empty($$
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, 0) FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'workspace_authz')
       AND pg_catalog.obj_description(d.objid, d.classid::regclass::name) IS NULL
       -- the row and array types PostgreSQL makes for tables and types (members since 17)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t
                        WHERE d.classid = 'pg_catalog.pg_type'::regclass AND t.oid = d.objid
                          AND (t.typrelid <> 0 OR t.typcategory = 'A'))
$$, 'every object of the extension (function, table, view, type, operator, cast, operator class, sequence) has a comment');
SELECT is_empty($$
    SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = 'authz'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
       AND pg_catalog.col_description(c.oid, a.attnum) IS NULL
$$, 'every column of the extension''s tables has a comment');

SELECT * FROM finish();
ROLLBACK;
