-- Per-call cost of a warm check, net of the loop that calls it. Every loop
-- passes the workspace as an element of a 1,000-element array indexed by the
-- row (1 + g % 1000), so the check runs once per row: for "the same workspace
-- each call" the array holds one id 1,000 times, for "1,000 workspaces in turn"
-- the 1,000 ids. The baseline is the same loop with the array element tested
-- for NULL in place of the check. Each loop's plan is checked before it is
-- timed (no One-Time Filter, no InitPlan, the check in the row filter).
\set ON_ERROR_STOP on
\set QUIET on

-- The fastest of 5 runs of a query, in ms, after one warm-up run: at a few
-- nanoseconds per call, interference from other work on the machine only ever
-- adds time, and the least disturbed run is the best estimate of the cost.
CREATE OR REPLACE FUNCTION bench.loop_ms(q text) RETURNS double precision
    LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    t double precision[] := '{}';
BEGIN
    EXECUTE q;
    FOR i IN 1..5 LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        t := t || extract(epoch FROM clock_timestamp() - t0) * 1000;
    END LOOP;
    RETURN (SELECT min(x) FROM unnest(t) x);
END $$;

-- One repeat: every variant, each net of the baseline measured just before it.
CREATE OR REPLACE FUNCTION bench.per_call(n integer, rep integer)
    RETURNS TABLE (rep_no integer, variant text, ns_net numeric, ns_gross numeric, ns_loop numeric)
    LANGUAGE plpgsql AS $$
DECLARE
    u text := (SELECT id FROM bench.users WHERE label = 'v1000')::text;
    same text := (SELECT array_fill(id, ARRAY[1000]) FROM bench.ws WHERE bench.ws.n = 500)::text;
    cycle text := (SELECT array_agg(id ORDER BY bench.ws.n) FROM bench.ws)::text;
    v record;
    base_q text;
    q text;
    base double precision;
    t double precision;
BEGIN
    PERFORM authz.set_user(u::uuid, false);
    -- warm every (user, workspace) answer first
    PERFORM count(*) FROM bench.ws w WHERE authz.check(u::uuid, w.id, 'content.read');
    rep_no := rep;
    FOR v IN SELECT * FROM (VALUES
            (1, 'authz.check, same workspace each call', same, 'authz.check(%L, %s, ''content.read'')'),
            (2, 'authz.can, same workspace each call', same, 'authz.can(%2$s, ''content.read'')'),
            (3, 'authz.check, 1,000 workspaces in turn', cycle, 'authz.check(%L, %s, ''content.read'')'),
            (4, 'authz.can, 1,000 workspaces in turn', cycle, 'authz.can(%2$s, ''content.read'')'))
            AS x (k, name, arr, pred) ORDER BY k LOOP
        base_q := format('SELECT count(*) FROM generate_series(1, %s) g WHERE (%L::uuid[])[1 + g %% 1000] IS NOT NULL',
                         n, v.arr);
        q := format('SELECT count(*) FROM generate_series(1, %s) g WHERE ', n)
             || format(v.pred, u, format('(%L::uuid[])[1 + g %% 1000]', v.arr));
        PERFORM bench.assert_per_row('baseline loop', base_q, 'Filter: .*IS NOT NULL');
        PERFORM bench.assert_per_row(v.name, q, 'Filter: .*authz\.("check"|can)\(.*\[\(1 \+ \(g % 1000\)\)\]');
        base := bench.loop_ms(base_q);
        t := bench.loop_ms(q);
        variant := v.name;
        ns_net := round(((t - base) * 1e6 / n)::numeric, 1);
        ns_gross := round((t * 1e6 / n)::numeric, 1);
        ns_loop := round((base * 1e6 / n)::numeric, 1);
        RETURN NEXT;
    END LOOP;
    PERFORM authz.set_user(NULL, false);
END $$;

-- First check in a session, for the user with 1,000 memberships.
CREATE OR REPLACE FUNCTION bench.cold_check() RETURNS double precision
    LANGUAGE plpgsql AS $$
DECLARE
    u uuid := (SELECT id FROM bench.users WHERE label = 'v1000');
    ws uuid := (SELECT id FROM bench.ws WHERE n = 500);
    t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    PERFORM authz.check(u, ws, 'content.read');
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
