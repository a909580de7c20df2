-- The trust boundary of the management layer, attacked by real login roles
-- (SET SESSION AUTHORIZATION changes the login role, as a login would; users
-- are mapped to them through authz.users.pg_role, and nobody asserts a user):
--   rank rules through teams, and what remove_org_member ends;
--   denies that must outlive leaving, re-joining and expiry;
--   adding people without their consent, and reading their e-mail addresses;
--   invitations that outlive what their inviter may give;
--   what refusals and explanations reveal about things the caller may not see;
--   look-alike e-mail addresses.
-- Each attack is followed by the legitimate behaviour that must keep working.
\ir lib/platform.sql
BEGIN;
SELECT plan(55);
SET client_min_messages = warning;

CREATE ROLE regress_tm_platform;
GRANT workspace_authz_trusted TO regress_tm_platform;
DO $$
DECLARE
    h text;
BEGIN
    FOREACH h IN ARRAY '{olga,adam,mike,gus,viv,wendy,walt,cole,eve,stan,ina,ivo,dee,kate,kelvin}'::text[] LOOP
        EXECUTE format('CREATE ROLE %I LOGIN', 'regress_tm_' || h);
    END LOOP;
END
$$;

-- Names of the fixture's objects, readable by every role of the test.
CREATE TEMP TABLE ids (k text PRIMARY KEY, v uuid NOT NULL);
GRANT SELECT ON ids TO PUBLIC;
CREATE FUNCTION pg_temp.id(k text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT v FROM ids WHERE ids.k = id.k $$;
-- A call's refusal as SQLSTATE and message, identifiers replaced by <id>
-- ('ok' when it succeeds), to compare refusals of different objects.
CREATE FUNCTION pg_temp.refusal(call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE call;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || regexp_replace(SQLERRM, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
                                             '<id>', 'g');
END
$$;

-- Org tm (owner olga): workspace lab (shared: members hold viewer; open),
-- where team owners participates as owner and team crew (mike) as viewer,
-- gus (org guest) is a viewer, viv a member, walt an admin; workspace side,
-- owned by olga and wendy. adam is an org admin (admin in every workspace).
-- eve owns org ev (workspace evws), mike owns org mk (workspace mkws); stan
-- is in no organization.
DO $$
DECLARE
    u record;
    tm uuid; lab uuid; side uuid; owners uuid; crew uuid; ev uuid; mk uuid;
BEGIN
    FOR u IN SELECT h FROM unnest('{olga,adam,mike,gus,viv,wendy,walt,cole,eve,stan,ina,ivo,dee}'::text[]) h LOOP
        INSERT INTO ids VALUES (u.h, authz.create_user(u.h, u.h || '@example.com', NULL, 'regress_tm_' || u.h));
    END LOOP;
    PERFORM authz.set_user(pg_temp.id('olga'));
    tm := authz.create_org('tm');
    lab := authz.create_workspace(tm, 'lab', 'shared', 'open');
    side := authz.create_workspace(tm, 'side');
    -- the platform (a trusted role, no user asserted) puts people into the org
    PERFORM authz.set_user(NULL);
    PERFORM pg_temp.add_org_member(tm, pg_temp.id('adam'), 'admin');
    PERFORM pg_temp.add_org_member(tm, pg_temp.id(h), 'member') FROM unnest('{mike,viv,wendy,walt}'::text[]) h;
    PERFORM pg_temp.add_org_member(tm, pg_temp.id('gus'), 'guest');
    PERFORM authz.set_user(pg_temp.id('olga'));
    owners := authz.create_team(tm, 'owners');
    PERFORM authz.add_team(lab, owners, 'owner');
    crew := authz.create_team(tm, 'crew');
    PERFORM authz.add_team(lab, crew, 'viewer');
    PERFORM authz.add_team_member(crew, pg_temp.id('mike'));
    PERFORM pg_temp.add_member(side, pg_temp.id('wendy'), 'owner');
    PERFORM pg_temp.add_member(lab, pg_temp.id('gus'), 'viewer');
    PERFORM pg_temp.add_member(lab, pg_temp.id('viv'), 'member');
    PERFORM pg_temp.add_member(lab, pg_temp.id('walt'), 'admin');
    PERFORM authz.create_role(tm, 'tmsecret', 20, '{content.read}');
    INSERT INTO ids VALUES ('tm', tm), ('lab', lab), ('side', side), ('owners', owners), ('crew', crew),
        ('labproject', authz.create_project(lab, 'p1'));
    PERFORM authz.set_user(pg_temp.id('eve'));
    ev := authz.create_org('ev');
    INSERT INTO ids VALUES ('ev', ev), ('evws', authz.create_workspace(ev, 'evws'));
    PERFORM authz.set_user(pg_temp.id('mike'));
    mk := authz.create_org('mk');
    INSERT INTO ids VALUES ('mk', mk), ('mkws', authz.create_workspace(mk, 'mkws'));
    PERFORM authz.set_user(NULL);
    INSERT INTO ids SELECT 'home:' || x.handle, w.id FROM authz.workspaces w JOIN authz.users x ON x.id = w.personal_user_id;
    INSERT INTO ids VALUES ('nowhere', '00000000-0000-4000-8000-00000000dead');
END
$$;

-- ===========================================================================
-- 1. Rank rules through teams
-- ===========================================================================
SET SESSION AUTHORIZATION regress_tm_adam;
SELECT throws_ok($$SELECT authz.add_team_member(pg_temp.id('owners'), pg_temp.id('adam'))$$,
    '42501', 'cannot change the members of team "owners", which holds role "owner" (rank 100) above your own rank (80) in workspace "tm/lab"',
    'teams: an org admin (rank 80) may not join a team that is owner of a workspace');
SELECT throws_ok($$SELECT authz.add_team_member(pg_temp.id('owners'), pg_temp.id('gus'))$$,
    '42501', 'cannot change the members of team "owners", which holds role "owner" (rank 100) above your own rank (80) in workspace "tm/lab"',
    'teams: nor put an org guest in it');
SELECT is(authz.role_in(pg_temp.id('lab')), 'admin', 'teams: the org admin is still admin, not owner, of the workspace');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT lives_ok($$SELECT authz.add_team_member(pg_temp.id('owners'), pg_temp.id('mike'))$$,
    'teams: an owner of the workspace puts a member in the owner team');
RESET SESSION AUTHORIZATION;
SELECT is(authz.check(pg_temp.id('mike'), pg_temp.id('lab'), 'workspace.delete'), true,
    'teams: the team member is owner of the workspace through the team');
SET SESSION AUTHORIZATION regress_tm_adam;
SELECT throws_ok($$SELECT authz.remove_team_member(pg_temp.id('owners'), pg_temp.id('mike'))$$,
    '42501', 'cannot change user "mike" (rank 100) who ranks above you (80) in workspace "tm/lab"',
    'teams: the org admin may not remove an owner (through the team) from the team');
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.id('tm'), pg_temp.id('mike'))$$,
    '42501', 'cannot change user "mike" (rank 100) who ranks above you (80) in workspace "tm/lab"',
    'remove_org_member: nor remove them from the organization, which would end their team membership');
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.id('side'), pg_temp.id('wendy'))$$,
    '42501', 'cannot change user "wendy" (rank 100) who ranks above you (80) in workspace "tm/side"',
    'remove_member: the org admin may not remove a direct owner of a workspace');
