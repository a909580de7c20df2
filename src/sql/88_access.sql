-- ---------------------------------------------------------------------------
-- Views of who holds what where, answered by the resolver (SPEC 12). Each
-- shows only what its reader may see through the tables' row-level security.
-- ---------------------------------------------------------------------------

-- The current user's workspaces: each one they may view, with the
-- organization's slug (to its members), their effective role and
-- permissions, and the balance where they may see it.
CREATE VIEW authz.my_access WITH (security_invoker = true) AS
SELECT w.id AS workspace_id,
       CASE WHEN authz.org_role(w.org_id) IS NOT NULL THEN o.slug END AS org,
       w.name AS workspace,
       w.personal_user_id IS NOT NULL AS personal,
       authz.role_in(w.id) AS role,
       authz.permissions_in(w.id) AS permissions,
       CASE WHEN authz.can(w.id, 'billing.view') OR coalesce(authz.can_org(w.org_id, 'org.billing.view'), false)
            THEN coalesce(a.balance, '0'::authz.credits) END AS balance
  FROM pg_catalog.unnest(authz.workspace_array('workspace.view')) AS v(id)
  JOIN authz.workspaces w ON w.id = v.id
  LEFT JOIN authz.orgs o ON o.id = w.org_id
  LEFT JOIN authz.credit_accounts a ON a.workspace_id = w.id;
COMMENT ON VIEW authz.my_access IS
    'The current user''s workspaces: each one they may view, with organization, role, permissions, and balance where they may see it';
COMMENT ON COLUMN authz.my_access.workspace_id IS 'The workspace';
COMMENT ON COLUMN authz.my_access.org IS 'The organization''s slug; NULL for a personal workspace, and for an organization you are not a member of (as a collaborator)';
COMMENT ON COLUMN authz.my_access.workspace IS 'The workspace''s name';
COMMENT ON COLUMN authz.my_access.personal IS 'Whether it is your personal workspace';
COMMENT ON COLUMN authz.my_access.role IS 'Your effective role there (authz.role_in), NULL when you only view it (an open workspace)';
COMMENT ON COLUMN authz.my_access.permissions IS 'Your effective permissions there (authz.permissions_in)';
COMMENT ON COLUMN authz.my_access.balance IS 'The workspace''s credit balance, if you hold billing.view there or org.billing.view in its organization; else NULL';
GRANT SELECT ON authz.my_access TO PUBLIC;

-- Every source of every role in the workspaces where the reader holds
-- members.view (all of them for trusted roles acting for the platform), as
-- authz.explain tells it to that reader: users the reader may not see in
-- authz.users are left out, teams are named to who sees them, and the
-- organization's sources show as "organization" to who does not see its
-- members.
CREATE FUNCTION authz_internal._access()
    RETURNS TABLE (workspace_id uuid, org text, workspace text, user_id uuid, handle text,
                   role text, source text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    platform boolean := authz_internal._is_trusted();
    me uuid := authz.current_user_id();
BEGIN
    IF NOT platform AND me IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH ws AS MATERIALIZED (
        SELECT w.id, w.org_id, w.name FROM authz.workspaces w
         WHERE platform OR w.id = ANY (authz.workspace_array('members.view'))
    ),
    seen AS MATERIALIZED (
        SELECT ws.id, ws.org_id, ws.name, c.uid
          FROM ws CROSS JOIN LATERAL authz_internal._candidates(ws.id) c(uid)
         WHERE platform OR c.uid = me OR authz_internal._visible_user(c.uid)
    )
    SELECT s.id, CASE WHEN platform OR authz.org_role(s.org_id) IS NOT NULL THEN o.slug END, s.name,
           s.uid, u.handle, x.role, x.source
      FROM seen s
      JOIN authz.users u ON u.id = s.uid
      LEFT JOIN authz.orgs o ON o.id = s.org_id
      CROSS JOIN LATERAL authz.explain(s.uid, s.id, 'workspace.view') x
     WHERE x.source NOT IN ('result', 'grant', 'deny', 'no role', 'unknown user', 'deactivated user',
                            'unknown workspace');
END
$$;
COMMENT ON FUNCTION authz_internal._access() IS
    'Internal: the rows of authz.access for the current reader';

CREATE VIEW authz.access WITH (security_invoker = true) AS
SELECT a.workspace_id, a.org, a.workspace, a.user_id, a.handle, a.role, a.source
  FROM authz_internal._access() a;
COMMENT ON VIEW authz.access IS
    'Who holds which role where, one row per source, in the workspaces where you hold members.view (every workspace for trusted roles acting for the platform); sources as authz.explain tells them to you';
COMMENT ON COLUMN authz.access.workspace_id IS 'The workspace';
COMMENT ON COLUMN authz.access.org IS 'The organization''s slug, to its members; NULL for a personal workspace';
COMMENT ON COLUMN authz.access.workspace IS 'The workspace''s name';
COMMENT ON COLUMN authz.access.user_id IS 'The user holding the role';
COMMENT ON COLUMN authz.access.handle IS 'The user''s handle';
COMMENT ON COLUMN authz.access.role IS 'The role this source gives; NULL for an open workspace''s view right, and for an organization''s sources shown as "organization"';
COMMENT ON COLUMN authz.access.source IS 'Where the role comes from, as authz.explain names it: personal, participant, team <name>, org-wide role, org admin, shared workspace, open workspace, organization';
GRANT SELECT ON authz.access TO PUBLIC;
