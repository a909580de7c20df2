-- Administration functions: what each one does, and every refusal with its
-- SQLSTATE (SPEC 3 rank and last-owner rules, SPEC 5 interface, SPEC 10 errors).
-- One session, one transaction; identities are asserted with authz.set_user().
-- Refusals that every function shares (no identity, a deactivated actor, a
-- missing permission, an unknown object) are listed in tables, one assertion
-- per table; the rules particular to a function have their own assertions.
\ir lib/platform.sql
BEGIN;
SELECT plan(178);

-- Login roles: one neither superuser nor trusted, one trusted through
-- workspace_authz_trusted, one that a user is mapped to.
CREATE ROLE regress_mgmt_app;
CREATE ROLE regress_mgmt_platform;
GRANT workspace_authz_trusted TO regress_mgmt_platform;
CREATE ROLE regress_mgmt_login;

-- Shorthands to name fixture objects (read as the superuser, past RLS).
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.org(s text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.orgs WHERE slug = s $$;
CREATE FUNCTION pg_temp.ws(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.orgs o ON o.id = w.org_id
           WHERE o.slug = s AND w.name = n $$;
CREATE FUNCTION pg_temp.personal(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.users u ON u.id = w.personal_user_id
           WHERE u.handle = h $$;
CREATE FUNCTION pg_temp.team(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT t.id FROM authz.teams t JOIN authz.orgs o ON o.id = t.org_id
           WHERE o.slug = s AND t.name = n $$;
-- Act as a user (NULL: no identity at all).
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
-- The role a user holds as a direct participant of a workspace (NULL: none).
CREATE FUNCTION pg_temp.ws_role(s text, n text, h text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT r.name FROM authz.participants p JOIN authz.roles r ON r.id = p.role_id
           WHERE p.workspace_id = pg_temp.ws(s, n) AND p.user_id = pg_temp.uid(h) $$;
-- The role a team holds in a workspace (NULL: none).
CREATE FUNCTION pg_temp.team_role(s text, n text, t text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT r.name FROM authz.participants p JOIN authz.roles r ON r.id = p.role_id
           WHERE p.workspace_id = pg_temp.ws(s, n) AND p.team_id = pg_temp.team(s, t) $$;
-- A user's org role and org-wide workspace role, as 'role/workspace_role'.
CREATE FUNCTION pg_temp.membership(s text, h text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT m.role || '/' || coalesce(r.name, '-')
            FROM authz.org_members m LEFT JOIN authz.roles r ON r.id = m.workspace_role
           WHERE m.org_id = pg_temp.org(s) AND m.user_id = pg_temp.uid(h) $$;
-- A participant's grants and denies, as sorted 'permission:effect'.
CREATE FUNCTION pg_temp.adjustments(s text, n text, h text) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT coalesce(array_agg(pp.permission || ':' || pp.effect ORDER BY pp.permission), '{}')
            FROM authz.participant_permissions pp
           WHERE pp.workspace_id = pg_temp.ws(s, n) AND pp.user_id = pg_temp.uid(h) $$;
-- The built-in roles holding a permission, highest rank first.
CREATE FUNCTION pg_temp.holders(p text) RETURNS text[] LANGUAGE sql STABLE
    AS $$ SELECT coalesce(array_agg(r.name ORDER BY r.rank DESC), '{}') FROM authz.role_permissions rp
            JOIN authz.roles r ON r.id = rp.role_id WHERE rp.permission = p AND r.org_id IS NULL $$;
-- Run a call as a user (NULL: no identity): 'ok', or the SQLSTATE and message.
CREATE FUNCTION pg_temp.outcome(actor text, call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(actor);
    BEGIN
        EXECUTE call;
    EXCEPTION WHEN OTHERS THEN
        RETURN SQLSTATE || ' ' || SQLERRM;
    END;
    RETURN 'ok';
END
$$;
-- Refusal tables: each case is a call made as an actor and the outcome wanted.
CREATE TEMP TABLE cases (
    grp      text NOT NULL,
    n        serial,
    label    text NOT NULL,
    actor    text,
    call     text NOT NULL,
    expected text NOT NULL
);
CREATE FUNCTION pg_temp.run_cases(g text) RETURNS TABLE (label text, outcome text) LANGUAGE sql AS $$
    SELECT c.label, pg_temp.outcome(c.actor, c.call) FROM cases c WHERE c.grp = g ORDER BY c.n
$$;
CREATE FUNCTION pg_temp.wanted(g text) RETURNS TABLE (label text, outcome text) LANGUAGE sql AS $$
    SELECT c.label, c.expected FROM cases c WHERE c.grp = g ORDER BY c.n
$$;

-- ===========================================================================
-- create_user (trusted roles only; the superuser running this file is one)
-- ===========================================================================
SELECT lives_ok($$SELECT authz.create_user('nina', 'Nina@Example.com', 'Nina N.', 'regress_mgmt_login')$$,
    'create_user: a trusted role creates a user mapped to a login role');
SELECT results_eq(
    $$SELECT u.handle, u.email, u.display_name, u.pg_role = 'regress_mgmt_login', u.status, w.name, w.org_id IS NULL
        FROM authz.users u JOIN authz.workspaces w ON w.personal_user_id = u.id WHERE u.handle = 'nina'$$,
    $$VALUES ('nina', 'Nina@Example.com', 'Nina N.', true, 'active', 'nina', true)$$,
    'create_user: an active user, with a personal workspace named after the handle and in no organization');
SELECT throws_ok($$SELECT authz.create_user('nina', 'other@example.com')$$,
    '23505', 'user handle "nina" is already taken',
    'create_user: a taken handle is refused with 23505');
SELECT throws_ok($$SELECT authz.create_user('nina2', 'nina@EXAMPLE.com')$$,
    '23505', 'email "nina@EXAMPLE.com" is already used by another user',
    'create_user: an email already used, whatever its case, is refused with 23505');
SELECT throws_ok($$SELECT authz.create_user('nina3', 'nina3@example.com', NULL, 'regress_mgmt_login')$$,
    '23505', 'login role "regress_mgmt_login" is already mapped to user "nina"',
    'create_user: a login role mapped to another user is refused with 23505');
SELECT throws_ok($$SELECT authz.create_user('nina4', 'nina4@example.com', NULL, 'regress_mgmt_nobody')$$,
    '42704', 'login role "regress_mgmt_nobody" does not exist',
    'create_user: an unknown login role is refused with 42704');
SET ROLE regress_mgmt_app;
SELECT throws_ok($$SELECT authz.create_user('eve', 'eve@example.com')$$,
    '42501', 'permission denied for function create_user',
    'create_user: a role that is not trusted may not call it');
RESET ROLE;
SET ROLE regress_mgmt_platform;
SELECT lives_ok($$SELECT authz.create_user('pam', 'pam@example.com')$$,
    'create_user: a role granted workspace_authz_trusted may call it');
RESET ROLE;

-- The cast. olivia owns org acme; adam and dora are its admins, gus a guest,
-- the others members; otto belongs to no organization but neighbours (below);
-- lou and lea own org lone.
DO $$
BEGIN
    PERFORM authz.create_user(h, h || '@example.com')
       FROM unnest(ARRAY['olivia', 'adam', 'ada', 'dora', 'mia', 'gus', 'tess', 'wanda', 'abe', 'mel',
                         'vic', 'otis', 'otto', 'wes', 'wyn', 'lev', 'lou', 'lea']) h;
END
$$;
-- Ids read now: under a non-superuser role RLS would hide these users.
SELECT pg_temp.uid('mia') AS mia_id, pg_temp.uid('otto') AS otto_id, pg_temp.uid('dora') AS dora_id \gset

-- ===========================================================================
-- personal_workspace
-- ===========================================================================
SELECT pg_temp.act_as('nina');
SELECT is(authz.personal_workspace(), pg_temp.personal('nina'),
    'personal_workspace: without an argument, the current user''s personal workspace');
SELECT throws_ok(format('SELECT authz.personal_workspace(%L)', :'mia_id'),
    '42501', 'permission denied to look up the personal workspace of another user',
    'personal_workspace: a trusted role acting for a user may not look up another user''s');
SELECT pg_temp.act_as(NULL);
SELECT is(authz.personal_workspace(pg_temp.uid('mia')), pg_temp.personal('mia'),
    'personal_workspace: a trusted role acting for the platform looks up anyone''s personal workspace');
SELECT pg_temp.act_as('nina');
SET ROLE regress_mgmt_app;
SELECT throws_ok(format('SELECT authz.personal_workspace(%L)', :'mia_id'),
    '42501', 'permission denied to look up the personal workspace of another user',
    'personal_workspace: a role that is not trusted may not look up another user''s');
RESET ROLE;

-- ===========================================================================
-- create_org
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.create_org('acme', 'Acme Inc.')$$,
    'create_org: an active user creates an organization');
SELECT results_eq(
    $$SELECT o.full_name, u.handle, m.role, m.workspace_role
        FROM authz.orgs o JOIN authz.org_members m ON m.org_id = o.id JOIN authz.users u ON u.id = m.user_id
       WHERE o.slug = 'acme'$$,
    $$VALUES ('Acme Inc.', 'olivia', 'owner', NULL::uuid)$$,
    'create_org: the creator is its only member, as owner');
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.create_org('acme')$$,
    '23505', 'organization "acme" already exists',
    'create_org: a taken slug is refused with 23505');
DO $$
BEGIN
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_org('globex');
    PERFORM authz.create_workspace(pg_temp.org('globex'), 'alpha');
    PERFORM authz.create_team(pg_temp.org('globex'), 'core');
END
$$;

-- Neighbours: the platform puts the people olivia, adam and lou add below in
-- an organization they share with them (org neighbours, owned by olivia), so
-- that they see them and may add them without an invitation. adam and lou are
-- members there (members see the members); ada, mia, otis, otto and lea are
-- guests (guests see nobody through it: mia still does not see otto).
DO $$
BEGIN
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_org('neighbours');
    PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid(h), 'member')
       FROM unnest(ARRAY['adam', 'lou']) h;
    PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid(h), 'guest')
       FROM unnest(ARRAY['ada', 'mia', 'otis', 'otto', 'lea']) h;
END
$$;

-- ===========================================================================
-- add_org_member
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('adam'), 'admin')$$,
    'add_org_member: the owner adds an admin');
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('mia'))$$,
    'add_org_member: the role defaults to member');
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('otis'), 'member', 'owner')$$,
    'add_org_member: the org owner may give any org-wide workspace role, owner included');
