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

CREATE FUNCTION authz.unprotect(tbl regclass) RETURNS void
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
