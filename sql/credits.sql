-- authz.credits: text and binary I/O, malformed input, overflow, arithmetic and
-- its rounding, comparisons, opclasses, aggregates, casts
\set SHOW_CONTEXT never
SET search_path = authz, authz_internal, public;

-- text input and output: shortest exact form
SELECT x AS input, x::credits AS output
  FROM (VALUES ('0'), ('-0'), ('+0'), ('0.000000'), ('1'), ('-1'), ('12'), ('1.5'), ('1.50'),
               ('-1.5'), ('0.000001'), ('-0.000001'), ('.5'), ('-.5'), ('+.25'), ('5.'), ('-5.'),
               ('007.100'), ('1000000'), ('123456.789012'), ('-123456.789012'),
               ('1.0000000000'), ('2.50000000000000000000000'), ('  42  '),
               ('00000000000000000000000000001'), ('9223372036854.775807'),
               ('-9223372036854.775808'), ('9223372036854'), ('-9223372036854.775807')) v(x);
SELECT E'\t -3.25\r\n'::credits AS tab_and_newline;

-- round trip: the output reads back as the same value
SELECT x, x::credits::text::credits = x::credits AS round_trips,
       x::credits::text = x::credits::text::credits::text AS stable
  FROM (VALUES ('0'), ('1.5'), ('-0.000001'), ('0.1'), ('0.01'), ('0.001'), ('0.0001'), ('0.00001'),
               ('999999.999999'), ('-999999.999999'), ('12.3'), ('100'), ('-100.010'),
               ('9223372036854.775807'), ('-9223372036854.775808'), ('9223372036854.775806'),
               ('-9223372036854.775807'), ('4611686018427.387904')) v(x);

-- malformed input
SELECT ''::credits;
SELECT ' '::credits;
SELECT '+'::credits;
SELECT '-'::credits;
SELECT '.'::credits;
SELECT '-.'::credits;
SELECT '+-1'::credits;
SELECT '--1'::credits;
SELECT '1-'::credits;
SELECT 'abc'::credits;
SELECT '1a'::credits;
SELECT 'a1'::credits;
SELECT '1e5'::credits;
SELECT '1E-2'::credits;
SELECT '1.2.3'::credits;
SELECT '1..2'::credits;
SELECT '..1'::credits;
SELECT 'NaN'::credits;
SELECT 'nan'::credits;
SELECT 'Infinity'::credits;
SELECT '-Infinity'::credits;
SELECT 'inf'::credits;
SELECT '1 000'::credits;
SELECT '1,000'::credits;
SELECT '1,5'::credits;
SELECT '1_000'::credits;
SELECT '1 .5'::credits;
SELECT '1. 5'::credits;
SELECT '- 1'::credits;
SELECT '0x10'::credits;
SELECT '$1.5'::credits;
SELECT '1.5$'::credits;
SELECT '１'::credits;
SELECT '1.0000001'::credits;
SELECT '0.0000000001'::credits;
SELECT '-0.0000005'::credits;
SELECT NULL::credits IS NULL AS null_in_null_out;

-- out of range input, at both ends
SELECT '9223372036854.775808'::credits;
SELECT '-9223372036854.775809'::credits;
SELECT '9223372036855'::credits;
SELECT '-9223372036855'::credits;
SELECT '18446744073709.551616'::credits;
SELECT '99999999999999999999999999999999'::credits;
SELECT '-99999999999999999999999999999999.5'::credits;

-- addition, subtraction, negation, abs
SELECT '1.5'::credits + '2.25' AS add, '1.5'::credits - '2.25' AS sub, -'1.5'::credits AS neg,
       -'-0.000001'::credits AS neg_neg, abs('-1.5'::credits) AS abs_neg, abs('1.5'::credits) AS abs_pos;
SELECT '9223372036854.775807'::credits + '-9223372036854.775808' AS max_plus_min,
       '9223372036854.775806'::credits + '0.000001' AS to_max,
       '-9223372036854.775807'::credits - '0.000001' AS to_min,
       -'9223372036854.775807'::credits AS neg_max;
