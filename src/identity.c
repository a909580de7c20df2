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
 * propagation to parallel workers for free. Under
 * workspace_authz.identity_scope = transaction (a superuser's setting, per
 * role for the roles behind a transaction-pooling proxy) only superusers may
 * assert a user for longer than a transaction.
 *
 * A deactivated (or deleted) user is no current user at all: the identity
 * resolves to none, so every check, policy and function treats the session
 * as anonymous. Once a user is asserted (set_user, or JWT claims in JWT
 * mode) the session acts for that user only: the platform powers of a
 * trusted role apply only when no user is asserted.
 *
 * JWT mode (workspace_authz.jwt_claim set to a claim path such as "sub" or
 * "app_metadata.uid") reads request.jwt.claims: the claim's value, a string
 * or a number, names a user through authz.user_subjects for the token's
 * issuer ("iss"), else as a user id; a value naming no active user, or no
 * usable value, is no identity.
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
#include "utils/numeric.h"

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

/* Memo of the JWT claim, valid for one cache generation. */
static char *jwt_last_claims = NULL;
static char *jwt_last_key = NULL;
static uint64 jwt_generation = 0;
static bool jwt_found = false;
static pg_uuid_t jwt_id;

/* workspace_authz.identity_scope */
typedef enum IdentityScope
{
	IDENTITY_SCOPE_SESSION,
	IDENTITY_SCOPE_TRANSACTION
} IdentityScope;

static const struct config_enum_entry identity_scope_options[] = {
	{"session", IDENTITY_SCOPE_SESSION, false},
	{"transaction", IDENTITY_SCOPE_TRANSACTION, false},
	{NULL, 0, false}
};

static int	identity_scope = IDENTITY_SCOPE_SESSION;

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

/*
 * The next key of a claim path: a dot-separated list of keys, each plain or
 * double-quoted (for keys holding dots, such as namespaced claims). Returns
 * the position after the key and its dot, NULL at the end; *bad on a
 * malformed path (an empty key, an unclosed quote).
 */
static const char *
claim_path_next(const char *p, const char **key, int *len, bool *bad)
{
	const char *end;

	*bad = false;
	if (*p == '\0')
		return NULL;
	if (*p == '"')
	{
		end = strchr(p + 1, '"');
		if (end == NULL || end == p + 1 || (end[1] != '\0' && end[1] != '.'))
		{
			*bad = true;
			return NULL;
		}
		*key = p + 1;
		*len = end - p - 1;
		end++;
	}
	else
	{
		end = p + strcspn(p, ".");
		if (end == p)
		{
			*bad = true;
			return NULL;
		}
		*key = p;
		*len = end - p;
	}
	if (*end == '.')
	{
		if (end[1] == '\0')
		{
			*bad = true;
			return NULL;
		}
		end++;
	}
	return end;
}

static bool
check_jwt_claim(char **newval, void **extra, GucSource source)
{
	const char *p = *newval;
	const char *key;
	int			len;
	bool		bad = false;

	if (p == NULL)
		return true;
	while ((p = claim_path_next(p, &key, &len, &bad)) != NULL)
		;
	if (bad)
	{
		GUC_check_errdetail("A claim path is keys separated by dots, such as \"sub\" or \"app_metadata.uid\"; "
							"a key holding dots is written in double quotes.");
		return false;
	}
	return true;
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
							   "Claim path of request.jwt.claims that names the current user (e.g. sub, app_metadata.uid); empty to ignore JWT claims.",
							   "Only for deployments where clients cannot run arbitrary SQL, such as PostgREST.",
							   &authz_jwt_claim,
							   "",
							   PGC_SUSET,
							   0,
							   check_jwt_claim, NULL, NULL);

	DefineCustomEnumVariable("workspace_authz.identity_scope",
							 "How long a user asserted by a role that is not a superuser may last: session or transaction.",
							 "With transaction (for roles behind a transaction-pooling proxy), authz.set_user() "
							 "asserts a user for the current transaction block only.",
							 &identity_scope,
							 IDENTITY_SCOPE_SESSION,
							 identity_scope_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/*
 * The value at the claim path, as text: a string as it is, a number in its
 * canonical form; NULL for anything else (missing, null, boolean, object,
 * array), which names nobody.
 */
static char *
claim_value(Jsonb *j, const char *path)
{
	JsonbContainer *container = &j->root;
	JsonbValue *v = NULL;
	const char *p = path;
	const char *key;
	int			len;
	bool		bad;

	while ((p = claim_path_next(p, &key, &len, &bad)) != NULL)
	{
		JsonbValue	k;

		if (container == NULL || !JsonContainerIsObject(container))
			return NULL;
		k.type = jbvString;
		k.val.string.val = (char *) key;
		k.val.string.len = len;
		v = findJsonbValueFromContainer(container, JB_FOBJECT, &k);
		if (v == NULL)
			return NULL;
		container = v->type == jbvBinary ? v->val.binary.data : NULL;
	}
	if (bad || v == NULL)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	return NULL;
}

/*
 * The active user the claims name: the subject mapped for the token's issuer
 * (authz.map_subject), else the user whose id the value is. Malformed JSON
 * is an error (22P02), never an identity.
 */
static bool
resolve_claims(const char *claims, pg_uuid_t *out)
{
	Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(claims)));
	char	   *value;
	char	   *issuer;
	pg_uuid_t	id;
	bool		named;
	bool		found = false;

	if (!JB_ROOT_IS_OBJECT(j) || (value = claim_value(j, authz_jwt_claim)) == NULL)
		return false;
	issuer = claim_value(j, "iss");
	cache_enter();
	named = (issuer != NULL && cache_subject_user(issuer, value, &id)) || parse_uuid(value, &id);
	if (named)
	{
		const UserInfo *u = cache_user(&id);

		found = u->found && u->active;
	}
	cache_leave();
	if (found)
		*out = id;
	return found;
}