SELECT throws_ok($$SELECT authz.remove_org_member(pg_temp.id('tm'), pg_temp.id('wendy'))$$,
    '42501', 'cannot change user "wendy" (rank 100) who ranks above you (80) in workspace "tm/side"',
    'remove_org_member: nor strip them from it by removing them from the organization');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT (SELECT m.role FROM authz.org_members m WHERE m.org_id = pg_temp.id('tm') AND m.user_id = pg_temp.id('wendy')),
             authz.check(pg_temp.id('wendy'), pg_temp.id('side'), 'workspace.delete'),
             EXISTS (SELECT 1 FROM authz.team_members tm
                      WHERE tm.team_id = pg_temp.id('owners') AND tm.user_id = pg_temp.id('mike'))$$,
    $$VALUES ('member'::text, true, true)$$,
    'the refused changes left the owners where they were');
SET SESSION AUTHORIZATION regress_tm_mike;
SELECT lives_ok($$SELECT authz.remove_team_member(pg_temp.id('owners'), pg_temp.id('mike'))$$,
    'teams: anyone may leave a team, the owner team too');
RESET SESSION AUTHORIZATION;
SELECT is(authz.check(pg_temp.id('mike'), pg_temp.id('lab'), 'workspace.delete'), false,
    'teams: having left, they are no longer owner');
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.id('lab'), pg_temp.id('olga'))$$,
    '23514', 'workspace "tm/lab" must keep at least one owner',
    'last owner: a team holding the owner role does not count; the last direct owner stays');
