-- Organization and workspace settings (authz.update_org, authz.update_workspace)
-- with their effect on access, workspace deletion, participant limits, the
-- collaborator policy and time-bound access. One transaction; identities are
-- asserted with authz.set_user(); the passing of time is simulated by moving
-- expires_at into the past as the superuser.
\ir lib/platform.sql
BEGIN;
SELECT plan(130);

-- Fixture lookups (as the superuser, past RLS).
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.org(s text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.orgs WHERE slug = s $$;
CREATE FUNCTION pg_temp.ws(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.orgs o ON o.id = w.org_id
           WHERE o.slug = s AND w.name = n $$;
CREATE FUNCTION pg_temp.personal(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.workspaces WHERE personal_user_id = pg_temp.uid(h) $$;
CREATE FUNCTION pg_temp.team(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.teams WHERE org_id = pg_temp.org(s) AND name = n $$;
CREATE FUNCTION pg_temp.role_name(id uuid) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT name FROM authz.roles WHERE roles.id = role_name.id $$;
-- Act as a user (NULL: no identity).
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
-- A user's answers, asked as that user.
CREATE FUNCTION pg_temp.can(h text, ws uuid, perm text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.can(ws, perm);
END
$$;
CREATE FUNCTION pg_temp.role_in(h text, ws uuid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.act_as(h);
    RETURN authz.role_in(ws);
END
$$;
-- Run a call as a user: 'ok', or 'SQLSTATE message'.
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
-- Set a workspace's session lifespan as its owner: the outcome, then the stored value.
CREATE FUNCTION pg_temp.lifespan_after(ws uuid, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text := pg_temp.outcome('olivia', format('SELECT authz.update_workspace(%L, %L)', ws,
                                                    jsonb_build_object('session_lifespan_hours', v::jsonb)));
BEGIN
    RETURN result || ': ' || coalesce((SELECT session_lifespan_hours::text FROM authz.workspaces WHERE id = ws), 'unlimited');
END
$$;
-- Unexpired participant rows of a workspace (users and teams).
CREATE FUNCTION pg_temp.seats(ws uuid) RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT count(*)::int FROM authz.participants
           WHERE workspace_id = ws AND (expires_at IS NULL OR expires_at > now()) $$;

-- The cast. olivia owns org acme (workspaces lab, lab2, scratch); adam is an
-- org admin, gus a guest, the others members. In lab: wendy is admin, max
-- member, vera viewer. otto belongs to no org (but neighbours, further down).
DO $$
DECLARE
    h text;
BEGIN
    FOREACH h IN ARRAY '{olivia,adam,mia,gus,otto,wendy,max,vera,nel,gwen,nick,tim,l1,l2,l3,l4,l5,cm,olga,ivy}'::text[] LOOP
        PERFORM authz.create_user(h, h || '@example.com');
    END LOOP;
    PERFORM pg_temp.act_as('olivia');
    PERFORM authz.create_org('acme');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('adam'), 'admin');
    PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('gus'), 'guest');
    FOREACH h IN ARRAY '{mia,wendy,max,vera,tim}'::text[] LOOP
        PERFORM pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid(h), 'member');
    END LOOP;
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'lab2');
    PERFORM authz.create_workspace(pg_temp.org('acme'), 'scratch');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('wendy'), 'admin');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('max'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('acme', 'lab'), pg_temp.uid('vera'), 'viewer');
    PERFORM authz.create_role(pg_temp.org('acme'), 'lead', 90, '{workspace.view,members.view,content.read}');
    PERFORM pg_temp.act_as(NULL);
END
$$;

-- ===========================================================================
-- update_org: each key, its validation, and who may
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Acme Corporation"}')$$, pg_temp.org('acme')),
    'update_org: the org owner sets full_name');
SELECT is((SELECT full_name FROM authz.orgs WHERE slug = 'acme'), 'Acme Corporation',
    'update_org: full_name is stored');
SELECT pg_temp.act_as('adam');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"full_name": null}')$$, pg_temp.org('acme')),
    'update_org: an org admin (org.update) clears full_name with null');
SELECT is((SELECT full_name FROM authz.orgs WHERE slug = 'acme'), NULL,
    'update_org: full_name null is stored as NULL');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"full_name": 123}')$$, pg_temp.org('acme')),
    '22023', 'setting "full_name" must be a string, not 123',
    'update_org: full_name of the wrong type is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"members_can_create_workspaces": "yes"}')$$, pg_temp.org('acme')),
    '22023', 'setting "members_can_create_workspaces" must be true or false, not "yes"',
    'update_org: members_can_create_workspaces must be a boolean');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"admin_workspace_role": 42}')$$, pg_temp.org('acme')),
    '22023', 'setting "admin_workspace_role" must be a role name, not 42',
    'update_org: a role setting must be a role name');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"member_workspace_role": "boss"}')$$, pg_temp.org('acme')),
    '42704', 'role "boss" not found or not allowed',
    'update_org: an unknown role is refused with 42704');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"default_shared_role": "owner"}')$$, pg_temp.org('acme')),
    '22023', 'setting "default_shared_role" cannot be role "owner"',
    'update_org: default_shared_role cannot be owner, even for the org owner');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"default_join_role": "owner"}')$$, pg_temp.org('acme')),
    '22023', 'setting "default_join_role" cannot be role "owner"',
    'update_org: default_join_role cannot be owner');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"default_join_role": null}')$$, pg_temp.org('acme')),
    '22004', 'setting "default_join_role" must not be null',
    'update_org: default_join_role cannot be null');
