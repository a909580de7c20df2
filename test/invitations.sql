-- Invitations (features: invitations; SPEC 3 rank rules, SPEC 10 errors):
-- one-time random tokens stored only as their SHA-256, the refusals at invite
-- time, acceptance with the offered role (never lowering a higher one), every
-- way a token can fail (and that a failure changes nothing), revocation, the
-- list of pending invitations, and the inviter's rank taken at invite time.
-- One session, one transaction; identities are asserted with authz.set_user().
\ir lib/platform.sql
BEGIN;
SELECT plan(109);

-- An ordinary role: neither superuser nor trusted nor owner of anything.
CREATE ROLE regress_inv_app;

-- Shorthands to name fixture objects (read as the superuser, past RLS).
CREATE FUNCTION pg_temp.uid(h text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.users WHERE handle = h $$;
CREATE FUNCTION pg_temp.org(s text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM authz.orgs WHERE slug = s $$;
CREATE FUNCTION pg_temp.ws(s text, n text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT w.id FROM authz.workspaces w JOIN authz.orgs o ON o.id = w.org_id
           WHERE o.slug = s AND w.name = n $$;
CREATE FUNCTION pg_temp.act_as(h text) RETURNS void LANGUAGE sql
    AS $$ SELECT authz.set_user(CASE WHEN h IS NULL THEN NULL ELSE pg_temp.uid(h) END) $$;
-- The role a user holds as a direct participant of a workspace (NULL: none).
CREATE FUNCTION pg_temp.ws_role(s text, n text, h text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT r.name FROM authz.participants p JOIN authz.roles r ON r.id = p.role_id
           WHERE p.workspace_id = pg_temp.ws(s, n) AND p.user_id = pg_temp.uid(h) $$;
-- A user's org role and org-wide workspace role, as 'role/workspace_role'.
CREATE FUNCTION pg_temp.membership(s text, h text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT m.role || '/' || coalesce(r.name, '-')
            FROM authz.org_members m LEFT JOIN authz.roles r ON r.id = m.workspace_role
           WHERE m.org_id = pg_temp.org(s) AND m.user_id = pg_temp.uid(h) $$;

-- The tokens handed out by this file, by label; and their invitations.
CREATE TEMP TABLE tokens (label text PRIMARY KEY, token text);
CREATE FUNCTION pg_temp.tok(l text) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT token FROM tokens WHERE label = l $$;
CREATE FUNCTION pg_temp.inv(l text) RETURNS authz.invitations LANGUAGE sql STABLE
    AS $$ SELECT i.* FROM authz.invitations i WHERE i.token_hash = sha256(convert_to(pg_temp.tok(l), 'UTF8')) $$;
-- Where an invitation stands: pending, accepted by someone, revoked by someone.
CREATE FUNCTION pg_temp.status(l text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted by ' || a.handle
                WHEN i.revoked_at IS NOT NULL THEN 'revoked by ' || r.handle
                ELSE 'pending' END
      FROM pg_temp.inv(l) i
      LEFT JOIN authz.users a ON a.id = i.accepted_by
      LEFT JOIN authz.users r ON r.id = i.revoked_by
$$;

-- Everything an acceptance could change, to prove that a refused one changed nothing.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT md5(coalesce((SELECT string_agg(x::text, ';' ORDER BY x::text) FROM authz.participants x), '')
            || '|' || coalesce((SELECT string_agg(x::text, ';' ORDER BY x::text) FROM authz.org_members x), '')
            || '|' || coalesce((SELECT string_agg(x::text, ';' ORDER BY x::text) FROM authz.invitations x), ''))
$$;
CREATE TEMP TABLE saved (state text);
CREATE FUNCTION pg_temp.save() RETURNS void LANGUAGE sql
    AS $$ DELETE FROM saved; INSERT INTO saved SELECT pg_temp.state() $$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT state = pg_temp.state() FROM saved $$;

-- The cast. olga owns org inv and its workspaces lab and annex; in lab adam is
-- admin, mia member, vic and viv viewers; oadm is an org
-- admin, omem an org member, gus a guest. Org tight (olga) allows no
-- collaborators and at most 2 participants per workspace; tina belongs to it.
-- The others are invitees with no access yet; out is an outsider.
DO $$
BEGIN
    PERFORM pg_temp.act_as(NULL);   -- the platform's call: no user asserted
    PERFORM authz.create_user(h, h || '@example.com')
       FROM unnest(ARRAY['olga', 'adam', 'mia', 'vic', 'viv', 'oadm', 'omem', 'gus', 'tina', 'out',
                         'ian', 'iris', 'oscar', 'ed', 'rita', 'wes', 'dee', 'lara', 'cole']) h;
    PERFORM pg_temp.act_as('olga');
    PERFORM authz.create_org('inv');
    PERFORM authz.create_workspace(pg_temp.org('inv'), 'lab');
    PERFORM authz.create_workspace(pg_temp.org('inv'), 'annex');
    PERFORM pg_temp.add_org_member(pg_temp.org('inv'), pg_temp.uid('oadm'), 'admin');
    PERFORM pg_temp.add_org_member(pg_temp.org('inv'), pg_temp.uid('gus'), 'guest');
    PERFORM pg_temp.add_org_member(pg_temp.org('inv'), pg_temp.uid(h))
       FROM unnest(ARRAY['adam', 'mia', 'vic', 'viv', 'omem']) h;
    PERFORM pg_temp.add_member(pg_temp.ws('inv', 'lab'), pg_temp.uid('adam'), 'admin');
    PERFORM pg_temp.add_member(pg_temp.ws('inv', 'lab'), pg_temp.uid('mia'), 'member');
    PERFORM pg_temp.add_member(pg_temp.ws('inv', 'lab'), pg_temp.uid('vic'), 'viewer');
    PERFORM pg_temp.add_member(pg_temp.ws('inv', 'lab'), pg_temp.uid('viv'), 'viewer');
    PERFORM authz.create_org('tight');
    PERFORM authz.create_workspace(pg_temp.org('tight'), 'full');
    PERFORM pg_temp.add_org_member(pg_temp.org('tight'), pg_temp.uid('tina'));
    PERFORM pg_temp.add_member(pg_temp.ws('tight', 'full'), pg_temp.uid('mia'), 'viewer');
    PERFORM authz.update_org(pg_temp.org('tight'), '{"max_participants": 2, "allow_collaborators": false}');
    PERFORM authz.set_user(NULL);
END
$$;
-- Ids read now: under a non-superuser role RLS would hide them.
SELECT pg_temp.ws('inv', 'lab') AS lab_id \gset

-- ===========================================================================
-- invite and invite_to_org: success
-- ===========================================================================
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$INSERT INTO tokens SELECT 'ian', authz.invite(pg_temp.ws('inv', 'lab'), 'ian@example.com')$$,
    'invite: a workspace admin invites an email address (role member and 7 days by default)');
SELECT lives_ok($$INSERT INTO tokens SELECT 'iris', authz.invite(pg_temp.ws('inv', 'lab'), 'Iris@Example.COM', 'viewer')$$,
    'invite: an admin invites another address as viewer');
SELECT matches(pg_temp.tok('ian'), '^[0-9a-f]{64}$',
    'invite: the token is 64 lowercase hexadecimal digits (32 random bytes)');
SELECT isnt(pg_temp.tok('ian'), pg_temp.tok('iris'), 'invite: two invitations get two different tokens');
SELECT results_eq(
    $$SELECT i.workspace_id, i.org_id, i.email, r.name, i.org_role, u.handle, i.inviter_rank,
             i.expires_at - i.created_at, i.created_at = now(), i.accepted_at, i.revoked_at
        FROM pg_temp.inv('ian') i JOIN authz.roles r ON r.id = i.role_id JOIN authz.users u ON u.id = i.inviter_id$$,
    $$VALUES (pg_temp.ws('inv', 'lab'), pg_temp.org('inv'), 'ian@example.com', 'member', NULL::text, 'adam', 80,
              interval '7 days', true, NULL::timestamptz, NULL::timestamptz)$$,
    'invite: the invitation records workspace, org, email, role, inviter and rank, and lasts 7 days');
SELECT is((SELECT i.token_hash FROM pg_temp.inv('iris') i), sha256(convert_to(pg_temp.tok('iris'), 'UTF8')),
    'invite: the table stores sha256 of the token (token_hash = sha256(convert_to(token, ''UTF8'')))');

SELECT pg_temp.act_as('olga');
SELECT lives_ok(
    $$INSERT INTO tokens SELECT 'oscar', authz.invite_to_org(pg_temp.org('inv'), 'oscar@example.com', 'member', 'viewer')$$,
    'invite_to_org: the org owner invites an address as member with an org-wide workspace role');
SELECT results_eq(
    $$SELECT i.workspace_id, i.org_id, i.email, i.org_role, r.name, u.handle, i.inviter_rank
        FROM pg_temp.inv('oscar') i JOIN authz.roles r ON r.id = i.role_id JOIN authz.users u ON u.id = i.inviter_id$$,
    $$VALUES (NULL::uuid, pg_temp.org('inv'), 'oscar@example.com', 'member', 'viewer', 'olga', 100)$$,
    'invite_to_org: the invitation is to the organization, with the org role, the org-wide workspace role, and the inviter''s org-wide limit (an owner: 100)');
SELECT matches(pg_temp.tok('oscar'), '^[0-9a-f]{64}$', 'invite_to_org: the token is 64 lowercase hexadecimal digits');

SELECT pg_temp.act_as('adam');
SELECT lives_ok(
    $$INSERT INTO tokens SELECT 'short', authz.invite(pg_temp.ws('inv', 'lab'), 'short@example.com', 'viewer', '1 hour')$$,
    'invite: expires_in may be short (1 hour)');
SELECT is((SELECT expires_at FROM pg_temp.inv('short')), now() + interval '1 hour',
    'invite: the invitation expires expires_in after it was sent');
SELECT lives_ok(
    $$INSERT INTO tokens SELECT 'long', authz.invite(pg_temp.ws('inv', 'lab'), 'long@example.com', 'member', '90 days')$$,
    'invite: expires_in may be exactly 90 days');

-- ===========================================================================
-- tokens are never stored; PUBLIC cannot read the hashes
-- ===========================================================================
SELECT is((SELECT count(*) FROM tokens t JOIN authz.invitations i
            ON i.token_hash = sha256(convert_to(t.token, 'UTF8'))), (SELECT count(*) FROM tokens),
    'storage: every token handed out matches exactly the sha256 stored for its invitation');
SELECT is((SELECT count(*) FROM tokens t, authz.invitations i
            WHERE strpos(to_jsonb(i)::text, t.token) > 0 OR encode(i.token_hash, 'hex') = t.token
               OR encode(i.token_hash, 'escape') = t.token),
    0::bigint, 'storage: no column of any invitation holds a token, in any encoding');

SELECT pg_temp.act_as('adam');
SET ROLE regress_inv_app;
SELECT throws_ok($$SELECT token_hash FROM authz.invitations$$,
    '42501', 'permission denied for table invitations',
    'privileges: an ordinary role cannot read token_hash');
SELECT results_eq($$SELECT email FROM authz.invitations ORDER BY email$$,
    $$VALUES ('Iris@Example.COM'), ('ian@example.com'), ('long@example.com'), ('short@example.com')$$,
    'privileges: through RLS the inviter reads the invitations they sent (but not the org invitation)');
RESET ROLE;
SELECT pg_temp.act_as('mia');
SET ROLE regress_inv_app;
SELECT is((SELECT count(*) FROM authz.invitations), 0::bigint,
    'privileges: a member who neither sent nor manages invitations reads none');
RESET ROLE;

-- ===========================================================================
-- invite: refusals (and none of them leaves an invitation behind)
-- ===========================================================================
SELECT pg_temp.save();
SELECT pg_temp.act_as('mia');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com')$$,
    '42501', 'permission denied: "members.manage" is required in workspace "inv/lab"',
    'invite: a member without members.manage may not invite (42501)');
SELECT pg_temp.act_as('adam');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'owner')$$,
    '42501', 'cannot assign role "owner" (rank 100) above your own rank (80) in workspace "inv/lab"',
    'invite: an admin may not invite as owner, a role above their own (42501)');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'boss')$$,
    '42704', 'role "boss" not found or not allowed',
    'invite: an unknown role is refused with 42704');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'not-an-email')$$,
    '22023', 'invalid email: "not-an-email"',
    'invite: a malformed email address is refused with 22023');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), NULL)$$,
    '22004', 'email must not be NULL',
    'invite: a NULL email address is refused with 22004');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'member', '0')$$,
    '22023', 'an invitation lasts more than nothing and at most 90 days, not 00:00:00',
    'invite: expires_in 0 is refused with 22023');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'member', '-1 day')$$,
    '22023', 'an invitation lasts more than nothing and at most 90 days, not -1 days',
    'invite: a negative expires_in is refused with 22023');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'member', '91 days')$$,
    '22023', 'an invitation lasts more than nothing and at most 90 days, not 91 days',
    'invite: expires_in of 91 days is refused with 22023');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'x@example.com', 'member', NULL)$$,
    '22004', 'expires_in must not be NULL',
    'invite: a NULL expires_in is refused with 22004');
