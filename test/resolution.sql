-- Resolution (SPEC section 3): which permissions and which effective role a
-- user holds in a workspace, source by source, then how the sources combine,
-- how grants and denies adjust them, expiry, guests, and org permissions.
\ir lib/platform.sql
BEGIN;
SELECT plan(104);

-- Permission sets of the built-in workspace roles (SPEC section 2).
\set owner_perms '{workspace.view,workspace.update,workspace.delete,members.view,members.manage,billing.view,billing.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}'
\set admin_perms '{workspace.view,workspace.update,members.view,members.manage,billing.view,billing.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}'
\set member_perms '{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}'
\set viewer_perms '{workspace.view,members.view,content.read}'
\set no_perms '{}'

-- Org permissions of each org role, sorted by name.
\set org_owner_perms '{org.billing.manage,org.billing.view,org.delete,org.members.manage,org.members.view,org.roles.manage,org.teams.manage,org.update,org.view,org.workspaces.create,org.workspaces.join,org.workspaces.list}'
\set org_admin_perms '{org.billing.manage,org.billing.view,org.members.manage,org.members.view,org.roles.manage,org.teams.manage,org.update,org.view,org.workspaces.create,org.workspaces.join,org.workspaces.list}'
\set org_member_perms '{org.billing.view,org.members.view,org.view,org.workspaces.join,org.workspaces.list}'

-- The answers of the public checks for a given user: each function asserts the
-- user (the test runs as a superuser, a trusted role) and asks on their behalf.
-- authz.check for the platform: the asserted user is set aside for the call
-- (a trusted role answers about other users only while it asserts no user).
CREATE FUNCTION pg_temp.check(u uuid, w uuid, p text) RETURNS boolean LANGUAGE sql STABLE
    SET workspace_authz.user_id = ''
    AS $$ SELECT authz.check(u, w, p) $$;
CREATE FUNCTION pg_temp.perms(u uuid, w uuid) RETURNS text[]
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz.set_user(u);
    RETURN ARRAY(SELECT x FROM unnest(authz.permissions_in(w)::text[]) x ORDER BY x);
END
$$;

-- A set of permission names in the order pg_temp.perms() returns them.
CREATE FUNCTION pg_temp.names(perms text[]) RETURNS text[]
    LANGUAGE sql AS $$ SELECT ARRAY(SELECT DISTINCT x FROM unnest(perms) x ORDER BY x) $$;

CREATE FUNCTION pg_temp.role(u uuid, w uuid) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz.set_user(u);
    RETURN authz.role_in(w);
END
$$;

CREATE FUNCTION pg_temp.ws_of(u uuid) RETURNS uuid[]
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz.set_user(u);
    RETURN ARRAY(SELECT x FROM authz.workspaces() x ORDER BY x);
END
$$;

CREATE FUNCTION pg_temp.can_org(u uuid, o uuid, p text) RETURNS boolean
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz.set_user(u);
    RETURN authz.can_org(o, p);
END
$$;

-- The org permissions a user holds in an org, sorted by name.
CREATE FUNCTION pg_temp.org_perms(u uuid, o uuid) RETURNS text[]
    LANGUAGE sql AS $$
    SELECT coalesce(array_agg(p.name ORDER BY p.name), '{}')
      FROM authz.permissions p
     WHERE p.scope = 'org' AND pg_temp.can_org(u, o, p.name)
$$;

CREATE FUNCTION pg_temp.sorted(ids uuid[]) RETURNS uuid[]
    LANGUAGE sql AS $$ SELECT ARRAY(SELECT x FROM unnest(ids) x ORDER BY x) $$;

-- ---------------------------------------------------------------------------
-- Fixture. Org acme: alice and olga own it, bob and hank are admins, carol,
-- dave (org-wide member role), gina, ted and pat are members, erin is a guest.
-- frank is a collaborator from outside; ivan owns org globex where judy is a
-- member; zed belongs nowhere.
-- ---------------------------------------------------------------------------
SELECT authz.create_user('alice', 'alice@example.com') AS alice \gset
SELECT authz.create_user('olga', 'olga@example.com') AS olga \gset
SELECT authz.create_user('bob', 'bob@example.com') AS bob \gset
SELECT authz.create_user('carol', 'carol@example.com') AS carol \gset
SELECT authz.create_user('dave', 'dave@example.com') AS dave \gset
SELECT authz.create_user('erin', 'erin@example.com') AS erin \gset
SELECT authz.create_user('frank', 'frank@example.com') AS frank \gset
SELECT authz.create_user('gina', 'gina@example.com') AS gina \gset
SELECT authz.create_user('ted', 'ted@example.com') AS ted \gset
SELECT authz.create_user('hank', 'hank@example.com') AS hank \gset
SELECT authz.create_user('pat', 'pat@example.com') AS pat \gset
SELECT authz.create_user('ivan', 'ivan@example.com') AS ivan \gset
SELECT authz.create_user('judy', 'judy@example.com') AS judy \gset
SELECT authz.create_user('zed', 'zed@example.com') AS zed \gset