SELECT lives_ok($$SELECT authz.remove_org_member(pg_temp.id('tm'), pg_temp.id('wendy'))$$,
    'remove_org_member: an owner of each of their workspaces removes another owner from the organization');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- 2. Denies outlive the participation
-- ===========================================================================
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT authz.deny(pg_temp.id('lab'), pg_temp.id('viv'), '{content.read}');
SELECT authz.grant(pg_temp.id('lab'), pg_temp.id('viv'), '{billing.view}');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_viv;
SELECT is(authz.can(pg_temp.id('lab'), 'content.read'), false, 'deny: the denied member may not read');
SELECT lives_ok($$SELECT authz.remove_member(pg_temp.id('lab'), pg_temp.id('viv'))$$, 'deny: the denied member may leave');
SELECT is(authz.can(pg_temp.id('lab'), 'content.read'), false,
    'deny: having left, the shared role (viewer) does not give the permission back');
SELECT lives_ok($$SELECT authz.join_workspace(pg_temp.id('lab'))$$, 'deny: they re-join the open workspace');
SELECT results_eq($$SELECT authz.can(pg_temp.id('lab'), 'content.read'), authz.can(pg_temp.id('lab'), 'billing.view')$$,
    $$VALUES (false, false)$$,
    'deny: re-joining does not lift the deny, and the grant ended with the participation it came with');
RESET SESSION AUTHORIZATION;
-- The participation expires; an admin adds them again.
UPDATE authz.participants SET expires_at = now() - interval '1 hour'
 WHERE workspace_id = pg_temp.id('lab') AND user_id = pg_temp.id('viv');
SELECT is(authz.check(pg_temp.id('viv'), pg_temp.id('lab'), 'content.read'), false,
    'deny: an expired participation does not give the permission back through the shared role');
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT lives_ok($$SELECT authz.add_member(pg_temp.id('lab'), pg_temp.id('viv'), 'member')$$,
    'deny: an owner adds the user whose participation expired');
SELECT authz.add_team_member(pg_temp.id('crew'), pg_temp.id('viv'));
SELECT authz.set_org_workspace_role(pg_temp.id('tm'), pg_temp.id('viv'), 'member');
RESET SESSION AUTHORIZATION;
SELECT is(authz.check(pg_temp.id('viv'), pg_temp.id('lab'), 'content.read'), false,
    'deny: neither re-adding, nor a team, nor an org-wide role lifts it');
SET SESSION AUTHORIZATION regress_tm_viv;
SELECT throws_ok($$SELECT authz.reset_permissions(pg_temp.id('lab'), pg_temp.id('viv'))$$,
    '42501', 'permission denied: "members.manage" is required in workspace "tm/lab"',
    'deny: the denied user may not lift it');
SELECT authz.remove_member(pg_temp.id('lab'), pg_temp.id('viv'));
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT lives_ok($$SELECT authz.reset_permissions(pg_temp.id('lab'), pg_temp.id('viv'), '{content.read}')$$,
    'deny: an owner lifts the deny of a user who no longer participates');
RESET SESSION AUTHORIZATION;
SELECT is(authz.check(pg_temp.id('viv'), pg_temp.id('lab'), 'content.read'), true,
    'deny: once lifted, the other sources give the permission again');

