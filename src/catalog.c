/*
 * catalog.c
 *		The model's catalogue: the relations, indexes and columns of the
 *		authz tables the loaders read, found by name when a cache is built
 *		(with this node's shards under Citus, see distributed.c), and the
 *		scan and column accessors the loaders read rows with. The index
 *		names are those src/sql/10_tables.sql declares explicitly.
 *
 * The loaders read the model's tables with direct index scans, as the system
 * catalog caches do: no SQL, no planning, no privilege checks. Rows are read
 * with the load snapshot described in cache.c.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "workspace_authz.h"
#include "cache_internal.h"

static const char *const rel_names[REL_COUNT] = {
	"permissions", "org_role_permissions", "roles", "role_permissions", "orgs",
	"workspaces", "users", "org_members", "participants", "team_members",
	"participant_permissions", "projects", "project_members"
};

/* As src/sql/10_tables.sql names them. */
static const char *const index_names[IDX_COUNT] = {
	"roles_pkey", "role_permissions_pkey", "orgs_pkey", "workspaces_pkey",
	"workspaces_personal_user_id_key", "workspaces_org_id_name_key", "workspaces_org_open_idx",
	"users_pkey",
	"users_pg_role_key", "org_members_user_idx", "participants_user_idx",
	"participants_team_idx", "participants_workspace_id_user_id_key",
	"participants_workspace_id_team_id_key", "team_members_user_idx",
	"participant_permissions_user_idx", "participant_permissions_pkey",
	"projects_pkey", "projects_workspace_id_name_key", "project_members_user_idx"
};

static const struct
{
	ModelRel	rel;
	const char *name;
}			col_defs[C_COUNT] = {
	[C_PERM_NAME] = {REL_PERMISSIONS, "name"},
	[C_PERM_BIT] = {REL_PERMISSIONS, "bit"},
	[C_PERM_SCOPE] = {REL_PERMISSIONS, "scope"},
	[C_ORP_ROLE] = {REL_ORG_ROLE_PERMISSIONS, "role"},
	[C_ORP_PERMISSION] = {REL_ORG_ROLE_PERMISSIONS, "permission"},
	[C_ROLE_ID] = {REL_ROLES, "id"},
	[C_ROLE_NAME] = {REL_ROLES, "name"},
	[C_ROLE_RANK] = {REL_ROLES, "rank"},
	[C_ROLE_PROJECTS_ONLY] = {REL_ROLES, "projects_only"},
	[C_RP_ROLE] = {REL_ROLE_PERMISSIONS, "role_id"},
	[C_RP_PERMISSION] = {REL_ROLE_PERMISSIONS, "permission"},
	[C_ORG_ID] = {REL_ORGS, "id"},
	[C_ORG_MEMBERS_CREATE] = {REL_ORGS, "members_can_create_workspaces"},
	[C_ORG_ADMIN_ROLE] = {REL_ORGS, "admin_workspace_role"},
	[C_WS_ID] = {REL_WORKSPACES, "id"},
	[C_WS_ORG] = {REL_WORKSPACES, "org_id"},
	[C_WS_PERSONAL] = {REL_WORKSPACES, "personal_user_id"},
	[C_WS_VISIBILITY] = {REL_WORKSPACES, "visibility"},
	[C_WS_SHARED_ROLE] = {REL_WORKSPACES, "shared_role"},
	[C_WS_JOIN_POLICY] = {REL_WORKSPACES, "join_policy"},
	[C_USER_ID] = {REL_USERS, "id"},
	[C_USER_STATUS] = {REL_USERS, "status"},
	[C_USER_PG_ROLE] = {REL_USERS, "pg_role"},
	[C_OM_ORG] = {REL_ORG_MEMBERS, "org_id"},
	[C_OM_USER] = {REL_ORG_MEMBERS, "user_id"},
	[C_OM_ROLE] = {REL_ORG_MEMBERS, "role"},
	[C_OM_WS_ROLE] = {REL_ORG_MEMBERS, "workspace_role"},
	[C_P_WS] = {REL_PARTICIPANTS, "workspace_id"},
	[C_P_USER] = {REL_PARTICIPANTS, "user_id"},
	[C_P_TEAM] = {REL_PARTICIPANTS, "team_id"},
	[C_P_ROLE] = {REL_PARTICIPANTS, "role_id"},
	[C_P_EXPIRES] = {REL_PARTICIPANTS, "expires_at"},
	[C_TM_TEAM] = {REL_TEAM_MEMBERS, "team_id"},
	[C_TM_USER] = {REL_TEAM_MEMBERS, "user_id"},
	[C_PP_WS] = {REL_PARTICIPANT_PERMISSIONS, "workspace_id"},
	[C_PP_USER] = {REL_PARTICIPANT_PERMISSIONS, "user_id"},
	[C_PP_PERMISSION] = {REL_PARTICIPANT_PERMISSIONS, "permission"},
	[C_PP_EFFECT] = {REL_PARTICIPANT_PERMISSIONS, "effect"},
	[C_PP_EXPIRES] = {REL_PARTICIPANT_PERMISSIONS, "expires_at"},
	[C_PROJ_ID] = {REL_PROJECTS, "id"},
	[C_PROJ_WS] = {REL_PROJECTS, "workspace_id"},
	[C_PM_PROJECT] = {REL_PROJECT_MEMBERS, "project_id"},
	[C_PM_USER] = {REL_PROJECT_MEMBERS, "user_id"},
	[C_PM_ROLE] = {REL_PROJECT_MEMBERS, "role_id"},
	[C_PM_EXPIRES] = {REL_PROJECT_MEMBERS, "expires_at"},
};