SELECT '9223372036854.775807'::credits + '0.000001';
SELECT '-9223372036854.775808'::credits + '-0.000001';
SELECT '-9223372036854.775808'::credits - '0.000001';
SELECT '9223372036854.775807'::credits - '-0.000001';
SELECT '0'::credits - '-9223372036854.775808';
SELECT -'-9223372036854.775808'::credits;
SELECT abs('-9223372036854.775808'::credits);
SELECT NULL::credits + '1' AS add_null, '1'::credits - NULL AS sub_null, -NULL::credits AS neg_null;

-- multiplication by numeric: exact product, rounded once to 6 places, halves away from zero
SELECT '2.5'::credits * 4 AS by_int, 3 * '0.333333'::credits AS int_by, '10'::credits * 0.15 AS by_numeric,
       1.5 * '-2'::credits AS numeric_by, '1'::credits * 0 AS by_zero, '-1'::credits * -1 AS neg_by_neg;
SELECT f AS factor, '0.1'::credits * f AS pos, '-0.1'::credits * f AS neg, f * '0.1'::credits AS commuted
  FROM (VALUES (0.0000015), (0.000005), (0.0000049999), (0.0000050001), (0.000015), (0.000025),
               (1.00000049), (1.000005), (-0.000005)) v(f);
SELECT '0.000001'::credits * 0.5 AS half_up, '-0.000001'::credits * 0.5 AS half_down,
       '0.000001'::credits * 0.4999999999 AS below_half, '-0.000001'::credits * 0.4999999999 AS below_half_neg,
       '1'::credits * 0.0000025 AS not_bankers, '1'::credits * 0.0000045 AS not_bankers2,
       '0.000003'::credits * 0.5 AS odd_half;
SELECT '100'::credits * (1::numeric / 3) AS third, '0.01'::credits * 1e-30 AS tiny,
       '1'::credits * 9223372036854.775807 AS to_max, '-1'::credits * 9223372036854.7758075 AS rounds_to_min,
       '-9223372036854.775808'::credits * 1 AS min_by_one, '9223372036854.775807'::credits * -1 AS max_by_minus_one;
SELECT '9223372036854.775807'::credits * 2;
SELECT '9223372036854.775807'::credits * 1.0000001;
SELECT '-9223372036854.775808'::credits * -1;
SELECT '1'::credits * 9223372036854.7758075;
SELECT '-1'::credits * 9223372036854.7758085;
SELECT '0.000001'::credits * 1e40;
SELECT '1'::credits * 'NaN'::numeric;
SELECT '0'::credits * 'Infinity'::numeric;
SELECT '1'::credits * '-Infinity'::numeric;
SELECT '1'::credits * NULL::numeric AS by_null, NULL::numeric * '1'::credits AS null_by,
       NULL::credits * 2 AS null_credits;

-- comparisons
SELECT '1.5'::credits = '1.500000' AS eq, '-0'::credits = '0' AS neg_zero,
       '1.5'::credits <> '1.500001' AS ne, '0.000001'::credits > '0' AS gt,
       '-0.000001'::credits < '0' AS lt, '2'::credits >= '2' AS ge, '2'::credits <= '1.999999' AS le,
       '-9223372036854.775808'::credits < '9223372036854.775807' AS min_lt_max,
       '1.5'::credits = 1.5 AS eq_numeric, '7'::credits = 7::credits AS eq_int;
SELECT x FROM (VALUES ('3'::credits), ('-1'), ('0.5'), ('9223372036854.775807'), ('-0.000001'),
                      ('-9223372036854.775808'), ('0'), ('0.499999'), ('-1.000001'), ('3')) v(x)
 ORDER BY x;
SELECT x FROM (VALUES ('3'::credits), ('-1'), ('0.5'), ('-9223372036854.775808'), ('9223372036854.775807')) v(x)
 ORDER BY x DESC;
