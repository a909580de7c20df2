-- Refusals of authz.protect and authz.unprotect: what the table, the column
-- and the permissions must be.
\set SHOW_CONTEXT never
SET search_path = public;
CREATE TABLE items (id int PRIMARY KEY, workspace_id uuid, title text);
CREATE VIEW items_view AS SELECT * FROM items;

SELECT authz.protect(NULL);
SELECT authz.protect('no_such_table');
SELECT authz.protect('items_view');
SELECT authz.unprotect('items_view');
SELECT authz.protect('items', 'workspace');
SELECT authz.protect('items', 'title');
SELECT authz.protect('items', NULL);
SELECT authz.protect('items', 'workspace_id', 'content.nope');
SELECT authz.protect('items', 'workspace_id', 'content.read', NULL);
SELECT authz.protect('items', 'workspace_id', 'org.view');
SELECT authz.protect('items', 'workspace_id', 'content.read', 'content.update', 'content.create', 'nope');
SELECT authz.protect('items', scope => 'tenant');

-- the table's owner only
CREATE ROLE regress_protect_other;
GRANT ALL ON items TO regress_protect_other;
SET ROLE regress_protect_other;
SELECT authz.protect('items');
SELECT authz.unprotect('items');
RESET ROLE;
DROP OWNED BY regress_protect_other;
DROP ROLE regress_protect_other;

-- nothing was protected by the refused calls; without an index, a warning
SELECT count(*) FROM pg_policy WHERE polrelid = 'items'::regclass;
SELECT authz.protect('items');
SELECT polname FROM pg_policy WHERE polrelid = 'items'::regclass ORDER BY polname;
SELECT authz.unprotect('items');
DROP VIEW items_view;
DROP TABLE items;
