-- Big-tenant benchmark data (bench/big_tenant.sh). psql variables: workspaces,
-- rows, readers. Run as a superuser in a fresh database.
--
-- One organization "big" with :workspaces workspaces and :rows rows of the
-- application table t spread evenly over them, protected with authz.protect.
-- Users (bench.users), all members of "big":
--   owner    the org owner, and the owner participant of every workspace (as
--            authz.create_workspace leaves its creator)
--   admin    an org admin: sees every workspace through the org
--   creator  an org admin with no participation (creates workspaces in the
--            create_workspace scenario)
--   v10, v1000, v10000
--            org members, viewer participants of workspaces 1..N (at most
--            :workspaces)
--   readers  bench.readers: :readers members, each a viewer participant of 10
--            workspaces of its own, read by the pgbench sessions
-- A second organization "other" (owner bench.other_owner, 100 workspaces, 20
-- members) takes the membership changes of the concurrent writer.
--
-- The users, the organizations and their members go through the extension's
-- functions. The workspaces and participants of "big" are loaded in bulk by
-- the platform (no user asserted, as a superuser), one INSERT ... SELECT per
-- table: creating them one by one through authz.create_workspace takes about an
-- hour at this size. Every constraint and trigger of the model stays enabled
-- (foreign keys, checks, the audit log, cache invalidation), and the rows are
-- those create_workspace and add_member would write: each workspace has its
-- active direct owner in the same transaction.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

CREATE EXTENSION workspace_authz;
CREATE SCHEMA bench;
CREATE ROLE bench_app LOGIN;        -- the application, through RLS
CREATE ROLE bench_owner LOGIN;      -- the owner of t: the floor, without RLS
GRANT workspace_authz_trusted TO bench_app;
GRANT USAGE ON SCHEMA bench TO bench_app, bench_owner;

-- ---- users and organizations, through the functions ------------------------
CREATE TABLE bench.users (label text PRIMARY KEY, id uuid NOT NULL UNIQUE, participations integer NOT NULL);
INSERT INTO bench.users
SELECT l, authz.create_user('big-' || l, l || '@big.example'),
       CASE l WHEN 'owner' THEN :workspaces WHEN 'v10' THEN least(10, :workspaces)
              WHEN 'v1000' THEN least(1000, :workspaces) WHEN 'v10000' THEN least(10000, :workspaces) ELSE 0 END
  FROM unnest(ARRAY['owner', 'admin', 'creator', 'v10', 'v1000', 'v10000', 'other_owner']) l;
CREATE TABLE bench.readers (k integer PRIMARY KEY, id uuid NOT NULL UNIQUE);
INSERT INTO bench.readers SELECT k, authz.create_user('big-r' || k, 'r' || k || '@big.example')
  FROM generate_series(1, :readers) k;
CREATE TABLE bench.other_members (k integer PRIMARY KEY, id uuid NOT NULL UNIQUE);
INSERT INTO bench.other_members SELECT k, authz.create_user('other-m' || k, 'm' || k || '@other.example')
  FROM generate_series(1, 20) k;

SELECT id AS owner FROM bench.users WHERE label = 'owner' \gset
SELECT id AS other_owner FROM bench.users WHERE label = 'other_owner' \gset
BEGIN;
SELECT authz.set_user(:'owner');
CREATE TABLE bench.org AS SELECT authz.create_org('big', 'Big tenant') AS id;
COMMIT;
BEGIN;
SELECT authz.set_user(:'other_owner');
CREATE TABLE bench.other_org AS SELECT authz.create_org('other', 'Another tenant') AS id;
CREATE TABLE bench.other_ws AS
SELECT n, authz.create_workspace((SELECT id FROM bench.other_org), 'ws-' || n) AS id FROM generate_series(1, 100) n;
COMMIT;

-- members, added by the platform
SELECT count(authz.add_org_member((SELECT id FROM bench.org), u.id,
                                  CASE WHEN u.label IN ('admin', 'creator') THEN 'admin' ELSE 'member' END))
  FROM bench.users u WHERE u.label NOT IN ('owner', 'other_owner');
SELECT count(authz.add_org_member((SELECT id FROM bench.org), r.id, 'member')) FROM bench.readers r;
SELECT count(authz.add_org_member((SELECT id FROM bench.other_org), m.id, 'member')) FROM bench.other_members m;

-- ---- the big organization's workspaces and participants, in bulk -----------
CREATE TABLE bench.ws (n integer PRIMARY KEY, id uuid NOT NULL UNIQUE);
INSERT INTO bench.ws SELECT n, gen_random_uuid() FROM generate_series(1, :workspaces) n;
BEGIN;
INSERT INTO authz.workspaces (id, org_id, name, shared_role, join_role)
SELECT w.id, o.id, 'ws-' || w.n, o.default_shared_role, o.default_join_role
  FROM bench.ws w CROSS JOIN authz.orgs o WHERE o.id = (SELECT id FROM bench.org) ORDER BY w.n;
