#!/usr/bin/env bash
# Big tenants: one organization with 100,000 workspaces and an application
# table t of 1,000,000 rows spread over them (indexes on (workspace_id) and
# (workspace_id, created_at)), protected with authz.protect, read as users who
# see 10, 1,000 and 100,000 workspaces (bench/big_tenant_setup.sql builds it).
# Starts its own throwaway cluster (tools/cluster.sh, PostgreSQL's defaults) and
# stops it at the end. Run by `make bench` after bench/run.sh.
#
# The floor of a query is the same query run by t's owner (bench_owner, neither
# superuser nor BYPASSRLS), whom the policies do not apply to since RLS is not
# FORCEd on t: the run checks that this is so. Users are asserted per
# transaction (BEGIN; authz.set_user(...); ...; COMMIT) by the login role
# bench_app. Each query is run once untimed (that run's plan is kept), then
# BENCH_RUNS times, each run a statement and transaction of its own:
# `EXPLAIN (ANALYZE, TIMING OFF, SUMMARY)`, whose "Planning Time" and "Execution
# Time" are taken; figures are medians.
#
# Scenarios:
#   1. planning time of `SELECT * FROM t WHERE id = <literal>` (planned anew each
#      run, warm), users with 10, 1,000 and all workspaces vs the floor
#   2. a 20-row outer table of workspaces joined to t on workspace_id, as a
#      nested loop (hash and merge joins are disabled on both sides), the user
#      who sees every workspace vs the floor: planning and execution
#   3. feed: `SELECT * FROM t ORDER BY created_at DESC LIMIT 50`, users with 10
#      and all workspaces vs the floor (and, for the 10-workspace user, the
#      owner reading the same workspaces through a constant list, for reference)
#   4. 8 pgbench sessions (simple protocol) reading through RLS as random users
#      of the organization (each a viewer of 10 workspaces): the latest 10 rows of
#      one of their workspaces per transaction; TPS alone and while one more
#      session, as another organization's owner, adds and removes a participant
#      there (authz.add_member / authz.remove_member), 50 commits per second
#      (pgbench -R 25, two transactions per script); runs alternate
#      alone/with/with/alone...
#   5. a new session's first authz.can() (after LOAD 'workspace_authz', with
#      authz.set_user of the user in the timed block), users with 1,000 and
#      10,000 participations: median over BENCH_COLD_SESSIONS sessions
#   6. authz.create_workspace (with the set_user before it) by the owner, who is
#      the owner participant of every workspace, vs an org admin who owns none,
#      each call a transaction of its own in one session, 3 untimed calls first
#
# Prints a Markdown report on stdout (kept in bench/out/big_tenant.md), progress
# on stderr.
# Environment:
#   BENCH_BIG_WORKSPACES  workspaces of the organization (100000)
#   BENCH_BIG_ROWS        rows of t (1000000)
#   BENCH_RUNS            timed runs of each query (9)
#   BENCH_SECONDS         seconds per pgbench run (15)
#   BENCH_BIG_PAIRS       pgbench runs alone and with the writer, of each (2)
#   BENCH_BIG_READERS     reader users for pgbench (100)
#   BENCH_COLD_SESSIONS   new sessions per cold-check user (11)
#   BENCH_BIG_CREATES     timed create_workspace calls per user (50)
#   BENCH_QUICK=1         a smoke run: 2,000 workspaces, 20,000 rows, 3 runs,
#                         3-second pgbench runs; its figures are not for publication
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
out=bench/out
mkdir -p "$out"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_BIG_WORKSPACES:=2000}" "${BENCH_BIG_ROWS:=20000}" "${BENCH_RUNS:=3}" "${BENCH_SECONDS:=3}"
  : "${BENCH_BIG_PAIRS:=1}" "${BENCH_BIG_READERS:=20}" "${BENCH_COLD_SESSIONS:=3}" "${BENCH_BIG_CREATES:=10}"
fi
WORKSPACES=${BENCH_BIG_WORKSPACES:-100000}
ROWS=${BENCH_BIG_ROWS:-1000000}
RUNS=${BENCH_RUNS:-9}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
PAIRS=${BENCH_BIG_PAIRS:-2}
READERS=${BENCH_BIG_READERS:-100}
COLD_SESSIONS=${BENCH_COLD_SESSIONS:-11}
CREATES=${BENCH_BIG_CREATES:-50}
[ "$WORKSPACES" -ge 20 ] || { echo "BENCH_BIG_WORKSPACES must be at least 20" >&2; exit 1; }