SELECT credits_cmp('1', '2') AS lt, credits_cmp('2', '2') AS eq, credits_cmp('2', '1') AS gt,
       credits_cmp('-9223372036854.775808', '9223372036854.775807') AS extremes;
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname IN ('credits_ops', 'credits_hash_ops') ORDER BY opcname;

-- hashing agrees with equality, and the seeded hash with seed 0 extends the plain one
SELECT count(DISTINCT credits_hash(x)) AS hashes, count(DISTINCT x) AS values_,
       bool_and(credits_hash(x) = credits_hash(x::text::credits)) AS same_text,
       bool_and((credits_hash(x)::bigint & 4294967295) = (credits_hash_extended(x, 0) & 4294967295)) AS seed0,
       bool_or(credits_hash_extended(x, 0) <> credits_hash_extended(x, 1)) AS seeded
  FROM (VALUES ('1.5'::credits), ('1.50'), ('-0'), ('0'), ('2')) v(x);
SELECT DISTINCT x FROM (VALUES ('1.5'::credits), ('1.50'), ('1.500000'), ('-0'), ('0'), ('0.000001')) v(x)
 ORDER BY x;
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT x, count(*) FROM (VALUES ('1.5'::credits), ('1.50'), ('2')) v(x) GROUP BY x;
SELECT x, count(*) FROM (VALUES ('1.5'::credits), ('1.50'), ('2'), ('1.500000'), ('-0'), ('0')) v(x)
 GROUP BY x ORDER BY count(*) DESC, x::text;
RESET enable_sort;

-- btree and hash indexes, hash join
CREATE TEMP TABLE amounts (id integer, a credits);
INSERT INTO amounts SELECT i, i::numeric * 0.25 FROM generate_series(-20, 20) i;
INSERT INTO amounts VALUES (100, NULL), (101, '9223372036854.775807'), (102, '-9223372036854.775808');
CREATE INDEX amounts_hash ON amounts USING hash (a);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM amounts WHERE a = '1.25';
SELECT id FROM amounts WHERE a = '1.25';
SELECT id FROM amounts WHERE a = '-2.500';
SELECT id FROM amounts WHERE a = '9223372036854.775807';
SELECT id FROM amounts WHERE a = '1.000001';
DROP INDEX amounts_hash;
CREATE INDEX amounts_btree ON amounts USING btree (a);
EXPLAIN (COSTS OFF) SELECT id, a FROM amounts WHERE a BETWEEN '-0.5' AND '0.75' ORDER BY a;
SELECT id, a FROM amounts WHERE a BETWEEN '-0.5' AND '0.75' ORDER BY a;
SELECT id FROM amounts WHERE a < '-5' ORDER BY a;
RESET enable_seqscan;
RESET enable_bitmapscan;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM amounts x JOIN amounts y ON x.a = y.a;
SELECT count(*) FROM amounts x JOIN amounts y ON x.a = y.a;
RESET enable_mergejoin;
RESET enable_nestloop;

-- aggregates: NULLs are skipped, no rows give NULL
SELECT sum(a) AS sum_, min(a) AS min_, max(a) AS max_, count(a) FROM amounts WHERE id BETWEEN -20 AND 20;
SELECT sum(a), min(a), max(a) FROM amounts WHERE id BETWEEN 1 AND 4 OR id = 100;
SELECT sum(a), min(a), max(a) FROM amounts WHERE false;
SELECT sum(a), min(a), max(a) FROM amounts WHERE id = 100;
SELECT coalesce(sum(a), '0') AS zero_when_empty FROM amounts WHERE false;
SELECT min(a), max(a) FROM amounts;
SELECT pg_typeof(sum(a)), pg_typeof(min(a)), pg_typeof(max(a)) FROM amounts;
SELECT sum(x) FROM (VALUES ('0.1'::credits), ('0.2'), ('0.3')) v(x);
SELECT sum(x) FROM (VALUES ('9223372036854.775807'::credits), ('1'), ('-1')) v(x);
SELECT sum(x) FROM (VALUES ('-9223372036854.775808'::credits), ('-9223372036854.775808'),
                           ('9223372036854.775807'), ('9223372036854.775807'), ('0.000002')) v(x);