SELECT results_eq(
    format($$SELECT v, pg_temp.outcome('olivia', format('SELECT authz.update_org(%%L, %%L)', %L::uuid,
                                        jsonb_build_object('max_participants', v::jsonb)))
              FROM unnest('{0,1000001,1.5,"\"3\"",true}'::text[]) WITH ORDINALITY u(v, n) ORDER BY n$$, pg_temp.org('acme')),
    $$VALUES ('0'::text, '22023 setting "max_participants" must be a whole number from 1 to 1000000, not 0'::text),
             ('1000001', '22023 setting "max_participants" must be a whole number from 1 to 1000000, not 1000001'),
             ('1.5', '22023 setting "max_participants" must be a whole number from 1 to 1000000, not 1.5'),
             ('"3"', '22023 setting "max_participants" must be a whole number from 1 to 1000000, not "3"'),
             ('true', '22023 setting "max_participants" must be a whole number from 1 to 1000000, not true')$$,
    'update_org: max_participants outside 1..1000000 or not a whole number is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"allow_collaborators": 0}')$$, pg_temp.org('acme')),
    '22023', 'setting "allow_collaborators" must be true or false, not 0',
    'update_org: allow_collaborators must be a boolean');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"color": "red"}')$$, pg_temp.org('acme')),
    '22023', 'unknown setting "color"',
    'update_org: an unknown key is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_org(%L, NULL)$$, pg_temp.org('acme')),
    '22004', 'settings must not be NULL',
    'update_org: NULL settings are refused with 22004');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '[1, 2]')$$, pg_temp.org('acme')),
    '22023', 'settings must be a JSON object, not [1, 2]',
    'update_org: settings that are not a JSON object are refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Changed", "max_participants": 0}')$$, pg_temp.org('acme')),
    '22023', NULL,
    'update_org: one bad value refuses the whole call');
SELECT is((SELECT full_name FROM authz.orgs WHERE slug = 'acme'), NULL,
    'update_org: a refused call changes no setting');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"max_participants": 1000000, "allow_collaborators": false}')$$,
                       pg_temp.org('acme')),
    'update_org: several keys at once');
SELECT results_eq($$SELECT max_participants, allow_collaborators FROM authz.orgs WHERE slug = 'acme'$$,
    $$VALUES (1000000, false)$$,
    'update_org: max_participants and allow_collaborators are stored');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"max_participants": null, "allow_collaborators": true}')$$,
                       pg_temp.org('acme')),
    'update_org: max_participants null removes the limit');
SELECT is((SELECT max_participants FROM authz.orgs WHERE slug = 'acme'), NULL,
    'update_org: max_participants null is stored as NULL');
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Mine"}')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.update" is required in organization "acme"',
    'update_org: refused to an org member (no org.update)');
SELECT pg_temp.act_as('gus');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"full_name": "Mine"}')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.update" is required in organization "acme"',
    'update_org: refused to an org guest');
-- Role settings above an org admin's own limit (80).
SELECT pg_temp.act_as('adam');
SELECT results_eq(
    format($$SELECT k, pg_temp.outcome('adam', format('SELECT authz.update_org(%%L, %%L)', %L::uuid, jsonb_build_object(k, v)))
              FROM (VALUES (1, 'admin_workspace_role', 'owner'), (2, 'member_workspace_role', 'owner'),
                           (3, 'default_shared_role', 'lead'), (4, 'default_join_role', 'lead')) x(n, k, v) ORDER BY n$$,
           pg_temp.org('acme')),
    $$VALUES ('admin_workspace_role'::text, '42501 cannot set "admin_workspace_role" to role "owner" (rank 100) above your own rank (80)'::text),
             ('member_workspace_role', '42501 cannot set "member_workspace_role" to role "owner" (rank 100) above your own rank (80)'),
             ('default_shared_role', '42501 cannot set "default_shared_role" to role "lead" (rank 90) above your own rank (80)'),
             ('default_join_role', '42501 cannot set "default_join_role" to role "lead" (rank 90) above your own rank (80)')$$,
    'update_org: an org admin may not set a role setting above their own limit (80)');
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"default_join_role": "lead"}')$$, pg_temp.org('acme')),
    'update_org: the org owner may set a role setting to a custom role ranked 90');
SELECT authz.update_org(pg_temp.org('acme'), '{"default_join_role": "member"}');
-- Role settings the owner set above an org admin's limit: the admin may not change them either.
SELECT authz.update_org(pg_temp.org('acme'), '{"member_workspace_role": "lead", "default_shared_role": "lead"}');
SELECT pg_temp.act_as('adam');
SELECT results_eq(
    format($$SELECT k, pg_temp.outcome('adam', format('SELECT authz.update_org(%%L, %%L)', %L::uuid, jsonb_build_object(k, v::jsonb)))
              FROM (VALUES (1, 'member_workspace_role', '"viewer"'), (2, 'member_workspace_role', 'null'),
                           (3, 'default_shared_role', '"viewer"')) x(n, k, v) ORDER BY n$$,
           pg_temp.org('acme')),
    $$VALUES ('member_workspace_role'::text, '42501 cannot change "member_workspace_role" from role "lead" (rank 90) above your own rank (80)'::text),
             ('member_workspace_role', '42501 cannot change "member_workspace_role" from role "lead" (rank 90) above your own rank (80)'),
             ('default_shared_role', '42501 cannot change "default_shared_role" from role "lead" (rank 90) above your own rank (80)')$$,
    'update_org: an org admin may not change a role setting whose current role ranks above their limit (80)');