t_start=$(date +%s)
cluster_start >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_big.XXXXXX")
chmod 755 "$work"
trap 'cluster_stop; rm -rf "$work"' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql -At "$@"; }
say() { echo "$*" >&2; }
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }
# milliseconds with precision that suits their size
ms() { LC_ALL=C awk -v v="$1" 'BEGIN { if (v == "") print "-"; else if (v < 1) printf "%.3f", v; else if (v < 100) printf "%.2f", v; else printf "%.0f", v }'; }
ratio() { LC_ALL=C awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print "-"; else printf "%.2f\n", a / b }'; }
# column N of '|'-separated lines on stdin: "median min max"
stats() {
  awk -F'|' -v c="$1" '$c != "" { print $c }' | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) { print ""; exit }
          printf "%s %s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

say "building $(commas "$WORKSPACES") workspaces and $(commas "$ROWS") rows..."
t0=$(date +%s)
psql -v workspaces="$WORKSPACES" -v rows="$ROWS" -v readers="$READERS" -f bench/big_tenant_setup.sql >/dev/null
setup_s=$(( $(date +%s) - t0 ))
say "  set-up took ${setup_s}s"

uid() { sql -c "SELECT id FROM bench.users WHERE label = '$1'"; }
declare -A UID_OF
for l in owner admin creator v10 v1000 v10000 other_owner; do UID_OF[$l]=$(uid "$l"); done
org=$(sql -c "SELECT id FROM bench.org")
other_org=$(sql -c "SELECT id FROM bench.other_org")
ws1=$(sql -c "SELECT id FROM bench.ws WHERE n = 1")
pk=$(sql -c "SELECT min(id) FROM t WHERE workspace_id = '$ws1'")

# ---- the floor bypasses RLS, the application role does not -----------------------
rls=$(sql -c "SELECT relrowsecurity || '|' || relforcerowsecurity || '|' || pg_get_userbyid(relowner)
                FROM pg_class WHERE oid = 'public.t'::regclass")
owner_rls=$(sql -U bench_owner -c "SELECT row_security_active('public.t')")
app_rls=$(sql -U bench_app -c "SELECT row_security_active('public.t')")
owner_attrs=$(sql -c "SELECT rolsuper || '|' || rolbypassrls FROM pg_roles WHERE rolname = 'bench_owner'")
if [ "$rls" != "true|false|bench_owner" ] || [ "$owner_rls" != f ] || [ "$app_rls" != t ] || [ "$owner_attrs" != "false|false" ]; then
  say "unexpected RLS state: rowsecurity|force|owner=$rls, active for owner=$owner_rls, for bench_app=$app_rls, owner super|bypassrls=$owner_attrs"
  exit 1
fi
policies=$(sql -c "SELECT string_agg(format('%s (%s): %s', polname, polcmd, coalesce(pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))), '; ' ORDER BY polname)
                     FROM pg_policy WHERE polrelid = 'public.t'::regclass")

# Visible workspaces of the organization for each user, measured through the
# extension (each user also sees their personal workspace, which t has no rows of).
declare -A SEES
for l in v10 v1000 v10000 admin owner creator; do
  SEES[$l]=$(sql -U bench_app -c "BEGIN" -c "SELECT authz.set_user('${UID_OF[$l]}')" \
                -c "SELECT count(*) FROM unnest(authz.workspace_array('content.read')) x JOIN bench.ws w ON w.id = x" -c "COMMIT" | sed '/^$/d' | tail -n 1)
done
[ "${SEES[admin]}" = "$WORKSPACES" ] || { say "the admin sees ${SEES[admin]} workspaces, not $WORKSPACES"; exit 1; }
who_text() {
  case $1 in
    floor) echo "floor (owner, no RLS)" ;;
    ref10) echo "owner, constant list of the 10 workspaces (reference)" ;;
    admin) echo "org admin, sees $(commas "${SEES[admin]}")" ;;
    *) echo "participant, sees $(commas "${SEES[$1]}")" ;;
  esac
}

