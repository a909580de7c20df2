#!/usr/bin/env bash
# Upgrade path: an installation of the released 0.1.0, with data, is updated
# with ALTER EXTENSION ... UPDATE and must then be the same, object by object,
# as a fresh installation of the current version (functions with their
# definitions and attributes, tables and columns, indexes, constraints,
# policies, triggers, grants, comments, ...), with its data kept and working.
# Prints TAP.
set -uo pipefail
old="${PGDATABASE}_upgraded"
new="${PGDATABASE}_fresh"
work=$(mktemp -d)
cleanup() {
  rm -rf "$work"
  for db in "$old" "$new"; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1; done
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_upgrade_app" >/dev/null 2>&1
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
is() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   have: $1"; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

categories=(members functions types operators casts aggregates tables columns constraints indexes policies
            triggers views schemas config)
echo "1..$((11 + ${#categories[@]}))"

current=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" workspace_authz.control)
for db in "$old" "$new"; do psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || exit 1; done
q "$old" "CREATE EXTENSION workspace_authz VERSION '0.1.0'" >/dev/null 2>"$work/old.log"
ok $? "version 0.1.0 installs from its frozen script"

# Data written through the 0.1.0 interface (the helpers still in schema authz).
psql -X -q -v ON_ERROR_STOP=1 -d "$old" >"$work/setup.log" 2>&1 <<'SQL'
SET search_path = authz, public;
SELECT define_permission('pipelines.launch', 'Launch pipelines', '{member}');
SELECT create_user('ada', 'ada@example.com') AS ada \gset
SELECT create_user('bob', 'bob@example.com') AS bob \gset
SELECT create_user('cy', 'cy@example.com') AS cy \gset
SELECT set_user(:'ada', false);
SELECT create_org('acme') AS acme \gset
SELECT create_role(:'acme', 'analyst', 30, '{content.read,pipelines.launch}');
SELECT create_workspace(:'acme', 'genomics') AS g \gset
SELECT create_workspace(:'acme', 'shared', 'shared') AS s \gset
SELECT add_org_member(:'acme', :'bob');
SELECT add_member(:'g', :'bob', 'analyst');
SELECT authz.grant(:'g', :'bob', '{content.update}');
SELECT add_org_member(:'acme', :'cy', 'guest');
SELECT create_team(:'acme', 'wetlab') AS t \gset
SELECT add_team_member(:'t', :'cy');
SELECT add_team(:'g', :'t', 'viewer');
SELECT create_project(:'g', 'Run 1') AS p \gset
SELECT add_project_member(:'p', :'cy', 'member');
SELECT invite(:'g', 'dan@example.com', 'viewer');
SELECT add_credits(:'g', '100', 'plan', 'inv-1');
SELECT transfer_credits(:'g', :'s', '30', 'budget', 'tr-1');
SELECT record_usage(:'s', 10, 40);
SELECT set_user(NULL, false);
CREATE TABLE public.notes (id serial PRIMARY KEY, workspace_id uuid NOT NULL, body text, perms authz.permset);
CREATE INDEX ON public.notes (workspace_id);
SELECT protect('public.notes');
INSERT INTO public.notes (workspace_id, body, perms) VALUES (:'g', 'g1', '{pipelines.launch}'), (:'s', 's1', '{}');
CREATE TABLE public.parted_notes (workspace_id uuid NOT NULL, body text) PARTITION BY HASH (workspace_id);
CREATE TABLE public.parted_notes_0 PARTITION OF public.parted_notes FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.parted_notes_1 PARTITION OF public.parted_notes FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON public.parted_notes (workspace_id);
SELECT protect('public.parted_notes');
CREATE ROLE regress_upgrade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO regress_upgrade_app;
GRANT workspace_authz_trusted TO regress_upgrade_app;
SQL
ok $? "a tenancy with custom permissions and roles, teams, projects, invitations, credits and a protected table"
grep -E 'ERROR|FATAL' "$work/setup.log" | sed 's/^/#   /'

answers="SELECT u.handle, w.name, authz.check(u.id, w.id, 'content.read'), authz.check(u.id, w.id, 'content.update'),
                authz.check(u.id, w.id, 'pipelines.launch')
           FROM authz.users u CROSS JOIN authz.workspaces w ORDER BY 1, 2"
books="SELECT w.name, authz.balance(w.id) FROM authz.workspaces w WHERE w.org_id IS NOT NULL ORDER BY 1"
bob=$(q "$old" "SELECT id FROM authz.users WHERE handle = 'bob'")
as_bob="BEGIN; SET LOCAL ROLE regress_upgrade_app; SELECT authz.set_user('$bob');
        SELECT string_agg(body || ':' || perms::text, ',' ORDER BY body) FROM public.notes; COMMIT;"
before_answers=$(q "$old" "$answers" 2>&1)
before_books=$(q "$old" "$books" 2>&1)
before_rows=$(q "$old" "$as_bob" 2>&1)
case "$before_rows" in *"g1:{pipelines.launch}"*) r=0 ;; *) r=1 ;; esac
ok $r "before the update, the protected table shows Bob his workspace's row"

