/*
 * credits.c
 *		The authz.credits type: an exact amount held as a signed 64-bit count
 *		of millionths (6 decimal places). Text and binary I/O, overflow-checked
 *		arithmetic, multiplication by numeric with one documented rounding,
 *		btree/hash support, the sum/min/max aggregates, and casts from
 *		numeric, integer and bigint and to numeric.
 *
 * Amounts never pass through floating point: text is parsed digit by digit,
 * and products are computed exactly in numeric, then rounded once.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/sortsupport.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "workspace_authz.h"

/* The type is declared PASSEDBYVALUE with 8 bytes. */
#if SIZEOF_DATUM < 8
#error "authz.credits needs 64-bit Datums"
#endif

#define CREDITS_DIGITS			6
#define CREDITS_SCALE			INT64CONST(1000000)
#define CREDITS_BINARY_VERSION	1

#define PG_GETARG_CREDITS(n)	PG_GETARG_INT64(n)
#define PG_RETURN_CREDITS(x)	PG_RETURN_INT64(x)

#if PG_VERSION_NUM < 140000
/* numeric has no infinities before 14 */
#define numeric_is_inf(num)		false
#endif

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse the text form into millionths. Syntax is checked in full before the
 * range, so that garbage is always reported as garbage.
 */
static bool
credits_parse(const char *str, int64 *result, Node *escontext)
{
	const char *p = str;
	bool		neg = false;
	uint64		whole = 0;
	bool		whole_overflow = false;
	uint64		frac = 0;
	int			nfrac = 0;
	int			ndigits = 0;
	bool		excess = false;
	uint64		mag;
	uint64		limit;

	while (is_space(*p))
		p++;
	if (*p == '+' || *p == '-')
	{
		neg = (*p == '-');
		p++;
	}
	for (; is_digit(*p); p++, ndigits++)
	{
		if (!whole_overflow &&
			(pg_mul_u64_overflow(whole, 10, &whole) ||
			 pg_add_u64_overflow(whole, (uint64) (*p - '0'), &whole)))
			whole_overflow = true;
	}
	if (*p == '.')
	{
		for (p++; is_digit(*p); p++, ndigits++)
		{
			if (nfrac < CREDITS_DIGITS)
			{
				frac = frac * 10 + (uint64) (*p - '0');
				nfrac++;
			}
			else if (*p != '0')
				excess = true;
		}
	}
	while (is_space(*p))
		p++;

	if (ndigits == 0 || *p != '\0')
		authz_input_error(escontext,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type authz.credits: \"%s\"", str),
						   errhint("An amount is a decimal number with at most 6 decimal places, such as 12, -0.5 or 1234.000001.")));
	if (excess)
		authz_input_error(escontext,
						  (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						   errmsg("invalid input syntax for type authz.credits: \"%s\"", str),
						   errdetail("An amount of credits has at most 6 decimal places."),
						   errhint("Round the amount to 6 decimal places first.")));

	for (int i = nfrac; i < CREDITS_DIGITS; i++)
		frac *= 10;
	limit = neg ? (uint64) PG_INT64_MAX + 1 : (uint64) PG_INT64_MAX;
	if (whole_overflow ||
		pg_mul_u64_overflow(whole, (uint64) CREDITS_SCALE, &mag) ||
		pg_add_u64_overflow(mag, frac, &mag) ||
		mag > limit)
		authz_input_error(escontext,
						  (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						   errmsg("value \"%s\" is out of range for type authz.credits", str),
						   errdetail("An amount of credits lies between -9223372036854.775808 and 9223372036854.775807.")));

	if (!neg)
		*result = (int64) mag;
	else if (mag == (uint64) PG_INT64_MAX + 1)
		*result = PG_INT64_MIN;
	else
		*result = -(int64) mag;
	return true;
}

/* Shortest exact text: no trailing fractional zeros, no '.' when whole. */
static char *
credits_to_cstring(int64 value)
{
	char		buf[32];
	uint64		mag = value < 0 ? (uint64) (-(value + 1)) + 1 : (uint64) value;
	uint32		frac = (uint32) (mag % CREDITS_SCALE);
	int			len;

	len = snprintf(buf, sizeof(buf), "%s" UINT64_FORMAT,
				   value < 0 ? "-" : "", mag / CREDITS_SCALE);
	if (frac != 0)
	{
		len += snprintf(buf + len, sizeof(buf) - len, ".%06u", frac);
		while (buf[len - 1] == '0')
			buf[--len] = '\0';
	}
	return pstrdup(buf);
}

static void
credits_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("authz.credits out of range")));
}