SELECT authz.personal_workspace(:'alice') AS alice_home \gset
SELECT authz.personal_workspace(:'erin') AS erin_home \gset
SELECT authz.personal_workspace(:'frank') AS frank_home \gset
SELECT authz.personal_workspace(:'hank') AS hank_home \gset
SELECT authz.personal_workspace(:'zed') AS zed_home \gset

SELECT authz.set_user(:'alice');
SELECT authz.create_org('acme', 'Acme') AS acme \gset
SELECT pg_temp.add_org_member(:'acme', :'olga', 'owner');
SELECT pg_temp.add_org_member(:'acme', :'bob', 'admin');
SELECT pg_temp.add_org_member(:'acme', :'hank', 'admin');
SELECT pg_temp.add_org_member(:'acme', :'carol', 'member');
SELECT pg_temp.add_org_member(:'acme', :'dave', 'member', 'member');
SELECT pg_temp.add_org_member(:'acme', :'gina', 'member');
SELECT pg_temp.add_org_member(:'acme', :'ted', 'member');
SELECT pg_temp.add_org_member(:'acme', :'pat', 'member');
SELECT pg_temp.add_org_member(:'acme', :'erin', 'guest');

-- alpha: private, invite-only, many direct participants and team eng.
-- beta: private, invite-only, only its creator: org-derived sources alone.
-- gamma: shared. delta: open. epsilon: teams only.
SELECT authz.create_workspace(:'acme', 'alpha') AS alpha \gset
SELECT authz.create_workspace(:'acme', 'beta') AS beta \gset
SELECT authz.create_workspace(:'acme', 'gamma', 'shared') AS gamma \gset
SELECT authz.create_workspace(:'acme', 'delta', 'private', 'open') AS delta \gset
SELECT authz.create_workspace(:'acme', 'epsilon') AS epsilon \gset

SELECT authz.create_team(:'acme', 'eng') AS eng \gset
SELECT authz.create_team(:'acme', 'ops') AS ops \gset
SELECT authz.add_team_member(:'eng', :'gina');
SELECT authz.add_team_member(:'eng', :'hank');
SELECT authz.add_team_member(:'ops', :'gina');
SELECT authz.add_team_member(:'ops', :'ted');

SELECT pg_temp.add_member(:'alpha', :'carol', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'frank', 'member');
SELECT pg_temp.add_member(:'alpha', :'erin', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'hank', 'owner');
SELECT pg_temp.add_member(:'alpha', :'bob', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'gina', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'dave', 'viewer');
SELECT pg_temp.add_member(:'alpha', :'pat', 'member');
SELECT authz.add_team(:'alpha', :'eng', 'member');
SELECT authz.add_team(:'epsilon', :'eng', 'viewer');
SELECT authz.add_team(:'epsilon', :'ops', 'member');

SELECT authz.set_user(:'ivan');
SELECT authz.create_org('globex') AS globex \gset
SELECT pg_temp.add_org_member(:'globex', :'judy', 'member');
SELECT authz.set_user(NULL);

-- ---------------------------------------------------------------------------
-- Rule 1: a missing or deactivated user holds nothing.
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.check(:'hank', :'alpha', 'workspace.delete'), true,
    'before deactivation hank, a direct owner of alpha, may delete it (the fixture gives him access)');

SELECT authz.deactivate_user(:'hank');

SELECT is(pg_temp.check(gen_random_uuid(), :'alpha', 'workspace.view'), false,
    'rule 1: "U missing: nothing" - an unknown user cannot view a workspace');
SELECT is(pg_temp.check(gen_random_uuid(), :'gamma', 'workspace.view'), false,
    'rule 1: "U missing: nothing" - an unknown user gets nothing even in a shared workspace');
