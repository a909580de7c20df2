-- ---------------------------------------------------------------------------
-- authz.credits: an exact amount, a 64-bit count of millionths
-- ---------------------------------------------------------------------------

CREATE TYPE authz.credits;

CREATE FUNCTION authz_internal.credits_in(cstring) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_out(authz.credits) RETURNS cstring
    AS 'MODULE_PATHNAME', 'credits_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_recv(internal) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_send(authz.credits) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credits_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE authz.credits (
    INPUT = authz_internal.credits_in,
    OUTPUT = authz_internal.credits_out,
    RECEIVE = authz_internal.credits_recv,
    SEND = authz_internal.credits_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain,
    CATEGORY = 'N'
);
COMMENT ON TYPE authz.credits IS
    'Exact amount of credits with 6 decimal places (-9223372036854.775808 to 9223372036854.775807), never floating point';
COMMENT ON FUNCTION authz_internal.credits_in(cstring) IS
    'Text input of authz.credits: optional sign, digits, at most 6 significant decimal places';
COMMENT ON FUNCTION authz_internal.credits_out(authz.credits) IS
    'Text output of authz.credits, shortest exact form (no trailing zeros)';
COMMENT ON FUNCTION authz_internal.credits_recv(internal) IS
    'Binary input of authz.credits (version byte, then int64 millionths)';
COMMENT ON FUNCTION authz_internal.credits_send(authz.credits) IS
    'Binary output of authz.credits (version byte, then int64 millionths)';

