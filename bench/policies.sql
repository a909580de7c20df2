-- Time every policy for the user :label (included by scenarios.sql, as bench_app):
-- the extension's, then the references in the order of the report.
SELECT authz.set_user(u.id, false), set_config('app.user_id', u.id::text, false),
       set_config('request.jwt.claims', c.claims, false)
  FROM bench.users u JOIN bench.claims c USING (label) WHERE u.label = :'label' \gset
SELECT bench.record(:rep, :'label', 'authz', 'SELECT count(*) FROM bench.docs_authz', :runs,
                    '(Index Cond|Filter): .*(workspace_array|can)\(');
SELECT bench.record(:rep, :'label', 'sql', 'SELECT count(*) FROM bench.docs_sql', :runs,
                    '(SubPlan|Semi Join|Join)');
\if :slow
SELECT bench.record(:rep, :'label', 'definer', 'SELECT count(*) FROM bench.docs_definer', 0,
                    'Filter: .*has_workspace_access\(workspace_id');
SELECT bench.record(:rep, :'label', 'claims', 'SELECT count(*) FROM bench.docs_claims', 0,
                    'Filter: .*request\.jwt\.claims.*workspace_id');
SELECT bench.record(:rep, :'label', 'plpgsql', 'SELECT count(*) FROM bench.docs_plpgsql', 0,
                    'Filter: .*plpgsql_can\(workspace_id');
\endif