SELECT throws_ok($$SELECT authz.invite(authz.personal_workspace(), 'x@example.com')$$,
    '22023', 'personal workspace "adam" has no participants',
    'invite: nobody is invited to a personal workspace (22023)');

SELECT pg_temp.act_as('omem');
SELECT throws_ok($$SELECT authz.invite_to_org(pg_temp.org('inv'), 'x@example.com')$$,
    '42501', 'permission denied: "org.members.manage" is required in organization "inv"',
    'invite_to_org: an org member may not invite to the organization (42501)');
SELECT pg_temp.act_as('oadm');
SELECT throws_ok($$SELECT authz.invite_to_org(pg_temp.org('inv'), 'x@example.com', 'owner')$$,
    '42501', 'cannot assign org role "owner" above your own ("admin") in organization "inv"',
    'invite_to_org: an org admin may not invite as org owner (42501)');
SELECT throws_ok($$SELECT authz.invite_to_org(pg_temp.org('inv'), 'x@example.com', 'member', 'owner')$$,
    '42501', 'cannot assign org-wide workspace role "owner" (rank 100) above your limit (80) in organization "inv"',
    'invite_to_org: an org admin may not offer an org-wide workspace role above their limit (42501)');
SELECT throws_ok($$SELECT authz.invite_to_org(pg_temp.org('inv'), 'x@example.com', 'guest', 'viewer')$$,
    '22023', 'guests of organization "inv" cannot hold an org-wide workspace role',
    'invite_to_org: a guest invitation with an org-wide workspace role is refused with 22023');
