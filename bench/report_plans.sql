-- The plans of every policy for the user :label (included by report.sql, as bench_app).
SELECT authz.set_user(u.id, false), set_config('app.user_id', u.id::text, false),
       set_config('request.jwt.claims', c.claims, false)
  FROM bench.users u JOIN bench.claims c USING (label) WHERE u.label = :'label' \gset
SELECT bench.keep_plan(:'label', 'authz', 'SELECT count(*) FROM bench.docs_authz', true);
SELECT bench.keep_plan(:'label', 'sql', 'SELECT count(*) FROM bench.docs_sql', true);
SELECT bench.keep_plan(:'label', 'definer', 'SELECT count(*) FROM bench.docs_definer', false);
SELECT bench.keep_plan(:'label', 'claims', 'SELECT count(*) FROM bench.docs_claims', false);
SELECT bench.keep_plan(:'label', 'plpgsql', 'SELECT count(*) FROM bench.docs_plpgsql', false);
