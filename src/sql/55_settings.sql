-- ---------------------------------------------------------------------------
-- Custom roles, organization and workspace settings, workspace deletion, and
-- participant limits.
-- ---------------------------------------------------------------------------

-- ---- custom roles (Labstep) -------------------------------------------------

-- A custom role of an organization, by name (42704 unknown, 42501 built-in).
CREATE FUNCTION authz_internal._custom_role(org_id uuid, role_name text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles := authz_internal._role(org_id, role_name);
BEGIN
    IF r.org_id IS NULL THEN
        RAISE EXCEPTION 'built-in role "%" cannot be changed', role_name
            USING ERRCODE = '42501', HINT = 'Define a custom role with authz.create_role() instead.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz_internal._custom_role(uuid, text) IS 'Internal: a custom role of the organization (42501 for a built-in one)';

-- The rank a custom role may have: 1-99, and at most the actor's own.
CREATE FUNCTION authz_internal._check_role_rank(org_id uuid, role_name text, rank integer) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lim integer := coalesce(authz_internal._org_wide_limit(org_id), 0);
BEGIN
    IF rank IS NULL THEN
        RAISE EXCEPTION 'rank must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF rank < 1 OR rank > 99 THEN
        RAISE EXCEPTION 'rank % of role "%" is out of range', rank, role_name
            USING ERRCODE = '22023', HINT = 'Custom roles rank from 1 to 99; owner alone ranks 100.';
    END IF;
    IF rank > lim THEN
        RAISE EXCEPTION 'cannot give role "%" rank %, above your own rank (%) in organization "%"',
            role_name, rank, lim, authz_internal._org_label(org_id) USING ERRCODE = '42501';
    END IF;
    RETURN rank;
END
$$;
COMMENT ON FUNCTION authz_internal._check_role_rank(uuid, text, integer) IS
    'Internal: a custom role''s rank is 1-99 and at most the actor''s own (22004, 22023, 42501)';

-- The permissions a custom role may be given: valid workspace permissions,
-- never workspace.delete (owners alone delete a workspace), and, among those
-- it does not hold yet, only ones the actor could hand out anyway by
-- assigning a role (see _assignable_permissions). Returns them sorted.
CREATE FUNCTION authz_internal._check_role_permissions(org_id uuid, role_name text, permissions text[],
                                              held text[] DEFAULT '{}') RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    perms text[];
    added text[];
    missing text[];
BEGIN
    perms := authz_internal._check_permissions(permissions, true);
    added := ARRAY(SELECT p FROM unnest(perms) p WHERE p <> ALL (coalesce(held, '{}')) ORDER BY p);
    IF 'workspace.delete' = ANY (added) THEN
        RAISE EXCEPTION 'role "%" cannot hold permission "workspace.delete", which belongs to the owner role alone', role_name
            USING ERRCODE = '22023', HINT = 'Only owners delete a workspace: make those who may delete one its owners.';
    END IF;
    missing := ARRAY(SELECT p FROM unnest(added) p WHERE p <> ALL (authz_internal._assignable_permissions(org_id)) ORDER BY p);
    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'cannot give role "%" %, which no role you may assign holds in organization "%"',
            role_name,
            CASE WHEN cardinality(missing) = 1 THEN 'permission ' ELSE 'permissions ' END
                || (SELECT string_agg('"' || p || '"', ', ' ORDER BY p) FROM unnest(missing) p),
            authz_internal._org_label(org_id)
            USING ERRCODE = '42501',
                  HINT = format('A custom role holds only permissions of the roles you may assign (ranked at most %s).',
                                coalesce(authz_internal._org_wide_limit(org_id), 0));
    END IF;
    RETURN perms;
END
$$;
COMMENT ON FUNCTION authz_internal._check_role_permissions(uuid, text, text[], text[]) IS
    'Internal: permissions for a custom role: valid (22004, 22023, 42704), never workspace.delete (22023), and those added only ones the actor may hand out (42501)';

CREATE FUNCTION authz_internal._set_role_permissions(role_id uuid, permissions text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    perms text[];
BEGIN
    perms := authz_internal._check_permissions(permissions, true);
    -- Only what changes: the same list again writes no audit row and no notification.
    DELETE FROM authz.role_permissions rp
     WHERE rp.role_id = _set_role_permissions.role_id AND rp.permission <> ALL (perms);
    INSERT INTO authz.role_permissions (role_id, permission)
    SELECT _set_role_permissions.role_id, p FROM unnest(perms) p
     WHERE NOT EXISTS (SELECT 1 FROM authz.role_permissions rp
                        WHERE rp.role_id = _set_role_permissions.role_id AND rp.permission = p);
END
$$;
COMMENT ON FUNCTION authz_internal._set_role_permissions(uuid, text[]) IS
    'Internal: make a custom role hold exactly the given permissions (deleting the others, inserting the missing ones)';

CREATE FUNCTION authz.create_role(org_id uuid, name text, rank integer, permissions text[],
                                  description text DEFAULT NULL, projects_only boolean DEFAULT false)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._actor();
    PERFORM authz_internal._check_text('role name', name, 63, '^[a-z][a-z0-9_]*$',
        'A role name is lower-case letters, digits and "_", starting with a letter.');
    PERFORM authz_internal._require_org(org_id, 'org.roles.manage');
    PERFORM authz_internal._check_role_rank(org_id, name, rank);
    IF description IS NOT NULL THEN
        PERFORM authz_internal._check_text('description', description, 1000);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.roles r
                WHERE r.name = create_role.name AND (r.org_id IS NULL OR r.org_id = create_role.org_id)) THEN
        RAISE EXCEPTION 'role "%" already exists in organization "%"', name, authz_internal._org_label(org_id)
            USING ERRCODE = '23505', HINT = 'Built-in roles are owner, admin, member and viewer.';
    END IF;
    PERFORM authz_internal._check_role_permissions(org_id, name, permissions);
    IF projects_only IS NULL THEN
        RAISE EXCEPTION 'projects_only must not be NULL' USING ERRCODE = '22004';
    END IF;
    INSERT INTO authz.roles (org_id, name, rank, description, projects_only)
    VALUES (org_id, name, rank, description, projects_only) RETURNING id INTO new_id;
    PERFORM authz_internal._set_role_permissions(new_id, permissions);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz.create_role(uuid, text, integer, text[], text, boolean) IS
    'Define a custom workspace role for an organization (needs org.roles.manage; rank 1-99, at most your own; never workspace.delete; only permissions of roles you may assign); projects_only: a project role, which counts in projects only';

CREATE FUNCTION authz.update_role(org_id uuid, name text, new_name text DEFAULT NULL, rank integer DEFAULT NULL,
                                  permissions text[] DEFAULT NULL, description text DEFAULT NULL,
                                  projects_only boolean DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    r authz.roles;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._actor();
    PERFORM authz_internal._require_org(org_id, 'org.roles.manage');
    r := authz_internal._custom_role(org_id, name);
    -- Nobody changes a role ranked above themselves, nor lifts one above.
    PERFORM authz_internal._check_role_rank(org_id, r.name, r.rank);
    IF rank IS NOT NULL THEN
        PERFORM authz_internal._check_role_rank(org_id, r.name, rank);
    END IF;
    IF new_name IS NOT NULL AND new_name <> r.name THEN
        PERFORM authz_internal._check_text('role name', new_name, 63, '^[a-z][a-z0-9_]*$',
            'A role name is lower-case letters, digits and "_", starting with a letter.');
        IF EXISTS (SELECT 1 FROM authz.roles x
                    WHERE x.name = new_name AND (x.org_id IS NULL OR x.org_id = update_role.org_id)) THEN
            RAISE EXCEPTION 'role "%" already exists in organization "%"', new_name, authz_internal._org_label(org_id)
                USING ERRCODE = '23505';
        END IF;
    END IF;
    IF description IS NOT NULL THEN
        PERFORM authz_internal._check_text('description', description, 1000);
    END IF;
    IF permissions IS NOT NULL THEN
        PERFORM authz_internal._check_role_permissions(org_id, r.name, permissions,
            ARRAY(SELECT rp.permission FROM authz.role_permissions rp WHERE rp.role_id = r.id));
    END IF;
    UPDATE authz.roles x
       SET name = coalesce(new_name, x.name), rank = coalesce(update_role.rank, x.rank),
           description = coalesce(update_role.description, x.description),
           projects_only = coalesce(update_role.projects_only, x.projects_only)
     WHERE x.id = r.id;
    IF permissions IS NOT NULL THEN
        PERFORM authz_internal._set_role_permissions(r.id, permissions);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.update_role(uuid, text, text, integer, text[], text, boolean) IS
    'Rename a custom role, or change its rank, permissions or description, or whether it is a project role (NULL keeps a value; needs org.roles.manage; added permissions as for create_role)';

CREATE FUNCTION authz.drop_role(org_id uuid, name text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    r authz.roles;
    uses text;
BEGIN
    PERFORM authz_internal._org(org_id);
    PERFORM authz_internal._actor();
    PERFORM authz_internal._require_org(org_id, 'org.roles.manage');
    r := authz_internal._custom_role(org_id, name);
    PERFORM authz_internal._check_role_rank(org_id, r.name, r.rank);
    -- Expired participations and project memberships give nothing: they do not count.
    SELECT string_agg(n || ' ' || what, ', ') INTO uses FROM (
        SELECT count(*) AS n, 'participant(s)' AS what FROM authz.participants p
         WHERE p.role_id = r.id AND (p.expires_at IS NULL OR p.expires_at > now())
        UNION ALL SELECT count(*), 'project member(s)' FROM authz.project_members pm
         WHERE pm.role_id = r.id AND (pm.expires_at IS NULL OR pm.expires_at > now())
        UNION ALL SELECT count(*), 'org-wide assignment(s)' FROM authz.org_members m WHERE m.workspace_role = r.id
        UNION ALL SELECT count(*), 'workspace setting(s)' FROM authz.workspaces w
                   WHERE w.shared_role = r.id OR w.join_role = r.id
        UNION ALL SELECT count(*), 'organization setting(s)' FROM authz.orgs o
                   WHERE r.id IN (o.admin_workspace_role, o.member_workspace_role, o.default_shared_role, o.default_join_role)
        UNION ALL SELECT count(*), 'pending invitation(s)' FROM authz.invitations i
                   WHERE i.role_id = r.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
    ) x WHERE n > 0;
    IF uses IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" is still assigned', r.name
            USING ERRCODE = '2BP01', DETAIL = 'It is used by ' || uses || '.',
                  HINT = 'Give those another role first.';
    END IF;
    -- ... and go with the role (each deletion audited).
    DELETE FROM authz.participants p WHERE p.role_id = r.id AND p.expires_at <= now();
    DELETE FROM authz.project_members pm WHERE pm.role_id = r.id AND pm.expires_at <= now();
    DELETE FROM authz.role_permissions rp WHERE rp.role_id = r.id;
    DELETE FROM authz.roles x WHERE x.id = r.id;
END
$$;
COMMENT ON FUNCTION authz.drop_role(uuid, text) IS
    'Drop a custom role (needs org.roles.manage; refused with 2BP01 while anything uses it; expired participations and project memberships holding it are deleted with it)';

-- ---- organization settings ------------------------------------------------

-- A role for an org setting: NULL or a role of the org, never owner where
-- given to many, and at most the actor's org-wide limit; nor may the actor
-- change a setting whose current role ranks above that limit.
CREATE FUNCTION authz_internal._setting_role(org_id uuid, setting text, value jsonb, allow_null boolean,
                                    allow_owner boolean, held uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    cur authz.roles;
    lim integer := coalesce(authz_internal._org_wide_limit(org_id), 0);
BEGIN
    IF value IS NULL OR jsonb_typeof(value) = 'null' THEN
        IF NOT allow_null THEN
            RAISE EXCEPTION 'setting "%" must not be null', setting USING ERRCODE = '22004';
        END IF;
    ELSE
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'setting "%" must be a role name, not %', setting, value USING ERRCODE = '22023';
        END IF;
        r := authz_internal._role(org_id, value #>> '{}');
        IF r.rank >= 100 AND NOT allow_owner THEN
            RAISE EXCEPTION 'setting "%" cannot be role "owner"', setting
                USING ERRCODE = '22023', HINT = 'Owners are made one by one.';
        END IF;
        IF r.rank > lim THEN
            RAISE EXCEPTION 'cannot set "%" to role "%" (rank %) above your own rank (%)', setting, r.name, r.rank, lim
                USING ERRCODE = '42501';
        END IF;
    END IF;
    SELECT * INTO cur FROM authz.roles x WHERE x.id = held;
    IF FOUND AND cur.id IS DISTINCT FROM r.id AND cur.rank > lim THEN
        RAISE EXCEPTION 'cannot change "%" from role "%" (rank %) above your own rank (%)', setting, cur.name, cur.rank, lim
            USING ERRCODE = '42501', HINT = 'Someone whose limit reaches that rank, such as an org owner, may change it.';
    END IF;
    RETURN r.id;
END
$$;
COMMENT ON FUNCTION authz_internal._setting_role(uuid, text, jsonb, boolean, boolean, uuid) IS
    'Internal: validate a role-valued setting, and the role it replaces, against the actor''s org-wide limit';

CREATE FUNCTION authz_internal._setting_bool(setting text, value jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) IS DISTINCT FROM 'boolean' THEN
        RAISE EXCEPTION 'setting "%" must be true or false, not %', setting, value USING ERRCODE = '22023';
    END IF;
    RETURN value::boolean;
END
$$;
COMMENT ON FUNCTION authz_internal._setting_bool(text, jsonb) IS 'Internal: a boolean setting (22023 otherwise)';

-- An integer setting in [lo, hi], or NULL where allowed.
CREATE FUNCTION authz_internal._setting_int(setting text, value jsonb, lo integer, hi integer, allow_null boolean)
    RETURNS integer LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) = 'null' AND allow_null THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(value) IS DISTINCT FROM 'number' OR (value::numeric % 1) <> 0
       OR value::numeric < lo OR value::numeric > hi THEN
        RAISE EXCEPTION 'setting "%" must be a whole number from % to %, not %', setting, lo, hi, value
            USING ERRCODE = '22023', HINT = CASE WHEN allow_null THEN 'null means no limit.' END;
    END IF;
    RETURN value::integer;
END
$$;
COMMENT ON FUNCTION authz_internal._setting_int(text, jsonb, integer, integer, boolean) IS 'Internal: an integer setting in range (22023 otherwise)';

-- A text setting, or NULL where allowed.
CREATE FUNCTION authz_internal._setting_text(setting text, value jsonb, max_length integer, allow_null boolean)
    RETURNS text LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) = 'null' AND allow_null THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(value) IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'setting "%" must be a string, not %', setting, value USING ERRCODE = '22023';
    END IF;
    RETURN authz_internal._check_text(setting, value #>> '{}', max_length);
END
$$;
COMMENT ON FUNCTION authz_internal._setting_text(text, jsonb, integer, boolean) IS 'Internal: a text setting (22023 otherwise)';

-- Settings must be a JSON object with known keys only.
CREATE FUNCTION authz_internal._check_settings(settings jsonb, known text[]) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF settings IS NULL THEN
        RAISE EXCEPTION 'settings must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(settings) <> 'object' THEN
        RAISE EXCEPTION 'settings must be a JSON object, not %', settings USING ERRCODE = '22023';
    END IF;
    FOR k IN SELECT jsonb_object_keys(settings) LOOP
        IF NOT k = ANY (known) THEN
            RAISE EXCEPTION 'unknown setting "%"', k
                USING ERRCODE = '22023', HINT = 'Known settings: ' || array_to_string(known, ', ') || '.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz_internal._check_settings(jsonb, text[]) IS 'Internal: a settings object with known keys only (22004, 22023)';

CREATE FUNCTION authz.update_org(org_id uuid, settings jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz_internal._org(org_id);
BEGIN
    PERFORM authz_internal._actor();
    PERFORM authz_internal._check_settings(settings, '{full_name,members_can_create_workspaces,admin_workspace_role,'
        'member_workspace_role,default_shared_role,default_join_role,max_participants,allow_collaborators}');
    PERFORM authz_internal._require_org(org_id, 'org.update');
    IF settings ? 'full_name' THEN
        o.full_name := authz_internal._setting_text('full_name', settings -> 'full_name', 200, true);
    END IF;
    IF settings ? 'members_can_create_workspaces' THEN
        o.members_can_create_workspaces :=
            authz_internal._setting_bool('members_can_create_workspaces', settings -> 'members_can_create_workspaces');
    END IF;
    IF settings ? 'admin_workspace_role' THEN
        o.admin_workspace_role := authz_internal._setting_role(org_id, 'admin_workspace_role',
            settings -> 'admin_workspace_role', true, true, o.admin_workspace_role);
        -- It is what the org's owners hold in every workspace too, and
        -- admins cannot change owners.
        IF o.admin_workspace_role IS DISTINCT FROM (authz_internal._org(org_id)).admin_workspace_role
           AND authz_internal._org_role_of(org_id, authz_internal._actor()) IS DISTINCT FROM 'owner' THEN
            RAISE EXCEPTION 'only owners of organization "%" may change "admin_workspace_role"', authz_internal._org_label(org_id)
                USING ERRCODE = '42501', HINT = 'It is the workspace role the organization''s owners hold too.';
        END IF;
    END IF;
    IF settings ? 'member_workspace_role' THEN
        o.member_workspace_role := authz_internal._setting_role(org_id, 'member_workspace_role',
            settings -> 'member_workspace_role', true, true, o.member_workspace_role);
    END IF;
    IF settings ? 'default_shared_role' THEN
        o.default_shared_role := authz_internal._setting_role(org_id, 'default_shared_role',
            settings -> 'default_shared_role', false, false, o.default_shared_role);
    END IF;
    IF settings ? 'default_join_role' THEN
        o.default_join_role := authz_internal._setting_role(org_id, 'default_join_role',
            settings -> 'default_join_role', false, false, o.default_join_role);
    END IF;
    IF settings ? 'max_participants' THEN
        o.max_participants := authz_internal._setting_int('max_participants', settings -> 'max_participants',
            1, 1000000, true);
    END IF;
    IF settings ? 'allow_collaborators' THEN
        o.allow_collaborators := authz_internal._setting_bool('allow_collaborators', settings -> 'allow_collaborators');
    END IF;
    UPDATE authz.orgs x
       SET full_name = o.full_name, members_can_create_workspaces = o.members_can_create_workspaces,
           admin_workspace_role = o.admin_workspace_role, member_workspace_role = o.member_workspace_role,
           default_shared_role = o.default_shared_role, default_join_role = o.default_join_role,
           max_participants = o.max_participants, allow_collaborators = o.allow_collaborators
     WHERE x.id = org_id;
END
$$;
COMMENT ON FUNCTION authz.update_org(uuid, jsonb) IS
    'Change organization settings: full_name, members_can_create_workspaces, admin_workspace_role (owners only), member_workspace_role, default_shared_role, default_join_role, max_participants, allow_collaborators (needs org.update; role settings, old and new, within your org-wide limit)';

-- ---- workspace settings ---------------------------------------------------

-- Rank rule for a workspace's shared or join role: the role being replaced
-- must not be above the actor's rank either.
CREATE FUNCTION authz_internal._check_replaced_role(workspace_id uuid, which text, held uuid, replacement uuid,
                                           actor_rank integer) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur authz.roles;
BEGIN
    SELECT * INTO cur FROM authz.roles x WHERE x.id = held;
    IF FOUND AND held IS DISTINCT FROM replacement AND cur.rank > actor_rank THEN
        RAISE EXCEPTION 'cannot change the % role of workspace "%" from role "%" (rank %) above your own rank (%)',
            which, authz_internal._workspace_label(workspace_id), cur.name, cur.rank, actor_rank
            USING ERRCODE = '42501', HINT = 'Someone ranked at least as high, such as an owner, may change it.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._check_replaced_role(uuid, text, uuid, uuid, integer) IS
    'Internal: refuse to replace a workspace''s shared or join role ranked above the actor';

CREATE FUNCTION authz.update_workspace(workspace_id uuid, settings jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
    actor_rank integer;
    r authz.roles;
    new_role uuid;
    label jsonb;
    lbls text[];
BEGIN
    PERFORM authz_internal._actor();
    PERFORM authz_internal._check_settings(settings, '{name,full_name,description,visibility,shared_role,'
        'join_policy,join_role,labels,session_lifespan_hours}');
    PERFORM authz_internal._require(workspace_id, 'workspace.update');
    actor_rank := authz_internal._rank(authz_internal._actor(), workspace_id);
    IF w.org_id IS NULL AND (settings ?| ARRAY['name', 'visibility', 'shared_role', 'join_policy', 'join_role']) THEN
        RAISE EXCEPTION 'personal workspace "%" keeps its name, visibility and roles', w.name
            USING ERRCODE = '22023';
    END IF;
    IF settings ? 'name' THEN
        w.name := authz_internal._setting_text('name', settings -> 'name', 63, false);
        PERFORM authz_internal._check_text('workspace name', w.name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
            'A workspace name is letters, digits, "_", "." and "-", starting with a letter or digit.');
        IF EXISTS (SELECT 1 FROM authz.workspaces x
                    WHERE x.org_id = w.org_id AND x.name = w.name AND x.id <> w.id) THEN
            RAISE EXCEPTION 'workspace "%" already exists in organization "%"', w.name, authz_internal._org_label(w.org_id)
                USING ERRCODE = '23505';
        END IF;
    END IF;
    IF settings ? 'full_name' THEN
        w.full_name := authz_internal._setting_text('full_name', settings -> 'full_name', 200, true);
    END IF;
    IF settings ? 'description' THEN
        w.description := authz_internal._setting_text('description', settings -> 'description', 10000, true);
    END IF;
    IF settings ? 'visibility' THEN
        w.visibility := authz_internal._check_choice('visibility', authz_internal._setting_text('visibility', settings -> 'visibility', 63, false),
                                            '{private,shared}');
    END IF;
    IF settings ? 'join_policy' THEN
        w.join_policy := authz_internal._check_choice('join policy', authz_internal._setting_text('join_policy', settings -> 'join_policy', 63, false),
                                             '{invite_only,open}');
    END IF;
    -- Roles handed to many people: never owner, never above the actor's rank.
    IF settings ? 'shared_role' OR settings ? 'join_role' THEN
        FOR r IN SELECT x.* FROM authz.roles x
                  WHERE x.name = ANY (ARRAY[settings ->> 'shared_role', settings ->> 'join_role'])
                    AND (x.org_id IS NULL OR x.org_id = w.org_id)
        LOOP
            IF r.rank >= 100 OR r.rank > actor_rank THEN
                RAISE EXCEPTION 'cannot make role "%" (rank %) the shared or join role of workspace "%"',
                    r.name, r.rank, authz_internal._workspace_label(workspace_id)
                    USING ERRCODE = '42501', HINT = 'Use a role ranked below owner and at most your own rank.';
            END IF;
        END LOOP;
        IF settings ? 'shared_role' THEN
            new_role := (authz_internal._role(w.org_id, authz_internal._setting_text('shared_role', settings -> 'shared_role', 63, false))).id;
            PERFORM authz_internal._check_replaced_role(workspace_id, 'shared', w.shared_role, new_role, actor_rank);
            w.shared_role := new_role;
        END IF;
        IF settings ? 'join_role' THEN
            new_role := (authz_internal._role(w.org_id, authz_internal._setting_text('join_role', settings -> 'join_role', 63, false))).id;
            PERFORM authz_internal._check_replaced_role(workspace_id, 'join', w.join_role, new_role, actor_rank);
            w.join_role := new_role;
        END IF;
    END IF;
    IF settings ? 'labels' THEN
        IF jsonb_typeof(settings -> 'labels') <> 'array' OR jsonb_array_length(settings -> 'labels') > 100 THEN
            RAISE EXCEPTION 'setting "labels" must be an array of at most 100 strings' USING ERRCODE = '22023';
        END IF;
        lbls := '{}';
        FOR label IN SELECT jsonb_array_elements(settings -> 'labels') LOOP
            lbls := lbls || authz_internal._check_text('label', authz_internal._setting_text('label', label, 63, false), 63,
                                              '^[A-Za-z0-9][A-Za-z0-9_.:=-]*$',
                                              'A label is letters, digits, "_", ".", ":", "=" and "-".');
        END LOOP;
        w.labels := ARRAY(SELECT DISTINCT x FROM unnest(lbls) x ORDER BY x);
    END IF;
    IF settings ? 'session_lifespan_hours' THEN
        w.session_lifespan_hours := authz_internal._setting_int('session_lifespan_hours',
            settings -> 'session_lifespan_hours', 1, 120, true);
    END IF;
    UPDATE authz.workspaces x
       SET name = w.name, full_name = w.full_name, description = w.description, visibility = w.visibility,
           shared_role = w.shared_role, join_policy = w.join_policy, join_role = w.join_role,
           labels = w.labels, session_lifespan_hours = w.session_lifespan_hours
     WHERE x.id = w.id;
END
$$;
COMMENT ON FUNCTION authz.update_workspace(uuid, jsonb) IS
    'Change workspace settings: name, full_name, description, visibility, shared_role, join_policy, join_role, labels, session_lifespan_hours (1-120, null for unlimited); needs workspace.update';

CREATE FUNCTION authz.delete_workspace(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._workspace(workspace_id);
BEGIN
    PERFORM authz_internal._actor();
    IF w.org_id IS NULL THEN
        RAISE EXCEPTION 'personal workspace "%" cannot be deleted', w.name
            USING ERRCODE = '22023', HINT = 'It goes with its user.';
    END IF;
    PERFORM authz_internal._require(workspace_id, 'workspace.delete');
    DELETE FROM authz.workspaces x WHERE x.id = workspace_id;
END
$$;
COMMENT ON FUNCTION authz.delete_workspace(uuid) IS
    'Delete a workspace with its participants and projects, irreversibly (owners only; refused while it holds credits; the audit log keeps its history)';

-- ---- who may join a workspace ---------------------------------------------

-- Before adding a participant or project member: the org's collaborator
-- policy and participant limit. A workspace's seats are its unexpired
-- participants (users and teams) and the users who hold an unexpired role in
-- one of its projects without participating ("Collaborators count toward the
-- total number of workspace participants"); a user who holds a seat already
-- takes no new one. The dummy update queues concurrent additions to one
-- workspace, as in _assert_workspace_owner, so two sessions cannot both take
-- the last seat.
CREATE FUNCTION authz_internal._check_capacity(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o authz.orgs;
    n bigint;
BEGIN
    SELECT x.* INTO o FROM authz.orgs x JOIN authz.workspaces w ON w.org_id = x.id
     WHERE w.id = _check_capacity.workspace_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF user_id IS NOT NULL AND NOT o.allow_collaborators
       AND NOT EXISTS (SELECT 1 FROM authz.org_members m WHERE m.org_id = o.id AND m.user_id = _check_capacity.user_id) THEN
        RAISE EXCEPTION 'organization "%" does not allow collaborators from outside it', authz_internal._org_label(o.id)
            USING ERRCODE = '42501', HINT = 'Add the user to the organization first.';
    END IF;
    IF o.max_participants IS NOT NULL THEN
        UPDATE authz.workspaces w SET id = w.id WHERE w.id = _check_capacity.workspace_id;
        IF user_id IS NOT NULL AND (
               EXISTS (SELECT 1 FROM authz.participants p
                        WHERE p.workspace_id = _check_capacity.workspace_id AND p.user_id = _check_capacity.user_id
                          AND (p.expires_at IS NULL OR p.expires_at > now()))
            OR EXISTS (SELECT 1 FROM authz.project_members pm JOIN authz.projects pr ON pr.id = pm.project_id
                        WHERE pr.workspace_id = _check_capacity.workspace_id AND pm.user_id = _check_capacity.user_id
                          AND (pm.expires_at IS NULL OR pm.expires_at > now()))) THEN
            RETURN;     -- holds a seat already
        END IF;
        SELECT (SELECT count(*) FROM authz.participants p
                 WHERE p.workspace_id = _check_capacity.workspace_id
                   AND (p.expires_at IS NULL OR p.expires_at > now()))
             + (SELECT count(DISTINCT pm.user_id) FROM authz.project_members pm
                  JOIN authz.projects pr ON pr.id = pm.project_id
                 WHERE pr.workspace_id = _check_capacity.workspace_id
                   AND (pm.expires_at IS NULL OR pm.expires_at > now())
                   AND NOT EXISTS (SELECT 1 FROM authz.participants p
                                    WHERE p.workspace_id = _check_capacity.workspace_id AND p.user_id = pm.user_id
                                      AND (p.expires_at IS NULL OR p.expires_at > now())))
          INTO n;
        IF n >= o.max_participants THEN
            RAISE EXCEPTION 'workspace "%" has reached its limit of % participants',
                authz_internal._workspace_label(workspace_id), o.max_participants
                USING ERRCODE = '23514',
                      HINT = 'Remove a participant or project-only member, or raise the organization''s max_participants.';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._check_capacity(uuid, uuid) IS
    'Internal: refuse a new participant or project member beyond the org''s limit (project-only members count) or from outside an org that allows no collaborators (serialises concurrent additions)';