PG_FUNCTION_INFO_V1(credits_in);
Datum
credits_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int64		result;

	if (!credits_parse(str, &result, fcinfo->context))
		PG_RETURN_NULL();
	PG_RETURN_CREDITS(result);
}

PG_FUNCTION_INFO_V1(credits_out);
Datum
credits_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(credits_to_cstring(PG_GETARG_CREDITS(0)));
}

/* Binary form: version byte, then the count of millionths as int64. */
PG_FUNCTION_INFO_V1(credits_send);
Datum
credits_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CREDITS_BINARY_VERSION);
	pq_sendint64(&buf, PG_GETARG_CREDITS(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
credits_bad_binary_length(int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary length %d for type authz.credits", len),
			 errdetail("A binary authz.credits is a version byte followed by an 8-byte count of millionths.")));
}

/*
 * Every int64 is a valid amount, so only the version and the length are
 * checked; the version first, so that a later format is named as such.
 */
PG_FUNCTION_INFO_V1(credits_recv);
Datum
credits_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	int			version;

	if (len < 1)
		credits_bad_binary_length(len);
	version = pq_getmsgbyte(buf);
	if (version != CREDITS_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type authz.credits", version)));
	if (len != 1 + (int) sizeof(int64))
		credits_bad_binary_length(len);
	PG_RETURN_CREDITS(pq_getmsgint64(buf));
}

/* ---- arithmetic --------------------------------------------------------- */

PG_FUNCTION_INFO_V1(credits_add);
Datum
credits_add(PG_FUNCTION_ARGS)
{
	int64		result;

	if (pg_add_s64_overflow(PG_GETARG_CREDITS(0), PG_GETARG_CREDITS(1), &result))
		credits_overflow();
	PG_RETURN_CREDITS(result);
}

PG_FUNCTION_INFO_V1(credits_sub);
Datum
credits_sub(PG_FUNCTION_ARGS)
{
	int64		result;

	if (pg_sub_s64_overflow(PG_GETARG_CREDITS(0), PG_GETARG_CREDITS(1), &result))
		credits_overflow();
	PG_RETURN_CREDITS(result);
}

PG_FUNCTION_INFO_V1(credits_neg);
Datum
credits_neg(PG_FUNCTION_ARGS)
{
	int64		result;

	if (pg_sub_s64_overflow(0, PG_GETARG_CREDITS(0), &result))
		credits_overflow();
	PG_RETURN_CREDITS(result);
}

PG_FUNCTION_INFO_V1(credits_abs);
Datum
credits_abs(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_CREDITS(0);

	if (value == PG_INT64_MIN)
		credits_overflow();
	PG_RETURN_CREDITS(value < 0 ? -value : value);
}

static Datum
numeric_from_int64(int64 value)
{
	return DirectFunctionCall1(int8_numeric, Int64GetDatum(value));
}

/* Whether an integral numeric fits in int64 (so numeric_int8 cannot fail). */
static bool
numeric_fits_int64(Datum num)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
											 numeric_from_int64(PG_INT64_MIN))) >= 0 &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
										  numeric_from_int64(PG_INT64_MAX))) <= 0;
}

/*
 * amount * factor, computed exactly in numeric and rounded once to 6 decimal
 * places, halves away from zero (as numeric's round() does).
 */
static int64
credits_times_numeric(int64 value, Numeric factor)
{
	Datum		product;

	if (numeric_is_nan(factor) || numeric_is_inf(factor))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("authz.credits out of range"),
				 errdetail("Credits can only be multiplied by a finite number.")));
	product = DirectFunctionCall2(numeric_mul, numeric_from_int64(value),
								  NumericGetDatum(factor));
	product = DirectFunctionCall2(numeric_round, product, Int32GetDatum(0));
	if (!numeric_fits_int64(product))
		credits_overflow();
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, product));
}

PG_FUNCTION_INFO_V1(credits_mul);
Datum
credits_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_CREDITS(credits_times_numeric(PG_GETARG_CREDITS(0), PG_GETARG_NUMERIC(1)));
}

/* numeric * credits, the commutator of credits_mul. */
PG_FUNCTION_INFO_V1(credits_mul_swapped);
Datum
credits_mul_swapped(PG_FUNCTION_ARGS)
{
	PG_RETURN_CREDITS(credits_times_numeric(PG_GETARG_CREDITS(1), PG_GETARG_NUMERIC(0)));
}

/* ---- comparison, ordering and hashing ----------------------------------- */

#define CREDITS_CMP_FN(fname, op) \
PG_FUNCTION_INFO_V1(fname); \
Datum \
fname(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_CREDITS(0) op PG_GETARG_CREDITS(1)); \
}

