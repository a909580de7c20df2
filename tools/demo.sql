-- workspace_authz demo: a small tenancy, then permission checks from psql.
\set QUIET on
\pset footer off
\set SHOW_CONTEXT never
CREATE EXTENSION workspace_authz;
SET search_path = authz, public;
\set QUIET off
\echo
\echo '== People: every user gets a personal workspace'
SELECT create_user('ada', 'ada@example.com', 'Ada Lovelace') AS ada \gset
SELECT create_user('bob', 'bob@example.com', 'Bob') AS bob \gset
SELECT create_user('cy', 'cy@example.com', 'Cy (contractor)') AS cy \gset
\echo
\echo '== Ada creates an organization and two workspaces; she owns both'
SELECT set_user(:'ada', false) \gset
SELECT create_org('acme', 'Acme Research') AS acme \gset
SELECT create_workspace(:'acme', 'genomics') AS genomics \gset
SELECT create_workspace(:'acme', 'shared-pipelines', visibility => 'shared') AS pipelines \gset
\echo
\echo '== Bob joins the org as a member and genomics as a viewer; Cy is a guest'
SELECT add_org_member(:'acme', :'bob') \gset
SELECT add_member(:'genomics', :'bob', 'viewer') \gset
SELECT add_org_member(:'acme', :'cy', 'guest') \gset
SELECT add_member(:'genomics', :'cy', 'member') \gset
SELECT deny(:'genomics', :'cy', ARRAY['content.delete']) \gset
\echo
\echo '== What each of them may do in genomics'
SELECT u.handle, authz.check(u.id, :'genomics', 'content.read') AS read,
       authz.check(u.id, :'genomics', 'content.update') AS edit,
       authz.check(u.id, :'genomics', 'content.delete') AS delete,
       authz.check(u.id, :'genomics', 'workspace.delete') AS delete_workspace
  FROM users u WHERE u.handle IN ('ada', 'bob', 'cy') ORDER BY u.handle;
\echo
\echo '== Why may Cy not delete content?'
SELECT * FROM explain(:'cy', :'genomics', 'content.delete');
\echo
\echo '== Bob, acting as himself: his role, and the workspaces he may view (the shared one too)'
SELECT set_user(:'bob', false) \gset
SELECT role_in(:'genomics') AS genomics_role, role_in(:'pipelines') AS pipelines_role;
SELECT w.name FROM workspaces() id JOIN workspaces w USING (id) ORDER BY w.name;
\echo
\echo '== Bob may not promote himself'
\set ON_ERROR_STOP off
SELECT set_role(:'genomics', :'bob', 'admin');
\set ON_ERROR_STOP on
\echo
\echo '== Credits: the billing system tops genomics up; Ada (org owner) moves some to the shared workspace'
SELECT set_user(:'ada', false) \gset
SELECT add_credits(:'genomics', '250.00', 'annual plan', 'invoice-2026-001') AS topup \gset
SELECT transfer_credits(:'genomics', :'pipelines', '40.5', 'pipelines budget') AS transfer \gset
SELECT record_usage(:'pipelines', cpu_hours => 12, memory_gib_hours => 48) AS charged;
SELECT workspace, balance, topups, transfers_in, transfers_out, usage FROM org_credit_summary(:'acme');
\echo
\echo '== A transfer larger than the balance moves nothing'
\set ON_ERROR_STOP off
SELECT transfer_credits(:'pipelines', :'genomics', '1000');
\set ON_ERROR_STOP on
SELECT count(*) AS ledger_mismatches FROM verify_ledger();
\echo
\echo '== The audit log: who did what'
SELECT actor, action, count(*) AS changes FROM audit GROUP BY actor, action ORDER BY min(id);
\echo
\echo '== An application table protected by RLS, keyed by workspace'
RESET search_path;
CREATE TABLE public.notes (id serial PRIMARY KEY, workspace_id uuid NOT NULL, body text NOT NULL);
CREATE INDEX ON public.notes (workspace_id);
SELECT authz.protect('public.notes') \gset
INSERT INTO public.notes (workspace_id, body) VALUES
  (:'genomics', 'sequencing plan'), (:'genomics', 'lab results'), (:'pipelines', 'how to launch');
CREATE ROLE demo_app LOGIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO demo_app;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO demo_app;
GRANT workspace_authz_trusted TO demo_app;
SET ROLE demo_app;
SELECT authz.set_user(:'cy', false) \gset
SELECT body FROM public.notes ORDER BY id;
SELECT authz.set_user(:'bob', false) \gset
SELECT body FROM public.notes ORDER BY id;
\set ON_ERROR_STOP off
INSERT INTO public.notes (workspace_id, body) VALUES (:'genomics', 'a viewer''s note');
\set ON_ERROR_STOP on
RESET ROLE;
