-- One repeat of the query scenarios (psql variables: rep, runs, slow_reps).
-- Each query runs as the application role bench_app through RLS (authz and the
-- reference policies) and, for the floor, as the table owner with a constant
-- list of the same visible workspaces and no RLS. Each query's plan is checked
-- first; then it runs once (counting its rows) and is timed :runs more times.
-- The per-row reference policies (definer, claims, plpgsql) take seconds per
-- query: they run only in the first :slow_reps repeats, and only once, that run
-- being the timed one.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION bench.record(rep integer, label text, method text, q text, runs integer,
                                        expect text) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    t double precision[];
    n bigint;
    t0 timestamptz;
BEGIN
    PERFORM bench.assert_per_row(format('%s as %s', method, label), q, expect);
    t0 := clock_timestamp();
    EXECUTE q INTO n;
    IF runs > 0 THEN
        t := bench.time_query(q, runs);
    ELSE
        t := ARRAY[extract(epoch FROM clock_timestamp() - t0) * 1000];
        runs := 1;
    END IF;
    INSERT INTO bench.results (rep, label, method, runs, median_ms, min_ms, max_ms, rows)
    VALUES (rep, label, method, runs, bench.median(t), (SELECT min(x) FROM unnest(t) x),
            (SELECT max(x) FROM unnest(t) x), n);
END $$;
GRANT EXECUTE ON FUNCTION bench.record(integer, text, text, text, integer, text) TO bench_app;

CREATE OR REPLACE FUNCTION bench.floor_query(label text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT format('SELECT count(*) FROM bench.docs_authz WHERE workspace_id = ANY (%L::uuid[])', v.ids)
      FROM bench.visible v WHERE v.label = floor_query.label
$$;

-- The floor for every user, as the owner.
SELECT bench.record(:rep, v.label, 'floor', bench.floor_query(v.label), :runs, NULL)
  FROM bench.visible v ORDER BY v.ord;

SELECT :rep <= :slow_reps AS slow \gset
SET ROLE bench_app;

\set label v1
\ir policies.sql
\set label v10
\ir policies.sql
\set label v100
\ir policies.sql
\set label v1000
\ir policies.sql
\set label admin
\ir policies.sql

RESET ROLE;
SELECT authz.set_user(NULL, false);
