-- ---------------------------------------------------------------------------
-- Invitations: one-time tokens, random, stored only as their SHA-256,
-- expiring (7 days by default), matched to the invitee's email regardless of
-- the case of its ASCII letters (authz_internal._fold_email). The offered
-- role is checked against the inviter's rank when inviting, which the
-- invitation keeps (inviter_rank: their rank in the workspace, or for an
-- organization invitation their org-wide limit, the highest org-wide
-- workspace role they may give); acceptance applies the role only while it
-- still ranks within that, and while the inviter is still active and still
-- allowed to give it there.
-- ---------------------------------------------------------------------------

CREATE FUNCTION authz_internal._random_token() RETURNS text
    AS 'MODULE_PATHNAME', 'tokens_random' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION authz_internal._random_token() IS 'Internal: 32 random bytes from the operating system, as 64 hex digits';

CREATE FUNCTION authz_internal._token_hash(token text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT sha256(convert_to(token, 'UTF8')) $$;
COMMENT ON FUNCTION authz_internal._token_hash(text) IS 'Internal: how invitation tokens are stored';

CREATE FUNCTION authz_internal._check_validity(expires_in interval) RETURNS timestamptz
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
COMMENT ON FUNCTION authz_internal._check_validity(interval) IS 'Internal: when an invitation expires (22004, 22023)';

CREATE FUNCTION authz_internal._check_email(email text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT authz_internal._check_text('email', email, 254, '^[^@[:space:]]+@[^@[:space:]]+$',
                             'An email address looks like name@example.com.')
$$;
COMMENT ON FUNCTION authz_internal._check_email(text) IS 'Internal: validate an email address (22004, 22023)';

-- Could the inviter, as they are now, still give what the invitation offers?
-- They are active, and: for a workspace invitation they hold members.manage
-- there and rank at least as high as the offered role; for an organization
-- invitation their org role holds org.members.manage and ranks at least as
-- high as the offered org role, and the offered org-wide workspace role is
-- within their limit.
CREATE FUNCTION authz_internal._inviter_may_still(i authz.invitations, offered authz.roles) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT u.status = 'active' FROM authz.users u WHERE u.id = i.inviter_id), false)
       AND CASE
           WHEN i.workspace_id IS NOT NULL THEN
               coalesce((SELECT e.permissions OPERATOR(authz.@>) authz.permset(ARRAY['members.manage'])
                                AND e.rank >= coalesce(offered.rank, 0)
                           FROM authz_internal._effective(i.inviter_id, i.workspace_id) e), false)
           ELSE
               EXISTS (SELECT 1 FROM authz.org_role_permissions orp
                        WHERE orp.role = authz_internal._org_role_of(i.org_id, i.inviter_id)
                          AND orp.permission = 'org.members.manage')
               AND authz_internal._org_rank(i.org_role)
                   <= authz_internal._org_rank(authz_internal._org_role_of(i.org_id, i.inviter_id))
               AND coalesce(offered.rank, 0) <= coalesce(authz_internal._org_wide_limit_of(i.org_id, i.inviter_id), 0)
           END
$$;
COMMENT ON FUNCTION authz_internal._inviter_may_still(authz.invitations, authz.roles) IS
    'Internal: whether an invitation''s inviter is still active and still allowed to give the offered roles where it invites to';

CREATE FUNCTION authz.invite(workspace_id uuid, email text, role text DEFAULT 'member',
                             expires_in interval DEFAULT '7 days')
    RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    w authz.workspaces := authz_internal._org_workspace(workspace_id);
    actor uuid := authz_internal._actor();
    r authz.roles := authz_internal._role(w.org_id, role);
    token text := authz_internal._random_token();
BEGIN
    PERFORM authz_internal._check_email(email);
    PERFORM authz_internal._check_ranks(workspace_id, 'members.manage', NULL, r);
    INSERT INTO authz.invitations (token_hash, org_id, workspace_id, email, role_id, inviter_id, inviter_rank, expires_at)
    VALUES (authz_internal._token_hash(token), w.org_id, workspace_id, email, r.id, actor,
            authz_internal._rank(actor, workspace_id), authz_internal._check_validity(expires_in));
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
    o authz.orgs := authz_internal._org(org_id);
    actor uuid := authz_internal._actor();
    wr authz.roles;
    token text := authz_internal._random_token();
BEGIN
    PERFORM authz_internal._check_email(email);
    PERFORM authz_internal._check_org_role(role);
    PERFORM authz_internal._check_org_ranks(org_id, NULL, role);
    wr := authz_internal._org_wide_role(org_id, role, workspace_role);
    INSERT INTO authz.invitations (token_hash, org_id, email, org_role, role_id, inviter_id, inviter_rank, expires_at)
    VALUES (authz_internal._token_hash(token), org_id, email, role, wr.id, actor,
            coalesce(authz_internal._org_wide_limit(org_id), 0), authz_internal._check_validity(expires_in));
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
    actor uuid := authz_internal._actor();
    u authz.users := authz_internal._user(actor);
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
    SELECT * INTO i FROM authz.invitations x WHERE x.token_hash = authz_internal._token_hash(token) FOR UPDATE;
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
    IF authz_internal._fold_email(i.email) COLLATE "C" <> authz_internal._fold_email(u.email) COLLATE "C" THEN
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
    -- An invitation gives only what its inviter may still give.
    IF NOT authz_internal._inviter_may_still(i, r) THEN
        RAISE EXCEPTION 'invitation is no longer valid: its inviter may no longer give what it offers'
            USING ERRCODE = '55000',
                  HINT = 'The inviter was deactivated, removed or demoted since: ask for a new invitation.';
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
            new_role := CASE WHEN authz_internal._org_rank(i.org_role) > authz_internal._org_rank(m.role) THEN i.org_role ELSE m.role END;
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
        PERFORM authz_internal._purge_expired(i.workspace_id, actor);
        SELECT x.* INTO have FROM authz.participants p JOIN authz.roles x ON x.id = p.role_id
         WHERE p.workspace_id = i.workspace_id AND p.user_id = actor;
        IF NOT FOUND THEN
            PERFORM authz_internal._check_capacity(i.workspace_id, actor);
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
    'Accept an invitation sent to the current user''s email (ASCII letters matched regardless of case): join the workspace or organization with the offered roles (each kept if already higher; refused with 55000 if the offered role now ranks above the inviter''s rank when inviting, or if the inviter is no longer active or no longer allowed to give it); returns its id';

CREATE FUNCTION authz.revoke_invitation(invitation_id uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, authz, pg_temp
AS $$
DECLARE
    actor uuid := authz_internal._actor();
    i authz.invitations;
BEGIN
    PERFORM authz_internal._check_id('invitation_id', invitation_id);
    SELECT * INTO i FROM authz.invitations x WHERE x.id = invitation_id FOR UPDATE;
    -- an invitation the current user may not see is refused as an unknown one
    IF NOT FOUND OR NOT (i.inviter_id = actor
                         OR CASE WHEN i.workspace_id IS NULL THEN authz.can_org(i.org_id, 'org.members.manage')
                                 ELSE authz.can(i.workspace_id, 'members.manage') END) THEN
        PERFORM authz_internal._hidden('invitation', invitation_id::text);
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
