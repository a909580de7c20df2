/*
 * permset.c
 *		The authz.permset type: a set of registered permissions held as a
 *		fixed-width bitmap (PERMSET_BITS bits), with text form
 *		{content.read,run.execute}, set operators, and btree/hash support.
 *
 * Bit numbers are assigned per database by the permission registry, so the
 * binary form carries permission names, never bits.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

#include "workspace_authz.h"

#define PERMSET_BINARY_VERSION 1

PermSet *
permset_copy_out(const PermSet *s)
{
	PermSet    *r = palloc(sizeof(PermSet));

	*r = *s;
	return r;
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static bool
bad_input(Node *escontext, const char *str, const char *detail)
{
	authz_input_error(escontext,
					  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					   errmsg("invalid input syntax for type authz.permset: \"%s\"", str),
					   errdetail("%s", detail),
					   errhint("A permission set looks like {content.read,run.execute}.")));
}

/*
 * A permission named by restored data before its registration was loaded
 * (see authz_internal._restore_permission): only for a role that may load
 * the registry itself, with row_security off as pg_dump's scripts set it,
 * outside parallel mode and recovery. Its bit, or -1 when not restoring.
 */
static int
restore_permission(const char *name, int len)
{
	Oid			nsp = get_namespace_oid("authz", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("permissions", nsp) : InvalidOid;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	int			bit;

	if (row_security || IsInParallelMode() || RecoveryInProgress() || !OidIsValid(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		return -1;
	args[0] = PointerGetDatum(cstring_to_text_with_len(name, len));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT authz_internal._restore_permission($1)", 1, argtypes, args,
							  NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not register restored permission \"%.*s\"", len, name);
	bit = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return isnull ? -1 : bit;
}

/*
 * Add one named permission. In the text form (str given) a name that is not
 * registered is malformed input like any other (22P02), raised or soft as
 * the caller asks; elsewhere (a text[] cast, the binary form) it is an
 * unknown permission, error 42704 from the registry.
 */
static bool
add_named(Node *escontext, const char *str, PermSet *s, const char *name, int len)
{
	int			bit = cache_permission_bit(name, len, str != NULL);

	if (bit < 0 && str != NULL)
		bit = restore_permission(name, len);
	if (bit < 0)
		authz_input_error(escontext,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type authz.permset: \"%s\"", str),
						   errdetail("Permission \"%.*s\" is not registered.", Min(len, 200), name),
						   errhint("Register it with authz.define_permission().")));
	permset_add(s, bit);
	return true;
}

/* Parse the text form into *result; false after a soft error. */
static bool
permset_parse(const char *str, PermSet *result, Node *escontext)
{
	const char *p = str;

	while (*p == ' ')
		p++;
	if (*p != '{')
		return bad_input(escontext, str, "A permission set must start with \"{\".");
	p++;
	while (*p == ' ')
		p++;
	if (*p != '}')
	{
		for (;;)
		{
			const char *start = p;

			while (is_name_char(*p))
				p++;
			if (p == start)
				return bad_input(escontext, str, "Expected a permission name.");
			if (!add_named(escontext, str, result, start, (int) (p - start)))
				return false;
			while (*p == ' ')
				p++;
			if (*p == ',')
			{
				p++;
				while (*p == ' ')
					p++;
				continue;
			}
			if (*p == '}')
				break;
			return bad_input(escontext, str,
							 "Permission names are separated by \",\" and the set ends with \"}\".");
		}
	}
	p++;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return bad_input(escontext, str, "Unexpected text after \"}\".");
	return true;
}

PG_FUNCTION_INFO_V1(permset_in);
Datum
permset_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	PermSet    *result = palloc0(sizeof(PermSet));
	bool		ok;

	cache_enter();
	ok = permset_parse(str, result, fcinfo->context);
	cache_leave();
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_PERMSET_P(result);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Names of the permissions in a set, sorted. */
static int
permset_names(const PermSet *s, const char **names)
{
	int			n = 0;

	cache_enter();
	for (int bit = 0; bit < PERMSET_BITS; bit++)
	{
		const char *name;

		if (!permset_test(s, bit))
			continue;
		name = cache_permission_name(bit);
		if (name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("permission set holds unregistered permission bit %d", bit)));
		names[n++] = pstrdup(name);
	}
	cache_leave();
	qsort(names, n, sizeof(char *), name_cmp);
	return n;
}

PG_FUNCTION_INFO_V1(permset_out);
Datum
permset_out(PG_FUNCTION_ARGS)
{
	PermSet    *s = PG_GETARG_PERMSET_P(0);
	const char *names[PERMSET_BITS];
	int			n = permset_names(s, names);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, names[i]);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* Binary form: version byte, count, then each name as counted text. */
