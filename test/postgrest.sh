#!/usr/bin/env bash
# PostgREST / Supabase, emulated exactly: a login role `authenticator` that
# switches per request to `authenticated` or `anon` inside one transaction and
# sets the request's JWT claims transaction-locally, as PostgREST does:
#   BEGIN; SET LOCAL ROLE authenticated;
#   SELECT set_config('request.jwt.claims', '<json>', true); <query>; COMMIT;
# and PostgREST 12's form, which also applies the impersonated role's settings
# in the same statement (needing GRANT SET ON PARAMETER for a superuser-only
# setting). Checks row-level security, checks and refusals for the claimed
# user, and what a client running SQL as `authenticated` cannot forge.
# Prints TAP.
set -uo pipefail
work=$(mktemp -d)
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
is() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   have: $1"; echo "#   want: $2"; fails=$((fails + 1)); fi; }
cleanup() {
  rm -rf "$work"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$PGDATABASE\" WITH (FORCE)" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS authenticator, authenticated, anon" >/dev/null 2>&1
}
trap cleanup EXIT
echo "1..25"

ada=ada00000-0000-4000-8000-0000000000a1
psql -X -q -v ON_ERROR_STOP=1 -v ada="$ada" >"$work/fixture.log" 2>&1 <<'SQL'
CREATE ROLE authenticator LOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN;
CREATE ROLE anon NOLOGIN;
GRANT authenticated, anon TO authenticator;
ALTER ROLE authenticator SET workspace_authz.jwt_claim = 'sub';
-- Ada's id is her Supabase auth.uid(); Bob signs in through Auth0.
SELECT authz.create_user('ada', 'ada@example.com', id => :'ada') \gset
SELECT authz.create_user('bob', 'bob@example.com') AS bob \gset
SELECT authz.map_subject(:'bob', 'https://acme.auth0.com/', 'auth0|123456');
BEGIN;
SELECT authz.set_user(:'ada');
SELECT authz.create_org('acme') AS acme \gset
SELECT authz.create_workspace(:'acme', 'genomics') AS ws \gset
COMMIT;
SELECT authz.add_org_member(:'acme', :'bob');   -- the platform adds Bob
BEGIN;
SELECT authz.set_user(:'ada');
SELECT authz.add_member(:'ws', :'bob', 'viewer');
COMMIT;
CREATE TABLE public.notes (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, body text NOT NULL);
CREATE INDEX ON public.notes (workspace_id);
SELECT authz.protect('public.notes');
GRANT SELECT, INSERT, UPDATE ON public.notes TO authenticated;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO authenticated;
GRANT SELECT ON public.notes TO anon;
INSERT INTO public.notes (workspace_id, body) VALUES
  (:'ws', 'sequencing plan'), (authz.personal_workspace(:'ada'), 'ada''s own'),
  (authz.personal_workspace(:'bob'), 'bob''s own');
SQL
ok $? "fixture: authenticator, authenticated and anon; Ada by id, Bob by Auth0 subject; a protected table"
sed 's/^/#   /' "$work/fixture.log" | grep -i error | head -n 5
ws=$(psql -X -At -c "SELECT id FROM authz.workspaces WHERE name = 'genomics'")
bob=$(psql -X -At -c "SELECT id FROM authz.users WHERE handle = 'bob'")

ada_claims="{\"sub\": \"$ada\", \"role\": \"authenticated\", \"aud\": \"authenticated\"}"
bob_claims='{"sub": "auth0|123456", "iss": "https://acme.auth0.com/", "role": "authenticated"}'
ghost_claims='{"sub": "00000000-0000-4000-8000-00000000dead", "role": "authenticated"}'

# One request as PostgREST runs it, on a new connection of the authenticator:
# request ROLE CLAIMS SQL; prints the last result, or the error's SQLSTATE.
request() {
  local role=$1 claims=$2 sql=$3
  psql -X -At -q -U authenticator -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate 2>&1 <<SQL | tail -n 1
BEGIN;
SET LOCAL ROLE $role;
SELECT set_config('request.jwt.claims', '$claims', true) \\g /dev/null
$sql;
COMMIT;
SQL
}

is "$(request authenticated "$ada_claims" "SELECT string_agg(body, ', ' ORDER BY body) FROM public.notes")" \
   "ada's own, sequencing plan" "Ada's request (claim sub = her id) reads her rows through RLS"
is "$(request authenticated "$bob_claims" "SELECT string_agg(body, ', ' ORDER BY body) FROM public.notes")" \
   "bob's own, sequencing plan" "Bob's request (an Auth0 subject mapped for its issuer) reads his rows"
is "$(request authenticated "$bob_claims" "SELECT authz.can('$ws', 'content.read')::text || ' ' || authz.can('$ws', 'content.update')::text")" \
   "true false" "checks answer for the claimed user (a viewer)"
is "$(request authenticated "$ada_claims" "SELECT role || ' ' || org FROM authz.my_access WHERE workspace = 'genomics'")" \
   "owner acme" "authz.my_access answers for the claimed user"
is "$(request authenticated "$bob_claims" "INSERT INTO public.notes (workspace_id, body) VALUES ('$ws', 'x')")" \
   "ERROR:  42501" "Bob's insert into a workspace where he is a viewer is refused by RLS (42501)"
is "$(request authenticated "$ada_claims" "INSERT INTO public.notes (workspace_id, body) VALUES ('$ws', 'ada''s insert') RETURNING body")" \
   "ada's insert" "Ada's insert as owner passes (with the sequence granted)"
