-- Time the three policies for the user :label (included by scenarios.sql, as bench_app).
SELECT authz.set_user(u.id, false), set_config('app.user_id', u.id::text, false)
  FROM bench.users u WHERE u.label = :'label' \gset
SELECT bench.record(:'scenario', 'authz', 'SELECT count(*) FROM bench.docs_authz', :runs);
SELECT bench.record(:'scenario', 'sql', 'SELECT count(*) FROM bench.docs_sql', :runs);
SELECT bench.record(:'scenario', 'plpgsql', 'SELECT count(*) FROM bench.docs_plpgsql', :slow_runs);
