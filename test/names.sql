-- Names instead of uuids, and what each reader learns through them:
-- authz.require, authz.user_id, authz.org_id, authz.workspace_id, who_can's
-- handle, the views authz.my_access and authz.access (which must show nobody
-- more than row-level security does), and what DROP EXTENSION ... CASCADE
-- leaves on a protected table. Users act through login roles mapped to them
-- (SET SESSION AUTHORIZATION).
BEGIN;
SELECT plan(50);
SET client_min_messages = warning;

CREATE ROLE regress_nm_plain LOGIN;     -- ordinary role, mapped to nobody
CREATE ROLE regress_nm_ann LOGIN;       -- owner of regress-acme and regress-side
CREATE ROLE regress_nm_mia LOGIN;       -- admin of regress-acme
CREATE ROLE regress_nm_gus LOGIN;       -- guest of regress-acme, viewer participant of alpha
CREATE ROLE regress_nm_cole LOGIN;      -- not in regress-acme (member of regress-side); admin participant of alpha
CREATE ROLE regress_nm_eve LOGIN;       -- owner of regress-globex only

CREATE TEMP TABLE ids (k text PRIMARY KEY, v uuid NOT NULL UNIQUE);
GRANT SELECT ON ids TO PUBLIC;
CREATE FUNCTION pg_temp.id(k text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT v FROM ids WHERE ids.k = $1 $$;

DO $$
DECLARE
    ann uuid := authz.create_user('regress_nm_ann', 'ann@nm.example', 'Ann', 'regress_nm_ann');
    mia uuid := authz.create_user('regress_nm_mia', 'mia@nm.example', 'Mia', 'regress_nm_mia');
    gus uuid := authz.create_user('regress_nm_gus', 'gus@nm.example', 'Gus', 'regress_nm_gus');
    cole uuid := authz.create_user('regress_nm_cole', 'cole@nm.example', 'Cole', 'regress_nm_cole');
    eve uuid := authz.create_user('regress_nm_eve', 'eve@nm.example', 'Eve', 'regress_nm_eve');
    acme uuid; side uuid; globex uuid; alpha uuid; beta uuid; omega uuid;
BEGIN
    PERFORM authz.set_user(ann);
    acme := authz.create_org('regress-acme');
    side := authz.create_org('regress-side');
    alpha := authz.create_workspace(acme, 'alpha');
    beta := authz.create_workspace(acme, 'beta');
    PERFORM authz.set_user(eve);
    globex := authz.create_org('regress-globex');
    omega := authz.create_workspace(globex, 'omega');
    PERFORM authz.set_user(NULL);
    -- the platform adds people to organizations
    PERFORM authz.add_org_member(side, cole);
    PERFORM authz.add_org_member(acme, mia, 'admin');
    PERFORM authz.add_org_member(acme, gus, 'guest');
    PERFORM authz.add_credits(alpha, '10');
    PERFORM authz.set_user(ann);
    PERFORM authz.add_member(alpha, cole, 'admin');
    PERFORM authz.add_member(alpha, gus, 'viewer');
    PERFORM authz.set_user(NULL);
    INSERT INTO ids VALUES ('ann', ann), ('mia', mia), ('gus', gus), ('cole', cole), ('eve', eve),
        ('acme', acme), ('side', side), ('globex', globex), ('alpha', alpha), ('beta', beta), ('omega', omega);
END
$$;

-- ===========================================================================
-- authz.require
-- ===========================================================================
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT lives_ok(format($$SELECT authz.require(%L, 'content.update')$$, pg_temp.id('alpha')),
                'require: passes when the current user holds the permission');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_gus;
SELECT throws_ok(format($$SELECT authz.require(%L, 'content.update')$$, pg_temp.id('alpha')),
                 '42501', 'permission denied: "content.update" is required in workspace "regress-acme/alpha"',
                 'require: 42501 naming the permission and the workspace when the user lacks it');
SELECT throws_ok(format($$SELECT authz.require(%L, 'content.read')$$, pg_temp.id('omega')),
                 '42501', format('permission denied: "content.read" is required in workspace "%s"', pg_temp.id('omega')),
                 'require: a workspace the user may not see is named only by the id passed');
SELECT throws_ok($$SELECT authz.require('00000000-0000-4000-8000-00000000dead', 'content.read')$$,
                 '42501', 'permission denied: "content.read" is required in workspace "00000000-0000-4000-8000-00000000dead"',
                 'require: an unknown workspace gets the same refusal');
SELECT throws_ok(format($$SELECT authz.require(%L, 'no.such')$$, pg_temp.id('alpha')),
                 '42704', 'permission "no.such" does not exist', 'require: an unknown permission is 42704');
SELECT throws_ok(format($$SELECT authz.require(%L, 'org.update')$$, pg_temp.id('alpha')),
                 '22023', NULL, 'require: an org permission is 22023');
SELECT throws_ok(format($$SELECT authz.require(%L, NULL)$$, pg_temp.id('alpha')),
                 '22004', 'permission must not be NULL', 'require: a NULL permission is 22004');
SELECT throws_ok($$SELECT authz.require(NULL, 'content.read')$$,
                 '22004', 'workspace_id must not be NULL', 'require: a NULL workspace is 22004');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_plain;
SELECT throws_ok(format($$SELECT authz.require(%L, 'content.read')$$, pg_temp.id('alpha')),
                 '42501', 'no authz user is set for this session', 'require: no current user is 42501');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- authz.user_id, authz.org_id, authz.workspace_id
-- ===========================================================================
SELECT is(authz.user_id('regress_nm_mia'), pg_temp.id('mia'), 'user_id: the platform finds a user by handle');
SELECT is(authz.user_id('MIA@NM.example'), pg_temp.id('mia'),
          'user_id: ... and by e-mail address, its ASCII letters in any case');
SELECT throws_ok($$SELECT authz.user_id('regress_nm_nobody')$$, '42704',
                 'user "regress_nm_nobody" not found or not allowed', 'user_id: an unknown handle is 42704');
SELECT throws_ok($$SELECT authz.user_id(' ')$$, '22023', NULL, 'user_id: an empty argument is 22023');
SELECT throws_ok($$SELECT authz.user_id(NULL)$$, '22004', NULL, 'user_id: NULL is 22004');
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT is(authz.user_id('gus@nm.example'), pg_temp.id('gus'),
          'user_id: an org owner finds a member of her organization by e-mail');
SELECT is(authz.user_id('regress_nm_cole'), pg_temp.id('cole'),
          'user_id: ... and by handle, in any organization she manages');
SELECT throws_ok($$SELECT authz.user_id('eve@nm.example')$$, '42704', 'user "eve@nm.example" not found or not allowed',
                 'user_id: a user in none of her organizations is refused as an unknown one');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_gus;
SELECT is(authz.user_id('regress_nm_gus'), pg_temp.id('gus'), 'user_id: anyone finds themselves');
SELECT throws_ok($$SELECT authz.user_id('ann@nm.example')$$, '42704', 'user "ann@nm.example" not found or not allowed',
                 'user_id: a guest, who manages no members, finds nobody else');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_plain;
SELECT throws_ok($$SELECT authz.user_id('regress_nm_ann')$$, '42501', 'no authz user is set for this session',
                 'user_id: no current user and not trusted is 42501');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_nm_gus;
SELECT is(authz.org_id('regress-acme'), pg_temp.id('acme'), 'org_id: a member (even a guest) finds the organization');
SELECT throws_ok($$SELECT authz.org_id('regress-globex')$$, '42704', 'organization "regress-globex" not found or not allowed',
                 'org_id: another organization is refused as an unknown one');
SELECT throws_ok($$SELECT authz.org_id('regress-nope')$$, '42704', 'organization "regress-nope" not found or not allowed',
                 'org_id: an unknown slug is 42704');
SELECT is(authz.workspace_id('regress-acme/alpha'), pg_temp.id('alpha'), 'workspace_id: a participant finds the workspace by path');
SELECT throws_ok($$SELECT authz.workspace_id('regress-acme/beta')$$, '42704',
                 'workspace "regress-acme/beta" not found or not allowed',
                 'workspace_id: a guest does not find a workspace of the org where it does not participate');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_mia;
SELECT is(authz.workspace_id('regress-acme/beta'), pg_temp.id('beta'), 'workspace_id: an org admin finds any workspace of the org');
SELECT throws_ok($$SELECT authz.workspace_id('regress-globex/omega')$$, '42704',
                 'workspace "regress-globex/omega" not found or not allowed',
                 'workspace_id: a workspace of another organization is refused as an unknown one');
SELECT throws_ok($$SELECT authz.workspace_id('alpha')$$, '22023', 'invalid workspace path: "alpha"',
                 'workspace_id: a path without an organization is 22023');
RESET SESSION AUTHORIZATION;
SELECT is(authz.workspace_id('regress-globex/omega'), pg_temp.id('omega'), 'workspace_id: the platform finds every workspace');

-- ===========================================================================
-- who_can: the handle, as authz.users shows it to the caller
-- ===========================================================================
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT set_eq(format($$SELECT handle, role FROM authz.who_can(%L, 'workspace.view')$$, pg_temp.id('alpha')),
              $$VALUES ('regress_nm_ann', 'owner'), ('regress_nm_mia', 'admin'), ('regress_nm_cole', 'admin'),
                       ('regress_nm_gus', 'viewer')$$,
              'who_can: each holder with their handle and role');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_cole;
SELECT set_eq(format($$SELECT user_id, handle, role FROM authz.who_can(%L, 'workspace.view')$$, pg_temp.id('alpha')),
              format($$VALUES (%L::uuid, 'regress_nm_ann', 'owner'), (%L::uuid, NULL, 'admin'),
                              (%L::uuid, 'regress_nm_cole', 'admin'), (%L::uuid, 'regress_nm_gus', 'viewer')$$,
                     pg_temp.id('ann'), pg_temp.id('mia'), pg_temp.id('cole'), pg_temp.id('gus')),
              'who_can: a collaborator does not get the handle of an org admin it may not see in authz.users');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- authz.my_access
-- ===========================================================================
SET SESSION AUTHORIZATION regress_nm_gus;
SELECT set_eq($$SELECT org, workspace, personal, role, permissions::text, balance::text FROM authz.my_access$$,
              $$VALUES (NULL, 'regress_nm_gus', true, 'owner',
                        (SELECT authz.permissions_in(authz.personal_workspace())::text), '0'),
                       ('regress-acme', 'alpha', false, 'viewer', '{content.read,members.view,workspace.view}', NULL)$$,
              'my_access: a guest sees its workspaces, role and permissions, and no balance where it lacks billing.view');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_cole;
SELECT results_eq(format($$SELECT org, role, balance::text FROM authz.my_access WHERE workspace_id = %L$$, pg_temp.id('alpha')),
                  $$VALUES (NULL::text, 'admin', '10')$$,
                  'my_access: a collaborator sees the balance it may see, and not the slug of an organization it is not in');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT set_eq($$SELECT workspace_id FROM authz.my_access$$,
              $$SELECT id FROM authz.workspaces WHERE authz.can(id, 'workspace.view')$$,
              'my_access: exactly the workspaces the user may view');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_plain;
SELECT is_empty($$SELECT * FROM authz.my_access$$, 'my_access: nobody sees nothing');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- authz.access
-- ===========================================================================
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT set_eq(format($$SELECT handle, role, source FROM authz.access WHERE workspace_id = %L$$, pg_temp.id('alpha')),
              $$VALUES ('regress_nm_ann', 'owner', 'participant'), ('regress_nm_ann', 'admin', 'org admin'),
                       ('regress_nm_mia', 'admin', 'org admin'), ('regress_nm_cole', 'admin', 'participant'),
                       ('regress_nm_gus', 'viewer', 'participant')$$,
              'access: every source of every role, for an org owner');
SELECT is((SELECT DISTINCT org FROM authz.access WHERE workspace_id = pg_temp.id('alpha')), 'regress-acme',
          'access: the organization by slug, to its members');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_cole;
SELECT set_eq(format($$SELECT org, handle, role, source FROM authz.access WHERE workspace_id = %L$$, pg_temp.id('alpha')),
              $$VALUES (NULL, 'regress_nm_ann', 'owner', 'participant'), (NULL, 'regress_nm_ann', NULL, 'organization'),
                       (NULL, 'regress_nm_cole', 'admin', 'participant'), (NULL, 'regress_nm_gus', 'viewer', 'participant')$$,
              'access: a collaborator sees the participants, the organization''s sources as "organization", and not the users it may not see');
RESET SESSION AUTHORIZATION;
-- Nobody sees through authz.access a user, a workspace or an organization
-- that row-level security hides from them.
CREATE FUNCTION pg_temp.leaks() RETURNS bigint LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM authz.access a WHERE NOT EXISTS (SELECT 1 FROM authz.users u WHERE u.id = a.user_id))
         + (SELECT count(*) FROM authz.access a WHERE NOT authz.can(a.workspace_id, 'members.view'))
         + (SELECT count(*) FROM authz.access a
             WHERE a.org IS NOT NULL AND NOT EXISTS (SELECT 1 FROM authz.orgs o WHERE o.slug = a.org))
         + (SELECT count(*) FROM authz.my_access m WHERE m.balance IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM authz.credit_accounts c WHERE c.workspace_id = m.workspace_id)
               AND NOT authz.can(m.workspace_id, 'billing.view'))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.leaks() TO PUBLIC;
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT is(pg_temp.leaks(), 0::bigint, 'access and my_access show the org owner nothing RLS hides');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_mia;
SELECT is(pg_temp.leaks(), 0::bigint, '... nor the org admin');
SELECT ok((SELECT count(*) FROM authz.access) > 0, '... who sees rows');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_gus;
SELECT is(pg_temp.leaks(), 0::bigint, '... nor the guest');
SELECT ok((SELECT count(*) FROM authz.access) > 0, '... who sees rows');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_cole;
SELECT is(pg_temp.leaks(), 0::bigint, '... nor the collaborator');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_eve;
SELECT is_empty(format($$SELECT * FROM authz.access WHERE workspace_id IN (%L, %L)$$, pg_temp.id('alpha'), pg_temp.id('beta')),
                'access: an outsider sees nothing of another organization');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_nm_plain;