CREDITS_CMP_FN(credits_eq, ==)
CREDITS_CMP_FN(credits_ne, !=)
CREDITS_CMP_FN(credits_lt, <)
CREDITS_CMP_FN(credits_le, <=)
CREDITS_CMP_FN(credits_gt, >)
CREDITS_CMP_FN(credits_ge, >=)

static int
credits_compare(int64 a, int64 b)
{
	return (a > b) - (a < b);
}

PG_FUNCTION_INFO_V1(credits_cmp);
Datum
credits_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(credits_compare(PG_GETARG_CREDITS(0), PG_GETARG_CREDITS(1)));
}

static int
credits_fastcmp(Datum a, Datum b, SortSupport ssup)
{
	return credits_compare(DatumGetInt64(a), DatumGetInt64(b));
}

/* Sorting compares Datums directly instead of going through fmgr. */
PG_FUNCTION_INFO_V1(credits_sortsupport);
Datum
credits_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = credits_fastcmp;
	PG_RETURN_VOID();
}

/* One representation per amount: hashing the bytes agrees with equality. */
PG_FUNCTION_INFO_V1(credits_hash);
Datum
credits_hash(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_CREDITS(0);

	return hash_any((const unsigned char *) &value, sizeof(value));
}

PG_FUNCTION_INFO_V1(credits_hash_extended);
Datum
credits_hash_extended(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_CREDITS(0);

	return hash_any_extended((const unsigned char *) &value, sizeof(value),
							 PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(credits_smaller);
Datum
credits_smaller(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_CREDITS(0);
	int64		b = PG_GETARG_CREDITS(1);

	PG_RETURN_CREDITS(a < b ? a : b);
}

PG_FUNCTION_INFO_V1(credits_larger);
Datum
credits_larger(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_CREDITS(0);
	int64		b = PG_GETARG_CREDITS(1);

	PG_RETURN_CREDITS(a > b ? a : b);
}

/* ---- sum ----------------------------------------------------------------- */

/*
 * The running sum is a 128-bit two's complement integer (hi * 2^64 + lo),
 * kept by hand so that it is the same on every platform: intermediate sums
 * may leave the int64 range, only the final one must fit.
 */
typedef struct CreditsSum
{
	int64		count;			/* non-NULL amounts in the sum */
	int64		hi;
	uint64		lo;
} CreditsSum;

#define CREDITS_SUM_SERIAL_SIZE 24

static void
sum_add(CreditsSum *s, int64 value)
{
	uint64		old = s->lo;

	s->lo += (uint64) value;
	s->hi += (value < 0 ? -1 : 0) + (s->lo < old ? 1 : 0);
}

static void
sum_sub(CreditsSum *s, int64 value)
{
	uint64		old = s->lo;

	s->lo -= (uint64) value;
	s->hi -= (value < 0 ? -1 : 0) + (old < (uint64) value ? 1 : 0);
}

static MemoryContext
sum_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function \"%s\" can only be called by an aggregate", fname)));
	return aggcontext;
}

PG_FUNCTION_INFO_V1(credits_sum_accum);
Datum
credits_sum_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = sum_context(fcinfo, "credits_sum_accum");
	CreditsSum *state = PG_ARGISNULL(0) ? NULL : (CreditsSum *) PG_GETARG_POINTER(0);

	/*
	 * The state exists from the first row, NULL or not: a moving-aggregate
	 * transition must never return NULL, as it would for a window frame
	 * that starts on a NULL. The final function answers NULL for no amounts.
	 */
	if (state == NULL)
		state = MemoryContextAllocZero(aggcontext, sizeof(CreditsSum));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	sum_add(state, PG_GETARG_CREDITS(1));
	state->count++;
	PG_RETURN_POINTER(state);
}