SELECT is(pg_temp.perms(:'hank', :'hank_home'), pg_temp.names(:'no_perms'),
    'rule 1: "U deactivated: nothing" - not even in their own personal workspace (personal ownership)');
SELECT is(pg_temp.perms(:'hank', :'alpha'), pg_temp.names(:'no_perms'),
    'rule 1: "U deactivated: nothing" - although a direct owner participant and a member of team eng in alpha');
SELECT is(pg_temp.perms(:'hank', :'epsilon'), pg_temp.names(:'no_perms'),
    'rule 1: "U deactivated: nothing" - although a member of team eng, which participates in epsilon');
SELECT is(pg_temp.perms(:'hank', :'beta'), pg_temp.names(:'no_perms'),
    'rule 1: "U deactivated: nothing" - although an org admin of acme, which owns beta');
SELECT is(pg_temp.role(:'hank', :'alpha'), NULL,
    'rule 1: a deactivated user has no effective role, even where they are a direct owner');
SELECT is(pg_temp.ws_of(:'hank'), '{}'::uuid[],
    'rule 1: a deactivated user sees no workspace at all');
SELECT is(pg_temp.org_perms(:'hank', :'acme'), '{}'::text[],
    'rule 1: a deactivated org admin holds no org permission either');

-- ---------------------------------------------------------------------------
-- Rule 2, one source at a time: each grants exactly its role's permissions.
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.perms(:'alice', :'alice_home'), pg_temp.names(:'owner_perms'),
    'source "personal ownership": the owner of a personal workspace holds every owner permission');
SELECT is(pg_temp.role(:'alice', :'alice_home'), 'owner',
    'source "personal ownership": the effective role in one''s personal workspace is owner');
SELECT is(pg_temp.perms(:'carol', :'alpha'), pg_temp.names(:'viewer_perms'),
    'source "direct participation": a direct viewer holds exactly the viewer permissions');
SELECT is(pg_temp.role(:'carol', :'alpha'), 'viewer',
    'source "direct participation": a direct viewer''s effective role is viewer');
SELECT is(pg_temp.perms(:'ted', :'epsilon'), pg_temp.names(:'member_perms'),
    'source "every team of U that participates in W": team ops (member) gives ted exactly the member permissions');
SELECT is(pg_temp.role(:'ted', :'epsilon'), 'member',
    'source "every team of U": the team''s role is ted''s effective role');
SELECT is(pg_temp.perms(:'gina', :'epsilon'), pg_temp.names(:'member_perms'),
    'source "every team of U": two teams (eng viewer, ops member) give the union of their permissions');
SELECT is(pg_temp.role(:'gina', :'epsilon'), 'member',
    'source "every team of U": with two teams the higher-ranked team role is the effective role');
SELECT is(pg_temp.perms(:'dave', :'beta'), pg_temp.names(:'member_perms'),
    'source "U''s org-wide workspace role": dave (org-wide member) holds the member permissions in beta without participating');
SELECT is(pg_temp.role(:'dave', :'beta'), 'member',
    'source "U''s org-wide workspace role": it is dave''s effective role in beta');
SELECT is(pg_temp.perms(:'olga', :'beta'), pg_temp.names(:'admin_perms'),
    'source "admin for org owners": an org owner who does not participate holds the admin permissions');
SELECT is(pg_temp.role(:'olga', :'beta'), 'admin',
    'source "admin for org owners": the org owner''s effective role in beta is admin');
SELECT is(pg_temp.perms(:'bob', :'beta'), pg_temp.names(:'admin_perms'),
    'source "admin for org admins": an org admin who does not participate holds the admin permissions');
SELECT is(pg_temp.role(:'bob', :'beta'), 'admin',
    'source "admin for org admins": the org admin''s effective role in beta is admin');
SELECT is(pg_temp.perms(:'carol', :'beta'), pg_temp.names(:'no_perms'),
    'a plain org member gets nothing in a private invite-only workspace they do not participate in');

UPDATE authz.orgs SET admin_workspace_role = '00000000-0000-0000-0000-000000000004' WHERE id = :'acme';
SELECT is(pg_temp.perms(:'bob', :'beta'), pg_temp.names(:'viewer_perms'),
    'source "(or the org''s configured role)": with admin_workspace_role = viewer an org admin holds the viewer permissions');

UPDATE authz.orgs SET admin_workspace_role = NULL WHERE id = :'acme';
SELECT is(pg_temp.perms(:'bob', :'beta'), pg_temp.names(:'no_perms'),
    'admin_workspace_role NULL: an org admin gets nothing from being admin');