SELECT results_eq(
    $$SELECT pg_temp.membership('acme', h) FROM unnest(ARRAY['adam', 'mia', 'otis']) h$$,
    $$VALUES ('admin/-'), ('member/-'), ('member/owner')$$,
    'add_org_member: the memberships hold the given org role and org-wide workspace role');
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('mia'))$$,
    '23505', 'user "mia" is already a member of organization "acme"',
    'add_org_member: adding a member twice is refused with 23505');
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('otto'), 'guest', 'viewer')$$,
    '22023', 'guests of organization "acme" cannot hold an org-wide workspace role',
    'add_org_member: a guest with an org-wide workspace role is refused with 22023');
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('otto'), 'boss')$$,
    '22023', 'invalid org role "boss"',
    'add_org_member: an org role that does not exist is refused with 22023');
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('ada'), 'admin')$$,
    'add_org_member: an admin may add another admin (a rank equal to their own)');
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('otto'), 'owner')$$,
    '42501', 'cannot assign org role "owner" above your own ("admin") in organization "acme"',
    'add_org_member: an admin may not add an owner');
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('otto'), 'member', 'owner')$$,
    '42501', 'cannot assign org-wide workspace role "owner" (rank 100) above your limit (80) in organization "acme"',
    'add_org_member: an admin may not give an org-wide workspace role above the admin workspace role');

DO $$
BEGIN
    PERFORM pg_temp.act_as('olivia');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('dora'), 'admin');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('gus'), 'guest');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid(h))
       FROM unnest(ARRAY['tess', 'wanda', 'abe', 'mel', 'vic', 'wes', 'wyn', 'lev']) h;
END
$$;

-- ===========================================================================
-- set_org_role
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'admin')$$,
    'set_org_role: the owner promotes a member to admin');
SELECT is(pg_temp.membership('acme', 'tess'), 'admin/-',
    'set_org_role: the member is now an admin');
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'member')$$,
    'set_org_role: an admin may change another admin');
SELECT is(pg_temp.membership('acme', 'tess'), 'member/-',
    'set_org_role: the other admin is a member again');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('mia'), 'owner')$$,
    '42501', 'cannot assign org role "owner" above your own ("admin") in organization "acme"',
    'set_org_role: an admin may not make anyone owner');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('olivia'), 'member')$$,
    '42501', 'cannot change user "olivia" ("owner") who ranks above you ("admin") in organization "acme"',
    'set_org_role: an admin may not change an owner');
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('gus'), 'member')$$,
    '42501', 'permission denied: "org.members.manage" is required in organization "acme"',
    'set_org_role: a member may not change org roles');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('otto'), 'member')$$,
    '42704', 'user "otto" is not a member of organization "acme"',
    'set_org_role: a user outside the organization (whom olivia sees in neighbours) is refused with 42704');
SELECT results_eq($$SELECT pg_temp.membership('acme', h) FROM unnest(ARRAY['olivia', 'mia', 'gus']) h$$,
    $$VALUES ('owner/-'), ('member/-'), ('guest/-')$$,
    'set_org_role: the refused calls changed no org role');

-- ===========================================================================
-- set_org_workspace_role
-- ===========================================================================
SELECT lives_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'viewer')$$,
    'set_org_workspace_role: the owner gives a member an org-wide workspace role');
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'admin')$$,
    'set_org_workspace_role: an admin may give an org-wide role up to the admin workspace role');
SELECT is(pg_temp.membership('acme', 'tess'), 'member/admin',
    'set_org_workspace_role: the member holds the org-wide role last given');
SELECT throws_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'owner')$$,
    '42501', 'cannot assign org-wide workspace role "owner" (rank 100) above your limit (80) in organization "acme"',
    'set_org_workspace_role: an admin may not give an org-wide role above their limit');