SELECT throws_ok($$SELECT authz.invite_to_org(pg_temp.org('inv'), 'x@example.com', 'boss')$$,
    '22023', 'invalid org role "boss"',
    'invite_to_org: an org role that does not exist is refused with 22023');
SELECT ok(pg_temp.unchanged(), 'invite: the refused invitations left no row and changed nothing');

-- ===========================================================================
-- accept_invitation: success
-- ===========================================================================
SELECT pg_temp.act_as('ian');
SELECT is(authz.accept_invitation(pg_temp.tok('ian')), pg_temp.ws('inv', 'lab'),
    'accept: the invitee accepts and gets the workspace id back');
SELECT is(pg_temp.ws_role('inv', 'lab', 'ian'), 'member', 'accept: the invitee participates with the offered role');
SELECT is(authz.role_in(pg_temp.ws('inv', 'lab')), 'member', 'accept: the new role takes effect at once');
SELECT results_eq($$SELECT accepted_at = now(), pg_temp.status('ian') FROM pg_temp.inv('ian')$$,
    $$VALUES (true, 'accepted by ian')$$, 'accept: the invitation is marked used, with when and by whom');

SELECT pg_temp.act_as('iris');
SELECT is(authz.accept_invitation(pg_temp.tok('iris')), pg_temp.ws('inv', 'lab'),
    'accept: the email matches regardless of case (Iris@Example.COM for iris@example.com)');