-- admin_workspace_role is what org owners hold too: owners alone change it.
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "owner"}');
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"admin_workspace_role": "viewer"}')$$, pg_temp.org('acme')),
    '42501', 'only owners of organization "acme" may change "admin_workspace_role"',
    'update_org: an org admin may not lower admin_workspace_role (owner), which org owners hold too');
SELECT throws_ok(format($$SELECT authz.update_org(%L, '{"admin_workspace_role": null}')$$, pg_temp.org('acme')),
    '42501', 'only owners of organization "acme" may change "admin_workspace_role"',
    'update_org: an org admin may not clear admin_workspace_role');
SELECT lives_ok(format($$SELECT authz.update_org(%L, '{"admin_workspace_role": "owner"}')$$,
                       pg_temp.org('acme')),
    'update_org: an org admin may pass admin_workspace_role unchanged');
SELECT results_eq(
    $$SELECT pg_temp.role_name(admin_workspace_role), pg_temp.role_name(member_workspace_role),
             pg_temp.role_name(default_shared_role) FROM authz.orgs WHERE slug = 'acme'$$,
    $$VALUES ('owner'::text, 'lead'::text, 'lead'::text)$$,
    'update_org: the refused calls changed no role setting');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'),
    '{"admin_workspace_role": "admin", "member_workspace_role": null, "default_shared_role": "viewer"}');

-- ===========================================================================
-- update_org: the effect of each setting
-- ===========================================================================
-- members_can_create_workspaces
SELECT pg_temp.act_as('mia');
SELECT throws_ok(format($$SELECT authz.create_workspace(%L, 'mias')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.workspaces.create" is required in organization "acme"',
    'members_can_create_workspaces false: a member may not create a workspace');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"members_can_create_workspaces": true}');
SELECT is((SELECT members_can_create_workspaces FROM authz.orgs WHERE slug = 'acme'), true,
    'update_org: members_can_create_workspaces is stored');
SELECT pg_temp.act_as('mia');
SELECT lives_ok(format($$SELECT authz.create_workspace(%L, 'mias')$$, pg_temp.org('acme')),
    'members_can_create_workspaces true: a member creates a workspace');
SELECT is(pg_temp.role_in('mia', pg_temp.ws('acme', 'mias')), 'owner',
    'members_can_create_workspaces true: the member owns the workspace created');
SELECT pg_temp.act_as('gus');
SELECT throws_ok(format($$SELECT authz.create_workspace(%L, 'gusses')$$, pg_temp.org('acme')),
    '42501', 'permission denied: "org.workspaces.create" is required in organization "acme"',
    'members_can_create_workspaces true: a guest still may not create a workspace');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"members_can_create_workspaces": false}');
SELECT is(pg_temp.outcome('mia', format($$SELECT authz.create_workspace(%L, 'mias2')$$, pg_temp.org('acme'))),
    '42501 permission denied: "org.workspaces.create" is required in organization "acme"',
    'members_can_create_workspaces false again: members are refused at once');

-- member_workspace_role: new non-guest members only, unless a role is passed
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"member_workspace_role": "viewer"}');
SELECT pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('nel'), 'member');
SELECT pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('gwen'), 'guest');
SELECT pg_temp.add_org_member(pg_temp.org('acme'), pg_temp.uid('nick'), 'member', 'member');
SELECT results_eq(
    $$SELECT u.handle, pg_temp.role_name(m.workspace_role) FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
       WHERE m.org_id = pg_temp.org('acme') AND u.handle IN ('nel', 'gwen', 'nick', 'mia') ORDER BY u.handle$$,
    $$VALUES ('gwen'::text, NULL::text), ('mia', NULL), ('nel', 'viewer'), ('nick', 'member')$$,
    'member_workspace_role: given to a new member, not to a new guest, not when a role is passed, not to existing members');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('nel', %1$L)), (pg_temp.role_in('gwen', %1$L)), (pg_temp.role_in('mia', %1$L))$$,
           pg_temp.ws('acme', 'lab2')),
    $$VALUES ('viewer'::text), (NULL), (NULL)$$,
    'member_workspace_role: the new member holds it in every workspace of the org');
SELECT pg_temp.act_as('olivia');
SELECT authz.invite_to_org(pg_temp.org('acme'), 'ivy@example.com', 'member') AS ivy_token \gset
SELECT pg_temp.act_as('ivy');
SELECT authz.accept_invitation(:'ivy_token');
SELECT is((SELECT pg_temp.role_name(workspace_role) FROM authz.org_members
            WHERE org_id = pg_temp.org('acme') AND user_id = pg_temp.uid('ivy')), 'viewer',
    'member_workspace_role: also given to a new member who joins through an org invitation stating no role');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"member_workspace_role": null}');
SELECT is((SELECT member_workspace_role FROM authz.orgs WHERE slug = 'acme'), NULL,
    'update_org: member_workspace_role null is stored as NULL');

-- default_shared_role / default_join_role: copied into new workspaces
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"default_shared_role": "member", "default_join_role": "viewer"}');
SELECT authz.create_workspace(pg_temp.org('acme'), 'commons', 'shared', 'open');
SELECT results_eq(
    $$SELECT w.name, pg_temp.role_name(w.shared_role), pg_temp.role_name(w.join_role) FROM authz.workspaces w
       WHERE w.id IN (pg_temp.ws('acme', 'commons'), pg_temp.ws('acme', 'lab')) ORDER BY w.name$$,
    $$VALUES ('commons'::text, 'member'::text, 'viewer'::text), ('lab', 'viewer', 'member')$$,
    'default_shared_role/default_join_role: copied into a new workspace; existing workspaces keep theirs');
