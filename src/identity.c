/*
 * identity.c
 *		Who the current user is (SPEC section 4): the user asserted with
 *		authz.set_user(), else the user named by a JWT claim when that mode
 *		is on, else the user mapped to the session's login role, else none.
 *
 * The asserted user lives in the superuser-only setting
 * workspace_authz.user_id, which ordinary roles can neither SET nor
 * set_config(); authz.set_user() writes it on behalf of trusted callers.
 * Keeping it in a setting gives transaction-local scoping, rollback, and
 * propagation to parallel workers for free.
 *
 * A deactivated (or deleted) user is no current user at all: the identity
 * resolves to none, so every check, policy and function treats the session
 * as anonymous. Once a user is asserted (set_user, or JWT claims in JWT
 * mode) the session acts for that user only: the platform powers of a
 * trusted role apply only when no user is asserted.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "workspace_authz.h"

char	   *authz_jwt_claim = NULL;
static char *user_id_setting = NULL;

/* Parsed value of workspace_authz.user_id, kept in step by the GUC hooks. */
static bool asserted_valid = false;
static pg_uuid_t asserted_id;

/* Memo of the login-role mapping. */
static uint64 login_generation = 0;
static Oid	login_roleid = InvalidOid;
static bool login_found = false;
static pg_uuid_t login_id;

/* Memo of whether the claimed user is active. */
static uint64 active_generation = 0;
static pg_uuid_t active_id;
static bool active_value = false;

/* Memo of the JWT claim. */
static char *jwt_last_claims = NULL;
static char *jwt_last_key = NULL;
static bool jwt_found = false;
static pg_uuid_t jwt_id;

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse 32 hex digits, hyphens allowed between groups; no error raised. */
static bool
parse_uuid(const char *s, pg_uuid_t *out)
{
	int			n = 0;

	for (const char *p = s; *p; p++)
	{
		int			hi,
					lo;

		if (*p == '-' && n > 0 && n < UUID_LEN && p[1] != '-')
			continue;
		hi = hexval(p[0]);
		lo = hi >= 0 ? hexval(p[1]) : -1;
		if (lo < 0 || n >= UUID_LEN)
			return false;
		out->data[n++] = (unsigned char) ((hi << 4) | lo);
		p++;
	}
	return n == UUID_LEN;
}