# ---- 1-3: queries -------------------------------------------------------------
# measure SCENARIO WHO QUERY [PRE]: one untimed run (its plan kept), then RUNS
# timed runs; appends "scenario|who|plan med min max|exec med min max|total med min max|rows|jit" to results
: >"$work/results"
measure() {
  local scen=$1 who=$2 q=$3 pre=${4:-} role=bench_app assert="" i
  case $who in floor|ref*) role=bench_owner ;; *) assert="SELECT authz.set_user('${UID_OF[$who]}');" ;; esac
  say "  $scen as $who..."
  {
    echo "SET client_min_messages = warning;"
    echo "$pre"
    echo "\\o $work/plan.$scen.$who"
    echo "BEGIN; $assert SELECT bench.plan_text(\$q\$$q\$q\$, 'ANALYZE, TIMING OFF, SUMMARY'); COMMIT;"
    echo "\\o"
    for i in $(seq 1 "$RUNS"); do
      echo "BEGIN; $assert SELECT 'S|' || bench.explain_times(\$q\$$q\$q\$, 'ANALYZE, TIMING OFF, SUMMARY'); COMMIT;"
    done
  } | sql -U "$role" | sed -n 's/^S|//p' >"$work/samples"
  sed -i '/^$/d' "$work/plan.$scen.$who"
  awk -F'|' '{ print $1 + $2 }' "$work/samples" >"$work/totals"
  local rows jit
  rows=$(cut -d'|' -f3 "$work/samples" | sort -u | paste -sd/)
  jit=$(grep -c '|true$' "$work/samples" || true)
  echo "$scen|$who|$(stats 1 <"$work/samples")|$(stats 2 <"$work/samples")|$(stats 1 <"$work/totals")|$rows|$jit" >>"$work/results"
}
# field of a result: get SCENARIO WHO plan|exec|total|rows|jit [med|min|max]
get() {
  awk -F'|' -v s="$1" -v w="$2" -v f="$3" -v k="${4:-med}" '$1 == s && $2 == w {
      i = (f == "plan") ? 3 : (f == "exec") ? 4 : (f == "total") ? 5 : (f == "rows") ? 6 : 7
      if (i >= 6) { print $i; exit }
      split($i, a, " "); print (k == "min") ? a[2] : (k == "max") ? a[3] : a[1]; exit }' "$work/results"
}

say "queries ($RUNS timed runs each)..."
q_pk="SELECT * FROM t WHERE id = $pk"
for w in floor v10 v1000 admin; do measure pk "$w" "$q_pk"; done
nl="SET enable_hashjoin = off; SET enable_mergejoin = off;"
q_join="SELECT t.* FROM bench.outer20 o JOIN t ON t.workspace_id = o.workspace_id"
for w in floor admin; do measure join "$w" "$q_join" "$nl"; done
q_feed="SELECT * FROM t ORDER BY created_at DESC LIMIT 50"
for w in floor v10 admin; do measure feed "$w" "$q_feed"; done
list10=$(sql -c "SELECT array_agg(id ORDER BY n)::text FROM bench.ws WHERE n <= 10")
measure feed ref10 "SELECT * FROM t WHERE workspace_id = ANY ('$list10'::uuid[]) ORDER BY created_at DESC LIMIT 50"
for w in floor admin; do
  grep -q 'Nested Loop' "$work/plan.join.$w" || { say "the join as $w is not a nested loop:"; cat "$work/plan.join.$w" >&2; exit 1; }
done

# ---- 5: cold first check ------------------------------------------------------
say "cold first checks ($COLD_SESSIONS new sessions per user)..."
for l in v1000 v10000; do
  : >"$work/cold.$l"
  for i in $(seq 1 "$COLD_SESSIONS"); do
    sql -c "LOAD 'workspace_authz'" -c "SET ROLE bench_app" \
        -c "BEGIN" -c "SELECT bench.first_check('${UID_OF[$l]}', '$ws1')" -c "COMMIT" | sed '/^$/d' | tail -n 1 >>"$work/cold.$l"
  done
done