SELECT is(pg_temp.role(:'bob', :'beta'), NULL,
    'admin_workspace_role NULL: an org admin has no effective role in a workspace they do not participate in');
SELECT is(pg_temp.perms(:'olga', :'beta'), pg_temp.names(:'no_perms'),
    'admin_workspace_role NULL: an org owner gets nothing from being owner');
UPDATE authz.orgs SET admin_workspace_role = '00000000-0000-0000-0000-000000000002' WHERE id = :'acme';

SELECT is(pg_temp.perms(:'carol', :'gamma'), pg_temp.names(:'viewer_perms'),
    'source "W''s shared_role when W is shared and U is a non-guest member": carol holds viewer (the default shared_role) in gamma');
SELECT is(pg_temp.role(:'carol', :'gamma'), 'viewer',
    'source "shared_role": it is carol''s effective role in gamma');

UPDATE authz.workspaces SET shared_role = '00000000-0000-0000-0000-000000000003' WHERE id = :'gamma';
SELECT is(pg_temp.perms(:'carol', :'gamma'), pg_temp.names(:'member_perms'),
    'source "W''s shared_role": a shared_role of member gives the member permissions');
UPDATE authz.workspaces SET shared_role = '00000000-0000-0000-0000-000000000004' WHERE id = :'gamma';

SELECT is(pg_temp.perms(:'erin', :'gamma'), pg_temp.names(:'no_perms'),
    'source "shared_role" needs a non-guest member: a guest gets nothing from a shared workspace');
SELECT is(pg_temp.perms(:'judy', :'gamma'), pg_temp.names(:'no_perms'),
    'source "shared_role" needs a member of W''s org: a member of another org gets nothing');
SELECT is(pg_temp.perms(:'frank', :'gamma'), pg_temp.names(:'no_perms'),
    'source "shared_role": a collaborator from outside the org gets nothing from a shared workspace');

UPDATE authz.workspaces SET visibility = 'private' WHERE id = :'gamma';
SELECT is(pg_temp.perms(:'carol', :'gamma'), pg_temp.names(:'no_perms'),
    'source "shared_role" only "when W is shared": once gamma is private carol gets nothing');
UPDATE authz.workspaces SET visibility = 'shared' WHERE id = :'gamma';

SELECT is(pg_temp.perms(:'carol', :'delta'), pg_temp.names('{workspace.view}'),
    'source "workspace.view alone when W is open and U is a non-guest org member"');
SELECT is(pg_temp.role(:'carol', :'delta'), NULL,
    'the open-workspace source carries no role: role_in is NULL');
SELECT is(pg_temp.perms(:'erin', :'delta'), pg_temp.names(:'no_perms'),
    'open workspace: a guest does not get workspace.view');
SELECT is(pg_temp.perms(:'judy', :'delta'), pg_temp.names(:'no_perms'),
    'open workspace: a member of another org does not get workspace.view');
SELECT is(pg_temp.perms(:'frank', :'delta'), pg_temp.names(:'no_perms'),
    'open workspace: a collaborator from outside the org does not get workspace.view');

SELECT is(pg_temp.perms(:'frank', :'alpha'), pg_temp.names(:'member_perms'),
    'collaborator: a participant from outside the org holds exactly their participation''s role');
SELECT is(pg_temp.perms(:'frank', :'beta'), pg_temp.names(:'no_perms'),
    'collaborator: no org-derived source in the org''s other workspaces');
SELECT is(pg_temp.ws_of(:'frank'), pg_temp.sorted(ARRAY[:'frank_home', :'alpha']::uuid[]),
    'collaborator: sees only their personal workspace and the workspace they participate in');

-- ---------------------------------------------------------------------------
-- Guests: "Guests get no org-derived source, only their participations".
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.perms(:'erin', :'alpha'), pg_temp.names(:'viewer_perms'),
    'guest: a participation gives the guest its role''s permissions');
SELECT is(pg_temp.perms(:'erin', :'beta'), pg_temp.names(:'no_perms'),
    'guest: nothing in a workspace of the org they do not participate in');
SELECT is(pg_temp.ws_of(:'erin'), pg_temp.sorted(ARRAY[:'erin_home', :'alpha']::uuid[]),
    'guest: sees only the workspaces they participate in (and their personal one), not shared or open ones');

