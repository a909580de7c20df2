-- Audit log (SPEC 9; features: audit): every change through the extension's
-- functions writes exactly the audit rows of the rows it changed, with the
-- acting user, the login role, the organization and workspace concerned, and
-- the row before and after; refused calls and the row locks of the owner and
-- capacity checks write nothing; the log is append-only for everyone; the
-- authz.audit view shows what changed; RLS shows each reader their own
-- actions and those of what they administer, of credits only what they may
-- see; token hashes and the idempotency keys of movements never reach it.
-- The change feed (NOTIFY at commit) needs committed sessions: it is tested
-- in limits_concurrency.sql.
-- One session, one transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(74);

-- An ordinary role; a trusted platform role whose session acts; a login role to map.
CREATE ROLE regress_audit_app;
CREATE ROLE regress_audit_platform;
GRANT workspace_authz_trusted TO regress_audit_platform;
CREATE ROLE regress_audit_login;

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
CREATE FUNCTION pg_temp.project(n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.projects WHERE name = n $$;
CREATE FUNCTION pg_temp.rname(role_id text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT r.name FROM authz.roles r WHERE r.id = role_id::uuid $$;
CREATE FUNCTION pg_temp.handle(user_id text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT u.handle FROM authz.users u WHERE u.id = user_id::uuid $$;
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;

-- The audit rows written since the last mark, as people read them: the
-- actor's handle, whether the login role is this session's, the org slug and
-- the workspace name (slug and name stay NULL when the ids are NULL).
CREATE TEMP TABLE mark (id bigint);
CREATE FUNCTION pg_temp.mark() RETURNS void LANGUAGE sql AS $$
    DELETE FROM mark; INSERT INTO mark SELECT coalesce(max(id), 0) FROM authz.audit_log
$$;
CREATE FUNCTION pg_temp.fresh()
    RETURNS TABLE (id bigint, action text, actor text, own_login boolean, org text, ws text,
                   target text, before jsonb, after jsonb, xid xid8, org_id uuid, workspace_id uuid)
    LANGUAGE sql STABLE AS $$
    SELECT a.id, a.action, coalesce(u.handle, '(none)'), a.login_role = session_user, o.slug,
           coalesce(w.name, a.workspace_id::text), a.target, a.before, a.after, a.transaction_id,
           a.org_id, a.workspace_id
      FROM authz.audit_log a
      LEFT JOIN authz.users u ON u.id = a.actor_id
      LEFT JOIN authz.orgs o ON o.id = a.org_id
      LEFT JOIN authz.workspaces w ON w.id = a.workspace_id
     WHERE a.id > (SELECT m.id FROM mark m)
     ORDER BY a.id
$$;
-- The last credit movement as authz.audit shows it (movements are their own
-- audit records, not rows of authz.audit_log).
CREATE FUNCTION pg_temp.last_movement()
    RETURNS TABLE (action text, actor text, org text, ws text, changes jsonb, logged bigint)
    LANGUAGE sql STABLE AS $$
    SELECT a.action, a.actor, o.slug, coalesce(w.name, a.workspace_id::text), a.changes,
           (SELECT count(*) FROM pg_temp.fresh())
      FROM authz.audit a
      LEFT JOIN authz.orgs o ON o.id = a.org_id
      LEFT JOIN authz.workspaces w ON w.id = a.workspace_id
     WHERE a.action = 'credit_movements.insert'
       AND a.target = (SELECT max(m.id)::text FROM authz.credit_movements m)
$$;
-- Act as a user and make a call, after marking the log.
CREATE FUNCTION pg_temp.run(actor text, call text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.mark();
    PERFORM pg_temp.act_as(actor);
    EXECUTE call;
END
$$;

-- The cast. olga owns org aud and its workspaces main, solo (where she is the
-- only owner) and doomed (to be deleted); in main kim is a second owner, adam
-- an admin and mia a member; pat views doomed; all of these are org members.
-- nick joins and leaves the org; gus is not in it; dee deactivates herself;
-- ivy is invited; out is an outsider. olga also owns org neighbours, where
-- the platform puts adam and mia as members and nick and gus as guests, so
-- that olga, adam and mia see nick and gus and may add them elsewhere without
-- an invitation.
DO $$
BEGIN
    PERFORM authz.create_user(h, h || '@example.com')
       FROM unnest(ARRAY['olga', 'adam', 'mia', 'pat', 'nick', 'gus', 'dee', 'ivy', 'out', 'kim']) h;
    PERFORM pg_temp.act_as('olga');
    PERFORM authz.create_org('aud');
    PERFORM authz.create_workspace(pg_temp.org('aud'), 'main');
    PERFORM authz.create_workspace(pg_temp.org('aud'), 'solo');
    PERFORM authz.create_workspace(pg_temp.org('aud'), 'doomed');
    PERFORM pg_temp.add_org_member(pg_temp.org('aud'), pg_temp.uid(h))
       FROM unnest(ARRAY['adam', 'mia', 'pat', 'kim']) h;
    PERFORM pg_temp.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('adam'), 'admin');
    PERFORM pg_temp.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('mia'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('kim'), 'owner');
    PERFORM pg_temp.add_member(pg_temp.ws('aud', 'doomed'), pg_temp.uid('pat'), 'viewer');
    PERFORM authz.create_org('neighbours');
    PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid(h), 'member')
       FROM unnest(ARRAY['adam', 'mia']) h;
    PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid(h), 'guest')
       FROM unnest(ARRAY['nick', 'gus']) h;
    PERFORM authz.set_user(NULL);
END
$$;

-- ===========================================================================
-- organization membership
-- ===========================================================================
SELECT pg_temp.run('olga', $$SELECT authz.add_org_member(pg_temp.org('aud'), pg_temp.uid('nick'))$$);
SELECT results_eq(
    $$SELECT action, actor, own_login, org, ws, target, before, after ->> 'role', after ->> 'user_id' FROM pg_temp.fresh()$$,
    $$VALUES ('org_members.insert', 'olga', true, 'aud', NULL, pg_temp.org('aud') || '/' || pg_temp.uid('nick'),
              NULL::jsonb, 'member', pg_temp.uid('nick')::text)$$,
    'add_org_member: one row org_members.insert by the actor, keyed org/user, with the new membership');
SELECT pg_temp.run('olga', $$SELECT authz.set_org_role(pg_temp.org('aud'), pg_temp.uid('nick'), 'admin')$$);
SELECT results_eq(
    $$SELECT action, actor, own_login, org, ws, before ->> 'role', after ->> 'role' FROM pg_temp.fresh()$$,
    $$VALUES ('org_members.update', 'olga', true, 'aud', NULL, 'member', 'admin')$$,
    'set_org_role: one row org_members.update with the old and the new org role');
SELECT pg_temp.run('olga', $$SELECT authz.set_org_workspace_role(pg_temp.org('aud'), pg_temp.uid('nick'), 'viewer')$$);
SELECT results_eq(
    $$SELECT action, actor, org, pg_temp.rname(before ->> 'workspace_role'), pg_temp.rname(after ->> 'workspace_role') FROM pg_temp.fresh()$$,
    $$VALUES ('org_members.update', 'olga', 'aud', NULL, 'viewer')$$,
    'set_org_workspace_role: one row org_members.update, from no org-wide role to viewer');
SELECT pg_temp.run('olga', $$SELECT authz.remove_org_member(pg_temp.org('aud'), pg_temp.uid('nick'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'role', after FROM pg_temp.fresh()$$,
    $$VALUES ('org_members.delete', 'olga', 'aud', NULL, 'admin', NULL::jsonb)$$,
    'remove_org_member: one row org_members.delete with the removed membership as before');

-- ===========================================================================
-- participants, grants and denies
-- ===========================================================================
SELECT pg_temp.run('adam', $$SELECT authz.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), 'viewer')$$);
SELECT results_eq(
    $$SELECT action, actor, own_login, org, ws, before, pg_temp.rname(after ->> 'role_id'), pg_temp.handle(after ->> 'user_id'),
             target = after ->> 'id' FROM pg_temp.fresh()$$,
    $$VALUES ('participants.insert', 'adam', true, 'aud', 'main', NULL::jsonb, 'viewer', 'pat', true)$$,
    'add_member: one row participants.insert by the admin, with org and workspace, keyed by the participant id');
SELECT pg_temp.run('adam', $$SELECT authz.set_role(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), 'member')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, pg_temp.rname(before ->> 'role_id'), pg_temp.rname(after ->> 'role_id') FROM pg_temp.fresh()$$,
    $$VALUES ('participants.update', 'adam', 'aud', 'main', 'viewer', 'member')$$,
    'set_role: one row participants.update, before->>role_id the old role and after->>role_id the new one');