SELECT is(pg_temp.ws_role('inv', 'lab', 'iris'), 'viewer', 'accept: that invitee participates as viewer');

SELECT pg_temp.act_as('oscar');
SELECT is(authz.accept_invitation(pg_temp.tok('oscar')), pg_temp.org('inv'),
    'accept: an organization invitation returns the org id');
SELECT is(pg_temp.membership('inv', 'oscar'), 'member/viewer',
    'accept: the invitee joins the organization with the org role and the org-wide workspace role');
SELECT is(authz.role_in(pg_temp.ws('inv', 'annex')), 'viewer',
    'accept: the org-wide workspace role holds in the org''s workspaces');

-- ===========================================================================
-- accept_invitation: forged, expired, used, revoked, misdirected tokens
-- ===========================================================================
SELECT pg_temp.act_as('adam');
DO $$
BEGIN
    INSERT INTO tokens SELECT l, authz.invite(pg_temp.ws('inv', 'lab'), l || '@example.com')
      FROM unnest(ARRAY['ed', 'rita', 'wes', 'dee', 'cole2']) l;
END
$$;

SELECT pg_temp.save();
SELECT pg_temp.act_as('wes');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', encode(sha256(convert_to(random()::text, 'UTF8')), 'hex')),
    '42704', 'invitation not found', 'accept: a random token is refused with 42704');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', upper(pg_temp.tok('wes'))),
    '42704', 'invitation not found', 'accept: the right token in upper case is another token (42704)');
SELECT throws_ok($$SELECT authz.accept_invitation('')$$,
    '42704', 'invitation not found', 'accept: an empty token is refused with 42704');
SELECT throws_ok($$SELECT authz.accept_invitation(NULL)$$,
    '22004', 'token must not be NULL', 'accept: a NULL token is refused with 22004');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', encode(sha256(convert_to(pg_temp.tok('wes'), 'UTF8')), 'hex')),
    '42704', 'invitation not found', 'accept: the hash of a token is not a token (42704)');
SELECT ok(pg_temp.unchanged(), 'accept: forged tokens changed nothing');

-- Expired: moved into the past by the superuser, inside this transaction.
UPDATE authz.invitations SET expires_at = now() - interval '1 minute' WHERE id = (pg_temp.inv('ed')).id;
SELECT pg_temp.save();
SELECT pg_temp.act_as('ed');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('ed')),
    '55000', format('invitation expired at %s', (pg_temp.inv('ed')).expires_at),
    'accept: an expired invitation is refused with 55000');
SELECT ok(pg_temp.unchanged() AND pg_temp.ws_role('inv', 'lab', 'ed') IS NULL AND pg_temp.status('ed') = 'pending',
    'accept: the expired invitation changed nothing (no participant, invitation not used)');