SELECT is(pg_temp.role_in('mia', pg_temp.ws('acme', 'commons')), 'member',
    'default_shared_role: org members hold it in the new shared workspace');
SELECT pg_temp.act_as('vera');
SELECT authz.join_workspace(pg_temp.ws('acme', 'commons'));
SELECT is((SELECT pg_temp.role_name(role_id) FROM authz.participants
            WHERE workspace_id = pg_temp.ws('acme', 'commons') AND user_id = pg_temp.uid('vera')), 'viewer',
    'default_join_role: joining the new workspace gives its join role');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"default_shared_role": "viewer", "default_join_role": "member"}');

-- admin_workspace_role: what org admins hold, changed at once
SELECT is(pg_temp.role_in('adam', pg_temp.ws('acme', 'lab')), 'admin',
    'admin_workspace_role: by default, org admins hold admin in every workspace');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "viewer"}');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('adam', %1$L)), (pg_temp.can('adam', %1$L, 'members.manage')::text),
                    (pg_temp.role_in('olivia', %2$L))$$, pg_temp.ws('acme', 'lab'), pg_temp.ws('acme', 'mias')),
    $$VALUES ('viewer'::text), ('false'), ('viewer')$$,
    'admin_workspace_role viewer: org owners and admins hold viewer at once where they hold nothing else');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": null}');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('adam', %1$L)), (pg_temp.can('adam', %1$L, 'workspace.view')::text)$$,
           pg_temp.ws('acme', 'lab')),
    $$VALUES (NULL::text), ('false')$$,
    'admin_workspace_role null: org admins hold no role in workspaces they are not in');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('acme'), '{"admin_workspace_role": "admin"}');
SELECT is(pg_temp.role_in('adam', pg_temp.ws('acme', 'lab')), 'admin',
    'admin_workspace_role admin again: the org admin is admin again at once');

-- ===========================================================================
-- update_workspace: each key, its validation, and who may
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"name": "lab-two", "full_name": "Lab two", "description": "Second lab"}')$$,
                       pg_temp.ws('acme', 'lab2')),
    'update_workspace: the owner sets name, full_name and description');
SELECT results_eq($$SELECT name, full_name, description FROM authz.workspaces WHERE id = pg_temp.ws('acme', 'lab-two')$$,
    $$VALUES ('lab-two'::text, 'Lab two'::text, 'Second lab'::text)$$,
    'update_workspace: name, full_name and description are stored');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"full_name": null, "description": null}')$$,
                       pg_temp.ws('acme', 'lab-two')),
    'update_workspace: full_name and description may be cleared with null');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"name": "lab"}')$$, pg_temp.ws('acme', 'lab-two')),
    '23505', 'workspace "lab" already exists in organization "acme"',
    'update_workspace: a name taken in the org is refused with 23505');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"name": "lab two"}')$$, pg_temp.ws('acme', 'lab-two')),
    '22023', 'invalid workspace name: "lab two"',
    'update_workspace: a malformed name is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"name": null}')$$, pg_temp.ws('acme', 'lab-two')),
    '22023', 'setting "name" must be a string, not null',
    'update_workspace: a null name is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"visibility": "public"}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'invalid visibility: "public"',
    'update_workspace: an unknown visibility is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"join_policy": "closed"}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'invalid join policy: "closed"',
    'update_workspace: an unknown join policy is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"color": "red"}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'unknown setting "color"',
    'update_workspace: an unknown key is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, NULL)$$, pg_temp.ws('acme', 'lab')),
    '22004', 'settings must not be NULL',
    'update_workspace: NULL settings are refused with 22004');

-- visibility and join_policy: their effect on org members
SELECT results_eq(
    format($$VALUES (pg_temp.can('mia', %1$L, 'workspace.view')), (pg_temp.can('gus', %1$L, 'workspace.view'))$$,
           pg_temp.ws('acme', 'lab')),
    $$VALUES (false), (false)$$,
    'a private invite-only workspace: org members who are not in it see nothing');
SELECT pg_temp.act_as('wendy');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"visibility": "shared"}')$$, pg_temp.ws('acme', 'lab')),
    'update_workspace: a workspace admin (workspace.update) shares the workspace');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('mia', %1$L)), (pg_temp.role_in('gus', %1$L))$$, pg_temp.ws('acme', 'lab')),
    $$VALUES ('viewer'::text), (NULL)$$,
    'visibility shared: org members hold the shared role at once, guests do not');
SELECT pg_temp.act_as('wendy');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"shared_role": "member"}')$$, pg_temp.ws('acme', 'lab')),
    'update_workspace: the admin sets shared_role to a role below their rank');
SELECT is(pg_temp.role_in('mia', pg_temp.ws('acme', 'lab')), 'member',
    'shared_role: org members hold the new shared role at once');
SELECT pg_temp.act_as('wendy');
SELECT authz.update_workspace(pg_temp.ws('acme', 'lab'), '{"visibility": "private", "join_policy": "open"}');
SELECT results_eq(
    format($$VALUES (pg_temp.can('mia', %1$L, 'workspace.view')), (pg_temp.can('mia', %1$L, 'content.read')),
                    (pg_temp.can('gus', %1$L, 'workspace.view'))$$, pg_temp.ws('acme', 'lab')),
    $$VALUES (true), (false), (false)$$,
    'join_policy open: org members may view the workspace (nothing more), guests may not');