SELECT throws_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('olivia'), 'viewer')$$,
    '42501', 'cannot change user "olivia" ("owner") who ranks above you ("admin") in organization "acme"',
    'set_org_workspace_role: an admin may not change an owner');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('gus'), 'viewer')$$,
    '22023', 'guests of organization "acme" cannot hold an org-wide workspace role',
    'set_org_workspace_role: a guest cannot hold an org-wide role (22023)');
SELECT lives_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), NULL)$$,
    'set_org_workspace_role: NULL clears the org-wide role');
SELECT results_eq($$SELECT pg_temp.membership('acme', h) FROM unnest(ARRAY['tess', 'olivia', 'gus']) h$$,
    $$VALUES ('member/-'), ('owner/-'), ('guest/-')$$,
    'set_org_workspace_role: the role is cleared, and the refused calls changed nothing');

-- An org-wide role above an admin's limit, given by the owner, stays out of the admin's reach.
SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'owner');
SELECT pg_temp.act_as('adam');
SELECT throws_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'viewer')$$,
    '42501', 'cannot change the org-wide workspace role "owner" (rank 100) of user "tess", above your limit (80) in organization "acme"',
    'set_org_workspace_role: an admin may not lower an org-wide role ranked above their limit');
SELECT throws_ok($$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), NULL)$$,
    '42501', 'cannot change the org-wide workspace role "owner" (rank 100) of user "tess", above your limit (80) in organization "acme"',
    'set_org_workspace_role: an admin may not clear an org-wide role ranked above their limit');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'guest')$$,
    '42501', 'cannot change the org-wide workspace role "owner" (rank 100) of user "tess", above your limit (80) in organization "acme"',
    'set_org_role: an admin may not demote to guest (dropping the org-wide role) a member whose org-wide role is above their limit');
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('tess'))$$,
    '42501', 'cannot change the org-wide workspace role "owner" (rank 100) of user "tess", above your limit (80) in organization "acme"',
    'remove_org_member: an admin may not remove (dropping the org-wide role) a member whose org-wide role is above their limit');
SELECT is(pg_temp.membership('acme', 'tess'), 'member/owner',
    'set_org_workspace_role: the refused calls left the org role and org-wide role as they were');
SELECT pg_temp.act_as('olivia');

-- Demoting to guest drops the org-wide workspace role.
SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'member');
SELECT lives_ok($$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('tess'), 'guest')$$,
    'set_org_role: a member holding an org-wide role may be demoted to guest');
SELECT is(pg_temp.membership('acme', 'tess'), 'guest/-',
    'set_org_role: demoting to guest clears the org-wide workspace role');

-- ===========================================================================
-- create_workspace
-- ===========================================================================
SELECT lives_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'alpha')$$,
    'create_workspace: the org owner creates a workspace');
SELECT lives_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'lobby', 'shared', 'open')$$,
    'create_workspace: visibility and join policy may be given');
SELECT results_eq(
    $$SELECT w.name, w.visibility, w.join_policy, pg_temp.ws_role('acme', w.name, 'olivia')
        FROM authz.workspaces w WHERE w.org_id = pg_temp.org('acme') ORDER BY w.name$$,
    $$VALUES ('alpha', 'private', 'invite_only', 'owner'), ('lobby', 'shared', 'open', 'owner')$$,
    'create_workspace: private and invite-only by default; the creator is an owner participant');
SELECT throws_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'alpha')$$,
    '23505', 'workspace "alpha" already exists in organization "acme"',
    'create_workspace: a name taken in the organization is refused with 23505');
SELECT throws_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'beta', 'public')$$,
    '22023', 'invalid visibility: "public"',
    'create_workspace: an invalid visibility is refused with 22023');
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'mine')$$,
    '42501', 'permission denied: "org.workspaces.create" is required in organization "acme"',
    'create_workspace: a member may not create workspaces unless the org allows it');
UPDATE authz.orgs SET members_can_create_workspaces = true WHERE slug = 'acme';
SELECT lives_ok($$SELECT authz.create_workspace(pg_temp.org('acme'), 'mine')$$,
    'create_workspace: a member may create workspaces when the org allows it');
UPDATE authz.orgs SET members_can_create_workspaces = false WHERE slug = 'acme';

-- ===========================================================================
-- add_member
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('wanda'), 'admin')$$,
    'add_member: the owner adds an admin');
SELECT lives_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'))$$,
    'add_member: the role defaults to member');
SELECT lives_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('otto'), 'viewer')$$,
    'add_member: a collaborator from outside the organization (sharing neighbours with olivia) may be added');
DO $$
BEGIN
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('abe'), 'admin');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), 'viewer');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('otis'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('lev'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('dora'), 'admin');
END
$$;
SELECT set_eq(
    $$SELECT u.handle, r.name FROM authz.participants p JOIN authz.users u ON u.id = p.user_id
        JOIN authz.roles r ON r.id = p.role_id WHERE p.workspace_id = pg_temp.ws('acme', 'alpha')$$,
    $$VALUES ('olivia', 'owner'), ('wanda', 'admin'), ('abe', 'admin'), ('mel', 'member'), ('otto', 'viewer'),
             ('vic', 'viewer'), ('otis', 'member'), ('lev', 'member'), ('dora', 'admin')$$,
    'add_member: the participants hold the roles they were given');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'viewer')$$,
    '23505', 'user "mel" is already a participant of workspace "acme/alpha"',
    'add_member: adding a participant twice is refused with 23505');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'), 'wizard')$$,
    '42704', 'role "wizard" not found or not allowed',
    'add_member: an unknown role is refused with 42704');
SELECT pg_temp.act_as('nina');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.personal('nina'), pg_temp.uid('mia'))$$,
    '22023', 'personal workspace "nina" has no participants',
    'add_member: a personal workspace takes no participants (22023)');
SELECT pg_temp.act_as('mel');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'))$$,
    '42501', 'permission denied: "members.manage" is required in workspace "acme/alpha"',
    'add_member: a member may not add participants');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'), 'owner')$$,
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "acme/alpha"',
    'add_member: an admin may not add an owner');
SELECT is(pg_temp.ws_role('acme', 'alpha', 'mia'), NULL,
    'add_member: the refused calls added nobody');

-- ===========================================================================
-- set_role
-- ===========================================================================
SELECT lives_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'viewer')$$,
    'set_role: an admin changes a member''s role');
SELECT lives_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('abe'), 'member')$$,
    'set_role: an admin may change another admin');
SELECT throws_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'owner')$$,
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "acme/alpha"',
    'set_role: an admin may not make anyone owner');
SELECT throws_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('olivia'), 'admin')$$,
    '42501', 'cannot change user "olivia" (rank 100) who ranks above you (80) in workspace "acme/alpha"',
    'set_role: an admin may not change an owner');
SELECT throws_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'), 'member')$$,
    '42704', 'user "mia" is not a participant of workspace "acme/alpha"',
    'set_role: a user who does not participate is refused with 42704');
SELECT results_eq(
    $$SELECT pg_temp.ws_role('acme', 'alpha', h) FROM unnest(ARRAY['mel', 'abe', 'olivia']) h$$,
    $$VALUES ('viewer'), ('member'), ('owner')$$,
    'set_role: the two changes took effect; the refused calls changed nothing');

