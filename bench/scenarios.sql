-- Query scenarios: each query runs as the application role bench_app through
-- RLS (authz, plpgsql, sql) and, for the floor, as the table owner with a
-- constant list of the same visible workspaces and no RLS.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
TRUNCATE bench.results;

CREATE OR REPLACE FUNCTION bench.record(scenario text, method text, q text, runs integer) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    t double precision[];
    n bigint;
BEGIN
    EXECUTE q INTO n;
    t := bench.time_query(q, runs);
    INSERT INTO bench.results (scenario, method, runs, median_ms, min_ms, rows)
    VALUES (scenario, method, runs, bench.median(t), (SELECT min(x) FROM unnest(t) x), n);
END $$;
GRANT EXECUTE ON FUNCTION bench.record(text, text, text, integer) TO bench_app;

-- One scenario for one user: the floor as owner, then the three policies as bench_app.
CREATE OR REPLACE FUNCTION bench.floor(scenario text, label text, runs integer) RETURNS void
    LANGUAGE sql AS $$
    SELECT bench.record(scenario, 'floor',
        format('SELECT count(*) FROM bench.docs_authz WHERE workspace_id = ANY (%L::uuid[])',
               (SELECT ids FROM bench.visible v WHERE v.label = floor.label)), runs)
$$;

\set runs 9
\set slow_runs 3

SELECT bench.floor('visible 1 (selective)', 'v1', :runs);
SELECT bench.floor('visible 10', 'v10', :runs);
SELECT bench.floor('visible 100 (10%, full scan)', 'v100', :runs);
SELECT bench.floor('visible 1000 (direct)', 'v1000', :runs);
SELECT bench.floor('visible 1000 (org admin)', 'admin', :runs);

SET ROLE bench_app;

\set label v1
\set scenario 'visible 1 (selective)'
\ir policies.sql
\set label v10
\set scenario 'visible 10'
\ir policies.sql
\set label v100
\set scenario 'visible 100 (10%, full scan)'
\ir policies.sql
\set label v1000
\set scenario 'visible 1000 (direct)'
\ir policies.sql
\set label admin
\set scenario 'visible 1000 (org admin)'
\ir policies.sql

RESET ROLE;
SELECT authz.set_user(NULL, false);