q "$old" "ALTER EXTENSION workspace_authz UPDATE" >/dev/null 2>"$work/update.log"
ok $? "ALTER EXTENSION workspace_authz UPDATE runs"
[ -s "$work/update.log" ] && sed 's/^/#   /' "$work/update.log" | head -n 20
is "$(q "$old" "SELECT extversion FROM pg_extension WHERE extname = 'workspace_authz'")" "$current" \
   "the updated installation is at the current version ($current)"

q "$new" "CREATE EXTENSION workspace_authz" >/dev/null 2>"$work/new.log"
ok $? "the current version installs fresh"

# One listing per category of the extension's objects, described by name only
# (never by oid), so that two databases can be compared line by line.
snapshot() {
  local db=$1 cat=$2
  psql -X -At -v ON_ERROR_STOP=1 -d "$db" -f - >"$work/$cat.$db" 2>&1 <<SQL
\\set cat $cat
$(cat <<'QUERIES'
CREATE TEMP VIEW ext_member AS
  SELECT d.classid, d.objid FROM pg_depend d
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workspace_authz');
CREATE TEMP VIEW ext_rel AS
  SELECT c.* FROM pg_class c JOIN ext_member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid;
SELECT CASE :'cat'
  WHEN 'members' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT pg_describe_object(classid, objid, 0) AS x FROM ext_member) s)
  WHEN 'functions' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', p.oid::regprocedure::text, n.nspname, p.prokind, p.provolatile, p.proisstrict,
                       p.proparallel, p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proretset,
                       p.prorettype::regtype::text, pg_get_function_arguments(p.oid), p.proconfig::text,
                       p.prosupport::regproc::text, l.lanname, p.prosrc, p.probin, p.proacl::text,
                       obj_description(p.oid, 'pg_proc')) AS x
        FROM pg_proc p JOIN ext_member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
        JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang) s)
  WHEN 'types' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', t.oid::regtype::text, t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage,
                       t.typinput::text, t.typoutput::text, t.typreceive::text, t.typsend::text,
                       t.typcategory, t.typispreferred, t.typacl::text, obj_description(t.oid, 'pg_type'),
                       (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                         WHERE e.enumtypid = t.oid)) AS x
        FROM pg_type t JOIN ext_member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid) s)
  WHEN 'operators' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', o.oid::regoperator::text, o.oprcode::text, o.oprcom::regoperator::text,
                       o.oprnegate::regoperator::text, o.oprrest::text, o.oprjoin::text, o.oprcanmerge,
                       o.oprcanhash, obj_description(o.oid, 'pg_operator')) AS x
        FROM pg_operator o JOIN ext_member m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
      UNION ALL
      SELECT concat_ws(' | ', 'opclass', am.amname, c.opcname, c.opcdefault, c.opcintype::regtype::text,
                       (SELECT string_agg(ao.amopstrategy || ':' || ao.amopopr::regoperator::text, ','
                                          ORDER BY ao.amopstrategy)
                          FROM pg_amop ao WHERE ao.amopfamily = c.opcfamily),
                       (SELECT string_agg(ap.amprocnum || ':' || ap.amproc::regprocedure::text, ','
                                          ORDER BY ap.amprocnum)
                          FROM pg_amproc ap WHERE ap.amprocfamily = c.opcfamily),
                       obj_description(c.oid, 'pg_opclass'))
        FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
        JOIN ext_member m ON m.classid = 'pg_opclass'::regclass AND m.objid = c.oid) s)
  WHEN 'casts' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', c.castsource::regtype::text, c.casttarget::regtype::text,
                       c.castfunc::regprocedure::text, c.castcontext, c.castmethod,
                       obj_description(c.oid, 'pg_cast')) AS x
        FROM pg_cast c JOIN ext_member m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid) s)
  WHEN 'aggregates' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', a.aggfnoid::regprocedure::text, a.aggkind, a.aggtransfn::text, a.aggfinalfn::text,
                       a.aggcombinefn::text, a.aggserialfn::text, a.aggdeserialfn::text, a.aggmtransfn::text,
                       a.aggminvtransfn::text, a.aggmfinalfn::text, a.aggsortop::regoperator::text,
                       a.aggtranstype::regtype::text, a.aggtransspace, a.agginitval, a.aggminitval) AS x
        FROM pg_aggregate a JOIN ext_member m ON m.classid = 'pg_proc'::regclass AND m.objid = a.aggfnoid) s)
  WHEN 'tables' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', c.oid::regclass::text, c.relkind, c.relpersistence, c.relrowsecurity,
                       c.relforcerowsecurity, c.reloptions::text, c.relacl::text, c.relreplident,
                       obj_description(c.oid, 'pg_class')) AS x
        FROM ext_rel c) s)
  WHEN 'columns' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod),
                       a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(ad.adbin, ad.adrelid),
                       a.attacl::text, col_description(c.oid, a.attnum), a.attcollation::regcollation::text) AS x
        FROM ext_rel c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum) s)
  WHEN 'constraints' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', co.conrelid::regclass::text, co.conname, co.contype,
                       pg_get_constraintdef(co.oid), co.condeferrable, co.condeferred,
                       obj_description(co.oid, 'pg_constraint')) AS x
        FROM pg_constraint co JOIN ext_rel c ON c.oid = co.conrelid) s)
  WHEN 'indexes' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class')) AS x
        FROM pg_index i JOIN ext_rel c ON c.oid = i.indrelid) s)
  WHEN 'policies' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', p.schemaname, p.tablename, p.policyname, p.permissive, p.roles::text, p.cmd,
                       p.qual, p.with_check,
                       obj_description((SELECT po.oid FROM pg_policy po
                                         WHERE po.polrelid = format('%I.%I', p.schemaname, p.tablename)::regclass
                                           AND po.polname = p.policyname), 'pg_policy')) AS x
        FROM pg_policies p WHERE format('%I.%I', p.schemaname, p.tablename)::regclass IN (SELECT oid FROM ext_rel)) s)
  WHEN 'triggers' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', pg_get_triggerdef(t.oid), t.tgenabled, obj_description(t.oid, 'pg_trigger')) AS x
        FROM pg_trigger t JOIN ext_rel c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
      UNION ALL
      SELECT concat_ws(' | ', 'event trigger', e.evtname, e.evtevent, e.evtfoid::regproc::text, e.evtenabled,
                       e.evttags::text, obj_description(e.oid, 'pg_event_trigger'))
        FROM pg_event_trigger e JOIN ext_member m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid) s)
  WHEN 'views' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', c.oid::regclass::text, pg_get_viewdef(c.oid)) AS x
        FROM ext_rel c WHERE c.relkind IN ('v', 'm')) s)
  WHEN 'schemas' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', n.nspname, n.nspowner::regrole::text, n.nspacl::text,
                       obj_description(n.oid, 'pg_namespace')) AS x
        FROM pg_namespace n WHERE n.nspname LIKE 'authz%'
      UNION ALL
      SELECT concat_ws(' | ', 'role', r.rolname, r.rolcanlogin, r.rolinherit,
                       shobj_description(r.oid, 'pg_authid'))
        FROM pg_roles r WHERE r.rolname LIKE 'workspace\_authz%') s)
  WHEN 'config' THEN (SELECT string_agg(x, E'\n' ORDER BY x) FROM (
      SELECT concat_ws(' | ', c::regclass::text, e.extcondition[i]) AS x
        FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY u(c, i)
       WHERE e.extname = 'workspace_authz') s)