-- the creator's owner participation, as authz.create_workspace writes it
INSERT INTO authz.participants (workspace_id, user_id, role_id)
SELECT w.id, :'owner', '00000000-0000-0000-0000-000000000001' FROM bench.ws w ORDER BY w.n;
-- viewers, as authz.add_member(ws, user, 'viewer') writes them
INSERT INTO authz.participants (workspace_id, user_id, role_id)
SELECT w.id, u.id, '00000000-0000-0000-0000-000000000004'
  FROM bench.users u JOIN bench.ws w ON w.n <= u.participations
 WHERE u.label IN ('v10', 'v1000', 'v10000');
-- reader k: workspaces 10k-9 .. 10k (wrapping round)
INSERT INTO authz.participants (workspace_id, user_id, role_id)
SELECT w.id, r.id, '00000000-0000-0000-0000-000000000004'
  FROM bench.readers r CROSS JOIN generate_series(0, 9) j
  JOIN bench.ws w ON w.n = 1 + ((r.k - 1) * 10 + j) % :workspaces
ON CONFLICT DO NOTHING;
COMMIT;

-- ---- the application table ---------------------------------------------------
CREATE TABLE public.t (
    id           bigint PRIMARY KEY,
    workspace_id uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    payload      text NOT NULL
);
-- row i: workspace 1 + (i * 7919) % workspaces (evenly spread, not in runs),
-- one row per second
INSERT INTO public.t
SELECT i, w.id, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', md5(i::text) || ' ' || md5((-i)::text)
  FROM generate_series(1, :rows) i JOIN bench.ws w ON w.n = 1 + (i::bigint * 7919) % :workspaces;
CREATE INDEX t_workspace_id_idx ON public.t (workspace_id);
CREATE INDEX t_workspace_id_created_at_idx ON public.t (workspace_id, created_at);
ALTER TABLE public.t OWNER TO bench_owner;
SET ROLE bench_owner;
SELECT authz.protect('public.t');
RESET ROLE;
GRANT SELECT ON public.t TO bench_app;

-- The outer table of the join: 20 workspaces spread over the organization
-- (every one visible to the admin).
CREATE TABLE bench.outer20 (workspace_id uuid PRIMARY KEY);
INSERT INTO bench.outer20 SELECT id FROM bench.ws WHERE n % greatest(:workspaces / 20, 1) = 0 ORDER BY n LIMIT 20;
GRANT SELECT ON bench.users, bench.readers, bench.ws, bench.org, bench.other_org, bench.other_ws,
                bench.other_members, bench.outer20 TO bench_app;
GRANT SELECT ON bench.outer20 TO bench_owner;

VACUUM ANALYZE public.t, bench.outer20, bench.ws, bench.users, bench.readers;
VACUUM ANALYZE authz.users, authz.orgs, authz.org_members, authz.workspaces, authz.participants, authz.roles,
               authz.role_permissions;

-- ---- measurement helpers ------------------------------------------------------
-- One EXPLAIN of q (options: 'SUMMARY' for planning alone, 'ANALYZE, TIMING
-- OFF, SUMMARY' to run it too), as 'planning ms|execution ms|rows|jit'
-- (execution and rows empty without ANALYZE). Called once per top-level
-- statement, so that each sample is planned as a statement of its own.
CREATE FUNCTION bench.explain_times(q text, options text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    j json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, ' || options || ') ' || q INTO j;
    RETURN concat_ws('|', j -> 0 ->> 'Planning Time', coalesce(j -> 0 ->> 'Execution Time', ''),
                     coalesce(j -> 0 -> 'Plan' ->> 'Actual Rows', ''), (j -> 0 -> 'JIT') IS NOT NULL);
END $$;

-- The plan of q as text, long lines cut.
CREATE FUNCTION bench.plan_text(q text, options text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (' || options || ') ' || q LOOP
        plan := plan || left(line, 160) || CASE WHEN length(line) > 160 THEN ' ...' ELSE '' END || E'\n';
    END LOOP;
    RETURN plan;
END $$;

-- The first check of a session: asserting the user, then authz.can, in ms
-- ('assert+check|check alone').
CREATE FUNCTION bench.first_check(u uuid, ws uuid) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    t1 timestamptz;
    ok boolean;
BEGIN
    PERFORM authz.set_user(u);
    t1 := clock_timestamp();
    ok := authz.can(ws, 'content.read');
    IF NOT ok THEN
        RAISE EXCEPTION 'bench: user % cannot read workspace %', u, ws;
    END IF;
    RETURN (extract(epoch FROM clock_timestamp() - t0) * 1000)::text || '|'
        || (extract(epoch FROM clock_timestamp() - t1) * 1000)::text;
END $$;

-- One authz.create_workspace call by user u, with the assertion, in ms.
CREATE FUNCTION bench.timed_create(u uuid, org uuid, name text) RETURNS double precision
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM authz.set_user(u);
    PERFORM authz.create_workspace(org, name);
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO bench_app, bench_owner;