-- ===========================================================================
-- 4. Adding people needs their consent; e-mail addresses stay private
-- ===========================================================================
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT authz.invite(pg_temp.id('lab'), 'cole@example.com', 'member') AS cole_token \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_cole;
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', :'cole_token'),
    'consent: a user from outside the organization joins a workspace by accepting an invitation');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT throws_ok($$SELECT authz.add_org_member(pg_temp.id('tm'), pg_temp.id('cole'))$$,
    '42501', 'cannot add user "cole" without their consent: they share no organization with you',
    'consent: the collaborator, whom the owner sees, may not be added to the organization without an invitation');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.id('side'), pg_temp.id('cole'), 'viewer')$$,
    '42501', 'cannot add user "cole" without their consent: they share no organization with you',
    'consent: nor to another workspace');
SELECT throws_ok($$SELECT authz.add_project_member(pg_temp.id('labproject'), pg_temp.id('stan'), 'viewer')$$,
    '42704', format('user "%s" not found or not allowed', pg_temp.id('stan')),
    'consent: nor can anyone be added to a project by their identifier');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_eve;
SELECT is(pg_temp.refusal(format('SELECT authz.add_org_member(%L, %L)', pg_temp.id('ev'), pg_temp.id('stan'))),
    '42704 user "<id>" not found or not allowed',
    'harvesting: a stranger''s user id cannot be added to one''s own organization');
SELECT is(pg_temp.refusal(format('SELECT authz.add_org_member(%L, %L)', pg_temp.id('ev'), pg_temp.id('nowhere'))),
    '42704 user "<id>" not found or not allowed',
    'harvesting: the same refusal as for an unknown id (existence is not told)');
SELECT is((SELECT count(*) FROM authz.org_members WHERE org_id = pg_temp.id('ev')), 1::bigint,
    'harvesting: the organization has its owner alone');
SELECT throws_ok($$SELECT email FROM authz.users$$, '42501', 'permission denied for table users',
    'e-mail: the column is not readable directly');
SELECT is(authz.user_email(pg_temp.id('stan')), NULL, 'e-mail: a stranger''s address is not readable');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_mike;
SELECT results_eq(
    $$SELECT u.handle, authz.user_email(u.id) FROM authz.users u WHERE u.id IN (pg_temp.id('cole'), pg_temp.id('olga'), pg_temp.id('mike')) ORDER BY 1$$,
    $$VALUES ('cole'::text, NULL::text), ('mike', 'mike@example.com'), ('olga', 'olga@example.com')$$,
    'e-mail: a member reads fellow members'' addresses and their own, a collaborator''s handle but not their address');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_platform;
SELECT lives_ok($$SELECT authz.add_org_member(pg_temp.id('tm'), pg_temp.id('stan'))$$,
    'consent: a trusted role acting for the platform (no user asserted) adds anyone');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT lives_ok($$SELECT authz.add_member(pg_temp.id('side'), pg_temp.id('stan'), 'viewer')$$,
    'consent: a member of the organization is added to its workspaces as before');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- 6. Invitations give only what their inviter may still give
-- ===========================================================================
SET SESSION AUTHORIZATION regress_tm_adam;
SELECT authz.invite(pg_temp.id('lab'), 'ina@example.com', 'admin') AS ina_token \gset
SELECT authz.invite_to_org(pg_temp.id('tm'), 'ivo@example.com', 'admin') AS ivo_token \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_walt;
SELECT authz.invite(pg_temp.id('lab'), 'dee@example.com', 'member') AS dee_token \gset
SELECT authz.deactivate_user(authz.current_user_id());
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT authz.set_org_role(pg_temp.id('tm'), pg_temp.id('adam'), 'member');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_ina;
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', :'ina_token'),
    '55000', 'invitation is no longer valid: its inviter may no longer give what it offers',
    'inviter: an admin invitation from an org admin since demoted is refused');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_ivo;
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', :'ivo_token'),
    '55000', 'invitation is no longer valid: its inviter may no longer give what it offers',
    'inviter: an invitation to the organization as admin from a demoted admin is refused');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_dee;
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', :'dee_token'),
    '55000', 'invitation is no longer valid: its inviter may no longer give what it offers',
    'inviter: an invitation from a deactivated inviter is refused');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM authz.participants p WHERE p.user_id IN (pg_temp.id('ina'), pg_temp.id('dee'))),
             (SELECT count(*) FROM authz.org_members m WHERE m.user_id IN (pg_temp.id('ina'), pg_temp.id('ivo'), pg_temp.id('dee')))$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    'inviter: the refused invitations gave nothing');
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT authz.invite(pg_temp.id('lab'), 'ina@example.com', 'admin') AS ina_token2 \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_ina;
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', :'ina_token2'),
    'inviter: an invitation from a still-valid inviter is accepted');