-- ---------------------------------------------------------------------------
-- Rule 4: the effective role is the highest-ranked source role.
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.role(:'gina', :'alpha'), 'member',
    'rule 4: viewer directly and member through team eng: the effective role is member');
SELECT is(pg_temp.check(:'gina', :'alpha', 'content.update'), true,
    'rule 2: the team''s member role adds content.update to a direct viewer');
SELECT is(pg_temp.role(:'bob', :'alpha'), 'admin',
    'rule 4: admin as org admin and viewer directly: the effective role is admin');
SELECT is(pg_temp.check(:'bob', :'alpha', 'members.manage'), true,
    'rule 2: the org admin source adds members.manage to a direct viewer');
SELECT is(pg_temp.role(:'dave', :'alpha'), 'member',
    'rule 4: viewer directly and member org-wide: the effective role is member');
SELECT is(pg_temp.role(:'alice', :'alpha'), 'owner',
    'rule 4: owner directly and admin as org owner: the effective role is owner');
SELECT is(pg_temp.perms(:'alice', :'alpha'), pg_temp.names(:'owner_perms'),
    'rule 2: owner directly and admin as org owner: the union is the owner permissions');

-- ---------------------------------------------------------------------------
-- Org permissions come from the org role alone.
-- ---------------------------------------------------------------------------
SELECT is(pg_temp.org_perms(:'alice', :'acme'), :'org_owner_perms'::text[],
    'org role owner holds every org permission');
SELECT is(pg_temp.org_perms(:'bob', :'acme'), :'org_admin_perms'::text[],
    'org role admin holds every org permission but org.delete');
SELECT is(pg_temp.org_perms(:'carol', :'acme'), :'org_member_perms'::text[],
    'org role member holds org.view, org.members.view, org.billing.view, org.workspaces.list and org.workspaces.join');
SELECT is(pg_temp.org_perms(:'erin', :'acme'), '{}'::text[],
    'org role guest holds no org permission');
SELECT is(pg_temp.org_perms(:'frank', :'acme'), '{}'::text[],
    'a user outside the org holds no org permission');
SELECT is(pg_temp.org_perms(:'judy', :'acme'), '{}'::text[],
    'a member of another org holds no permission in this one');
SELECT is(pg_temp.org_perms(:'dave', :'acme'), :'org_member_perms'::text[],
    'org permissions come from the org role alone: an org-wide workspace role adds none');

SELECT authz.set_user(:'alice');
SELECT pg_temp.add_member(:'beta', :'ted', 'admin');
SELECT is(pg_temp.org_perms(:'ted', :'acme'), :'org_member_perms'::text[],
    'org permissions come from the org role alone: being a workspace admin adds none');

SELECT is(pg_temp.can_org(:'carol', :'acme', 'org.workspaces.create'), false,
    'org.workspaces.create: a member does not hold it while the org does not let members create workspaces');
UPDATE authz.orgs SET members_can_create_workspaces = true WHERE id = :'acme';
SELECT is(pg_temp.org_perms(:'carol', :'acme'), '{org.billing.view,org.members.view,org.view,org.workspaces.create,org.workspaces.join,org.workspaces.list}'::text[],
    'members_can_create_workspaces: members also hold org.workspaces.create');
SELECT is(pg_temp.org_perms(:'erin', :'acme'), '{}'::text[],
    'members_can_create_workspaces: guests still hold nothing');
UPDATE authz.orgs SET members_can_create_workspaces = false WHERE id = :'acme';
SELECT is(pg_temp.org_perms(:'carol', :'acme'), :'org_member_perms'::text[],
    'members_can_create_workspaces back to false: members lose org.workspaces.create');
SELECT is(pg_temp.org_perms(:'bob', :'acme'), :'org_admin_perms'::text[],
    'members_can_create_workspaces false: admins keep org.workspaces.create');

-- ---------------------------------------------------------------------------
-- Rule 2, union: a permission held by viewer but not by member shows that the
-- sources are combined, not merely the highest role taken.
-- ---------------------------------------------------------------------------
SELECT authz.set_user(NULL);    -- registering permissions is the platform's (no user asserted)
SELECT authz.define_permission('reports.view', 'See reports', '{viewer}');

SELECT is(pg_temp.check(:'ted', :'epsilon', 'reports.view'), false,
    'a member alone does not hold a permission defined for viewers only');