-- Promotion to owner drops the participant's denies (grants stay).
SELECT pg_temp.act_as('olivia');
SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'member');
SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), '{billing.view}');
SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), '{content.delete}');
SELECT lives_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'owner')$$,
    'set_role: an owner makes a member owner');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'mel'), '{billing.view:grant}',
    'set_role: promotion to owner drops the participant''s denies and keeps the grants');
SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), 'member');
SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'));

-- ===========================================================================
-- grant
-- ===========================================================================
SELECT lives_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.create,content.update}')$$,
    'grant: an owner grants a viewer permissions beyond the role');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{content.create:grant,content.update:grant}',
    'grant: the grants are recorded on the participant');
SELECT pg_temp.act_as('vic');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mel'), '{content.read}')$$,
    '42501', 'permission denied: "members.manage" is required in workspace "acme/alpha"',
    'grant: a viewer may not grant');
-- wanda, an admin, is denied content.delete for a while: she no longer holds it.
SELECT pg_temp.act_as('olivia');
SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('wanda'), '{content.delete}');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.read,content.delete}')$$,
    '42501', 'cannot grant permission "content.delete", which you do not hold in workspace "acme/alpha"',
    'grant: an admin may not grant a permission they do not hold (here denied to them)');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{workspace.delete}')$$,
    '22023', 'cannot grant permission "workspace.delete" in workspace "acme/alpha": it belongs to the owner role alone',
    'grant: an admin may not grant workspace.delete (22023)');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('wanda'), '{workspace.delete}')$$,
    '22023', 'cannot grant permission "workspace.delete" in workspace "acme/alpha": it belongs to the owner role alone',
    'grant: nor may an owner: workspace.delete goes with the owner role alone (22023)');
SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('wanda'));
SELECT pg_temp.act_as('wanda');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('olivia'), '{content.read}')$$,
    '42501', 'cannot change user "olivia" (rank 100) who ranks above you (80) in workspace "acme/alpha"',
    'grant: an admin may not adjust an owner''s permissions');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{org.view}')$$,
    '22023', 'permission "org.view" is an org permission, not a workspace permission',
    'grant: an org permission is refused with 22023');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{nope.nothing}')$$,
    '42704', 'permission "nope.nothing" does not exist',
    'grant: an unknown permission is refused with 42704');
SELECT throws_ok($$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'), '{content.read}')$$,
    '42704', 'user "mia" is not a participant of workspace "acme/alpha"',
    'grant: a user who does not participate is refused with 42704');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{content.create:grant,content.update:grant}',
    'grant: the refused calls recorded nothing');

-- ===========================================================================
-- deny
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.update,content.read}')$$,
    'deny: an owner denies a viewer permissions');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{content.create:grant,content.read:deny,content.update:deny}',
    'deny: the denies are recorded and replace a grant of the same permission');
SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.update}');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{content.create:grant,content.read:deny,content.update:grant}',
    'grant: a grant replaces a deny of the same permission');
SELECT throws_ok($$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('otis'), '{content.read}')$$,
    '23514', 'cannot deny permissions to user "otis", an owner of workspace "acme/alpha"',
    'deny: a participant whose effective role is owner (here through the org-wide role) cannot be denied');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'otis'), '{}',
    'deny: the refused deny left the owner without denies');
SELECT throws_ok($$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{org.members.manage}')$$,
    '22023', 'permission "org.members.manage" is an org permission, not a workspace permission',
    'deny: an org permission is refused with 22023');
SELECT throws_ok($$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{nope.nothing}')$$,
    '42704', 'permission "nope.nothing" does not exist',
    'deny: an unknown permission is refused with 42704');

-- ===========================================================================
-- reset_permissions
-- ===========================================================================
SELECT throws_ok($$SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{nope.nothing}')$$,
    '42704', 'permission "nope.nothing" does not exist',
    'reset_permissions: an unknown permission is refused with 42704');
SELECT lives_ok($$SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.read,content.create}')$$,
    'reset_permissions: an owner drops some grants and denies');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{content.update:grant}',
    'reset_permissions: only those of the named permissions were dropped');
SELECT lives_ok($$SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'))$$,
    'reset_permissions: without a list, drops them all');
SELECT is(pg_temp.adjustments('acme', 'alpha', 'vic'), '{}',
    'reset_permissions: the participant has no grant or deny left');

-- ===========================================================================
-- remove_member
-- ===========================================================================
SELECT pg_temp.act_as('wanda');
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('olivia'))$$,
    '42501', 'cannot change user "olivia" (rank 100) who ranks above you (80) in workspace "acme/alpha"',
    'remove_member: an admin may not remove an owner');
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'))$$,
    '42704', 'user "mia" is not a participant of workspace "acme/alpha"',
    'remove_member: a user who does not participate is refused with 42704');
SELECT lives_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('otto'))$$,
    'remove_member: an admin removes a viewer');
SELECT pg_temp.act_as('abe');
SELECT lives_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('abe'))$$,
    'remove_member: a member may leave without members.manage');
SELECT results_eq(
    $$SELECT pg_temp.ws_role('acme', 'alpha', h) FROM unnest(ARRAY['otto', 'abe', 'olivia']) h$$,
    $$VALUES (NULL::text), (NULL), ('owner')$$,
    'remove_member: the removed viewer and the member who left are gone; the owner stays');

-- ===========================================================================
-- join_workspace
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_member(pg_temp.ws('acme', 'lobby'), pg_temp.uid('vic'), 'viewer');
SELECT pg_temp.act_as('mia');
SELECT lives_ok($$SELECT authz.join_workspace(pg_temp.ws('acme', 'lobby'))$$,
    'join_workspace: an org member joins an open workspace');
SELECT is(pg_temp.ws_role('acme', 'lobby', 'mia'), 'member',
    'join_workspace: the member participates with the join role');
SELECT pg_temp.act_as('vic');
SELECT lives_ok($$SELECT authz.join_workspace(pg_temp.ws('acme', 'lobby'))$$,
    'join_workspace: joining a workspace one already participates in succeeds');
SELECT is(pg_temp.ws_role('acme', 'lobby', 'vic'), 'viewer',
    'join_workspace: it is a no-op for a participant (the role stays)');
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.join_workspace(pg_temp.ws('acme', 'alpha'))$$,
    '42501', 'workspace "acme/alpha" is invite-only',
    'join_workspace: an invite-only workspace cannot be joined');
-- A guest sees only the workspaces they participate in, and a user outside the
-- organization none of them: the open workspace is not found or not allowed.
SELECT pg_temp.act_as('gus');
SELECT throws_ok($$SELECT authz.join_workspace(pg_temp.ws('acme', 'lobby'))$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.ws('acme', 'lobby')),
    'join_workspace: a guest may not join open workspaces (they do not even see them)');
SELECT pg_temp.act_as('otto');
SELECT throws_ok($$SELECT authz.join_workspace(pg_temp.ws('acme', 'lobby'))$$,
    '42704', format('workspace "%s" not found or not allowed', pg_temp.ws('acme', 'lobby')),
    'join_workspace: a user outside the organization may not join (nor see the workspace)');
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.join_workspace(pg_temp.personal('mia'))$$,
    '22023', 'personal workspace "mia" has no participants',
    'join_workspace: a personal workspace cannot be joined (22023)');

