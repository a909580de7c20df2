-- Bad input to every public function (SPEC 10): called with NULLs, empty
-- values, huge values, unknown identifiers and real ones, no function may
-- answer with an internal error (XX000 and the like) or a type mismatch of its
-- own making; a refusal always carries a proper SQLSTATE. Everything runs in
-- one transaction, rolled back at the end.
BEGIN;
SELECT plan(5);

SELECT authz.create_user('ann', 'ann@example.com') AS ann \gset
SELECT authz.set_user(:'ann', false);
SELECT authz.create_org('acme') AS acme \gset
SELECT authz.create_workspace(:'acme', 'lab') AS lab \gset

-- One argument of type t in a variant, as SQL text.
CREATE FUNCTION pg_temp.arg(t regtype, variant text, real_id uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN variant = 'null' THEN format('NULL::%s', t)
        WHEN t = 'uuid'::regtype THEN CASE variant WHEN 'real' THEN quote_literal(real_id) || '::uuid'
                                                   ELSE 'gen_random_uuid()' END
        WHEN t IN ('text'::regtype, 'name'::regtype) THEN
            CASE variant WHEN 'empty' THEN '''''' WHEN 'huge' THEN 'repeat(''x'', 100000)'
                         ELSE '''content.read''' END || '::' || t::text
        WHEN t = 'text[]'::regtype THEN
            CASE variant WHEN 'empty' THEN '''{}''::text[]' WHEN 'huge' THEN 'ARRAY[repeat(''x'', 100000)]'
                         ELSE 'ARRAY[''content.read'']' END
        WHEN t = 'jsonb'::regtype THEN
            CASE variant WHEN 'empty' THEN '''{}''::jsonb' WHEN 'huge' THEN 'jsonb_build_object(''name'', repeat(''x'', 100000))'
                         ELSE '''{"name": "x"}''::jsonb' END
        WHEN t IN ('integer'::regtype, 'bigint'::regtype, 'numeric'::regtype) THEN
            CASE variant WHEN 'huge' THEN '2147483647' WHEN 'empty' THEN '-1' ELSE '1' END || '::' || t::text
        WHEN t = 'authz.credits'::regtype THEN
            CASE variant WHEN 'huge' THEN '''9223372036854.775807''' WHEN 'empty' THEN '''-1''' ELSE '''1''' END
            || '::authz.credits'
        WHEN t = 'boolean'::regtype THEN 'true'
        ELSE format('NULL::%s', t) END
$$;

-- Call every public function with every argument in one variant; return the
-- calls that failed with an internal error or a type error of their own.
CREATE FUNCTION pg_temp.internal_errors(variant text, real_id uuid) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    f record;
    st text;
    msg text;
    bad text[] := '{}';
BEGIN
    FOR f IN SELECT p.proname, p.proargtypes::regtype[] AS types
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'authz'::regnamespace AND p.prokind = 'f'
                AND p.prorettype <> 'trigger'::regtype
                AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::regtype[]) t
                                 WHERE t IN ('internal'::regtype, 'cstring'::regtype, 'oid'::regtype))
              ORDER BY p.oid
    LOOP
        BEGIN
            EXECUTE format('SELECT * FROM authz.%I(%s)', f.proname,
                           coalesce((SELECT string_agg(pg_temp.arg(t, variant, real_id), ', ') FROM unnest(f.types) t), ''));
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            IF st LIKE 'XX%' OR st IN ('42883', '42804', '42P18', '42725', '42703', '42P01') THEN
                bad := bad || format('%s(%s): %s %s', f.proname, array_to_string(f.types, ','), st, left(msg, 120));
            END IF;
        END;
    END LOOP;
    RETURN bad;
END
$$;

SELECT is(pg_temp.internal_errors('null', :'lab'), '{}'::text[],
    'every public function answers NULL arguments without an internal error');
SELECT is(pg_temp.internal_errors('empty', :'lab'), '{}'::text[],
    'every public function answers empty strings, arrays and objects, and negative numbers, without an internal error');
SELECT is(pg_temp.internal_errors('huge', :'lab'), '{}'::text[],
    'every public function answers 100,000-character strings and extreme numbers without an internal error');
SELECT is(pg_temp.internal_errors('random', :'lab'), '{}'::text[],
    'every public function answers unknown identifiers without an internal error');
SELECT is(pg_temp.internal_errors('real', :'lab'), '{}'::text[],
    'every public function answers real identifiers of the wrong kind without an internal error');

SELECT * FROM finish();
ROLLBACK;