-- Used.
SELECT pg_temp.save();
SELECT pg_temp.act_as('ian');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('ian')),
    '55000', 'invitation was already used', 'accept: a second acceptance is refused with 55000');
SELECT pg_temp.act_as('iris');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('ian')),
    '55000', 'invitation was already used', 'accept: someone else reusing a used token is refused with 55000');
SELECT ok(pg_temp.unchanged(), 'accept: reusing a token changed no participant, org member or invitation');

-- Revoked.
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$SELECT authz.revoke_invitation((pg_temp.inv('rita')).id)$$,
    'revoke: the inviter revokes their own invitation');
SELECT is(pg_temp.status('rita'), 'revoked by adam', 'revoke: the invitation records who revoked it');
SELECT pg_temp.save();
SELECT pg_temp.act_as('rita');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('rita')),
    '55000', 'invitation was revoked', 'accept: a revoked invitation is refused with 55000');
SELECT ok(pg_temp.unchanged() AND pg_temp.ws_role('inv', 'lab', 'rita') IS NULL,
    'accept: the revoked invitation changed nothing');

-- Sent to another address.
SELECT pg_temp.save();
SELECT pg_temp.act_as('ian');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('wes')),
    '42501', 'invitation was sent to another email address',
    'accept: an invitation sent to another address is refused with 42501');
SELECT ok(pg_temp.unchanged() AND pg_temp.status('wes') = 'pending',
    'accept: the misdirected attempt changed nothing; the invitation stays pending');
SELECT pg_temp.act_as('wes');
SELECT is(authz.accept_invitation(pg_temp.tok('wes')), pg_temp.ws('inv', 'lab'),
    'accept: the right user accepts it afterwards');
SELECT is(pg_temp.ws_role('inv', 'lab', 'wes'), 'member', 'accept: and participates with the offered role');

-- Deactivated invitee; no identity at all.
SELECT pg_temp.act_as(NULL);   -- the platform deactivates (no user asserted)
SELECT authz.deactivate_user(pg_temp.uid('dee'));
SELECT pg_temp.save();
SELECT pg_temp.act_as('dee');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('dee')),
    '42501', 'user "dee" is deactivated', 'accept: a deactivated user cannot accept (42501)');
SELECT pg_temp.act_as(NULL);
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('dee')),
    '42501', 'no authz user is set for this session', 'accept: without an identity nobody accepts (42501)');
SELECT ok(pg_temp.unchanged() AND pg_temp.status('dee') = 'pending',
    'accept: the refused acceptances changed nothing; the invitation stays pending');

-- ===========================================================================
-- accept_invitation: the higher role is kept
-- ===========================================================================
SELECT pg_temp.act_as('adam');
DO $$
BEGIN
    INSERT INTO tokens VALUES
        ('mia', authz.invite(pg_temp.ws('inv', 'lab'), 'mia@example.com', 'viewer')),
        ('vic', authz.invite(pg_temp.ws('inv', 'lab'), 'vic@example.com', 'member'));
    PERFORM pg_temp.act_as('olga');
    INSERT INTO tokens VALUES
        ('oadm', authz.invite_to_org(pg_temp.org('inv'), 'oadm@example.com', 'member', 'viewer')),
        ('gus', authz.invite_to_org(pg_temp.org('inv'), 'gus@example.com', 'member', 'viewer'));
END
$$;
SELECT pg_temp.act_as('mia');
SELECT is(authz.accept_invitation(pg_temp.tok('mia')), pg_temp.ws('inv', 'lab'),
    'accept, higher role: a member invited as viewer may accept');
SELECT results_eq($$SELECT pg_temp.ws_role('inv', 'lab', 'mia'), pg_temp.status('mia')$$,
    $$VALUES ('member', 'accepted by mia')$$,
    'accept, higher role: the member keeps the higher role, and the invitation is used');
SELECT pg_temp.act_as('vic');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('vic')),
    'accept, lower role: a viewer invited as member accepts');
SELECT results_eq($$SELECT pg_temp.ws_role('inv', 'lab', 'vic'), pg_temp.status('vic')$$,
    $$VALUES ('member', 'accepted by vic')$$,
    'accept, lower role: the viewer is upgraded to member');
SELECT pg_temp.act_as('oadm');
SELECT is(authz.accept_invitation(pg_temp.tok('oadm')), pg_temp.org('inv'),
    'accept, org: an org admin invited as member may accept');
SELECT results_eq($$SELECT pg_temp.membership('inv', 'oadm'), pg_temp.status('oadm')$$,
    $$VALUES ('admin/viewer', 'accepted by oadm')$$,
    'accept, org: the existing member keeps the higher org role, takes the offered org-wide role, and the invitation is used');
SELECT pg_temp.act_as('gus');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('gus')),
    'accept, org: a guest invited as member accepts');
SELECT is(pg_temp.membership('inv', 'gus'), 'member/viewer',
    'accept, org: the guest becomes a member with the offered org-wide workspace role');

