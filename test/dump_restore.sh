#!/usr/bin/env bash
# The extension's data survives pg_dump and pg_restore (SPEC 11): a tenancy
# with every kind of row is dumped, restored into a new database, and the
# answers, the rows and the books are compared. Prints TAP.
set -uo pipefail
src="$PGDATABASE"
dst="${PGDATABASE}_restored"
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$dst\" WITH (FORCE)" >/dev/null 2>&1' EXIT

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
is() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   have: $1"; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

echo "1..14"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >"$work/setup.log" 2>&1 <<'SQL'
SET search_path = authz, public;
SELECT define_permission('pipelines.launch', 'Launch pipelines', '{member}');
SELECT define_permission('reports.export', 'Export reports');
-- Application data typed authz.permset, in a schema whose data pg_restore
-- loads before the registry's (table data goes in name order): the first row
-- names the later-registered permission only, so the restore meets the names
-- in another order than they were registered.
CREATE SCHEMA app;
CREATE TABLE app.grants (id int PRIMARY KEY, perms authz.permset NOT NULL);
INSERT INTO app.grants VALUES (1, '{reports.export}'), (2, '{content.read,pipelines.launch}'),
                              (3, '{}'), (4, '{pipelines.launch,reports.export,workspace.view}');
CREATE TABLE public.grants (id int PRIMARY KEY, perms authz.permset NOT NULL);
INSERT INTO public.grants SELECT * FROM app.grants;
SELECT create_user('ada', 'ada@example.com') AS ada \gset
SELECT create_user('bob', 'bob@example.com') AS bob \gset
SELECT create_user('cy', 'cy@example.com') AS cy \gset
SELECT set_user(:'ada', false);
SELECT create_org('acme') AS acme \gset
SELECT apply_preset(:'acme', 'labstep');
SELECT create_role(:'acme', 'analyst', 30, '{content.read,pipelines.launch}');
SELECT create_workspace(:'acme', 'genomics') AS g \gset
SELECT create_workspace(:'acme', 'shared', 'shared') AS s \gset
-- bob and cy share no organization with ada: the platform adds them (no user
-- asserted), then ada acts again.
SELECT set_user(NULL, false);
SELECT add_org_member(:'acme', :'bob');
SELECT add_org_member(:'acme', :'cy', 'guest');
SELECT set_user(:'ada', false);
SELECT add_member(:'g', :'bob', 'analyst');
SELECT authz.grant(:'g', :'bob', '{content.update}');
SELECT create_team(:'acme', 'wetlab') AS t \gset
SELECT add_team_member(:'t', :'cy');
SELECT add_team(:'g', :'t', 'viewer');
SELECT create_project(:'g', 'Run 1') AS p \gset
SELECT add_project_member(:'p', :'cy', 'editor');
SELECT invite(:'g', 'dan@example.com', 'viewer');
SELECT set_user(NULL, false);      -- top-ups and metering are the platform's (no user asserted)
SELECT add_credits(:'g', '100', 'plan', 'inv-1');
SELECT set_user(:'ada', false);
SELECT transfer_credits(:'g', :'s', '30', 'budget', 'tr-1');
SELECT set_user(NULL, false);
SELECT record_usage(:'s', 10, 40);
SQL
ok $? "a tenancy with custom permissions and roles, teams, projects, invitations and credits"

answers="SELECT u.handle, w.name, authz.check(u.id, w.id, 'content.update'), authz.check(u.id, w.id, 'pipelines.launch'),
                coalesce((SELECT string_agg(p.name || '=' || authz.check(u.id, w.id, 'content.read')::text, ',')
                            FROM authz.projects p WHERE p.workspace_id = w.id), '')
           FROM authz.users u CROSS JOIN authz.workspaces w ORDER BY 1, 2"
