-- ---------------------------------------------------------------------------
-- authz.permset: a set of registered permissions, held as a bitmap
-- ---------------------------------------------------------------------------

CREATE TYPE authz.permset;

CREATE FUNCTION authz_internal.permset_in(cstring) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_out(authz.permset) RETURNS cstring
    AS 'MODULE_PATHNAME', 'permset_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_recv(internal) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_send(authz.permset) RETURNS bytea
    AS 'MODULE_PATHNAME', 'permset_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE authz.permset (
    INPUT = authz_internal.permset_in,
    OUTPUT = authz_internal.permset_out,
    RECEIVE = authz_internal.permset_recv,
    SEND = authz_internal.permset_send,
    INTERNALLENGTH = 32,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE authz.permset IS
    'Set of registered permissions (at most 256 per database), text form {content.read,run.execute}';
COMMENT ON FUNCTION authz_internal.permset_in(cstring) IS 'Text input of authz.permset';
COMMENT ON FUNCTION authz_internal.permset_out(authz.permset) IS 'Text output of authz.permset, names sorted';
COMMENT ON FUNCTION authz_internal.permset_recv(internal) IS 'Binary input of authz.permset (permission names)';
COMMENT ON FUNCTION authz_internal.permset_send(authz.permset) IS 'Binary output of authz.permset (permission names)';

CREATE FUNCTION authz.permset(text[]) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_from_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.permset(text[]) IS 'Permission set from an array of permission names';
CREATE FUNCTION authz_internal.permset_to_array(authz.permset) RETURNS text[]
    AS 'MODULE_PATHNAME', 'permset_to_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz_internal.permset_to_array(authz.permset) IS 'Permission names of a set, sorted';
CREATE CAST (text[] AS authz.permset) WITH FUNCTION authz.permset(text[]) AS ASSIGNMENT;
CREATE CAST (authz.permset AS text[]) WITH FUNCTION authz_internal.permset_to_array(authz.permset);
COMMENT ON CAST (text[] AS authz.permset) IS 'Permission set from permission names; unknown names are error 42704';
COMMENT ON CAST (authz.permset AS text[]) IS 'Permission names of a set, sorted';