SELECT pg_temp.act_as('wendy');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"join_role": "viewer"}')$$, pg_temp.ws('acme', 'lab')),
    'update_workspace: the admin sets join_role');
SELECT pg_temp.act_as('mia');
SELECT authz.join_workspace(pg_temp.ws('acme', 'lab'));
SELECT is(pg_temp.role_in('mia', pg_temp.ws('acme', 'lab')), 'viewer',
    'join_role: joining the open workspace gives the join role');
SELECT pg_temp.act_as('wendy');
SELECT authz.update_workspace(pg_temp.ws('acme', 'lab'), '{"join_policy": "invite_only"}');
SELECT is(pg_temp.outcome('nel', format('SELECT authz.join_workspace(%L)', pg_temp.ws('acme', 'lab'))),
    '42501 workspace "acme/lab" is invite-only',
    'join_policy invite_only: joining is refused');

-- shared/join roles: never owner, never above the actor's rank
SELECT pg_temp.act_as('wendy');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"shared_role": "lead"}')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'cannot make role "lead" (rank 90) the shared or join role of workspace "acme/lab"',
    'update_workspace: an admin (80) may not make a role ranked 90 the shared role');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"join_role": "owner"}')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'cannot make role "owner" (rank 100) the shared or join role of workspace "acme/lab"',
    'update_workspace: an admin may not make owner the join role');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"shared_role": "owner"}')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'cannot make role "owner" (rank 100) the shared or join role of workspace "acme/lab"',
    'update_workspace: even the owner may not make owner the shared role');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"join_role": "boss"}')$$, pg_temp.ws('acme', 'lab')),
    '42704', 'role "boss" not found or not allowed',
    'update_workspace: an unknown join role is refused with 42704');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"join_role": "lead"}')$$, pg_temp.ws('acme', 'lab')),
    'update_workspace: the owner may make a custom role ranked 90 the join role');
SELECT is((SELECT pg_temp.role_name(join_role) FROM authz.workspaces WHERE id = pg_temp.ws('acme', 'lab')), 'lead',
    'update_workspace: join_role is stored');

-- labels
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"labels": ["zeta", "alpha", "env=prod", "alpha"]}')$$,
                       pg_temp.ws('acme', 'lab')),
    'update_workspace: labels are set');
SELECT is((SELECT labels FROM authz.workspaces WHERE id = pg_temp.ws('acme', 'lab')), '{alpha,env=prod,zeta}'::text[],
    'update_workspace: labels are stored sorted and distinct');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, %L)$$, pg_temp.ws('acme', 'lab'),
                       jsonb_build_object('labels', (SELECT jsonb_agg('l' || i) FROM generate_series(1, 100) i))),
    'update_workspace: 100 labels are accepted');
SELECT is((SELECT cardinality(labels) FROM authz.workspaces WHERE id = pg_temp.ws('acme', 'lab')), 100,
    'update_workspace: the 100 labels are stored');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, %L)$$, pg_temp.ws('acme', 'lab'),
                        jsonb_build_object('labels', (SELECT jsonb_agg('l' || i) FROM generate_series(1, 101) i))),
    '22023', 'setting "labels" must be an array of at most 100 strings',
    'update_workspace: 101 labels are refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"labels": ["ok", "not ok"]}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'invalid label: "not ok"',
    'update_workspace: a malformed label is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"labels": ["ok", 5]}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'setting "label" must be a string, not 5',
    'update_workspace: a label that is not a string is refused with 22023');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"labels": "ok"}')$$, pg_temp.ws('acme', 'lab')),
    '22023', 'setting "labels" must be an array of at most 100 strings',
    'update_workspace: labels that are not an array are refused with 22023');

-- session_lifespan_hours
SELECT results_eq(
    format($$SELECT v, pg_temp.lifespan_after(%L, v) FROM unnest('{1,120,"null"}'::text[]) WITH ORDINALITY u(v, n) ORDER BY n$$,
           pg_temp.ws('acme', 'lab')),
    $$VALUES ('1'::text, 'ok: 1'::text), ('120', 'ok: 120'), ('null', 'ok: unlimited')$$,
    'update_workspace: session_lifespan_hours 1, 120 and null (unlimited) are accepted and stored');
SELECT results_eq(
    format($$SELECT v, pg_temp.outcome('olivia', format('SELECT authz.update_workspace(%%L, %%L)', %L::uuid,
                                        jsonb_build_object('session_lifespan_hours', v::jsonb)))
              FROM unnest('{0,121,1.5,"\"x\""}'::text[]) WITH ORDINALITY u(v, n) ORDER BY n$$, pg_temp.ws('acme', 'lab')),
    $$VALUES ('0'::text, '22023 setting "session_lifespan_hours" must be a whole number from 1 to 120, not 0'::text),
             ('121', '22023 setting "session_lifespan_hours" must be a whole number from 1 to 120, not 121'),
             ('1.5', '22023 setting "session_lifespan_hours" must be a whole number from 1 to 120, not 1.5'),
             ('"x"', '22023 setting "session_lifespan_hours" must be a whole number from 1 to 120, not "x"')$$,
    'update_workspace: session_lifespan_hours 0, 121, 1.5 and "x" are refused with 22023');

-- personal workspaces, and who may
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"name": "mine"}')$$, pg_temp.personal('olivia')),
    '22023', 'personal workspace "olivia" keeps its name, visibility and roles',
    'update_workspace: a personal workspace keeps its name');