RESET SESSION AUTHORIZATION;
SELECT is(authz.check(pg_temp.id('ina'), pg_temp.id('lab'), 'members.manage'), true,
    'inviter: and gives the offered role');

-- ===========================================================================
-- 11. Refusals about what the caller may not see tell nothing
-- ===========================================================================
SET SESSION AUTHORIZATION regress_tm_eve;
SELECT results_eq(
    $$VALUES (pg_temp.refusal(format('SELECT authz.add_member(%L, %L)', pg_temp.id('lab'), pg_temp.id('eve')))),
             (pg_temp.refusal(format('SELECT authz.add_member(%L, %L)', pg_temp.id('nowhere'), pg_temp.id('eve')))),
             (pg_temp.refusal(format('SELECT authz.add_member(%L, %L)', pg_temp.id('home:olga'), pg_temp.id('eve')))),
             (pg_temp.refusal(format('SELECT authz.update_workspace(%L, %L)', pg_temp.id('home:mike'), '{"full_name": "x"}')))$$,
    $$VALUES ('42704 workspace "<id>" not found or not allowed'::text), ('42704 workspace "<id>" not found or not allowed'),
             ('42704 workspace "<id>" not found or not allowed'), ('42704 workspace "<id>" not found or not allowed')$$,
    'refusals: a foreign workspace, an unknown one and other users'' personal workspaces are refused alike, unnamed');
SELECT results_eq(
    $$VALUES (pg_temp.refusal(format('SELECT authz.add_team(%L, %L, %L)', pg_temp.id('evws'), pg_temp.id('owners'), 'viewer'))),
             (pg_temp.refusal(format('SELECT authz.add_team(%L, %L, %L)', pg_temp.id('evws'), pg_temp.id('nowhere'), 'viewer'))),
             (pg_temp.refusal(format('SELECT authz.delete_project(%L)', pg_temp.id('labproject')))),
             (pg_temp.refusal(format('SELECT authz.delete_project(%L)', pg_temp.id('nowhere')))),
             (pg_temp.refusal(format('SELECT authz.create_team(%L, %L)', pg_temp.id('tm'), 'x'))),
             (pg_temp.refusal(format('SELECT authz.create_team(%L, %L)', pg_temp.id('nowhere'), 'x')))$$,
    $$VALUES ('42704 team "<id>" not found or not allowed'::text), ('42704 team "<id>" not found or not allowed'),
             ('42704 project "<id>" not found or not allowed'), ('42704 project "<id>" not found or not allowed'),
             ('42704 organization "<id>" not found or not allowed'), ('42704 organization "<id>" not found or not allowed')$$,
    'refusals: foreign teams, projects and organizations are refused as unknown ones, unnamed');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_gus;
SELECT results_eq(
    $$VALUES (pg_temp.refusal(format('SELECT authz.set_org_role(%L, %L, %L)', pg_temp.id('tm'), pg_temp.id('mike'), 'admin'))),
             (pg_temp.refusal(format('SELECT authz.set_org_role(%L, %L, %L)', pg_temp.id('tm'), pg_temp.id('cole'), 'admin')))$$,
    $$VALUES ('42704 user "<id>" not found or not allowed'::text), ('42704 user "<id>" not found or not allowed')$$,
    'refusals: a guest is not told whether someone they see is a member of the organization');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_cole;