SELECT sum(x) FROM (VALUES ('9223372036854.775807'::credits), ('0.000001')) v(x);
SELECT sum(x) FROM (VALUES ('-9223372036854.775808'::credits), ('-0.000001')) v(x);
SELECT sum(x) FROM (VALUES ('9223372036854.775807'::credits), ('9223372036854.775807'),
                           ('9223372036854.775807'), ('-9223372036854.775808')) v(x);
SELECT id % 2 = 0 AS even, sum(a), min(a), max(a) FROM amounts WHERE id BETWEEN -20 AND 20 GROUP BY 1 ORDER BY 1;
-- sum over a moving window frame uses the inverse transition
SELECT i, x, sum(x) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
  FROM (VALUES (1, '1'::credits), (2, NULL), (3, '2.5'), (4, '-9223372036854.775808'), (5, '0.5'),
               (6, NULL), (7, NULL), (8, '0.000001')) v(i, x);
SELECT i, sum(x) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
  FROM (VALUES (1, '9223372036854.775807'::credits), (2, '1'), (3, '-1')) v(i, x);
-- a moving frame that starts on NULL, and frames of NULLs only (NULL sums)
SELECT i, x, sum(x) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
  FROM (VALUES (1, NULL::credits), (2, '1'), (3, NULL), (4, NULL), (5, '2'), (6, '3')) v(i, x);
SELECT i, x, sum(x) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
  FROM (VALUES (1, NULL::credits), (2, NULL), (3, '1.5'), (4, NULL)) v(i, x);

-- parallel aggregation combines partial sums, which may leave the int64 range
CREATE TABLE credits_parallel (i integer, n credits, big credits);
INSERT INTO credits_parallel
SELECT i, (i % 1000 - 500)::numeric * 0.003,
       CASE WHEN i <= 15000 THEN '9223372036854.775807'::credits ELSE '-9223372036854.775807' END
  FROM generate_series(1, 30000) i;
ANALYZE credits_parallel;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT sum(n), min(n), max(n) FROM credits_parallel;
SELECT sum(n), min(n), max(n), sum(n::numeric) AS numeric_sum, sum(big) AS big_sum FROM credits_parallel;
SELECT sum(big) FROM credits_parallel WHERE i > 1;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE credits_parallel;

-- casts from numeric are exact, or refused
SELECT 1.5::credits AS a, 1.500000000::credits AS b, (-0.000001)::credits AS c, 0::numeric::credits AS d,
       9223372036854.775807::credits AS e, (-9223372036854.775808)::credits AS f,
       round(1.0000005, 6)::credits AS g, round(-1.0000005, 6)::credits AS h, 1e6::credits AS i;
SELECT 1.0000001::credits;
SELECT (-0.0000001)::credits;
SELECT 0.0000000000000000001::credits;
SELECT (-9223372036854.7758084)::credits;
SELECT 9223372036854.775808::credits;
SELECT (-9223372036854.775809)::credits;
SELECT 9223372036854.7758075::credits;
SELECT 1e30::credits;
SELECT 'NaN'::numeric::credits;
SELECT 'Infinity'::numeric::credits;
SELECT '-Infinity'::numeric::credits;
SELECT NULL::numeric::credits IS NULL AS null_cast;
-- the numeric cast is implicit: it applies in comparisons, function calls and assignments
SELECT '2.5'::credits + 1.25 AS plus_numeric, authz.abs(-3.5) AS abs_numeric, '1'::credits < 1.000001 AS lt_numeric;
SELECT '1'::credits + 0.0000001;
INSERT INTO amounts VALUES (200, 12.345678);
INSERT INTO amounts VALUES (201, 1e-7);
INSERT INTO amounts VALUES (202, 12.3456789);
SELECT id, a FROM amounts WHERE id >= 200 ORDER BY id;