-- arithmetic
CREATE FUNCTION authz_internal.credits_add(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sub(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_neg(authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_neg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_mul(authz.credits, pg_catalog.numeric) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_mul(pg_catalog.numeric, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_mul_swapped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.abs(authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_abs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION authz_internal.credits_add(authz.credits, authz.credits) IS
    'Implementation of +: exact sum, error 22003 on overflow';
COMMENT ON FUNCTION authz_internal.credits_sub(authz.credits, authz.credits) IS
    'Implementation of binary -: exact difference, error 22003 on overflow';
COMMENT ON FUNCTION authz_internal.credits_neg(authz.credits) IS
    'Implementation of unary -: error 22003 for the minimum value, which has no opposite';
COMMENT ON FUNCTION authz_internal.credits_mul(authz.credits, pg_catalog.numeric) IS
    'Implementation of credits * numeric: the exact product rounded once to 6 decimal places, halves away from zero (as round(x, 6)); error 22003 on overflow or a NaN/infinite factor';
COMMENT ON FUNCTION authz_internal.credits_mul(pg_catalog.numeric, authz.credits) IS
    'Implementation of numeric * credits: the exact product rounded once to 6 decimal places, halves away from zero (as round(x, 6)); error 22003 on overflow or a NaN/infinite factor';
COMMENT ON FUNCTION authz.abs(authz.credits) IS
    'Absolute value of an amount of credits, error 22003 for the minimum value';

CREATE OPERATOR authz.+ (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_add,
    COMMUTATOR = OPERATOR(authz.+));
CREATE OPERATOR authz.- (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_sub);
CREATE OPERATOR authz.- (
    RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_neg);
CREATE OPERATOR authz.* (
    LEFTARG = authz.credits, RIGHTARG = pg_catalog.numeric, FUNCTION = authz_internal.credits_mul,
    COMMUTATOR = OPERATOR(authz.*));
CREATE OPERATOR authz.* (
    LEFTARG = pg_catalog.numeric, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_mul,
    COMMUTATOR = OPERATOR(authz.*));

-- comparison
CREATE FUNCTION authz_internal.credits_eq(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_ne(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_lt(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_le(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_gt(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_ge(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_cmp(authz.credits, authz.credits) RETURNS integer
    AS 'MODULE_PATHNAME', 'credits_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'credits_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_hash(authz.credits) RETURNS integer
    AS 'MODULE_PATHNAME', 'credits_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_hash_extended(authz.credits, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'credits_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_smaller(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.credits_larger(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz_internal.credits_eq(authz.credits, authz.credits) IS 'Implementation of =';
COMMENT ON FUNCTION authz_internal.credits_ne(authz.credits, authz.credits) IS 'Implementation of <>';
COMMENT ON FUNCTION authz_internal.credits_lt(authz.credits, authz.credits) IS 'Implementation of <';
COMMENT ON FUNCTION authz_internal.credits_le(authz.credits, authz.credits) IS 'Implementation of <=';
COMMENT ON FUNCTION authz_internal.credits_gt(authz.credits, authz.credits) IS 'Implementation of >';
COMMENT ON FUNCTION authz_internal.credits_ge(authz.credits, authz.credits) IS 'Implementation of >=';
COMMENT ON FUNCTION authz_internal.credits_cmp(authz.credits, authz.credits) IS 'Btree support: three-way comparison';
COMMENT ON FUNCTION authz_internal.credits_sortsupport(internal) IS 'Btree support: fast comparator for sorting';
COMMENT ON FUNCTION authz_internal.credits_hash(authz.credits) IS 'Hash support';
COMMENT ON FUNCTION authz_internal.credits_hash_extended(authz.credits, bigint) IS 'Hash support, seeded';
COMMENT ON FUNCTION authz_internal.credits_smaller(authz.credits, authz.credits) IS 'The smaller of two amounts (transition function of min)';
COMMENT ON FUNCTION authz_internal.credits_larger(authz.credits, authz.credits) IS 'The larger of two amounts (transition function of max)';

CREATE OPERATOR authz.= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_eq,
    COMMUTATOR = OPERATOR(authz.=), NEGATOR = OPERATOR(authz.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
CREATE OPERATOR authz.<> (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_ne,
    COMMUTATOR = OPERATOR(authz.<>), NEGATOR = OPERATOR(authz.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR authz.< (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_lt,
    COMMUTATOR = OPERATOR(authz.>), NEGATOR = OPERATOR(authz.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR authz.<= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_le,
    COMMUTATOR = OPERATOR(authz.>=), NEGATOR = OPERATOR(authz.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR authz.> (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_gt,
    COMMUTATOR = OPERATOR(authz.<), NEGATOR = OPERATOR(authz.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR authz.>= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz_internal.credits_ge,
    COMMUTATOR = OPERATOR(authz.<=), NEGATOR = OPERATOR(authz.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

-- Equality is equality of the stored int64, so btree deduplication is safe.
CREATE OPERATOR CLASS authz.credits_ops DEFAULT FOR TYPE authz.credits USING btree AS
    OPERATOR 1 authz.<,
    OPERATOR 2 authz.<=,
    OPERATOR 3 authz.=,
    OPERATOR 4 authz.>=,
    OPERATOR 5 authz.>,
    FUNCTION 1 authz_internal.credits_cmp(authz.credits, authz.credits),
    FUNCTION 2 authz_internal.credits_sortsupport(internal),
    FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS authz.credits_hash_ops DEFAULT FOR TYPE authz.credits USING hash AS
    OPERATOR 1 authz.=,
    FUNCTION 1 authz_internal.credits_hash(authz.credits),
    FUNCTION 2 authz_internal.credits_hash_extended(authz.credits, bigint);
COMMENT ON OPERATOR CLASS authz.credits_ops USING btree IS 'Default btree operator class for authz.credits';
COMMENT ON OPERATOR CLASS authz.credits_hash_ops USING hash IS 'Default hash operator class for authz.credits';
COMMENT ON OPERATOR FAMILY authz.credits_ops USING btree IS 'Btree operators of authz.credits';
COMMENT ON OPERATOR FAMILY authz.credits_hash_ops USING hash IS 'Hash operators of authz.credits';

COMMENT ON OPERATOR authz.+ (authz.credits, authz.credits) IS 'Sum; error 22003 on overflow';
COMMENT ON OPERATOR authz.- (authz.credits, authz.credits) IS 'Difference; error 22003 on overflow';
COMMENT ON OPERATOR authz.- (NONE, authz.credits) IS 'Negation; error 22003 on overflow';
COMMENT ON OPERATOR authz.* (authz.credits, pg_catalog.numeric) IS
    'Product, rounded to 6 decimal places half away from zero; error 22003 on overflow';
COMMENT ON OPERATOR authz.* (pg_catalog.numeric, authz.credits) IS
    'Product, rounded to 6 decimal places half away from zero; error 22003 on overflow';
COMMENT ON OPERATOR authz.= (authz.credits, authz.credits) IS 'Equal';
COMMENT ON OPERATOR authz.<> (authz.credits, authz.credits) IS 'Not equal';
COMMENT ON OPERATOR authz.< (authz.credits, authz.credits) IS 'Less than';
COMMENT ON OPERATOR authz.<= (authz.credits, authz.credits) IS 'Less than or equal';
COMMENT ON OPERATOR authz.> (authz.credits, authz.credits) IS 'Greater than';
COMMENT ON OPERATOR authz.>= (authz.credits, authz.credits) IS 'Greater than or equal';

-- aggregates
CREATE FUNCTION authz_internal.credits_sum_accum(internal, authz.credits) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sum_retract(internal, authz.credits) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_retract' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sum_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sum_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credits_sum_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sum_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_sum_final(internal) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION authz_internal.credits_sum_accum(internal, authz.credits) IS
    'Transition function of sum(authz.credits): adds to an exact 128-bit total';
COMMENT ON FUNCTION authz_internal.credits_sum_retract(internal, authz.credits) IS
    'Inverse transition function of sum(authz.credits), for moving window frames';
COMMENT ON FUNCTION authz_internal.credits_sum_combine(internal, internal) IS
    'Combine function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz_internal.credits_sum_serialize(internal) IS
    'Serialization function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz_internal.credits_sum_deserialize(bytea, internal) IS
    'Deserialization function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz_internal.credits_sum_final(internal) IS
    'Final function of sum(authz.credits): NULL for no rows, error 22003 when the total does not fit';

CREATE AGGREGATE authz.sum(authz.credits) (
    SFUNC = authz_internal.credits_sum_accum,
    STYPE = internal,
    SSPACE = 24,
    FINALFUNC = authz_internal.credits_sum_final,
    COMBINEFUNC = authz_internal.credits_sum_combine,
    SERIALFUNC = authz_internal.credits_sum_serialize,
    DESERIALFUNC = authz_internal.credits_sum_deserialize,
    MSFUNC = authz_internal.credits_sum_accum,
    MINVFUNC = authz_internal.credits_sum_retract,
    MSTYPE = internal,
    MSSPACE = 24,
    MFINALFUNC = authz_internal.credits_sum_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE authz.min(authz.credits) (
    SFUNC = authz_internal.credits_smaller,
    STYPE = authz.credits,
    COMBINEFUNC = authz_internal.credits_smaller,
    SORTOP = OPERATOR(authz.<),
    PARALLEL = SAFE
);
CREATE AGGREGATE authz.max(authz.credits) (
    SFUNC = authz_internal.credits_larger,
    STYPE = authz.credits,
    COMBINEFUNC = authz_internal.credits_larger,
    SORTOP = OPERATOR(authz.>),
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE authz.sum(authz.credits) IS
    'Exact total of amounts of credits; NULL for no rows, error 22003 when the total does not fit';
COMMENT ON AGGREGATE authz.min(authz.credits) IS 'Smallest amount of credits';
COMMENT ON AGGREGATE authz.max(authz.credits) IS 'Largest amount of credits';

-- casts
CREATE FUNCTION authz.credits(pg_catalog.numeric) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_from_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits(integer) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_from_int4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits(bigint) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_from_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.credits_to_numeric(authz.credits) RETURNS pg_catalog.numeric
    AS 'MODULE_PATHNAME', 'credits_to_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz.credits(pg_catalog.numeric) IS
    'Exact conversion from numeric: error 22003 for NaN, infinity, out of range, or more than 6 significant decimal places (round first)';
COMMENT ON FUNCTION authz.credits(integer) IS 'Exact conversion from integer';
COMMENT ON FUNCTION authz.credits(bigint) IS 'Exact conversion from bigint, error 22003 out of range';
COMMENT ON FUNCTION authz_internal.credits_to_numeric(authz.credits) IS
    'Exact conversion to numeric, with the digits of the text form';

CREATE CAST (pg_catalog.numeric AS authz.credits)
    WITH FUNCTION authz.credits(pg_catalog.numeric) AS IMPLICIT;
-- Integer casts apply on assignment only: implicit ones would make plain
-- integer * numeric ambiguous against credits * numeric.
CREATE CAST (integer AS authz.credits)
    WITH FUNCTION authz.credits(integer) AS ASSIGNMENT;
CREATE CAST (bigint AS authz.credits)
    WITH FUNCTION authz.credits(bigint) AS ASSIGNMENT;
CREATE CAST (authz.credits AS pg_catalog.numeric)
    WITH FUNCTION authz_internal.credits_to_numeric(authz.credits) AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.numeric AS authz.credits) IS 'Exact; refuses values it would have to round';
COMMENT ON CAST (integer AS authz.credits) IS 'Exact (on assignment or explicit)';
COMMENT ON CAST (bigint AS authz.credits) IS 'Exact (on assignment or explicit); error 22003 out of range';
COMMENT ON CAST (authz.credits AS pg_catalog.numeric) IS 'Exact';