-- ===========================================================================
-- create_team, add_team_member, remove_team_member
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.create_team(pg_temp.org('acme'), 'core')$$,
    'create_team: the org owner creates a team (the name is also used in another organization)');
SELECT throws_ok($$SELECT authz.create_team(pg_temp.org('acme'), 'core')$$,
    '23505', 'team "core" already exists in organization "acme"',
    'create_team: a name taken in the organization is refused with 23505');
SELECT lives_ok($$SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mia'))$$,
    'add_team_member: the org owner adds a member to a team');
SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid(h)) FROM unnest(ARRAY['mel', 'wes', 'lev']) h;
SELECT set_eq(
    $$SELECT u.handle FROM authz.team_members tm JOIN authz.users u ON u.id = tm.user_id
       WHERE tm.team_id = pg_temp.team('acme', 'core')$$,
    $$VALUES ('mia'), ('mel'), ('wes'), ('lev')$$,
    'add_team_member: the team holds the added members');
SELECT throws_ok($$SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mia'))$$,
    '23505', 'user "mia" is already in team "core"',
    'add_team_member: adding a team member twice is refused with 23505');
SELECT throws_ok($$SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('otto'))$$,
    '42704', 'user "otto" is not a member of organization "acme"',
    'add_team_member: a user outside the team''s organization (whom olivia sees in neighbours) is refused with 42704');
SELECT pg_temp.act_as('mia');
SELECT lives_ok($$SELECT authz.remove_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mia'))$$,
    'remove_team_member: a member may leave a team without org.teams.manage');
SELECT throws_ok($$SELECT authz.remove_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mia'))$$,
    '42704', 'user "mia" is not in team "core"',
    'remove_team_member: a user who is not in the team is refused with 42704');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.remove_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mel'))$$,
    'remove_team_member: the org owner removes a member from a team');
SELECT set_eq(
    $$SELECT u.handle FROM authz.team_members tm JOIN authz.users u ON u.id = tm.user_id
       WHERE tm.team_id = pg_temp.team('acme', 'core')$$,
    $$VALUES ('wes'), ('lev')$$,
    'remove_team_member: the team holds the remaining members');

-- ===========================================================================
-- add_team, remove_team
-- ===========================================================================
SELECT lives_ok($$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'member')$$,
    'add_team: the owner makes a team a participant');
SELECT is(pg_temp.team_role('acme', 'alpha', 'core'), 'member',
    'add_team: the team participates with the given role');
SELECT lives_ok($$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'viewer')$$,
    'add_team: adding the team again changes its role');
SELECT is(pg_temp.team_role('acme', 'alpha', 'core'), 'viewer',
    'add_team: one participation, with the new role');
SELECT throws_ok($$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('globex', 'core'), 'member')$$,
    '22023', 'team "core" belongs to another organization than workspace "acme/alpha"',
    'add_team: a team from another organization is refused with 22023');
SELECT throws_ok($$SELECT authz.add_team(pg_temp.personal('olivia'), pg_temp.team('acme', 'core'), 'member')$$,
    '22023', 'personal workspace "olivia" has no participants',
    'add_team: a personal workspace takes no teams (22023)');
SELECT pg_temp.act_as('wanda');
SELECT throws_ok($$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'owner')$$,
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "acme/alpha"',
    'add_team: an admin may not give a team the owner role');
SELECT pg_temp.act_as('olivia');
SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'owner');
SELECT pg_temp.act_as('wanda');
-- Only the SQLSTATE is pinned: the message ought to speak of removing the team.
SELECT throws_ok($$SELECT authz.remove_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'))$$,
    '42501', NULL,
    'remove_team: an admin may not remove a team holding the owner role');
SELECT throws_ok($$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'viewer')$$,
    '42501', 'cannot change team "core" (role "owner", rank 100) which ranks above you in workspace "acme/alpha"',
    'add_team: an admin may not change the role of a team holding the owner role');
SELECT is(pg_temp.team_role('acme', 'alpha', 'core'), 'owner',
    'add_team: the refused call left the team''s role as it was');
-- (The team stays for the tables below; its removal is tested after them.)

-- ===========================================================================
-- Missing permission: the actor lacks what the function needs (42501).
-- ===========================================================================
INSERT INTO cases (grp, label, actor, call, expected) VALUES
  -- (mia sees nobody outside acme: the permission check comes before the 23505 for a member already in)
  ('perm', 'add_org_member', 'mia', $c$SELECT authz.add_org_member(pg_temp.org('acme'), pg_temp.uid('gus'))$c$,
   '42501 permission denied: "org.members.manage" is required in organization "acme"'),
  ('perm', 'set_org_workspace_role', 'mia', $c$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('mel'), 'viewer')$c$,
   '42501 permission denied: "org.members.manage" is required in organization "acme"'),
  ('perm', 'remove_org_member', 'mia', $c$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('gus'))$c$,
   '42501 permission denied: "org.members.manage" is required in organization "acme"'),
  ('perm', 'set_role', 'mel', $c$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), 'member')$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'remove_member', 'mel', $c$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'))$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'deny', 'mel', $c$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.read}')$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'reset_permissions', 'mel', $c$SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'))$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'add_team', 'mel', $c$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'viewer')$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'remove_team', 'mel', $c$SELECT authz.remove_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'))$c$,
   '42501 permission denied: "members.manage" is required in workspace "acme/alpha"'),
  ('perm', 'create_team', 'mia', $c$SELECT authz.create_team(pg_temp.org('acme'), 'mine')$c$,
   '42501 permission denied: "org.teams.manage" is required in organization "acme"'),
  ('perm', 'add_team_member', 'mia', $c$SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('vic'))$c$,
   '42501 permission denied: "org.teams.manage" is required in organization "acme"'),
  ('perm', 'remove_team_member', 'mia', $c$SELECT authz.remove_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('wes'))$c$,
   '42501 permission denied: "org.teams.manage" is required in organization "acme"'),
  ('perm', 'create_workspace (guest)', 'gus', $c$SELECT authz.create_workspace(pg_temp.org('acme'), 'guests')$c$,
   '42501 permission denied: "org.workspaces.create" is required in organization "acme"'),
  ('perm', 'create_team (admin of a workspace only)', 'wanda', $c$SELECT authz.create_team(pg_temp.org('acme'), 'mine')$c$,
   '42501 permission denied: "org.teams.manage" is required in organization "acme"');
SELECT results_eq($$SELECT * FROM pg_temp.run_cases('perm')$$, $$SELECT * FROM pg_temp.wanted('perm')$$,
    'members, viewers and guests lacking the permission are refused by each function with 42501');