static Oid	rel_oids[REL_COUNT];
static Oid	index_oids[IDX_COUNT];
static AttrNumber col_attnums[C_COUNT];

/*
 * Sentinel relation (authz.users): a relcache invalidation of it (DDL on the
 * model) drops the caches whole; writes name what they change instead.
 */
static Oid	sentinel_relid = InvalidOid;

/* Find the model's relations, indexes and columns, and the sentinel. */
void
model_resolve(void)
{
	Oid			nsp = get_namespace_oid("authz", true);
	int64		shards[REL_COUNT];
	const char *names[IDX_COUNT];

	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("users", nsp)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"workspace_authz\" is not installed in this database")));
	for (int i = 0; i < REL_COUNT; i++)
	{
		rel_oids[i] = get_relname_relid(rel_names[i], nsp);
		if (!OidIsValid(rel_oids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workspace_authz relation \"authz.%s\" is missing", rel_names[i]),
					 errhint("Reinstall the extension: DROP EXTENSION workspace_authz, then CREATE EXTENSION.")));
	}
	sentinel_relid = rel_oids[REL_USERS];
	for (int i = 0; i < IDX_COUNT; i++)
	{
		names[i] = index_names[i];
		index_oids[i] = get_relname_relid(index_names[i], nsp);
		/* 0.1.0 (before ALTER EXTENSION UPDATE) has no partial index: the full one serves */
		if (!OidIsValid(index_oids[i]) && i == IDX_WORKSPACES_ORG_OPEN)
		{
			names[i] = index_names[IDX_WORKSPACES_ORG];
			index_oids[i] = index_oids[IDX_WORKSPACES_ORG];
		}
		if (!OidIsValid(index_oids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("workspace_authz index \"authz.%s\" is missing", index_names[i]),
					 errhint("Recreate the index, or reinstall the extension.")));
	}
	/* Distributed with Citus: read this node's copies (see distributed.c). */
	for (int i = 0; i < REL_COUNT; i++)
	{
		shards[i] = distributed_shard_of(rel_oids[i]);
		if (shards[i] != 0)
			rel_oids[i] = distributed_local_shard(nsp, rel_names[i], shards[i]);
	}
	for (int i = 0; i < IDX_COUNT; i++)
	{
		Oid			table = IndexGetRelation(index_oids[i], false);

		for (int r = 0; r < REL_COUNT; r++)
			if (shards[r] != 0 && get_relname_relid(rel_names[r], nsp) == table)
				index_oids[i] = distributed_local_shard(nsp, names[i], shards[r]);
	}
	/*
	 * Column numbers from each relation's descriptor: one relcache build per
	 * relation (which the loaders need anyway) instead of a catalog lookup
	 * per column.
	 */
	for (int r = 0; r < REL_COUNT; r++)
	{
		Relation	rel = table_open(rel_oids[r], AccessShareLock);
		TupleDesc	desc = RelationGetDescr(rel);

		for (int i = 0; i < C_COUNT; i++)
		{
			if ((int) col_defs[i].rel != r)
				continue;
			col_attnums[i] = InvalidAttrNumber;
			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				if (!att->attisdropped && strcmp(NameStr(att->attname), col_defs[i].name) == 0)
				{
					col_attnums[i] = att->attnum;
					break;
				}
			}
			if (col_attnums[i] == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("workspace_authz column \"authz.%s.%s\" is missing",
								rel_names[r], col_defs[i].name),
						 errhint("Reinstall the extension: DROP EXTENSION workspace_authz, then CREATE EXTENSION.")));
		}
		table_close(rel, AccessShareLock);
	}
}

