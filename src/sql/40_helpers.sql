-- ---------------------------------------------------------------------------
-- Internal helpers shared by the administration functions. They run inside
-- SECURITY DEFINER functions; PUBLIC may not execute them.
-- ---------------------------------------------------------------------------

-- Validate a text argument: not NULL, not blank, not too long, well formed.
CREATE FUNCTION authz_internal._check_text(what text, value text, max_length integer,
                                  pattern text DEFAULT NULL, pattern_hint text DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    IF btrim(value) = '' THEN
        RAISE EXCEPTION '% must not be empty', what USING ERRCODE = '22023';
    END IF;
    IF length(value) > max_length THEN
        RAISE EXCEPTION '% is too long (% characters, at most %)', what, length(value), max_length
            USING ERRCODE = '22023';
    END IF;
    IF pattern IS NOT NULL AND value !~ pattern THEN
        RAISE EXCEPTION 'invalid %: "%"', what, value USING ERRCODE = '22023', HINT = pattern_hint;
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz_internal._check_text(text, text, integer, text, text) IS
    'Internal: validate a text argument (22004 when NULL, 22023 when empty, too long or malformed)';

-- Refuse a NULL identifier argument.
CREATE FUNCTION authz_internal._check_id(what text, value uuid) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz_internal._check_id(text, uuid) IS 'Internal: refuse a NULL identifier (22004)';

-- The acting user: the current user, who must exist and be active. A
-- deactivated or deleted user is no current user (authz.current_user_id() is
-- NULL); the refusal still says who the session claims to be.
CREATE FUNCTION authz_internal._actor() RETURNS uuid
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
COMMENT ON FUNCTION authz_internal._actor() IS 'Internal: the current user, who must exist and be active (42501 otherwise)';

-- Arguments name things the actor may not be allowed to see. Each helper
-- below resolves one kind of argument and refuses, with one message and one
-- code (42704), both an unknown identifier and one the current user may not
-- see, before any permission check: a refusal never tells whether something
-- exists, nor names it. The actor is checked first (42501 for no user or a
-- deactivated one); trusted roles see everything.
CREATE FUNCTION authz_internal._hidden(what text, value text) RETURNS void
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

-- May the current user see things they have not been shown? Trusted roles
-- may; everyone else must be an active user.
CREATE FUNCTION authz_internal._sees_all() RETURNS boolean
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

CREATE FUNCTION authz_internal._user(user_id uuid) RETURNS authz.users
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

CREATE FUNCTION authz_internal._org(org_id uuid) RETURNS authz.orgs
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

CREATE FUNCTION authz_internal._workspace(workspace_id uuid) RETURNS authz.workspaces
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

CREATE FUNCTION authz_internal._team(team_id uuid) RETURNS authz.teams
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

-- How errors name things: users by handle, workspaces as org/name, orgs by
-- slug; but only to someone who may see them (or a trusted role): others get
-- the identifier they passed, so a refusal never reveals a name.
CREATE FUNCTION authz_internal._user_label(user_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT u.handle FROM authz.users u
                      WHERE u.id = user_id AND (authz_internal._visible_user(u.id) OR authz_internal._is_trusted())),
                    user_id::text)
$$;
COMMENT ON FUNCTION authz_internal._user_label(uuid) IS 'Internal: a user as error messages name it (handle, if visible to the current user)';

CREATE FUNCTION authz_internal._workspace_label(workspace_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT coalesce(o.slug || '/', '') || w.name
                       FROM authz.workspaces w LEFT JOIN authz.orgs o ON o.id = w.org_id
                      WHERE w.id = workspace_id
                        AND (authz.can(w.id, 'workspace.view')
                             OR coalesce(authz.can_org(w.org_id, 'org.workspaces.list'), false)
                             OR authz_internal._is_trusted())),
                    workspace_id::text)
$$;
COMMENT ON FUNCTION authz_internal._workspace_label(uuid) IS
    'Internal: a workspace as error messages name it (org/name, if visible to the current user)';

CREATE FUNCTION authz_internal._org_label(org_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT o.slug FROM authz.orgs o
                      WHERE o.id = org_id AND (authz.org_role(o.id) IS NOT NULL OR authz_internal._is_trusted())),
                    org_id::text)
$$;
COMMENT ON FUNCTION authz_internal._org_label(uuid) IS 'Internal: an organization as error messages name it (slug, if a member)';

-- A workspace role usable in an organization: one of its custom roles or a
-- built-in. Custom roles are seen by the organization's members only: to
-- anyone else an existing one is refused as an unknown one.
CREATE FUNCTION authz_internal._role(org_id uuid, role_name text) RETURNS authz.roles
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

