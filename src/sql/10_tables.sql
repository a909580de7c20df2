-- ---------------------------------------------------------------------------
-- The model: permissions, users, organizations, roles, workspaces, teams,
-- participants. Application roles never write these tables: every change goes
-- through the functions of this extension, and reads are filtered by RLS.
--
-- The C loaders read these tables through indexes they find by name (the
-- catalogue in src/catalog.c): every such index or constraint is named here
-- explicitly, and a rename must be made in both places (and carried by the
-- upgrade script).
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

-- E-mail addresses are compared with their ASCII letters folded to lower
-- case and nothing else: lower() also folds look-alikes such as the Kelvin
-- sign (U+212A) to "k" and U+0130 to "i" under most collations, so that
-- "<Kelvin sign>ate@example.com" would match, and block, kate@example.com.
CREATE FUNCTION authz_internal._fold_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;
COMMENT ON FUNCTION authz_internal._fold_email(text) IS
    'Internal: an e-mail address as it is compared, ASCII letters folded to lower case and nothing else';

-- Restoring a dump. pg_restore may load an application table whose
-- authz.permset values name application permissions before it loads their
-- registrations (table data is restored in name order, or in parallel). The
-- permset input then reserves a bit for such a name
-- (authz_internal._restore_permission, for a role that may load the registry
-- itself, with row_security off as in every pg_dump script), and the
-- registration loaded later takes that bit: bits are per database, and every
-- stored set was read by name.
CREATE TABLE authz_internal.restored_permissions (
    name text PRIMARY KEY,
    bit  smallint NOT NULL UNIQUE CHECK (bit >= 0 AND bit < 256)
);
COMMENT ON TABLE authz_internal.restored_permissions IS
    'Bits reserved during a restore for permissions that restored data names before their registration is loaded (empty otherwise)';
COMMENT ON COLUMN authz_internal.restored_permissions.name IS 'Permission name, not registered yet';
COMMENT ON COLUMN authz_internal.restored_permissions.bit IS 'The bit the restored data uses for it, which its registration takes';

CREATE FUNCTION authz_internal._restore_permission(name text) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    -- one at a time: a concurrent load of the registry waits, or is waited for
    LOCK TABLE authz.permissions IN SHARE ROW EXCLUSIVE MODE;
    SELECT p.bit INTO b FROM authz.permissions p WHERE p.name = _restore_permission.name;
    IF NOT FOUND THEN
        SELECT r.bit INTO b FROM authz_internal.restored_permissions r WHERE r.name = _restore_permission.name;
    END IF;
    IF FOUND THEN
        RETURN b;
    END IF;
    SELECT min(x) INTO b FROM generate_series(0, 255) x
     WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
       AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
    IF b IS NULL THEN
        RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', name
            USING ERRCODE = '54000';
    END IF;
    INSERT INTO authz_internal.restored_permissions VALUES (name, b);
    RETURN b;
END
$$;
COMMENT ON FUNCTION authz_internal._restore_permission(text) IS
    'Internal: during a restore, the bit of a permission that restored data names before its registration is loaded';

-- A registration loaded by a restore takes the bit reserved for its name; one
-- whose bit is reserved for another name takes the lowest free bit.
CREATE FUNCTION authz_internal._permissions_restored() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b integer;
BEGIN
    DELETE FROM authz_internal.restored_permissions r WHERE r.name = NEW.name RETURNING r.bit INTO b;
    IF b IS NOT NULL THEN
        NEW.bit := b;
    ELSIF EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = NEW.bit) THEN
        SELECT min(x) INTO NEW.bit FROM generate_series(0, 255) x
         WHERE NOT EXISTS (SELECT 1 FROM authz.permissions p WHERE p.bit = x)
           AND NOT EXISTS (SELECT 1 FROM authz_internal.restored_permissions r WHERE r.bit = x);
        IF NEW.bit IS NULL THEN
            RAISE EXCEPTION 'cannot register permission "%": all 256 permission slots are in use', NEW.name
                USING ERRCODE = '54000';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION authz_internal._permissions_restored() IS
    'Trigger: a registration takes the bit a restore reserved for its name; a bit reserved for another name becomes the lowest free one';
CREATE TRIGGER restored BEFORE INSERT ON authz.permissions
    FOR EACH ROW EXECUTE FUNCTION authz_internal._permissions_restored();
COMMENT ON TRIGGER restored ON authz.permissions IS
    'Restores: a registration takes the bit restored data already uses for it';