counts="SELECT (SELECT count(*) FROM authz.users), (SELECT count(*) FROM authz.participants),
               (SELECT count(*) FROM authz.participant_permissions), (SELECT count(*) FROM authz.roles),
               (SELECT count(*) FROM authz.role_permissions), (SELECT count(*) FROM authz.permissions),
               (SELECT count(*) FROM authz.project_members), (SELECT count(*) FROM authz.invitations),
               (SELECT count(*) FROM authz.credit_ledger), (SELECT count(*) FROM authz.credit_movements)"
before_answers=$(q "$src" "$answers")
before_counts=$(q "$src" "$counts")
before_balances=$(q "$src" "SELECT w.name, authz.balance(w.id) FROM authz.workspaces w WHERE w.org_id IS NOT NULL ORDER BY 1")
before_audit=$(q "$src" "SELECT count(*) FROM authz.audit_log")
last_audit=$(q "$src" "SELECT max(id) FROM authz.audit_log")

pg_dump -Fc -d "$src" -f "$work/dump" 2>"$work/dump.log"
ok $? "pg_dump of a database using the extension succeeds"
psql -X -q -d postgres -c "CREATE DATABASE \"$dst\"" >/dev/null
pg_restore --exit-on-error -d "$dst" "$work/dump" 2>"$work/restore.log"
ok $? "pg_restore into a new database succeeds"
[ -s "$work/restore.log" ] && sed 's/^/# /' "$work/restore.log" | head -n 20

is "$(q "$dst" "$answers")" "$before_answers" "every user's answers in every workspace and project are the same after the restore"
is "$(q "$dst" "$counts")" "$before_counts" "users, participants, grants, roles, permissions, project members, invitations, entries and movements all came back, once"
is "$(q "$dst" "SELECT w.name, authz.balance(w.id) FROM authz.workspaces w WHERE w.org_id IS NOT NULL ORDER BY 1")" "$before_balances" \
   "balances are the same"
is "$(q "$dst" "SELECT count(*) FROM authz.verify_ledger()")" "0" "the restored books balance: verify_ledger() is empty"
registry="SELECT name, scope, coalesce(description, '-'), builtin FROM authz.permissions ORDER BY name"
is "$(q "$dst" "$registry")" "$(q "$src" "$registry")" \
   "every registered permission came back once, with its scope and description"
grants="SELECT 'app', id, perms::text FROM app.grants UNION ALL SELECT 'public', id, perms::text FROM public.grants ORDER BY 1, 2"
is "$(q "$dst" "$grants")" "$(q "$src" "$grants")" \
   "application rows typed authz.permset came back with the same permissions, whether loaded before or after the registry"
is "$(q "$dst" "SELECT count(*) FROM authz.permissions GROUP BY bit HAVING count(*) > 1")" "" \
   "no two permissions share a bit after the restore"
# (beyond them, only the registrations the restore made for application rows
# loaded before the registry, and their adoption, are logged)
is "$(q "$dst" "SELECT count(*) FILTER (WHERE id <= $last_audit) || ' ' || count(*) FILTER (WHERE id > $last_audit AND action NOT LIKE 'permissions.%') FROM authz.audit_log")" "$before_audit 0" \
   "the audit log came back exactly: the rows the restore loads are not audited a second time"
# New movements continue the restored sequences instead of colliding with them.
q "$dst" "SELECT authz.add_credits((SELECT id FROM authz.workspaces WHERE name = 'genomics'), '5')" >/dev/null 2>"$work/after.log"
ok $? "a new movement after the restore gets a fresh id (the ledger's sequences were restored)"
is "$(q "$dst" "SELECT authz.add_credits((SELECT id FROM authz.workspaces WHERE name = 'genomics'), '100', 'plan', 'inv-1')")" \
   "$(q "$src" "SELECT id FROM authz.credit_movements WHERE idempotency_key = 'inv-1'")" \
   "an idempotency key used before the dump still replays its first movement"
is "$(q "$dst" "SELECT count(*) FROM authz.roles WHERE org_id IS NULL")" "4" "the built-in roles exist once (the install script's rows are not dumped)"
