-- workspace_authz 0.1.0 -> 0.2.0. Every change to the install script since
-- 0.1.0 is carried here too; test/upgrade.sh compares an updated 0.1.0
-- installation with a fresh 0.2.0 one, object by object.

\echo Use "ALTER EXTENSION workspace_authz UPDATE TO '0.2.0'" to load this file. \quit

-- Helpers and the types' support functions move to schema authz_internal, and
-- every function body that names them follows.
CREATE SCHEMA authz_internal;
COMMENT ON SCHEMA authz_internal IS
    'workspace_authz internals: helpers of the functions in schema authz and support functions of its types; not an interface';
GRANT USAGE ON SCHEMA authz_internal TO PUBLIC;

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'authz'::regnamespace
                AND (p.proname LIKE '\_%' OR p.proname ~ '^(permset|credits)_')
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET SCHEMA authz_internal', f);
    END LOOP;
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace)
                AND p.prosrc ~ 'authz\.(_|permset_|credits_)'
    LOOP
        EXECUTE pg_catalog.regexp_replace(pg_catalog.pg_get_functiondef(f),
                                          'authz\.(_|permset_|credits_)', 'authz_internal.\1', 'g');
    END LOOP;
END
$$;

-- Trust boundary of the management layer: the rank rules apply through teams
-- (add_team_member, remove_team_member) and to everything remove_org_member
-- ends; a deny outlives the participation it was placed on (grants still end
-- with it); adding a person who shares no organization with the actor needs
-- their consent (an invitation); an invitation gives only what its inviter
-- may still give; an argument the caller may not see is refused exactly as an
-- unknown one (42704), and explain() hides what RLS hides; e-mail addresses
-- are compared with ASCII letters folded only, and read through
-- authz.user_email() by members of the same organizations.
CREATE OR REPLACE FUNCTION authz_internal._fold_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;
COMMENT ON FUNCTION authz_internal._fold_email(text) IS
    'Internal: an e-mail address as it is compared, ASCII letters folded to lower case and nothing else';

CREATE OR REPLACE FUNCTION authz.explain(user_id uuid, workspace_id uuid, permission text)
    RETURNS TABLE (source text, role text, grants boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces;
    sees_members boolean;
BEGIN
    PERFORM authz_internal._check_id('user_id', user_id);
    PERFORM authz_internal._check_id('workspace_id', workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- Only what the caller may see is explained: an unknown or hidden
    -- workspace or user is refused alike, before the permission check.
    -- Trusted roles see everything, unknown things as rows of the answer.
    IF authz_internal._is_trusted() THEN
        SELECT x.* INTO w FROM authz.workspaces x WHERE x.id = workspace_id;
    ELSE
        w := authz_internal._workspace(workspace_id);
        IF user_id IS DISTINCT FROM authz.current_user_id() THEN
            PERFORM authz_internal._require(workspace_id, 'members.view');
            PERFORM authz_internal._user(user_id);
        END IF;
    END IF;
    -- Another user's org role, org-wide role and org membership are told only
    -- to who may see the organization's members (not to collaborators), and a
    -- team's name only to who may see the team.
    sees_members := user_id IS NOT DISTINCT FROM authz.current_user_id() OR authz_internal._is_trusted()
                    OR coalesce(authz.can_org(w.org_id, 'org.members.view'), false);
    RETURN QUERY
    SELECT CASE WHEN e.team_id IS NOT NULL
                THEN 'team' || coalesce(' ' || t.name, '')
                WHEN NOT sees_members AND e.source ~ '^(org-wide role|org admin|shared workspace|open workspace)'
                THEN 'organization'
                ELSE e.source END,
           CASE WHEN e.team_id IS NULL AND NOT sees_members
                     AND e.source ~ '^(org-wide role|org admin|shared workspace|open workspace)'
                THEN NULL ELSE e.role END,
           e.grants
      FROM authz_internal._explain(user_id, workspace_id, permission) WITH ORDINALITY e
      LEFT JOIN authz.teams t ON t.id = e.team_id
                             AND (authz_internal._is_trusted() OR authz_internal._visible_team(t.id))
     ORDER BY e.ordinality;
END
$$;
COMMENT ON FUNCTION authz.explain(uuid, uuid, text) IS
    'Why a user has, or lacks, a permission in a workspace: one row per source, grant and deny, then the result (for another user, needs members.view; their org-derived sources show as "organization" unless you see the org''s members, and teams by name only if you see them)';

CREATE OR REPLACE FUNCTION authz_internal._hidden(what text, value text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% "%" not found or not allowed', what, value
        USING ERRCODE = '42704',
              HINT = 'It does not exist, or you may not see it.';
END
$$;
COMMENT ON FUNCTION authz_internal._hidden(text, text) IS
    'Internal: the one refusal (42704) for something unknown or not visible to the current user';

CREATE OR REPLACE FUNCTION authz_internal._sees_all() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF authz_internal._is_trusted() THEN
        RETURN true;
    END IF;
    PERFORM authz_internal._actor();
    RETURN false;
END
$$;
COMMENT ON FUNCTION authz_internal._sees_all() IS
    'Internal: true for trusted roles; otherwise false after checking the current user exists and is active (42501)';

CREATE OR REPLACE FUNCTION authz_internal._user(user_id uuid) RETURNS authz.users
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.users;
BEGIN
    PERFORM authz_internal._check_id('user_id', user_id);
    SELECT * INTO r FROM authz.users u WHERE u.id = user_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all() OR authz_internal._visible_user(user_id)) THEN
        PERFORM authz_internal._hidden('user', user_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._user(uuid) IS 'Internal: a user row the current user may see (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz_internal._org(org_id uuid) RETURNS authz.orgs
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.orgs;
BEGIN
    PERFORM authz_internal._check_id('org_id', org_id);
    SELECT * INTO r FROM authz.orgs o WHERE o.id = org_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all() OR authz.org_role(org_id) IS NOT NULL) THEN
        PERFORM authz_internal._hidden('organization', org_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._org(uuid) IS
    'Internal: an organization row the current user belongs to (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz_internal._workspace(workspace_id uuid) RETURNS authz.workspaces
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.workspaces;
BEGIN
    PERFORM authz_internal._check_id('workspace_id', workspace_id);
    SELECT * INTO r FROM authz.workspaces w WHERE w.id = workspace_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all()
                         OR authz.can(workspace_id, 'workspace.view')
                         OR coalesce(authz.can_org(r.org_id, 'org.workspaces.list'), false)) THEN
        PERFORM authz_internal._hidden('workspace', workspace_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._workspace(uuid) IS
    'Internal: a workspace row the current user may view or list (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz_internal._team(team_id uuid) RETURNS authz.teams
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.teams;
BEGIN
    PERFORM authz_internal._check_id('team_id', team_id);
    SELECT * INTO r FROM authz.teams t WHERE t.id = team_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all() OR authz_internal._visible_team(team_id)) THEN
        PERFORM authz_internal._hidden('team', team_id::text);
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._team(uuid) IS 'Internal: a team row the current user may see (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz_internal._role(org_id uuid, role_name text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
BEGIN
    PERFORM authz_internal._check_text('workspace role', role_name, 63);
    SELECT * INTO r FROM authz.roles x
     WHERE x.name = role_name AND (x.org_id IS NULL OR x.org_id = _role.org_id)
     ORDER BY x.org_id NULLS LAST LIMIT 1;
    IF NOT FOUND OR (r.org_id IS NOT NULL AND NOT authz_internal._sees_all()
                     AND authz.org_role(r.org_id) IS NULL) THEN
        RAISE EXCEPTION 'role "%" not found or not allowed', role_name
            USING ERRCODE = '42704',
                  HINT = 'Built-in roles are owner, admin, member and viewer; organizations may define their own, which their members see.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._role(uuid, text) IS
    'Internal: a workspace role by name, custom to the org (seen by its members) or built-in (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz_internal._check_team_change(team_id uuid, user_id uuid, adding boolean) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    p record;
    actor_rank integer;
BEGIN
    IF NOT adding AND user_id = actor THEN
        RETURN;
    END IF;
    FOR p IN SELECT x.workspace_id, r.name, r.rank
               FROM authz.participants x JOIN authz.roles r ON r.id = x.role_id
              WHERE x.team_id = _check_team_change.team_id
                AND (x.expires_at IS NULL OR x.expires_at > now())
              ORDER BY x.workspace_id
    LOOP
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage',
                                            CASE WHEN adding THEN NULL ELSE user_id END, NULL);
        actor_rank := authz_internal._rank(actor, p.workspace_id);
        IF p.rank > actor_rank THEN
            RAISE EXCEPTION 'cannot change the members of team "%", which holds role "%" (rank %) above your own rank (%) in workspace "%"',
                (SELECT t.name FROM authz.teams t WHERE t.id = _check_team_change.team_id),
                p.name, p.rank, actor_rank, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501',
                      HINT = 'Someone ranked at least as high in that workspace, such as an owner, may change the team.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz_internal._check_team_change(uuid, uuid, boolean) IS
    'Internal: rank rules for adding a user to a team or removing one, in every workspace where the team participates (42501)';

CREATE OR REPLACE FUNCTION authz_internal._check_consent(org_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF authz_internal._is_trusted() THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM authz.org_members m
                WHERE m.org_id = _check_consent.org_id AND m.user_id = _check_consent.user_id)
       OR EXISTS (SELECT 1 FROM authz.org_members mine
                    JOIN authz.org_members theirs ON theirs.org_id = mine.org_id
                   WHERE mine.user_id = authz_internal._actor() AND theirs.user_id = _check_consent.user_id) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'cannot add user "%" without their consent: they share no organization with you',
        authz_internal._user_label(user_id)
        USING ERRCODE = '42501',
              HINT = 'Invite them with authz.invite() or authz.invite_to_org(): they join when they accept.';
END
$$;
COMMENT ON FUNCTION authz_internal._check_consent(uuid, uuid) IS
    'Internal: 42501 when adding a user who is not in the organization and shares none with the actor (they must accept an invitation); trusted roles pass';

CREATE OR REPLACE FUNCTION authz_internal._participants_end_grants() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM authz.participant_permissions pp
     WHERE pp.workspace_id = OLD.workspace_id AND pp.user_id = OLD.user_id AND pp.effect = 'grant';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._participants_end_grants() IS
    'Internal trigger: a user participant''s grants end with the participation (denies outlive it)';

CREATE OR REPLACE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u
                WHERE authz_internal._fold_email(u.email) COLLATE "C" = authz_internal._fold_email(create_user.email) COLLATE "C") THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    INSERT INTO authz.users (handle, email, display_name, pg_role)
    VALUES (handle, email, display_name, pg_role)
    RETURNING id INTO uid;
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.create_user(text, text, text, name) IS
    'Create a user and their personal workspace (trusted roles only); pg_role maps a login role to the user';