SELECT is(pg_temp.perms(:'gina', :'epsilon'), pg_temp.names(:'member_perms'::text[] || '{reports.view}'::text[]),
    'rule 2 union: team eng (viewer) and team ops (member) together give reports.view and the member permissions');
SELECT is(pg_temp.perms(:'dave', :'alpha'), pg_temp.names(:'member_perms'::text[] || '{reports.view}'::text[]),
    'rule 2 union: direct viewer and org-wide member together give reports.view and the member permissions');

SELECT authz.set_user(:'alice');
SELECT pg_temp.add_member(:'gamma', :'carol', 'member');
SELECT is(pg_temp.perms(:'carol', :'gamma'), pg_temp.names(:'member_perms'::text[] || '{reports.view}'::text[]),
    'rule 2 union: shared viewer and direct member together give reports.view and the member permissions');

-- ---------------------------------------------------------------------------
-- Rule 3: "plus U's per-participant grants, minus U's per-participant denies;
-- a deny wins over every source".
-- ---------------------------------------------------------------------------
SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'carol', '{content.create}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'content.create'), true,
    'rule 3: a grant adds the permission to a viewer');
SELECT is(pg_temp.check(:'carol', :'alpha', 'content.update'), false,
    'rule 3: a grant adds only the granted permission');
SELECT is(pg_temp.role(:'carol', :'alpha'), 'viewer',
    'rule 3: a grant does not change the effective role');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'carol', '{content.read}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'content.read'), false,
    'rule 3: a deny removes a permission of the participant''s own role');
SELECT is(pg_temp.check(:'carol', :'alpha', 'workspace.view'), true,
    'rule 3: a deny removes only the denied permission');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'gina', '{content.update}');
SELECT is(pg_temp.check(:'gina', :'alpha', 'content.update'), false,
    'rule 3 "a deny wins over every source": over the member role held through team eng');
SELECT is(pg_temp.role(:'gina', :'alpha'), 'member',
    'rule 3: a deny does not change the effective role');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'dave', '{content.delete}');
SELECT is(pg_temp.check(:'dave', :'alpha', 'content.delete'), false,
    'rule 3 "a deny wins over every source": over the org-wide member role');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'bob', '{members.manage}');
SELECT is(pg_temp.check(:'bob', :'alpha', 'members.manage'), false,
    'rule 3 "a deny wins over every source": over the admin role an org admin holds');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'gamma', :'carol', '{content.read}');
SELECT is(pg_temp.check(:'carol', :'gamma', 'content.read'), false,
    'rule 3 "a deny wins over every source": over the shared role and the direct role together');

SELECT authz.set_user(:'alice');
SELECT pg_temp.add_member(:'delta', :'carol', 'viewer');
SELECT authz.deny(:'delta', :'carol', '{workspace.view}');
SELECT is(pg_temp.check(:'carol', :'delta', 'workspace.view'), false,
    'rule 3 "a deny wins over every source": over the open-workspace view and the direct role');

SELECT authz.set_user(:'alice');
SELECT throws_ok(format('SELECT authz.deny(%L, %L, %L)', :'alpha', :'alice', '{content.read}'),
    '23514', 'cannot deny permissions to user "alice", an owner of workspace "acme/alpha"',
    'rule 3: a deny "cannot be placed on a participant whose effective role is owner"');

-- The latest of a grant and a deny of the same permission wins.
SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'carol', '{run.execute}');
SELECT authz.deny(:'alpha', :'carol', '{run.execute}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'run.execute'), false,
    'grant then deny of the same permission: the deny, being latest, wins');
SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'carol', '{run.execute}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'run.execute'), true,
    'deny then grant of the same permission: the grant, being latest, wins');
SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'carol', '{members.view}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'members.view'), false,
    'denying a permission of the participant''s role removes it');
SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'carol', '{members.view}');
SELECT is(pg_temp.check(:'carol', :'alpha', 'members.view'), true,
    'granting it afterwards replaces the deny: the permission is held again');

-- ---------------------------------------------------------------------------
-- Expiry: expired participations, grants and denies are ignored.
-- ---------------------------------------------------------------------------
UPDATE authz.participants SET expires_at = now() - interval '1 hour'
 WHERE workspace_id = :'alpha' AND user_id = :'frank';
SELECT is(pg_temp.check(:'frank', :'alpha', 'workspace.view'), false,
    'an expired participation grants nothing');
SELECT is(pg_temp.role(:'frank', :'alpha'), NULL,
    'an expired participation gives no role');

