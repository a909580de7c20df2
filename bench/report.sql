-- Report helpers, run after the timed scenarios: the plans of every query (and
-- the scenario names derived from them), ratio ranges over the repeats.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

-- The scan that reads the documents table in a plan: node type (with
-- "Parallel" when workers share it) and rows, over all processes.
CREATE OR REPLACE FUNCTION bench.scan_of(plan jsonb, OUT node text, OUT rows numeric)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (n->>'Parallel Aware')::boolean THEN 'Parallel ' ELSE '' END || (n->>'Node Type'),
           (n->>'Actual Rows')::numeric * coalesce((n->>'Actual Loops')::numeric, 1)
      FROM jsonb_path_query(plan, 'lax $.** ? (@."Relation Name" like_regex "^docs_")') n
     LIMIT 1
$$;

DROP TABLE IF EXISTS bench.plans CASCADE;
CREATE TABLE bench.plans (label text, method text, node text, rows numeric, planning_ms numeric, plan text,
                                        PRIMARY KEY (label, method));
GRANT INSERT, SELECT ON bench.plans TO bench_app;

-- Record the plan of q: with ANALYZE (actual rows) for the fast methods, the
-- plain plan for the per-row reference policies (seconds per run).
CREATE OR REPLACE FUNCTION bench.keep_plan(label text, method text, q text, with_analyze boolean) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    opts text := CASE WHEN with_analyze THEN 'ANALYZE, TIMING OFF, SUMMARY OFF, ' ELSE '' END;
    j jsonb;
    t text := '';
    line text;
BEGIN
    EXECUTE format('EXPLAIN (%s COSTS OFF, SUMMARY, FORMAT JSON) %s', replace(opts, 'SUMMARY OFF, ', ''), q) INTO j;
    FOR line IN EXECUTE format('EXPLAIN (%s COSTS OFF) %s', opts, q) LOOP
        t := t || CASE WHEN length(line) > 160 THEN left(line, 160) || ' ...' ELSE line END || E'\n';
    END LOOP;
    INSERT INTO bench.plans
    SELECT label, method, s.node, s.rows, round((j -> 0 ->> 'Planning Time')::numeric, 2), t
      FROM bench.scan_of(j -> 0 -> 'Plan') s;
END $$;
GRANT EXECUTE ON FUNCTION bench.keep_plan(text, text, text, boolean) TO bench_app;

SELECT bench.keep_plan(v.label, 'floor', bench.floor_query(v.label), true) FROM bench.visible v;
SET ROLE bench_app;
\set label v1
\ir report_plans.sql
\set label v10
\ir report_plans.sql
\set label v100
\ir report_plans.sql
\set label v1000
\ir report_plans.sql
\set label admin
\ir report_plans.sql
RESET ROLE;
SELECT authz.set_user(NULL, false);

-- Scenario names from the authz plans: who, then what the plan does.
CREATE OR REPLACE VIEW bench.scenarios AS
SELECT v.label, v.ord, v.who,
       format('%s: %s of %s of the table', v.who,
              replace(replace(lower(p.node), 'index only', 'index-only'), 'seq scan', 'sequential scan'),
              CASE WHEN p.rows * 100 / t.n >= 1 THEN round(p.rows * 100 / t.n)::text
                   ELSE round(p.rows * 100 / t.n, 1)::text END || '%')
       || CASE WHEN f.node <> p.node
               THEN format(' (the floor: %s)', replace(replace(lower(f.node), 'index only', 'index-only'), 'seq scan', 'sequential scan'))
               ELSE '' END AS name
  FROM bench.visible v
  JOIN bench.plans p ON p.label = v.label AND p.method = 'authz'
  JOIN bench.plans f ON f.label = v.label AND f.method = 'floor',
       (SELECT count(*)::numeric AS n FROM bench.docs_authz) t;

-- x, printed with 2 decimals below 10, none above.
CREATE OR REPLACE FUNCTION bench.x(r double precision) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN r < 10 THEN to_char(r, 'FM990.00') ELSE to_char(r, 'FM999,999,990') END
$$;
-- A ratio over the repeats: a range, and "at the floor" when it does not clear 1.0x.
CREATE OR REPLACE FUNCTION bench.ratio_text(lo double precision, hi double precision, n integer, to_floor boolean)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN lo IS NULL THEN '-'
        WHEN n = 1 AND to_floor AND lo < 1.0 THEN 'at the floor (1 run: repeat for a range)'
        WHEN n = 1 THEN bench.x(lo) || 'x (1 run)'
        WHEN to_floor AND hi < 1.0 THEN format('at the floor (%s-%sx, below 1.0x in every run)',
                                               bench.x(lo), bench.x(hi))
        WHEN to_floor AND lo <= 1.0 THEN format('at the floor, within noise (%s-%sx)', bench.x(lo), bench.x(hi))
        ELSE format('%s-%sx', bench.x(lo), bench.x(hi))
    END
$$;
-- Median over the repeats, with the range of the repeats' medians.
CREATE OR REPLACE FUNCTION bench.ms_text(med double precision, lo double precision, hi double precision, n integer)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN med IS NULL THEN '-'
                WHEN n = 1 THEN to_char(med, 'FM999,990.00') || ' (1 run)'
                ELSE format('%s (%s-%s)', to_char(med, 'FM999,990.00'), to_char(lo, 'FM999,990.00'),
                            to_char(hi, 'FM999,990.00')) END
$$;

-- Per (user, method): time over the repeats and ratio to the same repeat's floor.
CREATE OR REPLACE VIEW bench.summary AS
WITH r AS (
    SELECT x.label, x.method, x.rep, x.median_ms, x.rows, x.median_ms / f.median_ms AS to_floor,
           x.median_ms / a.median_ms AS to_authz
      FROM bench.results x
      JOIN bench.results f ON f.rep = x.rep AND f.label = x.label AND f.method = 'floor'
      JOIN bench.results a ON a.rep = x.rep AND a.label = x.label AND a.method = 'authz')
SELECT label, method, count(*)::integer AS n, bench.median(array_agg(median_ms)) AS med,
       min(median_ms) AS lo, max(median_ms) AS hi, min(to_floor) AS floor_lo, max(to_floor) AS floor_hi,
       min(to_authz) AS authz_lo, max(to_authz) AS authz_hi, min(rows) AS rows_lo, max(rows) AS rows_hi
  FROM r GROUP BY label, method;

CREATE OR REPLACE VIEW bench.methods (method, ord) AS
VALUES ('floor', 0), ('authz', 1), ('sql', 2), ('definer', 3), ('claims', 4), ('plpgsql', 5);

-- Row counts that differ from the floor's, per user.
CREATE OR REPLACE VIEW bench.mismatches AS
SELECT s.label, string_agg(format('%s=%s', s.method, s.rows_lo), ', ' ORDER BY m.ord) AS methods
  FROM bench.summary s JOIN bench.methods m USING (method)
  JOIN bench.summary f ON f.label = s.label AND f.method = 'floor'
 WHERE s.rows_lo <> f.rows_lo OR s.rows_hi <> f.rows_lo OR s.rows_lo <> s.rows_hi
 GROUP BY s.label;