SELECT pg_temp.run('adam', $$SELECT authz.grant(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), '{billing.view}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, target, before, after ->> 'permission', after ->> 'effect' FROM pg_temp.fresh()$$,
    $$VALUES ('participant_permissions.insert', 'adam', 'aud', 'main',
              pg_temp.ws('aud', 'main') || '/' || pg_temp.uid('pat') || '/billing.view', NULL::jsonb, 'billing.view', 'grant')$$,
    'grant: one row participant_permissions.insert keyed workspace/user/permission');
SELECT pg_temp.run('adam', $$SELECT authz.deny(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), '{billing.view}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'effect', after ->> 'effect' FROM pg_temp.fresh()$$,
    $$VALUES ('participant_permissions.update', 'adam', 'aud', 'main', 'grant', 'deny')$$,
    'deny: replacing a grant writes one row participant_permissions.update from grant to deny');
SELECT pg_temp.run('adam', $$SELECT authz.reset_permissions(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), '{billing.view}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'effect', after FROM pg_temp.fresh()$$,
    $$VALUES ('participant_permissions.delete', 'adam', 'aud', 'main', 'deny', NULL::jsonb)$$,
    'reset_permissions: one row participant_permissions.delete for the one permission reset');
SELECT pg_temp.run('adam', $$SELECT authz.grant(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'), '{billing.view,billing.manage}')$$);
SELECT results_eq(
    $$SELECT action, after ->> 'permission' FROM pg_temp.fresh()$$,
    $$VALUES ('participant_permissions.insert', 'billing.manage'), ('participant_permissions.insert', 'billing.view')$$,
    'grant: two permissions at once write one row each');
SELECT pg_temp.run('adam', $$SELECT authz.remove_member(pg_temp.ws('aud', 'main'), pg_temp.uid('pat'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, pg_temp.handle(before ->> 'user_id'), before ->> 'permission', after
        FROM pg_temp.fresh() ORDER BY action, before ->> 'permission'$$,
    $$VALUES ('participant_permissions.delete', 'adam', 'aud', 'main', 'pat', 'billing.manage', NULL::jsonb),
             ('participant_permissions.delete', 'adam', 'aud', 'main', 'pat', 'billing.view', NULL::jsonb),
             ('participants.delete', 'adam', 'aud', 'main', 'pat', NULL, NULL::jsonb)$$,
    'remove_member: one row participants.delete, plus one for each grant that goes with the participation');

-- ===========================================================================
-- teams
-- ===========================================================================
SELECT pg_temp.run('olga', $$SELECT authz.create_team(pg_temp.org('aud'), 'core')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, after ->> 'name', target = after ->> 'id' FROM pg_temp.fresh()$$,
    $$VALUES ('teams.insert', 'olga', 'aud', NULL, 'core', true)$$,
    'create_team: one row teams.insert in the organization');
SELECT pg_temp.run('olga', $$SELECT authz.add_team_member(pg_temp.team('aud', 'core'), pg_temp.uid('pat'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, target FROM pg_temp.fresh()$$,
    $$VALUES ('team_members.insert', 'olga', 'aud', NULL, pg_temp.team('aud', 'core') || '/' || pg_temp.uid('pat'))$$,
    'add_team_member: one row team_members.insert, with the team''s organization');
SELECT pg_temp.run('olga', $$SELECT authz.remove_team_member(pg_temp.team('aud', 'core'), pg_temp.uid('pat'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, before ->> 'user_id', after FROM pg_temp.fresh()$$,
    $$VALUES ('team_members.delete', 'olga', 'aud', pg_temp.uid('pat')::text, NULL::jsonb)$$,
    'remove_team_member: one row team_members.delete');
SELECT pg_temp.run('adam', $$SELECT authz.add_team(pg_temp.ws('aud', 'main'), pg_temp.team('aud', 'core'), 'viewer')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, after ->> 'team_id', after ->> 'user_id', pg_temp.rname(after ->> 'role_id') FROM pg_temp.fresh()$$,
    $$VALUES ('participants.insert', 'adam', 'aud', 'main', pg_temp.team('aud', 'core')::text, NULL, 'viewer')$$,
    'add_team: one row participants.insert for the team');
SELECT pg_temp.run('adam', $$SELECT authz.remove_team(pg_temp.ws('aud', 'main'), pg_temp.team('aud', 'core'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'team_id' FROM pg_temp.fresh()$$,
    $$VALUES ('participants.delete', 'adam', 'aud', 'main', pg_temp.team('aud', 'core')::text)$$,
    'remove_team: one row participants.delete for the team');

-- ===========================================================================
-- roles and settings
-- ===========================================================================
SELECT pg_temp.run('olga', $$SELECT authz.create_role(pg_temp.org('aud'), 'auditor', 20, '{}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, after ->> 'name', (after ->> 'rank')::int FROM pg_temp.fresh()$$,
    $$VALUES ('roles.insert', 'olga', 'aud', NULL, 'auditor', 20)$$,
    'create_role: with no permissions, one row roles.insert');
SELECT pg_temp.run('adam', $$SELECT authz.update_workspace(pg_temp.ws('aud', 'main'), '{"description": "Main lab"}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'description', after ->> 'description' FROM pg_temp.fresh()$$,
    $$VALUES ('workspaces.update', 'adam', 'aud', 'main', NULL, 'Main lab')$$,
    'update_workspace: one row workspaces.update with the old and new description');
SELECT pg_temp.run('olga', $$SELECT authz.update_org(pg_temp.org('aud'), '{"full_name": "Audit Inc."}')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'full_name', after ->> 'full_name' FROM pg_temp.fresh()$$,
    $$VALUES ('orgs.update', 'olga', 'aud', NULL, NULL, 'Audit Inc.')$$,
    'update_org: one row orgs.update with the old and new full name');
SELECT pg_temp.run('adam', $$SELECT authz.update_workspace(pg_temp.ws('aud', 'main'), '{"description": "Main lab"}')$$);
SELECT is((SELECT count(*) FROM pg_temp.fresh()), 0::bigint,
    'update_workspace: an update that changes nothing writes nothing');

-- ===========================================================================
-- invitations
-- ===========================================================================
CREATE TEMP TABLE tokens (label text PRIMARY KEY, token text);
SELECT pg_temp.run('adam', $$INSERT INTO tokens SELECT 'ivy', authz.invite(pg_temp.ws('aud', 'main'), 'ivy@example.com', 'viewer')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before, after ->> 'email', after ? 'token_hash' FROM pg_temp.fresh()$$,
    $$VALUES ('invitations.insert', 'adam', 'aud', 'main', NULL::jsonb, 'ivy@example.com', false)$$,
    'invite: one row invitations.insert, without the token hash');
SELECT pg_temp.run('ivy', format('SELECT authz.accept_invitation(%L)', (SELECT token FROM tokens WHERE label = 'ivy')));
SELECT results_eq(
    $$SELECT action, actor, org, ws, pg_temp.handle(after ->> 'user_id'), before ->> 'accepted_by', pg_temp.handle(after ->> 'accepted_by')
        FROM pg_temp.fresh()$$,
    $$VALUES ('participants.insert', 'ivy', 'aud', 'main', 'ivy', NULL, NULL),
             ('invitations.update', 'ivy', 'aud', 'main', NULL, NULL, 'ivy')$$,
    'accept_invitation: exactly two rows by the invitee, the participation and the invitation marked used');
SELECT is((SELECT count(*) FROM pg_temp.fresh() WHERE xid = pg_current_xact_id()), 2::bigint,
    'accept_invitation: both rows carry the id of the transaction that made them');
SELECT pg_temp.act_as('adam');
INSERT INTO tokens SELECT 'jo', authz.invite(pg_temp.ws('aud', 'main'), 'jo@example.com');
SELECT pg_temp.run('olga', $$SELECT authz.revoke_invitation(i.id) FROM authz.invitations i WHERE i.email = 'jo@example.com'$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, before ->> 'revoked_by', pg_temp.handle(after ->> 'revoked_by'), after ? 'token_hash' FROM pg_temp.fresh()$$,
    $$VALUES ('invitations.update', 'olga', 'aud', 'main', NULL, 'olga', false)$$,
    'revoke_invitation: one row invitations.update recording who revoked it');
SELECT is((SELECT count(*) FROM authz.audit_log WHERE before ? 'token_hash' OR after ? 'token_hash'), 0::bigint,
    'invitations: no audit row holds a token_hash key');
SELECT is((SELECT count(*) FROM authz.audit_log a, authz.invitations i
            WHERE strpos(coalesce(a.before::text, '') || coalesce(a.after::text, ''), encode(i.token_hash, 'hex')) > 0
               OR EXISTS (SELECT 1 FROM tokens t
                           WHERE strpos(coalesce(a.before::text, '') || coalesce(a.after::text, ''), t.token) > 0)),
    0::bigint, 'invitations: neither a token nor its hash appears anywhere in the audit log');

-- ===========================================================================
-- users, credits, projects
-- ===========================================================================
SELECT pg_temp.run('dee', $$SELECT authz.deactivate_user(pg_temp.uid('dee'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, target, before ->> 'status', after ->> 'status' FROM pg_temp.fresh()$$,
    $$VALUES ('users.update', 'dee', NULL, NULL, pg_temp.uid('dee')::text, 'active', 'deactivated')$$,
    'deactivate_user: one row users.update by the user who left, from active to deactivated');
SELECT pg_temp.run(NULL, $$SELECT authz.map_login_role(pg_temp.uid('gus'), 'regress_audit_login')$$);
SELECT results_eq(
    $$SELECT action, actor, own_login, before ->> 'pg_role', after ->> 'pg_role' FROM pg_temp.fresh()$$,
    $$VALUES ('users.update', '(none)', true, NULL, 'regress_audit_login')$$,
    'map_login_role: one row users.update with no actor (the platform) and the login role of the session');
SELECT pg_temp.run(NULL, $$SELECT authz.set_rate_card(pg_temp.org('aud'), '0.2')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, after ->> 'cpu_hour' FROM pg_temp.fresh()$$,
    $$VALUES ('rate_cards.insert', '(none)', 'aud', NULL, '0.2')$$,
    'set_rate_card: one row rate_cards.insert in the organization, by the platform');
SELECT pg_temp.run(NULL, $$SELECT authz.add_credits(pg_temp.ws('aud', 'main'), '10', 'top-up')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, changes ->> 'kind', changes ->> 'amount', changes ->> 'memo', logged
        FROM pg_temp.last_movement()$$,
    $$VALUES ('credit_movements.insert', '(platform)', 'aud', 'main', 'topup', '10', 'top-up', 0::bigint)$$,
    'add_credits: authz.audit shows one row credit_movements.insert (the movement itself, nothing more in audit_log), with the workspace credited and its organization');
SELECT pg_temp.run('mia', $$SELECT authz.create_project(pg_temp.ws('aud', 'main'), 'alpha')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, after ->> 'name' FROM pg_temp.fresh()$$,
    $$VALUES ('projects.insert', 'mia', 'aud', 'main', 'alpha')$$,
    'create_project: one row projects.insert by the member who created it');
SELECT pg_temp.run('adam', $$SELECT authz.add_project_member(pg_temp.project('alpha'), pg_temp.uid('pat'), 'viewer')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws, target, pg_temp.rname(after ->> 'role_id') FROM pg_temp.fresh()$$,
    $$VALUES ('project_members.insert', 'adam', 'aud', 'main', pg_temp.project('alpha') || '/' || pg_temp.uid('pat'), 'viewer')$$,
    'add_project_member: one row project_members.insert with the project''s workspace and organization');

SELECT pg_temp.run('mia', $$SELECT authz.create_project(pg_temp.ws('aud', 'main'), 'beta')$$);
SELECT pg_temp.run('adam', $$SELECT authz.add_project_member(pg_temp.project('beta'), pg_temp.uid('pat'), 'viewer')$$);
SELECT pg_temp.run('adam', $$SELECT authz.delete_project(pg_temp.project('beta'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws FROM pg_temp.fresh() ORDER BY action$$,
    $$VALUES ('project_members.delete', 'adam', 'aud', 'main'), ('projects.delete', 'adam', 'aud', 'main')$$,
    'delete_project: the project and its memberships, each audited with the workspace and organization');

-- ===========================================================================
-- several rows in one call
-- ===========================================================================
SELECT pg_temp.run('olga', $$SELECT authz.create_workspace(pg_temp.org('aud'), 'extra')$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws FROM pg_temp.fresh()$$,
    $$VALUES ('workspaces.insert', 'olga', 'aud', 'extra'), ('participants.insert', 'olga', 'aud', 'extra')$$,
    'create_workspace: the workspace and its owner participation, in that order');
DO $$
BEGIN
    PERFORM pg_temp.act_as('olga');
    PERFORM pg_temp.add_org_member(pg_temp.org('aud'), pg_temp.uid('nick'));
    PERFORM authz.add_team_member(pg_temp.team('aud', 'core'), pg_temp.uid('nick'));
    PERFORM pg_temp.add_member(pg_temp.ws('aud', 'extra'), pg_temp.uid('nick'));
END
$$;
SELECT pg_temp.run('olga', $$SELECT authz.remove_org_member(pg_temp.org('aud'), pg_temp.uid('nick'))$$);
SELECT results_eq(
    $$SELECT action, actor, org, ws FROM pg_temp.fresh()$$,
    $$VALUES ('team_members.delete', 'olga', 'aud', NULL), ('participants.delete', 'olga', 'aud', 'extra'),
             ('org_members.delete', 'olga', 'aud', NULL)$$,
    'remove_org_member: a member with a team and a participation leaves one row for each removed row');

-- ===========================================================================
-- login role: the session's, not the current user's
-- ===========================================================================
SELECT pg_temp.uid('olga') AS olga, pg_temp.org('aud') AS aud \gset
SELECT pg_temp.mark();
SET SESSION AUTHORIZATION regress_audit_platform;
SELECT authz.set_user(:'olga');
SELECT FROM authz.create_team(:'aud', 'ops');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT action, actor, own_login, (SELECT login_role FROM authz.audit_log a WHERE a.id = f.id) FROM pg_temp.fresh() f$$,
    $$VALUES ('teams.insert', 'olga', false, 'regress_audit_platform'::name)$$,
    'login_role: a change made from a platform session records that login role with the asserted user');

SELECT is((SELECT count(*) FROM authz.audit_log
            WHERE transaction_id = pg_current_xact_id() AND login_role NOT IN (session_user, 'regress_audit_platform')),
    0::bigint, 'login_role: every other row written here records this session''s login role');

-- ===========================================================================
-- nothing for refused calls or for the row locks of the checks
-- ===========================================================================
SELECT pg_temp.mark();
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('nick'))$$,
    '42501', 'permission denied: "members.manage" is required in workspace "aud/main"',
    'refusal: a member may not add participants');
SELECT pg_temp.act_as('olga');
SELECT throws_ok($$SELECT authz.remove_member(pg_temp.ws('aud', 'solo'), pg_temp.uid('olga'))$$,
    '23514', 'workspace "aud/solo" must keep at least one owner',
    'refusal: the last owner may not leave (refused by a trigger after the row was deleted)');
SELECT throws_ok($$SELECT authz.set_org_role(pg_temp.org('aud'), pg_temp.uid('olga'), 'admin')$$,
    '23514', 'organization "aud" must keep at least one owner',
    'refusal: the last org owner may not step down');
SELECT is((SELECT count(*) FROM pg_temp.fresh()), 0::bigint,
    'refusal: refused calls leave no audit row, not even for rows changed before the error');

SELECT pg_temp.run('olga', $$SELECT authz.remove_member(pg_temp.ws('aud', 'main'), pg_temp.uid('kim'))$$);
SELECT results_eq($$SELECT action FROM pg_temp.fresh()$$, $$VALUES ('participants.delete')$$,
    'locks: removing one of two owners locks the workspace row (owner guard) without an audit row for it');
SELECT pg_temp.run('olga', $$SELECT authz.set_org_role(pg_temp.org('aud'), pg_temp.uid('pat'), 'owner')$$);
SELECT pg_temp.run('pat', $$SELECT authz.set_org_role(pg_temp.org('aud'), pg_temp.uid('pat'), 'admin')$$);
SELECT results_eq($$SELECT action, before ->> 'role', after ->> 'role' FROM pg_temp.fresh()$$,
    $$VALUES ('org_members.update', 'owner', 'admin')$$,
    'locks: an org owner stepping down locks the org row (owner guard) without an audit row for it');
SELECT pg_temp.run('olga', $$SELECT authz.update_org(pg_temp.org('aud'), '{"max_participants": 50}')$$);
SELECT pg_temp.run('adam', $$SELECT authz.add_member(pg_temp.ws('aud', 'main'), pg_temp.uid('gus'))$$);
SELECT results_eq($$SELECT action FROM pg_temp.fresh()$$, $$VALUES ('participants.insert')$$,
    'locks: under a participant limit, the capacity check locks the workspace row without an audit row for it');
SELECT pg_temp.mark();
UPDATE authz.workspaces SET id = id WHERE id = pg_temp.ws('aud', 'main');
UPDATE authz.orgs SET id = id WHERE id = pg_temp.org('aud');
SELECT is((SELECT count(*) FROM pg_temp.fresh()), 0::bigint,
    'locks: an UPDATE ... SET id = id changes nothing and writes nothing');

-- ===========================================================================
-- append-only
-- ===========================================================================
SELECT pg_temp.mark();
SELECT throws_ok($$UPDATE authz.audit_log SET action = 'forged' WHERE id = (SELECT max(id) FROM authz.audit_log)$$,
    '42501', 'authz.audit_log is append-only', 'append-only: even the superuser cannot UPDATE an audit row');
SELECT throws_ok($$DELETE FROM authz.audit_log$$,
    '42501', 'authz.audit_log is append-only', 'append-only: even the superuser cannot DELETE audit rows');
SELECT throws_ok($$TRUNCATE authz.audit_log$$,
    '42501', 'authz.audit_log is append-only', 'append-only: even the superuser cannot TRUNCATE the audit log');
SET ROLE regress_audit_app;
SELECT throws_ok($$UPDATE authz.audit_log SET action = 'forged'$$,
    '42501', 'permission denied for table audit_log', 'append-only: an ordinary role cannot UPDATE audit rows');
SELECT throws_ok($$DELETE FROM authz.audit_log$$,
    '42501', 'permission denied for table audit_log', 'append-only: an ordinary role cannot DELETE audit rows');
SELECT throws_ok($$INSERT INTO authz.audit_log (action, target) VALUES ('forged', 'x')$$,
    '42501', 'permission denied for table audit_log', 'append-only: an ordinary role cannot forge audit rows');
RESET ROLE;
SELECT is((SELECT count(*) FROM authz.audit_log WHERE action = 'forged'), 0::bigint,
    'append-only: no audit row was changed');

-- ===========================================================================
-- the authz.audit view
-- ===========================================================================
SELECT is((SELECT changes FROM authz.audit WHERE action = 'workspaces.update' AND actor = 'adam'),
    '{"description": [null, "Main lab"]}'::jsonb,
    'view: an update shows only the changed columns, as {column: [before, after]}');
SELECT is((SELECT changes FROM authz.audit a
            WHERE a.action = 'participants.update' AND a.workspace_id = pg_temp.ws('aud', 'main')),
    '{"role_id": ["viewer", "member"]}'::jsonb,
    'view: set_role shows the role change alone, roles by name');
SELECT is((SELECT changes ->> 'role_id' FROM authz.audit
            WHERE action = 'participants.insert' AND workspace_id = pg_temp.ws('aud', 'main') ORDER BY id LIMIT 1),
    'owner', 'view: an insert shows roles by name too (the creator, owner of the workspace)');
SELECT results_eq(
    $$SELECT actor, changes = l.after FROM authz.audit a JOIN authz.audit_log l USING (id)
       WHERE a.action = 'teams.insert' AND l.after ->> 'name' = 'core'$$,
    $$VALUES ('olga', true)$$,
    'view: an insert shows the actor''s handle and the new row');
SELECT results_eq(
    $$SELECT actor, changes = l.before FROM authz.audit a JOIN authz.audit_log l USING (id)
       WHERE a.action = 'team_members.delete' AND l.before ->> 'user_id' = pg_temp.uid('pat')::text$$,
    $$VALUES ('olga', true)$$,
    'view: a delete shows the removed row');
SELECT is((SELECT actor FROM authz.audit WHERE action = 'credit_movements.insert'), '(platform)',
    'view: a change made with no current user shows the actor (platform)');

-- ===========================================================================
-- credits: what their audit rows keep, and who reads them
-- ===========================================================================
SELECT pg_temp.run(NULL, $$SELECT authz.add_credits(pg_temp.ws('aud', 'main'), '5', 'keyed', 'aud-invoice-1')$$);
SELECT results_eq(
    $$SELECT action, changes ?| '{idempotency_key,fingerprint}', strpos(changes::text, 'aud-invoice-1') > 0
        FROM pg_temp.last_movement()$$,
    $$VALUES ('credit_movements.insert', false, false)$$,
    'add_credits: the audit row of a keyed top-up holds neither its idempotency key nor its fingerprint');
-- gus, from outside the organization, becomes an admin of main.
SELECT pg_temp.run('olga', $$SELECT authz.set_role(pg_temp.ws('aud', 'main'), pg_temp.uid('gus'), 'admin')$$);
-- Rows of authz.audit by a key: the audit id, or the movement for movements.
CREATE VIEW pg_temp.keyed WITH (security_invoker = true) AS
SELECT coalesce(a.id::text, 'movement ' || a.target) AS k, a.workspace_id, a.action FROM authz.audit a;
GRANT SELECT ON pg_temp.keyed TO PUBLIC;
CREATE TEMP TABLE credit_rows AS
SELECT k AS id, workspace_id, action FROM pg_temp.keyed WHERE split_part(action, '.', 1) IN ('credit_movements', 'rate_cards');
GRANT SELECT ON credit_rows TO PUBLIC;
SELECT pg_temp.ws('aud', 'main') AS main \gset
SELECT pg_temp.act_as('gus');
SET ROLE regress_audit_app;
SELECT set_eq($$SELECT k FROM pg_temp.keyed WHERE k IN (SELECT id FROM credit_rows)$$,
    format($$SELECT id FROM credit_rows WHERE workspace_id = %L AND action LIKE 'credit\_movements.%%'$$, :'main'),
    'RLS: a workspace admin from outside the organization sees the credit movements of the workspace (billing.view)');
RESET ROLE;
SELECT pg_temp.run('olga', $$SELECT authz.deny(pg_temp.ws('aud', 'main'), pg_temp.uid('gus'), '{billing.view}')$$);
SELECT pg_temp.act_as('gus');
SET ROLE regress_audit_app;
SELECT is((SELECT count(*) FROM pg_temp.keyed WHERE k IN (SELECT id FROM credit_rows)), 0::bigint,
    'RLS: denied billing.view, that admin reads no audit row of the credits through authz.audit');
SELECT ok((SELECT count(*) FROM authz.audit WHERE workspace_id = :'main') > 0,
    'RLS: he still reads the workspace''s other changes');
RESET ROLE;
-- A trusted role sees what the user it acts for sees; acting for the
-- platform (no user), every audit row of credits and nothing else.
SET ROLE regress_audit_platform;
SELECT is((SELECT count(*) FROM pg_temp.keyed WHERE k IN (SELECT id FROM credit_rows)), 0::bigint,
    'RLS: a trusted role acting for that admin reads no audit row of the credits either');
RESET ROLE;
SELECT pg_temp.act_as(NULL);
SET ROLE regress_audit_platform;
SELECT set_eq($$SELECT k FROM pg_temp.keyed$$, $$SELECT id FROM credit_rows$$,
    'RLS: a trusted role acting for the platform reads every audit row of credits (movements, rate cards), and nothing else');
RESET ROLE;

-- ===========================================================================
-- who reads what (RLS, as an ordinary role)
-- ===========================================================================
-- Everyone also sees the creation of their own personal workspace, where they
-- hold workspace.update.
SELECT pg_temp.org('aud') AS aud, pg_temp.ws('aud', 'main') AS main, pg_temp.uid('mia') AS mia,
       pg_temp.uid('adam') AS adam, pg_temp.personal('mia') AS mia_personal, pg_temp.personal('out') AS out_personal \gset
CREATE TEMP TABLE expected AS
SELECT 'mia' AS who, id FROM authz.audit_log WHERE actor_id = :'mia' OR workspace_id = :'mia_personal'
UNION ALL SELECT 'org', id FROM authz.audit_log WHERE org_id = :'aud'
UNION ALL SELECT 'main', id FROM authz.audit_log WHERE workspace_id = :'main'
UNION ALL SELECT 'out', id FROM authz.audit_log WHERE workspace_id = :'out_personal';
GRANT SELECT ON expected TO PUBLIC;

SELECT pg_temp.act_as('mia');
SET ROLE regress_audit_app;
SELECT set_eq($$SELECT id FROM authz.audit_log$$, $$SELECT id FROM expected WHERE who = 'mia'$$,
    'RLS: a member sees exactly their own actions');
SELECT is((SELECT count(*) FROM authz.audit_log WHERE actor_id IS DISTINCT FROM :'mia' AND org_id = :'aud'), 0::bigint,
    'RLS: and none of the changes others made in their workspace or organization');
RESET ROLE;
SELECT pg_temp.act_as('olga');
SET ROLE regress_audit_app;
SELECT set_eq(format('SELECT id FROM authz.audit_log WHERE org_id = %L', :'aud'),
    $$SELECT id FROM expected WHERE who = 'org'$$,
    'RLS: an org owner sees every row of the organization, whoever made it');
RESET ROLE;
SELECT pg_temp.act_as('adam');
SET ROLE regress_audit_app;
SELECT set_eq(format('SELECT id FROM authz.audit_log WHERE workspace_id = %L', :'main'),
    $$SELECT id FROM expected WHERE who = 'main'$$,
    'RLS: a workspace admin sees every row of the workspace, whoever made it');
SELECT is((SELECT count(*) FROM authz.audit_log a
            WHERE a.org_id = :'aud' AND a.workspace_id IS DISTINCT FROM :'main' AND a.actor_id IS DISTINCT FROM :'adam'),
    0::bigint, 'RLS: but not the organization''s other rows made by others');
RESET ROLE;
SELECT pg_temp.act_as('out');
SET ROLE regress_audit_app;
SELECT set_eq($$SELECT id FROM authz.audit_log$$, $$SELECT id FROM expected WHERE who = 'out'$$,
    'RLS: an outsider sees nothing of the organization (only the creation of their own personal workspace)');
SELECT is((SELECT count(*) FROM authz.audit WHERE org_id IS NOT NULL), 0::bigint,
    'RLS: the authz.audit view shows an outsider no organization row either');
RESET ROLE;

-- ===========================================================================
-- deleting a workspace keeps its history
-- ===========================================================================
SELECT pg_temp.ws('aud', 'doomed') AS doomed \gset
SELECT pg_temp.mark();
SELECT pg_temp.act_as('olga');
SELECT lives_ok(format('SELECT authz.delete_workspace(%L)', :'doomed'),
    'delete_workspace: the owner deletes a workspace holding no credits');
SELECT is((SELECT count(*) FROM authz.audit_log WHERE workspace_id = :'doomed' AND action = 'participants.insert'), 2::bigint,
    'delete_workspace: the audit rows of the deleted workspace remain');
SELECT results_eq(
    $$SELECT action, org_id, workspace_id FROM pg_temp.fresh() WHERE action LIKE 'participants.%' ORDER BY id$$,
    format($$VALUES ('participants.delete', %L::uuid, %L::uuid), ('participants.delete', %L::uuid, %L::uuid)$$,
           :'aud', :'doomed', :'aud', :'doomed'),
    'delete_workspace: the participations it removed are audited with their organization and workspace');

SELECT * FROM finish();
ROLLBACK;
