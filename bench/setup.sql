-- Benchmark data: one organization with 1,000 workspaces, :rows_per_ws rows of
-- an application table per workspace (1,000 by default: 1,000,000 rows, stored
-- in random order), users with 1 / 10 / 100 / 1,000 visible workspaces and an
-- org admin who sees all.
-- The same rows are loaded into one table per method, each protected its own way:
--   bench.docs_authz    authz.protect (authz.can, C resolver); also the floor's
--                       table (read by the owner, without RLS)
--   bench.docs_sql      reference: workspace_id IN (SELECT ... FROM memberships ...),
--                       the membership-subquery policy basejump recommends
--   bench.docs_definer  reference: a per-row SECURITY DEFINER membership function,
--                       bench.has_workspace_access(workspace_id, permission)
--   bench.docs_claims   reference: a per-row check of the workspace roles carried
--                       in the request's JWT claims (current_setting(...)::jsonb)
--   bench.docs_plpgsql  reference: a PL/pgSQL membership lookup per row
-- Every reference policy answers "does the user hold content.read here" from the
-- same memberships and role permissions as the extension's model.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
\if :{?rows_per_ws}
\else
\set rows_per_ws 1000
\endif

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
CREATE TABLE bench.visible (label text PRIMARY KEY, ids uuid[] NOT NULL, who text NOT NULL, ord integer NOT NULL);
INSERT INTO bench.visible
SELECT u.label,
       CASE WHEN u.label = 'admin' THEN (SELECT array_agg(id ORDER BY n) FROM bench.ws)
            ELSE (SELECT array_agg(id ORDER BY n) FROM bench.ws WHERE n <= substr(u.label, 2)::integer) END,
       CASE u.label WHEN 'v1' THEN 'member of 1 workspace'
                    WHEN 'admin' THEN 'org admin (all 1,000 workspaces through the org)'
                    ELSE 'member of ' || to_char(substr(u.label, 2)::integer, 'FM9,999') || ' workspaces' END,
       CASE u.label WHEN 'admin' THEN 5 ELSE length(u.label) - 1 END
  FROM bench.users u WHERE u.label <> 'owner';

-- The application rows.
CREATE TABLE bench.docs_authz (id bigint PRIMARY KEY, workspace_id uuid NOT NULL, title text NOT NULL, size integer NOT NULL);
INSERT INTO bench.docs_authz
SELECT g, w.id, 'document ' || g, ((g::bigint * 7919) % 100000)::integer
  FROM generate_series(1, 1000 * :rows_per_ws) g
  JOIN bench.ws w ON w.n = 1 + (g % 1000)
 ORDER BY md5(g::text);