SELECT is_empty($$SELECT * FROM authz.access$$, 'access: nobody sees nothing');
RESET SESSION AUTHORIZATION;
SELECT set_eq($$SELECT DISTINCT workspace_id FROM authz.access WHERE org IS NOT NULL$$,
              $$SELECT id FROM authz.workspaces WHERE org_id IS NOT NULL$$,
              'access: the platform sees every workspace');

-- ===========================================================================
-- DROP EXTENSION ... CASCADE on a protected table: the policies go, row-level
-- security stays on, and the table fails closed (no rows for roles under RLS).
-- ===========================================================================
CREATE TABLE public.nm_notes (id serial PRIMARY KEY, workspace_id uuid NOT NULL, body text);
SELECT authz.protect('public.nm_notes') \g /dev/null
INSERT INTO public.nm_notes (workspace_id, body) VALUES (pg_temp.id('alpha'), 'plan');
GRANT SELECT ON public.nm_notes TO regress_nm_ann;
-- (pgTAP's own bookkeeping would be rolled back with the savepoint: the
-- observations are kept in psql variables and asserted afterwards.)
SAVEPOINT drop_extension;
DROP EXTENSION workspace_authz CASCADE;
SELECT count(*) AS policies_left FROM pg_catalog.pg_policy WHERE polrelid = 'public.nm_notes'::regclass \gset
SELECT relrowsecurity AS rls_left FROM pg_catalog.pg_class WHERE oid = 'public.nm_notes'::regclass \gset
SET SESSION AUTHORIZATION regress_nm_ann;
SELECT count(*) AS rows_seen FROM public.nm_notes \gset
RESET SESSION AUTHORIZATION;
ROLLBACK TO SAVEPOINT drop_extension;
SELECT is(:'policies_left'::bigint, 0::bigint, 'DROP EXTENSION ... CASCADE drops the policies of a protected table');
SELECT ok(:'rls_left'::boolean, '... and leaves row-level security enabled');
SELECT is(:'rows_seen'::bigint, 0::bigint, '... so the table shows no rows to roles under RLS: it fails closed');

SELECT * FROM finish();
ROLLBACK;