/* Inverse transition, for sums over moving window frames. */
PG_FUNCTION_INFO_V1(credits_sum_retract);
Datum
credits_sum_retract(PG_FUNCTION_ARGS)
{
	CreditsSum *state;

	(void) sum_context(fcinfo, "credits_sum_retract");
	if (PG_ARGISNULL(0))
		elog(ERROR, "credits_sum_retract called with no state");
	state = (CreditsSum *) PG_GETARG_POINTER(0);
	if (!PG_ARGISNULL(1))
	{
		sum_sub(state, PG_GETARG_CREDITS(1));
		state->count--;
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(credits_sum_combine);
Datum
credits_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = sum_context(fcinfo, "credits_sum_combine");
	CreditsSum *a = PG_ARGISNULL(0) ? NULL : (CreditsSum *) PG_GETARG_POINTER(0);
	CreditsSum *b = PG_ARGISNULL(1) ? NULL : (CreditsSum *) PG_GETARG_POINTER(1);
	uint64		old;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = MemoryContextAlloc(aggcontext, sizeof(CreditsSum));
		*a = *b;
		PG_RETURN_POINTER(a);
	}
	old = a->lo;
	a->lo += b->lo;
	a->hi += b->hi + (a->lo < old ? 1 : 0);
	a->count += b->count;
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(credits_sum_serialize);
Datum
credits_sum_serialize(PG_FUNCTION_ARGS)
{
	CreditsSum *state;
	StringInfoData buf;

	(void) sum_context(fcinfo, "credits_sum_serialize");
	state = (CreditsSum *) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->count);
	pq_sendint64(&buf, state->hi);
	pq_sendint64(&buf, (int64) state->lo);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(credits_sum_deserialize);
Datum
credits_sum_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial;
	CreditsSum *state;
	StringInfoData buf;

	(void) sum_context(fcinfo, "credits_sum_deserialize");
	serial = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(serial) != CREDITS_SUM_SERIAL_SIZE)
		elog(ERROR, "invalid serialized authz.credits sum state");
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(serial), CREDITS_SUM_SERIAL_SIZE);
	state = palloc(sizeof(CreditsSum));
	state->count = pq_getmsgint64(&buf);
	state->hi = pq_getmsgint64(&buf);
	state->lo = (uint64) pq_getmsgint64(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(state);
}

/* NULL for no amounts; 22003 when the exact total does not fit. */
PG_FUNCTION_INFO_V1(credits_sum_final);
Datum
credits_sum_final(PG_FUNCTION_ARGS)
{
	CreditsSum *state;

	(void) sum_context(fcinfo, "credits_sum_final");
	state = PG_ARGISNULL(0) ? NULL : (CreditsSum *) PG_GETARG_POINTER(0);
	if (state == NULL || state->count == 0)
		PG_RETURN_NULL();
	if (state->hi != ((int64) state->lo < 0 ? -1 : 0))
		credits_overflow();
	PG_RETURN_CREDITS((int64) state->lo);
}

/* ---- casts --------------------------------------------------------------- */

/*
 * numeric -> credits is implicit, so it must never lose anything: more than
 * 6 significant decimal places is refused rather than rounded.
 */
PG_FUNCTION_INFO_V1(credits_from_numeric);
Datum
credits_from_numeric(PG_FUNCTION_ARGS)
{
	Numeric		num = PG_GETARG_NUMERIC(0);
	Datum		scaled;
	Datum		rounded;

	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value \"%s\" is out of range for type authz.credits",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)))),
				 errdetail("NaN and infinity are not amounts of credits.")));
	scaled = DirectFunctionCall2(numeric_mul, NumericGetDatum(num),
								 numeric_from_int64(CREDITS_SCALE));
	rounded = DirectFunctionCall2(numeric_round, scaled, Int32GetDatum(0));
	if (!numeric_fits_int64(rounded))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value \"%s\" is out of range for type authz.credits",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)))),
				 errdetail("An amount of credits lies between -9223372036854.775808 and 9223372036854.775807.")));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, scaled, rounded)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value \"%s\" cannot be stored exactly as authz.credits",
						DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)))),
				 errdetail("An amount of credits has at most 6 decimal places."),
				 errhint("Round the value first, for example with round(x, 6).")));
	PG_RETURN_CREDITS(DatumGetInt64(DirectFunctionCall1(numeric_int8, rounded)));
}

PG_FUNCTION_INFO_V1(credits_from_int4);
Datum
credits_from_int4(PG_FUNCTION_ARGS)
{
	/* |int4| * 10^6 < 2^52: cannot overflow */
	PG_RETURN_CREDITS((int64) PG_GETARG_INT32(0) * CREDITS_SCALE);
}

PG_FUNCTION_INFO_V1(credits_from_int8);
Datum
credits_from_int8(PG_FUNCTION_ARGS)
{
	int64		value = PG_GETARG_INT64(0);
	int64		result;

	if (pg_mul_s64_overflow(value, CREDITS_SCALE, &result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value \"" INT64_FORMAT "\" is out of range for type authz.credits", value),
				 errdetail("An amount of credits lies between -9223372036854.775808 and 9223372036854.775807.")));
	PG_RETURN_CREDITS(result);
}

/* Exact, with the same digits as the text form. */
PG_FUNCTION_INFO_V1(credits_to_numeric);
Datum
credits_to_numeric(PG_FUNCTION_ARGS)
{
	char	   *str = credits_to_cstring(PG_GETARG_CREDITS(0));

	return DirectFunctionCall3(numeric_in, CStringGetDatum(str),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}