-- Org roles are ordered: owner > admin > member > guest.
CREATE FUNCTION authz_internal._org_rank(role text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE role WHEN 'owner' THEN 4 WHEN 'admin' THEN 3 WHEN 'member' THEN 2 WHEN 'guest' THEN 1 ELSE 0 END $$;
COMMENT ON FUNCTION authz_internal._org_rank(text) IS 'Internal: precedence of an org role (owner 4 ... guest 1, none 0)';

CREATE FUNCTION authz_internal._check_org_role(role text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._check_text('org role', role, 63);
    IF authz_internal._org_rank(role) = 0 THEN
        RAISE EXCEPTION 'invalid org role "%"', role
            USING ERRCODE = '22023', HINT = 'Org roles are owner, admin, member and guest.';
    END IF;
    RETURN role;
END
$$;
COMMENT ON FUNCTION authz_internal._check_org_role(text) IS 'Internal: validate an org role name (22023)';

-- The org role of a user (NULL when not a member or deactivated).
CREATE FUNCTION authz_internal._org_role_of(org_id uuid, user_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.role FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
     WHERE m.org_id = _org_role_of.org_id AND m.user_id = _org_role_of.user_id AND u.status = 'active'
$$;
COMMENT ON FUNCTION authz_internal._org_role_of(uuid, uuid) IS 'Internal: a user''s org role, NULL when not an active member';

-- The acting user must hold an org permission.
CREATE FUNCTION authz_internal._require_org(org_id uuid, permission text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz.can_org(org_id, permission) THEN
        RAISE EXCEPTION 'permission denied: "%" is required in organization "%"',
            permission, authz_internal._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._require_org(uuid, text) IS 'Internal: 42501 unless the current user holds the org permission';

-- The acting user must hold a workspace permission.
CREATE FUNCTION authz_internal._require(workspace_id uuid, permission text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz.can(workspace_id, permission) THEN
        RAISE EXCEPTION 'permission denied: "%" is required in workspace "%"',
            permission, authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._require(uuid, text) IS 'Internal: 42501 unless the current user holds the workspace permission';

-- Everyone who may hold a role in a workspace: its personal owner, its user
-- participants, the members of its participating teams, the non-guest
-- members of its organization. The resolver decides what each one holds.
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

-- Effective rank of a user in a workspace (0 when they hold no role).
CREATE FUNCTION authz_internal._rank(user_id uuid, workspace_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT (authz_internal._effective(user_id, workspace_id)).rank $$;
COMMENT ON FUNCTION authz_internal._rank(uuid, uuid) IS 'Internal: effective rank of a user in a workspace (0 for none)';

-- Rank rules (SPEC 3) for managing a workspace's participants: the actor holds
-- the permission, assigns no role above their own rank, and changes nobody
-- ranked above them.
CREATE FUNCTION authz_internal._check_ranks(workspace_id uuid, permission text,
                                   target uuid, new_role authz.roles) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    actor_rank integer;
    target_rank integer;
BEGIN
    PERFORM authz_internal._require(workspace_id, permission);
    actor_rank := authz_internal._rank(actor, workspace_id);
    IF new_role.id IS NOT NULL AND new_role.rank > actor_rank THEN
        RAISE EXCEPTION 'cannot assign role "%" (rank %) above your own rank (%) in workspace "%"',
            new_role.name, new_role.rank, actor_rank, authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '42501';
    END IF;
    IF target IS NOT NULL AND target <> actor THEN
        target_rank := authz_internal._rank(target, workspace_id);
        IF target_rank > actor_rank THEN
            RAISE EXCEPTION 'cannot change user "%" (rank %) who ranks above you (%) in workspace "%"',
                authz_internal._user_label(target), target_rank, actor_rank, authz_internal._workspace_label(workspace_id)
                USING ERRCODE = '42501';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._check_ranks(uuid, text, uuid, authz.roles) IS
    'Internal: SPEC rank rules for workspace management (42501 when broken)';

-- Rank rules for org membership: the actor holds org.members.manage, assigns
-- no org role above their own, and changes nobody ranked above them.
CREATE FUNCTION authz_internal._check_org_ranks(org_id uuid, target uuid, new_role text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    actor_role text := authz_internal._org_role_of(org_id, actor);
    target_role text;
    slug text := authz_internal._org_label(org_id);
BEGIN
    PERFORM authz_internal._require_org(org_id, 'org.members.manage');
    IF new_role IS NOT NULL AND authz_internal._org_rank(new_role) > authz_internal._org_rank(actor_role) THEN
        RAISE EXCEPTION 'cannot assign org role "%" above your own ("%") in organization "%"',
            new_role, actor_role, slug USING ERRCODE = '42501';
    END IF;
    IF target IS NOT NULL AND target <> actor THEN
        SELECT m.role INTO target_role FROM authz.org_members m
         WHERE m.org_id = _check_org_ranks.org_id AND m.user_id = target;
        IF authz_internal._org_rank(target_role) > authz_internal._org_rank(actor_role) THEN
            RAISE EXCEPTION 'cannot change user "%" ("%") who ranks above you ("%") in organization "%"',
                authz_internal._user_label(target), target_role, actor_role, slug USING ERRCODE = '42501';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._check_org_ranks(uuid, uuid, text) IS
    'Internal: SPEC rank rules for org membership (42501 when broken)';

-- Changing a team's membership gives or takes the team's role in every
-- workspace where the team participates, so the rank rules apply in each of
-- them: the actor holds members.manage there and ranks at least as high as
-- the team's role, and removes nobody ranked above them. Anyone may leave a
-- team. (Teams never count as a workspace's owners: only direct owner
-- participants do, so the last-owner rule is untouched by team changes.)
CREATE FUNCTION authz_internal._check_team_change(team_id uuid, user_id uuid, adding boolean) RETURNS void
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

-- Adding a person to an organization, or from outside an organization to one
-- of its workspaces or projects, needs their consent (an invitation they
-- accept) unless they already share an organization with the actor. Trusted
-- roles acting for the platform need none.
CREATE FUNCTION authz_internal._check_consent(org_id uuid, user_id uuid) RETURNS void
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

-- Highest org-wide workspace role rank a user may hand out in an org: any
-- for org owners, else the rank of the workspace role their org role gives
-- (their own org-wide role, or the org's admin_workspace_role for admins).
-- NULL when they are not a member.
CREATE FUNCTION authz_internal._org_wide_limit_of(org_id uuid, user_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN m.role = 'owner' THEN 100
        ELSE greatest(
            coalesce((SELECT r.rank FROM authz.roles r WHERE r.id = m.workspace_role), 0),
            CASE WHEN m.role = 'admin'
                 THEN coalesce((SELECT r.rank FROM authz.orgs o JOIN authz.roles r ON r.id = o.admin_workspace_role
                                 WHERE o.id = m.org_id), 0)
                 ELSE 0 END)
        END
      FROM authz.org_members m
     WHERE m.org_id = _org_wide_limit_of.org_id AND m.user_id = _org_wide_limit_of.user_id
$$;
COMMENT ON FUNCTION authz_internal._org_wide_limit_of(uuid, uuid) IS
    'Internal: highest rank of org-wide workspace role a user may assign in the org (NULL when not a member)';

CREATE FUNCTION authz_internal._org_wide_limit(org_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT authz_internal._org_wide_limit_of(org_id, authz.current_user_id()) $$;
COMMENT ON FUNCTION authz_internal._org_wide_limit(uuid) IS
    'Internal: highest rank of org-wide workspace role the current user may assign in the org';

-- The workspace permissions the current user may hand out in an org: those of
-- every role (built-in, or custom to the org) they may assign, i.e. ranked at
-- most their org-wide limit. For org owners (limit 100) that is every one.
CREATE FUNCTION authz_internal._assignable_permissions(org_id uuid) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT rp.permission ORDER BY rp.permission), '{}')
      FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
     WHERE (r.org_id IS NULL OR r.org_id = _assignable_permissions.org_id)
       AND r.rank <= coalesce(authz_internal._org_wide_limit(_assignable_permissions.org_id), 0)
$$;
COMMENT ON FUNCTION authz_internal._assignable_permissions(uuid) IS
    'Internal: workspace permissions of the roles the current user may assign in the org (ranked at most their org-wide limit)';

-- Validate permission names for a workspace: registered, workspace scope.
CREATE FUNCTION authz_internal._check_permissions(permissions text[], allow_empty boolean DEFAULT false) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p text;
    sc text;
BEGIN
    IF permissions IS NULL THEN
        RAISE EXCEPTION 'permissions must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cardinality(permissions) = 0 THEN
        IF allow_empty THEN
            RETURN '{}';
        END IF;
        RAISE EXCEPTION 'permissions must not be empty' USING ERRCODE = '22023';
    END IF;
    FOREACH p IN ARRAY permissions LOOP
        IF p IS NULL THEN
            RAISE EXCEPTION 'a permission array must not contain NULL' USING ERRCODE = '22004';
        END IF;
        SELECT x.scope INTO sc FROM authz.permissions x WHERE x.name = p;
        IF sc IS NULL THEN
            RAISE EXCEPTION 'permission "%" does not exist', p
                USING ERRCODE = '42704', HINT = 'Register it with authz.define_permission().';
        ELSIF sc <> 'workspace' THEN
            RAISE EXCEPTION 'permission "%" is an org permission, not a workspace permission', p
                USING ERRCODE = '22023', HINT = 'Org permissions come from the org role alone.';
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT x FROM unnest(permissions) x ORDER BY x);
END
$$;
COMMENT ON FUNCTION authz_internal._check_permissions(text[], boolean) IS
    'Internal: validate workspace permission names (22004, 22023, 42704; an empty list only if allowed); returns them sorted and distinct';