PG_FUNCTION_INFO_V1(permset_send);
Datum
permset_send(PG_FUNCTION_ARGS)
{
	PermSet    *s = PG_GETARG_PERMSET_P(0);
	const char *names[PERMSET_BITS];
	int			n = permset_names(s, names);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PERMSET_BINARY_VERSION);
	pq_sendint32(&buf, n);
	for (int i = 0; i < n; i++)
	{
		int			len = strlen(names[i]);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, names[i], len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(permset_recv);
Datum
permset_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	PermSet    *result = palloc0(sizeof(PermSet));
	int			version = pq_getmsgbyte(buf);
	int			n;

	if (version != PERMSET_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type authz.permset", version)));
	n = pq_getmsgint(buf, 4);
	if (n < 0 || n > PERMSET_BITS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid permission count %d in binary authz.permset", n)));
	cache_enter();
	for (int i = 0; i < n; i++)
	{
		int			len = pq_getmsgint(buf, 4);
		const char *name;

		if (len < 0 || len > buf->len - buf->cursor)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid permission name length %d in binary authz.permset", len)));
		name = pq_getmsgbytes(buf, len);
		for (int k = 0; k < len; k++)
			if (!is_name_char(name[k]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid permission name in binary authz.permset")));
		(void) add_named(NULL, NULL, result, name, len);
	}
	cache_leave();
	PG_RETURN_PERMSET_P(result);
}

/* Cast text[] -> permset; NULL elements are refused. */
PG_FUNCTION_INFO_V1(permset_from_array);
Datum
permset_from_array(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	PermSet    *result = palloc0(sizeof(PermSet));
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a permission array must be one-dimensional")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	cache_enter();
	for (int i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a permission array must not contain NULL")));
		t = DatumGetTextPP(elems[i]);
		(void) add_named(NULL, NULL, result, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	cache_leave();
	PG_RETURN_PERMSET_P(result);
}

/* Cast permset -> text[], names sorted. */
PG_FUNCTION_INFO_V1(permset_to_array);
Datum
permset_to_array(PG_FUNCTION_ARGS)
{
	PermSet    *s = PG_GETARG_PERMSET_P(0);
	const char *names[PERMSET_BITS];
	Datum		elems[PERMSET_BITS];
	int			n = permset_names(s, names);

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ---- set operators ------------------------------------------------------ */

PG_FUNCTION_INFO_V1(permset_contains);
Datum
permset_contains(PG_FUNCTION_ARGS)
{
	PermSet    *a = PG_GETARG_PERMSET_P(0);
	PermSet    *b = PG_GETARG_PERMSET_P(1);

	for (int i = 0; i < PERMSET_WORDS; i++)
		if ((a->w[i] & b->w[i]) != b->w[i])
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(permset_contained);
Datum
permset_contained(PG_FUNCTION_ARGS)
{
	PermSet    *a = PG_GETARG_PERMSET_P(0);
	PermSet    *b = PG_GETARG_PERMSET_P(1);

	for (int i = 0; i < PERMSET_WORDS; i++)
		if ((a->w[i] & b->w[i]) != a->w[i])
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(permset_overlaps);
Datum
permset_overlaps(PG_FUNCTION_ARGS)
{
	PermSet    *a = PG_GETARG_PERMSET_P(0);
	PermSet    *b = PG_GETARG_PERMSET_P(1);

	for (int i = 0; i < PERMSET_WORDS; i++)
		if (a->w[i] & b->w[i])
			PG_RETURN_BOOL(true);
	PG_RETURN_BOOL(false);
}

PG_FUNCTION_INFO_V1(permset_union);
Datum
permset_union(PG_FUNCTION_ARGS)
{
	PermSet    *r = permset_copy_out(PG_GETARG_PERMSET_P(0));

	permset_union_into(r, PG_GETARG_PERMSET_P(1));
	PG_RETURN_PERMSET_P(r);
}

PG_FUNCTION_INFO_V1(permset_intersect);
Datum
permset_intersect(PG_FUNCTION_ARGS)
{
	PermSet    *a = PG_GETARG_PERMSET_P(0);
	PermSet    *b = PG_GETARG_PERMSET_P(1);
	PermSet    *r = palloc(sizeof(PermSet));

	for (int i = 0; i < PERMSET_WORDS; i++)
		r->w[i] = a->w[i] & b->w[i];
	PG_RETURN_PERMSET_P(r);
}

PG_FUNCTION_INFO_V1(permset_minus);
Datum
permset_minus(PG_FUNCTION_ARGS)
{
	PermSet    *r = permset_copy_out(PG_GETARG_PERMSET_P(0));

	permset_minus_into(r, PG_GETARG_PERMSET_P(1));
	PG_RETURN_PERMSET_P(r);
}

PG_FUNCTION_INFO_V1(permset_cardinality);
Datum
permset_cardinality(PG_FUNCTION_ARGS)
{
	PermSet    *s = PG_GETARG_PERMSET_P(0);
	int			n = 0;

	for (int i = 0; i < PERMSET_WORDS; i++)
		n += pg_popcount64(s->w[i]);
	PG_RETURN_INT32(n);
}

/* ---- ordering and hashing (an arbitrary but total order) ---------------- */

static int
permset_compare(const PermSet *a, const PermSet *b)
{
	for (int i = PERMSET_WORDS - 1; i >= 0; i--)
	{
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

#define PERMSET_CMP_FN(fname, expr) \
PG_FUNCTION_INFO_V1(fname); \
Datum \
fname(PG_FUNCTION_ARGS) \
{ \
	int			c = permset_compare(PG_GETARG_PERMSET_P(0), PG_GETARG_PERMSET_P(1)); \
	PG_RETURN_BOOL(expr); \
}

PERMSET_CMP_FN(permset_eq, c == 0)
PERMSET_CMP_FN(permset_ne, c != 0)
PERMSET_CMP_FN(permset_lt, c < 0)
PERMSET_CMP_FN(permset_le, c <= 0)
PERMSET_CMP_FN(permset_gt, c > 0)
PERMSET_CMP_FN(permset_ge, c >= 0)

PG_FUNCTION_INFO_V1(permset_cmp);
Datum
permset_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(permset_compare(PG_GETARG_PERMSET_P(0), PG_GETARG_PERMSET_P(1)));
}

PG_FUNCTION_INFO_V1(permset_hash);
Datum
permset_hash(PG_FUNCTION_ARGS)
{
	return hash_any((const unsigned char *) PG_GETARG_PERMSET_P(0), sizeof(PermSet));
}

PG_FUNCTION_INFO_V1(permset_hash_extended);
Datum
permset_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended((const unsigned char *) PG_GETARG_PERMSET_P(0),
							 sizeof(PermSet), PG_GETARG_INT64(1));
}
