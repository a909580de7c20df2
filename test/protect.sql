-- authz.protect / authz.unprotect (SPEC 5): the policies they write, their
-- refusals, what application roles can do through them, and that selective
-- queries get an index scan on the workspace column. Application roles are
-- real login roles mapped to users (authz.users.pg_role) and connect through
-- dblink, so the policies run exactly as they would for an application.
-- Fixtures are committed: this file runs without an outer transaction.

\ir lib/platform.sql
SET client_min_messages = warning;

SELECT plan(96);

-- ---- helpers ---------------------------------------------------------------

CREATE TABLE fx (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION fx(text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM fx WHERE name = $1 $$;

CREATE FUNCTION conninfo(role name DEFAULT 'postgres') RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), role,
                  current_setting('unix_socket_directories'), current_setting('port'))
$$;

CREATE PROCEDURE remote(conn text, query text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
END
$$;

-- A statement in another session; errors come back with their SQLSTATE and message.
CREATE FUNCTION remote_exec(conn text, query text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM * FROM dblink(conn, query) AS t(v text);
END
$$;

-- The SQL that runs a statement in another session, for throws_ok and lives_ok.
CREATE FUNCTION remote_call(conn text, query text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('SELECT remote_exec(%L, %L)', conn, query)
$$;

CREATE FUNCTION remote_text(conn text, query text) RETURNS text LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, query) AS t(v text)
$$;

-- Rows a data-changing statement affected in another session.
CREATE FUNCTION remote_rows(conn text, dml text) RETURNS int LANGUAGE sql AS $$
    SELECT v FROM dblink(conn, format('WITH x AS (%s RETURNING 1) SELECT count(*) FROM x', dml)) AS t(v int)
$$;

CREATE FUNCTION remote_plan(conn text, query text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT string_agg(v, E'\n')::jsonb FROM dblink(conn, 'EXPLAIN (FORMAT JSON) ' || query) AS t(v text)
$$;

-- Does some scan of the plan use authz.workspace_array() as an index condition?
CREATE FUNCTION uses_workspace_index(plan jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_path_exists(plan,
        'strict $.** ? (@."Node Type" like_regex "^(Index Scan|Index Only Scan|Bitmap Index Scan)$"
                        && @."Index Cond" like_regex "workspace_array")')
$$;

CREATE FUNCTION has_node(plan jsonb, node text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_path_exists(plan, 'strict $.**."Node Type" ? (@ == $n)', jsonb_build_object('n', node))
$$;

-- What psql prints (notices included) when another session runs a statement.
CREATE FUNCTION client_output(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    output text;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS client_lines (n serial, line text);
    TRUNCATE client_lines;
    EXECUTE format('COPY client_lines (line) FROM PROGRAM %L WITH (DELIMITER E''\x1f'')',
        format('%s/psql -X -q -A -t -h %s -p %s -d %s -c %s 2>&1',
               (SELECT setting FROM pg_config WHERE name = 'BINDIR'),
               current_setting('unix_socket_directories'), current_setting('port'), current_database(),
               '''' || replace(query, '''', '''\''''') || ''''));
    SELECT string_agg(line, E'\n' ORDER BY n) INTO output FROM client_lines WHERE line <> '';
    RETURN output;
END
$$;

CREATE FUNCTION policy_expr(tbl regclass, policy name, which text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE which WHEN 'using' THEN pg_get_expr(p.polqual, p.polrelid)
                      ELSE pg_get_expr(p.polwithcheck, p.polrelid) END
      FROM pg_policy p WHERE p.polrelid = tbl AND p.polname = policy
$$;

CREATE FUNCTION rls_enabled(tbl regclass) RETURNS boolean LANGUAGE sql AS $$
    SELECT relrowsecurity FROM pg_class WHERE oid = tbl
$$;

-- ---- fixture (committed) ---------------------------------------------------

DROP ROLE IF EXISTS regress_prot_viewer, regress_prot_member, regress_prot_nobody,
    regress_prot_one, regress_prot_all, regress_prot_app;
CREATE ROLE regress_prot_viewer LOGIN;
CREATE ROLE regress_prot_member LOGIN;
CREATE ROLE regress_prot_nobody LOGIN;
CREATE ROLE regress_prot_one LOGIN;
CREATE ROLE regress_prot_all LOGIN;
CREATE ROLE regress_prot_app LOGIN IN ROLE workspace_authz_trusted;

-- w1: viewer is viewer, member is member; w2: member is viewer; w3: neither.
DO $$
BEGIN
    INSERT INTO fx VALUES ('owner', authz.create_user('prot-owner', 'prot-owner@example.com'));
    INSERT INTO fx VALUES ('viewer', authz.create_user('prot-viewer', 'prot-viewer@example.com', NULL, 'regress_prot_viewer'));
    INSERT INTO fx VALUES ('member', authz.create_user('prot-member', 'prot-member@example.com', NULL, 'regress_prot_member'));
    INSERT INTO fx VALUES ('nobody', authz.create_user('prot-nobody', 'prot-nobody@example.com', NULL, 'regress_prot_nobody'));
    INSERT INTO fx VALUES ('one', authz.create_user('prot-one', 'prot-one@example.com', NULL, 'regress_prot_one'));
    INSERT INTO fx VALUES ('all', authz.create_user('prot-all', 'prot-all@example.com', NULL, 'regress_prot_all'));
    PERFORM authz.set_user(fx('owner'), false);
    INSERT INTO fx VALUES ('org', authz.create_org('prot'));
    INSERT INTO fx VALUES ('w1', authz.create_workspace(fx('org'), 'w1'));
    INSERT INTO fx VALUES ('w2', authz.create_workspace(fx('org'), 'w2'));
    INSERT INTO fx VALUES ('w3', authz.create_workspace(fx('org'), 'w3'));
    PERFORM pg_temp.add_member(fx('w1'), fx('viewer'), 'viewer');
    PERFORM pg_temp.add_member(fx('w1'), fx('member'), 'member');
    PERFORM pg_temp.add_member(fx('w2'), fx('member'), 'viewer');
    PERFORM authz.set_user(NULL, false);
END
$$;

CREATE TABLE items (id serial PRIMARY KEY, workspace_id uuid NOT NULL, title text NOT NULL);
CREATE INDEX items_workspace_idx ON items (workspace_id);
INSERT INTO items (workspace_id, title)
SELECT fx(w), w || ' item ' || i FROM (VALUES ('w1', 5), ('w2', 3), ('w3', 2)) AS x(w, n), generate_series(1, n) i;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO regress_prot_viewer, regress_prot_member, regress_prot_nobody;
GRANT USAGE ON SEQUENCE items_id_seq TO regress_prot_viewer, regress_prot_member, regress_prot_nobody;

-- ---- the policies ----------------------------------------------------------------

SELECT lives_ok($$SELECT authz.protect('items')$$, 'protect: a table with a workspace_id column and an index');
SELECT policies_are('public', 'items', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'protect: creates the four policies');
SELECT policy_cmd_is('public', 'items', 'authz_select'::name, 'select', 'protect: authz_select is for SELECT');
SELECT policy_cmd_is('public', 'items', 'authz_insert'::name, 'insert', 'protect: authz_insert is for INSERT');
SELECT policy_cmd_is('public', 'items', 'authz_update'::name, 'update', 'protect: authz_update is for UPDATE');
SELECT policy_cmd_is('public', 'items', 'authz_delete'::name, 'delete', 'protect: authz_delete is for DELETE');
SELECT is((SELECT array_agg(DISTINCT roles::text || ' ' || permissive) FROM pg_policies WHERE tablename = 'items'),
    ARRAY['{public} PERMISSIVE'], 'protect: the policies are permissive and apply to every role');
SELECT ok(rls_enabled('items'), 'protect: row-level security is enabled');
SELECT matches(policy_expr('items', 'authz_select', 'using'), '^authz\.can\(workspace_id, ''content\.read''(::text)?\)$',
    'protect: SELECT uses authz.can(workspace_id, ''content.read'')');
SELECT matches(policy_expr('items', 'authz_insert', 'check'), '^authz\.can\(workspace_id, ''content\.create''(::text)?\)$',
    'protect: INSERT checks authz.can(workspace_id, ''content.create'')');
SELECT matches(policy_expr('items', 'authz_update', 'using'), '^authz\.can\(workspace_id, ''content\.update''(::text)?\)$',
    'protect: UPDATE uses authz.can(workspace_id, ''content.update'')');
SELECT matches(policy_expr('items', 'authz_update', 'check'), '^authz\.can\(workspace_id, ''content\.update''(::text)?\)$',
    'protect: UPDATE checks authz.can(workspace_id, ''content.update'') on the new row');
SELECT matches(policy_expr('items', 'authz_delete', 'using'), '^authz\.can\(workspace_id, ''content\.delete''(::text)?\)$',
    'protect: DELETE uses authz.can(workspace_id, ''content.delete'')');
SELECT is((SELECT count(*) FROM pg_policies WHERE tablename = 'items' AND cmd = 'SELECT' AND with_check IS NULL
              OR tablename = 'items' AND cmd = 'INSERT' AND qual IS NULL
              OR tablename = 'items' AND cmd = 'DELETE' AND with_check IS NULL), 3::bigint,
    'protect: SELECT and DELETE have no WITH CHECK, INSERT has no USING');
SELECT is(obj_description((SELECT oid FROM pg_policy WHERE polrelid = 'items'::regclass AND polname = 'authz_select'), 'pg_policy'),
    'workspace_authz: read needs content.read', 'protect: the policies are commented');

-- Idempotent, and a second call with other permissions replaces the policies.
SELECT lives_ok($$SELECT authz.protect('items')$$, 'protect: a second call succeeds');
SELECT is((SELECT count(*) FROM pg_policy WHERE polrelid = 'items'::regclass), 4::bigint,
    'protect: a second call still leaves exactly four policies');
SELECT lives_ok($$SELECT authz.protect('items', 'workspace_id', 'workspace.view', 'content.share', 'run.execute', 'members.manage')$$,
    'protect: a call with other permissions succeeds');
SELECT policies_are('public', 'items', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'protect: other permissions: still the same four policies');
SELECT is(ARRAY[policy_expr('items', 'authz_select', 'using'), policy_expr('items', 'authz_insert', 'check'),
                policy_expr('items', 'authz_update', 'using'), policy_expr('items', 'authz_update', 'check'),
                policy_expr('items', 'authz_delete', 'using')],
    ARRAY['authz.can(workspace_id, ''workspace.view''::text)', 'authz.can(workspace_id, ''run.execute''::text)',
          'authz.can(workspace_id, ''content.share''::text)', 'authz.can(workspace_id, ''content.share''::text)',
          'authz.can(workspace_id, ''members.manage''::text)'],
    'protect: other permissions replace those of the previous policies (read, insert, update, delete)');
SELECT lives_ok($$SELECT authz.protect('items')$$, 'protect: back to the default permissions');
SELECT matches(policy_expr('items', 'authz_select', 'using'), 'content\.read', 'protect: the defaults are back');

-- A custom column name and custom permissions, on a name that needs quoting.
CREATE SCHEMA app;
CREATE TABLE app."Odd Notes" ("Note Id" serial PRIMARY KEY, "Space Id" uuid, body text);
CREATE INDEX ON app."Odd Notes" ("Space Id", "Note Id");
INSERT INTO app."Odd Notes" ("Space Id", body) VALUES (fx('w1'), 'first'), (fx('w1'), 'second'), (fx('w3'), 'hidden');
GRANT USAGE ON SCHEMA app TO regress_prot_viewer, regress_prot_member;
GRANT SELECT, INSERT, UPDATE, DELETE ON app."Odd Notes" TO regress_prot_viewer, regress_prot_member;
GRANT USAGE ON SEQUENCE app."Odd Notes_Note Id_seq" TO regress_prot_viewer, regress_prot_member;
SELECT lives_ok($$SELECT authz.protect('app."Odd Notes"', 'Space Id', 'workspace.view', 'content.share', 'run.execute', 'members.manage')$$,
    'custom: protect with a quoted table, a quoted column and custom permissions');
SELECT policies_are('app', 'Odd Notes', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'custom: the four policies exist');
SELECT is(ARRAY[policy_expr('app."Odd Notes"', 'authz_select', 'using'), policy_expr('app."Odd Notes"', 'authz_insert', 'check'),
                policy_expr('app."Odd Notes"', 'authz_update', 'check'), policy_expr('app."Odd Notes"', 'authz_delete', 'using')],
    ARRAY['authz.can("Space Id", ''workspace.view''::text)', 'authz.can("Space Id", ''run.execute''::text)',
          'authz.can("Space Id", ''content.share''::text)', 'authz.can("Space Id", ''members.manage''::text)'],
    'custom: the policies check the given column with the given permissions');

-- ---- refusals --------------------------------------------------------------------

CREATE VIEW items_view AS SELECT * FROM items;
CREATE MATERIALIZED VIEW items_mat AS SELECT * FROM items;
SELECT throws_ok($$SELECT authz.protect(NULL)$$, '22004', 'table must not be NULL',
    'refusal: a NULL table (22004)');
SELECT throws_ok($$SELECT authz.protect('items', NULL)$$, '22004', 'workspace column must not be NULL',
    'refusal: a NULL column (22004)');
SELECT throws_ok($$SELECT authz.protect('items', 'workspace')$$, '42703',
    'column "workspace" of relation "public.items" does not exist', 'refusal: a missing column (42703)');
SELECT throws_ok($$SELECT authz.protect('items', 'title')$$, '42804',
    'column "title" of relation "public.items" must be of type uuid, not text', 'refusal: a column that is not a uuid (42804)');
SELECT throws_ok($$SELECT authz.protect('items', 'workspace_id', 'content.nope')$$, '42704',
    'permission "content.nope" does not exist', 'refusal: an unknown read permission (42704)');
SELECT throws_ok($$SELECT authz.protect('items', 'workspace_id', 'content.read', 'content.read', 'content.read', 'nope')$$,
    '42704', 'permission "nope" does not exist', 'refusal: an unknown delete permission (42704)');
SELECT throws_ok($$SELECT authz.protect('items', 'workspace_id', 'content.read', NULL)$$, '22004',
    'permissions must not be NULL', 'refusal: a NULL permission (22004)');
SELECT throws_ok($$SELECT authz.protect('items', 'workspace_id', 'org.view')$$, '22023',
    'permission "org.view" is an org permission, not a workspace permission',
    'refusal: an org permission, which workspace checks never grant (22023)');
SELECT throws_ok($$SELECT authz.protect('items_view')$$, '42809', '"public.items_view" is not a table',
    'refusal: a view (42809)');
SELECT throws_ok($$SELECT authz.protect('items_mat')$$, '42809', '"public.items_mat" is not a table',
    'refusal: a materialized view (42809)');
SELECT throws_ok($$SELECT authz.protect('no_such_table')$$, '42P01', NULL, 'refusal: a table that does not exist');
SELECT policies_are('public', 'items', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'refusal: the refused calls left the policies alone');
SELECT matches(policy_expr('items', 'authz_delete', 'using'), 'content\.delete',
    'refusal: the refused calls did not change the permissions');

DO $$
BEGIN
    PERFORM dblink_connect('viewer', conninfo('regress_prot_viewer'));
    PERFORM dblink_connect('member', conninfo('regress_prot_member'));
    PERFORM dblink_connect('nobody', conninfo('regress_prot_nobody'));
END
$$;
SELECT throws_ok(remote_call('member', $$SELECT authz.protect('items')$$), '42501', NULL,
    'refusal: a role that does not own the table cannot protect it (42501)');
SELECT throws_ok(remote_call('member', $$SELECT authz.unprotect('items')$$), '42501', NULL,
    'refusal: a role that does not own the table cannot unprotect it (42501)');
SELECT is((SELECT count(*) FROM pg_policy WHERE polrelid = 'items'::regclass), 4::bigint,
    'refusal: the policies are still there');

-- ---- the notice about a missing index ------------------------------------------

CREATE TABLE loose (id int PRIMARY KEY, workspace_id uuid);
CREATE INDEX ON loose (id, workspace_id);
SELECT matches(client_output($$SELECT authz.protect('loose')$$),
    '(^|\n)NOTICE:  no index on "(public\.)?loose" starts with column "workspace_id"\n'
    || 'HINT:  CREATE INDEX ON (public\.)?loose \(workspace_id\) lets selective queries use an index scan\.$',
    'notice: protect warns when no index starts with the workspace column, and says how to fix it');
SELECT policies_are('public', 'loose', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'notice: the table is protected all the same');
CREATE INDEX ON loose (workspace_id, id);
SELECT is(client_output($$SELECT authz.protect('loose')$$), NULL,
    'notice: no notice once an index starts with the workspace column');
SELECT is(client_output($$SELECT authz.protect('items')$$), NULL, 'notice: no notice for a table with an index');
CREATE TABLE fresh (id int PRIMARY KEY, workspace_id uuid REFERENCES authz.workspaces);
CREATE INDEX ON fresh (workspace_id);
SELECT is(client_output($$SELECT authz.protect('fresh')$$), NULL,
    'notice: protecting a table with an index for the first time prints nothing');

-- ---- unprotect -------------------------------------------------------------------

SELECT lives_ok($$SELECT authz.unprotect('loose')$$, 'unprotect: succeeds');
SELECT policies_are('public', 'loose', '{}'::name[], 'unprotect: drops the four policies');
SELECT ok(NOT rls_enabled('loose'), 'unprotect: disables row-level security when no policy remains');
SELECT lives_ok($$SELECT authz.unprotect('loose')$$, 'unprotect: a second call succeeds');
SELECT throws_ok($$SELECT authz.unprotect(NULL)$$, '22004', 'table must not be NULL', 'unprotect: a NULL table (22004)');

CREATE TABLE mixed (id int PRIMARY KEY, workspace_id uuid, public boolean);
CREATE INDEX ON mixed (workspace_id);
CREATE POLICY published ON mixed FOR SELECT USING (public);
SELECT authz.protect('mixed') \g /dev/null
SELECT policies_are('public', 'mixed', ARRAY['published', 'authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'unprotect: (a table with a policy of its own, protected too)');
SELECT lives_ok($$SELECT authz.unprotect('mixed')$$, 'unprotect: a table with a policy of its own');
SELECT policies_are('public', 'mixed', ARRAY['published'], 'unprotect: leaves the other policy alone');
SELECT ok(rls_enabled('mixed'), 'unprotect: leaves row-level security on while another policy exists');

CREATE TABLE parted (id int, workspace_id uuid) PARTITION BY HASH (workspace_id);
CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON parted (workspace_id);
SELECT lives_ok($$SELECT authz.protect('parted')$$, 'partitioned: a partitioned table can be protected');
SELECT policies_are('public', 'parted', ARRAY['authz_select', 'authz_insert', 'authz_update', 'authz_delete'],
    'partitioned: with the four policies');

-- ---- what application roles can do ---------------------------------------------

SELECT is(remote_text('viewer', 'SELECT count(*) FROM items'), '5', 'viewer: reads the 5 rows of w1 only');
SELECT throws_ok(remote_call('viewer', format('INSERT INTO items (workspace_id, title) VALUES (%L, ''new'')', fx('w1'))),
    '42501', 'new row violates row-level security policy for table "items"', 'viewer: cannot insert (42501)');
SELECT is(remote_rows('viewer', 'UPDATE items SET title = title || '' edited'''), 0, 'viewer: updates affect no row');
SELECT is(remote_rows('viewer', 'DELETE FROM items'), 0, 'viewer: deletes affect no row');

SELECT is(remote_text('member', 'SELECT count(*) FROM items'), '8', 'member: reads w1 (member) and w2 (viewer): 8 rows');
SELECT lives_ok(remote_call('member', format('INSERT INTO items (workspace_id, title) VALUES (%L, ''created'')', fx('w1'))),
    'member: inserts into w1');
SELECT throws_ok(remote_call('member', format('INSERT INTO items (workspace_id, title) VALUES (%L, ''created'')', fx('w2'))),
    '42501', 'new row violates row-level security policy for table "items"',
    'member: cannot insert into w2, where it is a viewer');
SELECT is(remote_rows('member', 'UPDATE items SET title = title || '' edited'''), 6,
    'member: an update of every row changes the 6 rows of w1 only');
SELECT is((SELECT count(*) FROM items WHERE title LIKE '% edited'), 6::bigint, 'member: (the owner sees 6 edited rows)');
SELECT throws_ok(remote_call('member', format('UPDATE items SET workspace_id = %L WHERE title = ''created edited''', fx('w2'))),
    '42501', 'new row violates row-level security policy for table "items"',
    'member: cannot move a row to w2, where it lacks content.update');
SELECT throws_ok(remote_call('member', format('UPDATE items SET workspace_id = %L WHERE title = ''created edited''', fx('w3'))),
    '42501', 'new row violates row-level security policy for table "items"',
    'member: cannot move a row to w3, where it has no role');
SELECT is((SELECT count(*) FROM items WHERE workspace_id = fx('w1')), 6::bigint, 'member: the refused moves left w1 intact');
SELECT is(remote_rows('member', 'DELETE FROM items WHERE title = ''created edited'''), 1, 'member: deletes its row in w1');
SELECT is(remote_rows('member', format('DELETE FROM items WHERE workspace_id = %L', fx('w2'))), 0,
    'member: deletes nothing in w2');
SELECT is((SELECT count(*) FROM items), 10::bigint, 'member: (w2 and w3 rows are all still there)');

SELECT is(remote_text('nobody', 'SELECT count(*) FROM items'), '0', 'no access: reads no row');
SELECT throws_ok(remote_call('nobody', format('INSERT INTO items (workspace_id, title) VALUES (%L, ''x'')', fx('w3'))),
    '42501', 'new row violates row-level security policy for table "items"', 'no access: cannot insert');
SELECT is(remote_rows('nobody', 'UPDATE items SET title = ''x'''), 0, 'no access: updates affect no row');
SELECT is(remote_rows('nobody', 'DELETE FROM items'), 0, 'no access: deletes affect no row');

-- Custom permissions: read workspace.view, insert run.execute, update content.share, delete members.manage.
SELECT is(remote_text('viewer', 'SELECT count(*) FROM app."Odd Notes"'), '2', 'custom: the viewer reads the 2 notes of w1');
SELECT throws_ok(remote_call('viewer', format('INSERT INTO app."Odd Notes" ("Space Id", body) VALUES (%L, ''v'')', fx('w1'))),
    '42501', 'new row violates row-level security policy for table "Odd Notes"',
    'custom: the viewer lacks run.execute and cannot insert');
SELECT lives_ok(remote_call('member', format('INSERT INTO app."Odd Notes" ("Space Id", body) VALUES (%L, ''m'')', fx('w1'))),
    'custom: the member holds run.execute and inserts');
SELECT is(remote_rows('member', 'UPDATE app."Odd Notes" SET body = body || ''!'''), 3,
    'custom: the member holds content.share and updates the 3 notes of w1');
SELECT is(remote_rows('member', 'DELETE FROM app."Odd Notes"'), 0,
    'custom: the member lacks members.manage and deletes nothing');

-- ---- index use for selective queries ---------------------------------------------
-- 100,000 rows over 1,000 workspaces; "one" sees a single workspace, "all"
-- (an org admin) sees all of them.

DO $$
BEGIN
    PERFORM authz.set_user(fx('all'), false);
    INSERT INTO fx VALUES ('bigorg', authz.create_org('prot-big'));
    PERFORM authz.set_user(NULL, false);
    INSERT INTO authz.workspaces (org_id, name) SELECT fx('bigorg'), 'big-' || i FROM generate_series(1, 1000) i;
    INSERT INTO fx SELECT name, id FROM authz.workspaces WHERE org_id = fx('bigorg');
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    SELECT id, fx('all'), '00000000-0000-0000-0000-000000000001' FROM authz.workspaces WHERE org_id = fx('bigorg');
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    VALUES (fx('big-500'), fx('one'), '00000000-0000-0000-0000-000000000004');
END
$$;
CREATE TABLE events (id bigint PRIMARY KEY, workspace_id uuid NOT NULL, payload text);
INSERT INTO events
SELECT g, (SELECT array_agg(id ORDER BY id) FROM fx WHERE name LIKE 'big-%')[1 + g % 1000], 'event ' || g
  FROM generate_series(1, 100000) g;
CREATE INDEX events_workspace_idx ON events (workspace_id);
ANALYZE events;
SELECT authz.protect('events') \g /dev/null
GRANT SELECT ON events TO regress_prot_one, regress_prot_all, regress_prot_app;

DO $$
BEGIN
    PERFORM dblink_connect('one', conninfo('regress_prot_one'));
    PERFORM dblink_connect('all', conninfo('regress_prot_all'));
    PERFORM dblink_connect('app', conninfo('regress_prot_app'));
END
$$;
CREATE TABLE plans AS
SELECT remote_plan('one', 'SELECT count(*) FROM events') AS one,
       remote_plan('all', 'SELECT count(*) FROM events') AS "all";
SELECT ok(uses_workspace_index(one),
    'index: a user who sees 1 of 1,000 workspaces gets an index scan on workspace_id = ANY (authz.workspace_array(...))')
  FROM plans;
SELECT ok(NOT has_node(one, 'Seq Scan'), 'index: and no sequential scan') FROM plans;
SELECT ok(has_node("all", 'Seq Scan'), 'index: a user who sees all 1,000 workspaces gets a sequential scan') FROM plans;
SELECT ok(NOT uses_workspace_index("all"), 'index: and no index condition on the workspace list') FROM plans;

CREATE FUNCTION recomputed(who text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    answer text;
BEGIN
    PERFORM authz.set_user(fx(who), false);
    SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) INTO answer
      FROM events WHERE workspace_id IN (SELECT authz.workspaces('content.read'));
    PERFORM authz.set_user(NULL, false);
    RETURN answer;
END
$$;
SELECT is(remote_text('one', $$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM events$$),
    recomputed('one'), 'index: the rows found through the index are those of authz.workspaces()');
SELECT is(remote_text('one', 'SELECT count(*) FROM events'), '100', 'index: that is the 100 rows of one workspace');
SELECT is(remote_text('all', $$SELECT count(*) || '/' || coalesce(sum(hashtext(id::text)), 0) FROM events$$),
    recomputed('all'), 'index: the user who sees everything reads what authz.workspaces() gives');
SELECT is(remote_text('all', 'SELECT count(*) FROM events'), '100000', 'index: that is every row');

-- A plan cached for one user stays right for the next: the workspace list is
-- computed when the scan starts, never baked into the plan.
CALL remote('app', 'SET plan_cache_mode = force_generic_plan');
CALL remote('app', 'PREPARE counted AS SELECT count(*) FROM events');
CALL remote('app', format('SELECT authz.set_user(%L, false)', fx('one')));
SELECT is(remote_text('app', 'EXECUTE counted'), '100', 'cached plan: first run, as the user who sees one workspace');
SELECT ok(uses_workspace_index(remote_plan('app', 'EXECUTE counted')), 'cached plan: it scans the index');
CALL remote('app', format('SELECT authz.set_user(%L, false)', fx('all')));
SELECT is(remote_text('app', 'EXECUTE counted'), '100000', 'cached plan: the same plan, as the user who sees everything');
CALL remote('app', format('SELECT authz.set_user(%L, false)', fx('nobody')));
SELECT is(remote_text('app', 'EXECUTE counted'), '0', 'cached plan: the same plan, as a user who sees nothing');
CALL remote('app', format('SELECT authz.set_user(%L, false)', fx('one')));
SELECT is(remote_text('app', 'EXECUTE counted'), '100', 'cached plan: back to the first user');
DO $$
BEGIN
    PERFORM authz.set_user(fx('all'), false);
    PERFORM pg_temp.add_member(fx('big-7'), fx('one'), 'viewer');
    PERFORM authz.set_user(NULL, false);
END
$$;
SELECT is(remote_text('app', 'EXECUTE counted'), '200',
    'cached plan: a membership committed by another session shows at the next execution');
SELECT is(remote_text('one', 'SELECT count(*) FROM events'), '200',
    'index: the user''s own session sees the new workspace too');

DO $$
BEGIN
    PERFORM dblink_disconnect(c) FROM unnest('{viewer,member,nobody,one,all,app}'::text[]) c;
END
$$;
DROP OWNED BY regress_prot_viewer, regress_prot_member, regress_prot_nobody,
    regress_prot_one, regress_prot_all, regress_prot_app;
DROP ROLE regress_prot_viewer, regress_prot_member, regress_prot_nobody,
    regress_prot_one, regress_prot_all, regress_prot_app;

SELECT * FROM finish();
