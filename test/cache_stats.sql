-- authz.cache_stats(): this session's counters move as the cache works. A
-- first check misses the memo and loads the model, the same check again is a
-- hit; another session's commit to the model is received as an invalidation,
-- and a change about another user leaves this one's answer memoised.
\ir lib/platform.sql
BEGIN;
SELECT plan(10);

CREATE FUNCTION pg_temp.conninfo() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), current_user,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

SELECT authz.create_user('regress_stats_alice', 'regress_stats_alice@example.com') AS alice \gset
SELECT authz.personal_workspace(:'alice') AS home \gset

SELECT * FROM authz.cache_stats() \gset s0_
SELECT authz.check(:'alice', :'home', 'workspace.view');
SELECT * FROM authz.cache_stats() \gset s1_
SELECT authz.check(:'alice', :'home', 'workspace.view');
SELECT * FROM authz.cache_stats() \gset s2_

SELECT ok(:s1_misses > :s0_misses, 'a first check misses the memo');
SELECT ok(:s1_loads > :s0_loads, 'a first check loads the model');
SELECT ok(:s1_bytes > 0, 'the cache holds memory once loaded');
SELECT ok(:s2_hits > :s1_hits, 'the same check again finds its answer in the memo');
SELECT is(:s2_misses, :s1_misses, 'the same check again misses nothing');
SELECT is(:s2_invalidations, :s1_invalidations, 'no change, no invalidation received');

-- Another session changes the model and commits.
DO $$
BEGIN
    PERFORM * FROM dblink(pg_temp.conninfo(),
        'SELECT authz.create_user(''regress_stats_bob'', ''regress_stats_bob@example.com'')::text')
        AS t(v text);
END
$$;

SELECT authz.check(:'alice', :'home', 'workspace.view');
SELECT * FROM authz.cache_stats() \gset s3_

SELECT ok(:s3_invalidations > :s2_invalidations, 'another session''s commit is received as an invalidation');
SELECT is(:s3_resets, :s2_resets, 'a change about another user drops nothing whole');
SELECT is(:s3_misses, :s2_misses, 'and the answer about alice stays memoised');
SELECT is(pg_catalog.count(*), 1::bigint, 'one row') FROM authz.cache_stats();

SELECT * FROM finish();
ROLLBACK;