CREATE FUNCTION authz.cardinality(authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.cardinality(authz.permset) IS 'Number of permissions in a set';

CREATE FUNCTION authz_internal.permset_contains(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_contained(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_contained' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_overlaps(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_overlaps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_union(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_intersect(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_intersect' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_minus(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_minus' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz_internal.permset_eq(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_ne(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_lt(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_le(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_gt(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_ge(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_cmp(authz.permset, authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_hash(authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz_internal.permset_hash_extended(authz.permset, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'permset_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz_internal.permset_contains(authz.permset, authz.permset) IS 'Implementation of @>: every permission of the right set is in the left';
COMMENT ON FUNCTION authz_internal.permset_contained(authz.permset, authz.permset) IS 'Implementation of <@: every permission of the left set is in the right';
COMMENT ON FUNCTION authz_internal.permset_overlaps(authz.permset, authz.permset) IS 'Implementation of &&: the sets share a permission';
COMMENT ON FUNCTION authz_internal.permset_union(authz.permset, authz.permset) IS 'Implementation of |: union';
COMMENT ON FUNCTION authz_internal.permset_intersect(authz.permset, authz.permset) IS 'Implementation of &: intersection';
COMMENT ON FUNCTION authz_internal.permset_minus(authz.permset, authz.permset) IS 'Implementation of -: difference';
COMMENT ON FUNCTION authz_internal.permset_eq(authz.permset, authz.permset) IS 'Implementation of =';
COMMENT ON FUNCTION authz_internal.permset_ne(authz.permset, authz.permset) IS 'Implementation of <>';
COMMENT ON FUNCTION authz_internal.permset_lt(authz.permset, authz.permset) IS 'Implementation of < (an arbitrary total order, for sorting)';
COMMENT ON FUNCTION authz_internal.permset_le(authz.permset, authz.permset) IS 'Implementation of <=';
COMMENT ON FUNCTION authz_internal.permset_gt(authz.permset, authz.permset) IS 'Implementation of >';
COMMENT ON FUNCTION authz_internal.permset_ge(authz.permset, authz.permset) IS 'Implementation of >=';
COMMENT ON FUNCTION authz_internal.permset_cmp(authz.permset, authz.permset) IS 'Btree support: three-way comparison';
COMMENT ON FUNCTION authz_internal.permset_hash(authz.permset) IS 'Hash support';
COMMENT ON FUNCTION authz_internal.permset_hash_extended(authz.permset, bigint) IS 'Hash support, seeded';

CREATE OPERATOR authz.@> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_contains,
    COMMUTATOR = OPERATOR(authz.<@), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.<@ (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_contained,
    COMMUTATOR = OPERATOR(authz.@>), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.&& (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_overlaps,
    COMMUTATOR = OPERATOR(authz.&&), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.| (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_union,
    COMMUTATOR = OPERATOR(authz.|));
CREATE OPERATOR authz.& (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_intersect,
    COMMUTATOR = OPERATOR(authz.&));
CREATE OPERATOR authz.- (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_minus);
CREATE OPERATOR authz.= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_eq,
    COMMUTATOR = OPERATOR(authz.=), NEGATOR = OPERATOR(authz.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
CREATE OPERATOR authz.<> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_ne,
    COMMUTATOR = OPERATOR(authz.<>), NEGATOR = OPERATOR(authz.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR authz.< (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_lt,
    COMMUTATOR = OPERATOR(authz.>), NEGATOR = OPERATOR(authz.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR authz.<= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_le,
    COMMUTATOR = OPERATOR(authz.>=), NEGATOR = OPERATOR(authz.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR authz.> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_gt,
    COMMUTATOR = OPERATOR(authz.<), NEGATOR = OPERATOR(authz.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR authz.>= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz_internal.permset_ge,
    COMMUTATOR = OPERATOR(authz.<=), NEGATOR = OPERATOR(authz.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS authz.permset_ops DEFAULT FOR TYPE authz.permset USING btree AS
    OPERATOR 1 authz.<,
    OPERATOR 2 authz.<=,
    OPERATOR 3 authz.=,
    OPERATOR 4 authz.>=,
    OPERATOR 5 authz.>,
    FUNCTION 1 authz_internal.permset_cmp(authz.permset, authz.permset);

CREATE OPERATOR CLASS authz.permset_hash_ops DEFAULT FOR TYPE authz.permset USING hash AS
    OPERATOR 1 authz.=,
    FUNCTION 1 authz_internal.permset_hash(authz.permset),
    FUNCTION 2 authz_internal.permset_hash_extended(authz.permset, bigint);
COMMENT ON OPERATOR CLASS authz.permset_ops USING btree IS 'Default btree operator class for authz.permset';
COMMENT ON OPERATOR CLASS authz.permset_hash_ops USING hash IS 'Default hash operator class for authz.permset';
COMMENT ON OPERATOR FAMILY authz.permset_ops USING btree IS 'Btree operators of authz.permset';
COMMENT ON OPERATOR FAMILY authz.permset_hash_ops USING hash IS 'Hash operators of authz.permset';

COMMENT ON OPERATOR authz.@> (authz.permset, authz.permset) IS 'Contains: every permission of the right set is in the left';
COMMENT ON OPERATOR authz.<@ (authz.permset, authz.permset) IS 'Is contained by: every permission of the left set is in the right';
COMMENT ON OPERATOR authz.&& (authz.permset, authz.permset) IS 'Overlaps: the sets share a permission';
COMMENT ON OPERATOR authz.| (authz.permset, authz.permset) IS 'Union';
COMMENT ON OPERATOR authz.& (authz.permset, authz.permset) IS 'Intersection';
COMMENT ON OPERATOR authz.- (authz.permset, authz.permset) IS 'Difference: the permissions of the left set not in the right';
COMMENT ON OPERATOR authz.= (authz.permset, authz.permset) IS 'Equal: the same permissions';
COMMENT ON OPERATOR authz.<> (authz.permset, authz.permset) IS 'Not equal';
COMMENT ON OPERATOR authz.< (authz.permset, authz.permset) IS 'Less than, in an arbitrary total order (for sorting and btree indexes)';
COMMENT ON OPERATOR authz.<= (authz.permset, authz.permset) IS 'Less than or equal, in the same order';
COMMENT ON OPERATOR authz.> (authz.permset, authz.permset) IS 'Greater than, in the same order';
COMMENT ON OPERATOR authz.>= (authz.permset, authz.permset) IS 'Greater than or equal, in the same order';
