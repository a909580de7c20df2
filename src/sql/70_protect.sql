-- ---------------------------------------------------------------------------
-- RLS for application tables keyed by workspace
-- ---------------------------------------------------------------------------

-- Drop the policies authz.protect creates, those that exist.
CREATE FUNCTION authz_internal._drop_policies(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p name;
BEGIN
    FOR p IN SELECT x.polname FROM pg_policy x
              WHERE x.polrelid = tbl
                AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete')
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', p, tbl);
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz_internal._drop_policies(regclass) IS
    'Internal: drop the policies authz.protect created on a table (runs as the caller)';

CREATE FUNCTION authz.protect(tbl regclass, workspace_column name DEFAULT 'workspace_id',
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

    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tbl AND i.indkey[0] = att.attnum) THEN
        RAISE NOTICE 'no index on "%" starts with column "%"', tbl, workspace_column
            USING HINT = format('CREATE INDEX ON %s (%I) lets selective queries use an index scan.',
                                tbl, workspace_column);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.protect(regclass, name, text, text, text, text, text) IS
    'Enable RLS on a table keyed by workspace (or, with scope => ''project'', by project), one policy per command checking authz.can (or authz.can_project); idempotent; table owner only';

CREATE FUNCTION authz.unprotect(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    PERFORM authz_internal._drop_policies(tbl);
    IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = tbl) THEN
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.unprotect(regclass) IS
    'Drop the policies authz.protect created; RLS is disabled again unless other policies remain';