-- ===========================================================================
-- No identity: every administration function needs a current user (42501),
-- but add_org_member and add_member, which a trusted role acting for the
-- platform may call with no user (this suite runs as a superuser): a role
-- that is not trusted is refused them below.
-- ===========================================================================
INSERT INTO cases (grp, label, call, expected)
SELECT 'nobody', f, c, '42501 no authz user is set for this session' FROM (VALUES
  ('create_org', $c$SELECT authz.create_org('nobody-org')$c$),
  ('set_org_role', $c$SELECT authz.set_org_role(pg_temp.org('acme'), pg_temp.uid('mia'), 'admin')$c$),
  ('set_org_workspace_role', $c$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('mia'), 'viewer')$c$),
  ('remove_org_member', $c$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('mia'))$c$),
  ('create_workspace', $c$SELECT authz.create_workspace(pg_temp.org('acme'), 'nobody-ws')$c$),
  ('set_role', $c$SELECT authz.set_role(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), 'member')$c$),
  ('remove_member', $c$SELECT authz.remove_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'))$c$),
  ('grant', $c$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.read}')$c$),
  ('deny', $c$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{content.read}')$c$),
  ('reset_permissions', $c$SELECT authz.reset_permissions(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'))$c$),
  ('join_workspace', $c$SELECT authz.join_workspace(pg_temp.ws('acme', 'lobby'))$c$),
  ('create_team', $c$SELECT authz.create_team(pg_temp.org('acme'), 'nobody-team')$c$),
  ('add_team_member', $c$SELECT authz.add_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('mia'))$c$),
  ('remove_team_member', $c$SELECT authz.remove_team_member(pg_temp.team('acme', 'core'), pg_temp.uid('wes'))$c$),
  ('add_team', $c$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'), 'viewer')$c$),
  ('remove_team', $c$SELECT authz.remove_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'))$c$),
  ('personal_workspace', $c$SELECT authz.personal_workspace()$c$)
) v(f, c);
SELECT results_eq($$SELECT * FROM pg_temp.run_cases('nobody')$$, $$SELECT * FROM pg_temp.wanted('nobody')$$,
    'with no identity set, every administration function is refused with 42501');
SELECT pg_temp.act_as(NULL);
SELECT pg_temp.ws('acme', 'alpha') AS alpha_id \gset
SET ROLE regress_mgmt_app;
SELECT throws_ok(format('SELECT authz.deactivate_user(%L)', :'otto_id'),
    '42501', 'no authz user is set for this session',
    'deactivate_user: a role that is not trusted needs an identity');
SELECT throws_ok(format('SELECT authz.add_member(%L, %L)', :'alpha_id', :'mia_id'),
    '42501', 'no authz user is set for this session',
    'add_member: a role that is not trusted needs an identity');
RESET ROLE;

-- ===========================================================================
-- Unknown objects (42704)
-- ===========================================================================
INSERT INTO cases (grp, label, actor, call, expected) VALUES
  ('unknown', 'add_org_member: user', 'olivia',
   $c$SELECT authz.add_org_member(pg_temp.org('acme'), '00000000-0000-4000-8000-000000000000')$c$,
   '42704 user "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'add_org_member: organization', 'olivia',
   $c$SELECT authz.add_org_member('00000000-0000-4000-8000-000000000000', pg_temp.uid('otto'))$c$,
   '42704 organization "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'create_workspace: organization', 'olivia',
   $c$SELECT authz.create_workspace('00000000-0000-4000-8000-000000000000', 'beta')$c$,
   '42704 organization "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'add_member: user', 'olivia',
   $c$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), '00000000-0000-4000-8000-000000000000')$c$,
   '42704 user "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'add_member: workspace', 'olivia',
   $c$SELECT authz.add_member('00000000-0000-4000-8000-000000000000', pg_temp.uid('mia'))$c$,
   '42704 workspace "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'join_workspace: workspace', 'mia',
   $c$SELECT authz.join_workspace('00000000-0000-4000-8000-000000000000')$c$,
   '42704 workspace "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'create_team: organization', 'olivia',
   $c$SELECT authz.create_team('00000000-0000-4000-8000-000000000000', 'core')$c$,
   '42704 organization "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'add_team_member: team', 'olivia',
   $c$SELECT authz.add_team_member('00000000-0000-4000-8000-000000000000', pg_temp.uid('mia'))$c$,
   '42704 team "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'add_team: team', 'olivia',
   $c$SELECT authz.add_team(pg_temp.ws('acme', 'alpha'), '00000000-0000-4000-8000-000000000000', 'viewer')$c$,
   '42704 team "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'personal_workspace: user', NULL,
   $c$SELECT authz.personal_workspace('00000000-0000-4000-8000-000000000000')$c$,
   '42704 user "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'deactivate_user: user', 'olivia',
   $c$SELECT authz.deactivate_user('00000000-0000-4000-8000-000000000000')$c$,
   '42704 user "00000000-0000-4000-8000-000000000000" not found or not allowed'),
  ('unknown', 'remove_org_member: not a member', 'olivia',
   $c$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('otto'))$c$,
   '42704 user "otto" is not a member of organization "acme"'),
  ('unknown', 'set_org_workspace_role: role', 'olivia',
   $c$SELECT authz.set_org_workspace_role(pg_temp.org('acme'), pg_temp.uid('mel'), 'wizard')$c$,
   '42704 role "wizard" not found or not allowed');
SELECT results_eq($$SELECT * FROM pg_temp.run_cases('unknown')$$, $$SELECT * FROM pg_temp.wanted('unknown')$$,
    'unknown users, organizations, workspaces, teams, memberships and roles are refused with 42704');

-- ===========================================================================
-- Bad input: the SQLSTATE classes behind the messages pinned in sql/errors.sql
-- (22004 NULL argument, 22023 bad argument, 42704 unknown name).
-- ===========================================================================
INSERT INTO cases (grp, label, actor, call, expected) VALUES
  ('input', 'NULL text', 'olivia', $c$SELECT authz.create_org(NULL)$c$,
   '22004 organization slug must not be NULL'),
  ('input', 'blank text', 'olivia', $c$SELECT authz.create_org('   ')$c$,
   '22023 organization slug must not be empty'),
  ('input', 'text too long', 'olivia', $c$SELECT authz.create_org(repeat('s', 64))$c$,
   '22023 organization slug is too long (64 characters, at most 63)'),
  ('input', 'malformed slug', 'olivia', $c$SELECT authz.create_org('Acme')$c$,
   '22023 invalid organization slug: "Acme"'),
  ('input', 'malformed handle', NULL, $c$SELECT authz.create_user('Nina5', 'nina5@example.com')$c$,
   '22023 invalid handle: "Nina5"'),
  ('input', 'malformed email', NULL, $c$SELECT authz.create_user('nina5', 'nina5.example.com')$c$,
   '22023 invalid email: "nina5.example.com"'),
  ('input', 'malformed team name', 'olivia', $c$SELECT authz.create_team(pg_temp.org('acme'), 'core team')$c$,
   '22023 invalid team name: "core team"'),
  ('input', 'invalid join policy', 'olivia', $c$SELECT authz.create_workspace(pg_temp.org('acme'), 'beta', 'private', 'closed')$c$,
   '22023 invalid join policy: "closed"'),
  ('input', 'NULL id', 'olivia', $c$SELECT authz.add_member(NULL, pg_temp.uid('mia'))$c$,
   '22004 workspace_id must not be NULL'),
  ('input', 'malformed uuid', 'olivia', $c$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), 'not-a-uuid')$c$,
   '22P02 invalid input syntax for type uuid: "not-a-uuid"'),
  ('input', 'NULL permission list', 'olivia', $c$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), NULL)$c$,
   '22004 permissions must not be NULL'),
  ('input', 'empty permission list', 'olivia', $c$SELECT authz.deny(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{}')$c$,
   '22023 permissions must not be empty'),
  ('input', 'NULL in a permission list', 'olivia', $c$SELECT authz.grant(pg_temp.ws('acme', 'alpha'), pg_temp.uid('vic'), '{NULL}')$c$,
   '22004 a permission array must not contain NULL'),
  ('input', 'malformed permission name', NULL, $c$SELECT authz.define_permission('Pipelines.Launch')$c$,
   '22023 invalid permission name: "Pipelines.Launch"'),
  ('input', 'NULL roles', NULL, $c$SELECT authz.define_permission('pipelines.launch', NULL, NULL)$c$,
   '22023 invalid roles for permission "pipelines.launch": NULL'),
  ('input', 'unknown permission in can()', 'olivia', $c$SELECT authz.can(pg_temp.ws('acme', 'alpha'), 'nope.nothing')$c$,
   '42704 permission "nope.nothing" does not exist'),
  ('input', 'set_user of an unknown user', 'olivia', $c$SELECT authz.set_user('00000000-0000-4000-8000-000000000000')$c$,
   '42704 user "00000000-0000-4000-8000-000000000000" does not exist');
SELECT results_eq($$SELECT * FROM pg_temp.run_cases('input')$$, $$SELECT * FROM pg_temp.wanted('input')$$,
    'bad input is refused with 22004 (NULL), 22023 (bad argument), 22P02 (malformed uuid) or 42704 (unknown name)');

-- ===========================================================================
-- deactivate_user, and a deactivated actor
-- ===========================================================================
SELECT pg_temp.act_as('mia');
SET ROLE regress_mgmt_app;
SELECT throws_ok(format('SELECT authz.deactivate_user(%L)', :'otto_id'),
    '42704', format('user "%s" not found or not allowed', :'otto_id'),
    'deactivate_user: a user may not deactivate someone else (whom they may not see: not even named)');
RESET ROLE;
SELECT pg_temp.act_as('dora');
SET ROLE regress_mgmt_app;
SELECT lives_ok(format('SELECT authz.deactivate_user(%L)', :'dora_id'),
    'deactivate_user: a user may deactivate themselves');
RESET ROLE;
SELECT results_eq(
    $$SELECT handle, status, deactivated_at IS NOT NULL FROM authz.users WHERE handle IN ('dora', 'otto') ORDER BY handle$$,
    $$VALUES ('dora', 'deactivated', true), ('otto', 'active', false)$$,
    'deactivate_user: the user is deactivated, with a timestamp; the refused target is still active');

-- dora, an org admin and a workspace admin, acts after her deactivation.
INSERT INTO cases (grp, label, actor, call, expected)
SELECT 'deactivated', label, 'dora', call, '42501 user "dora" is deactivated'
  FROM cases WHERE grp = 'nobody' ORDER BY n;
INSERT INTO cases (grp, label, actor, call, expected) VALUES
  ('deactivated', 'add_member', 'dora', $c$SELECT authz.add_member(pg_temp.ws('acme', 'alpha'), pg_temp.uid('mia'))$c$,
   '42501 user "dora" is deactivated');
SELECT results_eq($$SELECT * FROM pg_temp.run_cases('deactivated')$$, $$SELECT * FROM pg_temp.wanted('deactivated')$$,
    'a deactivated user is refused by every administration function with 42501');

-- ===========================================================================
-- remove_team (after the tables above, which needed the team in place)
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.remove_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'))$$,
    'remove_team: the owner removes a team from a workspace');