SELECT results_eq(
    format($$SELECT k, pg_temp.outcome('olivia', format('SELECT authz.update_workspace(%%L, %%L)', %L::uuid, jsonb_build_object(k, v)))
              FROM (VALUES (1, 'visibility', 'shared'), (2, 'shared_role', 'viewer'), (3, 'join_policy', 'open'),
                           (4, 'join_role', 'viewer')) x(n, k, v) ORDER BY n$$, pg_temp.personal('olivia')),
    $$VALUES ('visibility'::text, '22023 personal workspace "olivia" keeps its name, visibility and roles'::text),
             ('shared_role', '22023 personal workspace "olivia" keeps its name, visibility and roles'),
             ('join_policy', '22023 personal workspace "olivia" keeps its name, visibility and roles'),
             ('join_role', '22023 personal workspace "olivia" keeps its name, visibility and roles')$$,
    'update_workspace: a personal workspace refuses visibility, shared_role, join_policy and join_role');
SELECT lives_ok(format($$SELECT authz.update_workspace(%L, '{"description": "My notes", "labels": ["me"]}')$$,
                       pg_temp.personal('olivia')),
    'update_workspace: a personal workspace takes a description and labels');
SELECT pg_temp.act_as('max');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"full_name": "Max lab"}')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'permission denied: "workspace.update" is required in workspace "acme/lab"',
    'update_workspace: refused to a workspace member (no workspace.update)');
SELECT pg_temp.act_as('vera');
SELECT throws_ok(format($$SELECT authz.update_workspace(%L, '{"full_name": "Vera lab"}')$$, pg_temp.ws('acme', 'lab')),
    '42501', 'permission denied: "workspace.update" is required in workspace "acme/lab"',
    'update_workspace: refused to a workspace viewer');

-- ===========================================================================
-- delete_workspace
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT pg_temp.add_member(pg_temp.ws('acme', 'scratch'), pg_temp.uid('max'), 'member');
SELECT authz.create_project(pg_temp.ws('acme', 'scratch'), 'draft');
SELECT authz.invite(pg_temp.ws('acme', 'scratch'), 'someone@example.com', 'viewer');
SELECT pg_temp.ws('acme', 'scratch') AS scratch_id \gset
SELECT pg_temp.act_as('adam');
SELECT throws_ok(format($$SELECT authz.delete_workspace(%L)$$, :'scratch_id'),
    '42501', 'permission denied: "workspace.delete" is required in workspace "acme/scratch"',
    'delete_workspace: refused to an org admin holding admin in the workspace');
SELECT pg_temp.act_as('wendy');
SELECT throws_ok(format($$SELECT authz.delete_workspace(%L)$$, pg_temp.ws('acme', 'lab')),
    '42501', 'permission denied: "workspace.delete" is required in workspace "acme/lab"',
    'delete_workspace: refused to a workspace admin');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.delete_workspace(%L)$$, pg_temp.personal('olivia')),
    '22023', 'personal workspace "olivia" cannot be deleted',
    'delete_workspace: a personal workspace is refused with 22023');
SELECT throws_ok($$SELECT authz.delete_workspace('00000000-0000-0000-0000-0000000000ff')$$,
    '42704', 'workspace "00000000-0000-0000-0000-0000000000ff" not found or not allowed',
    'delete_workspace: an unknown workspace is refused with 42704');
SELECT pg_temp.act_as(NULL);
SELECT authz.add_credits(pg_temp.ws('acme', 'lab-two'), '10');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.delete_workspace(%L)$$, pg_temp.ws('acme', 'lab-two')),
    '23514', NULL,
    'delete_workspace: a workspace holding credits is refused with 23514');
SELECT isnt(pg_temp.ws('acme', 'lab-two'), NULL,
    'delete_workspace: the funded workspace is still there');
SELECT lives_ok(format($$SELECT authz.delete_workspace(%L)$$, :'scratch_id'),
    'delete_workspace: the owner deletes a workspace');
SELECT results_eq(
    format($$VALUES ((SELECT count(*)::int FROM authz.workspaces WHERE id = %1$L)),
                    ((SELECT count(*)::int FROM authz.participants WHERE workspace_id = %1$L)),
                    ((SELECT count(*)::int FROM authz.projects WHERE workspace_id = %1$L)),
                    ((SELECT count(*)::int FROM authz.invitations WHERE workspace_id = %1$L))$$, :'scratch_id'),
    $$VALUES (0), (0), (0), (0)$$,
    'delete_workspace: the workspace goes with its participants, projects and invitations');
SELECT ok((SELECT count(*) FROM authz.audit_log WHERE workspace_id = :'scratch_id' AND action = 'participants.insert') >= 2
          AND EXISTS (SELECT 1 FROM authz.audit_log WHERE workspace_id = :'scratch_id' AND action = 'workspaces.delete'),
    'delete_workspace: the audit log keeps the workspace''s history and records the deletion');
SELECT is(pg_temp.can('max', :'scratch_id', 'workspace.view'), false,
    'delete_workspace: former participants hold nothing');

-- ===========================================================================
-- Participant limits: users, teams and collaborators all take a seat
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
DO $$
DECLARE
    h text;
