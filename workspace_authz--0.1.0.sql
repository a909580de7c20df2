-- workspace_authz install script. Assembled by the Makefile from src/sql/*.sql,
-- in file-name order; edit the pieces, not the assembled file.

\echo Use "CREATE EXTENSION workspace_authz" to load this file. \quit
-- ---------------------------------------------------------------------------
-- authz.permset: a set of registered permissions, held as a bitmap
-- ---------------------------------------------------------------------------

CREATE TYPE authz.permset;

CREATE FUNCTION authz.permset_in(cstring) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_out(authz.permset) RETURNS cstring
    AS 'MODULE_PATHNAME', 'permset_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_recv(internal) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_send(authz.permset) RETURNS bytea
    AS 'MODULE_PATHNAME', 'permset_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE authz.permset (
    INPUT = authz.permset_in,
    OUTPUT = authz.permset_out,
    RECEIVE = authz.permset_recv,
    SEND = authz.permset_send,
    INTERNALLENGTH = 32,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE authz.permset IS
    'Set of registered permissions (at most 256 per database), text form {content.read,run.execute}';
COMMENT ON FUNCTION authz.permset_in(cstring) IS 'Text input of authz.permset';
COMMENT ON FUNCTION authz.permset_out(authz.permset) IS 'Text output of authz.permset, names sorted';
COMMENT ON FUNCTION authz.permset_recv(internal) IS 'Binary input of authz.permset (permission names)';
COMMENT ON FUNCTION authz.permset_send(authz.permset) IS 'Binary output of authz.permset (permission names)';

CREATE FUNCTION authz.permset(text[]) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_from_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.permset(text[]) IS 'Permission set from an array of permission names';
CREATE FUNCTION authz.permset_to_array(authz.permset) RETURNS text[]
    AS 'MODULE_PATHNAME', 'permset_to_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.permset_to_array(authz.permset) IS 'Permission names of a set, sorted';
CREATE CAST (text[] AS authz.permset) WITH FUNCTION authz.permset(text[]) AS ASSIGNMENT;
CREATE CAST (authz.permset AS text[]) WITH FUNCTION authz.permset_to_array(authz.permset);
COMMENT ON CAST (text[] AS authz.permset) IS 'Permission set from permission names; unknown names are error 42704';
COMMENT ON CAST (authz.permset AS text[]) IS 'Permission names of a set, sorted';

CREATE FUNCTION authz.cardinality(authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.cardinality(authz.permset) IS 'Number of permissions in a set';

CREATE FUNCTION authz.permset_contains(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_contained(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_contained' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_overlaps(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_overlaps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_union(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_intersect(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_intersect' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_minus(authz.permset, authz.permset) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'permset_minus' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.permset_eq(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_ne(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_lt(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_le(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_gt(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_ge(authz.permset, authz.permset) RETURNS boolean
    AS 'MODULE_PATHNAME', 'permset_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_cmp(authz.permset, authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_hash(authz.permset) RETURNS integer
    AS 'MODULE_PATHNAME', 'permset_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.permset_hash_extended(authz.permset, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'permset_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz.permset_contains(authz.permset, authz.permset) IS 'Implementation of @>: every permission of the right set is in the left';
COMMENT ON FUNCTION authz.permset_contained(authz.permset, authz.permset) IS 'Implementation of <@: every permission of the left set is in the right';
COMMENT ON FUNCTION authz.permset_overlaps(authz.permset, authz.permset) IS 'Implementation of &&: the sets share a permission';
COMMENT ON FUNCTION authz.permset_union(authz.permset, authz.permset) IS 'Implementation of |: union';
COMMENT ON FUNCTION authz.permset_intersect(authz.permset, authz.permset) IS 'Implementation of &: intersection';
COMMENT ON FUNCTION authz.permset_minus(authz.permset, authz.permset) IS 'Implementation of -: difference';
COMMENT ON FUNCTION authz.permset_eq(authz.permset, authz.permset) IS 'Implementation of =';
COMMENT ON FUNCTION authz.permset_ne(authz.permset, authz.permset) IS 'Implementation of <>';
COMMENT ON FUNCTION authz.permset_lt(authz.permset, authz.permset) IS 'Implementation of < (an arbitrary total order, for sorting)';
COMMENT ON FUNCTION authz.permset_le(authz.permset, authz.permset) IS 'Implementation of <=';
COMMENT ON FUNCTION authz.permset_gt(authz.permset, authz.permset) IS 'Implementation of >';
COMMENT ON FUNCTION authz.permset_ge(authz.permset, authz.permset) IS 'Implementation of >=';
COMMENT ON FUNCTION authz.permset_cmp(authz.permset, authz.permset) IS 'Btree support: three-way comparison';
COMMENT ON FUNCTION authz.permset_hash(authz.permset) IS 'Hash support';
COMMENT ON FUNCTION authz.permset_hash_extended(authz.permset, bigint) IS 'Hash support, seeded';

CREATE OPERATOR authz.@> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_contains,
    COMMUTATOR = OPERATOR(authz.<@), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.<@ (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_contained,
    COMMUTATOR = OPERATOR(authz.@>), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.&& (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_overlaps,
    COMMUTATOR = OPERATOR(authz.&&), RESTRICT = pg_catalog.contsel, JOIN = pg_catalog.contjoinsel);
CREATE OPERATOR authz.| (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_union,
    COMMUTATOR = OPERATOR(authz.|));
CREATE OPERATOR authz.& (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_intersect,
    COMMUTATOR = OPERATOR(authz.&));
CREATE OPERATOR authz.- (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_minus);
CREATE OPERATOR authz.= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_eq,
    COMMUTATOR = OPERATOR(authz.=), NEGATOR = OPERATOR(authz.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
CREATE OPERATOR authz.<> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_ne,
    COMMUTATOR = OPERATOR(authz.<>), NEGATOR = OPERATOR(authz.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR authz.< (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_lt,
    COMMUTATOR = OPERATOR(authz.>), NEGATOR = OPERATOR(authz.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR authz.<= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_le,
    COMMUTATOR = OPERATOR(authz.>=), NEGATOR = OPERATOR(authz.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR authz.> (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_gt,
    COMMUTATOR = OPERATOR(authz.<), NEGATOR = OPERATOR(authz.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR authz.>= (
    LEFTARG = authz.permset, RIGHTARG = authz.permset, FUNCTION = authz.permset_ge,
    COMMUTATOR = OPERATOR(authz.<=), NEGATOR = OPERATOR(authz.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS authz.permset_ops DEFAULT FOR TYPE authz.permset USING btree AS
    OPERATOR 1 authz.<,
    OPERATOR 2 authz.<=,
    OPERATOR 3 authz.=,
    OPERATOR 4 authz.>=,
    OPERATOR 5 authz.>,
    FUNCTION 1 authz.permset_cmp(authz.permset, authz.permset);

CREATE OPERATOR CLASS authz.permset_hash_ops DEFAULT FOR TYPE authz.permset USING hash AS
    OPERATOR 1 authz.=,
    FUNCTION 1 authz.permset_hash(authz.permset),
    FUNCTION 2 authz.permset_hash_extended(authz.permset, bigint);
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
-- ---------------------------------------------------------------------------
-- The model: permissions, users, organizations, roles, workspaces, teams,
-- participants. Application roles never write these tables: every change goes
-- through the functions of this extension, and reads are filtered by RLS.
-- ---------------------------------------------------------------------------

CREATE TABLE authz.permissions (
    name        text PRIMARY KEY
                CHECK (name ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(name) <= 63),
    bit         smallint NOT NULL UNIQUE CHECK (bit >= 0 AND bit < 256),
    scope       text NOT NULL CHECK (scope IN ('workspace', 'org')),
    description text,
    builtin     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.permissions IS 'Registered permissions: built-in ones and those applications define';
COMMENT ON COLUMN authz.permissions.name IS 'Permission name, e.g. content.read';
COMMENT ON COLUMN authz.permissions.bit IS 'Position of the permission in authz.permset bitmaps (per database)';
COMMENT ON COLUMN authz.permissions.scope IS 'workspace: held through workspace roles; org: held through org roles (built-in only)';
COMMENT ON COLUMN authz.permissions.description IS 'What the permission allows';
COMMENT ON COLUMN authz.permissions.builtin IS 'Part of the extension (not dumped, never redefined)';
COMMENT ON COLUMN authz.permissions.created_at IS 'When it was registered';

INSERT INTO authz.permissions (name, bit, scope, description, builtin) VALUES
  ('workspace.view', 0, 'workspace', 'See the workspace and open it', true),
  ('workspace.update', 1, 'workspace', 'Change workspace settings', true),
  ('workspace.delete', 2, 'workspace', 'Delete the workspace', true),
  ('members.view', 3, 'workspace', 'See who participates', true),
  ('members.manage', 4, 'workspace', 'Add, remove and change participants', true),
  ('billing.view', 5, 'workspace', 'See the credit balance and usage', true),
  ('billing.manage', 6, 'workspace', 'Manage workspace billing', true),
  ('content.read', 7, 'workspace', 'Read and download content', true),
  ('content.create', 8, 'workspace', 'Create content', true),
  ('content.update', 9, 'workspace', 'Edit content', true),
  ('content.delete', 10, 'workspace', 'Delete content', true),
  ('content.share', 11, 'workspace', 'Share content', true),
  ('run.execute', 12, 'workspace', 'Run workflows, pods and other compute', true),
  ('org.view', 13, 'org', 'See the organization', true),
  ('org.update', 14, 'org', 'Change organization settings', true),
  ('org.delete', 15, 'org', 'Delete the organization', true),
  ('org.members.view', 16, 'org', 'See the organization''s members', true),
  ('org.members.manage', 17, 'org', 'Invite, remove and change members', true),
  ('org.billing.view', 18, 'org', 'See organization billing', true),
  ('org.billing.manage', 19, 'org', 'Transfer credits, set the rate card', true),
  ('org.workspaces.create', 20, 'org', 'Create workspaces (members too when the org allows it)', true),
  ('org.workspaces.list', 21, 'org', 'See the list of the organization''s workspaces', true),
  ('org.workspaces.join', 22, 'org', 'Join open workspaces', true),
  ('org.teams.manage', 23, 'org', 'Create teams and manage their members', true),
  ('org.roles.manage', 24, 'org', 'Define custom workspace roles', true);

CREATE TABLE authz.users (
    id             uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    handle         text NOT NULL UNIQUE,
    email          text NOT NULL,
    display_name   text,
    pg_role        name UNIQUE,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deactivated_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON authz.users (pg_catalog.lower(email));
COMMENT ON TABLE authz.users IS 'People; a deactivated user has no access anywhere';
COMMENT ON COLUMN authz.users.id IS 'User identifier, as passed to authz.set_user()';
COMMENT ON COLUMN authz.users.handle IS 'Unique short name';
COMMENT ON COLUMN authz.users.email IS 'Email address, unique regardless of case';
COMMENT ON COLUMN authz.users.display_name IS 'Name shown to people';
COMMENT ON COLUMN authz.users.pg_role IS 'Login role that is this user when no user is asserted (psql users)';
COMMENT ON COLUMN authz.users.status IS 'active or deactivated';
COMMENT ON COLUMN authz.users.created_at IS 'When the user was created';
COMMENT ON COLUMN authz.users.deactivated_at IS 'When the user was deactivated';

CREATE TABLE authz.orgs (
    id                            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    slug                          text NOT NULL UNIQUE,
    full_name                     text,
    members_can_create_workspaces boolean NOT NULL DEFAULT false,
    admin_workspace_role          uuid,
    member_workspace_role         uuid,
    default_shared_role           uuid,
    default_join_role             uuid,
    max_participants              integer CHECK (max_participants >= 1),
    allow_collaborators           boolean NOT NULL DEFAULT true,
    created_at                    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.orgs IS 'Organizations (tenants)';
COMMENT ON COLUMN authz.orgs.id IS 'Organization identifier';
COMMENT ON COLUMN authz.orgs.slug IS 'Unique short name';
COMMENT ON COLUMN authz.orgs.full_name IS 'Display name';
COMMENT ON COLUMN authz.orgs.members_can_create_workspaces IS 'Org members (not only owners and admins) may create workspaces';
COMMENT ON COLUMN authz.orgs.admin_workspace_role IS 'Workspace role org owners and admins hold in every workspace of the org (NULL: none)';
COMMENT ON COLUMN authz.orgs.member_workspace_role IS 'Org-wide workspace role given to new members (not guests) unless stated (NULL: none)';
COMMENT ON COLUMN authz.orgs.default_shared_role IS 'shared_role of new workspaces';
COMMENT ON COLUMN authz.orgs.default_join_role IS 'join_role of new workspaces';
COMMENT ON COLUMN authz.orgs.max_participants IS 'Most participants (users and teams, collaborators included, and members of its projects who are not participants) a workspace may have; NULL: no limit';
COMMENT ON COLUMN authz.orgs.allow_collaborators IS 'Users outside the organization may be added to its workspaces and projects';
COMMENT ON COLUMN authz.orgs.created_at IS 'When the organization was created';

CREATE TABLE authz.roles (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    org_id      uuid REFERENCES authz.orgs (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 63),
    rank        integer NOT NULL CHECK (rank BETWEEN 1 AND 100),
    projects_only boolean NOT NULL DEFAULT false,
    description text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK (org_id IS NULL OR rank < 100),
    CHECK (org_id IS NOT NULL OR NOT projects_only)
);
CREATE UNIQUE INDEX roles_builtin_name_key ON authz.roles (name) WHERE org_id IS NULL;
CREATE UNIQUE INDEX roles_org_name_key ON authz.roles (org_id, name) WHERE org_id IS NOT NULL;
COMMENT ON TABLE authz.roles IS 'Workspace roles: the built-in ones (org_id NULL) and custom roles of an organization';
COMMENT ON COLUMN authz.roles.id IS 'Role identifier (fixed for built-in roles)';
COMMENT ON COLUMN authz.roles.org_id IS 'Organization of a custom role; NULL for built-in roles';
COMMENT ON COLUMN authz.roles.name IS 'Role name, unique among the roles an organization can use';
COMMENT ON COLUMN authz.roles.rank IS 'Precedence: the highest-ranked role a user holds is their effective role; owner is 100';
COMMENT ON COLUMN authz.roles.projects_only IS
    'A project role: wherever it is held (in a project, a workspace, or org-wide) it counts in the projects only, never in the workspaces themselves';
COMMENT ON COLUMN authz.roles.description IS 'What the role is for';
COMMENT ON COLUMN authz.roles.created_at IS 'When the role was created';

INSERT INTO authz.roles (id, org_id, name, rank, description) VALUES
  ('00000000-0000-0000-0000-000000000001', NULL, 'owner', 100, 'All workspace permissions; only owners delete a workspace'),
  ('00000000-0000-0000-0000-000000000002', NULL, 'admin',  80, 'All workspace permissions but deleting the workspace'),
  ('00000000-0000-0000-0000-000000000003', NULL, 'member', 40, 'Use the workspace: read, create, edit, delete and share content, run'),
  ('00000000-0000-0000-0000-000000000004', NULL, 'viewer', 10, 'View the workspace, its members and its content');

CREATE TABLE authz.role_permissions (
    role_id    uuid NOT NULL REFERENCES authz.roles (id) ON DELETE CASCADE,
    permission text NOT NULL REFERENCES authz.permissions (name),
    builtin    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (role_id, permission)
);
CREATE INDEX role_permissions_permission_idx ON authz.role_permissions (permission);
COMMENT ON TABLE authz.role_permissions IS 'Workspace permissions each workspace role holds';
COMMENT ON COLUMN authz.role_permissions.role_id IS 'Role';
COMMENT ON COLUMN authz.role_permissions.permission IS 'Workspace permission the role holds';
COMMENT ON COLUMN authz.role_permissions.builtin IS 'Part of the extension (not dumped)';
COMMENT ON COLUMN authz.role_permissions.created_at IS 'When the role was given the permission';

INSERT INTO authz.role_permissions (role_id, permission, builtin) VALUES
  ('00000000-0000-0000-0000-000000000001', 'workspace.view', true),
  ('00000000-0000-0000-0000-000000000002', 'workspace.view', true),
  ('00000000-0000-0000-0000-000000000003', 'workspace.view', true),
  ('00000000-0000-0000-0000-000000000004', 'workspace.view', true),
  ('00000000-0000-0000-0000-000000000001', 'workspace.update', true),
  ('00000000-0000-0000-0000-000000000002', 'workspace.update', true),
  ('00000000-0000-0000-0000-000000000001', 'workspace.delete', true),
  ('00000000-0000-0000-0000-000000000001', 'members.view', true),
  ('00000000-0000-0000-0000-000000000002', 'members.view', true),
  ('00000000-0000-0000-0000-000000000003', 'members.view', true),
  ('00000000-0000-0000-0000-000000000004', 'members.view', true),
  ('00000000-0000-0000-0000-000000000001', 'members.manage', true),
  ('00000000-0000-0000-0000-000000000002', 'members.manage', true),
  ('00000000-0000-0000-0000-000000000001', 'billing.view', true),
  ('00000000-0000-0000-0000-000000000002', 'billing.view', true),
  ('00000000-0000-0000-0000-000000000001', 'billing.manage', true),
  ('00000000-0000-0000-0000-000000000002', 'billing.manage', true),
  ('00000000-0000-0000-0000-000000000001', 'content.read', true),
  ('00000000-0000-0000-0000-000000000002', 'content.read', true),
  ('00000000-0000-0000-0000-000000000003', 'content.read', true),
  ('00000000-0000-0000-0000-000000000004', 'content.read', true),
  ('00000000-0000-0000-0000-000000000001', 'content.create', true),
  ('00000000-0000-0000-0000-000000000002', 'content.create', true),
  ('00000000-0000-0000-0000-000000000003', 'content.create', true),
  ('00000000-0000-0000-0000-000000000001', 'content.update', true),
  ('00000000-0000-0000-0000-000000000002', 'content.update', true),
  ('00000000-0000-0000-0000-000000000003', 'content.update', true),
  ('00000000-0000-0000-0000-000000000001', 'content.delete', true),
  ('00000000-0000-0000-0000-000000000002', 'content.delete', true),
  ('00000000-0000-0000-0000-000000000003', 'content.delete', true),
  ('00000000-0000-0000-0000-000000000001', 'content.share', true),
  ('00000000-0000-0000-0000-000000000002', 'content.share', true),
  ('00000000-0000-0000-0000-000000000003', 'content.share', true),
  ('00000000-0000-0000-0000-000000000001', 'run.execute', true),
  ('00000000-0000-0000-0000-000000000002', 'run.execute', true),
  ('00000000-0000-0000-0000-000000000003', 'run.execute', true);

CREATE TABLE authz.org_role_permissions (
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    permission text NOT NULL REFERENCES authz.permissions (name),
    PRIMARY KEY (role, permission)
);
COMMENT ON TABLE authz.org_role_permissions IS
    'Org permissions each org role holds (fixed; members also get org.workspaces.create when their org allows it)';
COMMENT ON COLUMN authz.org_role_permissions.role IS 'Org role';
COMMENT ON COLUMN authz.org_role_permissions.permission IS 'Org permission the role holds';

INSERT INTO authz.org_role_permissions (role, permission) VALUES
  ('owner', 'org.view'),
  ('admin', 'org.view'),
  ('member', 'org.view'),
  ('owner', 'org.update'),
  ('admin', 'org.update'),
  ('owner', 'org.delete'),
  ('owner', 'org.members.view'),
  ('admin', 'org.members.view'),
  ('member', 'org.members.view'),
  ('owner', 'org.members.manage'),
  ('admin', 'org.members.manage'),
  ('owner', 'org.billing.view'),
  ('admin', 'org.billing.view'),
  ('member', 'org.billing.view'),
  ('owner', 'org.billing.manage'),
  ('admin', 'org.billing.manage'),
  ('owner', 'org.workspaces.create'),
  ('admin', 'org.workspaces.create'),
  ('owner', 'org.workspaces.list'),
  ('admin', 'org.workspaces.list'),
  ('member', 'org.workspaces.list'),
  ('owner', 'org.workspaces.join'),
  ('admin', 'org.workspaces.join'),
  ('member', 'org.workspaces.join'),
  ('owner', 'org.teams.manage'),
  ('admin', 'org.teams.manage'),
  ('owner', 'org.roles.manage'),
  ('admin', 'org.roles.manage');

ALTER TABLE authz.orgs
    ALTER COLUMN admin_workspace_role SET DEFAULT '00000000-0000-0000-0000-000000000002',
    ALTER COLUMN default_shared_role SET DEFAULT '00000000-0000-0000-0000-000000000004',
    ALTER COLUMN default_shared_role SET NOT NULL,
    ALTER COLUMN default_join_role SET DEFAULT '00000000-0000-0000-0000-000000000003',
    ALTER COLUMN default_join_role SET NOT NULL;
-- The role columns of orgs carry no foreign key: roles.org_id already refers to
-- orgs, and a cycle of foreign keys between configuration tables cannot be
-- restored by pg_restore (their constraints exist before their rows are
-- loaded). authz.drop_role refuses to drop a role an organization's settings
-- use, and the resolver ignores a role it cannot find.

CREATE TABLE authz.org_members (
    org_id         uuid NOT NULL REFERENCES authz.orgs (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'guest')),
    workspace_role uuid REFERENCES authz.roles (id),
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (org_id, user_id),
    CHECK (role <> 'guest' OR workspace_role IS NULL)
);
CREATE INDEX org_members_user_idx ON authz.org_members (user_id);
COMMENT ON TABLE authz.org_members IS 'Members of organizations, with their org role';
COMMENT ON COLUMN authz.org_members.org_id IS 'Organization';
COMMENT ON COLUMN authz.org_members.user_id IS 'Member';
COMMENT ON COLUMN authz.org_members.role IS 'Org role: owner > admin > member > guest';
COMMENT ON COLUMN authz.org_members.workspace_role IS 'Org-wide workspace role: held in every workspace of the org (never for guests)';
COMMENT ON COLUMN authz.org_members.created_at IS 'When the user joined the organization';

CREATE TABLE authz.workspaces (
    id                     uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    org_id                 uuid REFERENCES authz.orgs (id) ON DELETE CASCADE,
    personal_user_id       uuid UNIQUE REFERENCES authz.users (id) ON DELETE CASCADE,
    name                   text NOT NULL,
    full_name              text,
    description            text,
    visibility             text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'shared')),
    shared_role            uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000004'
                           REFERENCES authz.roles (id),
    join_policy            text NOT NULL DEFAULT 'invite_only' CHECK (join_policy IN ('invite_only', 'open')),
    join_role              uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000003'
                           REFERENCES authz.roles (id),
    labels                 text[] NOT NULL DEFAULT '{}',
    session_lifespan_hours integer CHECK (session_lifespan_hours BETWEEN 1 AND 120),
    created_at             timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((org_id IS NULL) <> (personal_user_id IS NULL)),
    UNIQUE (org_id, name)
);
COMMENT ON TABLE authz.workspaces IS 'Workspaces: in one organization, or the personal workspace of one user';
COMMENT ON COLUMN authz.workspaces.id IS 'Workspace identifier';
COMMENT ON COLUMN authz.workspaces.org_id IS 'Organization; NULL for a personal workspace';
COMMENT ON COLUMN authz.workspaces.personal_user_id IS 'Owner of a personal workspace; NULL for org workspaces';
COMMENT ON COLUMN authz.workspaces.name IS 'Name, unique in its organization';
COMMENT ON COLUMN authz.workspaces.full_name IS 'Display name';
COMMENT ON COLUMN authz.workspaces.description IS 'Description';
COMMENT ON COLUMN authz.workspaces.visibility IS 'private: participants only; shared: every non-guest org member holds shared_role';
COMMENT ON COLUMN authz.workspaces.shared_role IS 'Role non-guest org members hold while the workspace is shared';
COMMENT ON COLUMN authz.workspaces.join_policy IS 'invite_only, or open: non-guest org members may see and join it';
COMMENT ON COLUMN authz.workspaces.join_role IS 'Role given by authz.join_workspace()';
COMMENT ON COLUMN authz.workspaces.labels IS 'Labels';
COMMENT ON COLUMN authz.workspaces.session_lifespan_hours IS 'Session lifespan, 1-120 hours; NULL for unlimited';
COMMENT ON COLUMN authz.workspaces.created_at IS 'When the workspace was created';

CREATE TABLE authz.teams (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES authz.orgs (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (org_id, name)
);
COMMENT ON TABLE authz.teams IS 'Named groups of organization members; a team can participate in workspaces';
COMMENT ON COLUMN authz.teams.id IS 'Team identifier';
COMMENT ON COLUMN authz.teams.org_id IS 'Organization';
COMMENT ON COLUMN authz.teams.name IS 'Name, unique in its organization';
COMMENT ON COLUMN authz.teams.description IS 'Description';
COMMENT ON COLUMN authz.teams.created_at IS 'When the team was created';

CREATE TABLE authz.team_members (
    team_id    uuid NOT NULL REFERENCES authz.teams (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON authz.team_members (user_id);
COMMENT ON TABLE authz.team_members IS 'Members of teams';
COMMENT ON COLUMN authz.team_members.team_id IS 'Team';
COMMENT ON COLUMN authz.team_members.user_id IS 'Member';
COMMENT ON COLUMN authz.team_members.created_at IS 'When the user joined the team';

CREATE TABLE authz.participants (
    id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    user_id      uuid REFERENCES authz.users (id) ON DELETE CASCADE,
    team_id      uuid REFERENCES authz.teams (id) ON DELETE CASCADE,
    role_id      uuid NOT NULL REFERENCES authz.roles (id),
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((user_id IS NULL) <> (team_id IS NULL)),
    CHECK (expires_at IS NULL OR role_id <> '00000000-0000-0000-0000-000000000001'),
    UNIQUE (workspace_id, user_id),
    UNIQUE (workspace_id, team_id)
);
CREATE INDEX participants_user_idx ON authz.participants (user_id);
CREATE INDEX participants_team_idx ON authz.participants (team_id);
CREATE INDEX participants_role_idx ON authz.participants (role_id);
COMMENT ON TABLE authz.participants IS 'Users and teams holding a role in a workspace';
COMMENT ON COLUMN authz.participants.id IS 'Participant identifier';
COMMENT ON COLUMN authz.participants.workspace_id IS 'Workspace';
COMMENT ON COLUMN authz.participants.user_id IS 'Participating user (NULL for a team)';
COMMENT ON COLUMN authz.participants.team_id IS 'Participating team (NULL for a user)';
COMMENT ON COLUMN authz.participants.role_id IS 'Role held in the workspace';
COMMENT ON COLUMN authz.participants.expires_at IS 'When the participation ends by itself; NULL for never';
COMMENT ON COLUMN authz.participants.created_at IS 'When the participant was added';

CREATE TABLE authz.participant_permissions (
    workspace_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    permission   text NOT NULL REFERENCES authz.permissions (name),
    effect       text NOT NULL CHECK (effect IN ('grant', 'deny')),
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (workspace_id, user_id, permission),
    FOREIGN KEY (workspace_id, user_id) REFERENCES authz.participants (workspace_id, user_id) ON DELETE CASCADE
);
CREATE INDEX participant_permissions_user_idx ON authz.participant_permissions (user_id);
COMMENT ON TABLE authz.participant_permissions IS
    'Per-participant grants and denies on top of the role, for user participants (a deny wins over every source)';
COMMENT ON COLUMN authz.participant_permissions.workspace_id IS 'Workspace';
COMMENT ON COLUMN authz.participant_permissions.user_id IS 'Participating user';
COMMENT ON COLUMN authz.participant_permissions.permission IS 'Permission granted or denied';
COMMENT ON COLUMN authz.participant_permissions.effect IS 'grant or deny';
COMMENT ON COLUMN authz.participant_permissions.expires_at IS 'When the grant or deny ends by itself; NULL for never';
COMMENT ON COLUMN authz.participant_permissions.created_at IS 'When it was set';

CREATE TABLE authz.projects (
    id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (workspace_id, name)
);
COMMENT ON TABLE authz.projects IS 'Units inside a workspace, with participants of their own; workspace access flows into them';
COMMENT ON COLUMN authz.projects.id IS 'Project identifier';
COMMENT ON COLUMN authz.projects.workspace_id IS 'Workspace the project belongs to';
COMMENT ON COLUMN authz.projects.name IS 'Name, unique in its workspace';
COMMENT ON COLUMN authz.projects.description IS 'Description';
COMMENT ON COLUMN authz.projects.created_at IS 'When the project was created';

CREATE TABLE authz.project_members (
    project_id uuid NOT NULL REFERENCES authz.projects (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
    role_id    uuid NOT NULL REFERENCES authz.roles (id),
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user_idx ON authz.project_members (user_id);
CREATE INDEX project_members_role_idx ON authz.project_members (role_id);
COMMENT ON TABLE authz.project_members IS 'Users holding a role in one project (on top of what the workspace gives them)';
COMMENT ON COLUMN authz.project_members.project_id IS 'Project';
COMMENT ON COLUMN authz.project_members.user_id IS 'Member';
COMMENT ON COLUMN authz.project_members.role_id IS 'Role held in the project';
COMMENT ON COLUMN authz.project_members.expires_at IS 'When the membership ends by itself; NULL for never';
COMMENT ON COLUMN authz.project_members.created_at IS 'When the member was added';

CREATE TABLE authz.invitations (
    id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    token_hash   bytea NOT NULL UNIQUE,
    org_id       uuid NOT NULL REFERENCES authz.orgs (id) ON DELETE CASCADE,
    workspace_id uuid REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    email        text NOT NULL,
    org_role     text CHECK (org_role IN ('owner', 'admin', 'member', 'guest')),
    role_id      uuid REFERENCES authz.roles (id) ON DELETE SET NULL,
    inviter_id   uuid NOT NULL REFERENCES authz.users (id),
    inviter_rank integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid REFERENCES authz.users (id),
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES authz.users (id),
    CHECK ((workspace_id IS NULL) <> (org_role IS NULL)),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX invitations_org_idx ON authz.invitations (org_id);
CREATE INDEX invitations_workspace_idx ON authz.invitations (workspace_id);
CREATE INDEX invitations_role_idx ON authz.invitations (role_id);
COMMENT ON TABLE authz.invitations IS 'Invitations to a workspace or an organization: one-time tokens, stored hashed, expiring';
COMMENT ON COLUMN authz.invitations.id IS 'Invitation identifier (not the token)';
COMMENT ON COLUMN authz.invitations.token_hash IS 'SHA-256 of the token; the token itself is never stored';
COMMENT ON COLUMN authz.invitations.org_id IS 'Organization invited to, or of the workspace invited to';
COMMENT ON COLUMN authz.invitations.workspace_id IS 'Workspace invited to; NULL for an invitation to the organization';
COMMENT ON COLUMN authz.invitations.email IS 'Invitee''s email address, matched regardless of case';
COMMENT ON COLUMN authz.invitations.org_role IS 'Org role offered (organization invitations)';
COMMENT ON COLUMN authz.invitations.role_id IS
    'Workspace role offered, or the org-wide workspace role of an organization invitation (NULL once a finished invitation''s role is dropped)';
COMMENT ON COLUMN authz.invitations.inviter_id IS 'Who invited';
COMMENT ON COLUMN authz.invitations.inviter_rank IS 'The inviter''s rank when inviting (for an org invitation, the highest org-wide role rank they could assign), which the offered role respected and must still respect when accepted';
COMMENT ON COLUMN authz.invitations.created_at IS 'When it was sent';
COMMENT ON COLUMN authz.invitations.expires_at IS 'When it stops working';
COMMENT ON COLUMN authz.invitations.accepted_at IS 'When it was accepted (once)';
COMMENT ON COLUMN authz.invitations.accepted_by IS 'Who accepted it';
COMMENT ON COLUMN authz.invitations.revoked_at IS 'When it was revoked';
COMMENT ON COLUMN authz.invitations.revoked_by IS 'Who revoked it';
-- ---------------------------------------------------------------------------
-- Identity: who the current user is (C, identity.c)
-- ---------------------------------------------------------------------------

-- Roles granted workspace_authz_trusted (or EXECUTE on authz.set_user) may
-- assert identity. Roles are cluster-wide, so it may already exist.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'workspace_authz_trusted') THEN
        CREATE ROLE workspace_authz_trusted NOLOGIN;
        COMMENT ON ROLE workspace_authz_trusted IS
            'workspace_authz: members may assert the current user (authz.set_user) and act for the platform';
    END IF;
END
$$;

CREATE FUNCTION authz.set_user(user_id uuid, is_local boolean DEFAULT true) RETURNS void
    AS 'MODULE_PATHNAME', 'identity_set_user' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION authz.set_user(uuid, boolean) IS
    'Assert the current user (trusted roles only); is_local scopes it to the transaction; NULL clears it';
REVOKE ALL ON FUNCTION authz.set_user(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.set_user(uuid, boolean) TO workspace_authz_trusted;

CREATE FUNCTION authz.current_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'identity_current_user_id' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz.current_user_id() IS
    'The current user: asserted with authz.set_user(), else from the JWT claim when configured, else the user mapped to the login role, else NULL';

CREATE FUNCTION authz._is_trusted() RETURNS boolean
    AS 'MODULE_PATHNAME', 'identity_is_trusted' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION authz._is_trusted() IS
    'Internal: the calling role (outside SECURITY DEFINER) is a superuser or may execute authz.set_user';
-- ---------------------------------------------------------------------------
-- Checks (C, checks.c): fast, STABLE, safe in RLS policies
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz._can_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'planner_can_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION authz._can_support(internal) IS
    'Planner support for authz.can and authz.can_project: index conditions on the workspace or project column, and selectivity';

CREATE FUNCTION authz.can(workspace_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1
    SUPPORT authz._can_support;
COMMENT ON FUNCTION authz.can(uuid, text) IS
    'Does the current user hold the permission in the workspace?';

CREATE FUNCTION authz.can_org(org_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can_org' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1;
COMMENT ON FUNCTION authz.can_org(uuid, text) IS
    'Does the current user hold the org permission (from their org role)?';

CREATE FUNCTION authz.role_in(workspace_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_role_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.role_in(uuid) IS
    'The current user''s effective role in the workspace (highest-ranked source), or NULL';

CREATE FUNCTION authz.org_role(org_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_org_role' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.org_role(uuid) IS
    'The current user''s role in the organization (owner, admin, member, guest), or NULL';

CREATE FUNCTION authz.permissions_in(workspace_id uuid) RETURNS authz.permset
    AS 'MODULE_PATHNAME', 'checks_permissions_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.permissions_in(uuid) IS
    'The current user''s effective permissions in the workspace';

CREATE FUNCTION authz.workspace_array(permission text DEFAULT 'workspace.view') RETURNS uuid[]
    AS 'MODULE_PATHNAME', 'checks_workspace_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.workspace_array(text) IS
    'Every workspace where the current user holds the permission, as an array';

CREATE FUNCTION authz.workspaces(permission text DEFAULT 'workspace.view') RETURNS SETOF uuid
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.unnest(authz.workspace_array(permission)) $$;
COMMENT ON FUNCTION authz.workspaces(text) IS
    'Every workspace where the current user holds the permission';

CREATE FUNCTION authz.check(user_id uuid, workspace_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_check' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1;
COMMENT ON FUNCTION authz.check(uuid, uuid, text) IS
    'Does the given user hold the permission in the workspace? (trusted roles only)';
REVOKE ALL ON FUNCTION authz.check(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.check(uuid, uuid, text) TO workspace_authz_trusted;

CREATE FUNCTION authz._effective(user_id uuid, workspace_id uuid,
                                 OUT role text, OUT rank integer, OUT permissions authz.permset)
    AS 'MODULE_PATHNAME', 'checks_effective' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz._effective(uuid, uuid) IS
    'Internal: effective role, rank (0 for none) and permissions of any user in a workspace';
REVOKE ALL ON FUNCTION authz._effective(uuid, uuid) FROM PUBLIC;

CREATE FUNCTION authz._explain(user_id uuid, workspace_id uuid, permission text)
    RETURNS TABLE (source text, team_id uuid, role text, grants boolean)
    AS 'MODULE_PATHNAME', 'checks_explain' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION authz._explain(uuid, uuid, text) IS
    'Internal: the sources behind a resolution, for authz.explain';
REVOKE ALL ON FUNCTION authz._explain(uuid, uuid, text) FROM PUBLIC;

CREATE FUNCTION authz.who_can(workspace_id uuid, permission text)
    RETURNS TABLE (user_id uuid, role text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz._workspace(workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    PERFORM authz._check_permissions(ARRAY[permission]);
    IF NOT authz._is_trusted() THEN
        PERFORM authz._require(workspace_id, 'members.view');
    END IF;
    RETURN QUERY
    WITH w AS (SELECT * FROM authz.workspaces x WHERE x.id = who_can.workspace_id),
    candidates AS (
        SELECT w.personal_user_id AS uid FROM w WHERE w.personal_user_id IS NOT NULL
        UNION
        SELECT p.user_id FROM authz.participants p
         WHERE p.workspace_id = who_can.workspace_id AND p.user_id IS NOT NULL
        UNION
        SELECT tm.user_id FROM authz.participants p JOIN authz.team_members tm ON tm.team_id = p.team_id
         WHERE p.workspace_id = who_can.workspace_id
        UNION
        SELECT m.user_id FROM authz.org_members m JOIN w ON w.org_id = m.org_id
         WHERE m.role <> 'guest'
    )
    SELECT c.uid, e.role
      FROM candidates c, LATERAL authz._effective(c.uid, who_can.workspace_id) e
     WHERE e.permissions OPERATOR(authz.@>) authz.permset(ARRAY[permission])
     ORDER BY e.rank DESC, c.uid;
END
$$;
COMMENT ON FUNCTION authz.who_can(uuid, text) IS
    'Every user holding the permission in the workspace, with their effective role (needs members.view there)';

CREATE FUNCTION authz.explain(user_id uuid, workspace_id uuid, permission text)
    RETURNS TABLE (source text, role text, grants boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz._check_id('user_id', user_id);
    PERFORM authz._check_id('workspace_id', workspace_id);
    IF permission IS NULL THEN
        RAISE EXCEPTION 'permission must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF user_id IS DISTINCT FROM authz.current_user_id() AND NOT authz._is_trusted() THEN
        PERFORM authz._require(workspace_id, 'members.view');
    END IF;
    RETURN QUERY
    SELECT CASE WHEN e.team_id IS NULL THEN e.source
                ELSE 'team ' || coalesce(t.name, e.team_id::text) END,
           e.role, e.grants
      FROM authz._explain(user_id, workspace_id, permission) WITH ORDINALITY e
      LEFT JOIN authz.teams t ON t.id = e.team_id
     ORDER BY e.ordinality;
END
$$;
COMMENT ON FUNCTION authz.explain(uuid, uuid, text) IS
    'Why a user has, or lacks, a permission in a workspace: one row per source, grant and deny, then the result';
-- ---------------------------------------------------------------------------
-- Internal helpers shared by the administration functions. They run inside
-- SECURITY DEFINER functions; PUBLIC may not execute them.
-- ---------------------------------------------------------------------------

-- Validate a text argument: not NULL, not blank, not too long, well formed.
CREATE FUNCTION authz._check_text(what text, value text, max_length integer,
                                  pattern text DEFAULT NULL, pattern_hint text DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    IF btrim(value) = '' THEN
        RAISE EXCEPTION '% must not be empty', what USING ERRCODE = '22023';
    END IF;
    IF length(value) > max_length THEN
        RAISE EXCEPTION '% is too long (% characters, at most %)', what, length(value), max_length
            USING ERRCODE = '22023';
    END IF;
    IF pattern IS NOT NULL AND value !~ pattern THEN
        RAISE EXCEPTION 'invalid %: "%"', what, value USING ERRCODE = '22023', HINT = pattern_hint;
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz._check_text(text, text, integer, text, text) IS
    'Internal: validate a text argument (22004 when NULL, 22023 when empty, too long or malformed)';

-- Refuse a NULL identifier argument.
CREATE FUNCTION authz._check_id(what text, value uuid) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz._check_id(text, uuid) IS 'Internal: refuse a NULL identifier (22004)';

-- The acting user: the current user, who must exist and be active.
CREATE FUNCTION authz._actor() RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uid uuid := authz.current_user_id();
    st text;
    h text;
BEGIN
    IF uid IS NULL THEN
        RAISE EXCEPTION 'no authz user is set for this session'
            USING ERRCODE = '42501',
                  HINT = 'A trusted role calls authz.set_user(), or authz.users.pg_role maps the login role to a user.';
    END IF;
    SELECT u.status, u.handle INTO st, h FROM authz.users u WHERE u.id = uid;
    IF st IS NULL THEN
        RAISE EXCEPTION 'current user "%" does not exist', uid USING ERRCODE = '42501';
    ELSIF st <> 'active' THEN
        RAISE EXCEPTION 'user "%" is deactivated', h USING ERRCODE = '42501';
    END IF;
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz._actor() IS 'Internal: the current user, who must exist and be active (42501 otherwise)';

CREATE FUNCTION authz._user(user_id uuid) RETURNS authz.users
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.users;
BEGIN
    PERFORM authz._check_id('user_id', user_id);
    SELECT * INTO r FROM authz.users u WHERE u.id = user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" does not exist', user_id USING ERRCODE = '42704';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._user(uuid) IS 'Internal: a user row (42704 when unknown)';

CREATE FUNCTION authz._org(org_id uuid) RETURNS authz.orgs
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.orgs;
BEGIN
    PERFORM authz._check_id('org_id', org_id);
    SELECT * INTO r FROM authz.orgs o WHERE o.id = org_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization "%" does not exist', org_id USING ERRCODE = '42704';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._org(uuid) IS 'Internal: an organization row (42704 when unknown)';

CREATE FUNCTION authz._workspace(workspace_id uuid) RETURNS authz.workspaces
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.workspaces;
BEGIN
    PERFORM authz._check_id('workspace_id', workspace_id);
    SELECT * INTO r FROM authz.workspaces w WHERE w.id = workspace_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workspace "%" does not exist', workspace_id USING ERRCODE = '42704';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._workspace(uuid) IS 'Internal: a workspace row (42704 when unknown)';

CREATE FUNCTION authz._team(team_id uuid) RETURNS authz.teams
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.teams;
BEGIN
    PERFORM authz._check_id('team_id', team_id);
    SELECT * INTO r FROM authz.teams t WHERE t.id = team_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team "%" does not exist', team_id USING ERRCODE = '42704';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._team(uuid) IS 'Internal: a team row (42704 when unknown)';

-- How errors name things: users by handle, workspaces as org/name, orgs by
-- slug; but only to someone who may see them (or a trusted role): others get
-- the identifier they passed, so a refusal never reveals a name.
CREATE FUNCTION authz._user_label(user_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT u.handle FROM authz.users u
                      WHERE u.id = user_id AND (authz._visible_user(u.id) OR authz._is_trusted())),
                    user_id::text)
$$;
COMMENT ON FUNCTION authz._user_label(uuid) IS 'Internal: a user as error messages name it (handle, if visible to the current user)';

CREATE FUNCTION authz._workspace_label(workspace_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT coalesce(o.slug || '/', '') || w.name
                       FROM authz.workspaces w LEFT JOIN authz.orgs o ON o.id = w.org_id
                      WHERE w.id = workspace_id
                        AND (authz.can(w.id, 'workspace.view')
                             OR coalesce(authz.can_org(w.org_id, 'org.workspaces.list'), false)
                             OR authz._is_trusted())),
                    workspace_id::text)
$$;
COMMENT ON FUNCTION authz._workspace_label(uuid) IS
    'Internal: a workspace as error messages name it (org/name, if visible to the current user)';

CREATE FUNCTION authz._org_label(org_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT o.slug FROM authz.orgs o
                      WHERE o.id = org_id AND (authz.org_role(o.id) IS NOT NULL OR authz._is_trusted())),
                    org_id::text)
$$;
COMMENT ON FUNCTION authz._org_label(uuid) IS 'Internal: an organization as error messages name it (slug, if a member)';

-- A workspace role usable in an organization: one of its custom roles or a built-in.
CREATE FUNCTION authz._role(org_id uuid, role_name text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
BEGIN
    PERFORM authz._check_text('workspace role', role_name, 63);
    SELECT * INTO r FROM authz.roles x
     WHERE x.name = role_name AND (x.org_id IS NULL OR x.org_id = _role.org_id)
     ORDER BY x.org_id NULLS LAST LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', role_name
            USING ERRCODE = '42704',
                  HINT = 'Built-in roles are owner, admin, member and viewer; organizations may define their own.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._role(uuid, text) IS 'Internal: a workspace role by name, custom to the org or built-in (42704 when unknown)';

-- Org roles are ordered: owner > admin > member > guest.
CREATE FUNCTION authz._org_rank(role text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE role WHEN 'owner' THEN 4 WHEN 'admin' THEN 3 WHEN 'member' THEN 2 WHEN 'guest' THEN 1 ELSE 0 END $$;
COMMENT ON FUNCTION authz._org_rank(text) IS 'Internal: precedence of an org role (owner 4 ... guest 1, none 0)';

CREATE FUNCTION authz._check_org_role(role text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._check_text('org role', role, 63);
    IF authz._org_rank(role) = 0 THEN
        RAISE EXCEPTION 'invalid org role "%"', role
            USING ERRCODE = '22023', HINT = 'Org roles are owner, admin, member and guest.';
    END IF;
    RETURN role;
END
$$;
COMMENT ON FUNCTION authz._check_org_role(text) IS 'Internal: validate an org role name (22023)';

-- The org role of a user (NULL when not a member or deactivated).
CREATE FUNCTION authz._org_role_of(org_id uuid, user_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.role FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
     WHERE m.org_id = _org_role_of.org_id AND m.user_id = _org_role_of.user_id AND u.status = 'active'
$$;
COMMENT ON FUNCTION authz._org_role_of(uuid, uuid) IS 'Internal: a user''s org role, NULL when not an active member';

-- The acting user must hold an org permission.
CREATE FUNCTION authz._require_org(org_id uuid, permission text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz.can_org(org_id, permission) THEN
        RAISE EXCEPTION 'permission denied: "%" is required in organization "%"',
            permission, authz._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._require_org(uuid, text) IS 'Internal: 42501 unless the current user holds the org permission';

-- The acting user must hold a workspace permission.
CREATE FUNCTION authz._require(workspace_id uuid, permission text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT authz.can(workspace_id, permission) THEN
        RAISE EXCEPTION 'permission denied: "%" is required in workspace "%"',
            permission, authz._workspace_label(workspace_id)
            USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._require(uuid, text) IS 'Internal: 42501 unless the current user holds the workspace permission';

-- Effective rank of a user in a workspace (0 when they hold no role).
CREATE FUNCTION authz._rank(user_id uuid, workspace_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT (authz._effective(user_id, workspace_id)).rank $$;
COMMENT ON FUNCTION authz._rank(uuid, uuid) IS 'Internal: effective rank of a user in a workspace (0 for none)';

-- Rank rules (SPEC 3) for managing a workspace's participants: the actor holds
-- the permission, assigns no role above their own rank, and changes nobody
-- ranked above them.
CREATE FUNCTION authz._check_ranks(workspace_id uuid, permission text,
                                   target uuid, new_role authz.roles) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    actor_rank integer;
    target_rank integer;
BEGIN
    PERFORM authz._require(workspace_id, permission);
    actor_rank := authz._rank(actor, workspace_id);
    IF new_role.id IS NOT NULL AND new_role.rank > actor_rank THEN
        RAISE EXCEPTION 'cannot assign role "%" (rank %) above your own rank (%) in workspace "%"',
            new_role.name, new_role.rank, actor_rank, authz._workspace_label(workspace_id)
            USING ERRCODE = '42501';
    END IF;
    IF target IS NOT NULL AND target <> actor THEN
        target_rank := authz._rank(target, workspace_id);
        IF target_rank > actor_rank THEN
            RAISE EXCEPTION 'cannot change user "%" (rank %) who ranks above you (%) in workspace "%"',
                authz._user_label(target), target_rank, actor_rank, authz._workspace_label(workspace_id)
                USING ERRCODE = '42501';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz._check_ranks(uuid, text, uuid, authz.roles) IS
    'Internal: SPEC rank rules for workspace management (42501 when broken)';

-- Rank rules for org membership: the actor holds org.members.manage, assigns
-- no org role above their own, and changes nobody ranked above them.
CREATE FUNCTION authz._check_org_ranks(org_id uuid, target uuid, new_role text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    actor_role text := authz._org_role_of(org_id, actor);
    target_role text;
    slug text := authz._org_label(org_id);
BEGIN
    PERFORM authz._require_org(org_id, 'org.members.manage');
    IF new_role IS NOT NULL AND authz._org_rank(new_role) > authz._org_rank(actor_role) THEN
        RAISE EXCEPTION 'cannot assign org role "%" above your own ("%") in organization "%"',
            new_role, actor_role, slug USING ERRCODE = '42501';
    END IF;
    IF target IS NOT NULL AND target <> actor THEN
        SELECT m.role INTO target_role FROM authz.org_members m
         WHERE m.org_id = _check_org_ranks.org_id AND m.user_id = target;
        IF authz._org_rank(target_role) > authz._org_rank(actor_role) THEN
            RAISE EXCEPTION 'cannot change user "%" ("%") who ranks above you ("%") in organization "%"',
                authz._user_label(target), target_role, actor_role, slug USING ERRCODE = '42501';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz._check_org_ranks(uuid, uuid, text) IS
    'Internal: SPEC rank rules for org membership (42501 when broken)';

-- Highest org-wide workspace role rank a user may hand out in an org: any
-- for org owners, else the rank of the workspace role their org role gives
-- (their own org-wide role, or the org's admin_workspace_role for admins).
-- NULL when they are not a member.
CREATE FUNCTION authz._org_wide_limit_of(org_id uuid, user_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN m.role = 'owner' THEN 100
        ELSE greatest(
            coalesce((SELECT r.rank FROM authz.roles r WHERE r.id = m.workspace_role), 0),
            CASE WHEN m.role = 'admin'
                 THEN coalesce((SELECT r.rank FROM authz.orgs o JOIN authz.roles r ON r.id = o.admin_workspace_role
                                 WHERE o.id = m.org_id), 0)
                 ELSE 0 END)
        END
      FROM authz.org_members m
     WHERE m.org_id = _org_wide_limit_of.org_id AND m.user_id = _org_wide_limit_of.user_id
$$;
COMMENT ON FUNCTION authz._org_wide_limit_of(uuid, uuid) IS
    'Internal: highest rank of org-wide workspace role a user may assign in the org (NULL when not a member)';

CREATE FUNCTION authz._org_wide_limit(org_id uuid) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT authz._org_wide_limit_of(org_id, authz.current_user_id()) $$;
COMMENT ON FUNCTION authz._org_wide_limit(uuid) IS
    'Internal: highest rank of org-wide workspace role the current user may assign in the org';

-- The workspace permissions the current user may hand out in an org: those of
-- every role (built-in, or custom to the org) they may assign, i.e. ranked at
-- most their org-wide limit. For org owners (limit 100) that is every one.
CREATE FUNCTION authz._assignable_permissions(org_id uuid) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT rp.permission ORDER BY rp.permission), '{}')
      FROM authz.roles r JOIN authz.role_permissions rp ON rp.role_id = r.id
     WHERE (r.org_id IS NULL OR r.org_id = _assignable_permissions.org_id)
       AND r.rank <= coalesce(authz._org_wide_limit(_assignable_permissions.org_id), 0)
$$;
COMMENT ON FUNCTION authz._assignable_permissions(uuid) IS
    'Internal: workspace permissions of the roles the current user may assign in the org (ranked at most their org-wide limit)';

-- Validate permission names for a workspace: registered, workspace scope.
CREATE FUNCTION authz._check_permissions(permissions text[], allow_empty boolean DEFAULT false) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p text;
    sc text;
BEGIN
    IF permissions IS NULL THEN
        RAISE EXCEPTION 'permissions must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cardinality(permissions) = 0 THEN
        IF allow_empty THEN
            RETURN '{}';
        END IF;
        RAISE EXCEPTION 'permissions must not be empty' USING ERRCODE = '22023';
    END IF;
    FOREACH p IN ARRAY permissions LOOP
        IF p IS NULL THEN
            RAISE EXCEPTION 'a permission array must not contain NULL' USING ERRCODE = '22004';
        END IF;
        SELECT x.scope INTO sc FROM authz.permissions x WHERE x.name = p;
        IF sc IS NULL THEN
            RAISE EXCEPTION 'permission "%" does not exist', p
                USING ERRCODE = '42704', HINT = 'Register it with authz.define_permission().';
        ELSIF sc <> 'workspace' THEN
            RAISE EXCEPTION 'permission "%" is an org permission, not a workspace permission', p
                USING ERRCODE = '22023', HINT = 'Org permissions come from the org role alone.';
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT x FROM unnest(permissions) x ORDER BY x);
END
$$;
COMMENT ON FUNCTION authz._check_permissions(text[], boolean) IS
    'Internal: validate workspace permission names (22004, 22023, 42704; an empty list only if allowed); returns them sorted and distinct';

-- ---------------------------------------------------------------------------
-- Rules of the model, enforced by triggers whatever path changes the data:
-- cache invalidation, last-owner protection, and data validation.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz._invalidate_cache() RETURNS trigger
    AS 'MODULE_PATHNAME', 'cache_invalidate_trigger' LANGUAGE C;
COMMENT ON FUNCTION authz._invalidate_cache() IS
    'Internal trigger: every backend drops its authorization cache when this transaction commits';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['permissions', 'users', 'orgs', 'roles', 'role_permissions',
                             'org_role_permissions', 'org_members', 'workspaces', 'teams',
                             'team_members', 'participants', 'participant_permissions',
                             'projects', 'project_members']
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authz.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION authz._invalidate_cache()', t);
    END LOOP;
END
$$;

-- Every org workspace keeps at least one active direct owner participant.
-- Locking: the dummy UPDATE of the workspace row makes concurrent owner changes
-- of one workspace queue behind each other; under READ COMMITTED the count
-- below then sees the other's committed change, and under REPEATABLE READ or
-- SERIALIZABLE the second writer gets a serialization failure instead.
CREATE FUNCTION authz._assert_workspace_owner(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authz.workspaces w SET id = w.id
     WHERE w.id = _assert_workspace_owner.workspace_id AND w.org_id IS NOT NULL;
    IF NOT FOUND THEN
        RETURN;     -- a personal workspace, or one being deleted
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authz.participants p JOIN authz.users u ON u.id = p.user_id
                    WHERE p.workspace_id = _assert_workspace_owner.workspace_id
                      AND p.role_id = '00000000-0000-0000-0000-000000000001'
                      AND u.status = 'active') THEN
        RAISE EXCEPTION 'workspace "%" must keep at least one owner', authz._workspace_label(workspace_id)
            USING ERRCODE = '23514', HINT = 'Make another participant an owner first.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._assert_workspace_owner(uuid) IS
    'Internal: 23514 unless the org workspace still has an active direct owner (serialises concurrent changes)';

-- Every organization keeps at least one active owner; locking as above.
CREATE FUNCTION authz._assert_org_owner(org_id uuid) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE authz.orgs o SET id = o.id WHERE o.id = _assert_org_owner.org_id;
    IF NOT FOUND THEN
        RETURN;     -- being deleted
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authz.org_members m JOIN authz.users u ON u.id = m.user_id
                    WHERE m.org_id = _assert_org_owner.org_id AND m.role = 'owner'
                      AND u.status = 'active') THEN
        RAISE EXCEPTION 'organization "%" must keep at least one owner',
            authz._org_label(org_id)
            USING ERRCODE = '23514', HINT = 'Make another member an owner first.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._assert_org_owner(uuid) IS
    'Internal: 23514 unless the organization still has an active owner (serialises concurrent changes)';

CREATE FUNCTION authz._participants_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._assert_workspace_owner(OLD.workspace_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz._participants_owner_guard() IS 'Internal trigger: last workspace owner protection';

CREATE TRIGGER owner_guard AFTER DELETE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL AND OLD.role_id = '00000000-0000-0000-0000-000000000001')
    EXECUTE FUNCTION authz._participants_owner_guard();
CREATE TRIGGER owner_guard_update AFTER UPDATE ON authz.participants FOR EACH ROW
    WHEN (OLD.user_id IS NOT NULL AND OLD.role_id = '00000000-0000-0000-0000-000000000001'
          AND NEW.role_id IS DISTINCT FROM OLD.role_id)
    EXECUTE FUNCTION authz._participants_owner_guard();

CREATE FUNCTION authz._org_members_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._assert_org_owner(OLD.org_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz._org_members_owner_guard() IS 'Internal trigger: last org owner protection';

CREATE TRIGGER owner_guard AFTER DELETE ON authz.org_members FOR EACH ROW
    WHEN (OLD.role = 'owner')
    EXECUTE FUNCTION authz._org_members_owner_guard();
CREATE TRIGGER owner_guard_update AFTER UPDATE ON authz.org_members FOR EACH ROW
    WHEN (OLD.role = 'owner' AND NEW.role <> 'owner')
    EXECUTE FUNCTION authz._org_members_owner_guard();

-- Deactivating a user must not leave a workspace or an organization ownerless.
CREATE FUNCTION authz._users_owner_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id uuid;
BEGIN
    FOR id IN SELECT p.workspace_id FROM authz.participants p
               WHERE p.user_id = NEW.id AND p.role_id = '00000000-0000-0000-0000-000000000001'
               ORDER BY 1
    LOOP
        PERFORM authz._assert_workspace_owner(id);
    END LOOP;
    FOR id IN SELECT m.org_id FROM authz.org_members m
               WHERE m.user_id = NEW.id AND m.role = 'owner' ORDER BY 1
    LOOP
        PERFORM authz._assert_org_owner(id);
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz._users_owner_guard() IS 'Internal trigger: deactivation keeps every workspace and org owned';

CREATE TRIGGER owner_guard AFTER UPDATE OF status ON authz.users FOR EACH ROW
    WHEN (OLD.status = 'active' AND NEW.status <> 'active')
    EXECUTE FUNCTION authz._users_owner_guard();

-- Workspace roles hold workspace permissions only.
CREATE FUNCTION authz._role_permissions_validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._check_permissions(ARRAY[NEW.permission]);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION authz._role_permissions_validate() IS
    'Internal trigger: workspace roles, grants and denies carry workspace permissions only';

CREATE TRIGGER validate BEFORE INSERT OR UPDATE ON authz.role_permissions FOR EACH ROW
    EXECUTE FUNCTION authz._role_permissions_validate();

-- Grants and denies, like roles, carry workspace permissions only.
CREATE TRIGGER validate BEFORE INSERT OR UPDATE ON authz.participant_permissions FOR EACH ROW
    EXECUTE FUNCTION authz._role_permissions_validate();
-- ---------------------------------------------------------------------------
-- Administration: users, organizations, workspaces, participants, teams,
-- permissions. Each function checks the current user's rights (SPEC 3) and
-- runs as the extension owner with a pinned search_path.
-- ---------------------------------------------------------------------------

-- ---- users ----------------------------------------------------------------

CREATE FUNCTION authz.create_user(handle text, email text, display_name text DEFAULT NULL,
                                  pg_role name DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    uid uuid;
    other text;
BEGIN
    PERFORM authz._check_text('handle', handle, 63, '^[a-z0-9][a-z0-9_.-]*$',
        'A handle is lower-case letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
        'An email address looks like name@example.com.');
    IF display_name IS NOT NULL THEN
        PERFORM authz._check_text('display name', display_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE u.handle = create_user.handle) THEN
        RAISE EXCEPTION 'user handle "%" is already taken', handle USING ERRCODE = '23505';
    END IF;
    IF EXISTS (SELECT 1 FROM authz.users u WHERE lower(u.email) = lower(create_user.email)) THEN
        RAISE EXCEPTION 'email "%" is already used by another user', email USING ERRCODE = '23505';
    END IF;
    IF pg_role IS NOT NULL THEN
        PERFORM authz._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT u.handle INTO other FROM authz.users u WHERE u.pg_role = create_user.pg_role;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;

    INSERT INTO authz.users (handle, email, display_name, pg_role)
    VALUES (handle, email, display_name, pg_role)
    RETURNING id INTO uid;
    -- Every user has exactly one personal workspace, in no organization.
    INSERT INTO authz.workspaces (personal_user_id, name) VALUES (uid, handle);
    RETURN uid;
END
$$;
COMMENT ON FUNCTION authz.create_user(text, text, text, name) IS
    'Create a user and their personal workspace (trusted roles only); pg_role maps a login role to the user';
REVOKE ALL ON FUNCTION authz.create_user(text, text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.create_user(text, text, text, name) TO workspace_authz_trusted;

CREATE FUNCTION authz.map_login_role(user_id uuid, pg_role name) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users := authz._user(user_id);
    other text;
BEGIN
    IF pg_role IS NOT NULL THEN
        PERFORM authz._check_text('login role', pg_role, 63);
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = pg_role) THEN
            RAISE EXCEPTION 'login role "%" does not exist', pg_role
                USING ERRCODE = '42704', HINT = 'Create the login role first.';
        END IF;
        SELECT x.handle INTO other FROM authz.users x
         WHERE x.pg_role = map_login_role.pg_role AND x.id <> map_login_role.user_id;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'login role "%" is already mapped to user "%"', pg_role, other
                USING ERRCODE = '23505';
        END IF;
    END IF;
    UPDATE authz.users x SET pg_role = map_login_role.pg_role WHERE x.id = u.id;
END
$$;
COMMENT ON FUNCTION authz.map_login_role(uuid, name) IS
    'Map a login role to a user, or with NULL unmap it (trusted roles only; unmap before dropping the login role)';
REVOKE ALL ON FUNCTION authz.map_login_role(uuid, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.map_login_role(uuid, name) TO workspace_authz_trusted;

CREATE FUNCTION authz.deactivate_user(user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    u authz.users := authz._user(user_id);
BEGIN
    IF NOT authz._is_trusted() THEN
        IF authz._actor() <> user_id THEN
            RAISE EXCEPTION 'permission denied to deactivate user "%"', u.handle
                USING ERRCODE = '42501', HINT = 'Users may deactivate themselves; trusted roles may deactivate anyone.';
        END IF;
    END IF;
    IF u.status = 'active' THEN
        UPDATE authz.users x SET status = 'deactivated', deactivated_at = now() WHERE x.id = user_id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.deactivate_user(uuid) IS
    'Deactivate a user (themselves, or anyone for trusted roles); refused if it would leave a workspace or org without an owner';

CREATE FUNCTION authz.personal_workspace(user_id uuid DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    who uuid := coalesce(user_id, authz._actor());
    ws uuid;
BEGIN
    IF who IS DISTINCT FROM authz.current_user_id() AND NOT authz._is_trusted() THEN
        RAISE EXCEPTION 'permission denied to look up the personal workspace of another user'
            USING ERRCODE = '42501';
    END IF;
    PERFORM authz._user(who);
    SELECT w.id INTO ws FROM authz.workspaces w WHERE w.personal_user_id = who;
    RETURN ws;
END
$$;
COMMENT ON FUNCTION authz.personal_workspace(uuid) IS
    'The personal workspace of a user (default: the current user; others only for trusted roles)';

-- ---- organizations --------------------------------------------------------

CREATE FUNCTION authz.create_org(slug text, full_name text DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    oid_ uuid;
BEGIN
    PERFORM authz._check_text('organization slug', slug, 63, '^[a-z0-9][a-z0-9-]*$',
        'A slug is lower-case letters, digits and "-", starting with a letter or digit.');
    IF full_name IS NOT NULL THEN
        PERFORM authz._check_text('full name', full_name, 200);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.orgs o WHERE o.slug = create_org.slug) THEN
        RAISE EXCEPTION 'organization "%" already exists', slug USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.orgs (slug, full_name) VALUES (slug, full_name) RETURNING id INTO oid_;
    INSERT INTO authz.org_members (org_id, user_id, role) VALUES (oid_, actor, 'owner');
    RETURN oid_;
END
$$;
COMMENT ON FUNCTION authz.create_org(text, text) IS 'Create an organization; the current user becomes its owner';

-- Check an org-wide workspace role against the actor's limit; NULL passes.
CREATE FUNCTION authz._org_wide_role(org_id uuid, role text, workspace_role text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    lim integer;
BEGIN
    IF workspace_role IS NULL THEN
        RETURN r;
    END IF;
    IF role = 'guest' THEN
        RAISE EXCEPTION 'guests of organization "%" cannot hold an org-wide workspace role',
            authz._org_label(org_id)
            USING ERRCODE = '22023', HINT = 'Add guests to the workspaces they may see instead.';
    END IF;
    r := authz._role(org_id, workspace_role);
    lim := coalesce(authz._org_wide_limit(org_id), 0);
    IF r.rank > lim THEN
        RAISE EXCEPTION 'cannot assign org-wide workspace role "%" (rank %) above your limit (%) in organization "%"',
            r.name, r.rank, lim, authz._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._org_wide_role(uuid, text, text) IS
    'Internal: validate an org-wide workspace role for an org role against the actor''s limit';

-- Changing or dropping the org-wide workspace role a member holds: only
-- someone who could have given it (its rank within the actor's limit).
CREATE FUNCTION authz._check_org_wide_held(org_id uuid, user_id uuid, role_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    lim integer;
BEGIN
    SELECT * INTO r FROM authz.roles x WHERE x.id = role_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    lim := coalesce(authz._org_wide_limit(org_id), 0);
    IF r.rank > lim THEN
        RAISE EXCEPTION 'cannot change the org-wide workspace role "%" (rank %) of user "%", above your limit (%) in organization "%"',
            r.name, r.rank, authz._user_label(user_id), lim, authz._org_label(org_id)
            USING ERRCODE = '42501', HINT = 'Someone whose limit reaches that rank, such as an org owner, may change it.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._check_org_wide_held(uuid, uuid, uuid) IS
    'Internal: 42501 when the org-wide workspace role a member holds ranks above the actor''s limit';

CREATE FUNCTION authz.add_org_member(org_id uuid, user_id uuid, role text DEFAULT 'member',
                                     workspace_role text DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz._org(org_id);
    u authz.users := authz._user(user_id);
    wr authz.roles;
BEGIN
    PERFORM authz._check_org_role(role);
    PERFORM authz._check_org_ranks(org_id, NULL, role);
    IF workspace_role IS NOT NULL OR role = 'guest' THEN
        wr := authz._org_wide_role(org_id, role, workspace_role);
    ELSE
        -- the organization's default org-wide role for new members, if any
        SELECT x.* INTO wr FROM authz.roles x WHERE x.id = o.member_workspace_role;
    END IF;
    IF EXISTS (SELECT 1 FROM authz.org_members m
                WHERE m.org_id = add_org_member.org_id AND m.user_id = add_org_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already a member of organization "%"', u.handle, o.slug
            USING ERRCODE = '23505', HINT = 'Use authz.set_org_role() to change their role.';
    END IF;
    INSERT INTO authz.org_members (org_id, user_id, role, workspace_role)
    VALUES (org_id, user_id, role, wr.id);
END
$$;
COMMENT ON FUNCTION authz.add_org_member(uuid, uuid, text, text) IS
    'Add a user to an organization with an org role and an org-wide workspace role (default: the org''s member_workspace_role; none for guests)';

CREATE FUNCTION authz._org_member(org_id uuid, user_id uuid) RETURNS authz.org_members
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m authz.org_members;
BEGIN
    SELECT * INTO m FROM authz.org_members x
     WHERE x.org_id = _org_member.org_id AND x.user_id = _org_member.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of organization "%"',
            authz._user_label(user_id), authz._org_label(org_id)
            USING ERRCODE = '42704';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION authz._org_member(uuid, uuid) IS 'Internal: an org membership row (42704 when absent)';

CREATE FUNCTION authz.set_org_role(org_id uuid, user_id uuid, role text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.org_members;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._user(user_id);
    PERFORM authz._check_org_role(role);
    m := authz._org_member(org_id, user_id);
    PERFORM authz._check_org_ranks(org_id, user_id, role);
    IF role = 'guest' THEN
        -- demoting to guest drops the org-wide role: only if the actor could change it
        PERFORM authz._check_org_wide_held(org_id, user_id, m.workspace_role);
    END IF;
    -- Guests hold no org-wide workspace role; a guest made a member gets the
    -- org's default one, as a new member would.
    UPDATE authz.org_members x
       SET role = set_org_role.role,
           workspace_role = CASE WHEN set_org_role.role = 'guest' THEN NULL
                                 WHEN x.role = 'guest' THEN o.member_workspace_role
                                 ELSE x.workspace_role END
      FROM authz.orgs o
     WHERE o.id = x.org_id AND x.org_id = set_org_role.org_id AND x.user_id = set_org_role.user_id;
END
$$;
COMMENT ON FUNCTION authz.set_org_role(uuid, uuid, text) IS
    'Change a member''s org role (demoting to guest drops their org-wide workspace role, if within your limit; promoting a guest gives the org''s member_workspace_role); the last owner stays';

CREATE FUNCTION authz.set_org_workspace_role(org_id uuid, user_id uuid, workspace_role text)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.org_members;
    wr authz.roles;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._user(user_id);
    m := authz._org_member(org_id, user_id);
    PERFORM authz._check_org_ranks(org_id, user_id, NULL);
    wr := authz._org_wide_role(org_id, m.role, workspace_role);
    IF wr.id IS DISTINCT FROM m.workspace_role THEN
        PERFORM authz._check_org_wide_held(org_id, user_id, m.workspace_role);
    END IF;
    UPDATE authz.org_members x SET workspace_role = wr.id
     WHERE x.org_id = set_org_workspace_role.org_id AND x.user_id = set_org_workspace_role.user_id;
END
$$;
COMMENT ON FUNCTION authz.set_org_workspace_role(uuid, uuid, text) IS
    'Set (or, with NULL, clear) the workspace role a member holds in every workspace of the organization (the old and new roles both within your limit)';

CREATE FUNCTION authz.remove_org_member(org_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    membership authz.org_members;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._user(user_id);
    membership := authz._org_member(org_id, user_id);
    IF user_id <> actor THEN
        PERFORM authz._check_org_ranks(org_id, user_id, NULL);
        -- removing a member drops their org-wide role: only if the actor could change it
        PERFORM authz._check_org_wide_held(org_id, user_id, membership.workspace_role);
    END IF;
    -- Leaving the org ends the user's teams and participations in it.
    DELETE FROM authz.team_members tm USING authz.teams t
     WHERE t.id = tm.team_id AND t.org_id = remove_org_member.org_id
       AND tm.user_id = remove_org_member.user_id;
    DELETE FROM authz.participants p USING authz.workspaces w
     WHERE w.id = p.workspace_id AND w.org_id = remove_org_member.org_id
       AND p.user_id = remove_org_member.user_id;
    DELETE FROM authz.project_members pm USING authz.projects pr, authz.workspaces w
     WHERE pr.id = pm.project_id AND w.id = pr.workspace_id AND w.org_id = remove_org_member.org_id
       AND pm.user_id = remove_org_member.user_id;
    DELETE FROM authz.org_members m
     WHERE m.org_id = remove_org_member.org_id AND m.user_id = remove_org_member.user_id;
END
$$;
COMMENT ON FUNCTION authz.remove_org_member(uuid, uuid) IS
    'Remove a user from an organization with their teams, participations and project roles there (members may leave)';

-- ---- workspaces -----------------------------------------------------------

CREATE FUNCTION authz._check_choice(what text, value text, choices text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._check_text(what, value, 63);
    IF NOT value = ANY (choices) THEN
        RAISE EXCEPTION 'invalid %: "%"', what, value
            USING ERRCODE = '22023', HINT = 'Valid values: ' || array_to_string(choices, ', ') || '.';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION authz._check_choice(text, text, text[]) IS 'Internal: validate a value against a list (22023)';

CREATE FUNCTION authz.create_workspace(org_id uuid, name text, visibility text DEFAULT 'private',
                                       join_policy text DEFAULT 'invite_only')
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    o authz.orgs := authz._org(org_id);
    ws uuid;
BEGIN
    PERFORM authz._check_text('workspace name', name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'A workspace name is letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz._check_choice('visibility', visibility, '{private,shared}');
    PERFORM authz._check_choice('join policy', join_policy, '{invite_only,open}');
    PERFORM authz._require_org(org_id, 'org.workspaces.create');
    IF EXISTS (SELECT 1 FROM authz.workspaces w
                WHERE w.org_id = create_workspace.org_id AND w.name = create_workspace.name) THEN
        RAISE EXCEPTION 'workspace "%" already exists in organization "%"', name, o.slug
            USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.workspaces (org_id, name, visibility, join_policy, shared_role, join_role)
    VALUES (org_id, name, visibility, join_policy, o.default_shared_role, o.default_join_role)
    RETURNING id INTO ws;
    INSERT INTO authz.participants (workspace_id, user_id, role_id)
    VALUES (ws, actor, '00000000-0000-0000-0000-000000000001');
    RETURN ws;
END
$$;
COMMENT ON FUNCTION authz.create_workspace(uuid, text, text, text) IS
    'Create a workspace in an organization; the current user becomes its owner';

-- An org workspace (personal workspaces have no participants).
CREATE FUNCTION authz._org_workspace(workspace_id uuid) RETURNS authz.workspaces
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._workspace(workspace_id);
BEGIN
    IF w.org_id IS NULL THEN
        RAISE EXCEPTION 'personal workspace "%" has no participants', w.name
            USING ERRCODE = '22023', HINT = 'Create a workspace in an organization to collaborate.';
    END IF;
    RETURN w;
END
$$;
COMMENT ON FUNCTION authz._org_workspace(uuid) IS 'Internal: an org workspace row (22023 for a personal one)';

CREATE FUNCTION authz._participant(workspace_id uuid, user_id uuid) RETURNS authz.participants
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authz.participants;
BEGIN
    SELECT * INTO p FROM authz.participants x
     WHERE x.workspace_id = _participant.workspace_id AND x.user_id = _participant.user_id
       AND (x.expires_at IS NULL OR x.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a participant of workspace "%"',
            authz._user_label(user_id), authz._workspace_label(workspace_id)
            USING ERRCODE = '42704';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION authz._participant(uuid, uuid) IS 'Internal: a current user participant row (42704 when absent or expired)';

-- An expiry given to a participation, grant or deny: NULL (never) or in the future.
CREATE FUNCTION authz._check_expiry(expires_at timestamptz, role authz.roles DEFAULT NULL) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF expires_at IS NULL THEN
        RETURN NULL;
    END IF;
    IF expires_at <= now() THEN
        RAISE EXCEPTION 'expiry % is not in the future', expires_at USING ERRCODE = '22023';
    END IF;
    IF role.rank = 100 THEN
        RAISE EXCEPTION 'owner participations cannot expire'
            USING ERRCODE = '22023', HINT = 'Every workspace keeps a permanent owner; give a lower role an expiry.';
    END IF;
    RETURN expires_at;
END
$$;
COMMENT ON FUNCTION authz._check_expiry(timestamptz, authz.roles) IS
    'Internal: validate an expiry (22023 when past, or given to an owner)';

-- Expired participations are gone for every purpose: clear one before re-adding.
CREATE FUNCTION authz._purge_expired(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM authz.participants p
     WHERE p.workspace_id = _purge_expired.workspace_id AND p.user_id = _purge_expired.user_id
       AND p.expires_at <= now()
$$;
COMMENT ON FUNCTION authz._purge_expired(uuid, uuid) IS 'Internal: delete a user''s expired participation in a workspace';

CREATE FUNCTION authz.add_member(workspace_id uuid, user_id uuid, role text DEFAULT 'member',
                                 expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._org_workspace(workspace_id);
    u authz.users := authz._user(user_id);
    r authz.roles := authz._role(w.org_id, role);
BEGIN
    PERFORM authz._check_expiry(expires_at, r);
    PERFORM authz._check_ranks(workspace_id, 'members.manage', NULL, r);
    PERFORM authz._purge_expired(workspace_id, user_id);
    IF EXISTS (SELECT 1 FROM authz.participants p
                WHERE p.workspace_id = add_member.workspace_id AND p.user_id = add_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already a participant of workspace "%"',
            u.handle, authz._workspace_label(workspace_id)
            USING ERRCODE = '23505', HINT = 'Use authz.set_role() to change their role.';
    END IF;
    PERFORM authz._check_capacity(workspace_id, user_id);
    INSERT INTO authz.participants (workspace_id, user_id, role_id, expires_at)
    VALUES (workspace_id, user_id, r.id, expires_at);
END
$$;
COMMENT ON FUNCTION authz.add_member(uuid, uuid, text, timestamptz) IS
    'Add a user as a participant of a workspace (org members, guests, or collaborators), until expires_at when given';

CREATE FUNCTION authz.set_role(workspace_id uuid, user_id uuid, role text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._org_workspace(workspace_id);
    p authz.participants;
    r authz.roles;
BEGIN
    PERFORM authz._user(user_id);
    r := authz._role(w.org_id, role);
    p := authz._participant(workspace_id, user_id);
    PERFORM authz._check_ranks(workspace_id, 'members.manage', user_id, r);
    UPDATE authz.participants x SET role_id = r.id,
           expires_at = CASE WHEN r.rank = 100 THEN NULL ELSE x.expires_at END
     WHERE x.id = p.id;
    -- Owners cannot be denied anything.
    IF r.rank = 100 THEN
        DELETE FROM authz.participant_permissions pp
         WHERE pp.workspace_id = p.workspace_id AND pp.user_id = p.user_id AND pp.effect = 'deny';
    END IF;
END
$$;
COMMENT ON FUNCTION authz.set_role(uuid, uuid, text) IS
    'Change a participant''s role (making them owner drops their denies); the last owner stays';

CREATE FUNCTION authz.remove_member(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    p authz.participants;
BEGIN
    PERFORM authz._org_workspace(workspace_id);
    PERFORM authz._user(user_id);
    p := authz._participant(workspace_id, user_id);
    IF user_id <> actor THEN
        PERFORM authz._check_ranks(workspace_id, 'members.manage', user_id, NULL);
    END IF;
    DELETE FROM authz.participants x WHERE x.id = p.id;
END
$$;
COMMENT ON FUNCTION authz.remove_member(uuid, uuid) IS
    'Remove a participant (anyone may leave); the last owner stays';

-- Shared checks of grant and deny; returns the participant.
CREATE FUNCTION authz._adjust_target(workspace_id uuid, user_id uuid) RETURNS authz.participants
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM authz._org_workspace(workspace_id);
    PERFORM authz._user(user_id);
    PERFORM authz._check_ranks(workspace_id, 'members.manage', user_id, NULL);
    RETURN authz._participant(workspace_id, user_id);
END
$$;
COMMENT ON FUNCTION authz._adjust_target(uuid, uuid) IS 'Internal: checks shared by grant, deny and reset_permissions';

CREATE FUNCTION authz.grant(workspace_id uuid, user_id uuid, permissions text[],
                            expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.participants := authz._adjust_target(workspace_id, user_id);
    perms text[] := authz._check_permissions(permissions);
    until timestamptz := authz._check_expiry(expires_at);
    mine authz.permset := authz.permissions_in(workspace_id);
    x text;
BEGIN
    -- Deleting a workspace is for its owners alone: make them one instead.
    IF 'workspace.delete' = ANY (perms) THEN
        RAISE EXCEPTION 'cannot grant permission "workspace.delete" in workspace "%": it belongs to the owner role alone',
            authz._workspace_label(workspace_id)
            USING ERRCODE = '22023', HINT = 'Make the participant an owner instead.';
    END IF;
    -- Nobody grants what they do not hold.
    FOREACH x IN ARRAY perms LOOP
        IF NOT coalesce(mine OPERATOR(authz.@>) authz.permset(ARRAY[x]), false) THEN
            RAISE EXCEPTION 'cannot grant permission "%", which you do not hold in workspace "%"',
                x, authz._workspace_label(workspace_id) USING ERRCODE = '42501';
        END IF;
    END LOOP;
    INSERT INTO authz.participant_permissions (workspace_id, user_id, permission, effect, expires_at)
    SELECT p.workspace_id, p.user_id, perm, 'grant', until FROM unnest(perms) perm
    ON CONFLICT ON CONSTRAINT participant_permissions_pkey
    DO UPDATE SET effect = 'grant', expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.grant(uuid, uuid, text[], timestamptz) IS
    'Grant a participant permissions beyond their role that you hold yourself, never workspace.delete, until expires_at when given (replaces denies of the same permissions)';

CREATE FUNCTION authz.deny(workspace_id uuid, user_id uuid, permissions text[],
                           expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.participants := authz._adjust_target(workspace_id, user_id);
    perms text[] := authz._check_permissions(permissions);
    until timestamptz := authz._check_expiry(expires_at);
BEGIN
    IF authz._rank(user_id, workspace_id) >= 100 THEN
        RAISE EXCEPTION 'cannot deny permissions to user "%", an owner of workspace "%"',
            authz._user_label(user_id), authz._workspace_label(workspace_id)
            USING ERRCODE = '23514', HINT = 'Change their role first.';
    END IF;
    INSERT INTO authz.participant_permissions (workspace_id, user_id, permission, effect, expires_at)
    SELECT p.workspace_id, p.user_id, perm, 'deny', until FROM unnest(perms) perm
    ON CONFLICT ON CONSTRAINT participant_permissions_pkey
    DO UPDATE SET effect = 'deny', expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.deny(uuid, uuid, text[], timestamptz) IS
    'Deny a participant permissions whatever their roles say, until expires_at when given (not on owners; replaces grants)';

CREATE FUNCTION authz.reset_permissions(workspace_id uuid, user_id uuid, permissions text[] DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.participants := authz._adjust_target(workspace_id, user_id);
BEGIN
    DELETE FROM authz.participant_permissions x
     WHERE x.workspace_id = p.workspace_id AND x.user_id = p.user_id
       AND (permissions IS NULL OR x.permission = ANY (authz._check_permissions(permissions)));
END
$$;
COMMENT ON FUNCTION authz.reset_permissions(uuid, uuid, text[]) IS
    'Drop a participant''s grants and denies (all of them, or those of the given permissions)';

CREATE FUNCTION authz.join_workspace(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    w authz.workspaces := authz._org_workspace(workspace_id);
BEGIN
    PERFORM authz._purge_expired(workspace_id, actor);
    IF EXISTS (SELECT 1 FROM authz.participants p
                WHERE p.workspace_id = join_workspace.workspace_id AND p.user_id = actor) THEN
        RETURN;     -- already a participant
    END IF;
    PERFORM authz._require_org(w.org_id, 'org.workspaces.join');
    IF w.join_policy <> 'open' THEN
        RAISE EXCEPTION 'workspace "%" is invite-only', authz._workspace_label(workspace_id)
            USING ERRCODE = '42501', HINT = 'Ask one of its admins to add you.';
    END IF;
    PERFORM authz._check_capacity(workspace_id, actor);
    INSERT INTO authz.participants (workspace_id, user_id, role_id) VALUES (workspace_id, actor, w.join_role);
END
$$;
COMMENT ON FUNCTION authz.join_workspace(uuid) IS
    'Join an open workspace of your organization with its join role (no-op when already a participant)';

-- ---- teams ----------------------------------------------------------------

CREATE FUNCTION authz.create_team(org_id uuid, name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz._org(org_id);
    t uuid;
BEGIN
    PERFORM authz._actor();
    PERFORM authz._check_text('team name', name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'A team name is letters, digits, "_", "." and "-", starting with a letter or digit.');
    PERFORM authz._require_org(org_id, 'org.teams.manage');
    IF EXISTS (SELECT 1 FROM authz.teams x WHERE x.org_id = create_team.org_id AND x.name = create_team.name) THEN
        RAISE EXCEPTION 'team "%" already exists in organization "%"', name, o.slug USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.teams (org_id, name) VALUES (org_id, name) RETURNING id INTO t;
    RETURN t;
END
$$;
COMMENT ON FUNCTION authz.create_team(uuid, text) IS 'Create a team in an organization';

CREATE FUNCTION authz.add_team_member(team_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    t authz.teams := authz._team(team_id);
    u authz.users := authz._user(user_id);
BEGIN
    PERFORM authz._actor();
    PERFORM authz._require_org(t.org_id, 'org.teams.manage');
    PERFORM authz._org_member(t.org_id, user_id);
    IF EXISTS (SELECT 1 FROM authz.team_members tm
                WHERE tm.team_id = add_team_member.team_id AND tm.user_id = add_team_member.user_id) THEN
        RAISE EXCEPTION 'user "%" is already in team "%"', u.handle, t.name USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.team_members (team_id, user_id) VALUES (team_id, user_id);
END
$$;
COMMENT ON FUNCTION authz.add_team_member(uuid, uuid) IS 'Add a member of the team''s organization to the team';

CREATE FUNCTION authz.remove_team_member(team_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    t authz.teams := authz._team(team_id);
    u authz.users := authz._user(user_id);
BEGIN
    IF user_id <> actor THEN
        PERFORM authz._require_org(t.org_id, 'org.teams.manage');
    END IF;
    DELETE FROM authz.team_members tm
     WHERE tm.team_id = remove_team_member.team_id AND tm.user_id = remove_team_member.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not in team "%"', u.handle, t.name USING ERRCODE = '42704';
    END IF;
END
$$;
COMMENT ON FUNCTION authz.remove_team_member(uuid, uuid) IS 'Remove a user from a team (anyone may leave)';

CREATE FUNCTION authz.add_team(workspace_id uuid, team_id uuid, role text,
                               expires_at timestamptz DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._org_workspace(workspace_id);
    t authz.teams := authz._team(team_id);
    r authz.roles;
    current authz.roles;
BEGIN
    IF t.org_id <> w.org_id THEN
        RAISE EXCEPTION 'team "%" belongs to another organization than workspace "%"',
            t.name, authz._workspace_label(workspace_id) USING ERRCODE = '22023';
    END IF;
    r := authz._role(w.org_id, role);
    PERFORM authz._check_expiry(expires_at);
    PERFORM authz._check_ranks(workspace_id, 'members.manage', NULL, r);
    DELETE FROM authz.participants p
     WHERE p.workspace_id = add_team.workspace_id AND p.team_id = add_team.team_id AND p.expires_at <= now();
    SELECT x.* INTO current FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
     WHERE p.workspace_id = add_team.workspace_id AND p.team_id = add_team.team_id;
    IF FOUND THEN
        -- changing the team's role: as remove_team, nobody changes a team ranked above them
        IF current.rank > authz._rank(authz._actor(), workspace_id) THEN
            RAISE EXCEPTION 'cannot change team "%" (role "%", rank %) which ranks above you in workspace "%"',
                t.name, current.name, current.rank, authz._workspace_label(workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        PERFORM authz._check_capacity(workspace_id, NULL);
    END IF;
    INSERT INTO authz.participants (workspace_id, team_id, role_id, expires_at)
    VALUES (workspace_id, team_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT participants_workspace_id_team_id_key
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_team(uuid, uuid, text, timestamptz) IS
    'Make a team a participant of a workspace with a role, until expires_at when given (or change its role there, if it ranks no higher than you)';

CREATE FUNCTION authz.remove_team(workspace_id uuid, team_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    t authz.teams := authz._team(team_id);
    r authz.roles;
BEGIN
    PERFORM authz._org_workspace(workspace_id);
    SELECT x.* INTO r FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
     WHERE p.workspace_id = remove_team.workspace_id AND p.team_id = remove_team.team_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team "%" is not a participant of workspace "%"',
            t.name, authz._workspace_label(workspace_id) USING ERRCODE = '42704';
    END IF;
    PERFORM authz._check_ranks(workspace_id, 'members.manage', NULL, NULL);
    IF r.rank > authz._rank(authz._actor(), workspace_id) THEN
        RAISE EXCEPTION 'cannot remove team "%" (role "%", rank %) which ranks above you in workspace "%"',
            t.name, r.name, r.rank, authz._workspace_label(workspace_id) USING ERRCODE = '42501';
    END IF;
    DELETE FROM authz.participants p
     WHERE p.workspace_id = remove_team.workspace_id AND p.team_id = remove_team.team_id;
END
$$;
COMMENT ON FUNCTION authz.remove_team(uuid, uuid) IS 'Remove a team from a workspace''s participants';

-- ---- permissions ----------------------------------------------------------

CREATE FUNCTION authz.define_permission(name text, description text DEFAULT NULL, roles text[] DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    existing authz.permissions;
    free_bit integer;
    holders text[];
BEGIN
    PERFORM authz._check_text('permission name', name, 63, '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$',
        'A permission name is dot-separated lower-case words, e.g. pipelines.launch.');
    IF description IS NOT NULL THEN
        PERFORM authz._check_text('description', description, 1000);
    END IF;
    IF roles IS NULL OR EXISTS (SELECT 1 FROM unnest(roles) r WHERE r IS NULL OR r NOT IN ('member', 'viewer')) THEN
        RAISE EXCEPTION 'invalid roles for permission "%": %', name, coalesce(roles::text, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Owners and admins always hold registered permissions; list member and/or viewer to add them.';
    END IF;
    -- Owners and admins hold every workspace permission but workspace.delete.
    holders := ARRAY(SELECT DISTINCT r FROM unnest('{owner,admin}'::text[] || roles) r);

    -- One registration at a time: bit numbers are allocated here.
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO existing FROM authz.permissions p WHERE p.name = define_permission.name;
    IF FOUND THEN
        IF existing.builtin THEN
            RAISE EXCEPTION 'built-in permission "%" cannot be redefined', name USING ERRCODE = '42501';
        END IF;
        UPDATE authz.permissions p SET description = define_permission.description
         WHERE p.name = define_permission.name;
    ELSE
        SELECT min(b) INTO free_bit FROM generate_series(0, 255) b
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = b);
        IF free_bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
                USING ERRCODE = '54000';
        END IF;
        INSERT INTO authz.permissions (name, bit, scope, description)
        VALUES (name, free_bit, 'workspace', description);
    END IF;
    -- The built-in roles that hold it: exactly the requested ones.
    DELETE FROM authz.role_permissions rp
     WHERE rp.permission = define_permission.name AND rp.role_id IN (SELECT r.id FROM authz.roles r WHERE r.org_id IS NULL);
    INSERT INTO authz.role_permissions (role_id, permission)
    SELECT r.id, define_permission.name FROM authz.roles r WHERE r.org_id IS NULL AND r.name = ANY (holders);
END
$$;
COMMENT ON FUNCTION authz.define_permission(text, text, text[]) IS
    'Register (or redefine) an application permission; owners and admins hold it, and the listed built-in roles (member, viewer) too';
REVOKE ALL ON FUNCTION authz.define_permission(text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.define_permission(text, text, text[]) TO workspace_authz_trusted;
-- ---------------------------------------------------------------------------
-- Custom roles, organization and workspace settings, workspace deletion, and
-- participant limits.
-- ---------------------------------------------------------------------------

-- ---- custom roles (Labstep) -------------------------------------------------

-- A custom role of an organization, by name (42704 unknown, 42501 built-in).
CREATE FUNCTION authz._custom_role(org_id uuid, role_name text) RETURNS authz.roles
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles := authz._role(org_id, role_name);
BEGIN
    IF r.org_id IS NULL THEN
        RAISE EXCEPTION 'built-in role "%" cannot be changed', role_name
            USING ERRCODE = '42501', HINT = 'Define a custom role with authz.create_role() instead.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION authz._custom_role(uuid, text) IS 'Internal: a custom role of the organization (42501 for a built-in one)';

-- The rank a custom role may have: 1-99, and at most the actor's own.
CREATE FUNCTION authz._check_role_rank(org_id uuid, role_name text, rank integer) RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lim integer := coalesce(authz._org_wide_limit(org_id), 0);
BEGIN
    IF rank IS NULL THEN
        RAISE EXCEPTION 'rank must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF rank < 1 OR rank > 99 THEN
        RAISE EXCEPTION 'rank % of role "%" is out of range', rank, role_name
            USING ERRCODE = '22023', HINT = 'Custom roles rank from 1 to 99; owner alone ranks 100.';
    END IF;
    IF rank > lim THEN
        RAISE EXCEPTION 'cannot give role "%" rank %, above your own rank (%) in organization "%"',
            role_name, rank, lim, authz._org_label(org_id) USING ERRCODE = '42501';
    END IF;
    RETURN rank;
END
$$;
COMMENT ON FUNCTION authz._check_role_rank(uuid, text, integer) IS
    'Internal: a custom role''s rank is 1-99 and at most the actor''s own (22004, 22023, 42501)';

-- The permissions a custom role may be given: valid workspace permissions,
-- never workspace.delete (owners alone delete a workspace), and, among those
-- it does not hold yet, only ones the actor could hand out anyway by
-- assigning a role (see _assignable_permissions). Returns them sorted.
CREATE FUNCTION authz._check_role_permissions(org_id uuid, role_name text, permissions text[],
                                              held text[] DEFAULT '{}') RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    perms text[];
    added text[];
    missing text[];
BEGIN
    perms := authz._check_permissions(permissions, true);
    added := ARRAY(SELECT p FROM unnest(perms) p WHERE p <> ALL (coalesce(held, '{}')) ORDER BY p);
    IF 'workspace.delete' = ANY (added) THEN
        RAISE EXCEPTION 'role "%" cannot hold permission "workspace.delete", which belongs to the owner role alone', role_name
            USING ERRCODE = '22023', HINT = 'Only owners delete a workspace: make those who may delete one its owners.';
    END IF;
    missing := ARRAY(SELECT p FROM unnest(added) p WHERE p <> ALL (authz._assignable_permissions(org_id)) ORDER BY p);
    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'cannot give role "%" %, which no role you may assign holds in organization "%"',
            role_name,
            CASE WHEN cardinality(missing) = 1 THEN 'permission ' ELSE 'permissions ' END
                || (SELECT string_agg('"' || p || '"', ', ' ORDER BY p) FROM unnest(missing) p),
            authz._org_label(org_id)
            USING ERRCODE = '42501',
                  HINT = format('A custom role holds only permissions of the roles you may assign (ranked at most %s).',
                                coalesce(authz._org_wide_limit(org_id), 0));
    END IF;
    RETURN perms;
END
$$;
COMMENT ON FUNCTION authz._check_role_permissions(uuid, text, text[], text[]) IS
    'Internal: permissions for a custom role: valid (22004, 22023, 42704), never workspace.delete (22023), and those added only ones the actor may hand out (42501)';

CREATE FUNCTION authz._set_role_permissions(role_id uuid, permissions text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    perms text[];
BEGIN
    perms := authz._check_permissions(permissions, true);
    -- Only what changes: the same list again writes no audit row and no notification.
    DELETE FROM authz.role_permissions rp
     WHERE rp.role_id = _set_role_permissions.role_id AND rp.permission <> ALL (perms);
    INSERT INTO authz.role_permissions (role_id, permission)
    SELECT _set_role_permissions.role_id, p FROM unnest(perms) p
     WHERE NOT EXISTS (SELECT 1 FROM authz.role_permissions rp
                        WHERE rp.role_id = _set_role_permissions.role_id AND rp.permission = p);
END
$$;
COMMENT ON FUNCTION authz._set_role_permissions(uuid, text[]) IS
    'Internal: make a custom role hold exactly the given permissions (deleting the others, inserting the missing ones)';

CREATE FUNCTION authz.create_role(org_id uuid, name text, rank integer, permissions text[],
                                  description text DEFAULT NULL, projects_only boolean DEFAULT false)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._actor();
    PERFORM authz._check_text('role name', name, 63, '^[a-z][a-z0-9_]*$',
        'A role name is lower-case letters, digits and "_", starting with a letter.');
    PERFORM authz._require_org(org_id, 'org.roles.manage');
    PERFORM authz._check_role_rank(org_id, name, rank);
    IF description IS NOT NULL THEN
        PERFORM authz._check_text('description', description, 1000);
    END IF;
    IF EXISTS (SELECT 1 FROM authz.roles r
                WHERE r.name = create_role.name AND (r.org_id IS NULL OR r.org_id = create_role.org_id)) THEN
        RAISE EXCEPTION 'role "%" already exists in organization "%"', name, authz._org_label(org_id)
            USING ERRCODE = '23505', HINT = 'Built-in roles are owner, admin, member and viewer.';
    END IF;
    PERFORM authz._check_role_permissions(org_id, name, permissions);
    IF projects_only IS NULL THEN
        RAISE EXCEPTION 'projects_only must not be NULL' USING ERRCODE = '22004';
    END IF;
    INSERT INTO authz.roles (org_id, name, rank, description, projects_only)
    VALUES (org_id, name, rank, description, projects_only) RETURNING id INTO new_id;
    PERFORM authz._set_role_permissions(new_id, permissions);
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz.create_role(uuid, text, integer, text[], text, boolean) IS
    'Define a custom workspace role for an organization (needs org.roles.manage; rank 1-99, at most your own; never workspace.delete; only permissions of roles you may assign); projects_only: a project role, which counts in projects only';

CREATE FUNCTION authz.update_role(org_id uuid, name text, new_name text DEFAULT NULL, rank integer DEFAULT NULL,
                                  permissions text[] DEFAULT NULL, description text DEFAULT NULL,
                                  projects_only boolean DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    r authz.roles;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._actor();
    PERFORM authz._require_org(org_id, 'org.roles.manage');
    r := authz._custom_role(org_id, name);
    -- Nobody changes a role ranked above themselves, nor lifts one above.
    PERFORM authz._check_role_rank(org_id, r.name, r.rank);
    IF rank IS NOT NULL THEN
        PERFORM authz._check_role_rank(org_id, r.name, rank);
    END IF;
    IF new_name IS NOT NULL AND new_name <> r.name THEN
        PERFORM authz._check_text('role name', new_name, 63, '^[a-z][a-z0-9_]*$',
            'A role name is lower-case letters, digits and "_", starting with a letter.');
        IF EXISTS (SELECT 1 FROM authz.roles x
                    WHERE x.name = new_name AND (x.org_id IS NULL OR x.org_id = update_role.org_id)) THEN
            RAISE EXCEPTION 'role "%" already exists in organization "%"', new_name, authz._org_label(org_id)
                USING ERRCODE = '23505';
        END IF;
    END IF;
    IF description IS NOT NULL THEN
        PERFORM authz._check_text('description', description, 1000);
    END IF;
    IF permissions IS NOT NULL THEN
        PERFORM authz._check_role_permissions(org_id, r.name, permissions,
            ARRAY(SELECT rp.permission FROM authz.role_permissions rp WHERE rp.role_id = r.id));
    END IF;
    UPDATE authz.roles x
       SET name = coalesce(new_name, x.name), rank = coalesce(update_role.rank, x.rank),
           description = coalesce(update_role.description, x.description),
           projects_only = coalesce(update_role.projects_only, x.projects_only)
     WHERE x.id = r.id;
    IF permissions IS NOT NULL THEN
        PERFORM authz._set_role_permissions(r.id, permissions);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.update_role(uuid, text, text, integer, text[], text, boolean) IS
    'Rename a custom role, or change its rank, permissions or description, or whether it is a project role (NULL keeps a value; needs org.roles.manage; added permissions as for create_role)';

CREATE FUNCTION authz.drop_role(org_id uuid, name text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    r authz.roles;
    uses text;
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._actor();
    PERFORM authz._require_org(org_id, 'org.roles.manage');
    r := authz._custom_role(org_id, name);
    PERFORM authz._check_role_rank(org_id, r.name, r.rank);
    -- Expired participations and project memberships give nothing: they do not count.
    SELECT string_agg(n || ' ' || what, ', ') INTO uses FROM (
        SELECT count(*) AS n, 'participant(s)' AS what FROM authz.participants p
         WHERE p.role_id = r.id AND (p.expires_at IS NULL OR p.expires_at > now())
        UNION ALL SELECT count(*), 'project member(s)' FROM authz.project_members pm
         WHERE pm.role_id = r.id AND (pm.expires_at IS NULL OR pm.expires_at > now())
        UNION ALL SELECT count(*), 'org-wide assignment(s)' FROM authz.org_members m WHERE m.workspace_role = r.id
        UNION ALL SELECT count(*), 'workspace setting(s)' FROM authz.workspaces w
                   WHERE w.shared_role = r.id OR w.join_role = r.id
        UNION ALL SELECT count(*), 'organization setting(s)' FROM authz.orgs o
                   WHERE r.id IN (o.admin_workspace_role, o.member_workspace_role, o.default_shared_role, o.default_join_role)
        UNION ALL SELECT count(*), 'pending invitation(s)' FROM authz.invitations i
                   WHERE i.role_id = r.id AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
    ) x WHERE n > 0;
    IF uses IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" is still assigned', r.name
            USING ERRCODE = '2BP01', DETAIL = 'It is used by ' || uses || '.',
                  HINT = 'Give those another role first.';
    END IF;
    -- ... and go with the role (each deletion audited).
    DELETE FROM authz.participants p WHERE p.role_id = r.id AND p.expires_at <= now();
    DELETE FROM authz.project_members pm WHERE pm.role_id = r.id AND pm.expires_at <= now();
    DELETE FROM authz.role_permissions rp WHERE rp.role_id = r.id;
    DELETE FROM authz.roles x WHERE x.id = r.id;
END
$$;
COMMENT ON FUNCTION authz.drop_role(uuid, text) IS
    'Drop a custom role (needs org.roles.manage; refused with 2BP01 while anything uses it; expired participations and project memberships holding it are deleted with it)';

-- ---- organization settings ------------------------------------------------

-- A role for an org setting: NULL or a role of the org, never owner where
-- given to many, and at most the actor's org-wide limit; nor may the actor
-- change a setting whose current role ranks above that limit.
CREATE FUNCTION authz._setting_role(org_id uuid, setting text, value jsonb, allow_null boolean,
                                    allow_owner boolean, held uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r authz.roles;
    cur authz.roles;
    lim integer := coalesce(authz._org_wide_limit(org_id), 0);
BEGIN
    IF value IS NULL OR jsonb_typeof(value) = 'null' THEN
        IF NOT allow_null THEN
            RAISE EXCEPTION 'setting "%" must not be null', setting USING ERRCODE = '22004';
        END IF;
    ELSE
        IF jsonb_typeof(value) <> 'string' THEN
            RAISE EXCEPTION 'setting "%" must be a role name, not %', setting, value USING ERRCODE = '22023';
        END IF;
        r := authz._role(org_id, value #>> '{}');
        IF r.rank >= 100 AND NOT allow_owner THEN
            RAISE EXCEPTION 'setting "%" cannot be role "owner"', setting
                USING ERRCODE = '22023', HINT = 'Owners are made one by one.';
        END IF;
        IF r.rank > lim THEN
            RAISE EXCEPTION 'cannot set "%" to role "%" (rank %) above your own rank (%)', setting, r.name, r.rank, lim
                USING ERRCODE = '42501';
        END IF;
    END IF;
    SELECT * INTO cur FROM authz.roles x WHERE x.id = held;
    IF FOUND AND cur.id IS DISTINCT FROM r.id AND cur.rank > lim THEN
        RAISE EXCEPTION 'cannot change "%" from role "%" (rank %) above your own rank (%)', setting, cur.name, cur.rank, lim
            USING ERRCODE = '42501', HINT = 'Someone whose limit reaches that rank, such as an org owner, may change it.';
    END IF;
    RETURN r.id;
END
$$;
COMMENT ON FUNCTION authz._setting_role(uuid, text, jsonb, boolean, boolean, uuid) IS
    'Internal: validate a role-valued setting, and the role it replaces, against the actor''s org-wide limit';

CREATE FUNCTION authz._setting_bool(setting text, value jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) IS DISTINCT FROM 'boolean' THEN
        RAISE EXCEPTION 'setting "%" must be true or false, not %', setting, value USING ERRCODE = '22023';
    END IF;
    RETURN value::boolean;
END
$$;
COMMENT ON FUNCTION authz._setting_bool(text, jsonb) IS 'Internal: a boolean setting (22023 otherwise)';

-- An integer setting in [lo, hi], or NULL where allowed.
CREATE FUNCTION authz._setting_int(setting text, value jsonb, lo integer, hi integer, allow_null boolean)
    RETURNS integer LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) = 'null' AND allow_null THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(value) IS DISTINCT FROM 'number' OR (value::numeric % 1) <> 0
       OR value::numeric < lo OR value::numeric > hi THEN
        RAISE EXCEPTION 'setting "%" must be a whole number from % to %, not %', setting, lo, hi, value
            USING ERRCODE = '22023', HINT = CASE WHEN allow_null THEN 'null means no limit.' END;
    END IF;
    RETURN value::integer;
END
$$;
COMMENT ON FUNCTION authz._setting_int(text, jsonb, integer, integer, boolean) IS 'Internal: an integer setting in range (22023 otherwise)';

-- A text setting, or NULL where allowed.
CREATE FUNCTION authz._setting_text(setting text, value jsonb, max_length integer, allow_null boolean)
    RETURNS text LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(value) = 'null' AND allow_null THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(value) IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'setting "%" must be a string, not %', setting, value USING ERRCODE = '22023';
    END IF;
    RETURN authz._check_text(setting, value #>> '{}', max_length);
END
$$;
COMMENT ON FUNCTION authz._setting_text(text, jsonb, integer, boolean) IS 'Internal: a text setting (22023 otherwise)';

-- Settings must be a JSON object with known keys only.
CREATE FUNCTION authz._check_settings(settings jsonb, known text[]) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF settings IS NULL THEN
        RAISE EXCEPTION 'settings must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(settings) <> 'object' THEN
        RAISE EXCEPTION 'settings must be a JSON object, not %', settings USING ERRCODE = '22023';
    END IF;
    FOR k IN SELECT jsonb_object_keys(settings) LOOP
        IF NOT k = ANY (known) THEN
            RAISE EXCEPTION 'unknown setting "%"', k
                USING ERRCODE = '22023', HINT = 'Known settings: ' || array_to_string(known, ', ') || '.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz._check_settings(jsonb, text[]) IS 'Internal: a settings object with known keys only (22004, 22023)';

CREATE FUNCTION authz.update_org(org_id uuid, settings jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz._org(org_id);
BEGIN
    PERFORM authz._actor();
    PERFORM authz._check_settings(settings, '{full_name,members_can_create_workspaces,admin_workspace_role,'
        'member_workspace_role,default_shared_role,default_join_role,max_participants,allow_collaborators}');
    PERFORM authz._require_org(org_id, 'org.update');
    IF settings ? 'full_name' THEN
        o.full_name := authz._setting_text('full_name', settings -> 'full_name', 200, true);
    END IF;
    IF settings ? 'members_can_create_workspaces' THEN
        o.members_can_create_workspaces :=
            authz._setting_bool('members_can_create_workspaces', settings -> 'members_can_create_workspaces');
    END IF;
    IF settings ? 'admin_workspace_role' THEN
        o.admin_workspace_role := authz._setting_role(org_id, 'admin_workspace_role',
            settings -> 'admin_workspace_role', true, true, o.admin_workspace_role);
        -- It is what the org's owners hold in every workspace too, and
        -- admins cannot change owners.
        IF o.admin_workspace_role IS DISTINCT FROM (authz._org(org_id)).admin_workspace_role
           AND authz._org_role_of(org_id, authz._actor()) IS DISTINCT FROM 'owner' THEN
            RAISE EXCEPTION 'only owners of organization "%" may change "admin_workspace_role"', authz._org_label(org_id)
                USING ERRCODE = '42501', HINT = 'It is the workspace role the organization''s owners hold too.';
        END IF;
    END IF;
    IF settings ? 'member_workspace_role' THEN
        o.member_workspace_role := authz._setting_role(org_id, 'member_workspace_role',
            settings -> 'member_workspace_role', true, true, o.member_workspace_role);
    END IF;
    IF settings ? 'default_shared_role' THEN
        o.default_shared_role := authz._setting_role(org_id, 'default_shared_role',
            settings -> 'default_shared_role', false, false, o.default_shared_role);
    END IF;
    IF settings ? 'default_join_role' THEN
        o.default_join_role := authz._setting_role(org_id, 'default_join_role',
            settings -> 'default_join_role', false, false, o.default_join_role);
    END IF;
    IF settings ? 'max_participants' THEN
        o.max_participants := authz._setting_int('max_participants', settings -> 'max_participants',
            1, 1000000, true);
    END IF;
    IF settings ? 'allow_collaborators' THEN
        o.allow_collaborators := authz._setting_bool('allow_collaborators', settings -> 'allow_collaborators');
    END IF;
    UPDATE authz.orgs x
       SET full_name = o.full_name, members_can_create_workspaces = o.members_can_create_workspaces,
           admin_workspace_role = o.admin_workspace_role, member_workspace_role = o.member_workspace_role,
           default_shared_role = o.default_shared_role, default_join_role = o.default_join_role,
           max_participants = o.max_participants, allow_collaborators = o.allow_collaborators
     WHERE x.id = org_id;
END
$$;
COMMENT ON FUNCTION authz.update_org(uuid, jsonb) IS
    'Change organization settings: full_name, members_can_create_workspaces, admin_workspace_role (owners only), member_workspace_role, default_shared_role, default_join_role, max_participants, allow_collaborators (needs org.update; role settings, old and new, within your org-wide limit)';

-- ---- workspace settings ---------------------------------------------------

-- Rank rule for a workspace's shared or join role: the role being replaced
-- must not be above the actor's rank either.
CREATE FUNCTION authz._check_replaced_role(workspace_id uuid, which text, held uuid, replacement uuid,
                                           actor_rank integer) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur authz.roles;
BEGIN
    SELECT * INTO cur FROM authz.roles x WHERE x.id = held;
    IF FOUND AND held IS DISTINCT FROM replacement AND cur.rank > actor_rank THEN
        RAISE EXCEPTION 'cannot change the % role of workspace "%" from role "%" (rank %) above your own rank (%)',
            which, authz._workspace_label(workspace_id), cur.name, cur.rank, actor_rank
            USING ERRCODE = '42501', HINT = 'Someone ranked at least as high, such as an owner, may change it.';
    END IF;
END
$$;
COMMENT ON FUNCTION authz._check_replaced_role(uuid, text, uuid, uuid, integer) IS
    'Internal: refuse to replace a workspace''s shared or join role ranked above the actor';

CREATE FUNCTION authz.update_workspace(workspace_id uuid, settings jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._workspace(workspace_id);
    actor_rank integer;
    r authz.roles;
    new_role uuid;
    label jsonb;
    lbls text[];
BEGIN
    PERFORM authz._actor();
    PERFORM authz._check_settings(settings, '{name,full_name,description,visibility,shared_role,'
        'join_policy,join_role,labels,session_lifespan_hours}');
    PERFORM authz._require(workspace_id, 'workspace.update');
    actor_rank := authz._rank(authz._actor(), workspace_id);
    IF w.org_id IS NULL AND (settings ?| ARRAY['name', 'visibility', 'shared_role', 'join_policy', 'join_role']) THEN
        RAISE EXCEPTION 'personal workspace "%" keeps its name, visibility and roles', w.name
            USING ERRCODE = '22023';
    END IF;
    IF settings ? 'name' THEN
        w.name := authz._setting_text('name', settings -> 'name', 63, false);
        PERFORM authz._check_text('workspace name', w.name, 63, '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
            'A workspace name is letters, digits, "_", "." and "-", starting with a letter or digit.');
        IF EXISTS (SELECT 1 FROM authz.workspaces x
                    WHERE x.org_id = w.org_id AND x.name = w.name AND x.id <> w.id) THEN
            RAISE EXCEPTION 'workspace "%" already exists in organization "%"', w.name, authz._org_label(w.org_id)
                USING ERRCODE = '23505';
        END IF;
    END IF;
    IF settings ? 'full_name' THEN
        w.full_name := authz._setting_text('full_name', settings -> 'full_name', 200, true);
    END IF;
    IF settings ? 'description' THEN
        w.description := authz._setting_text('description', settings -> 'description', 10000, true);
    END IF;
    IF settings ? 'visibility' THEN
        w.visibility := authz._check_choice('visibility', authz._setting_text('visibility', settings -> 'visibility', 63, false),
                                            '{private,shared}');
    END IF;
    IF settings ? 'join_policy' THEN
        w.join_policy := authz._check_choice('join policy', authz._setting_text('join_policy', settings -> 'join_policy', 63, false),
                                             '{invite_only,open}');
    END IF;
    -- Roles handed to many people: never owner, never above the actor's rank.
    IF settings ? 'shared_role' OR settings ? 'join_role' THEN
        FOR r IN SELECT x.* FROM authz.roles x
                  WHERE x.name = ANY (ARRAY[settings ->> 'shared_role', settings ->> 'join_role'])
                    AND (x.org_id IS NULL OR x.org_id = w.org_id)
        LOOP
            IF r.rank >= 100 OR r.rank > actor_rank THEN
                RAISE EXCEPTION 'cannot make role "%" (rank %) the shared or join role of workspace "%"',
                    r.name, r.rank, authz._workspace_label(workspace_id)
                    USING ERRCODE = '42501', HINT = 'Use a role ranked below owner and at most your own rank.';
            END IF;
        END LOOP;
        IF settings ? 'shared_role' THEN
            new_role := (authz._role(w.org_id, authz._setting_text('shared_role', settings -> 'shared_role', 63, false))).id;
            PERFORM authz._check_replaced_role(workspace_id, 'shared', w.shared_role, new_role, actor_rank);
            w.shared_role := new_role;
        END IF;
        IF settings ? 'join_role' THEN
            new_role := (authz._role(w.org_id, authz._setting_text('join_role', settings -> 'join_role', 63, false))).id;
            PERFORM authz._check_replaced_role(workspace_id, 'join', w.join_role, new_role, actor_rank);
            w.join_role := new_role;
        END IF;
    END IF;
    IF settings ? 'labels' THEN
        IF jsonb_typeof(settings -> 'labels') <> 'array' OR jsonb_array_length(settings -> 'labels') > 100 THEN
            RAISE EXCEPTION 'setting "labels" must be an array of at most 100 strings' USING ERRCODE = '22023';
        END IF;
        lbls := '{}';
        FOR label IN SELECT jsonb_array_elements(settings -> 'labels') LOOP
            lbls := lbls || authz._check_text('label', authz._setting_text('label', label, 63, false), 63,
                                              '^[A-Za-z0-9][A-Za-z0-9_.:=-]*$',
                                              'A label is letters, digits, "_", ".", ":", "=" and "-".');
        END LOOP;
        w.labels := ARRAY(SELECT DISTINCT x FROM unnest(lbls) x ORDER BY x);
    END IF;
    IF settings ? 'session_lifespan_hours' THEN
        w.session_lifespan_hours := authz._setting_int('session_lifespan_hours',
            settings -> 'session_lifespan_hours', 1, 120, true);
    END IF;
    UPDATE authz.workspaces x
       SET name = w.name, full_name = w.full_name, description = w.description, visibility = w.visibility,
           shared_role = w.shared_role, join_policy = w.join_policy, join_role = w.join_role,
           labels = w.labels, session_lifespan_hours = w.session_lifespan_hours
     WHERE x.id = w.id;
END
$$;
COMMENT ON FUNCTION authz.update_workspace(uuid, jsonb) IS
    'Change workspace settings: name, full_name, description, visibility, shared_role, join_policy, join_role, labels, session_lifespan_hours (1-120, null for unlimited); needs workspace.update';

CREATE FUNCTION authz.delete_workspace(workspace_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._workspace(workspace_id);
BEGIN
    PERFORM authz._actor();
    IF w.org_id IS NULL THEN
        RAISE EXCEPTION 'personal workspace "%" cannot be deleted', w.name
            USING ERRCODE = '22023', HINT = 'It goes with its user.';
    END IF;
    PERFORM authz._require(workspace_id, 'workspace.delete');
    DELETE FROM authz.workspaces x WHERE x.id = workspace_id;
END
$$;
COMMENT ON FUNCTION authz.delete_workspace(uuid) IS
    'Delete a workspace with its participants and projects, irreversibly (owners only; refused while it holds credits; the audit log keeps its history)';

-- ---- who may join a workspace ---------------------------------------------

-- Before adding a participant or project member: the org's collaborator
-- policy and participant limit. A workspace's seats are its unexpired
-- participants (users and teams) and the users who hold an unexpired role in
-- one of its projects without participating ("Collaborators count toward the
-- total number of workspace participants"); a user who holds a seat already
-- takes no new one. The dummy update queues concurrent additions to one
-- workspace, as in _assert_workspace_owner, so two sessions cannot both take
-- the last seat.
CREATE FUNCTION authz._check_capacity(workspace_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o authz.orgs;
    n bigint;
BEGIN
    SELECT x.* INTO o FROM authz.orgs x JOIN authz.workspaces w ON w.org_id = x.id
     WHERE w.id = _check_capacity.workspace_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF user_id IS NOT NULL AND NOT o.allow_collaborators
       AND NOT EXISTS (SELECT 1 FROM authz.org_members m WHERE m.org_id = o.id AND m.user_id = _check_capacity.user_id) THEN
        RAISE EXCEPTION 'organization "%" does not allow collaborators from outside it', authz._org_label(o.id)
            USING ERRCODE = '42501', HINT = 'Add the user to the organization first.';
    END IF;
    IF o.max_participants IS NOT NULL THEN
        UPDATE authz.workspaces w SET id = w.id WHERE w.id = _check_capacity.workspace_id;
        IF user_id IS NOT NULL AND (
               EXISTS (SELECT 1 FROM authz.participants p
                        WHERE p.workspace_id = _check_capacity.workspace_id AND p.user_id = _check_capacity.user_id
                          AND (p.expires_at IS NULL OR p.expires_at > now()))
            OR EXISTS (SELECT 1 FROM authz.project_members pm JOIN authz.projects pr ON pr.id = pm.project_id
                        WHERE pr.workspace_id = _check_capacity.workspace_id AND pm.user_id = _check_capacity.user_id
                          AND (pm.expires_at IS NULL OR pm.expires_at > now()))) THEN
            RETURN;     -- holds a seat already
        END IF;
        SELECT (SELECT count(*) FROM authz.participants p
                 WHERE p.workspace_id = _check_capacity.workspace_id
                   AND (p.expires_at IS NULL OR p.expires_at > now()))
             + (SELECT count(DISTINCT pm.user_id) FROM authz.project_members pm
                  JOIN authz.projects pr ON pr.id = pm.project_id
                 WHERE pr.workspace_id = _check_capacity.workspace_id
                   AND (pm.expires_at IS NULL OR pm.expires_at > now())
                   AND NOT EXISTS (SELECT 1 FROM authz.participants p
                                    WHERE p.workspace_id = _check_capacity.workspace_id AND p.user_id = pm.user_id
                                      AND (p.expires_at IS NULL OR p.expires_at > now())))
          INTO n;
        IF n >= o.max_participants THEN
            RAISE EXCEPTION 'workspace "%" has reached its limit of % participants',
                authz._workspace_label(workspace_id), o.max_participants
                USING ERRCODE = '23514',
                      HINT = 'Remove a participant or project-only member, or raise the organization''s max_participants.';
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION authz._check_capacity(uuid, uuid) IS
    'Internal: refuse a new participant or project member beyond the org''s limit (project-only members count) or from outside an org that allows no collaborators (serialises concurrent additions)';
-- ---------------------------------------------------------------------------
-- Projects (Label Studio): units inside a workspace with members of their
-- own. A user's permissions in a project are their workspace permissions
-- plus the role they hold in the project; project-only members see the
-- project, not the workspace.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz.can_project(project_id uuid, permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'checks_can_project' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1
    SUPPORT authz._can_support;
COMMENT ON FUNCTION authz.can_project(uuid, text) IS
    'Does the current user hold the permission in the project (workspace permissions plus the project role)?';

CREATE FUNCTION authz.project_array(permission text) RETURNS uuid[]
    AS 'MODULE_PATHNAME', 'checks_project_array' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.project_array(text) IS
    'Every project where the current user holds the permission, as an array (what authz.can_project answers true for)';

CREATE FUNCTION authz.role_in_project(project_id uuid) RETURNS text
    AS 'MODULE_PATHNAME', 'checks_project_role_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION authz.role_in_project(uuid) IS
    'The current user''s effective role in the project (the higher of the workspace and project roles), or NULL';

CREATE FUNCTION authz._project(project_id uuid) RETURNS authz.projects
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p authz.projects;
BEGIN
    PERFORM authz._check_id('project_id', project_id);
    SELECT * INTO p FROM authz.projects x WHERE x.id = project_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'project "%" does not exist', project_id USING ERRCODE = '42704';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION authz._project(uuid) IS 'Internal: a project row (42704 when unknown)';

CREATE FUNCTION authz.create_project(workspace_id uuid, name text, description text DEFAULT NULL)
    RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM authz._workspace(workspace_id);
    PERFORM authz._actor();
    PERFORM authz._check_text('project name', name, 63, '^[A-Za-z0-9][A-Za-z0-9 _.-]*$',
        'A project name is letters, digits, spaces, "_", "." and "-", starting with a letter or digit.');
    IF description IS NOT NULL THEN
        PERFORM authz._check_text('description', description, 10000);
    END IF;
    PERFORM authz._require(workspace_id, 'content.create');
    IF EXISTS (SELECT 1 FROM authz.projects p
                WHERE p.workspace_id = create_project.workspace_id AND p.name = create_project.name) THEN
        RAISE EXCEPTION 'project "%" already exists in workspace "%"', name, authz._workspace_label(workspace_id)
            USING ERRCODE = '23505';
    END IF;
    INSERT INTO authz.projects (workspace_id, name, description)
    VALUES (workspace_id, name, description) RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz.create_project(uuid, text, text) IS 'Create a project in a workspace (needs content.create there)';

CREATE FUNCTION authz.delete_project(project_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz._project(project_id);
BEGIN
    PERFORM authz._actor();
    PERFORM authz._require(p.workspace_id, 'content.delete');
    DELETE FROM authz.projects x WHERE x.id = p.id;
END
$$;
COMMENT ON FUNCTION authz.delete_project(uuid) IS 'Delete a project and its memberships (needs content.delete in its workspace)';

CREATE FUNCTION authz.add_project_member(project_id uuid, user_id uuid, role text,
                                         expires_at timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz._project(project_id);
    w authz.workspaces := authz._org_workspace(p.workspace_id);
    r authz.roles;
    current authz.roles;
BEGIN
    PERFORM authz._user(user_id);
    r := authz._role(w.org_id, role);
    PERFORM authz._check_expiry(expires_at, r);
    PERFORM authz._check_ranks(p.workspace_id, 'members.manage', NULL, r);
    -- an expired membership is gone for every purpose
    DELETE FROM authz.project_members pm
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id AND pm.expires_at <= now();
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = add_project_member.user_id;
    IF FOUND THEN
        -- changing someone's project role: nobody ranked above the actor
        IF current.rank > authz._rank(authz._actor(), p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz._user_label(user_id), current.name, authz._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    ELSE
        -- a new project member: the collaborator policy, and a seat in the
        -- workspace unless they hold one already
        PERFORM authz._check_capacity(p.workspace_id, user_id);
    END IF;
    INSERT INTO authz.project_members (project_id, user_id, role_id, expires_at)
    VALUES (p.id, user_id, r.id, expires_at)
    ON CONFLICT ON CONSTRAINT project_members_pkey
    DO UPDATE SET role_id = EXCLUDED.role_id, expires_at = EXCLUDED.expires_at;
END
$$;
COMMENT ON FUNCTION authz.add_project_member(uuid, uuid, text, timestamptz) IS
    'Give a user a role in a project, until expires_at when given (or change it; needs members.manage in the workspace; a project-only member takes a seat of the workspace''s participant limit)';

CREATE FUNCTION authz.remove_project_member(project_id uuid, user_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    p authz.projects := authz._project(project_id);
    actor uuid := authz._actor();
    current authz.roles;
BEGIN
    PERFORM authz._user(user_id);
    SELECT x.* INTO current FROM authz.project_members pm JOIN authz.roles x ON x.id = pm.role_id
     WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id
       AND (pm.expires_at IS NULL OR pm.expires_at > now());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user "%" is not a member of project "%"', authz._user_label(user_id), p.name
            USING ERRCODE = '42704';
    END IF;
    IF user_id <> actor THEN
        PERFORM authz._check_ranks(p.workspace_id, 'members.manage', NULL, NULL);
        IF current.rank > authz._rank(actor, p.workspace_id) THEN
            RAISE EXCEPTION 'cannot change user "%" (project role "%") who ranks above you in workspace "%"',
                authz._user_label(user_id), current.name, authz._workspace_label(p.workspace_id)
                USING ERRCODE = '42501';
        END IF;
    END IF;
    DELETE FROM authz.project_members pm WHERE pm.project_id = p.id AND pm.user_id = remove_project_member.user_id;
END
$$;
COMMENT ON FUNCTION authz.remove_project_member(uuid, uuid) IS
    'Remove a user from a project (needs members.manage in the workspace; anyone may leave)';

ALTER TABLE authz.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.projects FOR SELECT
    USING (authz.can(workspace_id, 'workspace.view') OR authz.role_in_project(id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.projects IS 'Projects of workspaces you may view, and projects you are a member of';
ALTER TABLE authz.project_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.project_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can_project(project_id, 'members.view'));
COMMENT ON POLICY visible ON authz.project_members IS 'Your project memberships, and the members of projects where you see members';
GRANT SELECT ON authz.projects, authz.project_members TO PUBLIC;
-- ---------------------------------------------------------------------------
-- Invitations: one-time tokens, random, stored only as their SHA-256,
-- expiring (7 days by default), matched to the invitee's email regardless of
-- case. The offered role is checked against the inviter's rank when inviting,
-- which the invitation keeps (inviter_rank: their rank in the workspace, or
-- for an organization invitation their org-wide limit, the highest org-wide
-- workspace role they may give); acceptance applies the role only while it
-- still ranks within that.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz._random_token() RETURNS text
    AS 'MODULE_PATHNAME', 'tokens_random' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION authz._random_token() IS 'Internal: 32 random bytes from the operating system, as 64 hex digits';

CREATE FUNCTION authz._token_hash(token text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT sha256(convert_to(token, 'UTF8')) $$;
COMMENT ON FUNCTION authz._token_hash(text) IS 'Internal: how invitation tokens are stored';

CREATE FUNCTION authz._check_validity(expires_in interval) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF expires_in IS NULL THEN
        RAISE EXCEPTION 'expires_in must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF expires_in <= interval '0' OR expires_in > interval '90 days' THEN
        RAISE EXCEPTION 'an invitation lasts more than nothing and at most 90 days, not %', expires_in
            USING ERRCODE = '22023';
    END IF;
    RETURN now() + expires_in;
END
$$;
COMMENT ON FUNCTION authz._check_validity(interval) IS 'Internal: when an invitation expires (22004, 22023)';

CREATE FUNCTION authz._check_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
                             'An email address looks like name@example.com.')
$$;
COMMENT ON FUNCTION authz._check_email(text) IS 'Internal: validate an email address (22004, 22023)';

CREATE FUNCTION authz.invite(workspace_id uuid, email text, role text DEFAULT 'member',
                             expires_in interval DEFAULT '7 days')
    RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._org_workspace(workspace_id);
    actor uuid := authz._actor();
    r authz.roles := authz._role(w.org_id, role);
    token text := authz._random_token();
BEGIN
    PERFORM authz._check_email(email);
    PERFORM authz._check_ranks(workspace_id, 'members.manage', NULL, r);
    INSERT INTO authz.invitations (token_hash, org_id, workspace_id, email, role_id, inviter_id, inviter_rank, expires_at)
    VALUES (authz._token_hash(token), w.org_id, workspace_id, email, r.id, actor,
            authz._rank(actor, workspace_id), authz._check_validity(expires_in));
    RETURN token;
END
$$;
COMMENT ON FUNCTION authz.invite(uuid, text, text, interval) IS
    'Invite an email address to a workspace with a role (needs members.manage; rank rules); returns the one-time token, which is not stored';

CREATE FUNCTION authz.invite_to_org(org_id uuid, email text, role text DEFAULT 'member',
                                    workspace_role text DEFAULT NULL, expires_in interval DEFAULT '7 days')
    RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz._org(org_id);
    actor uuid := authz._actor();
    wr authz.roles;
    token text := authz._random_token();
BEGIN
    PERFORM authz._check_email(email);
    PERFORM authz._check_org_role(role);
    PERFORM authz._check_org_ranks(org_id, NULL, role);
    wr := authz._org_wide_role(org_id, role, workspace_role);
    INSERT INTO authz.invitations (token_hash, org_id, email, org_role, role_id, inviter_id, inviter_rank, expires_at)
    VALUES (authz._token_hash(token), org_id, email, role, wr.id, actor,
            coalesce(authz._org_wide_limit(org_id), 0), authz._check_validity(expires_in));
    RETURN token;
END
$$;
COMMENT ON FUNCTION authz.invite_to_org(uuid, text, text, text, interval) IS
    'Invite an email address to an organization with an org role and an optional org-wide workspace role (needs org.members.manage); returns the one-time token';

CREATE FUNCTION authz.accept_invitation(token text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    u authz.users := authz._user(actor);
    i authz.invitations;
    r authz.roles;
    have authz.roles;
    m authz.org_members;
    new_role text;
    new_wr uuid;
BEGIN
    IF token IS NULL THEN
        RAISE EXCEPTION 'token must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- The lock makes a second acceptance of the same token wait, then see it used.
    SELECT * INTO i FROM authz.invitations x WHERE x.token_hash = authz._token_hash(token) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invitation not found'
            USING ERRCODE = '42704', HINT = 'Check the link; ask for a new invitation if it still fails.';
    END IF;
    IF i.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation was revoked' USING ERRCODE = '55000';
    END IF;
    IF i.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation was already used' USING ERRCODE = '55000';
    END IF;
    IF i.expires_at <= now() THEN
        RAISE EXCEPTION 'invitation expired at %', i.expires_at
            USING ERRCODE = '55000', HINT = 'Ask for a new invitation.';
    END IF;
    IF lower(i.email) <> lower(u.email) THEN
        RAISE EXCEPTION 'invitation was sent to another email address'
            USING ERRCODE = '42501', HINT = 'Sign in as the user it was sent to.';
    END IF;

    -- The offered role as it is now: within the inviter's rank when they invited.
    SELECT * INTO r FROM authz.roles x WHERE x.id = i.role_id;
    IF NOT FOUND AND i.workspace_id IS NOT NULL THEN
        RAISE EXCEPTION 'the role this invitation offered no longer exists' USING ERRCODE = '55000';
    END IF;
    IF r.rank > i.inviter_rank THEN
        RAISE EXCEPTION 'invitation offers role "%" (now rank %), above its inviter''s rank (%) when it was sent',
            r.name, r.rank, i.inviter_rank
            USING ERRCODE = '55000', HINT = 'The role was raised since: ask for a new invitation.';
    END IF;

    IF i.workspace_id IS NULL THEN
        -- Organization invitation: join, or keep the higher of the two org roles
        -- and of the two org-wide workspace roles.
        SELECT x.* INTO m FROM authz.org_members x WHERE x.org_id = i.org_id AND x.user_id = actor;
        IF NOT FOUND THEN
            -- like add_org_member: the org's default org-wide role unless one was offered
            INSERT INTO authz.org_members (org_id, user_id, role, workspace_role)
            SELECT i.org_id, actor, i.org_role,
                   CASE WHEN i.org_role = 'guest' THEN NULL ELSE coalesce(i.role_id, o.member_workspace_role) END
              FROM authz.orgs o WHERE o.id = i.org_id;
        ELSE
            new_role := CASE WHEN authz._org_rank(i.org_role) > authz._org_rank(m.role) THEN i.org_role ELSE m.role END;
            new_wr := CASE
                WHEN new_role = 'guest' THEN NULL
                -- a guest made a member: as set_org_role, the org's default unless one was offered
                WHEN m.role = 'guest' THEN coalesce(i.role_id, (SELECT o.member_workspace_role FROM authz.orgs o
                                                                 WHERE o.id = i.org_id))
                WHEN r.rank > coalesce((SELECT x.rank FROM authz.roles x WHERE x.id = m.workspace_role), 0) THEN r.id
                ELSE m.workspace_role END;
            IF new_role <> m.role OR new_wr IS DISTINCT FROM m.workspace_role THEN
                UPDATE authz.org_members x SET role = new_role, workspace_role = new_wr
                 WHERE x.org_id = i.org_id AND x.user_id = actor;
            END IF;
        END IF;
    ELSE
        -- Workspace invitation: participate, or keep the higher of the two roles.
        PERFORM authz._purge_expired(i.workspace_id, actor);
        SELECT x.* INTO have FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
         WHERE p.workspace_id = i.workspace_id AND p.user_id = actor;
        IF NOT FOUND THEN
            PERFORM authz._check_capacity(i.workspace_id, actor);
            INSERT INTO authz.participants (workspace_id, user_id, role_id) VALUES (i.workspace_id, actor, r.id);
        ELSIF r.rank > have.rank THEN
            UPDATE authz.participants p SET role_id = r.id, expires_at = NULL
             WHERE p.workspace_id = i.workspace_id AND p.user_id = actor;
        END IF;
    END IF;
    UPDATE authz.invitations x SET accepted_at = now(), accepted_by = actor WHERE x.id = i.id;
    RETURN coalesce(i.workspace_id, i.org_id);
END
$$;
COMMENT ON FUNCTION authz.accept_invitation(text) IS
    'Accept an invitation sent to the current user''s email: join the workspace or organization with the offered roles (each kept if already higher; refused with 55000 if the offered role now ranks above the inviter''s rank when inviting); returns its id';

CREATE FUNCTION authz.revoke_invitation(invitation_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz._actor();
    i authz.invitations;
BEGIN
    PERFORM authz._check_id('invitation_id', invitation_id);
    SELECT * INTO i FROM authz.invitations x WHERE x.id = invitation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invitation "%" does not exist', invitation_id USING ERRCODE = '42704';
    END IF;
    IF i.inviter_id <> actor THEN
        IF i.workspace_id IS NULL THEN
            PERFORM authz._require_org(i.org_id, 'org.members.manage');
        ELSE
            PERFORM authz._require(i.workspace_id, 'members.manage');
        END IF;
    END IF;
    IF i.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation "%" was already accepted', invitation_id USING ERRCODE = '55000';
    END IF;
    IF i.revoked_at IS NULL THEN
        UPDATE authz.invitations x SET revoked_at = now(), revoked_by = actor WHERE x.id = i.id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.revoke_invitation(uuid) IS
    'Revoke a pending invitation (its inviter, or whoever manages the members it would join)';

CREATE FUNCTION authz.pending_invitations(org_id uuid DEFAULT NULL, workspace_id uuid DEFAULT NULL)
    RETURNS TABLE (invitation_id uuid, org_id uuid, workspace_id uuid, email text, role text,
                   inviter text, created_at timestamptz, expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT i.id, i.org_id, i.workspace_id, i.email, coalesce(i.org_role, r.name), u.handle, i.created_at, i.expires_at
      FROM authz.invitations i
      LEFT JOIN authz.roles r ON r.id = i.role_id
      JOIN authz.users u ON u.id = i.inviter_id
     WHERE i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
       AND (pending_invitations.org_id IS NULL OR i.org_id = pending_invitations.org_id)
       AND (pending_invitations.workspace_id IS NULL OR i.workspace_id = pending_invitations.workspace_id)
       AND (i.inviter_id = authz.current_user_id()
            OR CASE WHEN i.workspace_id IS NULL THEN authz.can_org(i.org_id, 'org.members.manage')
                    ELSE authz.can(i.workspace_id, 'members.manage') END)
     ORDER BY i.created_at, i.id
$$;
COMMENT ON FUNCTION authz.pending_invitations(uuid, uuid) IS
    'Invitations neither accepted, revoked nor expired that the current user sent or may manage (optionally of one org or workspace)';

ALTER TABLE authz.invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.invitations FOR SELECT
    USING (inviter_id = authz.current_user_id()
           OR CASE WHEN workspace_id IS NULL THEN authz.can_org(org_id, 'org.members.manage')
                   ELSE authz.can(workspace_id, 'members.manage') END);
COMMENT ON POLICY visible ON authz.invitations IS 'Invitations you sent or whose members you manage';
-- Token hashes are for accept_invitation alone.
GRANT SELECT (id, org_id, workspace_id, email, org_role, role_id, inviter_id, inviter_rank, created_at,
              expires_at, accepted_at, accepted_by, revoked_at, revoked_by)
    ON authz.invitations TO PUBLIC;
-- ---------------------------------------------------------------------------
-- Presets: configure an organization so it behaves as one of the source
-- products describes (SPEC 7). Applying a preset again is harmless.
-- ---------------------------------------------------------------------------

-- Create or update a custom role of the organization (presets only).
CREATE FUNCTION authz._preset_role(org_id uuid, name text, rank integer, permissions text[],
                                   description text, projects_only boolean DEFAULT false) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    role_id uuid;
BEGIN
    SELECT r.id INTO role_id FROM authz.roles r WHERE r.org_id = _preset_role.org_id AND r.name = _preset_role.name;
    IF role_id IS NULL THEN
        INSERT INTO authz.roles (org_id, name, rank, description, projects_only)
        VALUES (org_id, name, rank, description, projects_only) RETURNING id INTO role_id;
    ELSE
        UPDATE authz.roles r SET rank = _preset_role.rank, description = _preset_role.description,
               projects_only = _preset_role.projects_only
         WHERE r.id = role_id;
    END IF;
    PERFORM authz._set_role_permissions(role_id, permissions);
    RETURN role_id;
END
$$;
COMMENT ON FUNCTION authz._preset_role(uuid, text, integer, text[], text, boolean) IS 'Internal: create or update a preset''s custom role';

CREATE FUNCTION authz._builtin_role(name text) RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT r.id FROM authz.roles r WHERE r.org_id IS NULL AND r.name = _builtin_role.name $$;
COMMENT ON FUNCTION authz._builtin_role(text) IS 'Internal: the id of a built-in role';

CREATE FUNCTION authz.apply_preset(org_id uuid, preset text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    o authz.orgs := authz._org(org_id);
    actor uuid := authz._actor();
    owner_role uuid := authz._builtin_role('owner');
    launch uuid;
    manager uuid;
    editor uuid;
BEGIN
    PERFORM authz._check_choice('preset', preset, '{latch,seqera,labstep,label_studio}');
    -- A preset can raise what org members and admins get: owners only.
    IF authz._org_role_of(org_id, actor) IS DISTINCT FROM 'owner' THEN
        RAISE EXCEPTION 'only owners of organization "%" may apply a preset', authz._org_label(org_id)
            USING ERRCODE = '42501';
    END IF;

    IF preset = 'latch' THEN
        -- "All members of an Organization automatically have Owner permissions for
        -- all its child workspaces"; a member may be set to Viewer or Admin instead.
        UPDATE authz.orgs x SET admin_workspace_role = owner_role, member_workspace_role = owner_role,
               members_can_create_workspaces = false
         WHERE x.id = org_id;
        UPDATE authz.org_members m SET workspace_role = owner_role
         WHERE m.org_id = apply_preset.org_id AND m.role <> 'guest' AND m.workspace_role IS NULL;

    ELSIF preset = 'seqera' THEN
        -- Participant roles Owner, Admin, Maintain, Launch, Connect, View.
        PERFORM authz._preset_role(org_id, 'maintain', 60,
            '{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Seqera Maintain: launch and edit pipelines, compute environments and data');
        launch := authz._preset_role(org_id, 'launch', 30,
            '{workspace.view,members.view,content.read,content.create,run.execute}',
            'Seqera Launch: launch pipelines and see their runs');
        PERFORM authz._preset_role(org_id, 'connect', 20,
            '{workspace.view,members.view,content.read,run.execute}',
            'Seqera Connect: use running Studio sessions');
        PERFORM authz._preset_role(org_id, 'view', 10,
            '{workspace.view,members.view,content.read}',
            'Seqera View: read-only access to pipelines and runs');
        -- Organization owners manage every workspace; shared workspaces let every
        -- member launch their pipelines.
        UPDATE authz.orgs x SET admin_workspace_role = owner_role, member_workspace_role = NULL,
               members_can_create_workspaces = false, default_shared_role = launch
         WHERE x.id = org_id;
        UPDATE authz.workspaces w SET shared_role = launch WHERE w.org_id = apply_preset.org_id;
        -- "CPU time: 1 CPU/Hr = 0.1 credits", "Memory: 1 GiB/Hr = 0.025", "Storage: 1 GB = 0.025 per month"
        INSERT INTO authz.rate_cards AS rc (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
        VALUES (org_id, '0.1', '0.025', '0.025')
        ON CONFLICT ON CONSTRAINT rate_cards_pkey DO UPDATE
           SET cpu_hour = EXCLUDED.cpu_hour, memory_gib_hour = EXCLUDED.memory_gib_hour,
               storage_gb_month = EXCLUDED.storage_gb_month, updated_at = now();

    ELSIF preset = 'labstep' THEN
        -- Workspace roles Owner, Editor, Viewer; the org role does not define
        -- content permissions: org admins manage workspaces and their members only.
        editor := authz._preset_role(org_id, 'editor', 40,
            '{workspace.view,members.view,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Labstep Editor: create, edit, delete and share content; not members or settings');
        -- "Admins have full control ... including ... creating and deleting
        -- workspaces": org_admin is the one role besides owner with workspace.delete.
        manager := authz._preset_role(org_id, 'org_admin', 90,
            '{workspace.view,workspace.update,workspace.delete,members.view,members.manage}',
            'Labstep organisation Admin in every workspace: settings and members, not content');
        UPDATE authz.orgs x SET admin_workspace_role = manager, member_workspace_role = NULL,
               default_join_role = editor
         WHERE x.id = org_id;
        UPDATE authz.workspaces w SET join_role = editor WHERE w.org_id = apply_preset.org_id;

    ELSE
        -- Label Studio: Owner and Administrator are the org owner and admin roles;
        -- Manager is a workspace and project role; Reviewer and Annotator are
        -- project roles: "Annotators and reviewers can only see projects, not
        -- workspaces", also when they hold the role org-wide.
        PERFORM authz._preset_role(org_id, 'manager', 60,
            '{workspace.view,members.view,members.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}',
            'Label Studio Manager: set up projects and assign annotators and reviewers');
        PERFORM authz._preset_role(org_id, 'reviewer', 30, '{content.read,content.update}',
            'Label Studio Reviewer: review annotations in their projects', true);
        PERFORM authz._preset_role(org_id, 'annotator', 20, '{content.read,content.create}',
            'Label Studio Annotator: annotate tasks in their projects', true);
        UPDATE authz.orgs x SET admin_workspace_role = authz._builtin_role('admin'), member_workspace_role = NULL,
               members_can_create_workspaces = false
         WHERE x.id = org_id;
    END IF;
END
$$;
COMMENT ON FUNCTION authz.apply_preset(uuid, text) IS
    'Configure an organization as latch, seqera, labstep or label_studio describe (settings, custom roles, defaults); org owners only; idempotent';
-- ---------------------------------------------------------------------------
-- Who may read the model. Application roles read the tables through RLS, as
-- far as the current user may see; nobody but the extension's functions
-- writes them. (Superusers and the extension owner bypass RLS.)
-- ---------------------------------------------------------------------------

GRANT USAGE ON SCHEMA authz TO PUBLIC;

-- Visibility helpers for the policies: they read the tables as the owner.
CREATE FUNCTION authz._visible_user(user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT user_id = authz.current_user_id()
        OR EXISTS (SELECT 1 FROM authz.org_members m
                    WHERE m.user_id = _visible_user.user_id AND authz.can_org(m.org_id, 'org.members.view'))
        OR EXISTS (SELECT 1 FROM authz.participants p
                    WHERE p.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                     JOIN authz.participants p ON p.team_id = tm.team_id
                    WHERE tm.user_id = _visible_user.user_id AND authz.can(p.workspace_id, 'members.view'))
$$;
COMMENT ON FUNCTION authz._visible_user(uuid) IS
    'Policy helper: the current user, members of orgs where they see members, participants of workspaces where they see members';

CREATE FUNCTION authz._visible_team(team_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz.can_org(t.org_id, 'org.members.view')
        OR EXISTS (SELECT 1 FROM authz.team_members tm
                    WHERE tm.team_id = t.id AND tm.user_id = authz.current_user_id())
      FROM authz.teams t WHERE t.id = _visible_team.team_id
$$;
COMMENT ON FUNCTION authz._visible_team(uuid) IS
    'Policy helper: teams of orgs where the current user sees members, and the user''s own teams';

CREATE FUNCTION authz._visible_role(role_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.org_id IS NULL OR authz.org_role(r.org_id) IS NOT NULL
      FROM authz.roles r WHERE r.id = _visible_role.role_id
$$;
COMMENT ON FUNCTION authz._visible_role(uuid) IS
    'Policy helper: built-in roles and the custom roles of the current user''s organizations';

ALTER TABLE authz.permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.permissions FOR SELECT USING (true);
COMMENT ON POLICY visible ON authz.permissions IS 'Everyone sees the registered permissions';

ALTER TABLE authz.org_role_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.org_role_permissions FOR SELECT USING (true);
COMMENT ON POLICY visible ON authz.org_role_permissions IS 'Everyone sees what org roles allow';

ALTER TABLE authz.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.users FOR SELECT USING (authz._visible_user(id));
COMMENT ON POLICY visible ON authz.users IS
    'Yourself, members of organizations where you see members, participants of workspaces where you see members';

ALTER TABLE authz.orgs ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.orgs FOR SELECT USING (authz.org_role(id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.orgs IS 'Organizations you belong to';

ALTER TABLE authz.roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.roles FOR SELECT USING (org_id IS NULL OR authz.org_role(org_id) IS NOT NULL);
COMMENT ON POLICY visible ON authz.roles IS 'Built-in roles and the custom roles of your organizations';

ALTER TABLE authz.role_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.role_permissions FOR SELECT USING (authz._visible_role(role_id));
COMMENT ON POLICY visible ON authz.role_permissions IS 'Permissions of the roles you see';

ALTER TABLE authz.org_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.org_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can_org(org_id, 'org.members.view'));
COMMENT ON POLICY visible ON authz.org_members IS 'Your memberships, and the members of organizations where you see members';

ALTER TABLE authz.workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.workspaces FOR SELECT
    USING (authz.can(id, 'workspace.view') OR authz.can_org(org_id, 'org.workspaces.list'));
COMMENT ON POLICY visible ON authz.workspaces IS
    'Workspaces you may view, and the workspace list of organizations where you may list them (not guests)';

ALTER TABLE authz.teams ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.teams FOR SELECT USING (authz._visible_team(id));
COMMENT ON POLICY visible ON authz.teams IS 'Teams of organizations where you see members, and your own teams';

ALTER TABLE authz.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.team_members FOR SELECT
    USING (user_id = authz.current_user_id() OR authz._visible_team(team_id));
COMMENT ON POLICY visible ON authz.team_members IS 'Members of the teams you see';

ALTER TABLE authz.participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.participants FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can(workspace_id, 'members.view'));
COMMENT ON POLICY visible ON authz.participants IS 'Your participations, and the participants of workspaces where you see members';

ALTER TABLE authz.participant_permissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.participant_permissions FOR SELECT
    USING (user_id = authz.current_user_id() OR authz.can(workspace_id, 'members.view'));
COMMENT ON POLICY visible ON authz.participant_permissions IS 'Grants and denies of the participants you see';

GRANT SELECT ON authz.permissions, authz.org_role_permissions, authz.users, authz.orgs, authz.roles,
    authz.role_permissions, authz.org_members, authz.workspaces, authz.teams, authz.team_members,
    authz.participants, authz.participant_permissions TO PUBLIC;
-- ---------------------------------------------------------------------------
-- RLS for application tables keyed by workspace
-- ---------------------------------------------------------------------------

-- Drop the policies authz.protect creates, those that exist.
CREATE FUNCTION authz._drop_policies(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p name;
BEGIN
    FOR p IN SELECT x.polname FROM pg_policy x
              WHERE x.polrelid = tbl
                AND x.polname IN ('authz_select', 'authz_insert', 'authz_update', 'authz_delete')
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', p, tbl);
    END LOOP;
END
$$;
COMMENT ON FUNCTION authz._drop_policies(regclass) IS
    'Internal: drop the policies authz.protect created on a table (runs as the caller)';

CREATE FUNCTION authz.protect(tbl regclass, workspace_column name DEFAULT 'workspace_id',
                              read_permission text DEFAULT 'content.read',
                              write_permission text DEFAULT 'content.update',
                              insert_permission text DEFAULT 'content.create',
                              delete_permission text DEFAULT 'content.delete',
                              scope text DEFAULT 'workspace')
    RETURNS void LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    att record;
    p text;
    pscope text;
    kind "char";
    check_fn text;
BEGIN
    IF scope IS NULL OR scope NOT IN ('workspace', 'project') THEN
        RAISE EXCEPTION 'invalid scope: "%"', scope
            USING ERRCODE = '22023', HINT = 'Rows are keyed by a workspace or by a project.';
    END IF;
    check_fn := CASE scope WHEN 'workspace' THEN 'authz.can' ELSE 'authz.can_project' END;
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF workspace_column IS NULL THEN
        RAISE EXCEPTION 'workspace column must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    SELECT a.attnum, a.atttypid INTO att FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = workspace_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of relation "%" does not exist', workspace_column, tbl
            USING ERRCODE = '42703';
    END IF;
    IF att.atttypid <> 'uuid'::regtype THEN
        RAISE EXCEPTION 'column "%" of relation "%" must be of type uuid, not %',
            workspace_column, tbl, att.atttypid::regtype USING ERRCODE = '42804';
    END IF;
    FOREACH p IN ARRAY ARRAY[read_permission, write_permission, insert_permission, delete_permission] LOOP
        IF p IS NULL THEN
            RAISE EXCEPTION 'permissions must not be NULL' USING ERRCODE = '22004';
        END IF;
        SELECT x.scope INTO pscope FROM authz.permissions x WHERE x.name = p;
        IF pscope IS NULL THEN
            RAISE EXCEPTION 'permission "%" does not exist', p
                USING ERRCODE = '42704', HINT = 'Register it with authz.define_permission().';
        ELSIF pscope <> 'workspace' THEN
            RAISE EXCEPTION 'permission "%" is an org permission, not a workspace permission', p
                USING ERRCODE = '22023', HINT = 'Rows are protected with workspace permissions.';
        END IF;
    END LOOP;

    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    PERFORM authz._drop_policies(tbl);
    EXECUTE format('CREATE POLICY authz_select ON %s FOR SELECT USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, read_permission);
    EXECUTE format('CREATE POLICY authz_insert ON %s FOR INSERT WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, insert_permission);
    EXECUTE format('CREATE POLICY authz_update ON %s FOR UPDATE USING (%s(%I, %L)) WITH CHECK (%s(%I, %L))',
                   tbl, check_fn, workspace_column, write_permission, check_fn, workspace_column, write_permission);
    EXECUTE format('CREATE POLICY authz_delete ON %s FOR DELETE USING (%s(%I, %L))',
                   tbl, check_fn, workspace_column, delete_permission);
    EXECUTE format('COMMENT ON POLICY authz_select ON %s IS %L', tbl, 'workspace_authz: read needs ' || read_permission);
    EXECUTE format('COMMENT ON POLICY authz_insert ON %s IS %L', tbl, 'workspace_authz: insert needs ' || insert_permission);
    EXECUTE format('COMMENT ON POLICY authz_update ON %s IS %L', tbl, 'workspace_authz: update needs ' || write_permission);
    EXECUTE format('COMMENT ON POLICY authz_delete ON %s IS %L', tbl, 'workspace_authz: delete needs ' || delete_permission);

    IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = tbl AND i.indkey[0] = att.attnum) THEN
        RAISE NOTICE 'no index on "%" starts with column "%"', tbl, workspace_column
            USING HINT = format('CREATE INDEX ON %s (%I) lets selective queries use an index scan.',
                                tbl, workspace_column);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.protect(regclass, name, text, text, text, text, text) IS
    'Enable RLS on a table keyed by workspace (or, with scope => ''project'', by project), one policy per command checking authz.can (or authz.can_project); idempotent; table owner only';

CREATE FUNCTION authz.unprotect(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = '42809';
    END IF;
    PERFORM authz._drop_policies(tbl);
    IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = tbl) THEN
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
    END IF;
END
$$;
COMMENT ON FUNCTION authz.unprotect(regclass) IS
    'Drop the policies authz.protect created; RLS is disabled again unless other policies remain';
-- ---------------------------------------------------------------------------
-- authz.credits: an exact amount, a 64-bit count of millionths
-- ---------------------------------------------------------------------------

CREATE TYPE authz.credits;

CREATE FUNCTION authz.credits_in(cstring) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_out(authz.credits) RETURNS cstring
    AS 'MODULE_PATHNAME', 'credits_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_recv(internal) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_send(authz.credits) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credits_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE authz.credits (
    INPUT = authz.credits_in,
    OUTPUT = authz.credits_out,
    RECEIVE = authz.credits_recv,
    SEND = authz.credits_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain,
    CATEGORY = 'N'
);
COMMENT ON TYPE authz.credits IS
    'Exact amount of credits with 6 decimal places (-9223372036854.775808 to 9223372036854.775807), never floating point';
COMMENT ON FUNCTION authz.credits_in(cstring) IS
    'Text input of authz.credits: optional sign, digits, at most 6 significant decimal places';
COMMENT ON FUNCTION authz.credits_out(authz.credits) IS
    'Text output of authz.credits, shortest exact form (no trailing zeros)';
COMMENT ON FUNCTION authz.credits_recv(internal) IS
    'Binary input of authz.credits (version byte, then int64 millionths)';
COMMENT ON FUNCTION authz.credits_send(authz.credits) IS
    'Binary output of authz.credits (version byte, then int64 millionths)';

-- arithmetic
CREATE FUNCTION authz.credits_add(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_sub(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_neg(authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_neg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_mul(authz.credits, pg_catalog.numeric) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_mul(pg_catalog.numeric, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_mul_swapped' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.abs(authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_abs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION authz.credits_add(authz.credits, authz.credits) IS
    'Implementation of +: exact sum, error 22003 on overflow';
COMMENT ON FUNCTION authz.credits_sub(authz.credits, authz.credits) IS
    'Implementation of binary -: exact difference, error 22003 on overflow';
COMMENT ON FUNCTION authz.credits_neg(authz.credits) IS
    'Implementation of unary -: error 22003 for the minimum value, which has no opposite';
COMMENT ON FUNCTION authz.credits_mul(authz.credits, pg_catalog.numeric) IS
    'Implementation of credits * numeric: the exact product rounded once to 6 decimal places, halves away from zero (as round(x, 6)); error 22003 on overflow or a NaN/infinite factor';
COMMENT ON FUNCTION authz.credits_mul(pg_catalog.numeric, authz.credits) IS
    'Implementation of numeric * credits: the exact product rounded once to 6 decimal places, halves away from zero (as round(x, 6)); error 22003 on overflow or a NaN/infinite factor';
COMMENT ON FUNCTION authz.abs(authz.credits) IS
    'Absolute value of an amount of credits, error 22003 for the minimum value';

CREATE OPERATOR authz.+ (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_add,
    COMMUTATOR = OPERATOR(authz.+));
CREATE OPERATOR authz.- (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_sub);
CREATE OPERATOR authz.- (
    RIGHTARG = authz.credits, FUNCTION = authz.credits_neg);
CREATE OPERATOR authz.* (
    LEFTARG = authz.credits, RIGHTARG = pg_catalog.numeric, FUNCTION = authz.credits_mul,
    COMMUTATOR = OPERATOR(authz.*));
CREATE OPERATOR authz.* (
    LEFTARG = pg_catalog.numeric, RIGHTARG = authz.credits, FUNCTION = authz.credits_mul,
    COMMUTATOR = OPERATOR(authz.*));

-- comparison
CREATE FUNCTION authz.credits_eq(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_ne(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_lt(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_le(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_gt(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_ge(authz.credits, authz.credits) RETURNS boolean
    AS 'MODULE_PATHNAME', 'credits_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_cmp(authz.credits, authz.credits) RETURNS integer
    AS 'MODULE_PATHNAME', 'credits_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'credits_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_hash(authz.credits) RETURNS integer
    AS 'MODULE_PATHNAME', 'credits_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_hash_extended(authz.credits, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'credits_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_smaller(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION authz.credits_larger(authz.credits, authz.credits) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz.credits_eq(authz.credits, authz.credits) IS 'Implementation of =';
COMMENT ON FUNCTION authz.credits_ne(authz.credits, authz.credits) IS 'Implementation of <>';
COMMENT ON FUNCTION authz.credits_lt(authz.credits, authz.credits) IS 'Implementation of <';
COMMENT ON FUNCTION authz.credits_le(authz.credits, authz.credits) IS 'Implementation of <=';
COMMENT ON FUNCTION authz.credits_gt(authz.credits, authz.credits) IS 'Implementation of >';
COMMENT ON FUNCTION authz.credits_ge(authz.credits, authz.credits) IS 'Implementation of >=';
COMMENT ON FUNCTION authz.credits_cmp(authz.credits, authz.credits) IS 'Btree support: three-way comparison';
COMMENT ON FUNCTION authz.credits_sortsupport(internal) IS 'Btree support: fast comparator for sorting';
COMMENT ON FUNCTION authz.credits_hash(authz.credits) IS 'Hash support';
COMMENT ON FUNCTION authz.credits_hash_extended(authz.credits, bigint) IS 'Hash support, seeded';
COMMENT ON FUNCTION authz.credits_smaller(authz.credits, authz.credits) IS 'The smaller of two amounts (transition function of min)';
COMMENT ON FUNCTION authz.credits_larger(authz.credits, authz.credits) IS 'The larger of two amounts (transition function of max)';

CREATE OPERATOR authz.= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_eq,
    COMMUTATOR = OPERATOR(authz.=), NEGATOR = OPERATOR(authz.<>),
    RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
CREATE OPERATOR authz.<> (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_ne,
    COMMUTATOR = OPERATOR(authz.<>), NEGATOR = OPERATOR(authz.=),
    RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR authz.< (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_lt,
    COMMUTATOR = OPERATOR(authz.>), NEGATOR = OPERATOR(authz.>=),
    RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR authz.<= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_le,
    COMMUTATOR = OPERATOR(authz.>=), NEGATOR = OPERATOR(authz.>),
    RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR authz.> (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_gt,
    COMMUTATOR = OPERATOR(authz.<), NEGATOR = OPERATOR(authz.<=),
    RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR authz.>= (
    LEFTARG = authz.credits, RIGHTARG = authz.credits, FUNCTION = authz.credits_ge,
    COMMUTATOR = OPERATOR(authz.<=), NEGATOR = OPERATOR(authz.<),
    RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

-- Equality is equality of the stored int64, so btree deduplication is safe.
CREATE OPERATOR CLASS authz.credits_ops DEFAULT FOR TYPE authz.credits USING btree AS
    OPERATOR 1 authz.<,
    OPERATOR 2 authz.<=,
    OPERATOR 3 authz.=,
    OPERATOR 4 authz.>=,
    OPERATOR 5 authz.>,
    FUNCTION 1 authz.credits_cmp(authz.credits, authz.credits),
    FUNCTION 2 authz.credits_sortsupport(internal),
    FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS authz.credits_hash_ops DEFAULT FOR TYPE authz.credits USING hash AS
    OPERATOR 1 authz.=,
    FUNCTION 1 authz.credits_hash(authz.credits),
    FUNCTION 2 authz.credits_hash_extended(authz.credits, bigint);
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
CREATE FUNCTION authz.credits_sum_accum(internal, authz.credits) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz.credits_sum_retract(internal, authz.credits) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_retract' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz.credits_sum_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION authz.credits_sum_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'credits_sum_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_sum_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'credits_sum_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION authz.credits_sum_final(internal) RETURNS authz.credits
    AS 'MODULE_PATHNAME', 'credits_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION authz.credits_sum_accum(internal, authz.credits) IS
    'Transition function of sum(authz.credits): adds to an exact 128-bit total';
COMMENT ON FUNCTION authz.credits_sum_retract(internal, authz.credits) IS
    'Inverse transition function of sum(authz.credits), for moving window frames';
COMMENT ON FUNCTION authz.credits_sum_combine(internal, internal) IS
    'Combine function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz.credits_sum_serialize(internal) IS
    'Serialization function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz.credits_sum_deserialize(bytea, internal) IS
    'Deserialization function of sum(authz.credits), for parallel aggregation';
COMMENT ON FUNCTION authz.credits_sum_final(internal) IS
    'Final function of sum(authz.credits): NULL for no rows, error 22003 when the total does not fit';

CREATE AGGREGATE authz.sum(authz.credits) (
    SFUNC = authz.credits_sum_accum,
    STYPE = internal,
    SSPACE = 24,
    FINALFUNC = authz.credits_sum_final,
    COMBINEFUNC = authz.credits_sum_combine,
    SERIALFUNC = authz.credits_sum_serialize,
    DESERIALFUNC = authz.credits_sum_deserialize,
    MSFUNC = authz.credits_sum_accum,
    MINVFUNC = authz.credits_sum_retract,
    MSTYPE = internal,
    MSSPACE = 24,
    MFINALFUNC = authz.credits_sum_final,
    PARALLEL = SAFE
);
CREATE AGGREGATE authz.min(authz.credits) (
    SFUNC = authz.credits_smaller,
    STYPE = authz.credits,
    COMBINEFUNC = authz.credits_smaller,
    SORTOP = OPERATOR(authz.<),
    PARALLEL = SAFE
);
CREATE AGGREGATE authz.max(authz.credits) (
    SFUNC = authz.credits_larger,
    STYPE = authz.credits,
    COMBINEFUNC = authz.credits_larger,
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
CREATE FUNCTION authz.credits_to_numeric(authz.credits) RETURNS pg_catalog.numeric
    AS 'MODULE_PATHNAME', 'credits_to_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION authz.credits(pg_catalog.numeric) IS
    'Exact conversion from numeric: error 22003 for NaN, infinity, out of range, or more than 6 significant decimal places (round first)';
COMMENT ON FUNCTION authz.credits(integer) IS 'Exact conversion from integer';
COMMENT ON FUNCTION authz.credits(bigint) IS 'Exact conversion from bigint, error 22003 out of range';
COMMENT ON FUNCTION authz.credits_to_numeric(authz.credits) IS
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
    WITH FUNCTION authz.credits_to_numeric(authz.credits) AS ASSIGNMENT;
COMMENT ON CAST (pg_catalog.numeric AS authz.credits) IS 'Exact; refuses values it would have to round';
COMMENT ON CAST (integer AS authz.credits) IS 'Exact (on assignment or explicit)';
COMMENT ON CAST (bigint AS authz.credits) IS 'Exact (on assignment or explicit); error 22003 out of range';
COMMENT ON CAST (authz.credits AS pg_catalog.numeric) IS 'Exact';
-- ---------------------------------------------------------------------------
-- Credits: an account per workspace, an append-only ledger, top-ups,
-- transfers, usage charges at the organization's rate card (SPEC 5, 8).
--
-- Invariants: an account's balance always equals the sum of its ledger
-- entries (both change in the same statement of the same function); a
-- transfer is two entries (debit, credit) under one movement; transfers and
-- top-ups never make a balance negative, usage charges may; money-moving calls
-- are idempotent on their key within their tenant. Accounts are opened and
-- then locked in workspace-id order, so concurrent movements never deadlock.
-- ---------------------------------------------------------------------------

CREATE TABLE authz.credit_accounts (
    workspace_id uuid PRIMARY KEY REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    balance      authz.credits NOT NULL DEFAULT '0',
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.credit_accounts IS
    'The credit account of a workspace, opened at its first movement (none means 0); balance equals the sum of its ledger entries';
COMMENT ON COLUMN authz.credit_accounts.workspace_id IS 'Workspace';
COMMENT ON COLUMN authz.credit_accounts.balance IS 'Current balance (may be negative after usage charges only)';
COMMENT ON COLUMN authz.credit_accounts.updated_at IS 'Time of the last movement';

CREATE TABLE authz.rate_cards (
    org_id           uuid PRIMARY KEY REFERENCES authz.orgs (id) ON DELETE CASCADE,
    cpu_hour         authz.credits NOT NULL DEFAULT '0.1' CHECK (cpu_hour >= '0'),
    memory_gib_hour  authz.credits NOT NULL DEFAULT '0.025' CHECK (memory_gib_hour >= '0'),
    storage_gb_month authz.credits NOT NULL DEFAULT '0.025' CHECK (storage_gb_month >= '0'),
    updated_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE authz.rate_cards IS 'Usage prices of an organization (absent: the defaults 0.1 / 0.025 / 0.025)';
COMMENT ON COLUMN authz.rate_cards.org_id IS 'Organization';
COMMENT ON COLUMN authz.rate_cards.cpu_hour IS 'Credits per CPU-hour';
COMMENT ON COLUMN authz.rate_cards.memory_gib_hour IS 'Credits per GiB of memory per hour';
COMMENT ON COLUMN authz.rate_cards.storage_gb_month IS 'Credits per GB of storage per month';
COMMENT ON COLUMN authz.rate_cards.updated_at IS 'When the prices last changed';

CREATE TABLE authz.credit_movements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('topup', 'transfer', 'usage')),
    amount          authz.credits NOT NULL CHECK (amount >= '0'),
    from_workspace  uuid,
    to_workspace    uuid,
    memo            text,
    tenant_id       uuid NOT NULL,
    idempotency_key text,
    fingerprint     text NOT NULL,
    usage           jsonb,
    actor_id        uuid,
    login_role      name NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT credit_movements_key UNIQUE (tenant_id, idempotency_key),
    CHECK (kind <> 'transfer' OR (from_workspace IS NOT NULL AND to_workspace IS NOT NULL)),
    CHECK (kind <> 'topup' OR (from_workspace IS NULL AND to_workspace IS NOT NULL)),
    CHECK (kind <> 'usage' OR (from_workspace IS NOT NULL AND to_workspace IS NULL))
);
CREATE INDEX credit_movements_from_idx ON authz.credit_movements (from_workspace, created_at);
CREATE INDEX credit_movements_to_idx ON authz.credit_movements (to_workspace, created_at);
COMMENT ON TABLE authz.credit_movements IS 'One row per top-up, transfer or usage charge (append-only)';
COMMENT ON SEQUENCE authz.credit_movements_id_seq IS 'Identifiers of credit movements, in the order they were recorded';
COMMENT ON COLUMN authz.credit_movements.id IS 'Movement id, returned by the call that made it';
COMMENT ON COLUMN authz.credit_movements.kind IS 'topup (from outside), transfer (between workspaces of one org) or usage (consumed)';
COMMENT ON COLUMN authz.credit_movements.amount IS 'Amount moved (positive)';
COMMENT ON COLUMN authz.credit_movements.from_workspace IS 'Workspace debited (transfers, usage)';
COMMENT ON COLUMN authz.credit_movements.to_workspace IS 'Workspace credited (top-ups, transfers)';
COMMENT ON COLUMN authz.credit_movements.memo IS 'Free text from the caller';
COMMENT ON COLUMN authz.credit_movements.tenant_id IS
    'Tenant whose idempotency keys it shares: the organization of its workspaces, or the personal workspace itself';
COMMENT ON COLUMN authz.credit_movements.idempotency_key IS
    'Caller''s key, unique in the tenant: a retry with it returns this movement and moves nothing';
COMMENT ON COLUMN authz.credit_movements.fingerprint IS 'The arguments of the call, to refuse a key reused with others';
COMMENT ON COLUMN authz.credit_movements.usage IS 'For usage charges: quantities and rates applied';
COMMENT ON COLUMN authz.credit_movements.actor_id IS 'Current user who made it (NULL for a trusted role acting for the platform)';
COMMENT ON COLUMN authz.credit_movements.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.credit_movements.created_at IS 'When it was made';
COMMENT ON CONSTRAINT credit_movements_key ON authz.credit_movements IS
    'An idempotency key makes one movement per tenant (keys in other tenants are others; NULL keys never conflict)';

CREATE TABLE authz.credit_ledger (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    movement_id  bigint NOT NULL REFERENCES authz.credit_movements (id),
    workspace_id uuid NOT NULL,
    amount       authz.credits NOT NULL CHECK (amount <> '0'),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX credit_ledger_workspace_idx ON authz.credit_ledger (workspace_id, created_at);
CREATE INDEX credit_ledger_movement_idx ON authz.credit_ledger (movement_id);
COMMENT ON TABLE authz.credit_ledger IS
    'Append-only ledger entries: credits (positive) and debits (negative) of workspace accounts; a transfer is one of each';
COMMENT ON COLUMN authz.credit_ledger.id IS 'Entry id';
COMMENT ON SEQUENCE authz.credit_ledger_id_seq IS 'Identifiers of ledger entries, in the order they were written';
COMMENT ON COLUMN authz.credit_ledger.movement_id IS 'The movement this entry belongs to';
COMMENT ON COLUMN authz.credit_ledger.workspace_id IS 'Account (workspace) of the entry; kept after the workspace is deleted';
COMMENT ON COLUMN authz.credit_ledger.amount IS 'Signed amount: positive credits the account, negative debits it';
COMMENT ON COLUMN authz.credit_ledger.created_at IS 'When it was written';

-- The ledger and the movements are append-only, whoever tries otherwise.
CREATE FUNCTION authz._append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'authz.% is append-only', TG_TABLE_NAME
        USING ERRCODE = '42501', HINT = 'Correct a movement with a new one.';
END
$$;
COMMENT ON FUNCTION authz._append_only() IS 'Internal trigger: refuse UPDATE, DELETE and TRUNCATE on append-only tables';
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON authz.credit_ledger
    FOR EACH ROW EXECUTE FUNCTION authz._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.credit_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION authz._append_only();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON authz.credit_movements
    FOR EACH ROW EXECUTE FUNCTION authz._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.credit_movements
    FOR EACH STATEMENT EXECUTE FUNCTION authz._append_only();

-- A workspace holding credits cannot be deleted: move them out first.
CREATE FUNCTION authz._keep_funded_workspace() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    SELECT a.balance INTO b FROM authz.credit_accounts a WHERE a.workspace_id = OLD.id FOR UPDATE;
    IF b IS NOT NULL AND b OPERATOR(authz.<>) '0'::authz.credits THEN
        RAISE EXCEPTION 'workspace "%" still holds % credits', authz._workspace_label(OLD.id), b
            USING ERRCODE = '23514',
                  HINT = 'Transfer its credits to another workspace of the organization first.';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION authz._keep_funded_workspace() IS 'Internal trigger: refuse to delete a workspace whose balance is not zero';
CREATE TRIGGER keep_funded BEFORE DELETE ON authz.workspaces
    FOR EACH ROW EXECUTE FUNCTION authz._keep_funded_workspace();

-- ---- helpers --------------------------------------------------------------

-- Validate a money amount: present and positive.
CREATE FUNCTION authz._check_amount(amount authz.credits) RETURNS authz.credits
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    IF amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF amount <= '0' THEN
        RAISE EXCEPTION 'amount must be positive, not %', amount USING ERRCODE = '22023';
    END IF;
    RETURN amount;
END
$$;
COMMENT ON FUNCTION authz._check_amount(authz.credits) IS 'Internal: 22004 for NULL, 22023 unless positive';

-- The movement made earlier in a tenant with an idempotency key: the same
-- arguments return it; other arguments are refused, saying nothing of the
-- first call (its arguments are the billing system's, not the caller's).
CREATE FUNCTION authz._replay(tenant_id uuid, idempotency_key text, fingerprint text) RETURNS authz.credit_movements
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    m authz.credit_movements;
BEGIN
    SELECT * INTO m FROM authz.credit_movements x
     WHERE x.tenant_id = _replay.tenant_id AND x.idempotency_key = _replay.idempotency_key;
    IF FOUND AND m.fingerprint <> _replay.fingerprint THEN
        RAISE EXCEPTION 'idempotency key "%" was already used with other arguments', idempotency_key
            USING ERRCODE = '23505', HINT = 'Use a new key for a new movement.';
    END IF;
    RETURN m;
END
$$;
COMMENT ON FUNCTION authz._replay(uuid, text, text) IS
    'Internal: the movement already made in a tenant with an idempotency key (23505 when its arguments differ)';

-- Record a movement, first of all: its idempotency key makes a concurrent
-- call with the same key in the same tenant wait here until the first
-- commits, and then replay it, before looking at any balance. NULL: the key
-- was already used, and the caller returns that movement. A refusal later
-- rolls the movement back.
CREATE FUNCTION authz._record_movement(kind text, amount authz.credits, from_workspace uuid,
                                       to_workspace uuid, memo text, tenant_id uuid, idempotency_key text,
                                       fingerprint text, usage jsonb DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        PERFORM authz._check_text('idempotency key', idempotency_key, 255);
    END IF;
    INSERT INTO authz.credit_movements (kind, amount, from_workspace, to_workspace, memo, tenant_id,
                                        idempotency_key, fingerprint, usage, actor_id)
    VALUES (kind, amount, from_workspace, to_workspace, memo, tenant_id, idempotency_key, fingerprint, usage,
            authz.current_user_id())
    ON CONFLICT ON CONSTRAINT credit_movements_key DO NOTHING
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION authz._record_movement(text, authz.credits, uuid, uuid, text, uuid, text, text, jsonb) IS
    'Internal: insert a movement before any account is locked; NULL when its idempotency key was already used in its tenant';

-- Lock the accounts of one or two workspaces, opening any that does not
-- exist yet, and return the first one's balance. Each account is locked, or
-- opened and then locked, strictly in workspace-id order: a session only ever
-- waits for an account (its lock, or its opening by another session) above
-- every account it holds, so no two sessions can deadlock.
CREATE FUNCTION authz._lock_accounts(first uuid, second uuid DEFAULT NULL) RETURNS authz.credits
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w uuid;
    bal authz.credits;
    b authz.credits;
BEGIN
    FOREACH w IN ARRAY CASE WHEN second IS NULL THEN ARRAY[first]
                            WHEN first < second THEN ARRAY[first, second]
                            ELSE ARRAY[second, first] END
    LOOP
        SELECT x.balance INTO bal FROM authz.credit_accounts x WHERE x.workspace_id = w FOR UPDATE;
        IF NOT FOUND THEN
            -- an account is opened at its first movement
            INSERT INTO authz.credit_accounts (workspace_id) VALUES (w) ON CONFLICT DO NOTHING;
            SELECT x.balance INTO bal FROM authz.credit_accounts x WHERE x.workspace_id = w FOR UPDATE;
            IF NOT FOUND THEN
                PERFORM authz._workspace(w);    -- deleted meanwhile: 42704
                RAISE EXCEPTION 'credit account of workspace "%" is missing right after it was opened', w
                    USING ERRCODE = 'XX000';
            END IF;
        END IF;
        IF w = first THEN
            b := bal;
        END IF;
    END LOOP;
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz._lock_accounts(uuid, uuid) IS
    'Internal: lock one or two accounts in workspace-id order, opening each missing one just before locking it; returns the first balance';

-- ---- operations -----------------------------------------------------------

CREATE FUNCTION authz.add_credits(workspace_id uuid, amount authz.credits, memo text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    fp text;
    mid bigint;
BEGIN
    PERFORM authz._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz._check_text('memo', memo, 1000);
    END IF;
    fp := format('topup %s %s %s', workspace_id, amount, coalesce(memo, ''));
    mid := authz._record_movement('topup', amount, NULL, workspace_id, memo, tenant, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz._replay(tenant, idempotency_key, fp)).id;
    END IF;
    PERFORM authz._lock_accounts(workspace_id);
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, amount);
    UPDATE authz.credit_accounts a SET balance = a.balance + add_credits.amount, updated_at = now()
     WHERE a.workspace_id = add_credits.workspace_id;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) IS
    'Top up a workspace''s account (trusted roles: the billing system); returns the movement id; idempotent on its key';
REVOKE ALL ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.add_credits(uuid, authz.credits, text, text) TO workspace_authz_trusted;

CREATE FUNCTION authz.transfer_credits(from_workspace uuid, to_workspace uuid, amount authz.credits,
                                       memo text DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    src_org uuid;
    dst_org uuid;
    fp text;
    mid bigint;
    available authz.credits;
BEGIN
    PERFORM authz._check_id('from_workspace', from_workspace);
    PERFORM authz._check_id('to_workspace', to_workspace);
    PERFORM authz._check_amount(amount);
    IF memo IS NOT NULL THEN
        PERFORM authz._check_text('memo', memo, 1000);
    END IF;
    SELECT w.org_id INTO src_org FROM authz.workspaces w WHERE w.id = from_workspace;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workspace "%" does not exist', from_workspace USING ERRCODE = '42704';
    END IF;
    SELECT w.org_id INTO dst_org FROM authz.workspaces w WHERE w.id = to_workspace;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workspace "%" does not exist', to_workspace USING ERRCODE = '42704';
    END IF;
    IF from_workspace = to_workspace THEN
        RAISE EXCEPTION 'cannot transfer credits from workspace "%" to itself', authz._workspace_label(from_workspace)
            USING ERRCODE = '22023';
    END IF;
    IF src_org IS NULL OR dst_org IS DISTINCT FROM src_org THEN
        RAISE EXCEPTION 'workspaces "%" and "%" are not in the same organization',
            authz._workspace_label(from_workspace), authz._workspace_label(to_workspace)
            USING ERRCODE = '22023', HINT = 'Credits move between workspaces of one organization.';
    END IF;
    IF NOT authz.can_org(src_org, 'org.billing.manage') THEN
        PERFORM authz._actor();     -- names a missing or deactivated current user
        PERFORM authz._require_org(src_org, 'org.billing.manage');
    END IF;

    fp := format('transfer %s %s %s %s', from_workspace, to_workspace, amount, coalesce(memo, ''));
    mid := authz._record_movement('transfer', amount, from_workspace, to_workspace, memo, src_org, idempotency_key, fp);
    IF mid IS NULL THEN
        RETURN (authz._replay(src_org, idempotency_key, fp)).id;
    END IF;
    available := authz._lock_accounts(from_workspace, to_workspace);
    IF available IS NULL OR available < amount THEN
        RAISE EXCEPTION 'insufficient credits in workspace "%": balance %, transfer %',
            authz._workspace_label(from_workspace), available, amount
            USING ERRCODE = '23514', HINT = 'Top the workspace up, or transfer less.';
    END IF;
    INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount)
    VALUES (mid, from_workspace, -amount), (mid, to_workspace, amount);
    UPDATE authz.credit_accounts a
       SET balance = a.balance + CASE WHEN a.workspace_id = from_workspace THEN -amount ELSE amount END,
           updated_at = now()
     WHERE a.workspace_id IN (from_workspace, to_workspace);
    RETURN mid;
END
$$;
COMMENT ON FUNCTION authz.transfer_credits(uuid, uuid, authz.credits, text, text) IS
    'Move credits between two workspaces of one organization (needs org.billing.manage); never overdraws; returns the movement id; idempotent on its key';

CREATE FUNCTION authz.set_rate_card(org_id uuid, cpu_hour authz.credits DEFAULT '0.1',
                                    memory_gib_hour authz.credits DEFAULT '0.025',
                                    storage_gb_month authz.credits DEFAULT '0.025')
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz._org(org_id);
    PERFORM authz._actor();
    PERFORM authz._require_org(org_id, 'org.billing.manage');
    IF cpu_hour IS NULL OR memory_gib_hour IS NULL OR storage_gb_month IS NULL THEN
        RAISE EXCEPTION 'rates must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hour < '0' OR memory_gib_hour < '0' OR storage_gb_month < '0' THEN
        RAISE EXCEPTION 'rates must not be negative' USING ERRCODE = '22023';
    END IF;
    INSERT INTO authz.rate_cards AS r (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    VALUES (org_id, cpu_hour, memory_gib_hour, storage_gb_month)
    ON CONFLICT ON CONSTRAINT rate_cards_pkey DO UPDATE
       SET cpu_hour = EXCLUDED.cpu_hour, memory_gib_hour = EXCLUDED.memory_gib_hour,
           storage_gb_month = EXCLUDED.storage_gb_month, updated_at = now();
END
$$;
COMMENT ON FUNCTION authz.set_rate_card(uuid, authz.credits, authz.credits, authz.credits) IS
    'Set an organization''s usage prices per CPU-hour, GiB-hour and GB-month (needs org.billing.manage)';

-- What usage costs: the exact sum of quantity times rate, rounded once to
-- 6 decimal places, half away from zero.
CREATE FUNCTION authz.usage_charge(cpu_hours numeric, memory_gib_hours numeric, storage_gb_months numeric,
                                   cpu_hour authz.credits, memory_gib_hour authz.credits,
                                   storage_gb_month authz.credits)
    RETURNS authz.credits LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT round(cpu_hours * cpu_hour::numeric + memory_gib_hours * memory_gib_hour::numeric
                 + storage_gb_months * storage_gb_month::numeric, 6)::authz.credits
$$;
COMMENT ON FUNCTION authz.usage_charge(numeric, numeric, numeric, authz.credits, authz.credits, authz.credits) IS
    'Price of usage: sum of quantity x rate computed exactly, then rounded once to 6 decimals, half away from zero';

CREATE FUNCTION authz.record_usage(workspace_id uuid, cpu_hours numeric, memory_gib_hours numeric,
                                   storage_gb_months numeric DEFAULT 0, idempotency_key text DEFAULT NULL)
    RETURNS authz.credits LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz._workspace(workspace_id);
    tenant uuid := coalesce(w.org_id, w.id);     -- idempotency keys are per tenant
    rc authz.rate_cards;
    charge authz.credits;
    fp text;
    mid bigint;
BEGIN
    IF cpu_hours IS NULL OR memory_gib_hours IS NULL OR storage_gb_months IS NULL THEN
        RAISE EXCEPTION 'usage quantities must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF cpu_hours < 0 OR memory_gib_hours < 0 OR storage_gb_months < 0 THEN
        RAISE EXCEPTION 'usage quantities must not be negative' USING ERRCODE = '22023';
    END IF;
    IF cpu_hours = 'NaN' OR memory_gib_hours = 'NaN' OR storage_gb_months = 'NaN'
       OR cpu_hours = 'Infinity' OR memory_gib_hours = 'Infinity' OR storage_gb_months = 'Infinity' THEN
        RAISE EXCEPTION 'usage quantities must be finite numbers' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO rc FROM authz.rate_cards r WHERE r.org_id = w.org_id;
    IF NOT FOUND THEN
        rc.cpu_hour := '0.1';
        rc.memory_gib_hour := '0.025';
        rc.storage_gb_month := '0.025';
    END IF;
    charge := authz.usage_charge(cpu_hours, memory_gib_hours, storage_gb_months,
                                 rc.cpu_hour, rc.memory_gib_hour, rc.storage_gb_month);

    -- numerically equal quantities (10, 10.0) are the same arguments
    fp := format('usage %s %s %s %s', workspace_id, trim_scale(cpu_hours), trim_scale(memory_gib_hours),
                 trim_scale(storage_gb_months));
    mid := authz._record_movement('usage', charge, workspace_id, NULL, NULL, tenant, idempotency_key, fp,
        jsonb_build_object(
            'cpu_hours', cpu_hours, 'memory_gib_hours', memory_gib_hours, 'storage_gb_months', storage_gb_months,
            'cpu_hour', rc.cpu_hour::numeric, 'memory_gib_hour', rc.memory_gib_hour::numeric,
            'storage_gb_month', rc.storage_gb_month::numeric));
    IF mid IS NULL THEN
        RETURN (authz._replay(tenant, idempotency_key, fp)).amount;
    END IF;
    -- Usage records what happened: it never fails for lack of funds.
    IF charge <> '0' THEN
        PERFORM authz._lock_accounts(workspace_id);
        INSERT INTO authz.credit_ledger (movement_id, workspace_id, amount) VALUES (mid, workspace_id, -charge);
        UPDATE authz.credit_accounts a SET balance = a.balance - charge, updated_at = now()
         WHERE a.workspace_id = record_usage.workspace_id;
    END IF;
    RETURN charge;
END
$$;
COMMENT ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) IS
    'Charge a workspace for usage at its organization''s rate card (trusted roles: the metering system); never refused for lack of funds; returns the charge; idempotent on its key';
REVOKE ALL ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.record_usage(uuid, numeric, numeric, numeric, text) TO workspace_authz_trusted;

-- ---- reading --------------------------------------------------------------

-- May the current user see the workspace's credits? billing.view there, or
-- org.billing.view in its organization, or a trusted role.
CREATE FUNCTION authz._visible_credits(workspace_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz.can(w.id, 'billing.view')
        OR coalesce(authz.can_org(w.org_id, 'org.billing.view'), false)
      FROM authz.workspaces w WHERE w.id = _visible_credits.workspace_id
$$;
COMMENT ON FUNCTION authz._visible_credits(uuid) IS
    'Policy helper: billing.view in the workspace or org.billing.view in its organization';

CREATE FUNCTION authz.balance(workspace_id uuid) RETURNS authz.credits
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    b authz.credits;
BEGIN
    PERFORM authz._workspace(workspace_id);
    IF NOT authz._is_trusted() AND NOT coalesce(authz._visible_credits(workspace_id), false) THEN
        RAISE EXCEPTION 'permission denied: "billing.view" is required in workspace "%"',
            authz._workspace_label(workspace_id)
            USING ERRCODE = '42501', HINT = 'Or "org.billing.view" in its organization.';
    END IF;
    SELECT a.balance INTO b FROM authz.credit_accounts a WHERE a.workspace_id = balance.workspace_id;
    RETURN coalesce(b, '0');
END
$$;
COMMENT ON FUNCTION authz.balance(uuid) IS
    'A workspace''s credit balance (needs billing.view there or org.billing.view in its organization)';

CREATE FUNCTION authz.org_credit_summary(org_id uuid, since timestamptz DEFAULT '-infinity',
                                         until timestamptz DEFAULT 'infinity')
    RETURNS TABLE (workspace_id uuid, workspace text, balance authz.credits, topups authz.credits,
                   transfers_in authz.credits, transfers_out authz.credits, usage authz.credits)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
BEGIN
    PERFORM authz._org(org_id);
    IF NOT authz._is_trusted() THEN
        PERFORM authz._require_org(org_id, 'org.billing.view');
    END IF;
    IF since IS NULL OR until IS NULL THEN
        RAISE EXCEPTION 'period bounds must not be NULL' USING ERRCODE = '22004';
    END IF;
    RETURN QUERY
    WITH per_ws AS (
        SELECT w.id, w.name, coalesce(a.balance, '0') AS balance,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'topup'
                            AND m.created_at >= since AND m.created_at < until), '0') AS topups,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.to_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_in,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'transfer'
                            AND m.created_at >= since AND m.created_at < until), '0') AS t_out,
               coalesce((SELECT sum(m.amount) FROM authz.credit_movements m
                          WHERE m.from_workspace = w.id AND m.kind = 'usage'
                            AND m.created_at >= since AND m.created_at < until), '0') AS used
          FROM authz.workspaces w LEFT JOIN authz.credit_accounts a ON a.workspace_id = w.id
         WHERE w.org_id = org_credit_summary.org_id
    )
    SELECT p.id, p.name, p.balance, p.topups, p.t_in, p.t_out, p.used FROM per_ws p
    UNION ALL
    SELECT NULL, '(organization total)', coalesce(sum(p.balance), '0'), coalesce(sum(p.topups), '0'),
           coalesce(sum(p.t_in), '0'), coalesce(sum(p.t_out), '0'), coalesce(sum(p.used), '0')
      FROM per_ws p
     ORDER BY 1 NULLS LAST;
END
$$;
COMMENT ON FUNCTION authz.org_credit_summary(uuid, timestamptz, timestamptz) IS
    'Per workspace of an organization: balance, and top-ups, transfers and usage over [since, until); then the organization total (needs org.billing.view)';

CREATE FUNCTION authz.verify_ledger()
    RETURNS TABLE (workspace_id uuid, balance authz.credits, ledger_sum authz.credits)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
    SELECT coalesce(a.workspace_id, l.workspace_id), a.balance, l.total
      FROM authz.credit_accounts a
      FULL JOIN (SELECT e.workspace_id, sum(e.amount) AS total
                   FROM authz.credit_ledger e GROUP BY e.workspace_id) l
        ON l.workspace_id = a.workspace_id
     WHERE coalesce(a.balance, '0') <> coalesce(l.total, '0')
$$;
COMMENT ON FUNCTION authz.verify_ledger() IS
    'Accounts whose balance differs from the sum of their ledger entries (no rows when the books are right; trusted roles)';
REVOKE ALL ON FUNCTION authz.verify_ledger() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION authz.verify_ledger() TO workspace_authz_trusted;

-- Read access: balances, movements and entries of what the reader may bill.
ALTER TABLE authz.credit_accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_accounts FOR SELECT USING (authz._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_accounts IS 'Accounts of workspaces where you see billing';
ALTER TABLE authz.credit_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_ledger FOR SELECT USING (authz._visible_credits(workspace_id));
COMMENT ON POLICY visible ON authz.credit_ledger IS 'Entries of workspaces where you see billing';
ALTER TABLE authz.credit_movements ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.credit_movements FOR SELECT
    USING (coalesce(authz._visible_credits(from_workspace), false)
           OR coalesce(authz._visible_credits(to_workspace), false));
COMMENT ON POLICY visible ON authz.credit_movements IS 'Movements touching a workspace where you see billing';
ALTER TABLE authz.rate_cards ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.rate_cards FOR SELECT USING (authz.can_org(org_id, 'org.billing.view'));
COMMENT ON POLICY visible ON authz.rate_cards IS 'Rate cards of organizations where you see billing';
GRANT SELECT ON authz.credit_accounts, authz.credit_ledger, authz.credit_movements, authz.rate_cards TO PUBLIC;
-- The idempotency key and fingerprint are the billing system's; readers do not need them.
REVOKE SELECT ON authz.credit_movements FROM PUBLIC;
GRANT SELECT (id, kind, amount, from_workspace, to_workspace, memo, usage, actor_id, login_role, created_at)
    ON authz.credit_movements TO PUBLIC;
-- ---------------------------------------------------------------------------
-- Audit (SPEC 9): every change to membership, roles, settings, invitations
-- and credits writes an append-only row, from triggers, whatever path made
-- it. Changes to the authorization model are also announced with
-- NOTIFY workspace_authz, delivered when the transaction commits.
-- ---------------------------------------------------------------------------

CREATE TABLE authz.audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    actor_id       uuid,
    login_role     name NOT NULL DEFAULT session_user,
    action         text NOT NULL,
    org_id         uuid,
    workspace_id   uuid,
    target         text NOT NULL,
    before         jsonb,
    after          jsonb,
    transaction_id xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
CREATE INDEX audit_log_org_idx ON authz.audit_log (org_id, at);
CREATE INDEX audit_log_workspace_idx ON authz.audit_log (workspace_id, at);
CREATE INDEX audit_log_project_target_idx ON authz.audit_log (target) WHERE action LIKE 'projects.%';
COMMENT ON TABLE authz.audit_log IS 'Append-only record of every change to the model, invitations and credits';
COMMENT ON SEQUENCE authz.audit_log_id_seq IS 'Identifiers of audit rows, in the order they were written';
COMMENT ON COLUMN authz.audit_log.id IS 'Entry id, in the order changes were made';
COMMENT ON COLUMN authz.audit_log.at IS 'When the change was made';
COMMENT ON COLUMN authz.audit_log.actor_id IS 'Current user who made it (NULL: a trusted role acting for the platform)';
COMMENT ON COLUMN authz.audit_log.login_role IS 'Login role of the session that made it';
COMMENT ON COLUMN authz.audit_log.action IS 'table.operation, e.g. participants.insert';
COMMENT ON COLUMN authz.audit_log.org_id IS 'Organization concerned, when there is one';
COMMENT ON COLUMN authz.audit_log.workspace_id IS 'Workspace concerned, when there is one';
COMMENT ON COLUMN authz.audit_log.target IS 'Key of the changed row';
COMMENT ON COLUMN authz.audit_log.before IS 'The row before the change (NULL for an insert)';
COMMENT ON COLUMN authz.audit_log.after IS 'The row after the change (NULL for a delete)';
COMMENT ON COLUMN authz.audit_log.transaction_id IS 'Transaction that made it: rows of one call share it';

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON authz.audit_log
    FOR EACH ROW EXECUTE FUNCTION authz._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION authz._append_only();

-- Row trigger: record the change; the trigger's arguments name the key columns.
-- Secrets are never copied: invitation token hashes, and the idempotency keys
-- and fingerprints (the billing system's arguments) of credit movements.
CREATE FUNCTION authz._audit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - '{token_hash,idempotency_key,fingerprint}'::text[] END;
    r jsonb := coalesce(new_row, old_row);
    key text;
    org uuid;
    ws uuid;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;    -- the row locks of the owner and capacity checks change nothing
    END IF;
    -- A row created before this transaction is being loaded by a restore: its
    -- history is in the restored log already. (The extension's functions
    -- insert with DEFAULT now(); application roles cannot insert at all.)
    IF TG_OP = 'INSERT'
       AND coalesce(new_row ->> 'created_at', new_row ->> 'updated_at')::timestamptz < now() THEN
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        key := CASE WHEN i = 0 THEN '' ELSE key || '/' END || coalesce(r ->> TG_ARGV[i], '');
    END LOOP;

    CASE TG_TABLE_NAME
        WHEN 'orgs' THEN org := r ->> 'id';
        WHEN 'workspaces' THEN ws := r ->> 'id'; org := r ->> 'org_id';
        WHEN 'credit_movements' THEN ws := coalesce(r ->> 'from_workspace', r ->> 'to_workspace');
        WHEN 'team_members' THEN SELECT t.org_id INTO org FROM authz.teams t WHERE t.id = (r ->> 'team_id')::uuid;
        WHEN 'role_permissions' THEN SELECT x.org_id INTO org FROM authz.roles x WHERE x.id = (r ->> 'role_id')::uuid;
        WHEN 'project_members' THEN
            SELECT p.workspace_id INTO ws FROM authz.projects p WHERE p.id = (r ->> 'project_id')::uuid;
            IF NOT FOUND THEN
                -- deleted by the same cascade: the project's own audit rows know
                SELECT a.workspace_id INTO ws FROM authz.audit_log a
                 WHERE a.target = r ->> 'project_id' AND a.action LIKE 'projects.%' ORDER BY a.id DESC LIMIT 1;
            END IF;
        ELSE org := r ->> 'org_id'; ws := r ->> 'workspace_id';
    END CASE;
    IF org IS NULL AND ws IS NOT NULL THEN
        SELECT w.org_id INTO org FROM authz.workspaces w WHERE w.id = ws;
        IF NOT FOUND THEN
            -- the workspace went in the same cascade: its audit history knows its org
            SELECT a.org_id INTO org FROM authz.audit_log a
             WHERE a.workspace_id = ws AND a.org_id IS NOT NULL ORDER BY a.id DESC LIMIT 1;
        END IF;
    END IF;

    INSERT INTO authz.audit_log (actor_id, action, org_id, workspace_id, target, before, after)
    VALUES (authz.current_user_id(), TG_TABLE_NAME || '.' || lower(TG_OP), org, ws, coalesce(key, ''),
            old_row, new_row);

    IF TG_TABLE_NAME NOT IN ('credit_movements', 'rate_cards', 'invitations') THEN
        PERFORM pg_notify('workspace_authz', json_build_object(
            'table', TG_TABLE_NAME, 'operation', lower(TG_OP), 'org_id', org, 'workspace_id', ws,
            'user_id', r ->> 'user_id')::text);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz._audit() IS
    'Internal trigger: write an audit row for a change, and announce model changes on channel workspace_authz';

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('users', '''id'''), ('orgs', '''id'''), ('org_members', '''org_id'', ''user_id'''),
        ('workspaces', '''id'''), ('teams', '''id'''), ('team_members', '''team_id'', ''user_id'''),
        ('roles', '''id'''), ('role_permissions', '''role_id'', ''permission'''),
        ('permissions', '''name'''), ('participants', '''id'''),
        ('participant_permissions', '''workspace_id'', ''user_id'', ''permission'''),
        ('projects', '''id'''), ('project_members', '''project_id'', ''user_id'''),
        ('invitations', '''id'''), ('rate_cards', '''org_id'''), ('credit_movements', '''id''')) v(tbl, keys)
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON authz.%I'
            ' FOR EACH ROW EXECUTE FUNCTION authz._audit(%s)', t.tbl, t.keys);
    END LOOP;
END
$$;

-- Rows about credits (movements, rate cards) also need the right to see those
-- credits, as the credit tables' own policies do; a trusted role acting for
-- the platform (no current user) sees them all, as it reads every balance.
ALTER TABLE authz.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible ON authz.audit_log FOR SELECT
    USING ((actor_id = authz.current_user_id()
            OR coalesce(authz.can_org(org_id, 'org.update'), false)
            OR coalesce(authz.can(workspace_id, 'workspace.update'), false))
           AND CASE split_part(action, '.', 1)
               WHEN 'credit_movements' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
                                            OR coalesce(authz._visible_credits((after ->> 'from_workspace')::uuid), false)
                                            OR coalesce(authz._visible_credits((after ->> 'to_workspace')::uuid), false)
               WHEN 'rate_cards' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
               ELSE true END
           OR split_part(action, '.', 1) IN ('credit_movements', 'rate_cards')
              AND authz.current_user_id() IS NULL
              AND pg_catalog.has_function_privilege('authz.set_user(uuid, boolean)'::regprocedure, 'EXECUTE'));
COMMENT ON POLICY visible ON authz.audit_log IS
    'Your own changes, and the changes of organizations and workspaces whose settings you may change; of credits only those you may see (trusted roles acting for the platform: all of them)';
GRANT SELECT ON authz.audit_log TO PUBLIC;

-- The audit log as people read it.
-- How authz.audit shows one column's value: a role by its name rather than its id.
CREATE FUNCTION authz.audit_value(col text, value jsonb) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN (col = 'role_id' OR col LIKE '%\_role') AND jsonb_typeof(value) = 'string'
                THEN coalesce((SELECT to_jsonb(r.name) FROM authz.roles r WHERE r.id::text = value #>> '{}'), value)
                ELSE value END
$$;
COMMENT ON FUNCTION authz.audit_value(text, jsonb) IS
    'A column''s value as the view authz.audit shows it: role ids as role names (where the reader may see the role)';

CREATE VIEW authz.audit WITH (security_invoker = true) AS
SELECT a.id, a.at, coalesce(u.handle, a.actor_id::text, '(platform)') AS actor, a.login_role, a.action, a.target,
       CASE WHEN a.before IS NOT NULL AND a.after IS NOT NULL
            THEN (SELECT jsonb_object_agg(k, jsonb_build_array(authz.audit_value(k, a.before -> k),
                                                               authz.audit_value(k, a.after -> k)))
                    FROM jsonb_object_keys(a.after) k
                   WHERE a.before -> k IS DISTINCT FROM a.after -> k)
            ELSE (SELECT jsonb_object_agg(e.key, authz.audit_value(e.key, e.value))
                    FROM jsonb_each(coalesce(a.after, a.before)) e) END AS changes,
       a.org_id, a.workspace_id
  FROM authz.audit_log a
  LEFT JOIN authz.users u ON u.id = a.actor_id;
COMMENT ON VIEW authz.audit IS
    'The audit log for people: who did what, and what changed (for updates, each changed column as [before, after])';
GRANT SELECT ON authz.audit TO PUBLIC;
-- ---------------------------------------------------------------------------
-- Last: internal functions are not for PUBLIC, and the model survives pg_dump.
-- ---------------------------------------------------------------------------

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'authz'::regnamespace AND p.proname LIKE '\_%'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

-- The policy helpers run as the querying role, and authz.protect's helper as
-- the table owner calling it.
GRANT EXECUTE ON FUNCTION authz._visible_user(uuid), authz._visible_team(uuid),
    authz._visible_role(uuid), authz._visible_credits(uuid), authz._drop_policies(regclass) TO PUBLIC;

-- Rows the install script creates are not dumped; everything else is.
SELECT pg_catalog.pg_extension_config_dump('authz.permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.roles', 'WHERE org_id IS NOT NULL');
SELECT pg_catalog.pg_extension_config_dump('authz.role_permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('authz.users', '');
SELECT pg_catalog.pg_extension_config_dump('authz.orgs', '');
SELECT pg_catalog.pg_extension_config_dump('authz.org_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.workspaces', '');
SELECT pg_catalog.pg_extension_config_dump('authz.teams', '');
SELECT pg_catalog.pg_extension_config_dump('authz.team_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.participants', '');
SELECT pg_catalog.pg_extension_config_dump('authz.participant_permissions', '');
SELECT pg_catalog.pg_extension_config_dump('authz.projects', '');
SELECT pg_catalog.pg_extension_config_dump('authz.project_members', '');
SELECT pg_catalog.pg_extension_config_dump('authz.invitations', '');
SELECT pg_catalog.pg_extension_config_dump('authz.rate_cards', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_accounts', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_movements', '');
SELECT pg_catalog.pg_extension_config_dump('authz.credit_ledger', '');
SELECT pg_catalog.pg_extension_config_dump('authz.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_movements', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.credit_ledger', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('authz.audit_log', 'id'), '');
