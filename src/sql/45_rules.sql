-- ---------------------------------------------------------------------------
-- Rules of the model, enforced by triggers whatever path changes the data:
-- cache invalidation, last-owner protection, and data validation.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz_internal._invalidate_cache() RETURNS trigger
    AS 'MODULE_PATHNAME', 'cache_invalidate_trigger' LANGUAGE C;
COMMENT ON FUNCTION authz_internal._invalidate_cache() IS
    'Internal trigger: when this transaction commits, every backend drops the cache entries read from what it changed (with arguments, per row: the user, organization, workspace, team or project each row names; otherwise everything)';

-- A change to the registry or the roles invalidates every cache. A row of the
-- other tables names what it is about, so that only the cache entries read
-- from it are reloaded (cache.c); TRUNCATE invalidates everything.
DO $$
DECLARE
    t text;
    k record;
BEGIN
    FOREACH t IN ARRAY ARRAY['permissions', 'roles', 'role_permissions', 'org_role_permissions']
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authz.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._invalidate_cache()', t);
    END LOOP;
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
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache AFTER TRUNCATE ON authz.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._invalidate_cache()', k.rel);
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_rows AFTER INSERT OR UPDATE OR DELETE ON authz.%I'
            ' FOR EACH ROW EXECUTE FUNCTION authz_internal._invalidate_cache(%s)', k.rel, k.args);
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER invalidate_rows ON authz.%I IS %L', k.rel,
            'Each changed row invalidates, in every backend, the cache entries read from what it names');
    END LOOP;
END
$$;

-- Every org workspace keeps at least one active direct owner participant.
-- Locking: the dummy UPDATE of the workspace row makes concurrent owner changes
-- of one workspace queue behind each other; under READ COMMITTED the count
-- below then sees the other's committed change, and under REPEATABLE READ or
-- SERIALIZABLE the second writer gets a serialization failure instead.
CREATE FUNCTION authz_internal._assert_workspace_owner(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authz.workspaces w SET id = w.id
     WHERE w.id = _assert_workspace_owner.workspace_id AND w.org_id IS NOT NULL;
    IF NOT FOUND THEN
        RETURN;     -- a personal workspace, or one being deleted
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authz.participants p JOIN authz.users u ON u.id = p.user_id
                    WHERE p.workspace_id = _assert_workspace_owner.workspace_id
                      AND p.role_id = '00000000-0000-0000-0000-000000000001'
                      AND u.status = 'active') THEN
        RAISE EXCEPTION 'workspace "%" must keep at least one owner', authz_internal._workspace_label(workspace_id)
            USING ERRCODE = '23514', HINT = 'Make another participant an owner first.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._assert_workspace_owner(uuid) IS
    'Internal: 23514 unless the org workspace still has an active direct owner (serialises concurrent changes)';

-- Every organization keeps at least one active owner; locking as above.
CREATE FUNCTION authz_internal._assert_org_owner(org_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authz.orgs o SET id = o.id WHERE o.id = _assert_org_owner.org_id;
    IF NOT FOUND THEN
        RETURN;     -- being deleted
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
                    WHERE m.org_id = _assert_org_owner.org_id AND m.role = 'owner'
                      AND u.status = 'active') THEN
        RAISE EXCEPTION 'organization "%" must keep at least one owner',
            authz_internal._org_label(org_id)
            USING ERRCODE = '23514', HINT = 'Make another member an owner first.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz_internal._assert_org_owner(uuid) IS
    'Internal: 23514 unless the organization still has an active owner (serialises concurrent changes)';

CREATE FUNCTION authz_internal._participants_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._assert_workspace_owner(OLD.workspace_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._participants_owner_guard() IS 'Internal trigger: last workspace owner protection';

CREATE TRIGGER owner_guard AFTER DELETE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL AND OLD.role_id = '00000000-0000-0000-0000-000000000001')
    EXECUTE FUNCTION authz_internal._participants_owner_guard();
CREATE TRIGGER owner_guard_update AFTER UPDATE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL AND OLD.role_id = '00000000-0000-0000-0000-000000000001'
          AND NEW.role_id IS DISTINCT FROM OLD.role_id)
    EXECUTE FUNCTION authz_internal._participants_owner_guard();

CREATE FUNCTION authz_internal._org_members_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._assert_org_owner(OLD.org_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._org_members_owner_guard() IS 'Internal trigger: last org owner protection';

CREATE TRIGGER owner_guard AFTER DELETE ON authz.org_members FOR EACH ROW
    WHEN (OLD.role = 'owner')
    EXECUTE FUNCTION authz_internal._org_members_owner_guard();
CREATE TRIGGER owner_guard_update AFTER UPDATE ON authz.org_members FOR EACH ROW
    WHEN (OLD.role = 'owner' AND NEW.role <> 'owner')
    EXECUTE FUNCTION authz_internal._org_members_owner_guard();

-- Deactivating a user must not leave a workspace or an organization ownerless.
CREATE FUNCTION authz_internal._users_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id uuid;
BEGIN
    FOR id IN SELECT p.workspace_id FROM authz.participants p
               WHERE p.user_id = NEW.id AND p.role_id = '00000000-0000-0000-0000-000000000001'
               ORDER BY 1
    LOOP
        PERFORM authz_internal._assert_workspace_owner(id);
    END LOOP;
    FOR id IN SELECT m.org_id FROM authz.org_members m
               WHERE m.user_id = NEW.id AND m.role = 'owner' ORDER BY 1
    LOOP
        PERFORM authz_internal._assert_org_owner(id);
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._users_owner_guard() IS 'Internal trigger: deactivation keeps every workspace and org owned';

CREATE TRIGGER owner_guard AFTER UPDATE OF status ON authz.users FOR EACH ROW
    WHEN (OLD.status = 'active' AND NEW.status <> 'active')
    EXECUTE FUNCTION authz_internal._users_owner_guard();

-- A participant's grants come with the participation and end with it,
-- whatever ends it (leaving, removal, an expired one cleared before
-- re-adding, leaving the organization). Denies stay: a deny is lifted only by
-- someone who manages the workspace's members (authz.reset_permissions or
-- authz.grant), never by the denied user leaving and coming back.
CREATE FUNCTION authz_internal._participants_end_grants() RETURNS trigger
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

CREATE TRIGGER end_grants AFTER DELETE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL)
    EXECUTE FUNCTION authz_internal._participants_end_grants();

-- Workspace roles hold workspace permissions only.
CREATE FUNCTION authz_internal._role_permissions_validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz_internal._check_permissions(ARRAY[NEW.permission]);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION authz_internal._role_permissions_validate() IS
    'Internal trigger: workspace roles, grants and denies carry workspace permissions only';

CREATE TRIGGER validate BEFORE INSERT OR UPDATE ON authz.role_permissions FOR EACH ROW
    EXECUTE FUNCTION authz_internal._role_permissions_validate();

-- Grants and denies, like roles, carry workspace permissions only.
CREATE TRIGGER validate BEFORE INSERT OR UPDATE ON authz.participant_permissions FOR EACH ROW
    EXECUTE FUNCTION authz_internal._role_permissions_validate();