BEGIN
    PERFORM authz.create_org('tiny');
    FOREACH h IN ARRAY '{l1,l2,l3,l4,l5}'::text[] LOOP
        PERFORM pg_temp.add_org_member(pg_temp.org('tiny'), pg_temp.uid(h), 'member');
    END LOOP;
    PERFORM authz.create_workspace(pg_temp.org('tiny'), 'w', 'private', 'open');
    PERFORM authz.create_team(pg_temp.org('tiny'), 't1');
    PERFORM authz.create_team(pg_temp.org('tiny'), 't2');
    PERFORM authz.create_team(pg_temp.org('tiny'), 't3');
    PERFORM authz.update_org(pg_temp.org('tiny'), '{"max_participants": 5}');
    PERFORM pg_temp.add_member(pg_temp.ws('tiny', 'w'), pg_temp.uid('otto'), 'viewer');    -- a collaborator
    PERFORM authz.add_team(pg_temp.ws('tiny', 'w'), pg_temp.team('tiny', 't1'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('tiny', 'w'), pg_temp.uid('l1'), 'member', now() + interval '1 hour');
    PERFORM authz.add_team(pg_temp.ws('tiny', 'w'), pg_temp.team('tiny', 't2'), 'viewer', now() + interval '1 hour');
END
$$;
SELECT is(pg_temp.seats(pg_temp.ws('tiny', 'w')), 5,
    'limits: the owner, a collaborator, two teams and a user fill the 5 seats');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L)$$, pg_temp.ws('tiny', 'w'), pg_temp.uid('l2')),
    '23514', 'workspace "tiny/w" has reached its limit of 5 participants',
    'limits: add_member beyond the limit is refused with 23514');
-- Time passes: l1 and t2 expire and free their seats.
UPDATE authz.participants SET expires_at = now() - interval '1 minute'
 WHERE workspace_id = pg_temp.ws('tiny', 'w') AND expires_at IS NOT NULL;
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L)$$, pg_temp.ws('tiny', 'w'), pg_temp.uid('l2')),
    'limits: expired participations do not count');
SELECT lives_ok(format($$SELECT authz.add_team(%L, %L, 'viewer')$$, pg_temp.ws('tiny', 'w'), pg_temp.team('tiny', 't3')),
    'limits: a team takes the last seat');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L)$$, pg_temp.ws('tiny', 'w'), pg_temp.uid('l1')),
    '23514', 'workspace "tiny/w" has reached its limit of 5 participants',
    'limits: re-adding an expired participant at the limit is refused with 23514');
SELECT lives_ok(format($$SELECT authz.add_team(%L, %L, 'viewer')$$, pg_temp.ws('tiny', 'w'), pg_temp.team('tiny', 't1')),
    'limits: changing the role of a team already in takes no new seat');
SELECT pg_temp.act_as('l3');
SELECT throws_ok(format($$SELECT authz.join_workspace(%L)$$, pg_temp.ws('tiny', 'w')),
    '23514', 'workspace "tiny/w" has reached its limit of 5 participants',
    'limits: join_workspace at the limit is refused with 23514');
SELECT pg_temp.act_as('olivia');
SELECT authz.invite(pg_temp.ws('tiny', 'w'), 'l4@example.com', 'viewer') AS l4_token \gset
SELECT pg_temp.act_as('l4');
SELECT throws_ok(format($$SELECT authz.accept_invitation(%L)$$, :'l4_token'),
    '23514', 'workspace "tiny/w" has reached its limit of 5 participants',
    'limits: accept_invitation at the limit is refused with 23514');
SELECT is(pg_temp.seats(pg_temp.ws('tiny', 'w')), 5,
    'limits: the refused additions added nobody');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.add_team(%L, %L, 'viewer')$$, pg_temp.ws('tiny', 'w'), pg_temp.team('tiny', 't2')),
    '23514', 'workspace "tiny/w" has reached its limit of 5 participants',
    'limits: re-adding a team whose participation expired, at the limit, is refused with 23514');
SELECT pg_temp.act_as('olivia');
SELECT authz.update_org(pg_temp.org('tiny'), '{"max_participants": null}');
SELECT pg_temp.act_as('l4');
SELECT lives_ok(format($$SELECT authz.accept_invitation(%L)$$, :'l4_token'),
    'limits: without a limit, the invitation is accepted');

-- ===========================================================================
-- allow_collaborators = false: users outside the org are refused
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
DO $$
BEGIN
    PERFORM authz.create_org('closed');
    PERFORM pg_temp.add_org_member(pg_temp.org('closed'), pg_temp.uid('cm'), 'member');
    PERFORM pg_temp.add_org_member(pg_temp.org('closed'), pg_temp.uid('l5'), 'guest');
    PERFORM authz.create_workspace(pg_temp.org('closed'), 'cw');
    PERFORM authz.create_project(pg_temp.ws('closed', 'cw'), 'cp');
    PERFORM authz.update_org(pg_temp.org('closed'), '{"allow_collaborators": false}');
    -- otto, outside closed, shares org neighbours with olivia: she may add him
    -- without an invitation, so what refuses him is closed's policy alone.
    PERFORM authz.create_org('neighbours');
    PERFORM pg_temp.add_org_member(pg_temp.org('neighbours'), pg_temp.uid('otto'), 'guest');
END
$$;
SELECT (SELECT id FROM authz.projects WHERE name = 'cp') AS cp_id \gset
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L)$$, pg_temp.ws('closed', 'cw'), pg_temp.uid('otto')),
    '42501', 'organization "closed" does not allow collaborators from outside it',
    'allow_collaborators false: add_member refuses a user outside the org');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L)$$, pg_temp.ws('closed', 'cw'), pg_temp.uid('cm')),
    'allow_collaborators false: add_member accepts an org member');
SELECT throws_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, :'cp_id', pg_temp.uid('otto')),
    '42501', 'organization "closed" does not allow collaborators from outside it',
    'allow_collaborators false: add_project_member refuses a user outside the org');