-- casts from integer and bigint are exact, explicit or on assignment
SELECT 7::credits AS int4, (-7)::credits AS neg_int4, 2147483647::credits AS int4_max,
       (-2147483648)::credits AS int4_min, 9223372036854::bigint::credits AS int8_max,
       (-9223372036854)::bigint::credits AS int8_min, '1'::credits + 2::credits AS plus_int;
-- not implicit: integer arithmetic with numeric stays unambiguous with authz on the search path
SELECT 2 * 1.5 AS int_times_numeric, 3::bigint * 0.5 AS bigint_times_numeric, 1.5 * 2 AS numeric_times_int;
SELECT '1'::credits + 2;
SELECT 9223372036855::bigint::credits;
SELECT (-9223372036855)::bigint::credits;
SELECT 9223372036854775807::credits;
SELECT (-9223372036854775808)::bigint::credits;
INSERT INTO amounts VALUES (203, 5), (204, 5::bigint);
INSERT INTO amounts VALUES (205, 9223372036854775807);
SELECT id, a FROM amounts WHERE id >= 203 ORDER BY id;

-- casts to numeric are exact (explicit or on assignment, never implicit)
SELECT '1.5'::credits::numeric AS a, '-0.000001'::credits::numeric AS b, '12'::credits::numeric AS c,
       '9223372036854.775807'::credits::numeric AS d, '-9223372036854.775808'::credits::numeric AS e,
       pg_typeof('1'::credits::numeric) AS t;
SELECT x::credits::numeric = x AS exact
  FROM (VALUES (0.000001), (-123456.789012), (9223372036854.775807), (-9223372036854.775808)) v(x);
CREATE TEMP TABLE numbers (n numeric);
INSERT INTO numbers SELECT a FROM amounts WHERE id IN (1, 101, 102);
SELECT n FROM numbers ORDER BY n;
SELECT round('1.5'::credits, 0);

-- text casts come from the I/O functions
SELECT '3.25'::text::credits AS from_text, '3.250'::credits::text AS to_text,
       '-0.5'::varchar::credits AS from_varchar;
SELECT 'x'::text::credits;

-- binary I/O: version byte, then int64 millionths; round trip through a
-- binary COPY file that psql writes and reads in this run's results directory
SELECT credits_send('1.5') AS one_and_half, credits_send('-0.000001') AS minus_one_millionth,
       credits_send('9223372036854.775807') AS max_, credits_send('-9223372036854.775808') AS min_;
\getenv abs_builddir PG_ABS_BUILDDIR
\cd :abs_builddir
\copy (SELECT id, a FROM amounts ORDER BY id) TO 'results/credits_amounts.bin' WITH (FORMAT binary)
CREATE TEMP TABLE amounts_copy (id integer, a credits);
\copy amounts_copy FROM 'results/credits_amounts.bin' WITH (FORMAT binary)
SELECT count(*) AS rows_, count(c.a) AS non_null,
       bool_and(c.a IS NOT DISTINCT FROM o.a) AS identical
  FROM amounts o FULL JOIN amounts_copy c USING (id);
SELECT id, a FROM amounts_copy WHERE id >= 100 ORDER BY id;

-- binary input is checked. A binary COPY file of one bytea field is laid out
-- as one of one credits field: psql writes each field's bytes as a bytea and
-- reads them back as credits.
\copy (SELECT '\x01'::bytea || int8send(1500000)) TO 'results/credits_ok.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send('-9223372036854775808'::bigint)) TO 'results/credits_min.bin' WITH (FORMAT binary)
\copy (SELECT '\x02'::bytea || int8send(1500000)) TO 'results/credits_version2.bin' WITH (FORMAT binary)
\copy (SELECT '\x00'::bytea || int8send(1500000)) TO 'results/credits_version0.bin' WITH (FORMAT binary)
\copy (SELECT int8send(1500000)) TO 'results/credits_no_version.bin' WITH (FORMAT binary)
\copy (SELECT '\x01000000'::bytea) TO 'results/credits_short.bin' WITH (FORMAT binary)
\copy (SELECT '\x01'::bytea || int8send(1) || '\x00'::bytea) TO 'results/credits_long.bin' WITH (FORMAT binary)
\copy (SELECT ''::bytea) TO 'results/credits_empty.bin' WITH (FORMAT binary)
CREATE TEMP TABLE one_amount (a credits);
\copy one_amount FROM 'results/credits_ok.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_min.bin' WITH (FORMAT binary)
SELECT a FROM one_amount;
\copy one_amount FROM 'results/credits_version2.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_version0.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_no_version.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_short.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_long.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_empty.bin' WITH (FORMAT binary)
SELECT count(*) AS still_two FROM one_amount;