SELECT results_eq(
    $$VALUES (pg_temp.refusal(format('SELECT authz.add_member(%L, %L, %L)', pg_temp.id('lab'), pg_temp.id('viv'), 'tmsecret'))),
             (pg_temp.refusal(format('SELECT authz.add_member(%L, %L, %L)', pg_temp.id('lab'), pg_temp.id('viv'), 'nosuchrole')))$$,
    $$VALUES ('42704 role "tmsecret" not found or not allowed'::text), ('42704 role "nosuchrole" not found or not allowed')$$,
    'refusals: a collaborator is not told whether the organization defines a role');
SELECT results_eq(
    format('SELECT source, role, grants FROM authz.explain(%L, %L, %L)', pg_temp.id('mike'), pg_temp.id('lab'), 'content.read'),
    $$VALUES ('team'::text, 'viewer'::text, true), ('organization', NULL, true), ('organization', NULL, false),
             ('result', 'viewer', true)$$,
    'explain: a collaborator sees neither the team''s name nor what the organization gives another user');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT results_eq(
    format('SELECT source, role, grants FROM authz.explain(%L, %L, %L)', pg_temp.id('mike'), pg_temp.id('lab'), 'content.read'),
    $$VALUES ('team crew'::text, 'viewer'::text, true), ('shared workspace', 'viewer', true),
             ('open workspace', NULL, false), ('result', 'viewer', true)$$,
    'explain: a member who sees the organization''s members and teams sees every source by name');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_mike;
SELECT results_eq(
    $$VALUES (pg_temp.refusal(format('SELECT authz.transfer_credits(%L, %L, %L)', pg_temp.id('mkws'), pg_temp.id('evws'), '1'))),
             (pg_temp.refusal(format('SELECT authz.transfer_credits(%L, %L, %L)', pg_temp.id('mkws'), pg_temp.id('nowhere'), '1')))$$,
    $$VALUES ('42704 workspace "<id>" not found or not allowed'::text), ('42704 workspace "<id>" not found or not allowed')$$,
    'refusals: whether a foreign workspace is in one''s own organization is not told');
RESET SESSION AUTHORIZATION;

-- ===========================================================================
-- 13. Look-alike e-mail addresses
-- ===========================================================================
-- Under a linguistic collation lower() folds the Kelvin sign (U+212A) to "k":
-- give the e-mail columns one, as a database created with such a default
-- collation has (where ICU is available).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu') THEN
        ALTER TABLE authz.users ALTER COLUMN email TYPE text COLLATE "und-x-icu";
        ALTER TABLE authz.invitations ALTER COLUMN email TYPE text COLLATE "und-x-icu";
    END IF;
END
$$;
SET SESSION AUTHORIZATION regress_tm_olga;
SELECT authz.invite(pg_temp.id('lab'), 'kate@example.com', 'member') AS kate_token \gset
RESET SESSION AUTHORIZATION;
SELECT lives_ok($$SELECT authz.create_user('kelvin', U&'\212Aate@example.com', NULL, 'regress_tm_kelvin')$$,
    'e-mail: an account spelled with the Kelvin sign is created');
SELECT lives_ok($$SELECT authz.create_user('kate', 'kate@example.com', NULL, 'regress_tm_kate')$$,
    'e-mail: it does not block the real address');
SET SESSION AUTHORIZATION regress_tm_kelvin;
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', :'kate_token'),
    '42501', 'invitation was sent to another email address',
    'e-mail: the look-alike account may not accept the invitation sent to the real address');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tm_kate;
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', :'kate_token'),
    'e-mail: the real address accepts it');
RESET SESSION AUTHORIZATION;
SELECT throws_ok($$SELECT authz.create_user('kate2', 'KATE@Example.COM')$$,
    '23505', 'email "KATE@Example.COM" is already used by another user',
    'e-mail: ASCII letters are still matched regardless of case');

SELECT * FROM finish();
ROLLBACK;
