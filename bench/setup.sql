-- Benchmark data: one organization with 1,000 workspaces, 1,000,000 rows of an
-- application table (1,000 per workspace, stored in random order), users with
-- 1 / 10 / 100 / 1,000 visible workspaces and an org admin who sees all.
-- The same rows are loaded into three tables, each protected a different way:
--   bench.docs_authz    authz.protect (authz.can, C resolver)
--   bench.docs_plpgsql  reference: a PL/pgSQL membership lookup per row
--   bench.docs_sql      reference: workspace_id IN (SELECT ... FROM memberships ...)
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS workspace_authz;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_app') THEN
        CREATE ROLE bench_app NOLOGIN;
    END IF;
END $$;
GRANT workspace_authz_trusted TO bench_app;
GRANT USAGE ON SCHEMA bench TO bench_app;

-- Users and the tenancy, built through the public functions.
CREATE TABLE bench.users (label text PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench.users
SELECT l, authz.create_user('bench-' || l, l || '@bench.example')
  FROM unnest(ARRAY['owner', 'v1', 'v10', 'v100', 'v1000', 'admin']) l;

SELECT authz.set_user((SELECT id FROM bench.users WHERE label = 'owner'), false);
CREATE TABLE bench.org AS SELECT authz.create_org('bench', 'Benchmark Inc') AS id;
CREATE TABLE bench.ws (n integer PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench.ws SELECT n, authz.create_workspace((SELECT id FROM bench.org), 'ws-' || n)
  FROM generate_series(1, 1000) n;

SELECT authz.add_org_member((SELECT id FROM bench.org), u.id, CASE u.label WHEN 'admin' THEN 'admin' ELSE 'member' END)
  FROM bench.users u WHERE u.label <> 'owner';
-- vN is a viewer in workspaces 1..N (v1000 is the user with 1,000 memberships).
SELECT authz.add_member(w.id, u.id, 'viewer')
  FROM bench.users u, bench.ws w
 WHERE u.label LIKE 'v%' AND w.n <= substr(u.label, 2)::integer;
SELECT authz.set_user(NULL, false);

-- Visible workspaces per user, as the floor's constant lists.
CREATE TABLE bench.visible (label text PRIMARY KEY, ids uuid[] NOT NULL);
INSERT INTO bench.visible
SELECT u.label, CASE WHEN u.label = 'admin' THEN (SELECT array_agg(id ORDER BY n) FROM bench.ws)
                     ELSE (SELECT array_agg(id ORDER BY n) FROM bench.ws WHERE n <= substr(u.label, 2)::integer) END
  FROM bench.users u WHERE u.label <> 'owner';

-- The application rows.
CREATE TABLE bench.docs_authz (id bigint PRIMARY KEY, workspace_id uuid NOT NULL, title text NOT NULL, size integer NOT NULL);
INSERT INTO bench.docs_authz
SELECT g, w.id, 'document ' || g, ((g::bigint * 7919) % 100000)::integer
  FROM generate_series(1, 1000000) g
  JOIN bench.ws w ON w.n = 1 + (g % 1000)
 ORDER BY md5(g::text);
CREATE INDEX ON bench.docs_authz (workspace_id);
CREATE TABLE bench.docs_plpgsql (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_plpgsql SELECT * FROM bench.docs_authz;
CREATE TABLE bench.docs_sql (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_sql SELECT * FROM bench.docs_authz;
GRANT SELECT ON bench.docs_authz, bench.docs_plpgsql, bench.docs_sql TO bench_app;

SELECT authz.protect('bench.docs_authz');

-- Reference model for the hand-written policies: a membership table with each
-- user's role per workspace (the org admin listed in all 1,000) and role permissions.
CREATE TABLE bench.memberships (user_id uuid, workspace_id uuid, role text NOT NULL,
                                PRIMARY KEY (user_id, workspace_id));
INSERT INTO bench.memberships
SELECT u.id, w, CASE u.label WHEN 'admin' THEN 'admin' ELSE 'viewer' END
  FROM bench.users u JOIN bench.visible v ON v.label = u.label, unnest(v.ids) w;
CREATE TABLE bench.role_permissions (role text, permission text, PRIMARY KEY (role, permission));
INSERT INTO bench.role_permissions
SELECT r.name, rp.permission FROM authz.role_permissions rp JOIN authz.roles r ON r.id = rp.role_id;
GRANT SELECT ON bench.memberships, bench.role_permissions, bench.users, bench.ws, bench.visible TO bench_app;

-- (b) PL/pgSQL reference: look the caller's role up, then the role's permissions.
CREATE FUNCTION bench.plpgsql_can(ws uuid, perm text) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    r text;
BEGIN
    SELECT m.role INTO r FROM bench.memberships m
     WHERE m.user_id = current_setting('app.user_id')::uuid AND m.workspace_id = ws;
    IF r IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM bench.role_permissions p WHERE p.role = r AND p.permission = perm);
END $$;
ALTER TABLE bench.docs_plpgsql ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON bench.docs_plpgsql FOR SELECT USING (bench.plpgsql_can(workspace_id, 'content.read'));

-- (c) the common SQL pattern.
ALTER TABLE bench.docs_sql ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON bench.docs_sql FOR SELECT
    USING (workspace_id IN (SELECT m.workspace_id FROM bench.memberships m
                             WHERE m.user_id = current_setting('app.user_id')::uuid));

VACUUM ANALYZE bench.docs_authz, bench.docs_plpgsql, bench.docs_sql, bench.memberships, bench.role_permissions;
VACUUM ANALYZE authz.users, authz.workspaces, authz.participants, authz.org_members, authz.roles, authz.role_permissions;

-- Timing harness: run a query `runs` times after one warm-up run, in ms.
CREATE FUNCTION bench.time_query(q text, runs integer) RETURNS double precision[]
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    result double precision[] := '{}';
BEGIN
    EXECUTE q;
    FOR i IN 1..runs LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        result := result || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
    RETURN result;
END $$;
CREATE FUNCTION bench.median(double precision[]) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest($1) x
$$;
GRANT EXECUTE ON FUNCTION bench.time_query(text, integer), bench.median(double precision[]) TO bench_app;
CREATE TABLE bench.results (scenario text, method text, runs integer, median_ms double precision,
                            min_ms double precision, rows bigint, ord serial);
GRANT INSERT, SELECT ON bench.results TO bench_app;
GRANT USAGE ON SEQUENCE bench.results_ord_seq TO bench_app;