-- ===========================================================================
-- accept_invitation: the organization's collaborator policy and limit
-- ===========================================================================
SELECT pg_temp.act_as('olga');
DO $$
BEGIN
    INSERT INTO tokens VALUES
        ('cole', authz.invite(pg_temp.ws('tight', 'full'), 'cole@example.com')),
        ('tina', authz.invite(pg_temp.ws('tight', 'full'), 'tina@example.com'));
END
$$;
SELECT pg_temp.save();
SELECT pg_temp.act_as('cole');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('cole')),
    '42501', format('organization "%s" does not allow collaborators from outside it', pg_temp.org('tight')),
    'accept: outside an organization that allows no collaborators, acceptance is refused (42501)');
SELECT pg_temp.act_as('tina');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('tina')),
    '23514', 'workspace "tight/full" has reached its limit of 2 participants',
    'accept: a workspace at its participant limit refuses the acceptance (23514)');
SELECT ok(pg_temp.unchanged() AND pg_temp.status('cole') = 'pending' AND pg_temp.status('tina') = 'pending',
    'accept: both refusals changed nothing; the invitations stay pending');

-- ===========================================================================
-- revoke_invitation
-- ===========================================================================
SELECT pg_temp.act_as('adam');
DO $$
BEGIN
    INSERT INTO tokens VALUES ('zed', authz.invite(pg_temp.ws('inv', 'lab'), 'zed@example.com'));
    PERFORM pg_temp.act_as('olga');
    INSERT INTO tokens VALUES
        ('anna', authz.invite(pg_temp.ws('inv', 'annex'), 'anna@example.com', 'viewer')),
        ('olly', authz.invite_to_org(pg_temp.org('inv'), 'olly@example.com', 'guest')),
        ('orin', authz.invite_to_org(pg_temp.org('inv'), 'orin@example.com', 'admin'));
END
$$;
SELECT pg_temp.act_as('olga');
SELECT lives_ok($$SELECT authz.revoke_invitation((pg_temp.inv('zed')).id)$$,
    'revoke: another manager of the workspace (its owner) revokes an admin''s invitation');
SELECT is(pg_temp.status('zed'), 'revoked by olga', 'revoke: the invitation is revoked, by that manager');
SELECT pg_temp.act_as('iris');
SELECT throws_ok($$SELECT authz.revoke_invitation((pg_temp.inv('short')).id)$$,
    '42704', format('invitation "%s" not found or not allowed', (pg_temp.inv('short')).id),
    'revoke: a viewer may not revoke someone else''s invitation, which they may not see (42704, as an unknown one)');
SELECT pg_temp.act_as('adam');
SELECT throws_ok($$SELECT authz.revoke_invitation((pg_temp.inv('ian')).id)$$,
    '55000', format('invitation "%s" was already accepted', (pg_temp.inv('ian')).id),
    'revoke: an accepted invitation cannot be revoked (55000)');
SELECT throws_ok($$SELECT authz.revoke_invitation('00000000-0000-0000-0000-00000000abcd')$$,
    '42704', 'invitation "00000000-0000-0000-0000-00000000abcd" not found or not allowed',
    'revoke: an unknown invitation is refused with 42704');
SELECT throws_ok($$SELECT authz.revoke_invitation(NULL)$$,
    '22004', 'invitation_id must not be NULL', 'revoke: a NULL id is refused with 22004');
SELECT lives_ok($$SELECT authz.revoke_invitation((pg_temp.inv('zed')).id)$$,
    'revoke: revoking a revoked invitation again is a no-op');
SELECT is(pg_temp.status('zed'), 'revoked by olga', 'revoke: the second revocation kept the first revoker');
SELECT pg_temp.act_as('omem');
SELECT throws_ok($$SELECT authz.revoke_invitation((pg_temp.inv('olly')).id)$$,
    '42704', format('invitation "%s" not found or not allowed', (pg_temp.inv('olly')).id),
    'revoke: an org member may not revoke an organization invitation, which they may not see (42704)');
SELECT pg_temp.act_as('oadm');
SELECT lives_ok($$SELECT authz.revoke_invitation((pg_temp.inv('olly')).id)$$,
    'revoke: an org admin revokes the owner''s organization invitation');

-- ===========================================================================
-- pending_invitations: only pending ones the caller sent or manages
-- ===========================================================================
-- Pending now: lab: short, long, dee, cole2 (all adam's); annex: anna (olga's);
-- tight/full: cole, tina (olga's); org inv: orin (olga's). Accepted, revoked
-- (rita, zed, olly) and expired (ed) ones are not listed.
SELECT pg_temp.act_as('adam');
SELECT results_eq(
    $$SELECT email, role, inviter FROM authz.pending_invitations() ORDER BY email$$,
    $$VALUES ('cole2@example.com', 'member', 'adam'), ('dee@example.com', 'member', 'adam'),
             ('long@example.com', 'member', 'adam'), ('short@example.com', 'viewer', 'adam')$$,
    'pending_invitations: an admin of one workspace lists its pending invitations only');