# ---- 4: readers with and without a writer in another organization ---------------
cat >"$work/read.sql" <<'EOF'
\set k random(1, :readers)
\set j random(0, 9)
BEGIN;
SELECT authz.set_user((SELECT id FROM bench.readers WHERE k = :k));
SELECT id, created_at FROM t WHERE workspace_id = (SELECT id FROM bench.ws WHERE n = 1 + ((:k - 1) * 10 + :j) % :workspaces) ORDER BY created_at DESC LIMIT 10;
COMMIT;
EOF
cat >"$work/write.sql" <<'EOF'
\set w random(1, 100)
\set m random(1, 20)
BEGIN;
SELECT authz.set_user((SELECT id FROM bench.users WHERE label = 'other_owner'));
SELECT authz.add_member((SELECT id FROM bench.other_ws WHERE n = :w), (SELECT id FROM bench.other_members WHERE k = :m), 'viewer');
COMMIT;
BEGIN;
SELECT authz.set_user((SELECT id FROM bench.users WHERE label = 'other_owner'));
SELECT authz.remove_member((SELECT id FROM bench.other_ws WHERE n = :w), (SELECT id FROM bench.other_members WHERE k = :m));
COMMIT;
EOF
chmod 644 "$work"/*.sql
readers() {  # readers SECONDS OUTFILE
  pgbench -n -c 8 -j 2 -T "$1" -U bench_app -D readers="$READERS" -D workspaces="$WORKSPACES" \
    -f "$work/read.sql" >"$2" 2>&1 || { cat "$2" >&2; exit 1; }
  if grep -qiE 'error|aborted' "$2"; then cat "$2" >&2; exit 1; fi
}
tps_of() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$1" | head -n 1; }
lat_of() { sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$1" | head -n 1; }
say "pgbench: 8 readers, ${SECONDS_PER_RUN}s per run, $PAIRS run(s) alone and with the writer..."
readers 2 "$work/warm.out"
: >"$work/tps"
run_tps() {  # run_tps alone|with PAIR
  local mode=$1 p=$2 wpid=""
  if [ "$mode" = with ]; then
    pgbench -n -c 1 -j 1 -R 25 -T $((SECONDS_PER_RUN + 2)) -U bench_app -f "$work/write.sql" >"$work/writer.$p.out" 2>&1 &
    wpid=$!
    sleep 1
  fi
  if [ "$mode" = with ]; then say "  readers with the writer (run $p)..."; else say "  readers alone (run $p)..."; fi
  readers "$SECONDS_PER_RUN" "$work/readers.$mode.$p.out"
  local wrate=""
  if [ -n "$wpid" ]; then
    wait "$wpid" || { cat "$work/writer.$p.out" >&2; exit 1; }
    if grep -qiE 'error|aborted' "$work/writer.$p.out"; then cat "$work/writer.$p.out" >&2; exit 1; fi
    local n
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/writer.$p.out")
    wrate=$(LC_ALL=C awk -v n="$n" -v s=$((SECONDS_PER_RUN + 2)) 'BEGIN { printf "%.1f", 2 * n / s }')
  fi
  echo "$mode|$p|$(tps_of "$work/readers.$mode.$p.out")|$wrate|$(lat_of "$work/readers.$mode.$p.out")" >>"$work/tps"
}
for p in $(seq 1 "$PAIRS"); do
  if [ $((p % 2)) = 1 ]; then run_tps alone "$p"; run_tps with "$p"; else run_tps with "$p"; run_tps alone "$p"; fi
done

# ---- 6: create_workspace --------------------------------------------------------
say "create_workspace: 3 untimed and $CREATES timed calls per user..."
creates() {  # creates LABEL ORG
  local i
  for i in $(seq 1 $((CREATES + 3))); do
    echo "BEGIN; SELECT 'C|' || bench.timed_create('${UID_OF[$1]}', '$2', 'new-$1-$i'); COMMIT;"
  done | sql -U bench_app | sed -n 's/^C|//p' | tail -n +4
}
creates owner "$org" >"$work/create.owner"
creates creator "$org" >"$work/create.creator"
creates other_owner "$other_org" >"$work/create.other_owner"
total_s=$(( $(date +%s) - t_start ))

# ---- report -----------------------------------------------------------------------
med() { stats 1 <"$1" | cut -d' ' -f1; }
range() { stats 1 <"$1" | awk '{ printf "%s-%s", $2, $3 }'; }
range_ms() { local s; s=$(stats 1 <"$1"); echo "$(ms "$(cut -d' ' -f2 <<<"$s")")-$(ms "$(cut -d' ' -f3 <<<"$s")")"; }
met() {  # met VALUE OP LIMIT
  LC_ALL=C awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "" || v == "-") print "not measured";
    else if ((op == "le" && v <= l) || (op == "ge" && v >= l) || (op == "lt" && v < l)) print "yes"; else print "**no**" }'
}
row_ratio() {  # row_ratio NAME SCEN WHO FIELD TARGET_TEXT LIMIT
  local f a r
  f=$(get "$2" floor "$4"); a=$(get "$2" "$3" "$4"); r=$(ratio "$a" "$f")
  if [ -n "$6" ]; then
    echo "| $1 | $(ms "$f") ms | $(ms "$a") ms | ${r}x | $5 | $(met "$r" le "$6") |"
  else
    echo "| $1 | $(ms "$f") ms | $(ms "$a") ms | ${r}x | $5 | - |"
  fi
}
alone_med=$(awk -F'|' '$1 == "alone" { print $3 }' "$work/tps" | stats 1 | cut -d' ' -f1)
with_med=$(awk -F'|' '$1 == "with" { print $3 }' "$work/tps" | stats 1 | cut -d' ' -f1)
tps_ratio=$(ratio "$with_med" "$alone_med")
pair_ratios=$(for p in $(seq 1 "$PAIRS"); do
  ratio "$(awk -F'|' -v p="$p" '$1 == "with" && $2 == p { print $3 }' "$work/tps")" \
        "$(awk -F'|' -v p="$p" '$1 == "alone" && $2 == p { print $3 }' "$work/tps")"; done | paste -sd' ')
writer_rates=$(awk -F'|' '$1 == "with" { print $4 }' "$work/tps" | paste -sd' ')
cold_total() { stats 1 <"$work/cold.$1" | cut -d' ' -f1; }
cold_check() { stats 2 <"$work/cold.$1" | cut -d' ' -f1; }
c_owner=$(med "$work/create.owner"); c_creator=$(med "$work/create.creator"); c_other=$(med "$work/create.other_owner")
c_ratio=$(ratio "$c_owner" "$c_creator")
setting() { sql -c "LOAD 'workspace_authz'" -c "SELECT current_setting('$1')" | tail -n 1; }

{
  echo "## Big tenants (\`bench/big_tenant.sh\`)"
  echo
  [ "${BENCH_QUICK:-0}" = 1 ] && { echo "**Quick mode (BENCH_QUICK=1): small data, few runs; not for publication.**"; echo; }
  echo "- Command: \`bench/big_tenant.sh\` ($(date -u +%Y-%m-%d)); environment: BENCH_BIG_WORKSPACES=$WORKSPACES BENCH_BIG_ROWS=$ROWS BENCH_RUNS=$RUNS BENCH_SECONDS=$SECONDS_PER_RUN BENCH_BIG_PAIRS=$PAIRS BENCH_BIG_READERS=$READERS BENCH_COLD_SESSIONS=$COLD_SESSIONS BENCH_BIG_CREATES=$CREATES"
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Server: $(sql -c 'SHOW server_version'), PostgreSQL's defaults; shared_buffers $(sql -c 'SHOW shared_buffers'), work_mem $(sql -c 'SHOW work_mem'), jit $(sql -c 'SHOW jit'), max_parallel_workers_per_gather $(sql -c 'SHOW max_parallel_workers_per_gather'), random_page_cost $(sql -c 'SHOW random_page_cost'), synchronous_commit $(sql -c 'SHOW synchronous_commit'), workspace_authz.cache_size $(setting workspace_authz.cache_size)"
  echo "- Data: one organization, $(commas "$WORKSPACES") workspaces; t: $(commas "$ROWS") rows ($(commas $((ROWS / WORKSPACES))) per workspace), indexes on (workspace_id) and (workspace_id, created_at), primary key id; set-up ${setup_s} s (model in bulk, t, indexes, ANALYZE), whole run $total_s s"
  echo "- Floor: t's owner \`bench_owner\` (not superuser, not BYPASSRLS) runs the same query; RLS on t: enabled, FORCE off, so \`row_security_active('t')\` is $owner_rls for the owner and $app_rls for \`bench_app\` (checked by the run). Policies: $policies"
  echo "- Users (workspaces of the organization they see, measured through \`authz.workspace_array('content.read')\`; each also sees their personal workspace, which has no rows in t): $(for l in v10 v1000 v10000 admin owner creator; do printf '%s %s; ' "$l" "$(commas "${SEES[$l]}")"; done | sed 's/; $//')"
  echo "- Queries: each user asserted per transaction by \`bench_app\`; one untimed run, then $RUNS runs, each a statement and transaction of its own, \`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY)\`: medians of its Planning Time and Execution Time. Literal queries, so each run is planned anew (no cached plan)."
  echo
  echo "| scenario | floor / baseline | authz | ratio | target | met? |"
  echo "|---|---:|---:|---:|---|---|"
  row_ratio "planning, \`SELECT * FROM t WHERE id = \$1\`, sees $(commas "${SEES[admin]}")" pk admin plan "<= 1.5x" 1.5
  row_ratio "planning, same, sees $(commas "${SEES[v1000]}")" pk v1000 plan "(reported)" ""
  row_ratio "planning, same, sees $(commas "${SEES[v10]}")" pk v10 plan "(reported)" ""
  row_ratio "20-row outer table, nested loop join, sees $(commas "${SEES[admin]}"): planning + execution" join admin total "<= 1.5x" 1.5
  row_ratio "the same join: execution" join admin exec "(reported)" ""
  row_ratio "the same join: planning" join admin plan "(reported)" ""
  row_ratio "feed \`ORDER BY created_at DESC LIMIT 50\`, sees $(commas "${SEES[v10]}"): planning + execution" feed v10 total "<= 1.5x" 1.5
  row_ratio "feed, sees $(commas "${SEES[admin]}"): planning + execution" feed admin total "<= 1.5x" 1.5
  echo "| 8 pgbench readers through RLS, TPS while another org takes 50 membership changes/s (achieved: $writer_rates /s) | $(LC_ALL=C printf '%.1f' "$alone_med") TPS alone | $(LC_ALL=C printf '%.1f' "$with_med") TPS | ${tps_ratio}x (runs: $pair_ratios) | >= 0.8x | $(met "$tps_ratio" ge 0.8) |"
  echo "| cold first check, $(commas "${SEES[v1000]}") participations (set_user + can) | - | $(ms "$(cold_total v1000)") ms ($(range_ms "$work/cold.v1000") ms) | - | < 2 ms | $(met "$(cold_total v1000)" lt 2) |"
  echo "| cold first check, $(commas "${SEES[v10000]}") participations (set_user + can) | - | $(ms "$(cold_total v10000)") ms ($(range_ms "$work/cold.v10000") ms) | - | < 10 ms | $(met "$(cold_total v10000)" lt 10) |"
  echo "| \`create_workspace\` by the owner participant of $(commas "$WORKSPACES") workspaces vs an org admin who owns none (median of $CREATES calls) | $(ms "$c_creator") ms | $(ms "$c_owner") ms | ${c_ratio}x | <= 2x | $(met "$c_ratio" le 2) |"
  echo
  echo "Planning + execution is the sum of one run's two times (median of the sums). A ratio is the authz median over"
  echo "the floor's; \"(reported)\" rows have no target of their own."
  echo
  echo "### Queries in detail"
  echo
  echo "Milliseconds, median (min-max) of $RUNS runs; rows of each run (all equal); runs that used JIT."
  echo
  echo "| query | as | rows | planning | execution | planning + execution | JIT runs |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  while IFS='|' read -r scen who plan exec total rows jit; do
    case $scen in pk) qn="\`SELECT * FROM t WHERE id = $pk\`" ;; join) qn="join, 20-row outer table" ;; feed) qn="feed" ;; esac
    fm() { set -- $1; echo "$(ms "$1") ($(ms "$2")-$(ms "$3"))"; }
    echo "| $qn | $(who_text "$who") | $rows | $(fm "$plan") | $(fm "$exec") | $(fm "$total") | $jit |"
  done <"$work/results"
  echo
  echo "For the 10-workspace user the feed's floor is the owner's unrestricted query, which sorts the whole table: the user's"
  echo "query does less work than its floor. The owner reading the same 10 workspaces through a constant"
  echo "\`workspace_id = ANY ('{...}')\` list (the reference row above) is the like-for-like comparison:"
  echo "$(ms "$(get feed v10 total)") ms against $(ms "$(get feed ref10 total)") ms, $(ratio "$(get feed v10 total)" "$(get feed ref10 total)")x."
  echo
  echo "### Readers with a writer in another organization"
  echo
  echo "8 sessions (\`pgbench -n -c 8 -j 2 -T $SECONDS_PER_RUN\`, simple protocol) as \`bench_app\`; per transaction: \`BEGIN\`,"
  echo "\`authz.set_user\` of one of $READERS reader users at random (each a viewer of 10 workspaces), the latest 10 rows of one of"
  echo "those workspaces, \`COMMIT\`. The writer: one more session, \`pgbench -R 25\` of a script adding then removing a"
  echo "participant in a 100-workspace organization as its owner (two commits, so 50 membership changes per second)."
  echo "Latency is pgbench's average per transaction; at a few TPS a run holds few transactions, and the runs' ratios"
  echo "spread accordingly."
  echo
  echo "| run | readers alone, TPS (latency ms) | with the writer, TPS (latency ms) | ratio | writer's changes/s |"
  echo "|---|---:|---:|---:|---:|"
  for p in $(seq 1 "$PAIRS"); do
    a=$(awk -F'|' -v p="$p" '$1 == "alone" && $2 == p { print $3 }' "$work/tps")
    b=$(awk -F'|' -v p="$p" '$1 == "with" && $2 == p { print $3 }' "$work/tps")
    r=$(awk -F'|' -v p="$p" '$1 == "with" && $2 == p { print $4 }' "$work/tps")
    la=$(awk -F'|' -v p="$p" '$1 == "alone" && $2 == p { print $5 }' "$work/tps")
    lb=$(awk -F'|' -v p="$p" '$1 == "with" && $2 == p { print $5 }' "$work/tps")
    echo "| $p | $(LC_ALL=C printf '%.1f' "$a") ($(ms "$la")) | $(LC_ALL=C printf '%.1f' "$b") ($(ms "$lb")) | $(ratio "$b" "$a")x | $r |"
  done
  echo
  echo "### Cold first check"
  echo
  echo "$COLD_SESSIONS new sessions per user (psql as the superuser: \`LOAD 'workspace_authz'\`, \`SET ROLE bench_app\`, then one"
  echo "statement timing \`authz.set_user(user)\` and \`authz.can(workspace, 'content.read')\` with \`clock_timestamp()\`; the"
  echo "library's loading is outside the timed block). Median (min-max), ms:"
  echo
  echo "| participations | set_user + can | can alone |"
  echo "|---:|---:|---:|"
  for l in v1000 v10000; do
    s=$(stats 2 <"$work/cold.$l")
    echo "| $(commas "${SEES[$l]}") | $(ms "$(cold_total "$l")") ($(range_ms "$work/cold.$l")) | $(ms "$(cut -d' ' -f1 <<<"$s")") ($(ms "$(cut -d' ' -f2 <<<"$s")")-$(ms "$(cut -d' ' -f3 <<<"$s")")) |"
  done
  echo
  echo "### create_workspace"
  echo
  echo "One session per user as \`bench_app\`; each call a transaction of its own, timed around \`authz.set_user\` and"
  echo "\`authz.create_workspace\` (the commit is not in the timed block); 3 untimed calls, then $CREATES. Median (min-max), ms:"
  echo
  echo "| caller | participations before | ms per call |"
  echo "|---|---:|---:|"
  echo "| owner of the big organization, owner participant of each workspace | $(commas "$WORKSPACES") | $(ms "$c_owner") ($(range_ms "$work/create.owner")) |"
  echo "| org admin of the big organization who owns none (the baseline) | 0 | $(ms "$c_creator") ($(range_ms "$work/create.creator")) |"
  echo "| owner of a 100-workspace organization (reference) | 100 | $(ms "$c_other") ($(range_ms "$work/create.other_owner")) |"
  echo
  echo "### Plans"
  echo
  echo "The untimed run of each query, \`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY)\`. The join runs with \`enable_hashjoin\` and"
  echo "\`enable_mergejoin\` off for the floor and authz alike (the scenario is the nested loop); lines cut at 160 characters."
  while IFS='|' read -r scen who _; do
    case $scen in pk) qn="\`$q_pk\`" ;; join) qn="\`$q_join\`" ;; feed) qn="\`$q_feed\`" ;; esac
    [ "$who" = ref10 ] && qn="\`SELECT * FROM t WHERE workspace_id = ANY ('{10 ids}') ORDER BY created_at DESC LIMIT 50\`"
    echo
    echo "#### $qn as $(who_text "$who")"
    echo
    echo '```'
    cat "$work/plan.$scen.$who"
    echo '```'
  done <"$work/results"
} | tee "$out/big_tenant.md"
