-- Per-call cost of a warm check, net of the loop that calls it: the same query
-- with a trivial predicate in its place is the baseline. Medians of 5 runs.
\set ON_ERROR_STOP on
\set QUIET on

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
    RETURN bench.median(t);
END $$;

CREATE OR REPLACE FUNCTION bench.per_call(n integer)
    RETURNS TABLE (variant text, ns_per_call numeric, ns_gross numeric)
    LANGUAGE plpgsql AS $$
DECLARE
    u text := (SELECT id FROM bench.users WHERE label = 'v1000')::text;
    ws text := (SELECT id FROM bench.ws WHERE bench.ws.n = 500)::text;
    arr text := (SELECT array_agg(id ORDER BY bench.ws.n) FROM bench.ws)::text;
    base double precision;
    t double precision;
BEGIN
    PERFORM authz.set_user(u::uuid, false);
    -- warm every (user, workspace) answer first
    PERFORM count(*) FROM bench.ws w WHERE authz.check(u::uuid, w.id, 'content.read');

    base := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE g IS NOT NULL', n));
    t := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE authz.check(%L, %L, ''content.read'') AND g IS NOT NULL', n, u, ws));
    variant := 'authz.check, same workspace each call'; ns_per_call := round(((t - base) * 1e6 / n)::numeric, 1);
    ns_gross := round((t * 1e6 / n)::numeric, 1); RETURN NEXT;
    t := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE authz.can(%L, ''content.read'') AND g IS NOT NULL', n, ws));
    variant := 'authz.can, same workspace each call'; ns_per_call := round(((t - base) * 1e6 / n)::numeric, 1);
    ns_gross := round((t * 1e6 / n)::numeric, 1); RETURN NEXT;

    base := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE (%L::uuid[])[1 + g %% 1000] IS NOT NULL', n, arr));
    t := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE authz.check(%L, (%L::uuid[])[1 + g %% 1000], ''content.read'')', n, u, arr));
    variant := 'authz.check, 1,000 workspaces in turn'; ns_per_call := round(((t - base) * 1e6 / n)::numeric, 1);
    ns_gross := round((t * 1e6 / n)::numeric, 1); RETURN NEXT;
    t := bench.loop_ms(format('SELECT count(*) FROM generate_series(1, %s) g WHERE authz.can((%L::uuid[])[1 + g %% 1000], ''content.read'')', n, arr));
    variant := 'authz.can, 1,000 workspaces in turn'; ns_per_call := round(((t - base) * 1e6 / n)::numeric, 1);
    ns_gross := round((t * 1e6 / n)::numeric, 1); RETURN NEXT;
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