SELECT is(pg_temp.team_role('acme', 'alpha', 'core'), NULL,
    'remove_team: the team no longer participates');
SELECT throws_ok($$SELECT authz.remove_team(pg_temp.ws('acme', 'alpha'), pg_temp.team('acme', 'core'))$$,
    '42704', 'team "core" is not a participant of workspace "acme/alpha"',
    'remove_team: a team that does not participate is refused with 42704');

-- ===========================================================================
-- Last org owner (org lone, owned by lou alone)
-- ===========================================================================
DO $$
BEGIN
    PERFORM pg_temp.act_as('lou');
    PERFORM authz.create_org('lone');
END
$$;
SELECT pg_temp.act_as('lou');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('lone'), pg_temp.uid('lou'), 'admin')$$,
    '23514', 'organization "lone" must keep at least one owner',
    'set_org_role: the last org owner cannot be demoted');
-- (the refusal is raised once lou is out, or deactivated, and no longer sees the organization:
-- it names it by its identifier)
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.org('lone'), pg_temp.uid('lou'))$$,
    '23514', format('organization "%s" must keep at least one owner', pg_temp.org('lone')),
    'remove_org_member: the last org owner cannot leave');
SELECT throws_ok($$SELECT authz.deactivate_user(pg_temp.uid('lou'))$$,
    '23514', format('organization "%s" must keep at least one owner', pg_temp.org('lone')),
    'deactivate_user: the last owner of an organization cannot be deactivated');
SELECT results_eq(
    $$SELECT pg_temp.membership('lone', 'lou'), (SELECT status FROM authz.users WHERE handle = 'lou')$$,
    $$VALUES ('owner/-', 'active')$$,
    'last org owner: the refused changes left lou an active owner');
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.org('lone'), pg_temp.uid('lea'), 'owner')$$,
    'add_org_member: an owner may add another owner');
SELECT lives_ok($$SELECT authz.set_org_role(pg_temp.org('lone'), pg_temp.uid('lou'), 'admin')$$,
    'set_org_role: an owner may step down once a second owner exists');
SELECT pg_temp.act_as('lea');
SELECT authz.set_org_role(pg_temp.org('lone'), pg_temp.uid('lou'), 'owner');
SELECT pg_temp.act_as('lou');
SELECT lives_ok($$SELECT authz.remove_org_member(pg_temp.org('lone'), pg_temp.uid('lou'))$$,
    'remove_org_member: an owner may leave once a second owner exists');
SELECT pg_temp.act_as('lea');
SELECT pg_temp.add_org_member(pg_temp.org('lone'), pg_temp.uid('lou'), 'owner');
SELECT pg_temp.act_as(NULL);
SELECT lives_ok($$SELECT authz.deactivate_user(pg_temp.uid('lea'))$$,
    'deactivate_user: a trusted role deactivates an owner once another active owner exists');
SELECT results_eq(
    $$SELECT u.handle, m.role, u.status FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
       WHERE m.org_id = pg_temp.org('lone') ORDER BY u.handle$$,
    $$VALUES ('lea', 'owner', 'deactivated'), ('lou', 'owner', 'active')$$,
    'last org owner: after leaving and rejoining, lou is an active owner and lea is deactivated');

-- ===========================================================================
-- Last workspace owner (acme/solo, owned by wes alone)
-- ===========================================================================
DO $$
BEGIN
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'solo');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'solo'), pg_temp.uid('wes'), 'owner');
END
$$;
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'solo'), pg_temp.uid('olivia'))$$,
    'remove_member: an owner may leave while another owner remains');