SELECT pg_temp.act_as('olga');
SELECT results_eq(
    $$SELECT email, role, inviter, workspace_id IS NULL FROM authz.pending_invitations(pg_temp.org('inv')) ORDER BY email$$,
    $$VALUES ('anna@example.com', 'viewer', 'olga', false), ('cole2@example.com', 'member', 'adam', false),
             ('dee@example.com', 'member', 'adam', false), ('long@example.com', 'member', 'adam', false),
             ('orin@example.com', 'admin', 'olga', true), ('short@example.com', 'viewer', 'adam', false)$$,
    'pending_invitations: the org owner lists every pending invitation of the org, org invitations included');
SELECT results_eq(
    $$SELECT email FROM authz.pending_invitations(NULL, pg_temp.ws('inv', 'annex'))$$,
    $$VALUES ('anna@example.com')$$,
    'pending_invitations: the workspace filter lists one workspace''s');
SELECT pg_temp.act_as('oadm');
SELECT results_eq(
    $$SELECT email FROM authz.pending_invitations(pg_temp.org('inv')) ORDER BY email$$,
    $$VALUES ('anna@example.com'), ('cole2@example.com'), ('dee@example.com'), ('long@example.com'),
             ('orin@example.com'), ('short@example.com')$$,
    'pending_invitations: an org admin (admin of every workspace) lists the same, not other orgs''');
SELECT pg_temp.act_as('mia');
SELECT is((SELECT count(*) FROM authz.pending_invitations()), 0::bigint,
    'pending_invitations: a member who sent none and manages nothing lists none');
SELECT pg_temp.act_as('omem');
SELECT is((SELECT count(*) FROM authz.pending_invitations()), 0::bigint,
    'pending_invitations: an org member lists no organization invitations');

-- ===========================================================================
-- accept_invitation: an organization invitation to an existing member
-- ===========================================================================
DO $$
BEGIN
    PERFORM pg_temp.act_as(NULL);   -- the platform's call: no user asserted
    PERFORM authz.create_user(h, h || '@example.com') FROM unnest(ARRAY['gil', 'hank', 'hope']) h;
    PERFORM pg_temp.act_as('olga');
    PERFORM authz.update_org(pg_temp.org('inv'), '{"member_workspace_role": "viewer"}');
    PERFORM pg_temp.add_org_member(pg_temp.org('inv'), pg_temp.uid('gil'), 'guest');
    INSERT INTO tokens VALUES
        ('gil', authz.invite_to_org(pg_temp.org('inv'), 'gil@example.com', 'member')),
        ('omem', authz.invite_to_org(pg_temp.org('inv'), 'omem@example.com', 'member', 'member')),
        ('omem2', authz.invite_to_org(pg_temp.org('inv'), 'omem@example.com', 'member', 'viewer'));
END
$$;
SELECT pg_temp.act_as('gil');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('gil')),
    'accept, org: a guest invited as member with no org-wide role accepts');
SELECT is(pg_temp.membership('inv', 'gil'), 'member/viewer',
    'accept, org: the guest made a member gets the org''s member_workspace_role, as set_org_role gives');
SELECT pg_temp.act_as('omem');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('omem')),
    'accept, org: a member invited again as member with an org-wide role accepts');
SELECT is(pg_temp.membership('inv', 'omem'), 'member/member',
    'accept, org: the offered org-wide role applies although the org role is not higher');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('omem2')),
    'accept, org: a member invited with a lower org-wide role accepts');
SELECT results_eq($$SELECT pg_temp.membership('inv', 'omem'), pg_temp.status('omem2')$$,
    $$VALUES ('member/member', 'accepted by omem')$$,
    'accept, org: the higher org-wide role is kept, and the invitation is used');
SELECT pg_temp.act_as('olga');
SELECT authz.update_org(pg_temp.org('inv'), '{"member_workspace_role": null}');

-- ===========================================================================
-- accept_invitation: the offered role, raised since, above the inviter's rank
-- ===========================================================================
SELECT pg_temp.act_as('olga');
SELECT authz.create_role(pg_temp.org('inv'), 'helper', 30, '{workspace.view,content.read}');
SELECT pg_temp.act_as('adam');
INSERT INTO tokens SELECT 'hank', authz.invite(pg_temp.ws('inv', 'lab'), 'hank@example.com', 'helper');
SELECT pg_temp.act_as('oadm');
INSERT INTO tokens SELECT 'hope', authz.invite_to_org(pg_temp.org('inv'), 'hope@example.com', 'member', 'helper');
SELECT is((pg_temp.inv('hope')).inviter_rank, 80,
    'invite_to_org: an org admin''s invitation keeps their org-wide limit (80, the admin workspace role)');