SELECT lives_ok(format($$SELECT authz.add_project_member(%L, %L, 'viewer')$$, :'cp_id', pg_temp.uid('l5')),
    'allow_collaborators false: add_project_member accepts an org guest');
SELECT authz.invite(pg_temp.ws('closed', 'cw'), 'olga@example.com', 'viewer') AS olga_token \gset
SELECT pg_temp.act_as('olga');
SELECT throws_ok(format($$SELECT authz.accept_invitation(%L)$$, :'olga_token'),
    '42501', NULL,
    'allow_collaborators false: an invitation is refused at acceptance to a user outside the org');
SELECT is((SELECT count(*)::int FROM authz.participants WHERE user_id = pg_temp.uid('olga')), 0,
    'allow_collaborators false: the refused acceptance added nothing');
SELECT pg_temp.act_as('olivia');
SELECT authz.invite(pg_temp.ws('closed', 'cw'), 'l5@example.com', 'viewer') AS l5_token \gset
SELECT pg_temp.act_as('l5');
SELECT lives_ok(format($$SELECT authz.accept_invitation(%L)$$, :'l5_token'),
    'allow_collaborators false: an org member accepts an invitation');

-- ===========================================================================
-- Time-bound access
-- ===========================================================================
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'member', now() - interval '1 hour')$$,
                        pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    '22023', NULL,
    'time-bound: an expiry in the past is refused with 22023');
SELECT throws_ok(format($$SELECT authz.add_member(%L, %L, 'owner', now() + interval '1 day')$$,
                        pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    '22023', 'owner participations cannot expire',
    'time-bound: an owner participation with an expiry is refused with 22023');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'member', now() + interval '1 hour')$$,
                       pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    'time-bound: a participation with a future expiry is accepted');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('tim', %1$L)), (pg_temp.can('tim', %1$L, 'content.update')::text)$$, pg_temp.ws('acme', 'lab')),
    $$VALUES ('member'::text), ('true')$$,
    'time-bound: until it expires, the participation counts');
-- Time passes.
UPDATE authz.participants SET expires_at = now() - interval '1 minute'
 WHERE workspace_id = pg_temp.ws('acme', 'lab') AND user_id = pg_temp.uid('tim');
SELECT results_eq(
    format($$VALUES (pg_temp.role_in('tim', %1$L)), (pg_temp.can('tim', %1$L, 'workspace.view')::text)$$, pg_temp.ws('acme', 'lab')),
    $$VALUES (NULL::text), ('false')$$,
    'time-bound: once expired, the access vanishes without any job');
SELECT pg_temp.act_as('tim');
SELECT ok(NOT pg_temp.ws('acme', 'lab') = ANY (ARRAY(SELECT authz.workspaces())),
    'time-bound: the expired workspace is no longer listed by authz.workspaces()');
SELECT pg_temp.act_as('olivia');
SELECT throws_ok(format($$SELECT authz.set_role(%L, %L, 'viewer')$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    '42704', 'user "tim" is not a participant of workspace "acme/lab"',
    'time-bound: management treats an expired participation as absent');
SELECT lives_ok(format($$SELECT authz.add_member(%L, %L, 'viewer')$$, pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    'time-bound: an expired participant may be added again');
SELECT results_eq(
    format($$SELECT pg_temp.role_name(role_id), expires_at FROM authz.participants WHERE workspace_id = %L AND user_id = %L$$,
           pg_temp.ws('acme', 'lab'), pg_temp.uid('tim')),
    $$VALUES ('viewer'::text, NULL::timestamptz)$$,
    'time-bound: one participation, the new one, without expiry');
SELECT is(pg_temp.role_in('tim', pg_temp.ws('acme', 'lab')), 'viewer',
    'time-bound: the new participation counts at once');

-- The shared or join role being replaced must not be above the actor either.
SELECT pg_temp.act_as('olivia');
SELECT authz.create_role(pg_temp.org('acme'), 'senior', 90, '{workspace.view,content.read}');
SELECT authz.create_workspace(pg_temp.org('acme'), 'ranked') AS ranked \gset
SELECT authz.update_workspace(:'ranked', '{"shared_role": "senior", "join_role": "senior"}');
SELECT pg_temp.add_member(:'ranked', pg_temp.uid('wendy'), 'admin');
SELECT is(pg_temp.outcome('wendy', format('SELECT authz.update_workspace(%L, %L)', :'ranked', '{"shared_role": "viewer"}')),
    '42501 cannot change the shared role of workspace "acme/ranked" from role "senior" (rank 90) above your own rank (80)',
    'update_workspace: a workspace admin cannot replace a shared role ranked above them');
SELECT is(pg_temp.outcome('wendy', format('SELECT authz.update_workspace(%L, %L)', :'ranked', '{"join_role": "viewer"}')),
    '42501 cannot change the join role of workspace "acme/ranked" from role "senior" (rank 90) above your own rank (80)',
    'update_workspace: nor a join role ranked above them');
SELECT is((SELECT array[pg_temp.role_name(shared_role), pg_temp.role_name(join_role)] FROM authz.workspaces WHERE id = :'ranked'),
    '{senior,senior}'::text[], 'update_workspace: the refused changes changed nothing');
SELECT is(pg_temp.outcome('olivia', format('SELECT authz.update_workspace(%L, %L)', :'ranked', '{"shared_role": "viewer"}')),
    'ok', 'update_workspace: the owner may replace it');

SELECT * FROM finish();
ROLLBACK;
