-- Benchmark data for transfers: one organization with :workspaces workspaces,
-- each topped up with far more credits than the runs can move, and the login
-- role bench_transfer, trusted, whose sessions act as the organization owner
-- through a role setting (pgbench has no per-connection start-up script).
-- Run as a superuser in a fresh database with the extension installed.
SET client_min_messages = warning;
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_transfer') AS missing \gset
\if :missing
CREATE ROLE bench_transfer LOGIN;
\endif
GRANT workspace_authz_trusted TO bench_transfer;

SELECT authz.create_user('bench_owner', 'bench-owner@example.com') AS owner \gset
SELECT authz.set_user(:'owner', false);
SELECT authz.create_org('bench', 'Transfer benchmark') AS org \gset

CREATE SCHEMA bench;
CREATE TABLE bench.ws (n int PRIMARY KEY, id uuid NOT NULL UNIQUE);
INSERT INTO bench.ws SELECT i, authz.create_workspace(:'org', 'ws' || i) FROM generate_series(1, :workspaces) i;
SELECT authz.set_user(NULL, false);
-- top-ups are the platform's (no user asserted)
SELECT count(authz.add_credits(id, '1000000000')) AS topped_up FROM bench.ws;

ALTER ROLE bench_transfer SET workspace_authz.user_id = :'owner';
GRANT USAGE ON SCHEMA bench TO bench_transfer;
GRANT SELECT ON bench.ws TO bench_transfer;
VACUUM ANALYZE;