is "$(request authenticated "$bob_claims" "SELECT authz.require('$ws', 'content.update')")" \
   "ERROR:  42501" "authz.require refuses Bob with 42501"
is "$(request authenticated "$bob_claims" "SELECT authz.add_member('$ws', '$bob', 'owner')")" \
   "ERROR:  42501" "Bob may not raise his own role"
is "$(request authenticated "$ghost_claims" "SELECT count(*) FROM public.notes")" \
   "0" "claims naming no user give no identity and no rows"
is "$(request authenticated "$ghost_claims" "SELECT coalesce(authz.current_user_id()::text, 'nobody')")" \
   "nobody" "... and no current user"
is "$(request anon '{"role": "anon"}' "SELECT count(*) FROM public.notes")" \
   "0" "an anonymous request sees no rows"

# What a client that runs SQL as authenticated cannot forge.
is "$(request authenticated "$bob_claims" "SELECT authz.set_user('$ada')")" \
   "ERROR:  42501" "authenticated cannot call authz.set_user"
# A claim the client controls (user_metadata in Supabase) naming Ada.
forge_claims="{\"sub\": \"auth0|123456\", \"iss\": \"https://acme.auth0.com/\", \"role\": \"authenticated\", \"x\": \"$ada\"}"
is "$(request authenticated "$forge_claims" "SELECT authz.current_user_id(); SET LOCAL workspace_authz.user_id = '$ada'")" \
   "ERROR:  42501" "authenticated cannot set workspace_authz.user_id"
is "$(request authenticated "$forge_claims" "SET LOCAL workspace_authz.user_id = '$ada'; SELECT authz.current_user_id()")" \
   "$bob" "... nor plant it before the library is loaded: the claimed user stays current"
is "$(request authenticated "$forge_claims" "SELECT authz.current_user_id(); SET LOCAL workspace_authz.jwt_claim = 'x'")" \
   "ERROR:  42501" "authenticated cannot point workspace_authz.jwt_claim at another claim"
is "$(request authenticated "$forge_claims" "SET LOCAL workspace_authz.jwt_claim = 'x'; SELECT authz.current_user_id()")" \
   "$bob" "... nor plant it before the library is loaded"
is "$(request authenticated "$bob_claims" "SELECT authz.add_credits('$ws', '100')")" \
   "ERROR:  42501" "authenticated has no platform powers"

# Two requests on one pooled connection: nothing outlives its transaction.
out=$(psql -X -At -q -U authenticator -v ON_ERROR_STOP=1 2>&1 <<SQL
BEGIN; SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '$ada_claims', true) \\g /dev/null
SELECT count(*) FROM public.notes;
COMMIT;
BEGIN; SET LOCAL ROLE authenticated;
SELECT coalesce(authz.current_user_id()::text, 'nobody') || ' ' || (SELECT count(*) FROM public.notes);
COMMIT;
SQL
)
is "$(echo "$out" | tail -n 1)" "nobody 0" "the next request on the same connection is nobody until it sets its own claims"

# The setting on the impersonated role is not applied by SET ROLE.
psql -X -q -c "ALTER ROLE authenticator RESET workspace_authz.jwt_claim" -c "ALTER ROLE authenticated SET workspace_authz.jwt_claim = 'sub'"
is "$(request authenticated "$ada_claims" "SELECT coalesce(authz.current_user_id()::text, 'nobody')")" \
   "nobody" "a setting on authenticated alone is not applied by SET ROLE: no identity"

# PostgREST 12 applies it per request, before switching role, in one statement.
pgrst12() {
  psql -X -At -q -U authenticator -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate 2>&1 <<SQL | tail -n 1
BEGIN;
SELECT set_config('search_path', '"public"', true), set_config('workspace_authz.jwt_claim', 'sub', true),
       set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$1', true),
       set_config('request.method', 'GET', true) \\g /dev/null
$2;
COMMIT;
SQL
}
is "$(pgrst12 "$ada_claims" "SELECT coalesce(authz.current_user_id()::text, 'nobody')")" \
   "nobody" "without GRANT SET ON PARAMETER, PostgREST 12's per-request setting is discarded: no identity"
psql -X -q -c "GRANT SET ON PARAMETER workspace_authz.jwt_claim TO authenticator"
is "$(pgrst12 "$ada_claims" "SELECT authz.current_user_id()::text")" \
   "$ada" "with GRANT SET ON PARAMETER ... TO authenticator, PostgREST 12's request names the claimed user"
is "$(pgrst12 "$bob_claims" "SELECT string_agg(body, ', ' ORDER BY body) FROM public.notes")" \
   "ada's insert, bob's own, sequencing plan" "... and RLS answers for the claimed user"
is "$(pgrst12 "$forge_claims" "SELECT authz.current_user_id(); SELECT set_config('workspace_authz.jwt_claim', 'x', true)")" \
   "ERROR:  42501" "the grant is the authenticator's: authenticated still cannot change the claim path"
is "$(pgrst12 "$forge_claims" "SELECT set_config('workspace_authz.jwt_claim', 'x', true); SELECT coalesce(authz.current_user_id()::text, 'nobody')")" \
   "nobody" "... nor plant another one before the library is loaded: it is discarded, and the request is nobody, never Ada"
[ "$fails" -eq 0 ]