-- the SQLSTATE of each kind of refusal
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
SELECT stmt, pg_temp.sqlstate_of(stmt) AS sqlstate
  FROM (VALUES ($q$SELECT 'abc'::credits$q$),
               ($q$SELECT '1.0000001'::credits$q$),
               ($q$SELECT '9223372036854.775808'::credits$q$),
               ($q$SELECT '9223372036854.775807'::credits + '0.000001'$q$),
               ($q$SELECT '-9223372036854.775808'::credits - '0.000001'$q$),
               ($q$SELECT -'-9223372036854.775808'::credits$q$),
               ($q$SELECT abs('-9223372036854.775808'::credits)$q$),
               ($q$SELECT '9223372036854.775807'::credits * 2$q$),
               ($q$SELECT '1'::credits * 'NaN'::numeric$q$),
               ($q$SELECT sum(x) FROM (VALUES ('9223372036854.775807'::credits), ('1')) v(x)$q$),
               ($q$SELECT 1.0000001::credits$q$),
               ($q$SELECT 'NaN'::numeric::credits$q$),
               ($q$SELECT 1e20::credits$q$),
               ($q$SELECT 9223372036855::bigint::credits$q$),
               ($q$SELECT '1.5'::credits$q$)) v(stmt);
-- and a malformed binary value
\set VERBOSITY sqlstate
\copy one_amount FROM 'results/credits_version2.bin' WITH (FORMAT binary)
\copy one_amount FROM 'results/credits_short.bin' WITH (FORMAT binary)
\set VERBOSITY default

-- declarations of the type's functions: volatility, strictness, parallel safety, leakproofness, comments
SELECT p.oid::regprocedure AS function, p.provolatile AS vol, p.proisstrict AS strict,
       p.proparallel AS par, p.proleakproof AS leakproof
  FROM pg_proc p
 WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace)
   AND ((p.prolang = (SELECT l.oid FROM pg_language l WHERE l.lanname = 'c') AND p.prosrc LIKE 'credits%')
        OR (p.prokind = 'a' AND 'authz.credits'::regtype = ANY (p.proargtypes)))
 ORDER BY p.oid::regprocedure::text;
SELECT p.oid::regprocedure AS uncommented
  FROM pg_proc p
 WHERE p.pronamespace IN ('authz'::regnamespace, 'authz_internal'::regnamespace)
   AND ((p.prolang = (SELECT l.oid FROM pg_language l WHERE l.lanname = 'c') AND p.prosrc LIKE 'credits%')
        OR (p.prokind = 'a' AND 'authz.credits'::regtype = ANY (p.proargtypes)))
   AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT o.oprname, o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype,
       o.oprcom <> 0 AS has_commutator, o.oprnegate <> 0 AS has_negator, o.oprrest::text, o.oprcanhash
  FROM pg_operator o
 WHERE 'authz.credits'::regtype IN (o.oprleft, o.oprright)
 ORDER BY o.oprname, o.oprleft::regtype::text, o.oprright::regtype::text;
SELECT c.castsource::regtype, c.casttarget::regtype, c.castcontext
  FROM pg_cast c
 WHERE 'authz.credits'::regtype IN (c.castsource, c.casttarget)
 ORDER BY c.castsource::regtype::text, c.casttarget::regtype::text;
SELECT obj_description('authz.credits'::regtype, 'pg_type') IS NOT NULL AS type_commented;
