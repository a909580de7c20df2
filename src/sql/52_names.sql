-- ---------------------------------------------------------------------------
-- Requiring a permission, and names instead of uuids (SPEC 12)
-- ---------------------------------------------------------------------------

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