char *
uuid_to_cstring(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

static bool
check_user_id(char **newval, void **extra, GucSource source)
{
	pg_uuid_t  *parsed;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	/* GUC extra data is freed by the GUC machinery: allocate it its way. */
#if PG_VERSION_NUM >= 160000
	parsed = guc_malloc(LOG, sizeof(pg_uuid_t));
#else
	parsed = malloc(sizeof(pg_uuid_t));
#endif
	if (parsed == NULL)
		return false;
	if (!parse_uuid(*newval, parsed))
	{
#if PG_VERSION_NUM >= 160000
		guc_free(parsed);
#else
		free(parsed);
#endif
		GUC_check_errdetail("The value must be a UUID, or empty for no user.");
		return false;
	}
	*extra = parsed;
	return true;
}

static void
assign_user_id(const char *newval, void *extra)
{
	asserted_valid = (extra != NULL);
	if (extra)
		asserted_id = *(pg_uuid_t *) extra;
}

void
identity_init(void)
{
	DefineCustomStringVariable("workspace_authz.user_id",
							   "The authz user asserted for this session or transaction.",
							   "Set through authz.set_user(); only superusers may set it directly.",
							   &user_id_setting,
							   "",
							   PGC_SUSET,
							   GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   check_user_id, assign_user_id, NULL);

	DefineCustomStringVariable("workspace_authz.jwt_claim",
							   "Claim of request.jwt.claims that names the current user; empty to ignore JWT claims.",
							   "Only for deployments where clients cannot run arbitrary SQL, such as PostgREST.",
							   &authz_jwt_claim,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
}

/* The user named by the configured claim of request.jwt.claims, if any. */
static bool
jwt_user(pg_uuid_t *out)
{
	const char *claims = GetConfigOption("request.jwt.claims", true, false);

	if (claims == NULL || claims[0] == '\0')
		return false;
	if (jwt_last_claims == NULL || strcmp(claims, jwt_last_claims) != 0 ||
		strcmp(authz_jwt_claim, jwt_last_key) != 0)
	{
		Datum		jb = DirectFunctionCall1(jsonb_in, CStringGetDatum(claims));
		Jsonb	   *j = DatumGetJsonbP(jb);
		char	   *value = NULL;

		if (JB_ROOT_IS_OBJECT(j))
		{
			JsonbValue	key;
			JsonbValue *v;

			key.type = jbvString;
			key.val.string.val = authz_jwt_claim;
			key.val.string.len = strlen(authz_jwt_claim);
			v = findJsonbValueFromContainer(&j->root, JB_FOBJECT, &key);
			if (v && v->type == jbvString)
				value = pnstrdup(v->val.string.val, v->val.string.len);
		}
		jwt_found = value != NULL && parse_uuid(value, &jwt_id);
		if (jwt_last_claims)
			pfree(jwt_last_claims);
		if (jwt_last_key)
			pfree(jwt_last_key);
		jwt_last_claims = MemoryContextStrdup(TopMemoryContext, claims);
		jwt_last_key = MemoryContextStrdup(TopMemoryContext, authz_jwt_claim);
	}
	if (jwt_found)
		*out = jwt_id;
	return jwt_found;
}

/*
 * Is a user asserted for this session: by authz.set_user(), or, in JWT mode,
 * by request claims (a request a client made, even one whose claims name
 * nobody)? The user asserted need not be active.
 */
bool
authz_user_asserted(void)
{
	const char *claims;

	if (asserted_valid)
		return true;
	if (authz_jwt_claim == NULL || authz_jwt_claim[0] == '\0')
		return false;
	claims = GetConfigOption("request.jwt.claims", true, false);
	return claims != NULL && claims[0] != '\0';
}

/*
 * The user the session claims to be, active or not: asserted, else named by
 * the JWT claim, else mapped to the login role; false when none.
 */
static bool
claimed_user(pg_uuid_t *user_id)
{
	Oid			roleid;

	if (asserted_valid)
	{
		*user_id = asserted_id;
		return true;
	}
	/* on a Citus worker: the user asserted on the coordinator, verified */
	if (distributed_token_user(user_id))
		return true;
	if (authz_jwt_claim != NULL && authz_jwt_claim[0] != '\0' && jwt_user(user_id))
		return true;

	roleid = GetSessionUserId();
	if (login_generation != authz_cache_generation || login_roleid != roleid)
	{
		cache_enter();
		login_found = cache_login_user(roleid, &login_id);
		cache_leave();
		login_roleid = roleid;
		login_generation = authz_cache_generation;
	}
	if (login_found)
		*user_id = login_id;
	return login_found;
}

/*
 * The current user, as described in the file header; false when none, and
 * when the user claimed is deactivated or no longer exists.
 */
bool
authz_current_user(pg_uuid_t *user_id)
{
	cache_accept_invalidations();
	if (!claimed_user(user_id))
		return false;
	if (active_generation != authz_cache_generation ||
		uuid_cmp_raw(&active_id, user_id) != 0)
	{
		const UserInfo *u;
		bool		active;

		cache_enter();
		u = cache_user(user_id);
		active = u->found && u->active;
		cache_leave();
		active_id = *user_id;
		active_value = active;
		active_generation = authz_cache_generation;
	}
	return active_value;
}

/*
 * Trusted callers act for the platform: superusers, and roles that may
 * execute authz.set_user (directly or through workspace_authz_trusted),
 * judged on the role outside any SECURITY DEFINER function, and only while
 * no user is asserted: once one is, the session acts for that user alone.
 */
bool
authz_caller_is_trusted(void)
{
	Oid			role = GetOuterUserId();
	Oid			argtypes[2] = {UUIDOID, BOOLOID};
	Oid			fn;

	if (authz_user_asserted())
		return false;
	if (superuser_arg(role))
		return true;
	fn = LookupFuncName(list_make2(makeString("authz"), makeString("set_user")),
						2, argtypes, true);
	if (!OidIsValid(fn))
		return false;
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(ProcedureRelationId, fn, role, ACL_EXECUTE) == ACLCHECK_OK;
#else
	return pg_proc_aclcheck(fn, role, ACL_EXECUTE) == ACLCHECK_OK;
#endif
}

PG_FUNCTION_INFO_V1(identity_set_user);
Datum
identity_set_user(PG_FUNCTION_ARGS)
{
	bool		is_local = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	const char *value = "";

	if (!PG_ARGISNULL(0))
	{
		pg_uuid_t  *id = PG_GETARG_UUID_P(0);
		bool		found;

		cache_enter();
		found = cache_user(id)->found;
		cache_leave();
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("user \"%s\" does not exist", uuid_to_cstring(id))));
		value = uuid_to_cstring(id);
	}
	if (is_local && !IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("authz.set_user() with is_local => true outside a transaction block lasts only for this statement"),
				 errhint("Call it after BEGIN, or pass is_local => false for the whole session.")));

	(void) set_config_option("workspace_authz.user_id", value,
							 PGC_SUSET, PGC_S_SESSION,
							 is_local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);
	/* on Citus, the transaction's worker connections carry it too */
	if (is_local)
		distributed_propagate_user(PG_ARGISNULL(0) ? NULL : PG_GETARG_UUID_P(0));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(identity_current_user_id);
Datum
identity_current_user_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	if (!authz_current_user(id))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(id);
}

PG_FUNCTION_INFO_V1(identity_is_trusted);
Datum
identity_is_trusted(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(authz_caller_is_trusted());
}

/* Internal: the user the session claims to be, even when deactivated. */
PG_FUNCTION_INFO_V1(identity_claimed_user_id);
Datum
identity_claimed_user_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	cache_accept_invalidations();
	if (!claimed_user(id))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(id);
}