CREATE INDEX ON bench.docs_authz (workspace_id);
CREATE TABLE bench.docs_sql (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_sql SELECT * FROM bench.docs_authz;
CREATE TABLE bench.docs_definer (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_definer SELECT * FROM bench.docs_authz;
CREATE TABLE bench.docs_claims (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_claims SELECT * FROM bench.docs_authz;
CREATE TABLE bench.docs_plpgsql (LIKE bench.docs_authz INCLUDING ALL);
INSERT INTO bench.docs_plpgsql SELECT * FROM bench.docs_authz;
GRANT SELECT ON bench.docs_authz, bench.docs_sql, bench.docs_definer, bench.docs_claims, bench.docs_plpgsql TO bench_app;

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

-- The JWT claims each user's requests would carry: their workspace roles.
CREATE TABLE bench.claims (label text PRIMARY KEY, claims text NOT NULL);
INSERT INTO bench.claims
SELECT u.label, jsonb_build_object('sub', u.id, 'role', 'authenticated',
           'app_metadata', jsonb_build_object('workspaces',
               (SELECT jsonb_object_agg(m.workspace_id, m.role) FROM bench.memberships m WHERE m.user_id = u.id)))::text
  FROM bench.users u WHERE u.label <> 'owner';
GRANT SELECT ON bench.claims TO bench_app;

-- (plpgsql) PL/pgSQL reference: look the caller's role up, then the role's permissions.
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

-- (sql) the membership subquery.
ALTER TABLE bench.docs_sql ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON bench.docs_sql FOR SELECT
    USING (workspace_id IN (SELECT m.workspace_id FROM bench.memberships m
                             WHERE m.user_id = current_setting('app.user_id')::uuid));

-- (definer) a SECURITY DEFINER membership function called per row, the way
-- kits document it: STABLE, pinned search_path, the membership and role
-- permission tables read with the owner's rights.
CREATE FUNCTION bench.has_workspace_access(ws uuid, perm text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM bench.memberships m
                     JOIN bench.role_permissions p ON p.role = m.role
                    WHERE m.user_id = current_setting('app.user_id')::uuid
                      AND m.workspace_id = ws AND p.permission = perm)
$$;
ALTER TABLE bench.docs_definer ENABLE ROW LEVEL SECURITY;
CREATE POLICY read ON bench.docs_definer FOR SELECT USING (bench.has_workspace_access(workspace_id, 'content.read'));

-- (claims) the workspace roles in the request's JWT claims, tested per row; the
-- roles that grant content.read are written into the policy.
SELECT format('CREATE POLICY read ON bench.docs_claims FOR SELECT USING ('
              '(current_setting(''request.jwt.claims'', true)::jsonb -> ''app_metadata'' -> ''workspaces'' '
              '->> workspace_id::text) = ANY (%L::text[]))',
              (SELECT array_agg(role ORDER BY role) FROM bench.role_permissions WHERE permission = 'content.read'))
       AS claims_policy \gset
ALTER TABLE bench.docs_claims ENABLE ROW LEVEL SECURITY;
:claims_policy;

VACUUM ANALYZE bench.docs_authz, bench.docs_sql, bench.docs_definer, bench.docs_claims, bench.docs_plpgsql,
               bench.memberships, bench.role_permissions;
VACUUM ANALYZE authz.users, authz.workspaces, authz.participants, authz.org_members, authz.roles, authz.role_permissions;

-- Plan checks: a timed query whose check runs once per statement (a One-Time
-- Filter or an InitPlan) measures the loop around it, not the check. Fails
-- with the plan when that happens, or when the expected per-row evaluation
-- (a regular expression over the plan's lines) is missing.
CREATE FUNCTION bench.assert_per_row(what text, q text, expect text) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
    bad text;
    seen boolean := expect IS NULL;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        plan := plan || left(line, 200) || CASE WHEN length(line) > 200 THEN ' ...' ELSE '' END || E'\n';
        IF bad IS NULL AND line ~ '(One-Time Filter|InitPlan)' THEN
            bad := btrim(line);
        END IF;
        IF NOT seen AND line ~ expect THEN
            seen := true;
        END IF;
    END LOOP;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'bench plan check failed for %: "%" in the plan, so the check would run once per statement, not per row', what, bad
            USING DETAIL = 'Query: ' || left(q, 200) || E' ...\nPlan:\n' || plan,
                  HINT = 'Make the checked arguments depend on the row.';
    END IF;
    IF NOT seen THEN
        RAISE EXCEPTION 'bench plan check failed for %: no plan line matches "%"', what, expect
            USING DETAIL = 'Query: ' || left(q, 200) || E' ...\nPlan:\n' || plan;
    END IF;
END $$;
GRANT EXECUTE ON FUNCTION bench.assert_per_row(text, text, text) TO bench_app;

-- The plan check must catch the mistake it exists for: a check with constant
-- arguments, which PostgreSQL evaluates once per statement.
DO $$
DECLARE
    caught text;
BEGIN
    BEGIN
        PERFORM bench.assert_per_row('self-test', format(
            'SELECT count(*) FROM generate_series(1, 10) g WHERE authz.check(%L, %L, ''content.read'') AND g IS NOT NULL',
            gen_random_uuid(), gen_random_uuid()), 'Filter: .*"check"\(');
    EXCEPTION WHEN raise_exception THEN
        caught := SQLERRM;
    END;
    IF caught IS NULL OR caught NOT LIKE '%One-Time Filter%' THEN
        RAISE EXCEPTION 'bench plan check self-test failed: a constant-argument check was not reported as a One-Time Filter (%)',
            coalesce(caught, 'no error');
    END IF;
END $$;

-- Timing harness: run a query `runs` times, in ms (the caller has run it once already).
CREATE FUNCTION bench.time_query(q text, runs integer) RETURNS double precision[]
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    result double precision[] := '{}';
BEGIN
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

-- One row per (repeat, user, method): the median of that repeat's runs.
CREATE TABLE bench.results (rep integer, label text, method text, runs integer, median_ms double precision,
                            min_ms double precision, max_ms double precision, rows bigint, ord serial);
GRANT INSERT, SELECT ON bench.results TO bench_app;
GRANT USAGE ON SEQUENCE bench.results_ord_seq TO bench_app;