CREATE TABLE authz.users (
    id             uuid CONSTRAINT users_pkey PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    handle         text NOT NULL UNIQUE,
    email          text NOT NULL,
    display_name   text,
    pg_role        name CONSTRAINT users_pg_role_key UNIQUE,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deactivated_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON authz.users (authz_internal._fold_email(email));
COMMENT ON TABLE authz.users IS 'People; a deactivated user has no access anywhere';
COMMENT ON COLUMN authz.users.id IS 'User identifier, as passed to authz.set_user()';
COMMENT ON COLUMN authz.users.handle IS 'Unique short name';
COMMENT ON COLUMN authz.users.email IS 'Email address, unique regardless of the case of its ASCII letters (readable by members of your organizations only)';
COMMENT ON COLUMN authz.users.display_name IS 'Name shown to people';
COMMENT ON COLUMN authz.users.pg_role IS 'Login role that is this user when no user is asserted (psql users)';
COMMENT ON COLUMN authz.users.status IS 'active or deactivated';
COMMENT ON COLUMN authz.users.created_at IS 'When the user was created';
COMMENT ON COLUMN authz.users.deactivated_at IS 'When the user was deactivated';

-- External identities: the subject ("sub") an identity provider gives a user,
-- per issuer ("iss"), for JWT mode. Opaque identifiers, compared byte for byte.
CREATE TABLE authz.user_subjects (
    issuer     text COLLATE "C" NOT NULL,
    subject    text COLLATE "C" NOT NULL,
    user_id    uuid NOT NULL REFERENCES authz.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT user_subjects_pkey PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_subjects_user_idx ON authz.user_subjects (user_id);
COMMENT ON TABLE authz.user_subjects IS
    'External subjects of identity providers mapped to users (authz.map_subject): in JWT mode a claim naming one resolves to its user';
COMMENT ON COLUMN authz.user_subjects.issuer IS 'The identity provider, as its tokens'' "iss" claim names it';
COMMENT ON COLUMN authz.user_subjects.subject IS 'The provider''s identifier of the person (its tokens'' claim value), compared byte for byte';
COMMENT ON COLUMN authz.user_subjects.user_id IS 'The user the subject is';
COMMENT ON COLUMN authz.user_subjects.created_at IS 'When the subject was mapped';

CREATE TABLE authz.orgs (
    id                            uuid CONSTRAINT orgs_pkey PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
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
    id          uuid CONSTRAINT roles_pkey PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
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
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission)
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
    id                     uuid CONSTRAINT workspaces_pkey PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    org_id                 uuid REFERENCES authz.orgs (id) ON DELETE CASCADE,
    personal_user_id       uuid CONSTRAINT workspaces_personal_user_id_key UNIQUE REFERENCES authz.users (id) ON DELETE CASCADE,
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
    CONSTRAINT workspaces_org_id_name_key UNIQUE (org_id, name)
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
CREATE INDEX workspaces_org_open_idx ON authz.workspaces (org_id)
    WHERE visibility = 'shared' OR join_policy = 'open';
COMMENT ON INDEX authz.workspaces_org_open_idx IS
    'The shared and open workspaces of an organization: what a plain member sees without a participation';

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
    CONSTRAINT participants_workspace_id_user_id_key UNIQUE (workspace_id, user_id),
    CONSTRAINT participants_workspace_id_team_id_key UNIQUE (workspace_id, team_id)
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
    CONSTRAINT participant_permissions_pkey PRIMARY KEY (workspace_id, user_id, permission),
    FOREIGN KEY (workspace_id) REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES authz.users (id) ON DELETE CASCADE
);
CREATE INDEX participant_permissions_user_idx ON authz.participant_permissions (user_id);
COMMENT ON TABLE authz.participant_permissions IS
    'Per-participant grants and denies on top of the role, for user participants (a deny wins over every source); a grant ends with the participation, a deny outlives it until someone who manages the members lifts it';
COMMENT ON COLUMN authz.participant_permissions.workspace_id IS 'Workspace';
COMMENT ON COLUMN authz.participant_permissions.user_id IS 'Participating user (a denied user stays denied after leaving)';
COMMENT ON COLUMN authz.participant_permissions.permission IS 'Permission granted or denied';
COMMENT ON COLUMN authz.participant_permissions.effect IS 'grant or deny';
COMMENT ON COLUMN authz.participant_permissions.expires_at IS 'When the grant or deny ends by itself; NULL for never';
COMMENT ON COLUMN authz.participant_permissions.created_at IS 'When it was set';

CREATE TABLE authz.projects (
    id           uuid CONSTRAINT projects_pkey PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES authz.workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT projects_workspace_id_name_key UNIQUE (workspace_id, name)
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