UPDATE authz.participants SET expires_at = now() + interval '1 day'
 WHERE workspace_id = :'alpha' AND user_id = :'pat';
SELECT is(pg_temp.check(:'pat', :'alpha', 'content.update'), true,
    'a participation expiring in the future still grants its role');

UPDATE authz.participants SET expires_at = now() - interval '1 hour'
 WHERE workspace_id = :'epsilon' AND team_id = :'ops';
SELECT is(pg_temp.check(:'ted', :'epsilon', 'workspace.view'), false,
    'an expired team participation grants nothing to the team''s members');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'pat', '{content.delete}');
SELECT is(pg_temp.check(:'pat', :'alpha', 'content.delete'), false,
    'a deny without expiry removes the permission');
UPDATE authz.participant_permissions SET expires_at = now() - interval '1 hour'
 WHERE permission = 'content.delete'
   AND workspace_id = :'alpha' AND user_id = :'pat';
SELECT is(pg_temp.check(:'pat', :'alpha', 'content.delete'), true,
    'an expired deny is ignored: the role''s permission is back');

SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'pat', '{billing.view}');
SELECT is(pg_temp.check(:'pat', :'alpha', 'billing.view'), true,
    'a grant without expiry adds the permission');
UPDATE authz.participant_permissions SET expires_at = now() - interval '1 hour'
 WHERE permission = 'billing.view'
   AND workspace_id = :'alpha' AND user_id = :'pat';
SELECT is(pg_temp.check(:'pat', :'alpha', 'billing.view'), false,
    'an expired grant is ignored');

SELECT authz.set_user(:'alice');
SELECT authz.deny(:'alpha', :'pat', '{content.share}');
UPDATE authz.participant_permissions SET expires_at = now() + interval '1 day'
 WHERE permission = 'content.share'
   AND workspace_id = :'alpha' AND user_id = :'pat';
SELECT is(pg_temp.check(:'pat', :'alpha', 'content.share'), false,
    'a deny expiring in the future still removes the permission');

-- A deny outlives the participation it was placed on; grants end with it.
SELECT authz.set_user(:'alice');
SELECT authz.grant(:'alpha', :'dave', '{billing.view}');
UPDATE authz.participants SET expires_at = now() - interval '1 hour'
 WHERE workspace_id = :'alpha' AND user_id = :'dave';
SELECT is(pg_temp.check(:'dave', :'alpha', 'content.update'), true,
    'after his direct participation expires, dave keeps the org-wide member role');
SELECT is(pg_temp.check(:'dave', :'alpha', 'content.delete'), false,
    'rule 3 "a deny wins over every source": the deny outlives the expired participation');
SELECT is(pg_temp.check(:'dave', :'alpha', 'billing.view'), false,
    'a grant ends with the participation it came with');

-- An effective owner holds every workspace permission, whatever denies remain
-- from before (rule 3: a deny "cannot be placed on a participant whose
-- effective role is owner").
SELECT authz.set_user(:'alice');
SELECT authz.add_team(:'alpha', :'eng', 'owner');
SELECT is(pg_temp.role(:'gina', :'alpha'), 'owner',
    'gina is an owner of alpha through team eng');
SELECT is(pg_temp.check(:'gina', :'alpha', 'content.update'), true,
    'a deny placed while gina was a member does not apply once she is an owner through a team');
SELECT authz.set_user(:'alice');
SELECT authz.update_org(:'acme', '{"admin_workspace_role": "owner"}');
SELECT is(pg_temp.check(:'bob', :'alpha', 'members.manage'), true,
    'a deny placed on an org admin does not apply once the org gives its admins the owner role');

-- A guest in a participating team: the team is a participation like any other.
SELECT authz.set_user(:'alice');
SELECT authz.add_team_member(:'eng', :'erin');
SELECT is(ARRAY[pg_temp.role(:'erin', :'epsilon'), pg_temp.check(:'erin', :'epsilon', 'content.read')::text,
                pg_temp.check(:'erin', :'epsilon', 'content.create')::text], ARRAY['viewer', 'true', 'false'],
    'guest: a team that participates gives the guest the team''s role (viewer in epsilon)');
SELECT is(pg_temp.ws_of(:'erin'), pg_temp.sorted(ARRAY[:'erin_home', :'alpha', :'epsilon']::uuid[]),
    'guest: the team''s workspace joins the guest''s list, still without shared or open ones');

SELECT * FROM finish();
ROLLBACK;