END;
QUERIES
)
SQL
}

for cat in "${categories[@]}"; do
  if ! snapshot "$old" "$cat" || ! snapshot "$new" "$cat" || [ "$(wc -l <"$work/$cat.$new")" -lt 2 ]; then
    ok 1 "$cat: the objects can be listed"
    sed 's/^/#   /' "$work/$cat.$new" "$work/$cat.$old" | head -n 10
  elif diff -u "$work/$cat.$new" "$work/$cat.$old" >"$work/$cat.diff"; then
    ok 0 "$cat: the updated installation matches a fresh one ($(wc -l <"$work/$cat.$new") lines)"
  else
    ok 1 "$cat: the updated installation matches a fresh one (- fresh, + updated)"
    sed 's/^/#   /' "$work/$cat.diff" | head -n 40
  fi
done

is "$(q "$old" "$answers" 2>&1)" "$before_answers" "every check answers as before the update"
is "$(q "$old" "$books" 2>&1)" "$before_books" "every balance is as before the update"
is "$(q "$old" "SELECT count(*) FROM authz.verify_ledger()" 2>&1)" "0" "the ledger verifies after the update"
is "$(q "$old" "$as_bob" 2>&1)" "$before_rows" "the protected table shows the same rows to the same user through RLS"
is "$(q "$old" "SELECT string_agg(c.relname || ':' || c.relrowsecurity || ':' ||
                          (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), ',' ORDER BY c.relname)
                     FROM pg_class c WHERE c.relname LIKE 'parted\_notes%' AND c.relkind IN ('r', 'p')" 2>&1)" \
   "parted_notes:true:4,parted_notes_0:true:4,parted_notes_1:true:4" \
   "the partitions of a table protected before the update are protected as it is"