CREATE OR REPLACE FUNCTION authz_internal._org_wide_role(org_id uuid, role text, workspace_role text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    lim integer;
BEGIN
    IF workspace_role IS NULL THEN
        RETURN r;
    END IF;
    IF role = 'guest' THEN
        RAISE EXCEPTION 'guests of organization "%" cannot hold an org-wide workspace role',
            authz_internal._org_label(org_id)
            USING ERRCODE = '22023', HINT = 'Add guests to the workspaces they may see instead.';
    END IF;
    r := authz_internal._role(org_id, workspace_role);
    -- a trusted role acting for the platform (no current user) has no limit
    lim := CASE WHEN authz.current_user_id() IS NULL AND authz_internal._is_trusted() THEN 100
                ELSE coalesce(authz_internal._org_wide_limit(org_id), 0) END;
    IF r.rank > lim THEN
        RAISE EXCEPTION 'cannot assign org-wide workspace role "%" (rank %) above your limit (%) in organization "%"',
            r.name, r.rank, lim, authz_internal._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._org_wide_role(uuid, text, text) IS
    'Internal: validate an org-wide workspace role for an org role against the actor''s limit';

CREATE OR REPLACE FUNCTION authz.add_org_member(org_id uuid, user_id uuid, role text DEFAULT 'member',
                                     workspace_role text DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz_internal._org(org_id);
    u authz.users := authz_internal._user(user_id);
    wr authz.roles;
BEGIN
    PERFORM authz_internal._check_org_role(role);
    -- A trusted role acting for the platform (no current user) adds anyone;
    -- everyone else under the rank rules, and with the person's consent.
    IF authz.current_user_id() IS NOT NULL OR NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._check_org_ranks(org_id, NULL, role);
        PERFORM authz_internal._check_consent(org_id, user_id);
    END IF;
    IF workspace_role IS NOT NULL OR role = 'guest' THEN
        wr := authz_internal._org_wide_role(org_id, role, workspace_role);
    ELSE
        -- the organization's default org-wide role for new members, if any
        SELECT x.* INTO wr FROM authz.roles x WHERE x.id = o.member_workspace_role;
    END IF;
    IF EXISTS (SELECT 1 FROM authz.org_members m
                WHERE m.org_id = add_org_member.org_id AND m.user_id = add_org_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already a member of organization "%"', u.handle, o.slug
            USING ERRCODE = '23505', HINT = 'Use authz.set_org_role() to change their role.';
    END IF;
    INSERT INTO authz.org_members (org_id, user_id, role, workspace_role)
    VALUES (org_id, user_id, role, wr.id);
END
$$;
COMMENT ON FUNCTION authz.add_org_member(uuid, uuid, text, text) IS
    'Add a user to an organization with an org role and an org-wide workspace role (default: the org''s member_workspace_role; none for guests); someone who shares no organization with you must be invited instead (trusted roles acting for the platform may add anyone)';

CREATE OR REPLACE FUNCTION authz_internal._org_member(org_id uuid, user_id uuid) RETURNS authz.org_members
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m authz.org_members;
BEGIN
    -- whether someone is a member is told only to who may see the members
    IF NOT (authz_internal._sees_all() OR user_id = authz.current_user_id()
            OR authz.can_org(org_id, 'org.members.view')) THEN
        PERFORM authz_internal._hidden('user', user_id::text);
    END IF;
    SELECT * INTO m FROM authz.org_members x
     WHERE x.org_id = _org_member.org_id AND x.user_id = _org_member.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of organization "%"',
            authz_internal._user_label(user_id), authz_internal._org_label(org_id)
            USING ERRCODE = '42704';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION authz_internal._org_member(uuid, uuid) IS 'Internal: an org membership row (42704 when absent, or when the current user may not see the members)';

CREATE OR REPLACE FUNCTION authz.remove_org_member(org_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    membership authz.org_members;
    t uuid;
    w uuid;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._user(user_id);
    membership := authz_internal._org_member(org_id, user_id);
    IF user_id <> actor THEN
        PERFORM authz_internal._check_org_ranks(org_id, user_id, NULL);
        -- removing a member drops their org-wide role: only if the actor could change it
        PERFORM authz_internal._check_org_wide_held(org_id, user_id, membership.workspace_role);
        -- ... and ends their teams, participations and project roles there:
        -- each only if the actor could end it by itself (remove_team_member,
        -- remove_member, remove_project_member)
        FOR t IN SELECT tm.team_id FROM authz.team_members tm JOIN authz.teams x ON x.id = tm.team_id
                  WHERE x.org_id = remove_org_member.org_id AND tm.user_id = remove_org_member.user_id
                  ORDER BY 1
        LOOP
            PERFORM authz_internal._check_team_change(t, user_id, false);
        END LOOP;
        FOR w IN SELECT p.workspace_id FROM authz.participants p JOIN authz.workspaces x ON x.id = p.workspace_id
                  WHERE x.org_id = remove_org_member.org_id AND p.user_id = remove_org_member.user_id
                    AND (p.expires_at IS NULL OR p.expires_at > now())
                 UNION
                 SELECT pr.workspace_id FROM authz.project_members pm
                   JOIN authz.projects pr ON pr.id = pm.project_id JOIN authz.workspaces x ON x.id = pr.workspace_id
                  WHERE x.org_id = remove_org_member.org_id AND pm.user_id = remove_org_member.user_id
                    AND (pm.expires_at IS NULL OR pm.expires_at > now())
                  ORDER BY 1
        LOOP
            PERFORM authz_internal._check_ranks(w, 'members.manage', user_id, NULL);
            IF EXISTS (SELECT 1 FROM authz.project_members pm JOIN authz.projects pr ON pr.id = pm.project_id
                         JOIN authz.roles r ON r.id = pm.role_id
                        WHERE pr.workspace_id = w AND pm.user_id = remove_org_member.user_id
                          AND (pm.expires_at IS NULL OR pm.expires_at > now())
                          AND r.rank > authz_internal._rank(actor, w)) THEN
                RAISE EXCEPTION 'cannot change user "%" (a project role) who ranks above you in workspace "%"',
                    authz_internal._user_label(user_id), authz_internal._workspace_label(w)
                    USING ERRCODE = '42501';
            END IF;
        END LOOP;
    END IF;
    -- Leaving the org ends the user's teams and participations in it.
    DELETE FROM authz.team_members tm USING authz.teams t
     WHERE t.id = tm.team_id AND t.org_id = remove_org_member.org_id
       AND tm.user_id = remove_org_member.user_id;
    DELETE FROM authz.participants p USING authz.workspaces w
     WHERE w.id = p.workspace_id AND w.org_id = remove_org_member.org_id
       AND p.user_id = remove_org_member.user_id;
    DELETE FROM authz.project_members pm USING authz.projects pr, authz.workspaces w
     WHERE pr.id = pm.project_id AND w.id = pr.workspace_id AND w.org_id = remove_org_member.org_id
       AND pm.user_id = remove_org_member.user_id;
    DELETE FROM authz.org_members m
     WHERE m.org_id = remove_org_member.org_id AND m.user_id = remove_org_member.user_id;
END
$$;
COMMENT ON FUNCTION authz.remove_org_member(uuid, uuid) IS
    'Remove a user from an organization with their teams, participations and project roles there, each only where you could remove it by itself (members may leave)';

CREATE OR REPLACE FUNCTION authz_internal._participant(workspace_id uuid, user_id uuid) RETURNS authz.participants
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authz.participants;
BEGIN
    -- whether someone participates is told only to who may see the members
    IF NOT (authz_internal._sees_all() OR user_id = authz.current_user_id()
            OR authz.can(workspace_id, 'members.view')) THEN
        PERFORM authz_internal._hidden('user', user_id::text);
    END IF;
    SELECT * INTO p FROM authz.participants x
     WHERE x.workspace_id = _participant.workspace_id AND x.user_id = _participant.user_id
       AND (x.expires_at IS NULL OR x.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a participant of workspace "%"',
            authz_internal._user_label(user_id), authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42704';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION authz_internal._participant(uuid, uuid) IS 'Internal: a current user participant row (42704 when absent or expired, or when the current user may not see the members)';

CREATE OR REPLACE FUNCTION authz.add_member(workspace_id uuid, user_id uuid, role text DEFAULT 'member',
                                 expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
    u authz.users := authz_internal._user(user_id);
    r authz.roles := authz_internal._role(w.org_id, role);
BEGIN
    PERFORM authz_internal._check_expiry(expires_at, r);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', NULL, r);
    PERFORM authz_internal._check_consent(w.org_id, user_id);
    PERFORM authz_internal._purge_expired(workspace_id, user_id);
    IF EXISTS (SELECT 1 FROM authz.participants p
                WHERE p.workspace_id = add_member.workspace_id AND p.user_id = add_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already a participant of workspace "%"',
            u.handle, authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '23505', HINT = 'Use authz.set_role() to change their role.';
    END IF;
    PERFORM authz_internal._check_capacity(workspace_id, user_id);
    INSERT INTO authz.participants (workspace_id, user_id, role_id, expires_at)
    VALUES (workspace_id, user_id, r.id, expires_at);
END
$$;
COMMENT ON FUNCTION authz.add_member(uuid, uuid, text, timestamptz) IS
    'Add a user as a participant of a workspace (org members, guests, or collaborators who share an organization with you; others must be invited), until expires_at when given';

CREATE OR REPLACE FUNCTION authz.reset_permissions(workspace_id uuid, user_id uuid, permissions text[] DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    -- as _adjust_target, but the user need not participate any more: a deny
    -- outlives the participation, and only this lifts it
    PERFORM authz_internal._org_workspace(workspace_id);
    PERFORM authz_internal._user(user_id);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', user_id, NULL);
    DELETE FROM authz.participant_permissions x
     WHERE x.workspace_id = reset_permissions.workspace_id AND x.user_id = reset_permissions.user_id
       AND (permissions IS NULL OR x.permission = ANY (authz_internal._check_permissions(permissions)));
END
$$;
COMMENT ON FUNCTION authz.reset_permissions(uuid, uuid, text[]) IS
    'Drop a participant''s grants and denies (all of them, or those of the given permissions); also the denies of a user who no longer participates, which nothing else lifts';

CREATE OR REPLACE FUNCTION authz.add_team_member(team_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    t authz.teams := authz_internal._team(team_id);
    u authz.users := authz_internal._user(user_id);
BEGIN
    PERFORM authz_internal._actor();
    PERFORM authz_internal._require_org(t.org_id, 'org.teams.manage');
    PERFORM authz_internal._org_member(t.org_id, user_id);
    PERFORM authz_internal._check_team_change(team_id, user_id, true);
    IF EXISTS (SELECT 1 FROM authz.team_members tm
                WHERE tm.team_id = add_team_member.team_id AND tm.user_id = add_team_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already in team "%"', u.handle, t.name USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.team_members (team_id, user_id) VALUES (team_id, user_id);
END
$$;
COMMENT ON FUNCTION authz.add_team_member(uuid, uuid) IS
    'Add a member of the team''s organization to the team (needs org.teams.manage, and the rank rules in every workspace where the team participates)';

CREATE OR REPLACE FUNCTION authz.remove_team_member(team_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    t authz.teams := authz_internal._team(team_id);
    u authz.users := authz_internal._user(user_id);
BEGIN
    IF user_id <> actor THEN
        PERFORM authz_internal._require_org(t.org_id, 'org.teams.manage');
        PERFORM authz_internal._check_team_change(team_id, user_id, false);
    END IF;
    DELETE FROM authz.team_members tm
     WHERE tm.team_id = remove_team_member.team_id AND tm.user_id = remove_team_member.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not in team "%"', u.handle, t.name USING ERRCODE = '42704';
    END IF;
END
$$;
COMMENT ON FUNCTION authz.remove_team_member(uuid, uuid) IS
    'Remove a user from a team (needs org.teams.manage, and the rank rules in every workspace where the team participates; anyone may leave)';

CREATE OR REPLACE FUNCTION authz.remove_team(workspace_id uuid, team_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    t authz.teams := authz_internal._team(team_id);
    r authz.roles;
BEGIN
    PERFORM authz_internal._org_workspace(workspace_id);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', NULL, NULL);
    SELECT x.* INTO r FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
     WHERE p.workspace_id = remove_team.workspace_id AND p.team_id = remove_team.team_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team "%" is not a participant of workspace "%"',
            t.name, authz_internal._workspace_label(workspace_id) USING ERRCODE = '42704';
    END IF;
    IF r.rank > authz_internal._rank(authz_internal._actor(), workspace_id) THEN
        RAISE EXCEPTION 'cannot remove team "%" (role "%", rank %) which ranks above you in workspace "%"',
            t.name, r.name, r.rank, authz_internal._workspace_label(workspace_id) USING ERRCODE = '42501';
    END IF;
    DELETE FROM authz.participants p
     WHERE p.workspace_id = remove_team.workspace_id AND p.team_id = remove_team.team_id;
END
$$;
COMMENT ON FUNCTION authz.remove_team(uuid, uuid) IS 'Remove a team from a workspace''s participants';

CREATE OR REPLACE FUNCTION authz_internal._project(project_id uuid) RETURNS authz.projects
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authz.projects;
BEGIN
    PERFORM authz_internal._check_id('project_id', project_id);
    SELECT * INTO p FROM authz.projects x WHERE x.id = project_id;
    IF NOT FOUND OR NOT (authz_internal._sees_all() OR authz.can(p.workspace_id, 'workspace.view')
                         OR authz.role_in_project(project_id) IS NOT NULL) THEN
        PERFORM authz_internal._hidden('project', project_id::text);
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION authz_internal._project(uuid) IS
    'Internal: a project row the current user may see (42704 when unknown or not visible)';

CREATE OR REPLACE FUNCTION authz.add_project_member(project_id uuid, user_id uuid, role text,
                                         expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    w authz.workspaces := authz_internal._org_workspace(p.workspace_id);
    r authz.roles;
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    r := authz_internal._role(w.org_id, role);
    PERFORM authz_internal._check_expiry(expires_at, r);
    PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, r);
    PERFORM authz_internal._check_consent(w.org_id, user_id);
    -- an expired membership is gone for every purpose
    DELETE FROM authz.project_members pm
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id AND pm.expires_at <= now();
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id;
    IF FOUND THEN
        -- changing someone's project role: nobody ranked above the actor
        IF current.rank > authz_internal._rank(authz_internal._actor(), p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        -- a new project member: the collaborator policy, and a seat in the
        -- workspace unless they hold one already
        PERFORM authz_internal._check_capacity(p.workspace_id, user_id);
    END IF;
    INSERT INTO authz.project_members (project_id, user_id, role_id, expires_at)
    VALUES (p.id, user_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT project_members_pkey
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_project_member(uuid, uuid, text, timestamptz) IS
    'Give a user a role in a project, until expires_at when given (or change it; needs members.manage in the workspace; a project-only member takes a seat of the workspace''s participant limit; a user from outside the organization who shares none with you must be invited)';

CREATE OR REPLACE FUNCTION authz.remove_project_member(project_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    actor uuid := authz_internal._actor();
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    -- whether someone is a member is told only to who may see the members
    IF NOT (authz_internal._sees_all() OR user_id = actor OR authz.can_project(p.id, 'members.view')) THEN
        PERFORM authz_internal._hidden('user', user_id::text);
    END IF;
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id
       AND (pm.expires_at IS NULL OR pm.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of project "%"', authz_internal._user_label(user_id), p.name
            USING ERRCODE = '42704';
    END IF;
    IF user_id <> actor THEN
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, NULL);
        IF current.rank > authz_internal._rank(actor, p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    END IF;
    DELETE FROM authz.project_members pm WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id;
END
$$;
COMMENT ON FUNCTION authz.remove_project_member(uuid, uuid) IS
    'Remove a user from a project (needs members.manage in the workspace; anyone may leave)';

CREATE OR REPLACE FUNCTION authz_internal._inviter_may_still(i authz.invitations, offered authz.roles) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT u.status = 'active' FROM authz.users u WHERE u.id = i.inviter_id), false)
       AND CASE
           WHEN i.workspace_id IS NOT NULL THEN
               coalesce((SELECT e.permissions OPERATOR(authz.@>) authz.permset(ARRAY['members.manage'])
                                AND e.rank >= coalesce(offered.rank, 0)
                           FROM authz_internal._effective(i.inviter_id, i.workspace_id) e), false)
           ELSE
               EXISTS (SELECT 1 FROM authz.org_role_permissions orp
                        WHERE orp.role = authz_internal._org_role_of(i.org_id, i.inviter_id)
                          AND orp.permission = 'org.members.manage')
               AND authz_internal._org_rank(i.org_role)
                   <= authz_internal._org_rank(authz_internal._org_role_of(i.org_id, i.inviter_id))
               AND coalesce(offered.rank, 0) <= coalesce(authz_internal._org_wide_limit_of(i.org_id, i.inviter_id), 0)
           END
$$;
COMMENT ON FUNCTION authz_internal._inviter_may_still(authz.invitations, authz.roles) IS
    'Internal: whether an invitation''s inviter is still active and still allowed to give the offered roles where it invites to';

CREATE OR REPLACE FUNCTION authz.accept_invitation(token text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    u authz.users := authz_internal._user(actor);
    i authz.invitations;
    r authz.roles;
    have authz.roles;
    m authz.org_members;
    new_role text;
    new_wr uuid;
BEGIN
    IF token IS NULL THEN
        RAISE EXCEPTION 'token must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- The lock makes a second acceptance of the same token wait, then see it used.
    SELECT * INTO i FROM authz.invitations x WHERE x.token_hash = authz_internal._token_hash(token) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invitation not found'
            USING ERRCODE = '42704', HINT = 'Check the link; ask for a new invitation if it still fails.';
    END IF;
    IF i.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation was revoked' USING ERRCODE = '55000';
    END IF;
    IF i.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation was already used' USING ERRCODE = '55000';
    END IF;
    IF i.expires_at <= now() THEN
        RAISE EXCEPTION 'invitation expired at %', i.expires_at
            USING ERRCODE = '55000', HINT = 'Ask for a new invitation.';
    END IF;
    IF authz_internal._fold_email(i.email) COLLATE "C" <> authz_internal._fold_email(u.email) COLLATE "C" THEN
        RAISE EXCEPTION 'invitation was sent to another email address'
            USING ERRCODE = '42501', HINT = 'Sign in as the user it was sent to.';
    END IF;

    -- The offered role as it is now: within the inviter's rank when they invited.
    SELECT * INTO r FROM authz.roles x WHERE x.id = i.role_id;
    IF NOT FOUND AND i.workspace_id IS NOT NULL THEN
        RAISE EXCEPTION 'the role this invitation offered no longer exists' USING ERRCODE = '55000';
    END IF;
    IF r.rank > i.inviter_rank THEN
        RAISE EXCEPTION 'invitation offers role "%" (now rank %), above its inviter''s rank (%) when it was sent',
            r.name, r.rank, i.inviter_rank
            USING ERRCODE = '55000', HINT = 'The role was raised since: ask for a new invitation.';
    END IF;
    -- An invitation gives only what its inviter may still give.
    IF NOT authz_internal._inviter_may_still(i, r) THEN
        RAISE EXCEPTION 'invitation is no longer valid: its inviter may no longer give what it offers'
            USING ERRCODE = '55000',
                  HINT = 'The inviter was deactivated, removed or demoted since: ask for a new invitation.';
    END IF;

    IF i.workspace_id IS NULL THEN
        -- Organization invitation: join, or keep the higher of the two org roles
        -- and of the two org-wide workspace roles.
        SELECT x.* INTO m FROM authz.org_members x WHERE x.org_id = i.org_id AND x.user_id = actor;
        IF NOT FOUND THEN
            -- like add_org_member: the org's default org-wide role unless one was offered
            INSERT INTO authz.org_members (org_id, user_id, role, workspace_role)
            SELECT i.org_id, actor, i.org_role,
                   CASE WHEN i.org_role = 'guest' THEN NULL ELSE coalesce(i.role_id, o.member_workspace_role) END
              FROM authz.orgs o WHERE o.id = i.org_id;
        ELSE
            new_role := CASE WHEN authz_internal._org_rank(i.org_role) > authz_internal._org_rank(m.role) THEN i.org_role ELSE m.role END;
            new_wr := CASE
                WHEN new_role = 'guest' THEN NULL
                -- a guest made a member: as set_org_role, the org's default unless one was offered
                WHEN m.role = 'guest' THEN coalesce(i.role_id, (SELECT o.member_workspace_role FROM authz.orgs o
                                                                 WHERE o.id = i.org_id))
                WHEN r.rank > coalesce((SELECT x.rank FROM authz.roles x WHERE x.id = m.workspace_role), 0) THEN r.id
                ELSE m.workspace_role END;
            IF new_role <> m.role OR new_wr IS DISTINCT FROM m.workspace_role THEN
                UPDATE authz.org_members x SET role = new_role, workspace_role = new_wr
                 WHERE x.org_id = i.org_id AND x.user_id = actor;
            END IF;
        END IF;
    ELSE
        -- Workspace invitation: participate, or keep the higher of the two roles.
        PERFORM authz_internal._purge_expired(i.workspace_id, actor);
        SELECT x.* INTO have FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
         WHERE p.workspace_id = i.workspace_id AND p.user_id = actor;
        IF NOT FOUND THEN
            PERFORM authz_internal._check_capacity(i.workspace_id, actor);
            INSERT INTO authz.participants (workspace_id, user_id, role_id) VALUES (i.workspace_id, actor, r.id);
        ELSIF r.rank > have.rank THEN
            UPDATE authz.participants p SET role_id = r.id, expires_at = NULL
             WHERE p.workspace_id = i.workspace_id AND p.user_id = actor;
        END IF;
    END IF;
    UPDATE authz.invitations x SET accepted_at = now(), accepted_by = actor WHERE x.id = i.id;
    RETURN coalesce(i.workspace_id, i.org_id);
END
$$;
COMMENT ON FUNCTION authz.accept_invitation(text) IS
    'Accept an invitation sent to the current user''s email (ASCII letters matched regardless of case): join the workspace or organization with the offered roles (each kept if already higher; refused with 55000 if the offered role now ranks above the inviter''s rank when inviting, or if the inviter is no longer active or no longer allowed to give it); returns its id';

CREATE OR REPLACE FUNCTION authz.revoke_invitation(invitation_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    i authz.invitations;
BEGIN
    PERFORM authz_internal._check_id('invitation_id', invitation_id);
    SELECT * INTO i FROM authz.invitations x WHERE x.id = invitation_id FOR UPDATE;
    -- an invitation the current user may not see is refused as an unknown one
    IF NOT FOUND OR NOT (i.inviter_id = actor
                         OR CASE WHEN i.workspace_id IS NULL THEN authz.can_org(i.org_id, 'org.members.manage')
                                 ELSE authz.can(i.workspace_id, 'members.manage') END) THEN
        PERFORM authz_internal._hidden('invitation', invitation_id::text);
    END IF;
    IF i.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation "%" was already accepted', invitation_id USING ERRCODE = '55000';
    END IF;
    IF i.revoked_at IS NULL THEN
        UPDATE authz.invitations x SET revoked_at = now(), revoked_by = actor WHERE x.id = i.id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.revoke_invitation(uuid) IS
    'Revoke a pending invitation (its inviter, or whoever manages the members it would join)';

CREATE OR REPLACE FUNCTION authz_internal._visible_user(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _visible_user.user_id AND authz.can_org(m.org_id, 'org.members.view'))
        OR EXISTS (SELECT 1 FROM authz.participants p
                    WHERE p.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                     JOIN authz.participants p ON p.team_id = tm.team_id
                    WHERE tm.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.participant_permissions pp
                    WHERE pp.user_id = _visible_user.user_id AND pp.effect = 'deny'
                      AND authz.can(pp.workspace_id, 'members.view'))
$$;
COMMENT ON FUNCTION authz_internal._visible_user(uuid) IS
    'Policy helper: the current user, members of orgs where they see members, participants (and denied former participants) of workspaces where they see members';

CREATE OR REPLACE FUNCTION authz_internal._may_read_email(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR authz_internal._is_trusted()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _may_read_email.user_id AND authz.can_org(m.org_id, 'org.members.view'))
$$;
COMMENT ON FUNCTION authz_internal._may_read_email(uuid) IS
    'Policy helper: whether the current user may read a user''s e-mail address (themselves, members of their organizations where they see members, trusted roles)';

CREATE OR REPLACE FUNCTION authz.user_email(user_id uuid) RETURNS text
    LANGUAGE sql STABLE STRICT SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.email FROM authz.users u WHERE u.id = user_email.user_id AND authz_internal._may_read_email(u.id)
$$;
COMMENT ON FUNCTION authz.user_email(uuid) IS
    'A user''s e-mail address, or NULL: readable by the user, by members of their organizations who see the members, and by trusted roles';

CREATE OR REPLACE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    src_org uuid;
    dst_org uuid;
    fp text;
    mid bigint;
    available authz.credits;
BEGIN
    PERFORM authz_internal._check_id('from_workspace', from_workspace);
    PERFORM authz_internal._check_id('to_workspace', to_workspace);
    PERFORM authz_internal._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz_internal._check_text('memo', memo, 1000);
    END IF;
    -- unknown and hidden workspaces alike (42704): whether two workspaces
    -- share an organization is told only about workspaces the caller sees
    src_org := (authz_internal._workspace(from_workspace)).org_id;
    dst_org := (authz_internal._workspace(to_workspace)).org_id;
    IF from_workspace = to_workspace THEN
        RAISE EXCEPTION 'cannot transfer credits from workspace "%" to itself', authz_internal._workspace_label(from_workspace)
            USING ERRCODE = '22023';
    END IF;
    IF src_org IS NULL OR dst_org IS DISTINCT FROM src_org THEN
        RAISE EXCEPTION 'workspaces "%" and "%" are not in the same organization',
            authz_internal._workspace_label(from_workspace), authz_internal._workspace_label(to_workspace)
            USING ERRCODE = '22023', HINT = 'Credits move between workspaces of one organization.';
    END IF;
    IF NOT authz.can_org(src_org, 'org.billing.manage') THEN
        PERFORM authz_internal._actor();     -- names a missing or deactivated current user
        PERFORM authz_internal._require_org(src_org, 'org.billing.manage');
    END IF;

    fp := format('transfer %s %s %s %s', from_workspace, to_workspace, amount, coalesce(memo, ''));
    mid := authz_internal._record_movement('transfer', amount, from_workspace, to_workspace, memo, src_org, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(src_org, idempotency_key, fp)).id;
    END IF;
    available := authz_internal._lock_accounts(from_workspace, to_workspace);
    IF available IS NULL OR available < amount THEN
        RAISE EXCEPTION 'insufficient credits in workspace "%": balance %, transfer %',
            authz_internal._workspace_label(from_workspace), available, amount
            USING ERRCODE = '23514', HINT = 'Top the workspace up, or transfer less.';
    END IF;
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)
    VALUES (mid, from_workspace, -amount), (mid, to_workspace, amount);
    UPDATE authz.credit_accounts a
       SET balance = a.balance + CASE WHEN a.workspace_id = from_workspace THEN -amount ELSE amount END,
           updated_at = now()
     WHERE a.workspace_id IN (from_workspace, to_workspace);
    RETURN mid;
END
$$;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never overdraws; returns the movement id; idempotent on its key';

COMMENT ON FUNCTION authz.deny(uuid, uuid, text[], timestamptz) IS
    'Deny a participant permissions whatever their roles say, until expires_at when given (not on owners; replaces grants); the deny outlives the participation until lifted with reset_permissions or grant';

DROP INDEX authz.users_email_key;
CREATE UNIQUE INDEX users_email_key ON authz.users (authz_internal._fold_email(email));
COMMENT ON COLUMN authz.users.email IS 'Email address, unique regardless of the case of its ASCII letters (readable by members of your organizations only)';

ALTER TABLE authz.participant_permissions
    DROP CONSTRAINT participant_permissions_workspace_id_user_id_fkey,
    ADD CONSTRAINT participant_permissions_workspace_id_fkey
        FOREIGN KEY (workspace_id) REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    ADD CONSTRAINT participant_permissions_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES authz.users (id) ON DELETE CASCADE;
COMMENT ON TABLE authz.participant_permissions IS
    'Per-participant grants and denies on top of the role, for user participants (a deny wins over every source); a grant ends with the participation, a deny outlives it until someone who manages the members lifts it';
COMMENT ON COLUMN authz.participant_permissions.user_id IS 'Participating user (a denied user stays denied after leaving)';

CREATE TRIGGER end_grants AFTER DELETE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL)
    EXECUTE FUNCTION authz_internal._participants_end_grants();

REVOKE ALL ON FUNCTION authz_internal._fold_email(text), authz_internal._hidden(text, text),
    authz_internal._sees_all(), authz_internal._check_team_change(uuid, uuid, boolean),
    authz_internal._check_consent(uuid, uuid), authz_internal._participants_end_grants(),
    authz_internal._inviter_may_still(authz.invitations, authz.roles), authz_internal._may_read_email(uuid)
    FROM PUBLIC;

REVOKE SELECT ON authz.users FROM PUBLIC;
GRANT SELECT (id, handle, display_name, pg_role, status, created_at, deactivated_at) ON authz.users TO PUBLIC;

-- Idempotency keys are scoped by actor class as well as by tenant: the keys of
-- the platform's calls (no current user: add_credits, record_usage) and those
-- of the tenant's users (transfer_credits) never collide, so a tenant cannot
-- take the platform's next invoice or metering key.
ALTER TABLE authz.credit_movements
    ADD COLUMN by_platform boolean NOT NULL GENERATED ALWAYS AS (actor_id IS NULL) STORED;
ALTER TABLE authz.credit_movements DROP CONSTRAINT credit_movements_key;
ALTER TABLE authz.credit_movements
    ADD CONSTRAINT credit_movements_key UNIQUE (tenant_id, by_platform, idempotency_key);

COMMENT ON COLUMN authz.credit_movements.idempotency_key IS
    'Caller''s key, unique in the tenant and actor class: a retry with it returns this movement and moves nothing';

COMMENT ON COLUMN authz.credit_movements.by_platform IS
    'Actor class of its idempotency key: made by the platform (no current user), not by a user of the tenant';

COMMENT ON CONSTRAINT credit_movements_key ON authz.credit_movements IS
    'An idempotency key makes one movement per tenant and actor class (keys in other tenants, and the platform''s keys and the tenant users'' keys, are others; NULL keys never conflict)';

CREATE OR REPLACE FUNCTION authz_internal._replay(tenant_id uuid, idempotency_key text, fingerprint text) RETURNS authz.credit_movements
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.credit_movements;
BEGIN
    SELECT * INTO m FROM authz.credit_movements x
     WHERE x.tenant_id = _replay.tenant_id AND x.idempotency_key = _replay.idempotency_key
       AND x.by_platform = (authz.current_user_id() IS NULL);
    IF FOUND AND m.fingerprint <> _replay.fingerprint THEN
        RAISE EXCEPTION 'idempotency key "%" was already used with other arguments', idempotency_key
            USING ERRCODE = '23505', HINT = 'Use a new key for a new movement.';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION authz_internal._replay(uuid, text, text) IS
    'Internal: the movement already made in a tenant with an idempotency key by the caller''s actor class (23505 when its arguments differ)';

COMMENT ON FUNCTION authz_internal._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb) IS
    'Internal: insert a movement before any account is locked; NULL when its idempotency key was already used in its tenant by its actor class';

-- Rate cards are the platform's: set by trusted roles acting for the platform,
-- read by the organizations.

CREATE OR REPLACE FUNCTION authz.set_rate_card(org_id uuid, cpu_hour authz.credits DEFAULT '0.1',
                                    memory_gib_hour authz.credits DEFAULT '0.025',
                                    storage_gb_month authz.credits DEFAULT '0.025')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    -- Prices are the platform's: tenants read their rate card, never set it.
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied: rate cards are set by the platform'
            USING ERRCODE = '42501',
                  HINT = 'A trusted role with no user asserted (the billing system) sets prices; organizations read theirs in authz.rate_cards.';
    END IF;
    PERFORM authz_internal._org(org_id);
    IF cpu_hour IS NULL OR memory_gib_hour IS NULL OR storage_gb_month IS NULL THEN
        RAISE EXCEPTION 'rates must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hour < '0' OR memory_gib_hour < '0' OR storage_gb_month < '0' THEN
        RAISE EXCEPTION 'rates must not be negative' USING ERRCODE = '22023';
    END IF;
    INSERT INTO authz.rate_cards AS r (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    VALUES (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    ON CONFLICT ON CONSTRAINT rate_cards_pkey DO UPDATE
       SET cpu_hour = EXCLUDED.cpu_hour, memory_gib_hour = EXCLUDED.memory_gib_hour,
           storage_gb_month = EXCLUDED.storage_gb_month, updated_at = now();
END
$$;
COMMENT ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) IS
    'Set an organization''s usage prices per CPU-hour, GiB-hour and GB-month (trusted roles acting for the platform: the billing system)';
REVOKE ALL ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) TO workspace_authz_trusted;

-- The change feed is the audit log. NOTIFY workspace_authz is an opt-in
-- wake-up with an empty payload (setting workspace_authz.notify), so model
-- changes can be prepared for two-phase commit and LISTEN reveals nothing.

CREATE OR REPLACE FUNCTION authz_internal._audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    r jsonb := coalesce(new_row, old_row);
    key text;
    org uuid;
    ws uuid;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;    -- the row locks of the owner and capacity checks change nothing
    END IF;
    -- A row created before this transaction is being loaded by a restore: its
    -- history is in the restored log already. (The extension's functions
    -- insert with DEFAULT now(); application roles cannot insert at all.)
    IF TG_OP = 'INSERT'
       AND coalesce(new_row ->> 'created_at', new_row ->> 'updated_at')::timestamptz < now() THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        key := CASE WHEN i = 0 THEN '' ELSE key || '/' END || coalesce(r ->> TG_ARGV[i], '');
    END LOOP;

    CASE TG_TABLE_NAME
        WHEN 'orgs' THEN org := r ->> 'id';
        WHEN 'workspaces' THEN ws := r ->> 'id'; org := r ->> 'org_id';
        WHEN 'credit_movements' THEN ws := coalesce(r ->> 'from_workspace', r ->> 'to_workspace');
        WHEN 'team_members' THEN SELECT t.org_id INTO org FROM authz.teams t WHERE t.id = (r ->> 'team_id')::uuid;
        WHEN 'role_permissions' THEN SELECT x.org_id INTO org FROM authz.roles x WHERE x.id = (r ->> 'role_id')::uuid;
        WHEN 'project_members' THEN
            SELECT p.workspace_id INTO ws FROM authz.projects p WHERE p.id = (r ->> 'project_id')::uuid;
            IF NOT FOUND THEN
                -- deleted by the same cascade: the project's own audit rows know
                SELECT a.workspace_id INTO ws FROM authz.audit_log a
                 WHERE a.target = r ->> 'project_id' AND a.action LIKE 'projects.%' ORDER BY a.id DESC LIMIT 1;
            END IF;
        ELSE org := r ->> 'org_id'; ws := r ->> 'workspace_id';
    END CASE;
    IF org IS NULL AND ws IS NOT NULL THEN
        SELECT w.org_id INTO org FROM authz.workspaces w WHERE w.id = ws;
        IF NOT FOUND THEN
            -- the workspace went in the same cascade: its audit history knows its org
            SELECT a.org_id INTO org FROM authz.audit_log a
             WHERE a.workspace_id = ws AND a.org_id IS NOT NULL ORDER BY a.id DESC LIMIT 1;
        END IF;
    END IF;

    INSERT INTO authz.audit_log (actor_id, action, org_id, workspace_id, target, before, after)
    VALUES (authz.current_user_id(), TG_TABLE_NAME || '.' || lower(TG_OP), org, ws, coalesce(key, ''),
            old_row, new_row);

    -- The wake-up is opt-in: NOTIFY makes a transaction impossible to
    -- PREPARE, and every role may LISTEN. It carries nothing (notifications
    -- with one payload are folded into one per transaction): what changed is
    -- read from this log, which shows each reader only what they may see.
    IF TG_TABLE_NAME NOT IN ('credit_movements', 'rate_cards', 'invitations')
       AND coalesce(current_setting('workspace_authz.notify', true), 'off')::boolean THEN
        PERFORM pg_notify('workspace_authz', '');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._audit() IS
    'Internal trigger: write an audit row for a change, and with workspace_authz.notify on send an empty wake-up on channel workspace_authz for model changes';

-- Partitioned tables: authz.protect protects every partition, at every depth,
-- and an event trigger protects the partitions created or attached later;
-- authz.unprotect undoes it all.

-- Is the table protected, i.e. does it carry authz.protect's policies?
CREATE FUNCTION authz_internal._is_protected(tbl regclass) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_policy x
                    WHERE x.polrelid = tbl
                      AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete'))
$$;
COMMENT ON FUNCTION authz_internal._is_protected(regclass) IS
    'Internal: does the table carry the policies authz.protect creates?';

-- A partition gets its parent's policies, as they are, and row-level
-- security: read directly, it shows and accepts what the parent would.
-- Runs as the caller, who owns the partition.
CREATE FUNCTION authz_internal._protect_partition(part regclass, parent regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = part) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'partition "%" of protected table "%" cannot be protected', part, parent
            USING ERRCODE = '42809',
                  DETAIL = 'Row-level security applies to tables and partitioned tables only.',
                  HINT = 'Keep foreign tables out of protected partitioned tables.';
    END IF;
    PERFORM authz_internal._drop_policies(part);
    FOR p IN SELECT x.polname, x.polpermissive,
                    CASE x.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
                    (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE quote_ident(a.rolname) END, ', ')
                       FROM unnest(x.polroles) r(oid) LEFT JOIN pg_roles a ON a.oid = r.oid) AS roles,
                    pg_get_expr(x.polqual, x.polrelid) AS qual,
                    pg_get_expr(x.polwithcheck, x.polrelid) AS with_check,
                    obj_description(x.oid, 'pg_policy') AS comment
               FROM pg_policy x
              WHERE x.polrelid = parent
                AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete')
              ORDER BY x.polname
    LOOP
        EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, part,
                       CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, p.cmd, p.roles,
                       ' USING (' || p.qual || ')', ' WITH CHECK (' || p.with_check || ')');
        EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', p.polname, part, p.comment);
    END LOOP;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', part);
END
$$;
COMMENT ON FUNCTION authz_internal._protect_partition(regclass, regclass) IS
    'Internal: give a partition the policies authz.protect created on its parent, and enable RLS on it (runs as the caller)';

-- Partitions of a protected table are protected with it, whenever and however
-- they come: CREATE TABLE ... PARTITION OF, ALTER TABLE ... ATTACH PARTITION,
-- at any depth. A partition of a protected table found without row-level
-- security at the end of a command (new, attached, or disabled by hand) gets
-- its parent's policies. Runs as the role running the command, who owns the
-- tables (or the command fails, and nothing is left open).
CREATE FUNCTION authz_internal._protect_new_partitions() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cmd record;
    r record;
BEGIN
    FOR cmd IN SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
                WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'foreign table')
    LOOP
        FOR r IN SELECT t.relid, t.parentrelid FROM pg_partition_tree(cmd.objid) t
                  WHERE t.parentrelid IS NOT NULL ORDER BY t.level
        LOOP
            IF NOT (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = r.relid)
               AND authz_internal._is_protected(r.parentrelid) THEN
                PERFORM authz_internal._protect_partition(r.relid, r.parentrelid);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz_internal._protect_new_partitions() IS
    'Internal event trigger: a partition of a protected table never stays without its parent''s policies and row-level security';

CREATE EVENT TRIGGER workspace_authz_partitions ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE FOREIGN TABLE')
    EXECUTE FUNCTION authz_internal._protect_new_partitions();
COMMENT ON EVENT TRIGGER workspace_authz_partitions IS
    'Partitions created in or attached to a protected table, at any depth, are protected as their parent';

REVOKE ALL ON FUNCTION authz_internal._is_protected(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._protect_partition(regclass, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._protect_new_partitions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz_internal._is_protected(regclass),
    authz_internal._protect_partition(regclass, regclass) TO PUBLIC;

CREATE OR REPLACE FUNCTION authz.protect(tbl regclass, workspace_column name DEFAULT 'workspace_id',
                              read_permission text DEFAULT 'content.read',
                              write_permission text DEFAULT 'content.update',
                              insert_permission text DEFAULT 'content.create',
                              delete_permission text DEFAULT 'content.delete',
                              scope text DEFAULT 'workspace')
    RETURNS void LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    att record;
    p text;
    pscope text;
    kind "char";
    check_fn text;
    part record;
BEGIN
    IF scope IS NULL OR scope NOT IN ('workspace', 'project') THEN
        RAISE EXCEPTION 'invalid scope: "%"', scope
            USING ERRCODE = '22023', HINT = 'Rows are keyed by a workspace or by a project.';
    END IF;
    check_fn := CASE scope WHEN 'workspace' THEN 'authz.can' ELSE 'authz.can_project' END;
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF workspace_column IS NULL THEN
        RAISE EXCEPTION 'workspace column must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    -- Rows of a partition are read and written through its parents too: the
    -- partition tree is protected from its root, as one.
    IF (SELECT c.relispartition FROM pg_class c WHERE c.oid = tbl) THEN
        RAISE EXCEPTION '"%" is a partition of "%"', tbl, pg_partition_root(tbl)
            USING ERRCODE = '42809',
                  DETAIL = 'Its rows are also read and written through the partitioned table.',
                  HINT = format('Protect the partitioned table %s: its partitions are protected with it.',
                                pg_partition_root(tbl));
    END IF;
    IF EXISTS (SELECT 1 FROM pg_partition_tree(tbl) t JOIN pg_class c ON c.oid = t.relid
                WHERE c.relkind NOT IN ('r', 'p')) THEN
        RAISE EXCEPTION 'partitioned table "%" has partitions that cannot be protected', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Row-level security applies to tables and partitioned tables only.',
                  HINT = 'Keep foreign tables out of protected partitioned tables.';
    END IF;
    SELECT a.attnum, a.atttypid INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = workspace_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', workspace_column, tbl
            USING ERRCODE = '42703';
    END IF;
    IF att.atttypid <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "%" of relation "%" must be of type uuid, not %',
            workspace_column, tbl, att.atttypid::regtype USING ERRCODE = '42804';
    END IF;
    FOREACH p IN ARRAY ARRAY[read_permission, write_permission, insert_permission, delete_permission] LOOP
        IF p IS NULL THEN
            RAISE EXCEPTION 'permissions must not be NULL' USING ERRCODE = '22004';
        END IF;
        SELECT x.scope INTO pscope FROM authz.permissions x WHERE x.name = p;
        IF pscope IS NULL THEN
            RAISE EXCEPTION 'permission "%" does not exist', p
                USING ERRCODE = '42704', HINT = 'Register it with authz.define_permission().';
        ELSIF pscope <> 'workspace' THEN
            RAISE EXCEPTION 'permission "%" is an org permission, not a workspace permission', p
                USING ERRCODE = '22023', HINT = 'Rows are protected with workspace permissions.';
        END IF;
    END LOOP;

    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    PERFORM authz_internal._drop_policies(tbl);
    EXECUTE format('CREATE POLICY authz_select ON %s FOR SELECT USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, read_permission);
    EXECUTE format('CREATE POLICY authz_insert ON %s FOR INSERT WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, insert_permission);
    EXECUTE format('CREATE POLICY authz_update ON %s FOR UPDATE USING (%s(%I, %L)) WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, write_permission, check_fn, workspace_column, write_permission);
    EXECUTE format('CREATE POLICY authz_delete ON %s FOR DELETE USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, delete_permission);
    EXECUTE format('COMMENT ON POLICY authz_select ON %s IS %L', tbl, 'workspace_authz: read needs ' || read_permission);
    EXECUTE format('COMMENT ON POLICY authz_insert ON %s IS %L', tbl, 'workspace_authz: insert needs ' || insert_permission);
    EXECUTE format('COMMENT ON POLICY authz_update ON %s IS %L', tbl, 'workspace_authz: update needs ' || write_permission);
    EXECUTE format('COMMENT ON POLICY authz_delete ON %s IS %L', tbl, 'workspace_authz: delete needs ' || delete_permission);
    -- Every partition, at every depth, as its parent (those created or
    -- attached later too: see authz_internal._protect_new_partitions).
    FOR part IN SELECT t.relid, t.parentrelid FROM pg_partition_tree(tbl) t
                 WHERE t.parentrelid IS NOT NULL ORDER BY t.level
    LOOP
        PERFORM authz_internal._protect_partition(part.relid, part.parentrelid);
    END LOOP;

    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tbl AND i.indkey[0] = att.attnum) THEN
        RAISE NOTICE 'no index on "%" starts with column "%"', tbl, workspace_column
            USING HINT = format('CREATE INDEX ON %s (%I) lets selective queries use an index scan.',
                                tbl, workspace_column);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.protect(regclass, name, text, text, text, text, text) IS
    'Enable RLS on a table keyed by workspace (or, with scope => ''project'', by project), one policy per command checking authz.can (or authz.can_project); a partitioned table with all its partitions, present and future; idempotent; table owner only';

CREATE OR REPLACE FUNCTION authz.unprotect(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
    parent regclass;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    SELECT i.inhparent INTO parent FROM pg_inherits i
     WHERE i.inhrelid = tbl AND (SELECT c.relispartition FROM pg_class c WHERE c.oid = tbl);
    IF parent IS NOT NULL AND authz_internal._is_protected(parent) THEN
        RAISE EXCEPTION '"%" is a partition of protected table "%"', tbl, parent
            USING ERRCODE = '42809',
                  DETAIL = 'The partitions of a protected table are protected as it is.',
                  HINT = format('Unprotect the partitioned table %s, or detach the partition first.',
                                pg_partition_root(tbl));
    END IF;
    -- The table first, then its partitions from the top: none is ever left
    -- without row-level security under a parent that still has the policies.
    FOR rel IN SELECT x.relid FROM (SELECT tbl AS relid, 0 AS level
                                    UNION ALL
                                    SELECT t.relid, t.level FROM pg_partition_tree(tbl) t
                                     WHERE t.parentrelid IS NOT NULL) x
                ORDER BY x.level
    LOOP
        PERFORM authz_internal._drop_policies(rel);
        IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = rel)
           AND (SELECT c.relkind FROM pg_class c WHERE c.oid = rel) IN ('r', 'p') THEN
            EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', rel);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz.unprotect(regclass) IS
    'Drop the policies authz.protect created, on the table and its partitions; RLS is disabled again on each unless other policies remain';

-- Cache invalidation and the append-only rule hold for every writer: also
-- for logical replication's apply workers and for sessions that set
-- session_replication_role = replica (restores), where ordinary triggers do
-- not fire. Apply workers fire row triggers only, never statement triggers:
-- a row trigger enabled for replica mode only invalidates the caches there.
-- (The audit trigger stays an ordinary one: a subscriber receives the
-- publisher's audit rows, and a restore loads the log as it was.)
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT g.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger g
              WHERE g.tgname = 'invalidate_cache'
                AND g.tgrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                                   WHERE c.relnamespace = 'authz'::regnamespace)
              ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache_replica AFTER INSERT OR UPDATE OR DELETE ON %s'
            ' FOR EACH ROW EXECUTE FUNCTION authz_internal._invalidate_cache()', t.rel);
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE REPLICA TRIGGER invalidate_cache_replica', t.rel);
        EXECUTE pg_catalog.format(
            'COMMENT ON TRIGGER invalidate_cache_replica ON %s IS %L', t.rel,
            'Changes applied in replica mode (logical replication fires no statement triggers) invalidate every cache');
    END LOOP;
    FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_catalog.pg_trigger g
              WHERE g.tgrelid IN (SELECT c.oid FROM pg_catalog.pg_class c
                                   WHERE c.relnamespace = 'authz'::regnamespace)
                AND g.tgname IN ('invalidate_cache', 'append_only', 'append_only_truncate')
              ORDER BY 2, 1
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.rel, t.tgname);
    END LOOP;
END
$$;

-- Partitions of tables protected before this version get their parent's
-- policies now.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.relid, t.parentrelid
               FROM pg_catalog.pg_class c, LATERAL pg_catalog.pg_partition_tree(c.oid) t
              WHERE c.relkind = 'p' AND NOT c.relispartition AND authz_internal._is_protected(c.oid)
                AND t.parentrelid IS NOT NULL
              ORDER BY c.oid, t.level
    LOOP
        IF NOT (SELECT x.relrowsecurity FROM pg_catalog.pg_class x WHERE x.oid = r.relid) THEN
            PERFORM authz_internal._protect_partition(r.relid, r.parentrelid);
        END IF;
    END LOOP;
END
$$;

-- Acting for a user: once a user is asserted (authz.set_user, or JWT claims in
-- JWT mode), every function answers and acts for that user; the platform
-- powers of a trusted role apply only when no user is asserted. A deactivated
-- user is no current user. authz.acting_for_platform() tells which applies;
-- the functions for trusted roles refuse while a user is asserted.
COMMENT ON FUNCTION authz_internal._is_trusted() IS
    'Internal: the calling role (outside SECURITY DEFINER) is a superuser or may execute authz.set_user, and asserts no user';

CREATE FUNCTION authz.acting_for_platform() RETURNS boolean
    AS 'MODULE_PATHNAME', 'identity_is_trusted' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz.acting_for_platform() IS
    'Does the calling role act for the platform: trusted (a superuser, or may execute authz.set_user) and asserting no user?';

CREATE FUNCTION authz_internal._claimed_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'identity_claimed_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal._claimed_user_id() IS
    'Internal: the user the session claims to be (asserted, JWT claim or login role), even when deactivated';

-- The platform powers of a trusted role apply only while it asserts no user.
CREATE FUNCTION authz_internal._require_platform(what text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to %: only a trusted role acting for no user may', what
            USING ERRCODE = '42501',
                  DETAIL = 'Once a user is asserted, every function acts for that user; the platform powers of a trusted role apply only when no user is asserted.',
                  HINT = 'Clear the asserted user with authz.set_user(NULL) first.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION authz_internal._require_platform(text) IS
    'Internal: refuse (42501) unless the caller acts for the platform (trusted, no user asserted); true otherwise';

REVOKE ALL ON FUNCTION authz_internal._claimed_user_id() FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._require_platform(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authz_internal._actor() RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid uuid := authz.current_user_id();
    claimed uuid;
    st text;
    h text;
BEGIN
    IF uid IS NOT NULL THEN
        RETURN uid;
    END IF;
    claimed := authz_internal._claimed_user_id();
    IF claimed IS NULL THEN
        RAISE EXCEPTION 'no authz user is set for this session'
            USING ERRCODE = '42501',
                  HINT = 'A trusted role calls authz.set_user(), or authz.users.pg_role maps the login role to a user.';
    END IF;
    SELECT u.status, u.handle INTO st, h FROM authz.users u WHERE u.id = claimed;
    IF st IS NULL THEN
        RAISE EXCEPTION 'current user "%" does not exist', claimed USING ERRCODE = '42501';
    END IF;
    RAISE EXCEPTION 'user "%" is deactivated', h USING ERRCODE = '42501';
END
$$;

CREATE OR REPLACE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._require_platform('create users');
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE lower(u.email) = lower(create_user.email)) THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    INSERT INTO authz.users (handle, email, display_name, pg_role)
    VALUES (handle, email, display_name, pg_role)
    RETURNING id INTO uid;
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;

CREATE OR REPLACE FUNCTION authz.map_login_role(user_id uuid, pg_role name) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users := authz_internal._user(user_id);
    other text;
BEGIN
    PERFORM authz_internal._require_platform('map login roles');
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT x.handle INTO other FROM authz.users x
         WHERE x.pg_role = map_login_role.pg_role AND x.id <> map_login_role.user_id;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;
    UPDATE authz.users x SET pg_role = map_login_role.pg_role WHERE x.id = u.id;
END
$$;

CREATE OR REPLACE FUNCTION authz.define_permission(name text, description text DEFAULT NULL, roles text[] DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    existing authz.permissions;
    free_bit integer;
    holders text[];
BEGIN
    PERFORM authz_internal._require_platform('register permissions');
    PERFORM authz_internal._check_text('permission name', name, 63, '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$',
        'A permission name is dot-separated lower-case words, e.g. pipelines.launch.');
    IF description IS NOT NULL THEN
        PERFORM authz_internal._check_text('description', description, 1000);
    END IF;
    IF roles IS NULL OR EXISTS (SELECT 1 FROM unnest(roles) r WHERE r IS NULL OR r NOT IN ('member', 'viewer')) THEN
        RAISE EXCEPTION 'invalid roles for permission "%": %', name, coalesce(roles::text, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Owners and admins always hold registered permissions; list member and/or viewer to add them.';
    END IF;
    -- Owners and admins hold every workspace permission but workspace.delete.
    holders := ARRAY(SELECT DISTINCT r FROM unnest('{owner,admin}'::text[] || roles) r);

    -- One registration at a time: bit numbers are allocated here.
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO existing FROM authz.permissions p WHERE p.name = define_permission.name;
    IF FOUND THEN
        IF existing.builtin THEN
            RAISE EXCEPTION 'built-in permission "%" cannot be redefined', name USING ERRCODE = '42501';
        END IF;
        UPDATE authz.permissions p SET description = define_permission.description
         WHERE p.name = define_permission.name;
    ELSE
        SELECT min(b) INTO free_bit FROM generate_series(0, 255) b
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = b);
        IF free_bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
                USING ERRCODE = '54000';
        END IF;
        INSERT INTO authz.permissions (name, bit, scope, description)
        VALUES (name, free_bit, 'workspace', description);
    END IF;
    -- The built-in roles that hold it: exactly the requested ones.
    DELETE FROM authz.role_permissions rp
     WHERE rp.permission = define_permission.name AND rp.role_id IN (SELECT r.id FROM authz.roles r WHERE r.org_id IS NULL);
    INSERT INTO authz.role_permissions (role_id, permission)
    SELECT r.id, define_permission.name FROM authz.roles r WHERE r.org_id IS NULL AND r.name = ANY (holders);
END
$$;

CREATE OR REPLACE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    fp text;
    mid bigint;
BEGIN
    PERFORM authz_internal._require_platform('add credits');
    PERFORM authz_internal._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz_internal._check_text('memo', memo, 1000);
    END IF;
    fp := format('topup %s %s %s', workspace_id, amount, coalesce(memo, ''));
    mid := authz_internal._record_movement('topup', amount, NULL, workspace_id, memo, tenant, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(tenant, idempotency_key, fp)).id;
    END IF;
    PERFORM authz_internal._lock_accounts(workspace_id);
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, amount);
    UPDATE authz.credit_accounts a SET balance = a.balance + add_credits.amount, updated_at = now()
     WHERE a.workspace_id = add_credits.workspace_id;
    RETURN mid;
END
$$;

CREATE OR REPLACE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
                                   storage_gb_months numeric DEFAULT 0, idempotency_key text DEFAULT NULL)
    RETURNS authz.credits LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    rc authz.rate_cards;
    charge authz.credits;
    fp text;
    mid bigint;
BEGIN
    PERFORM authz_internal._require_platform('record usage');
    IF cpu_hours IS NULL OR memory_gib_hours IS NULL OR storage_gb_months IS NULL THEN
        RAISE EXCEPTION 'usage quantities must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hours < 0 OR memory_gib_hours < 0 OR storage_gb_months < 0 THEN
        RAISE EXCEPTION 'usage quantities must not be negative' USING ERRCODE = '22023';
    END IF;
    IF cpu_hours = 'NaN' OR memory_gib_hours = 'NaN' OR storage_gb_months = 'NaN'
       OR cpu_hours = 'Infinity' OR memory_gib_hours = 'Infinity' OR storage_gb_months = 'Infinity' THEN
        RAISE EXCEPTION 'usage quantities must be finite numbers' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO rc FROM authz.rate_cards r WHERE r.org_id = w.org_id;
    IF NOT FOUND THEN
        rc.cpu_hour := '0.1';
        rc.memory_gib_hour := '0.025';
        rc.storage_gb_month := '0.025';
    END IF;
    charge := authz.usage_charge(cpu_hours, memory_gib_hours, storage_gb_months,
                                 rc.cpu_hour, rc.memory_gib_hour, rc.storage_gb_month);

    -- numerically equal quantities (10, 10.0) are the same arguments
    fp := format('usage %s %s %s %s', workspace_id, trim_scale(cpu_hours), trim_scale(memory_gib_hours),
                 trim_scale(storage_gb_months));
    mid := authz_internal._record_movement('usage', charge, workspace_id, NULL, NULL, tenant, idempotency_key, fp,
        jsonb_build_object(
            'cpu_hours', cpu_hours, 'memory_gib_hours', memory_gib_hours, 'storage_gb_months', storage_gb_months,
            'cpu_hour', rc.cpu_hour::numeric, 'memory_gib_hour', rc.memory_gib_hour::numeric,
            'storage_gb_month', rc.storage_gb_month::numeric));
    IF mid IS NULL THEN
        RETURN (authz_internal._replay(tenant, idempotency_key, fp)).amount;
    END IF;
    -- Usage records what happened: it never fails for lack of funds.
    IF charge <> '0' THEN
        PERFORM authz_internal._lock_accounts(workspace_id);
        INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, -charge);
        UPDATE authz.credit_accounts a SET balance = a.balance - charge, updated_at = now()
         WHERE a.workspace_id = record_usage.workspace_id;
    END IF;
    RETURN charge;
END
$$;

CREATE OR REPLACE FUNCTION authz.verify_ledger()
    RETURNS TABLE (workspace_id uuid, balance authz.credits, ledger_sum authz.credits)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT coalesce(a.workspace_id, l.workspace_id), a.balance, l.total
      FROM authz.credit_accounts a
      FULL JOIN (SELECT e.workspace_id, sum(e.amount) AS total
                   FROM authz.credit_ledger e GROUP BY e.workspace_id) l
        ON l.workspace_id = a.workspace_id
     WHERE authz_internal._require_platform('verify the ledger')
       AND coalesce(a.balance, '0') <> coalesce(l.total, '0')
$$;

ALTER POLICY visible ON authz.audit_log
    USING ((actor_id = authz.current_user_id()
            OR coalesce(authz.can_org(org_id, 'org.update'), false)
            OR coalesce(authz.can(workspace_id, 'workspace.update'), false))
           AND CASE split_part(action, '.', 1)
               WHEN 'credit_movements' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
                                            OR coalesce(authz_internal._visible_credits((after ->> 'from_workspace')::uuid), false)
                                            OR coalesce(authz_internal._visible_credits((after ->> 'to_workspace')::uuid), false)
               WHEN 'rate_cards' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
               ELSE true END
           OR split_part(action, '.', 1) IN ('credit_movements', 'rate_cards')
              AND authz.acting_for_platform());

-- Dump and restore of application data typed authz.permset: a name the restored
-- data meets before its registration is loaded gets a bit at once, and the
-- registration loaded later takes it.
-- Restoring a dump. pg_restore may load an application table whose
-- authz.permset values name application permissions before it loads their
-- registrations (table data is restored in name order, or in parallel). The
-- permset input then reserves a bit for such a name
-- (authz_internal._restore_permission, for a role that may load the registry
-- itself, with row_security off as in every pg_dump script), and the
-- registration loaded later takes that bit: bits are per database, and every
-- stored set was read by name.
CREATE TABLE authz_internal.restored_permissions (
    name text PRIMARY KEY,
    bit  smallint NOT NULL UNIQUE CHECK (bit >= 0 AND bit < 256)
);
COMMENT ON TABLE authz_internal.restored_permissions IS
    'Bits reserved during a restore for permissions that restored data names before their registration is loaded (empty otherwise)';
COMMENT ON COLUMN authz_internal.restored_permissions.name IS 'Permission name, not registered yet';
COMMENT ON COLUMN authz_internal.restored_permissions.bit IS 'The bit the restored data uses for it, which its registration takes';

CREATE FUNCTION authz_internal._restore_permission(name text) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    -- one at a time: a concurrent load of the registry waits, or is waited for
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT p.bit INTO b FROM authz.permissions p WHERE p.name = _restore_permission.name;
    IF NOT FOUND THEN
        SELECT r.bit INTO b FROM authz_internal.restored_permissions r WHERE r.name = _restore_permission.name;
    END IF;
    IF FOUND THEN
        RETURN b;
    END IF;
    SELECT min(x) INTO b FROM generate_series(0, 255) x
     WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
       AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
    IF b IS NULL THEN
        RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
            USING ERRCODE = '54000';
    END IF;
    INSERT INTO authz_internal.restored_permissions VALUES (name, b);
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz_internal._restore_permission(text) IS
    'Internal: during a restore, the bit of a permission that restored data names before its registration is loaded';

-- A registration loaded by a restore takes the bit reserved for its name; one
-- whose bit is reserved for another name takes the lowest free bit.
CREATE FUNCTION authz_internal._permissions_restored() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    DELETE FROM authz_internal.restored_permissions r WHERE r.name = NEW.name RETURNING r.bit INTO b;
    IF b IS NOT NULL THEN
        NEW.bit := b;
    ELSIF EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = NEW.bit) THEN
        SELECT min(x) INTO NEW.bit FROM generate_series(0, 255) x
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
           AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
        IF NEW.bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', NEW.name
                USING ERRCODE = '54000';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION authz_internal._permissions_restored() IS
    'Trigger: a registration takes the bit a restore reserved for its name; a bit reserved for another name becomes the lowest free one';
CREATE TRIGGER restored BEFORE INSERT ON authz.permissions
    FOR EACH ROW EXECUTE FUNCTION authz_internal._permissions_restored();
COMMENT ON TRIGGER restored ON authz.permissions IS
    'Restores: a registration takes the bit restored data already uses for it';
REVOKE ALL ON FUNCTION authz_internal._restore_permission(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._permissions_restored() FROM PUBLIC;

-- Adding people as the platform: add_member and add_project_member, like
-- add_org_member, skip the rank and consent rules for a trusted role acting
-- for the platform (no user asserted).
CREATE OR REPLACE FUNCTION authz.add_member(workspace_id uuid, user_id uuid, role text DEFAULT 'member',
                                 expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
    u authz.users := authz_internal._user(user_id);
    r authz.roles := authz_internal._role(w.org_id, role);
BEGIN
    PERFORM authz_internal._check_expiry(expires_at, r);
    -- A trusted role acting for the platform (no current user) adds anyone;
    -- everyone else under the rank rules, and with the person's consent.
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', NULL, r);
        PERFORM authz_internal._check_consent(w.org_id, user_id);
    END IF;
    PERFORM authz_internal._purge_expired(workspace_id, user_id);
    IF EXISTS (SELECT 1 FROM authz.participants p
                WHERE p.workspace_id = add_member.workspace_id AND p.user_id = add_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already a participant of workspace "%"',
            u.handle, authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '23505', HINT = 'Use authz.set_role() to change their role.';
    END IF;
    PERFORM authz_internal._check_capacity(workspace_id, user_id);
    INSERT INTO authz.participants (workspace_id, user_id, role_id, expires_at)
    VALUES (workspace_id, user_id, r.id, expires_at);
END
$$;
COMMENT ON FUNCTION authz.add_member(uuid, uuid, text, timestamptz) IS
    'Add a user as a participant of a workspace (org members, guests, or collaborators who share an organization with you; others must be invited; trusted roles acting for the platform may add anyone), until expires_at when given';

CREATE OR REPLACE FUNCTION authz.add_project_member(project_id uuid, user_id uuid, role text,
                                         expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    w authz.workspaces := authz_internal._org_workspace(p.workspace_id);
    r authz.roles;
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    r := authz_internal._role(w.org_id, role);
    PERFORM authz_internal._check_expiry(expires_at, r);
    -- as add_member: the platform adds anyone, everyone else under the rules
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, r);
        PERFORM authz_internal._check_consent(w.org_id, user_id);
    END IF;
    -- an expired membership is gone for every purpose
    DELETE FROM authz.project_members pm
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id AND pm.expires_at <= now();
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id;
    IF FOUND THEN
        -- changing someone's project role: nobody ranked above the actor
        IF NOT authz_internal._is_trusted()
           AND current.rank > authz_internal._rank(authz_internal._actor(), p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        -- a new project member: the collaborator policy, and a seat in the
        -- workspace unless they hold one already
        PERFORM authz_internal._check_capacity(p.workspace_id, user_id);
    END IF;
    INSERT INTO authz.project_members (project_id, user_id, role_id, expires_at)
    VALUES (p.id, user_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT project_members_pkey
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_project_member(uuid, uuid, text, timestamptz) IS
    'Give a user a role in a project, until expires_at when given (or change it; needs members.manage in the workspace; a project-only member takes a seat of the workspace''s participant limit; a user from outside the organization who shares none with you must be invited; trusted roles acting for the platform may add anyone)';


-- create_user: the platform's alone, and e-mails compared as _fold_email folds them.
CREATE OR REPLACE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._require_platform('create users');
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u
                WHERE authz_internal._fold_email(u.email) COLLATE "C" = authz_internal._fold_email(create_user.email) COLLATE "C") THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    INSERT INTO authz.users (handle, email, display_name, pg_role)
    VALUES (handle, email, display_name, pg_role)
    RETURNING id INTO uid;
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.create_user(text, text, text, name) IS
    'Create a user and their personal workspace (trusted roles only); pg_role maps a login role to the user';

-- ---------------------------------------------------------------------------
-- Scaling out with Citus: the cluster key, authz.distribute(), and audit rows
-- that name the table also when the trigger fires on a Citus shard
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION authz_internal._audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    r jsonb := coalesce(new_row, old_row);
    key text;
    org uuid;
    ws uuid;
    -- the table's name, also when the trigger fires on a Citus shard of it
    -- (authz.users_102008: see authz.distribute)
    tbl text := pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '');
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;    -- the row locks of the owner and capacity checks change nothing
    END IF;
    -- A row created before this transaction is being loaded by a restore: its
    -- history is in the restored log already. (The extension's functions
    -- insert with DEFAULT now(); application roles cannot insert at all.)
    IF TG_OP = 'INSERT'
       AND coalesce(new_row ->> 'created_at', new_row ->> 'updated_at')::timestamptz < now() THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        key := CASE WHEN i = 0 THEN '' ELSE key || '/' END || coalesce(r ->> TG_ARGV[i], '');
    END LOOP;

    CASE tbl
        WHEN 'orgs' THEN org := r ->> 'id';
        WHEN 'workspaces' THEN ws := r ->> 'id'; org := r ->> 'org_id';
        WHEN 'credit_movements' THEN ws := coalesce(r ->> 'from_workspace', r ->> 'to_workspace');
        WHEN 'team_members' THEN SELECT t.org_id INTO org FROM authz.teams t WHERE t.id = (r ->> 'team_id')::uuid;
        WHEN 'role_permissions' THEN SELECT x.org_id INTO org FROM authz.roles x WHERE x.id = (r ->> 'role_id')::uuid;
        WHEN 'project_members' THEN
            SELECT p.workspace_id INTO ws FROM authz.projects p WHERE p.id = (r ->> 'project_id')::uuid;
            IF NOT FOUND THEN
                -- deleted by the same cascade: the project's own audit rows know
                SELECT a.workspace_id INTO ws FROM authz.audit_log a
                 WHERE a.target = r ->> 'project_id' AND a.action LIKE 'projects.%' ORDER BY a.id DESC LIMIT 1;
            END IF;
        ELSE org := r ->> 'org_id'; ws := r ->> 'workspace_id';
    END CASE;
    IF org IS NULL AND ws IS NOT NULL THEN
        SELECT w.org_id INTO org FROM authz.workspaces w WHERE w.id = ws;
        IF NOT FOUND THEN
            -- the workspace went in the same cascade: its audit history knows its org
            SELECT a.org_id INTO org FROM authz.audit_log a
             WHERE a.workspace_id = ws AND a.org_id IS NOT NULL ORDER BY a.id DESC LIMIT 1;
        END IF;
    END IF;

    INSERT INTO authz.audit_log (actor_id, action, org_id, workspace_id, target, before, after)
    VALUES (authz.current_user_id(), tbl || '.' || lower(TG_OP), org, ws, coalesce(key, ''),
            old_row, new_row);

    -- The wake-up is opt-in: NOTIFY makes a transaction impossible to
    -- PREPARE, and every role may LISTEN. It carries nothing (notifications
    -- with one payload are folded into one per transaction): what changed is
    -- read from this log, which shows each reader only what they may see.
    IF tbl NOT IN ('credit_movements', 'rate_cards', 'invitations')
       AND coalesce(current_setting('workspace_authz.notify', true), 'off')::boolean THEN
        PERFORM pg_notify('workspace_authz', '');
    END IF;
    RETURN NULL;
END
$$;

-- The key under which the coordinator proves to the workers which user it
-- asserted (workspace_authz.user_token). Each installation makes its own;
-- authz.distribute() replicates the coordinator's to every node. Only its
-- owner reads it: the C code reads it directly.
CREATE TABLE authz_internal.cluster_key (
    key bytea NOT NULL CHECK (octet_length(key) >= 32)
);
COMMENT ON TABLE authz_internal.cluster_key IS
    'The secret key that signs the asserted user for the Citus workers (one row; readable by its owner only)';
COMMENT ON COLUMN authz_internal.cluster_key.key IS 'Random key of 32 bytes';
INSERT INTO authz_internal.cluster_key (key)
SELECT pg_catalog.uuid_send(pg_catalog.gen_random_uuid()) || pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
REVOKE ALL ON authz_internal.cluster_key FROM PUBLIC;

CREATE FUNCTION authz_internal._on_worker() RETURNS boolean
    AS 'MODULE_PATHNAME', 'distributed_on_worker' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal._on_worker() IS
    'Internal: is this node a Citus worker? The rule triggers check and audit a change once, where it is made (the coordinator)';

-- Turn the installation into a distributed one (see the README).
CREATE FUNCTION authz.distribute() RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regclass;
    tg record;
    def text;
    cond text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'extension "citus" is not installed in this database'
            USING ERRCODE = '55000', HINT = 'CREATE EXTENSION citus on every node, and add the workers first.';
    END IF;
    IF authz_internal._on_worker() THEN
        RAISE EXCEPTION 'authz.distribute() runs on the coordinator' USING ERRCODE = '55000';
    END IF;
    -- The coordinator holds a copy too: its loaders read it, and the rules run
    -- on it.
    IF NOT EXISTS (SELECT 1 FROM pg_dist_node n WHERE n.groupid = 0) THEN
        RAISE EXCEPTION 'the coordinator is not in the Citus metadata' USING ERRCODE = '55000',
            HINT = 'Run SELECT citus_set_coordinator_host(''host'', port) first.';
    END IF;
    IF NOT pg_has_role(current_user, (SELECT e.extowner FROM pg_extension e WHERE e.extname = 'workspace_authz'), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of extension workspace_authz may distribute it' USING ERRCODE = '42501';
    END IF;
    -- The rule triggers go with the tables to every copy (see below), and
    -- foreign keys between the tables are kept: each table is distributed
    -- after the ones it references.
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
    FOREACH t IN ARRAY ARRAY['authz_internal.cluster_key', 'authz.permissions', 'authz.users', 'authz.orgs',
                             'authz.roles', 'authz.role_permissions', 'authz.org_role_permissions',
                             'authz.org_members', 'authz.workspaces', 'authz.teams', 'authz.team_members',
                             'authz.participants', 'authz.participant_permissions', 'authz.projects',
                             'authz.project_members', 'authz.invitations', 'authz.rate_cards',
                             'authz.credit_accounts', 'authz.credit_movements', 'authz.credit_ledger',
                             'authz.audit_log']::regclass[]
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = t);
        -- A function call, so that the body compiles without Citus.
        EXECUTE 'SELECT pg_catalog.create_reference_table($1)' USING t;
    END LOOP;
    -- A change is checked (last owner, validation, ...) and audited once,
    -- where it is made: the coordinator, whose copy Citus writes in the
    -- session that made the change. The workers apply the same rows to their
    -- copies; there the rule triggers stand aside (their checks would write to
    -- other nodes from a write to a shard, which Citus refuses). Cache
    -- invalidation and the append-only refusals fire on every copy.
    FOR tg IN SELECT x.oid, x.tgname, x.tgrelid::regclass AS rel
                FROM pg_trigger x JOIN pg_class c ON c.oid = x.tgrelid
               WHERE c.relnamespace = 'authz'::regnamespace AND NOT x.tgisinternal AND x.tgenabled = 'O'
                 AND x.tgfoid NOT IN ('authz_internal._invalidate_cache'::regproc, 'authz_internal._append_only'::regproc)
                 AND EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = x.tgrelid)
               ORDER BY 3, 2
    LOOP
        def := pg_get_triggerdef(tg.oid);
        CONTINUE WHEN position('authz_internal._on_worker()' IN def) > 0;
        cond := regexp_match(def, ' WHEN \((.*)\) EXECUTE FUNCTION ');
        IF cond IS NULL THEN
            def := replace(def, ' EXECUTE FUNCTION ', ' WHEN (NOT authz_internal._on_worker()) EXECUTE FUNCTION ');
        ELSE
            def := replace(def, ' WHEN (' || cond[1] || ') EXECUTE FUNCTION ',
                           ' WHEN (NOT authz_internal._on_worker() AND (' || cond[1] || ')) EXECUTE FUNCTION ');
        END IF;
        EXECUTE format('DROP TRIGGER %I ON %s', tg.tgname, tg.rel);
        EXECUTE def;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz.distribute() IS
    'On a Citus coordinator with its workers added: make the extension''s tables reference tables, copied to every node; idempotent; the extension owner only';
REVOKE ALL ON FUNCTION authz.distribute() FROM PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._on_worker() FROM PUBLIC;

-- External identities and JWT mode: users created with a given id
-- (create_user's id), subjects of identity providers mapped to users
-- (authz.user_subjects, map_subject, unmap_subject), read by JWT mode with
-- the claim path in workspace_authz.jwt_claim.
CREATE TABLE authz.user_subjects (
    issuer     text COLLATE "C" NOT NULL,
    subject    text COLLATE "C" NOT NULL,
    user_id    uuid NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_subjects_user_idx ON authz.user_subjects (user_id);
COMMENT ON TABLE authz.user_subjects IS
    'External subjects of identity providers mapped to users (authz.map_subject): in JWT mode a claim naming one resolves to its user';
COMMENT ON COLUMN authz.user_subjects.issuer IS 'The identity provider, as its tokens'' "iss" claim names it';
COMMENT ON COLUMN authz.user_subjects.subject IS 'The provider''s identifier of the person (its tokens'' claim value), compared byte for byte';
COMMENT ON COLUMN authz.user_subjects.user_id IS 'The user the subject is';
COMMENT ON COLUMN authz.user_subjects.created_at IS 'When the subject was mapped';
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authz.user_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._invalidate_cache();
ALTER TABLE authz.user_subjects ENABLE ALWAYS TRIGGER invalidate_cache;
CREATE TRIGGER invalidate_cache_replica AFTER INSERT OR UPDATE OR DELETE ON authz.user_subjects
    FOR EACH ROW EXECUTE FUNCTION authz_internal._invalidate_cache();
ALTER TABLE authz.user_subjects ENABLE REPLICA TRIGGER invalidate_cache_replica;
COMMENT ON TRIGGER invalidate_cache_replica ON authz.user_subjects IS
    'Changes applied in replica mode (logical replication fires no statement triggers) invalidate every cache';
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON authz.user_subjects
    FOR EACH ROW EXECUTE FUNCTION authz_internal._audit('issuer', 'subject');
ALTER TABLE authz.user_subjects ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.user_subjects FOR SELECT USING (user_id = authz.current_user_id());
COMMENT ON POLICY visible ON authz.user_subjects IS 'Your own external subjects';
GRANT SELECT ON authz.user_subjects TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('authz.user_subjects', '');

DROP FUNCTION authz.create_user(text, text, text, name);
CREATE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL, id uuid DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF create_user.id IS NOT NULL AND EXISTS (SELECT 1 FROM authz.users u WHERE u.id = create_user.id) THEN
        RAISE EXCEPTION 'user id "%" is already taken', create_user.id USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u
                WHERE authz_internal._fold_email(u.email) COLLATE "C" = authz_internal._fold_email(create_user.email) COLLATE "C") THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    -- The id may be given: an identity provider's user id (Supabase auth.uid()).
    uid := coalesce(create_user.id, pg_catalog.gen_random_uuid());
    INSERT INTO authz.users (id, handle, email, display_name, pg_role)
    VALUES (uid, handle, email, display_name, pg_role);
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.create_user(text, text, text, name, uuid) IS
    'Create a user and their personal workspace (trusted roles only); pg_role maps a login role to the user; id gives the user an id of your choice (an identity provider''s), else a random one';
REVOKE ALL ON FUNCTION authz.create_user(text, text, text, name, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.create_user(text, text, text, name, uuid) TO workspace_authz_trusted;

-- External subjects (SPEC 12): in JWT mode a claim whose value is an
-- issuer's subject mapped here names the user.
CREATE FUNCTION authz.map_subject(user_id uuid, issuer text, subject text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users;
    other uuid;
BEGIN
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to map subjects: only a trusted role may'
            USING ERRCODE = '42501';
    END IF;
    u := authz_internal._user(user_id);
    PERFORM authz_internal._check_text('issuer', issuer, 1024);
    PERFORM authz_internal._check_text('subject', subject, 1024);
    SELECT s.user_id INTO other FROM authz.user_subjects s
     WHERE s.issuer = map_subject.issuer AND s.subject = map_subject.subject;
    IF other = u.id THEN
        RETURN;
    ELSIF other IS NOT NULL THEN
        RAISE EXCEPTION 'subject "%" of issuer "%" is already mapped to user "%"',
            subject, issuer, authz_internal._user_label(other)
            USING ERRCODE = '23505', HINT = 'Unmap it first with authz.unmap_subject().';
    END IF;
    INSERT INTO authz.user_subjects (issuer, subject, user_id) VALUES (issuer, subject, u.id);
END
$$;
COMMENT ON FUNCTION authz.map_subject(uuid, text, text) IS
    'Map an identity provider''s subject (the "iss" issuer and the claim value, such as auth0|123456) to a user, for JWT mode (trusted roles only); idempotent';
REVOKE ALL ON FUNCTION authz.map_subject(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.map_subject(uuid, text, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.unmap_subject(issuer text, subject text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    IF NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to unmap subjects: only a trusted role may'
            USING ERRCODE = '42501';
    END IF;
    PERFORM authz_internal._check_text('issuer', issuer, 1024);
    PERFORM authz_internal._check_text('subject', subject, 1024);
    DELETE FROM authz.user_subjects s WHERE s.issuer = unmap_subject.issuer AND s.subject = unmap_subject.subject;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION authz.unmap_subject(text, text) IS
    'Remove the mapping of an identity provider''s subject (trusted roles only); true when there was one';
REVOKE ALL ON FUNCTION authz.unmap_subject(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.unmap_subject(text, text) TO workspace_authz_trusted;

-- who_can also returns each user's handle (a new result type: dropped and
-- created again), and shares its candidates with authz.access.
CREATE FUNCTION authz_internal._candidates(workspace_id uuid) RETURNS SETOF uuid
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.personal_user_id FROM authz.workspaces w
     WHERE w.id = _candidates.workspace_id AND w.personal_user_id IS NOT NULL
    UNION
    SELECT p.user_id FROM authz.participants p
     WHERE p.workspace_id = _candidates.workspace_id AND p.user_id IS NOT NULL
    UNION
    SELECT tm.user_id FROM authz.participants p JOIN authz.team_members tm ON tm.team_id = p.team_id
     WHERE p.workspace_id = _candidates.workspace_id
    UNION
    SELECT m.user_id FROM authz.org_members m JOIN authz.workspaces w ON w.org_id = m.org_id
     WHERE w.id = _candidates.workspace_id AND m.role <> 'guest'
$$;
COMMENT ON FUNCTION authz_internal._candidates(uuid) IS
    'Internal: the users who may hold a role in a workspace (personal owner, participants, members of participating teams, non-guest org members)';
REVOKE ALL ON FUNCTION authz_internal._candidates(uuid) FROM PUBLIC;

DROP FUNCTION authz.who_can(uuid, text);
CREATE FUNCTION authz.who_can(workspace_id uuid, permission text)
    RETURNS TABLE (user_id uuid, role text, handle text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._workspace(workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM authz_internal._check_permissions(ARRAY[permission]);
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._require(workspace_id, 'members.view');
    END IF;
    -- Handles as the users table shows them to the caller.
    RETURN QUERY
    SELECT c.uid, e.role,
           CASE WHEN authz_internal._is_trusted() OR authz_internal._visible_user(c.uid) THEN u.handle END
      FROM authz_internal._candidates(who_can.workspace_id) c(uid)
      JOIN authz.users u ON u.id = c.uid,
           LATERAL authz_internal._effective(c.uid, who_can.workspace_id) e
     WHERE e.permissions OPERATOR(authz.@>) authz.permset(ARRAY[permission])
     ORDER BY e.rank DESC, c.uid;
END
$$;
COMMENT ON FUNCTION authz.who_can(uuid, text) IS
    'Every user holding the permission in the workspace, with their effective role and handle (needs members.view there; the handle is NULL for users you may not see in authz.users)';

-- authz.require, and names instead of uuids: user_id, org_id, workspace_id.
-- What application code and the application's SECURITY DEFINER functions
-- call before acting for the current user: a refusal naming the permission.
CREATE FUNCTION authz.require(workspace_id uuid, permission text) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._check_id('workspace_id', workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM authz_internal._actor();
    PERFORM authz_internal._require(workspace_id, permission);
END
$$;
COMMENT ON FUNCTION authz.require(uuid, text) IS
    'Raise 42501 naming the permission unless the current user holds it in the workspace (also for an unknown workspace); returns nothing';

-- A user by handle, or by e-mail address (anything holding "@"). Resolved
-- for trusted roles acting for the platform, for the user themselves, and
-- for who manages the members of an organization the user belongs to; to
-- anyone else an existing user and an unknown one are the same refusal.
CREATE FUNCTION authz.user_id(handle_or_email text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid uuid;
BEGIN
    PERFORM authz_internal._check_text('handle or email', handle_or_email, 254);
    IF strpos(handle_or_email, '@') > 0 THEN
        SELECT u.id INTO uid FROM authz.users u
         WHERE authz_internal._fold_email(u.email) COLLATE "C" = authz_internal._fold_email(handle_or_email) COLLATE "C";
    ELSE
        SELECT u.id INTO uid FROM authz.users u WHERE u.handle = handle_or_email;
    END IF;
    IF uid IS NULL
       OR NOT (authz_internal._sees_all()
               OR uid = authz.current_user_id()
               OR EXISTS (SELECT 1 FROM authz.org_members m
                           WHERE m.user_id = uid AND authz.can_org(m.org_id, 'org.members.manage'))) THEN
        PERFORM authz_internal._hidden('user', handle_or_email);
    END IF;
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.user_id(text) IS
    'A user''s id by handle or e-mail address: for trusted roles, the user themselves, and who holds org.members.manage in an organization of the user (42704 otherwise)';

-- An organization by slug, for its members (and trusted roles).
CREATE FUNCTION authz.org_id(slug text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    oid_ uuid;
BEGIN
    PERFORM authz_internal._check_text('organization slug', slug, 63);
    SELECT o.id INTO oid_ FROM authz.orgs o WHERE o.slug = org_id.slug;
    IF oid_ IS NULL OR NOT (authz_internal._sees_all() OR authz.org_role(oid_) IS NOT NULL) THEN
        PERFORM authz_internal._hidden('organization', slug);
    END IF;
    RETURN oid_;
END
$$;
COMMENT ON FUNCTION authz.org_id(text) IS
    'An organization''s id by slug, for its members and trusted roles (42704 otherwise)';

-- A workspace by path 'org-slug/workspace-name', for who may view it or list
-- the organization's workspaces (and trusted roles). Personal workspaces
-- have no path: authz.personal_workspace() names them.
CREATE FUNCTION authz.workspace_id(path text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    org_slug text;
    ws_name text;
    w authz.workspaces;
BEGIN
    PERFORM authz_internal._check_text('workspace path', path, 127, '^[^/]+/.+$',
        'A workspace path is the organization''s slug and the workspace''s name: ''acme/genomics''.');
    org_slug := split_part(path, '/', 1);
    ws_name := substr(path, length(org_slug) + 2);
    SELECT x.* INTO w FROM authz.workspaces x JOIN authz.orgs o ON o.id = x.org_id
     WHERE o.slug = org_slug AND x.name = ws_name;
    IF w.id IS NULL
       OR NOT (authz_internal._sees_all()
               OR authz.can(w.id, 'workspace.view')
               OR coalesce(authz.can_org(w.org_id, 'org.workspaces.list'), false)) THEN
        PERFORM authz_internal._hidden('workspace', path);
    END IF;
    RETURN w.id;
END
$$;
COMMENT ON FUNCTION authz.workspace_id(text) IS
    'A workspace''s id by path ''org-slug/workspace-name'', for who may view it or list its organization''s workspaces, and trusted roles (42704 otherwise)';

-- Views of who holds what where: authz.my_access and authz.access.
-- The current user's workspaces: each one they may view, with the
-- organization's slug (to its members), their effective role and
-- permissions, and the balance where they may see it.
CREATE VIEW authz.my_access WITH (security_invoker = true) AS
SELECT w.id AS workspace_id,
       CASE WHEN authz.org_role(w.org_id) IS NOT NULL THEN o.slug END AS org,
       w.name AS workspace,
       w.personal_user_id IS NOT NULL AS personal,
       authz.role_in(w.id) AS role,
       authz.permissions_in(w.id) AS permissions,
       CASE WHEN authz.can(w.id, 'billing.view') OR coalesce(authz.can_org(w.org_id, 'org.billing.view'), false)
            THEN coalesce(a.balance, '0'::authz.credits) END AS balance
  FROM pg_catalog.unnest(authz.workspace_array('workspace.view')) AS v(id)
  JOIN authz.workspaces w ON w.id = v.id
  LEFT JOIN authz.orgs o ON o.id = w.org_id
  LEFT JOIN authz.credit_accounts a ON a.workspace_id = w.id;
COMMENT ON VIEW authz.my_access IS
    'The current user''s workspaces: each one they may view, with organization, role, permissions, and balance where they may see it';
COMMENT ON COLUMN authz.my_access.workspace_id IS 'The workspace';
COMMENT ON COLUMN authz.my_access.org IS 'The organization''s slug; NULL for a personal workspace, and for an organization you are not a member of (as a collaborator)';
COMMENT ON COLUMN authz.my_access.workspace IS 'The workspace''s name';
COMMENT ON COLUMN authz.my_access.personal IS 'Whether it is your personal workspace';
COMMENT ON COLUMN authz.my_access.role IS 'Your effective role there (authz.role_in), NULL when you only view it (an open workspace)';
COMMENT ON COLUMN authz.my_access.permissions IS 'Your effective permissions there (authz.permissions_in)';
COMMENT ON COLUMN authz.my_access.balance IS 'The workspace''s credit balance, if you hold billing.view there or org.billing.view in its organization; else NULL';
GRANT SELECT ON authz.my_access TO PUBLIC;

-- Every source of every role in the workspaces where the reader holds
-- members.view (all of them for trusted roles acting for the platform), as
-- authz.explain tells it to that reader: users the reader may not see in
-- authz.users are left out, teams are named to who sees them, and the
-- organization's sources show as "organization" to who does not see its
-- members.
CREATE FUNCTION authz_internal._access()
    RETURNS TABLE (workspace_id uuid, org text, workspace text, user_id uuid, handle text,
                   role text, source text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    platform boolean := authz_internal._is_trusted();
    me uuid := authz.current_user_id();
BEGIN
    IF NOT platform AND me IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH ws AS MATERIALIZED (
        SELECT w.id, w.org_id, w.name FROM authz.workspaces w
         WHERE platform OR w.id = ANY (authz.workspace_array('members.view'))
    ),
    seen AS MATERIALIZED (
        SELECT ws.id, ws.org_id, ws.name, c.uid
          FROM ws CROSS JOIN LATERAL authz_internal._candidates(ws.id) c(uid)
         WHERE platform OR c.uid = me OR authz_internal._visible_user(c.uid)
    )
    SELECT s.id, CASE WHEN platform OR authz.org_role(s.org_id) IS NOT NULL THEN o.slug END, s.name,
           s.uid, u.handle, x.role, x.source
      FROM seen s
      JOIN authz.users u ON u.id = s.uid
      LEFT JOIN authz.orgs o ON o.id = s.org_id
      CROSS JOIN LATERAL authz.explain(s.uid, s.id, 'workspace.view') x
     WHERE x.source NOT IN ('result', 'grant', 'deny', 'no role', 'unknown user', 'deactivated user',
                            'unknown workspace');
END
$$;
COMMENT ON FUNCTION authz_internal._access() IS
    'Internal: the rows of authz.access for the current reader';

CREATE VIEW authz.access WITH (security_invoker = true) AS
SELECT a.workspace_id, a.org, a.workspace, a.user_id, a.handle, a.role, a.source
  FROM authz_internal._access() a;
COMMENT ON VIEW authz.access IS
    'Who holds which role where, one row per source, in the workspaces where you hold members.view (every workspace for trusted roles acting for the platform); sources as authz.explain tells them to you';
COMMENT ON COLUMN authz.access.workspace_id IS 'The workspace';
COMMENT ON COLUMN authz.access.org IS 'The organization''s slug, to its members; NULL for a personal workspace';
COMMENT ON COLUMN authz.access.workspace IS 'The workspace''s name';
COMMENT ON COLUMN authz.access.user_id IS 'The user holding the role';
COMMENT ON COLUMN authz.access.handle IS 'The user''s handle';
COMMENT ON COLUMN authz.access.role IS 'The role this source gives; NULL for an open workspace''s view right, and for an organization''s sources shown as "organization"';
COMMENT ON COLUMN authz.access.source IS 'Where the role comes from, as authz.explain names it: personal, participant, team <name>, org-wide role, org admin, shared workspace, open workspace, organization';
GRANT SELECT ON authz.access TO PUBLIC;
REVOKE ALL ON FUNCTION authz_internal._access() FROM PUBLIC;
-- authz.access reads through it; it shows each reader only what they may see.
GRANT EXECUTE ON FUNCTION authz_internal._access() TO PUBLIC;

-- org_credit_summary lists the workspaces by name, then the total.
CREATE OR REPLACE FUNCTION authz.org_credit_summary(org_id uuid, since timestamptz DEFAULT '-infinity',
                                         until timestamptz DEFAULT 'infinity')
    RETURNS TABLE (workspace_id uuid, workspace text, balance authz.credits, topups authz.credits,
                   transfers_in authz.credits, transfers_out authz.credits, usage authz.credits)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._org(org_id);
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._require_org(org_id, 'org.billing.view');
    END IF;
    IF since IS NULL OR until IS NULL THEN
        RAISE EXCEPTION 'period bounds must not be NULL' USING ERRCODE = '22004';
    END IF;
    RETURN QUERY
    WITH per_ws AS (
        SELECT w.id, w.name, coalesce(a.balance, '0') AS balance,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'topup'
                            AND m.created_at >= since AND m.created_at < until), '0') AS topups,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_in,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_out,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'usage'
                            AND m.created_at >= since AND m.created_at < until), '0') AS used
          FROM authz.workspaces w LEFT JOIN authz.credit_accounts a ON a.workspace_id = w.id
         WHERE w.org_id = org_credit_summary.org_id
    )
    SELECT s.id, s.name, s.balance, s.topups, s.t_in, s.t_out, s.used
      FROM (SELECT p.id, p.name, p.balance, p.topups, p.t_in, p.t_out, p.used, false AS total FROM per_ws p
            UNION ALL
            SELECT NULL, '(organization total)', coalesce(sum(p.balance), '0'), coalesce(sum(p.topups), '0'),
                   coalesce(sum(p.t_in), '0'), coalesce(sum(p.t_out), '0'), coalesce(sum(p.used), '0'), true
              FROM per_ws p) s
     ORDER BY s.total, s.name, s.id;
END
$$;
COMMENT ON FUNCTION authz.org_credit_summary(uuid, timestamptz, timestamptz) IS
    'Per workspace of an organization, by name: balance, and top-ups, transfers and usage over [since, until); then the organization total (needs org.billing.view)';

-- create_user with an id of yours, the platform's alone, e-mails folded in ASCII.
CREATE OR REPLACE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL, id uuid DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz_internal._require_platform('create users');
    PERFORM authz_internal._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('display name', display_name, 200);
    END IF;
    IF create_user.id IS NOT NULL AND EXISTS (SELECT 1 FROM authz.users u WHERE u.id = create_user.id) THEN
        RAISE EXCEPTION 'user id "%" is already taken', create_user.id USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u
                WHERE authz_internal._fold_email(u.email) COLLATE "C" = authz_internal._fold_email(create_user.email) COLLATE "C") THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz_internal._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    -- The id may be given: an identity provider's user id (Supabase auth.uid()).
    uid := coalesce(create_user.id, pg_catalog.gen_random_uuid());
    INSERT INTO authz.users (id, handle, email, display_name, pg_role)
    VALUES (uid, handle, email, display_name, pg_role);
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.create_user(text, text, text, name, uuid) IS
    'Create a user and their personal workspace (trusted roles only); pg_role maps a login role to the user; id gives the user an id of your choice (an identity provider''s), else a random one';


-- Project members are visible to who sees the members of the project's workspace,
-- so its owners and admins can change or end a collaborator's project role.
CREATE OR REPLACE FUNCTION authz_internal._visible_user(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _visible_user.user_id AND authz.can_org(m.org_id, 'org.members.view'))
        OR EXISTS (SELECT 1 FROM authz.participants p
                    WHERE p.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                     JOIN authz.participants p ON p.team_id = tm.team_id
                    WHERE tm.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.participant_permissions pp
                    WHERE pp.user_id = _visible_user.user_id AND pp.effect = 'deny'
                      AND authz.can(pp.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.project_members pm JOIN authz.projects pr ON pr.id = pm.project_id
                    WHERE pm.user_id = _visible_user.user_id AND authz.can(pr.workspace_id, 'members.view'))
$$;
COMMENT ON FUNCTION authz_internal._visible_user(uuid) IS
    'Policy helper: the current user, members of orgs where they see members, participants (and denied former participants) of workspaces where they see members, and members of those workspaces'' projects';



-- add_project_member: changing the role of someone already in the project needs
-- no new consent.
CREATE OR REPLACE FUNCTION authz.add_project_member(project_id uuid, user_id uuid, role text,
                                         expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz_internal._project(project_id);
    w authz.workspaces := authz_internal._org_workspace(p.workspace_id);
    r authz.roles;
    current authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    r := authz_internal._role(w.org_id, role);
    PERFORM authz_internal._check_expiry(expires_at, r);
    -- as add_member: the platform adds anyone, everyone else under the rules,
    -- and someone new to the project with their consent
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._check_ranks(p.workspace_id, 'members.manage', NULL, r);
        IF NOT EXISTS (SELECT 1 FROM authz.project_members pm
                        WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id) THEN
            PERFORM authz_internal._check_consent(w.org_id, user_id);
        END IF;
    END IF;
    -- an expired membership is gone for every purpose
    DELETE FROM authz.project_members pm
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id AND pm.expires_at <= now();
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id;
    IF FOUND THEN
        -- changing someone's project role: nobody ranked above the actor
        IF NOT authz_internal._is_trusted()
           AND current.rank > authz_internal._rank(authz_internal._actor(), p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz_internal._user_label(user_id), current.name, authz_internal._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        -- a new project member: the collaborator policy, and a seat in the
        -- workspace unless they hold one already
        PERFORM authz_internal._check_capacity(p.workspace_id, user_id);
    END IF;
    INSERT INTO authz.project_members (project_id, user_id, role_id, expires_at)
    VALUES (p.id, user_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT project_members_pkey
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_project_member(uuid, uuid, text, timestamptz) IS
    'Give a user a role in a project, until expires_at when given (or change it; needs members.manage in the workspace; a project-only member takes a seat of the workspace''s participant limit; a user from outside the organization who shares none with you must be invited; trusted roles acting for the platform may add anyone)';

-- authz.cache_stats(): the cache's counters, for operators
CREATE FUNCTION authz.cache_stats(OUT hits bigint, OUT misses bigint, OUT loads bigint, OUT resets bigint,
                                  OUT invalidations bigint, OUT bytes bigint)
    RETURNS record
    AS 'MODULE_PATHNAME', 'cache_stats_sql' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION authz.cache_stats() IS
    'This session''s cache of the model since it started: answers found in the memo (hits) and computed (misses), entries read from the model''s tables (loads), caches dropped whole (resets), invalidations of the model received, and the memory the caches hold now (bytes)';

-- The credit ledger engine in C (src/ledger.c): top-ups, transfers and usage
-- charges; usage charges that do not wait for the account (pending charges,
-- folded lazily); batched usage; holds; a lighter ledger (the movement row is
-- its own audit record, one index per ledger entry, no per-entry foreign key
-- check).
DROP TRIGGER audit ON authz.credit_movements;
DROP INDEX authz.credit_movements_from_idx, authz.credit_movements_to_idx;
ALTER TABLE authz.credit_ledger DROP CONSTRAINT credit_ledger_movement_id_fkey;
DROP INDEX authz.credit_ledger_workspace_idx, authz.credit_ledger_movement_idx;
ALTER TABLE authz.credit_ledger DROP CONSTRAINT credit_ledger_pkey;
ALTER TABLE authz.credit_ledger ADD PRIMARY KEY (workspace_id, id);
COMMENT ON TABLE authz.credit_movements IS
    'One row per top-up, transfer or usage charge (append-only); each row is the audit record of its movement';
COMMENT ON TABLE authz.credit_ledger IS
    'Append-only ledger entries: credits (positive) and debits (negative) of workspace accounts; a transfer is one of each; written only under the account''s lock, so entry order is the order of the account''s changes';
COMMENT ON COLUMN authz.credit_ledger.movement_id IS
    'The movement this entry belongs to (written by the engine in the movement''s transaction)';
COMMENT ON CONSTRAINT credit_ledger_pkey ON authz.credit_ledger IS
    'An account''s entries in the order they were written (the only index of the ledger)';

CREATE TABLE authz.credit_pending (
    workspace_id uuid NOT NULL,
    movement_id  bigint NOT NULL,
    amount       authz.credits NOT NULL CHECK (amount < '0'),
    PRIMARY KEY (workspace_id, movement_id)
);
COMMENT ON TABLE authz.credit_pending IS
    'Usage charges booked while another transaction held the account, not yet folded into its ledger and balance';
COMMENT ON COLUMN authz.credit_pending.workspace_id IS 'Account (workspace) charged';
COMMENT ON COLUMN authz.credit_pending.movement_id IS 'The usage movement';
COMMENT ON COLUMN authz.credit_pending.amount IS 'Signed amount of the entry to write (negative)';
COMMENT ON CONSTRAINT credit_pending_pkey ON authz.credit_pending IS 'An account''s pending charges';

CREATE TABLE authz.credit_holds (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    uuid NOT NULL REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    amount          authz.credits NOT NULL CHECK (amount > '0'),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'captured', 'released')),
    expires_at      timestamptz NOT NULL,
    captured        authz.credits CHECK (captured >= '0' AND captured <= amount),
    movement_id     bigint,
    tenant_id       uuid NOT NULL,
    idempotency_key text,
    fingerprint     text NOT NULL,
    actor_id        uuid,
    login_role      name NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at       timestamptz,
    CONSTRAINT credit_holds_key UNIQUE (tenant_id, idempotency_key),
    CHECK ((status = 'captured') = (captured IS NOT NULL AND movement_id IS NOT NULL))
);
CREATE INDEX credit_holds_open_idx ON authz.credit_holds (workspace_id) WHERE status = 'open';
COMMENT ON TABLE authz.credit_holds IS
    'Credits reserved for running work: an open hold that has not expired is not available to transfers or other holds';
COMMENT ON SEQUENCE authz.credit_holds_id_seq IS 'Identifiers of holds, in the order they were made';
COMMENT ON COLUMN authz.credit_holds.id IS 'Hold id, returned by authz.hold_credits';
COMMENT ON COLUMN authz.credit_holds.workspace_id IS 'Workspace whose credits are held';
COMMENT ON COLUMN authz.credit_holds.amount IS 'Amount held';
COMMENT ON COLUMN authz.credit_holds.status IS
    'open (reserved until expires_at), captured (charged, the rest released) or released';
COMMENT ON COLUMN authz.credit_holds.expires_at IS 'After this an open hold reserves nothing and can no longer be captured';
COMMENT ON COLUMN authz.credit_holds.captured IS 'Amount charged at capture';
COMMENT ON COLUMN authz.credit_holds.movement_id IS 'The usage movement made by the capture';
COMMENT ON COLUMN authz.credit_holds.tenant_id IS 'Tenant whose idempotency keys it shares (as for movements)';
COMMENT ON COLUMN authz.credit_holds.idempotency_key IS
    'The platform''s key, unique in the tenant: a retry returns this hold';
COMMENT ON COLUMN authz.credit_holds.fingerprint IS 'The arguments of the call, to refuse a key reused with others';
COMMENT ON COLUMN authz.credit_holds.actor_id IS 'Current user who made it (NULL: holds are made by the platform)';
COMMENT ON COLUMN authz.credit_holds.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.credit_holds.created_at IS 'When it was made';
COMMENT ON COLUMN authz.credit_holds.closed_at IS 'When it was captured or released';
COMMENT ON CONSTRAINT credit_holds_key ON authz.credit_holds IS
    'An idempotency key makes one hold per tenant (holds are the platform''s only; NULL keys never conflict)';
COMMENT ON INDEX authz.credit_holds_open_idx IS 'Open holds of an account, summed under its lock';

CREATE TYPE authz.usage_event AS (
    workspace_id      uuid,
    cpu_hours         numeric,
    memory_gib_hours  numeric,
    storage_gb_months numeric,
    idempotency_key   text
);
COMMENT ON TYPE authz.usage_event IS 'One usage event of authz.record_usage_batch: the arguments of authz.record_usage';
COMMENT ON COLUMN authz.usage_event.workspace_id IS 'Workspace charged';
COMMENT ON COLUMN authz.usage_event.cpu_hours IS 'CPU-hours used';
COMMENT ON COLUMN authz.usage_event.memory_gib_hours IS 'GiB-hours of memory used';
COMMENT ON COLUMN authz.usage_event.storage_gb_months IS 'GB-months of storage used';
COMMENT ON COLUMN authz.usage_event.idempotency_key IS 'The event''s key: a retried event books nothing twice';

DROP FUNCTION authz_internal._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb);
DROP FUNCTION authz_internal._lock_accounts(uuid, uuid);
DROP FUNCTION authz_internal._check_amount(authz.credits);

CREATE FUNCTION authz_internal._fold(workspace_id uuid) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_fold' LANGUAGE C VOLATILE
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz_internal._fold(uuid) IS
    'Internal: lock a workspace''s account and fold its pending usage charges into its ledger and balance';
REVOKE ALL ON FUNCTION authz_internal._fold(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION authz_internal._keep_funded_workspace() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    PERFORM authz_internal._fold(OLD.id);    -- pending charges count, and go with the account
    SELECT a.balance INTO b FROM authz.credit_accounts a WHERE a.workspace_id = OLD.id FOR UPDATE;
    IF b IS NOT NULL AND b OPERATOR(authz.<>) '0'::authz.credits THEN
        RAISE EXCEPTION 'workspace "%" still holds % credits', authz_internal._workspace_label(OLD.id), b
            USING ERRCODE = '23514',
                  HINT = 'Transfer its credits to another workspace of the organization first.';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION authz_internal._keep_funded_workspace() IS 'Internal trigger: refuse to delete a workspace whose balance is not zero';

CREATE OR REPLACE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_add_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) IS
    'Top up a workspace''s account (trusted roles: the billing system); returns the movement id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) TO workspace_authz_trusted;

CREATE OR REPLACE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_transfer_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never takes the source''s available credits below zero; returns the movement id; idempotent on its key';

CREATE OR REPLACE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
                                   storage_gb_months numeric DEFAULT 0, idempotency_key text DEFAULT NULL)
    RETURNS authz.credits AS 'MODULE_PATHNAME', 'ledger_record_usage' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) IS
    'Charge a workspace for usage at its organization''s rate card (trusted roles: the metering system); never refused for lack of funds, never waits for the account; returns the charge; idempotent on its key';
REVOKE ALL ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.record_usage_batch(events authz.usage_event[])
    RETURNS TABLE (event integer, workspace_id uuid, charge authz.credits, movement_id bigint, replayed boolean)
    AS 'MODULE_PATHNAME', 'ledger_record_usage_batch' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.record_usage_batch(authz.usage_event[]) IS
    'Charge many usage events of many workspaces in one call, as record_usage each (trusted roles acting for the platform); all or nothing: an invalid event refuses the whole batch; one row per event: its position, charge, movement and whether it was a retry';
REVOKE ALL ON FUNCTION authz.record_usage_batch(authz.usage_event[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage_batch(authz.usage_event[]) TO workspace_authz_trusted;

CREATE FUNCTION authz.hold_credits(workspace_id uuid, amount authz.credits, idempotency_key text,
                                   expires_in interval DEFAULT '1 hour')
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_hold_credits' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) IS
    'Reserve credits for running work until captured, released or expired (trusted roles acting for the platform); refused (23514, nothing held) beyond the available credits; returns the hold id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.hold_credits(uuid, authz.credits, text, interval) TO workspace_authz_trusted;

CREATE FUNCTION authz.capture_hold(hold_id bigint, amount authz.credits)
    RETURNS bigint AS 'MODULE_PATHNAME', 'ledger_capture_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.capture_hold(bigint, authz.credits) IS
    'Charge the actual amount (at most the amount held) as a usage movement and release the rest (trusted roles acting for the platform); returns the movement id; a retry with the same amount returns it again';
REVOKE ALL ON FUNCTION authz.capture_hold(bigint, authz.credits) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.capture_hold(bigint, authz.credits) TO workspace_authz_trusted;

CREATE FUNCTION authz.release_hold(hold_id bigint)
    RETURNS void AS 'MODULE_PATHNAME', 'ledger_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp;
COMMENT ON FUNCTION authz.release_hold(bigint) IS
    'Release a hold without charging anything (trusted roles acting for the platform); releasing it again does nothing';
REVOKE ALL ON FUNCTION authz.release_hold(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.release_hold(bigint) TO workspace_authz_trusted;

CREATE OR REPLACE FUNCTION authz.balance(workspace_id uuid) RETURNS authz.credits
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    PERFORM authz_internal._workspace(workspace_id);
    IF NOT authz_internal._is_trusted() AND NOT coalesce(authz_internal._visible_credits(workspace_id), false) THEN
        RAISE EXCEPTION 'permission denied: "billing.view" is required in workspace "%"',
            authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42501', HINT = 'Or "org.billing.view" in its organization.';
    END IF;
    SELECT coalesce((SELECT a.balance FROM authz.credit_accounts a WHERE a.workspace_id = balance.workspace_id), '0')
           OPERATOR(authz.+)
           coalesce((SELECT authz.sum(p.amount) FROM authz.credit_pending p WHERE p.workspace_id = balance.workspace_id), '0')
      INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz.balance(uuid) IS
    'A workspace''s credit balance, pending usage charges included (needs billing.view there or org.billing.view in its organization)';

CREATE FUNCTION authz.available(workspace_id uuid) RETURNS authz.credits
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    RETURN authz.balance(workspace_id)
           OPERATOR(authz.-)
           coalesce((SELECT authz.sum(h.amount) FROM authz.credit_holds h
                      WHERE h.workspace_id = available.workspace_id AND h.status = 'open'
                        AND h.expires_at > pg_catalog.now()), '0');
END
$$;
COMMENT ON FUNCTION authz.available(uuid) IS
    'A workspace''s credits not held for running work: its balance less its open, unexpired holds (who may read balance() may read this)';

CREATE OR REPLACE FUNCTION authz.org_credit_summary(org_id uuid, since timestamptz DEFAULT '-infinity',
                                         until timestamptz DEFAULT 'infinity')
    RETURNS TABLE (workspace_id uuid, workspace text, balance authz.credits, topups authz.credits,
                   transfers_in authz.credits, transfers_out authz.credits, usage authz.credits)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._org(org_id);
    IF NOT authz_internal._is_trusted() THEN
        PERFORM authz_internal._require_org(org_id, 'org.billing.view');
    END IF;
    IF since IS NULL OR until IS NULL THEN
        RAISE EXCEPTION 'period bounds must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- flows from the entries of the organization's accounts (pending charges included)
    RETURN QUERY
    WITH ws AS (
        SELECT w.id, w.name FROM authz.workspaces w WHERE w.org_id = org_credit_summary.org_id
    ), flows AS (
        SELECT x.workspace_id, m.kind, x.amount
          FROM (SELECT e.workspace_id, e.movement_id, e.amount FROM authz.credit_ledger e
                 WHERE e.workspace_id IN (SELECT ws.id FROM ws)
                UNION ALL
                SELECT p.workspace_id, p.movement_id, p.amount FROM authz.credit_pending p
                 WHERE p.workspace_id IN (SELECT ws.id FROM ws)) x
          JOIN authz.credit_movements m ON m.id = x.movement_id
         WHERE m.created_at >= since AND m.created_at < until
    ), per_ws AS (
        SELECT ws.id, ws.name,
               coalesce(a.balance, '0')
                 + coalesce((SELECT sum(p.amount) FROM authz.credit_pending p WHERE p.workspace_id = ws.id), '0') AS balance,
               coalesce((SELECT sum(f.amount) FROM flows f WHERE f.workspace_id = ws.id AND f.kind = 'topup'), '0') AS topups,
               coalesce((SELECT sum(f.amount) FROM flows f
                          WHERE f.workspace_id = ws.id AND f.kind = 'transfer' AND f.amount > '0'), '0') AS t_in,
               coalesce((SELECT sum(-f.amount) FROM flows f
                          WHERE f.workspace_id = ws.id AND f.kind = 'transfer' AND f.amount < '0'), '0') AS t_out,
               coalesce((SELECT sum(-f.amount) FROM flows f WHERE f.workspace_id = ws.id AND f.kind = 'usage'), '0') AS used
          FROM ws LEFT JOIN authz.credit_accounts a ON a.workspace_id = ws.id
    )
    SELECT s.id, s.name, s.balance, s.topups, s.t_in, s.t_out, s.used
      FROM (SELECT p.id, p.name, p.balance, p.topups, p.t_in, p.t_out, p.used, false AS total FROM per_ws p
            UNION ALL
            SELECT NULL, '(organization total)', coalesce(sum(p.balance), '0'), coalesce(sum(p.topups), '0'),
                   coalesce(sum(p.t_in), '0'), coalesce(sum(p.t_out), '0'), coalesce(sum(p.used), '0'), true
              FROM per_ws p) s
     ORDER BY s.total, s.name, s.id;
END
$$;
COMMENT ON FUNCTION authz.org_credit_summary(uuid, timestamptz, timestamptz) IS
    'Per workspace of an organization, by name: balance, and top-ups, transfers and usage over [since, until); then the organization total (needs org.billing.view)';

ALTER POLICY visible ON authz.credit_movements
    USING (coalesce(authz_internal._visible_credits(from_workspace), false)
           OR coalesce(authz_internal._visible_credits(to_workspace), false)
           OR authz.current_user_id() IS NULL
              AND pg_catalog.has_function_privilege('authz.set_user(uuid, boolean)'::regprocedure, 'EXECUTE'));
COMMENT ON POLICY visible ON authz.credit_movements IS
    'Movements touching a workspace where you see billing; all of them for a trusted role acting for the platform (no current user), as the audit log shows them';
ALTER TABLE authz.credit_pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_pending FOR SELECT USING (authz_internal._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_pending IS 'Pending charges of workspaces where you see billing';
ALTER TABLE authz.credit_holds ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_holds FOR SELECT
    USING (coalesce(authz_internal._visible_credits(workspace_id), false)
           OR authz.current_user_id() IS NULL
              AND pg_catalog.has_function_privilege('authz.set_user(uuid, boolean)'::regprocedure, 'EXECUTE'));
COMMENT ON POLICY visible ON authz.credit_holds IS
    'Holds of workspaces where you see billing; all of them for a trusted role acting for the platform (no current user), which makes them';
GRANT SELECT ON authz.credit_pending TO PUBLIC;
GRANT SELECT (tenant_id) ON authz.credit_movements TO PUBLIC;
GRANT SELECT (id, workspace_id, amount, status, expires_at, captured, movement_id, actor_id, login_role, created_at,
              closed_at)
    ON authz.credit_holds TO PUBLIC;

CREATE OR REPLACE VIEW authz.audit WITH (security_invoker = true) AS
SELECT a.id, a.at, coalesce(u.handle, a.actor_id::text, '(platform)') AS actor, a.login_role, a.action, a.target,
       CASE WHEN a.before IS NOT NULL AND a.after IS NOT NULL
            THEN (SELECT jsonb_object_agg(k, jsonb_build_array(authz.audit_value(k, a.before -> k),
                                                               authz.audit_value(k, a.after -> k)))
                    FROM jsonb_object_keys(a.after) k
                   WHERE a.before -> k IS DISTINCT FROM a.after -> k)
            ELSE (SELECT jsonb_object_agg(e.key, authz.audit_value(e.key, e.value))
                    FROM jsonb_each(coalesce(a.after, a.before)) e) END AS changes,
       a.org_id, a.workspace_id
  FROM authz.audit_log a
  LEFT JOIN authz.users u ON u.id = a.actor_id
UNION ALL
SELECT NULL::bigint, m.created_at, coalesce(u.handle, m.actor_id::text, '(platform)'), m.login_role,
       'credit_movements.insert', m.id::text,
       jsonb_strip_nulls(jsonb_build_object('id', m.id, 'kind', m.kind, 'amount', m.amount,
                                            'from_workspace', m.from_workspace, 'to_workspace', m.to_workspace,
                                            'memo', m.memo, 'usage', m.usage, 'actor_id', m.actor_id,
                                            'login_role', m.login_role, 'created_at', m.created_at)),
       (SELECT o.id FROM authz.orgs o WHERE o.id = m.tenant_id), coalesce(m.from_workspace, m.to_workspace)
  FROM authz.credit_movements m
  LEFT JOIN authz.users u ON u.id = m.actor_id;
COMMENT ON VIEW authz.audit IS
    'The audit log for people: who did what, and what changed (for updates, each changed column as [before, after]); credit movements (id NULL, target the movement id) come from authz.credit_movements, with its read rules';
SELECT pg_catalog.pg_extension_config_dump('authz.credit_pending', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_holds', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_holds', 'id'), '');

-- Movements and holds: all of them only for a trusted role acting for the
-- platform (asserting no user), never for one that asserts a deactivated user.
ALTER POLICY visible ON authz.credit_movements
    USING (coalesce(authz_internal._visible_credits(from_workspace), false)
           OR coalesce(authz_internal._visible_credits(to_workspace), false)
           OR authz.acting_for_platform());
ALTER POLICY visible ON authz.credit_holds
    USING (coalesce(authz_internal._visible_credits(workspace_id), false)
           OR authz.acting_for_platform());

-- ---------------------------------------------------------------------------
-- Targeted cache invalidation: a row of the model names what it is about
-- (user, organization, workspace, team, project), so that a change reloads
-- only the cache entries read from it; the registry and the roles, and any
-- TRUNCATE, still invalidate everything.
-- ---------------------------------------------------------------------------
COMMENT ON FUNCTION authz_internal._invalidate_cache() IS
    'Internal trigger: when this transaction commits, every backend drops the cache entries read from what it changed (with arguments, per row: the user, organization, workspace, team or project each row names; otherwise everything)';
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM (VALUES
            ('users', '''user=id'', ''login=pg_role'''),
            ('user_subjects', '''user=user_id'''),
            ('orgs', '''org=id'''),
            ('org_members', '''user=user_id'''),
            ('workspaces', '''workspace=id'', ''org_workspaces=org_id'', ''user=personal_user_id'''),
            ('teams', '''team=id'''),
            ('team_members', '''user=user_id'''),
            ('participants', '''user=user_id'', ''team=team_id'''),
            ('participant_permissions', '''user=user_id'''),
            ('projects', '''project=id'', ''projects'''),
            ('project_members', '''user=user_id''')) AS v(rel, args)
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER invalidate_cache ON authz.%I', k.rel);
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS invalidate_cache_replica ON authz.%I', k.rel);
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache AFTER TRUNCATE ON authz.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._invalidate_cache()', k.rel);
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_rows AFTER INSERT OR UPDATE OR DELETE ON authz.%I'
            ' FOR EACH ROW EXECUTE FUNCTION authz_internal._invalidate_cache(%s)', k.rel, k.args);
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER invalidate_rows ON authz.%I IS %L', k.rel,
            'Each changed row invalidates, in every backend, the cache entries read from what it names');
        EXECUTE pg_catalog.format('ALTER TABLE authz.%I ENABLE ALWAYS TRIGGER invalidate_cache', k.rel);
        EXECUTE pg_catalog.format('ALTER TABLE authz.%I ENABLE ALWAYS TRIGGER invalidate_rows', k.rel);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Planner: the arrays cost one operator per visible member; checks cost what
-- a memoised lookup costs.
-- ---------------------------------------------------------------------------
COMMENT ON FUNCTION authz_internal._can_support(internal) IS
    'Planner support for authz.can and authz.can_project (index conditions on the workspace or project column, selectivity) and the cost of authz.workspace_array and authz.project_array';
ALTER FUNCTION authz.workspace_array(text) SUPPORT authz_internal._can_support;
ALTER FUNCTION authz.project_array(text) SUPPORT authz_internal._can_support;
ALTER FUNCTION authz.can(uuid, text) COST 10;
ALTER FUNCTION authz.can_project(uuid, text) COST 10;

-- A plain member's candidate workspaces: only the shared and open ones.
CREATE INDEX workspaces_org_open_idx ON authz.workspaces (org_id)
    WHERE visibility = 'shared' OR join_policy = 'open';
COMMENT ON INDEX authz.workspaces_org_open_idx IS
    'The shared and open workspaces of an organization: what a plain member sees without a participation';