SELECT pg_temp.act_as('wes');
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.ws('acme', 'solo'), pg_temp.uid('wes'))$$,
    '23514', 'workspace "acme/solo" must keep at least one owner',
    'remove_member: the last owner of a workspace cannot leave');
SELECT throws_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'solo'), pg_temp.uid('wes'), 'admin')$$,
    '23514', 'workspace "acme/solo" must keep at least one owner',
    'set_role: the last owner of a workspace cannot be demoted');
SELECT throws_ok($$SELECT authz.deactivate_user(pg_temp.uid('wes'))$$,
    '23514', format('workspace "%s" must keep at least one owner', pg_temp.ws('acme', 'solo')),
    'deactivate_user: the last owner of a workspace cannot be deactivated');
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('wes'))$$,
    '23514', 'workspace "acme/solo" must keep at least one owner',
    'remove_org_member: the last owner of an org workspace cannot leave the org');
SELECT pg_temp.act_as('olivia');
SELECT results_eq(
    $$SELECT pg_temp.ws_role('acme', 'solo', 'wes'), pg_temp.membership('acme', 'wes'),
             (SELECT status FROM authz.users WHERE handle = 'wes'),
             EXISTS (SELECT 1 FROM authz.team_members WHERE team_id = pg_temp.team('acme', 'core')
                        AND user_id = pg_temp.uid('wes'))$$,
    $$VALUES ('owner', 'member/-', 'active', true)$$,
    'last workspace owner: the refused changes left wes an active owner, org member and team member');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'solo'), pg_temp.uid('wyn'), 'owner')$$,
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "acme/solo"',
    'add_member: the org owner, only an admin there through the org, may not add an owner');
SELECT pg_temp.act_as('wes');
SELECT lives_ok($$SELECT authz.add_member(pg_temp.ws('acme', 'solo'), pg_temp.uid('wyn'), 'owner')$$,
    'add_member: an owner adds a second owner');
SELECT lives_ok($$SELECT authz.set_role(pg_temp.ws('acme', 'solo'), pg_temp.uid('wes'), 'admin')$$,
    'set_role: an owner may step down once a second owner exists');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok($$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('wes'))$$,
    'remove_org_member: the org owner removes a member who ranks no higher than them in each of their workspaces');
SELECT results_eq(
    $$SELECT pg_temp.membership('acme', 'wes'), pg_temp.ws_role('acme', 'solo', 'wes'),
             (SELECT count(*)::int FROM authz.team_members WHERE user_id = pg_temp.uid('wes'))$$,
    $$VALUES (NULL::text, NULL::text, 0)$$,
    'remove_org_member: the user is out of the org, its workspaces and its teams');

-- ===========================================================================
-- remove_org_member: rank rule, and leaving
-- ===========================================================================
SELECT pg_temp.act_as('adam');
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('olivia'))$$,
    '42501', 'cannot change user "olivia" ("owner") who ranks above you ("admin") in organization "acme"',
    'remove_org_member: an admin may not remove an owner');
-- lev participates in acme/alpha and acme/lobby, is in team core, and leaves.
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_member(pg_temp.ws('acme', 'lobby'), pg_temp.uid('lev'), 'viewer');
SELECT pg_temp.act_as('lev');
SELECT lives_ok($$SELECT authz.remove_org_member(pg_temp.org('acme'), pg_temp.uid('lev'))$$,
    'remove_org_member: a member may leave the organization without org.members.manage');
SELECT results_eq(
    $$SELECT (SELECT count(*)::int FROM authz.org_members WHERE user_id = pg_temp.uid('lev')),
             (SELECT count(*)::int FROM authz.team_members WHERE user_id = pg_temp.uid('lev')),
             (SELECT count(*)::int FROM authz.participants WHERE user_id = pg_temp.uid('lev')),
             authz.personal_workspace() = pg_temp.personal('lev')$$,
    $$VALUES (0, 0, 0, true)$$,
    'remove_org_member: leaving ends the org''s team memberships and participations; the personal workspace stays');

-- ===========================================================================
-- define_permission (trusted roles only)
-- ===========================================================================
SET ROLE regress_mgmt_app;
SELECT throws_ok($$SELECT authz.define_permission('pipelines.launch')$$,
    '42501', 'permission denied for function define_permission',
    'define_permission: a role that is not trusted may not call it');
RESET ROLE;
SELECT pg_temp.act_as(NULL);   -- registering permissions is the platform's (no user asserted)
SELECT lives_ok($$SELECT authz.define_permission('pipelines.launch', 'Launch pipelines', '{member}')$$,
    'define_permission: a trusted role registers a permission');
SELECT results_eq(
    $$SELECT scope, description, builtin, pg_temp.holders(name) FROM authz.permissions WHERE name = 'pipelines.launch'$$,
    $$VALUES ('workspace', 'Launch pipelines', false, '{owner,admin,member}'::text[])$$,
    'define_permission: a workspace permission held by owner and admin, plus the listed member role');
SELECT pg_temp.act_as('mel');
SELECT ok(authz.can(pg_temp.ws('acme', 'alpha'), 'pipelines.launch'),
    'define_permission: a member holds the new permission at once');
SELECT throws_ok($$SELECT authz.define_permission('pipelines.launch', 'Launch a pipeline')$$,
    '42501', 'permission denied to register permissions: only a trusted role acting for no user may',
    'define_permission: refused to a trusted role while it asserts a user');
SELECT pg_temp.act_as(NULL);
SELECT lives_ok($$SELECT authz.define_permission('pipelines.launch', 'Launch a pipeline')$$,
    'define_permission: a custom permission may be redefined');
SELECT results_eq(
    $$SELECT description, pg_temp.holders(name) FROM authz.permissions WHERE name = 'pipelines.launch'$$,
    $$VALUES ('Launch a pipeline', '{owner,admin}'::text[])$$,
    'define_permission: redefinition replaces the description and the extra roles');
SELECT throws_ok($$SELECT authz.define_permission('content.read', 'Read')$$,
    '42501', 'built-in permission "content.read" cannot be redefined',
    'define_permission: a built-in permission cannot be redefined');
SELECT throws_ok($$SELECT authz.define_permission('reports.export', NULL, '{viewer,owner}')$$,
    '22023', 'invalid roles for permission "reports.export": {viewer,owner}',
    'define_permission: roles other than member and viewer are refused with 22023');
SELECT results_eq(
    $$SELECT pg_temp.holders('content.read'), (SELECT count(*)::int FROM authz.permissions WHERE name = 'reports.export')$$,
    $$VALUES ('{owner,admin,member,viewer}'::text[], 0)$$,
    'define_permission: the refused calls changed and registered nothing');
SET ROLE regress_mgmt_platform;
SELECT lives_ok($$SELECT authz.define_permission('reports.export', 'Export reports', '{member,viewer}')$$,
    'define_permission: a role granted workspace_authz_trusted may call it');
RESET ROLE;
SELECT is(pg_temp.holders('reports.export'), '{owner,admin,member,viewer}',
    'define_permission: member and viewer are both added when listed');

SELECT * FROM finish();
ROLLBACK;