/* The user named by the configured claim of request.jwt.claims, if any. */
static bool
jwt_user(pg_uuid_t *out)
{
	const char *claims = GetConfigOption("request.jwt.claims", true, false);

	if (claims == NULL || claims[0] == '\0')
		return false;
	if (jwt_last_claims == NULL || jwt_generation != authz_cache_generation ||
		strcmp(claims, jwt_last_claims) != 0 || strcmp(authz_jwt_claim, jwt_last_key) != 0)
	{
		uint64		generation = authz_cache_generation;
		char	   *claims_copy = MemoryContextStrdup(TopMemoryContext, claims);
		char	   *key_copy = MemoryContextStrdup(TopMemoryContext, authz_jwt_claim);

		/* an error here (malformed claims) leaves the memo invalid */
		if (jwt_last_claims)
			pfree(jwt_last_claims);
		if (jwt_last_key)
			pfree(jwt_last_key);
		jwt_last_claims = NULL;
		jwt_last_key = NULL;
		jwt_found = resolve_claims(claims_copy, &jwt_id);
		jwt_last_claims = claims_copy;
		jwt_last_key = key_copy;
		jwt_generation = generation;
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
	pg_uuid_t	token_user;

	if (asserted_valid)
		return true;
	/* on a Citus worker: the user asserted on the coordinator */
	if (distributed_token_user(&token_user))
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
 * Would a Citus worker running part of this node's statement see another
 * identity than this node? The workers receive only the token that
 * authz.set_user(u) sets inside a transaction (distributed.c): a user asserted
 * for the whole session, or set directly in workspace_authz.user_id, with no
 * token naming it in this transaction, and JWT claims (which Citus does not
 * send), stay here; there the workers would fall back on the login role's
 * mapping or on nobody. The login role's mapping, and no identity at all, are
 * the same everywhere.
 */
bool
authz_identity_stays_here(void)
{
	const char *token = distributed_token_value();
	const char *claims;

	if (asserted_valid)
	{
		const char *colon = token != NULL ? strchr(token, ':') : NULL;
		char		user[64];
		pg_uuid_t	named;

		if (colon == NULL || colon - token >= (int) sizeof(user))
			return true;
		memcpy(user, token, colon - token);
		user[colon - token] = '\0';
		return !parse_uuid(user, &named) || uuid_cmp_raw(&named, &asserted_id) != 0;
	}
	/* a token is what the workers read first */
	if (token != NULL && token[0] != '\0')
		return false;
	if (authz_jwt_claim == NULL || authz_jwt_claim[0] == '\0')
		return false;
	claims = GetConfigOption("request.jwt.claims", true, false);
	return claims != NULL && claims[0] != '\0';
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
	bool		pooled = identity_scope == IDENTITY_SCOPE_TRANSACTION;
	pg_uuid_t  *id;
	bool		found;

	/*
	 * Clearing clears both levels, the transaction's and the session's, from
	 * any role that may call this, under any identity_scope.
	 */
	if (PG_ARGISNULL(0))
	{
		(void) set_config_option("workspace_authz.user_id", "",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET,
								 true, 0, false);
		/* on Citus, the transaction's worker connections drop it too */
		if (IsTransactionBlock())
			distributed_propagate_user(NULL);
		PG_RETURN_VOID();
	}
	if (pooled && !is_local && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to assert a user for the whole session"),
				 errdetail("workspace_authz.identity_scope is \"transaction\": a user asserted by this role lasts for one transaction."),
				 errhint("Call authz.set_user(id) after BEGIN in each transaction.")));
	if (is_local && !IsTransactionBlock())
	{
		if (pooled)
			ereport(ERROR,
					(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
					 errmsg("authz.set_user() must be called inside a transaction block"),
					 errdetail("workspace_authz.identity_scope is \"transaction\": outside a transaction block the user would last for this statement only."),
					 errhint("Call it after BEGIN, and run the user's queries in the same transaction.")));
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("authz.set_user() with is_local => true outside a transaction block lasts only for this statement"),
				 errhint("Call it after BEGIN, or pass is_local => false for the whole session.")));
	}

	id = PG_GETARG_UUID_P(0);
	cache_enter();
	found = cache_user(id)->found;
	cache_leave();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("user \"%s\" does not exist", uuid_to_cstring(id))));

	(void) set_config_option("workspace_authz.user_id", uuid_to_cstring(id),
							 PGC_SUSET, PGC_S_SESSION,
							 is_local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);
	/* on Citus, the transaction's worker connections carry it too */
	if (is_local)
		distributed_propagate_user(id);
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
