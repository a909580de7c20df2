-- ---------------------------------------------------------------------------
-- Audit (SPEC 9): every change to membership, roles, settings, invitations
-- and rate cards writes an append-only row, from triggers, whatever path made
-- it; a credit movement is its own append-only record (credit_movements),
-- which the view authz.audit shows among the rest. The log is also the change
-- feed: consumers read it, under its RLS, from the last entry they handled. With workspace_authz.notify on, a change
-- to the authorization model also sends an empty NOTIFY workspace_authz at
-- commit, a wake-up that says nothing (anyone can send one).
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
    FOR EACH ROW EXECUTE FUNCTION authz_internal._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON authz.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION authz_internal._append_only();

-- Row trigger: record the change; the trigger's arguments name the key columns.
-- Secrets are never copied: invitation token hashes, and the idempotency keys
-- and fingerprints (the billing system's arguments) of credit movements.
CREATE FUNCTION authz_internal._audit() RETURNS trigger
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
    -- the table's name, also when the trigger fires on a Citus shard of it
    -- (authz.users_102008: see authz.distribute)
    tbl text := pg_catalog.regexp_replace(TG_TABLE_NAME, '_[0-9]+$', '');
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

    CASE tbl
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
    VALUES (authz.current_user_id(), tbl || '.' || lower(TG_OP), org, ws, coalesce(key, ''),
            old_row, new_row);

    -- The wake-up is opt-in: NOTIFY makes a transaction impossible to
    -- PREPARE, and every role may LISTEN. It carries nothing (notifications
    -- with one payload are folded into one per transaction): what changed is
    -- read from this log, which shows each reader only what they may see.
    IF tbl NOT IN ('credit_movements', 'rate_cards', 'invitations')
       AND coalesce(current_setting('workspace_authz.notify', true), 'off')::boolean THEN
        PERFORM pg_notify('workspace_authz', '');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION authz_internal._audit() IS
    'Internal trigger: write an audit row for a change, and with workspace_authz.notify on send an empty wake-up on channel workspace_authz for model changes';

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
        ('invitations', '''id'''), ('rate_cards', '''org_id'''),
        ('user_subjects', '''issuer'', ''subject''')) v(tbl, keys)
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON authz.%I'
            ' FOR EACH ROW EXECUTE FUNCTION authz_internal._audit(%s)', t.tbl, t.keys);
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
                                            OR coalesce(authz_internal._visible_credits((after ->> 'from_workspace')::uuid), false)
                                            OR coalesce(authz_internal._visible_credits((after ->> 'to_workspace')::uuid), false)
               WHEN 'rate_cards' THEN coalesce(authz.can_org(org_id, 'org.billing.view'), false)
               ELSE true END
           OR split_part(action, '.', 1) IN ('credit_movements', 'rate_cards')
              AND authz.acting_for_platform());
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
  LEFT JOIN authz.users u ON u.id = a.actor_id
UNION ALL
SELECT NULL::bigint, m.created_at, coalesce(u.handle, m.actor_id::text, '(platform)'), m.login_role,
       'credit_movements.insert', m.id::text,
       jsonb_strip_nulls(jsonb_build_object('id', m.id, 'kind', m.kind, 'amount', m.amount,
                                            'from_workspace', m.from_workspace, 'to_workspace', m.to_workspace,
                                            'memo', m.memo, 'usage', m.usage, 'actor_id', m.actor_id,
                                            'login_role', m.login_role, 'created_at', m.created_at)),
       (SELECT o.id FROM authz.orgs o WHERE o.id = m.tenant_id), coalesce(m.from_workspace, m.to_workspace)
  FROM authz.credit_movements m
  LEFT JOIN authz.users u ON u.id = m.actor_id;
COMMENT ON VIEW authz.audit IS
    'The audit log for people: who did what, and what changed (for updates, each changed column as [before, after]); credit movements (id NULL, target the movement id) come from authz.credit_movements, with its read rules';
GRANT SELECT ON authz.audit TO PUBLIC;