SELECT pg_temp.act_as('olga');
SELECT authz.update_role(pg_temp.org('inv'), 'helper', rank => 90);
SELECT pg_temp.save();
SELECT pg_temp.act_as('hank');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('hank')),
    '55000', 'invitation offers role "helper" (now rank 90), above its inviter''s rank (80) when it was sent',
    'accept: a workspace role raised above the inviter''s rank since the invitation is refused with 55000');
SELECT pg_temp.act_as('hope');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('hope')),
    '55000', 'invitation offers role "helper" (now rank 90), above its inviter''s rank (80) when it was sent',
    'accept, org: an org-wide role raised above the inviter''s limit since the invitation is refused with 55000');
SELECT ok(pg_temp.unchanged() AND pg_temp.status('hank') = 'pending' AND pg_temp.status('hope') = 'pending',
    'accept: the refused acceptances changed nothing; the invitations stay pending');
SELECT pg_temp.act_as('olga');
SELECT authz.update_role(pg_temp.org('inv'), 'helper', rank => 80);
SELECT pg_temp.act_as('hank');
SELECT lives_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('hank')),
    'accept: once the role ranks within the inviter''s rank again, the invitation is accepted');
SELECT is(pg_temp.ws_role('inv', 'lab', 'hank'), 'helper',
    'accept: the invitee holds the offered role');

-- ===========================================================================
-- rank rules apply at invite time
-- ===========================================================================
-- An admin invites as member, then is demoted to viewer before the
-- invitation is accepted: the invitation was within their rank when sent,
-- but an invitation gives only what its inviter may still give, so it is
-- refused.
SELECT pg_temp.act_as('adam');
SELECT lives_ok($$INSERT INTO tokens SELECT 'lara', authz.invite(pg_temp.ws('inv', 'lab'), 'lara@example.com', 'member')$$,
    'rank at invite time: an admin invites as member');
SELECT pg_temp.act_as('olga');
SELECT authz.set_role(pg_temp.ws('inv', 'lab'), pg_temp.uid('adam'), 'viewer');
SELECT pg_temp.act_as('adam');
SELECT throws_ok($$SELECT authz.invite(pg_temp.ws('inv', 'lab'), 'later@example.com', 'viewer')$$,
    '42501', 'permission denied: "members.manage" is required in workspace "inv/lab"',
    'rank at invite time: once demoted to viewer, the former admin may not invite any more');
SELECT pg_temp.act_as('lara');
SELECT throws_ok(format('SELECT authz.accept_invitation(%L)', pg_temp.tok('lara')),
    '55000', 'invitation is no longer valid: its inviter may no longer give what it offers',
    'rank at invite time: the invitation sent before the demotion is refused, its inviter no longer managing members');
SELECT results_eq(
    $$SELECT pg_temp.ws_role('inv', 'lab', 'lara'), (pg_temp.inv('lara')).inviter_rank$$,
    $$VALUES (NULL::text, 80)$$,
    'rank at invite time: the refused invitation left the invitee outside the workspace');

-- ===========================================================================
-- an organization's default org-wide role applies to invited members too
-- ===========================================================================
-- SPEC 7, latch: every org member is owner in every workspace unless given
-- another org-wide role. Joining through an invitation makes an org member
-- like add_org_member does, so the org's member_workspace_role applies alike.
DO $$
BEGIN
    PERFORM pg_temp.act_as(NULL);   -- the platform's call: no user asserted
    PERFORM authz.create_user(h, h || '@example.com') FROM unnest(ARRAY['nora', 'jon']) h;
    PERFORM pg_temp.act_as('olga');
    PERFORM authz.create_org('lat');
    PERFORM authz.apply_preset(pg_temp.org('lat'), 'latch');
    PERFORM authz.create_workspace(pg_temp.org('lat'), 'w');
    PERFORM pg_temp.add_org_member(pg_temp.org('lat'), pg_temp.uid('jon'));
    INSERT INTO tokens VALUES ('nora', authz.invite_to_org(pg_temp.org('lat'), 'nora@example.com'));
    PERFORM pg_temp.act_as('nora');
    PERFORM authz.accept_invitation(pg_temp.tok('nora'));
END
$$;
SELECT pg_temp.act_as('jon');
SELECT is(authz.role_in(pg_temp.ws('lat', 'w')), 'owner',
    'default org-wide role: a member added by add_org_member to a latch org is owner in its workspaces');
SELECT pg_temp.act_as('nora');
SELECT is(authz.role_in(pg_temp.ws('lat', 'w')), 'owner',
    'default org-wide role: a member who joined a latch org by invitation is owner in its workspaces too');

SELECT * FROM finish();
ROLLBACK;