void
scan_begin(ModelScan *s, ModelRel rel, int index, int nkeys, ScanKey keys)
{
	s->snap = RegisterSnapshot(cache_use_active_snapshot() ? GetActiveSnapshot() : GetLatestSnapshot());
	s->rel = table_open(rel_oids[rel], AccessShareLock);
	s->scan = systable_beginscan(s->rel, index >= 0 ? index_oids[index] : InvalidOid,
								 index >= 0, s->snap, nkeys, keys);
}

HeapTuple
scan_next(ModelScan *s)
{
	return systable_getnext(s->scan);
}

void
scan_end(ModelScan *s)
{
	systable_endscan(s->scan);
	table_close(s->rel, AccessShareLock);
	UnregisterSnapshot(s->snap);
}

/* Scan the rows whose uuid column equals `id`, through `index`. */
void
scan_by_uuid(ModelScan *s, ModelRel rel, int index, ModelCol col, const pg_uuid_t *id,
			 ScanKeyData *key)
{
	ScanKeyInit(key, col_attnums[col], BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(id));
	scan_begin(s, rel, index, 1, key);
}

/* A scan by two uuid columns (the leading two of the index). */
void
scan_by_uuids(ModelScan *s, ModelRel rel, int index, ModelCol col1, const pg_uuid_t *id1,
			  ModelCol col2, const pg_uuid_t *id2, ScanKeyData *keys)
{
	ScanKeyInit(&keys[0], col_attnums[col1], BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(id1));
	ScanKeyInit(&keys[1], col_attnums[col2], BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(id2));
	scan_begin(s, rel, index, 2, keys);
}

Datum
model_get(ModelScan *s, HeapTuple tup, ModelCol col, bool *isnull)
{
	return heap_getattr(tup, col_attnums[col], RelationGetDescr(s->rel), isnull);
}

bool
get_uuid(ModelScan *s, HeapTuple tup, ModelCol col, pg_uuid_t *out)
{
	bool		isnull;
	Datum		d = model_get(s, tup, col, &isnull);

	if (isnull)
		return false;
	*out = *DatumGetUUIDP(d);
	return true;
}

/* Does a text column hold exactly `value`? */
bool
get_text_is(ModelScan *s, HeapTuple tup, ModelCol col, const char *value)
{
	bool		isnull;
	Datum		d = model_get(s, tup, col, &isnull);
	text	   *t;
	int			len = strlen(value);

	if (isnull)
		return false;
	t = DatumGetTextPP(d);
	return (int) VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), value, len) == 0;
}

char *
get_cstring(ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = model_get(s, tup, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

TimestampTz
get_expiry(ModelScan *s, HeapTuple tup, ModelCol col)
{
	bool		isnull;
	Datum		d = model_get(s, tup, col, &isnull);

	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
}

/* The bit of the permission named in a text column, or -1. */
/* The sentinel relation, once the model is found. */
Oid
model_sentinel_relid(void)
{
	return sentinel_relid;
}

/* The column number of a model column, once the model is found. */
AttrNumber
model_attnum(ModelCol col)
{
	return col_attnums[col];
}
