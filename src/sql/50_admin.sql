-- ---------------------------------------------------------------------------
-- Administration: users, organizations, workspaces, participants, teams,
-- permissions. Each function checks the current user's rights (SPEC 3) and
-- runs as the extension owner with a pinned search_path.
-- ---------------------------------------------------------------------------

-- ---- users ----------------------------------------------------------------

CREATE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
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

CREATE FUNCTION authz.map_login_role(user_id uuid, pg_role name) RETURNS void
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
COMMENT ON FUNCTION authz.map_login_role(uuid, name) IS
    'Map a login role to a user, or with NULL unmap it (trusted roles only; unmap before dropping the login role)';
REVOKE ALL ON FUNCTION authz.map_login_role(uuid, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.map_login_role(uuid, name) TO workspace_authz_trusted;

CREATE FUNCTION authz.deactivate_user(user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users := authz_internal._user(user_id);
BEGIN
    IF NOT authz_internal._is_trusted() THEN
        IF authz_internal._actor() <> user_id THEN
            RAISE EXCEPTION 'permission denied to deactivate user "%"', u.handle
                USING ERRCODE = '42501', HINT = 'Users may deactivate themselves; trusted roles may deactivate anyone.';
        END IF;
    END IF;
    IF u.status = 'active' THEN
        UPDATE authz.users x SET status = 'deactivated', deactivated_at = now() WHERE x.id = user_id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.deactivate_user(uuid) IS
    'Deactivate a user (themselves, or anyone for trusted roles); refused if it would leave a workspace or org without an owner';

CREATE FUNCTION authz.personal_workspace(user_id uuid DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    who uuid := coalesce(user_id, authz_internal._actor());
    ws uuid;
BEGIN
    IF who IS DISTINCT FROM authz.current_user_id() AND NOT authz_internal._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to look up the personal workspace of another user'
            USING ERRCODE = '42501';
    END IF;
    PERFORM authz_internal._user(who);
    SELECT w.id INTO ws FROM authz.workspaces w WHERE w.personal_user_id = who;
    RETURN ws;
END
$$;
COMMENT ON FUNCTION authz.personal_workspace(uuid) IS
    'The personal workspace of a user (default: the current user; others only for trusted roles)';

-- ---- organizations --------------------------------------------------------

CREATE FUNCTION authz.create_org(slug text, full_name text DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    oid_ uuid;
BEGIN
    PERFORM authz_internal._check_text('organization slug', slug, 63, '^[a-z0-9][a-z0-9-]*$',
        'A slug is lower-case letters, digits and "-", starting with a letter or digit.');
    IF full_name IS NOT NULL THEN
        PERFORM authz_internal._check_text('full name', full_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.orgs o WHERE o.slug = create_org.slug) THEN
        RAISE EXCEPTION 'organization "%" already exists', slug USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.orgs (slug, full_name) VALUES (slug, full_name) RETURNING id INTO oid_;
    INSERT INTO authz.org_members (org_id, user_id, role) VALUES (oid_, actor, 'owner');
    RETURN oid_;
END
$$;
COMMENT ON FUNCTION authz.create_org(text, text) IS 'Create an organization; the current user becomes its owner';

-- Check an org-wide workspace role against the actor's limit; NULL passes.
CREATE FUNCTION authz_internal._org_wide_role(org_id uuid, role text, workspace_role text) RETURNS authz.roles
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

-- Changing or dropping the org-wide workspace role a member holds: only
-- someone who could have given it (its rank within the actor's limit).
CREATE FUNCTION authz_internal._check_org_wide_held(org_id uuid, user_id uuid, role_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    lim integer;
BEGIN
    SELECT * INTO r FROM authz.roles x WHERE x.id = role_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    lim := coalesce(authz_internal._org_wide_limit(org_id), 0);
    IF r.rank > lim THEN
        RAISE EXCEPTION 'cannot change the org-wide workspace role "%" (rank %) of user "%", above your limit (%) in organization "%"',
            r.name, r.rank, authz_internal._user_label(user_id), lim, authz_internal._org_label(org_id)
            USING ERRCODE = '42501', HINT = 'Someone whose limit reaches that rank, such as an org owner, may change it.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._check_org_wide_held(uuid, uuid, uuid) IS
    'Internal: 42501 when the org-wide workspace role a member holds ranks above the actor''s limit';

CREATE FUNCTION authz.add_org_member(org_id uuid, user_id uuid, role text DEFAULT 'member',
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

CREATE FUNCTION authz_internal._org_member(org_id uuid, user_id uuid) RETURNS authz.org_members
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

CREATE FUNCTION authz.set_org_role(org_id uuid, user_id uuid, role text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.org_members;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._user(user_id);
    PERFORM authz_internal._check_org_role(role);
    m := authz_internal._org_member(org_id, user_id);
    PERFORM authz_internal._check_org_ranks(org_id, user_id, role);
    IF role = 'guest' THEN
        -- demoting to guest drops the org-wide role: only if the actor could change it
        PERFORM authz_internal._check_org_wide_held(org_id, user_id, m.workspace_role);
    END IF;
    -- Guests hold no org-wide workspace role; a guest made a member gets the
    -- org's default one, as a new member would.
    UPDATE authz.org_members x
       SET role = set_org_role.role,
           workspace_role = CASE WHEN set_org_role.role = 'guest' THEN NULL
                                 WHEN x.role = 'guest' THEN o.member_workspace_role
                                 ELSE x.workspace_role END
      FROM authz.orgs o
     WHERE o.id = x.org_id AND x.org_id = set_org_role.org_id AND x.user_id = set_org_role.user_id;
END
$$;
COMMENT ON FUNCTION authz.set_org_role(uuid, uuid, text) IS
    'Change a member''s org role (demoting to guest drops their org-wide workspace role, if within your limit; promoting a guest gives the org''s member_workspace_role); the last owner stays';

CREATE FUNCTION authz.set_org_workspace_role(org_id uuid, user_id uuid, workspace_role text)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.org_members;
    wr authz.roles;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._user(user_id);
    m := authz_internal._org_member(org_id, user_id);
    PERFORM authz_internal._check_org_ranks(org_id, user_id, NULL);
    wr := authz_internal._org_wide_role(org_id, m.role, workspace_role);
    IF wr.id IS DISTINCT FROM m.workspace_role THEN
        PERFORM authz_internal._check_org_wide_held(org_id, user_id, m.workspace_role);
    END IF;
    UPDATE authz.org_members x SET workspace_role = wr.id
     WHERE x.org_id = set_org_workspace_role.org_id AND x.user_id = set_org_workspace_role.user_id;
END
$$;
COMMENT ON FUNCTION authz.set_org_workspace_role(uuid, uuid, text) IS
    'Set (or, with NULL, clear) the workspace role a member holds in every workspace of the organization (the old and new roles both within your limit)';

CREATE FUNCTION authz.remove_org_member(org_id uuid, user_id uuid) RETURNS void
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

-- ---- workspaces -----------------------------------------------------------

CREATE FUNCTION authz_internal._check_choice(what text, value text, choices text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._check_text(what, value, 63);
    IF NOT value = ANY (choices) THEN
        RAISE EXCEPTION 'invalid %: "%"', what, value
            USING ERRCODE = '22023', HINT = 'Valid values: ' || array_to_string(choices, ', ') || '.';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz_internal._check_choice(text, text, text[]) IS 'Internal: validate a value against a list (22023)';

CREATE FUNCTION authz.create_workspace(org_id uuid, name text, visibility text DEFAULT 'private',
                                       join_policy text DEFAULT 'invite_only')
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    o authz.orgs := authz_internal._org(org_id);
    ws uuid;
BEGIN
    PERFORM authz_internal._check_text('workspace name', name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'A workspace name is letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._check_choice('visibility', visibility, '{private,shared}');
    PERFORM authz_internal._check_choice('join policy', join_policy, '{invite_only,open}');
    PERFORM authz_internal._require_org(org_id, 'org.workspaces.create');
    IF EXISTS (SELECT 1 FROM authz.workspaces w
                WHERE w.org_id = create_workspace.org_id AND w.name = create_workspace.name) THEN
        RAISE EXCEPTION 'workspace "%" already exists in organization "%"', name, o.slug
            USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.workspaces (org_id, name, visibility, join_policy, shared_role, join_role)
    VALUES (org_id, name, visibility, join_policy, o.default_shared_role, o.default_join_role)
    RETURNING id INTO ws;
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    VALUES (ws, actor, '00000000-0000-0000-0000-000000000001');
    RETURN ws;
END
$$;
COMMENT ON FUNCTION authz.create_workspace(uuid, text, text, text) IS
    'Create a workspace in an organization; the current user becomes its owner';

-- An org workspace (personal workspaces have no participants).
CREATE FUNCTION authz_internal._org_workspace(workspace_id uuid) RETURNS authz.workspaces
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
BEGIN
    IF w.org_id IS NULL THEN
        RAISE EXCEPTION 'personal workspace "%" has no participants', w.name
            USING ERRCODE = '22023', HINT = 'Create a workspace in an organization to collaborate.';
    END IF;
    RETURN w;
END
$$;
COMMENT ON FUNCTION authz_internal._org_workspace(uuid) IS 'Internal: an org workspace row (22023 for a personal one)';

CREATE FUNCTION authz_internal._participant(workspace_id uuid, user_id uuid) RETURNS authz.participants
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

-- An expiry given to a participation, grant or deny: NULL (never) or in the future.
CREATE FUNCTION authz_internal._check_expiry(expires_at timestamptz, role authz.roles DEFAULT NULL) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF expires_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF expires_at <= now() THEN
        RAISE EXCEPTION 'expiry % is not in the future', expires_at USING ERRCODE = '22023';
    END IF;
    IF role.rank = 100 THEN
        RAISE EXCEPTION 'owner participations cannot expire'
            USING ERRCODE = '22023', HINT = 'Every workspace keeps a permanent owner; give a lower role an expiry.';
    END IF;
    RETURN expires_at;
END
$$;
COMMENT ON FUNCTION authz_internal._check_expiry(timestamptz, authz.roles) IS
    'Internal: validate an expiry (22023 when past, or given to an owner)';

-- Expired participations are gone for every purpose: clear one before re-adding.
CREATE FUNCTION authz_internal._purge_expired(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM authz.participants p
     WHERE p.workspace_id = _purge_expired.workspace_id AND p.user_id = _purge_expired.user_id
       AND p.expires_at <= now()
$$;
COMMENT ON FUNCTION authz_internal._purge_expired(uuid, uuid) IS 'Internal: delete a user''s expired participation in a workspace';

CREATE FUNCTION authz.add_member(workspace_id uuid, user_id uuid, role text DEFAULT 'member',
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

CREATE FUNCTION authz.set_role(workspace_id uuid, user_id uuid, role text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
    p authz.participants;
    r authz.roles;
BEGIN
    PERFORM authz_internal._user(user_id);
    r := authz_internal._role(w.org_id, role);
    p := authz_internal._participant(workspace_id, user_id);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', user_id, r);
    UPDATE authz.participants x SET role_id = r.id,
           expires_at = CASE WHEN r.rank = 100 THEN NULL ELSE x.expires_at END
     WHERE x.id = p.id;
    -- Owners cannot be denied anything.
    IF r.rank = 100 THEN
        DELETE FROM authz.participant_permissions pp
         WHERE pp.workspace_id = p.workspace_id AND pp.user_id = p.user_id AND pp.effect = 'deny';
    END IF;
END
$$;
COMMENT ON FUNCTION authz.set_role(uuid, uuid, text) IS
    'Change a participant''s role (making them owner drops their denies); the last owner stays';

CREATE FUNCTION authz.remove_member(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    p authz.participants;
BEGIN
    PERFORM authz_internal._org_workspace(workspace_id);
    PERFORM authz_internal._user(user_id);
    p := authz_internal._participant(workspace_id, user_id);
    IF user_id <> actor THEN
        PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', user_id, NULL);
    END IF;
    DELETE FROM authz.participants x WHERE x.id = p.id;
END
$$;
COMMENT ON FUNCTION authz.remove_member(uuid, uuid) IS
    'Remove a participant (anyone may leave); the last owner stays';

-- Shared checks of grant and deny; returns the participant.
CREATE FUNCTION authz_internal._adjust_target(workspace_id uuid, user_id uuid) RETURNS authz.participants
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._org_workspace(workspace_id);
    PERFORM authz_internal._user(user_id);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', user_id, NULL);
    RETURN authz_internal._participant(workspace_id, user_id);
END
$$;
COMMENT ON FUNCTION authz_internal._adjust_target(uuid, uuid) IS 'Internal: checks shared by grant, deny and reset_permissions';

CREATE FUNCTION authz.grant(workspace_id uuid, user_id uuid, permissions text[],
                            expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.participants := authz_internal._adjust_target(workspace_id, user_id);
    perms text[] := authz_internal._check_permissions(permissions);
    until timestamptz := authz_internal._check_expiry(expires_at);
    mine authz.permset := authz.permissions_in(workspace_id);
    x text;
BEGIN
    -- Deleting a workspace is for its owners alone: make them one instead.
    IF 'workspace.delete' = ANY (perms) THEN
        RAISE EXCEPTION 'cannot grant permission "workspace.delete" in workspace "%": it belongs to the owner role alone',
            authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '22023', HINT = 'Make the participant an owner instead.';
    END IF;
    -- Nobody grants what they do not hold.
    FOREACH x IN ARRAY perms LOOP
        IF NOT coalesce(mine OPERATOR(authz.@>) authz.permset(ARRAY[x]), false) THEN
            RAISE EXCEPTION 'cannot grant permission "%", which you do not hold in workspace "%"',
                x, authz_internal._workspace_label(workspace_id) USING ERRCODE = '42501';
        END IF;
    END LOOP;
    INSERT INTO authz.participant_permissions (workspace_id, user_id, permission, effect, expires_at)
    SELECT p.workspace_id, p.user_id, perm, 'grant', until FROM unnest(perms) perm
    ON CONFLICT ON CONSTRAINT participant_permissions_pkey
    DO UPDATE SET effect = 'grant', expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.grant(uuid, uuid, text[], timestamptz) IS
    'Grant a participant permissions beyond their role that you hold yourself, never workspace.delete, until expires_at when given (replaces denies of the same permissions)';

CREATE FUNCTION authz.deny(workspace_id uuid, user_id uuid, permissions text[],
                           expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.participants := authz_internal._adjust_target(workspace_id, user_id);
    perms text[] := authz_internal._check_permissions(permissions);
    until timestamptz := authz_internal._check_expiry(expires_at);
BEGIN
    IF authz_internal._rank(user_id, workspace_id) >= 100 THEN
        RAISE EXCEPTION 'cannot deny permissions to user "%", an owner of workspace "%"',
            authz_internal._user_label(user_id), authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '23514', HINT = 'Change their role first.';
    END IF;
    INSERT INTO authz.participant_permissions (workspace_id, user_id, permission, effect, expires_at)
    SELECT p.workspace_id, p.user_id, perm, 'deny', until FROM unnest(perms) perm
    ON CONFLICT ON CONSTRAINT participant_permissions_pkey
    DO UPDATE SET effect = 'deny', expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.deny(uuid, uuid, text[], timestamptz) IS
    'Deny a participant permissions whatever their roles say, until expires_at when given (not on owners; replaces grants); the deny outlives the participation until lifted with reset_permissions or grant';

CREATE FUNCTION authz.reset_permissions(workspace_id uuid, user_id uuid, permissions text[] DEFAULT NULL)
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

CREATE FUNCTION authz.join_workspace(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
BEGIN
    PERFORM authz_internal._purge_expired(workspace_id, actor);
    IF EXISTS (SELECT 1 FROM authz.participants p
                WHERE p.workspace_id = join_workspace.workspace_id AND p.user_id = actor) THEN
        RETURN;     -- already a participant
    END IF;
    PERFORM authz_internal._require_org(w.org_id, 'org.workspaces.join');
    IF w.join_policy <> 'open' THEN
        RAISE EXCEPTION 'workspace "%" is invite-only', authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42501', HINT = 'Ask one of its admins to add you.';
    END IF;
    PERFORM authz_internal._check_capacity(workspace_id, actor);
    INSERT INTO authz.participants (workspace_id, user_id, role_id) VALUES (workspace_id, actor, w.join_role);
END
$$;
COMMENT ON FUNCTION authz.join_workspace(uuid) IS
    'Join an open workspace of your organization with its join role (no-op when already a participant)';

-- ---- teams ----------------------------------------------------------------

CREATE FUNCTION authz.create_team(org_id uuid, name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz_internal._org(org_id);
    t uuid;
BEGIN
    PERFORM authz_internal._actor();
    PERFORM authz_internal._check_text('team name', name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'A team name is letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz_internal._require_org(org_id, 'org.teams.manage');
    IF EXISTS (SELECT 1 FROM authz.teams x WHERE x.org_id = create_team.org_id AND x.name = create_team.name) THEN
        RAISE EXCEPTION 'team "%" already exists in organization "%"', name, o.slug USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.teams (org_id, name) VALUES (org_id, name) RETURNING id INTO t;
    RETURN t;
END
$$;
COMMENT ON FUNCTION authz.create_team(uuid, text) IS 'Create a team in an organization';

CREATE FUNCTION authz.add_team_member(team_id uuid, user_id uuid) RETURNS void
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

CREATE FUNCTION authz.remove_team_member(team_id uuid, user_id uuid) RETURNS void
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

CREATE FUNCTION authz.add_team(workspace_id uuid, team_id uuid, role text,
                               expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
    t authz.teams := authz_internal._team(team_id);
    r authz.roles;
    current authz.roles;
BEGIN
    IF t.org_id <> w.org_id THEN
        RAISE EXCEPTION 'team "%" belongs to another organization than workspace "%"',
            t.name, authz_internal._workspace_label(workspace_id) USING ERRCODE = '22023';
    END IF;
    r := authz_internal._role(w.org_id, role);
    PERFORM authz_internal._check_expiry(expires_at);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', NULL, r);
    DELETE FROM authz.participants p
     WHERE p.workspace_id = add_team.workspace_id AND p.team_id = add_team.team_id AND p.expires_at <= now();
    SELECT x.* INTO current FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
     WHERE p.workspace_id = add_team.workspace_id AND p.team_id = add_team.team_id;
    IF FOUND THEN
        -- changing the team's role: as remove_team, nobody changes a team ranked above them
        IF current.rank > authz_internal._rank(authz_internal._actor(), workspace_id) THEN
            RAISE EXCEPTION 'cannot change team "%" (role "%", rank %) which ranks above you in workspace "%"',
                t.name, current.name, current.rank, authz_internal._workspace_label(workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        PERFORM authz_internal._check_capacity(workspace_id, NULL);
    END IF;
    INSERT INTO authz.participants (workspace_id, team_id, role_id, expires_at)
    VALUES (workspace_id, team_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT participants_workspace_id_team_id_key
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_team(uuid, uuid, text, timestamptz) IS
    'Make a team a participant of a workspace with a role, until expires_at when given (or change its role there, if it ranks no higher than you)';

CREATE FUNCTION authz.remove_team(workspace_id uuid, team_id uuid) RETURNS void
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

-- ---- permissions ----------------------------------------------------------

CREATE FUNCTION authz.define_permission(name text, description text DEFAULT NULL, roles text[] DEFAULT '{}')
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
COMMENT ON FUNCTION authz.define_permission(text, text, text[]) IS
    'Register (or redefine) an application permission; owners and admins hold it, and the listed built-in roles (member, viewer) too';
REVOKE ALL ON FUNCTION authz.define_permission(text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.define_permission(text, text, text[]) TO workspace_authz_trusted;
