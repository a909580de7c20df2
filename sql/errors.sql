-- Error messages for bad input to the administration and check functions:
-- NULL, empty, blank and over-long arguments, malformed names, unknown ids,
-- and the rank, last-owner and duplicate refusals.
\set SHOW_CONTEXT never
SET search_path = public;

-- fixture: ann owns org acme and its workspace lab; bob is a member of acme,
-- dee an admin; cat belongs to no organization but ann's other one, where bob
-- and dee are members too (so that ann, bob and dee, who may see cat, see
-- refusals name cat by handle, and the rank rules refuse what they try on him)
SELECT authz.create_user('ann', 'ann@example.com', 'Ann') AS ann \gset
SELECT authz.create_user('bob', 'bob@example.com') AS bob \gset
SELECT authz.create_user('cat', 'cat@example.com') AS cat \gset
SELECT authz.create_user('dee', 'dee@example.com') AS dee \gset
SELECT authz.set_user(:'ann', false);
SELECT authz.create_org('acme', 'Acme') AS acme \gset
SELECT authz.create_workspace(:'acme', 'lab') AS lab \gset
SELECT authz.create_team(:'acme', 'core') AS core \gset
SELECT authz.create_team(:'acme', 'ops') AS ops \gset
SELECT authz.create_org('other') AS other \gset
SELECT authz.create_team(:'other', 'elsewhere') AS elsewhere \gset
SELECT authz.personal_workspace() AS ann_home \gset
-- (the platform puts them in: no user asserted; ann may add only people who
-- already share an organization with her)
SELECT authz.set_user(NULL, false);
SELECT authz.add_org_member(:'acme', :'bob');
SELECT authz.add_org_member(:'acme', :'dee', 'admin');
SELECT authz.add_org_member(:'other', :'cat');
SELECT authz.add_org_member(:'other', :'bob');
SELECT authz.add_org_member(:'other', :'dee');
SELECT authz.set_user(:'ann', false);

-- set_user
SELECT authz.set_user('00000000-0000-4000-8000-000000000000', false);
SELECT authz.set_user('not-a-uuid', false);

-- the platform's functions, called with no user asserted (a trusted role asserting a
-- user acts for that user only)
SELECT authz.set_user(NULL, false);

-- create_user: handle
SELECT authz.create_user(NULL, 'x@example.com');
SELECT authz.create_user('', 'x@example.com');
SELECT authz.create_user('   ', 'x@example.com');
SELECT authz.create_user(repeat('h', 64), 'x@example.com');
SELECT authz.create_user(repeat('h', 63), 'h63@example.com') IS NOT NULL AS created_63_character_handle;
SELECT authz.create_user('Ann2', 'x@example.com');
SELECT authz.create_user('-ann', 'x@example.com');
SELECT authz.create_user('ann smith', 'x@example.com');
SELECT authz.create_user('ann', 'x@example.com');
-- create_user: email
SELECT authz.create_user('dan', NULL);
SELECT authz.create_user('dan', '');
SELECT authz.create_user('dan', '  ');
SELECT authz.create_user('dan', repeat('e', 243) || '@example.com');
SELECT authz.create_user('dan', 'not-an-email');
SELECT authz.create_user('dan', 'a@b@example.com');
SELECT authz.create_user('dan', 'dan smith@example.com');
SELECT authz.create_user('dan', 'ANN@example.com');
-- create_user: display name and login role (NULL is fine for both)
SELECT authz.create_user('dan', 'dan@example.com', '');
SELECT authz.create_user('dan', 'dan@example.com', '  ');
SELECT authz.create_user('dan', 'dan@example.com', repeat('d', 201));
SELECT authz.create_user('dan', 'dan@example.com', 'Dan', 'regress_no_such_role');
SELECT authz.create_user('dan', 'dan@example.com', 'Dan', '');
SELECT authz.create_user('dan', 'dan@example.com', NULL, NULL) IS NOT NULL AS created_without_name_or_role;

-- deactivate_user
SELECT authz.deactivate_user(NULL);
SELECT authz.deactivate_user('00000000-0000-4000-8000-000000000000');
SELECT authz.deactivate_user('not-a-uuid');

-- personal_workspace
SELECT authz.personal_workspace('00000000-0000-4000-8000-000000000000');

-- create_org
SELECT authz.set_user(:'ann', false);
SELECT authz.create_org(NULL);
SELECT authz.create_org('');
SELECT authz.create_org('  ');
SELECT authz.create_org(repeat('s', 64));
SELECT authz.create_org('Acme2');
SELECT authz.create_org('acme_two');
SELECT authz.create_org('-acme');
SELECT authz.create_org('acme two');
SELECT authz.create_org('acme2', '');
SELECT authz.create_org('acme2', repeat('n', 201));
SELECT authz.create_org('acme');

-- add_org_member
SELECT authz.add_org_member(NULL, :'cat');
SELECT authz.add_org_member(:'acme', NULL);
SELECT authz.add_org_member(:'acme', :'cat', NULL);
SELECT authz.add_org_member(:'acme', :'cat', '');
SELECT authz.add_org_member(:'acme', :'cat', 'boss');
SELECT authz.add_org_member(:'acme', :'cat', 'Member');
SELECT authz.add_org_member(:'acme', :'cat', 'member', '');
SELECT authz.add_org_member(:'acme', :'cat', 'member', 'wizard');
SELECT authz.add_org_member(:'acme', :'cat', 'guest', 'viewer');
SELECT authz.add_org_member('00000000-0000-4000-8000-000000000000', :'cat');
SELECT authz.add_org_member(:'acme', '00000000-0000-4000-8000-000000000000');
SELECT authz.add_org_member('not-a-uuid', '00000000-0000-4000-8000-000000000000');
SELECT authz.add_org_member(:'acme', :'bob');

-- set_org_role
SELECT authz.set_org_role(NULL, :'bob', 'admin');
SELECT authz.set_org_role(:'acme', NULL, 'admin');
SELECT authz.set_org_role(:'acme', :'bob', NULL);
SELECT authz.set_org_role(:'acme', :'bob', 'boss');
SELECT authz.set_org_role(:'acme', :'cat', 'admin');
SELECT authz.set_org_role(:'acme', :'ann', 'admin');

-- set_org_workspace_role (NULL clears it)
SELECT authz.set_org_workspace_role(NULL, :'bob', 'viewer');
SELECT authz.set_org_workspace_role(:'acme', NULL, 'viewer');
SELECT authz.set_org_workspace_role(:'acme', :'bob', NULL);
SELECT authz.set_org_workspace_role(:'acme', :'bob', '');
SELECT authz.set_org_workspace_role(:'acme', :'bob', 'wizard');
SELECT authz.set_org_workspace_role(:'acme', :'cat', 'viewer');

-- remove_org_member
SELECT authz.remove_org_member(NULL, :'bob');
SELECT authz.remove_org_member(:'acme', NULL);
SELECT authz.remove_org_member(:'acme', :'cat');
SELECT authz.remove_org_member(:'acme', :'ann');

-- create_workspace
SELECT authz.create_workspace(NULL, 'lab2');
SELECT authz.create_workspace(:'acme', NULL);
SELECT authz.create_workspace(:'acme', '');
SELECT authz.create_workspace(:'acme', '  ');
SELECT authz.create_workspace(:'acme', repeat('w', 64));
SELECT authz.create_workspace(:'acme', 'my lab');
SELECT authz.create_workspace(:'acme', '-lab');
SELECT authz.create_workspace(:'acme', 'lab/2');
SELECT authz.create_workspace(:'acme', 'lab2', NULL);
SELECT authz.create_workspace(:'acme', 'lab2', '');
SELECT authz.create_workspace(:'acme', 'lab2', 'public');
SELECT authz.create_workspace(:'acme', 'lab2', 'private', NULL);
SELECT authz.create_workspace(:'acme', 'lab2', 'private', 'closed');
SELECT authz.create_workspace('00000000-0000-4000-8000-000000000000', 'lab2');
SELECT authz.create_workspace(:'acme', 'lab');

-- add_member
SELECT authz.add_member(NULL, :'bob');
SELECT authz.add_member(:'lab', NULL);
SELECT authz.add_member(:'lab', :'bob', NULL);
SELECT authz.add_member(:'lab', :'bob', '');
SELECT authz.add_member(:'lab', :'bob', 'wizard');
SELECT authz.add_member(:'lab', :'bob', repeat('r', 64));
SELECT authz.add_member(:'ann_home', :'bob');
SELECT authz.add_member('00000000-0000-4000-8000-000000000000', :'bob');
SELECT authz.add_member(:'lab', '00000000-0000-4000-8000-000000000000');
SELECT authz.add_member('00000000-0000-4000-8000-000000000000', 'not-a-uuid');
SELECT authz.add_member(:'lab', :'bob', 'admin');
SELECT authz.add_member(:'lab', :'bob', 'viewer');

-- set_role
SELECT authz.set_role(NULL, :'bob', 'member');
SELECT authz.set_role(:'lab', NULL, 'member');
SELECT authz.set_role(:'lab', :'bob', NULL);
SELECT authz.set_role(:'lab', :'bob', 'wizard');
SELECT authz.set_role(:'lab', :'cat', 'member');
SELECT authz.set_role(:'ann_home', :'bob', 'member');

-- remove_member
SELECT authz.remove_member(NULL, :'bob');
SELECT authz.remove_member(:'lab', NULL);
SELECT authz.remove_member(:'lab', :'cat');

-- grant, deny, reset_permissions
SELECT authz.grant(NULL, :'bob', '{content.read}');
SELECT authz.grant(:'lab', NULL, '{content.read}');
SELECT authz.grant(:'lab', :'bob', NULL);
SELECT authz.grant(:'lab', :'bob', '{}');
SELECT authz.grant(:'lab', :'bob', '{NULL}');
SELECT authz.grant(:'lab', :'bob', '{""}');
SELECT authz.grant(:'lab', :'bob', '{nope.nothing}');
SELECT authz.grant(:'lab', :'bob', '{content.read,Content.Read}');
SELECT authz.grant(:'lab', :'bob', '{org.view}');
SELECT authz.grant(:'lab', :'cat', '{content.read}');
SELECT authz.deny(NULL, :'bob', '{content.read}');
SELECT authz.deny(:'lab', NULL, '{content.read}');
SELECT authz.deny(:'lab', :'bob', NULL);
SELECT authz.deny(:'lab', :'bob', '{}');
SELECT authz.deny(:'lab', :'bob', '{nope.nothing}');
SELECT authz.deny(:'lab', :'bob', '{org.members.manage}');
SELECT authz.deny(:'lab', :'ann', '{content.read}');
SELECT authz.reset_permissions(NULL, :'bob');
SELECT authz.reset_permissions(:'lab', NULL);
SELECT authz.reset_permissions(:'lab', :'bob', '{}');
SELECT authz.reset_permissions(:'lab', :'bob', '{nope.nothing}');
SELECT authz.reset_permissions(:'lab', :'cat');

-- join_workspace
SELECT authz.join_workspace(NULL);
SELECT authz.join_workspace('00000000-0000-4000-8000-000000000000');
SELECT authz.join_workspace(:'ann_home');

-- create_team, add_team_member, remove_team_member
SELECT authz.create_team(NULL, 'core2');
SELECT authz.create_team(:'acme', NULL);
SELECT authz.create_team(:'acme', '');
SELECT authz.create_team(:'acme', '  ');
SELECT authz.create_team(:'acme', repeat('t', 64));
SELECT authz.create_team(:'acme', 'core team');
SELECT authz.create_team(:'acme', '_core');
SELECT authz.create_team('00000000-0000-4000-8000-000000000000', 'core2');
SELECT authz.create_team(:'acme', 'core');
SELECT authz.add_team_member(NULL, :'bob');
SELECT authz.add_team_member(:'core', NULL);
SELECT authz.add_team_member('00000000-0000-4000-8000-000000000000', :'bob');
SELECT authz.add_team_member(:'core', :'cat');
SELECT authz.add_team_member(:'core', :'bob');
SELECT authz.add_team_member(:'core', :'bob');
SELECT authz.remove_team_member(NULL, :'bob');
SELECT authz.remove_team_member(:'core', NULL);
SELECT authz.remove_team_member(:'core', :'cat');

-- add_team, remove_team
SELECT authz.add_team(NULL, :'core', 'member');
SELECT authz.add_team(:'lab', NULL, 'member');
SELECT authz.add_team(:'lab', :'core', NULL);
SELECT authz.add_team(:'lab', :'core', 'wizard');
SELECT authz.add_team(:'lab', :'elsewhere', 'member');
SELECT authz.add_team(:'ann_home', :'core', 'member');
SELECT authz.add_team(:'lab', '00000000-0000-4000-8000-000000000000', 'member');
SELECT authz.remove_team(NULL, :'core');
SELECT authz.remove_team(:'lab', NULL);
SELECT authz.remove_team(:'lab', :'core');
SELECT authz.add_team(:'lab', :'ops', 'owner');

-- define_permission
SELECT authz.set_user(NULL, false);
SELECT authz.define_permission(NULL);
SELECT authz.define_permission('');
SELECT authz.define_permission('  ');
SELECT authz.define_permission(repeat('p', 64));
SELECT authz.define_permission('Pipelines.Launch');
SELECT authz.define_permission('pipelines..launch');
SELECT authz.define_permission('pipelines.launch.');
SELECT authz.define_permission('1pipelines');
SELECT authz.define_permission('pipelines launch');
SELECT authz.define_permission('pipelines.launch', '');
SELECT authz.define_permission('pipelines.launch', repeat('d', 1001));
SELECT authz.define_permission('pipelines.launch', NULL, NULL);
SELECT authz.define_permission('pipelines.launch', NULL, '{owner}');
SELECT authz.define_permission('pipelines.launch', NULL, '{member,NULL}');
SELECT authz.define_permission('content.read');
SELECT authz.define_permission('org.view');
SELECT authz.set_user(:'ann', false);

-- checks: unknown permissions, NULL and unknown ids
SELECT authz.can(:'lab', 'nope.nothing');
SELECT authz.can(:'lab', '');
SELECT authz.can(:'lab', repeat('x', 300));
SELECT authz.can(:'lab', NULL) IS NULL AS null_permission_gives_null;
SELECT authz.can(:'lab', 'org.view') AS org_permission_in_workspace;
SELECT authz.can('00000000-0000-4000-8000-000000000000', 'content.read') AS unknown_workspace;
SELECT authz.can('not-a-uuid', 'content.read');
SELECT authz.can_org(:'acme', 'nope.nothing');
SELECT authz.can_org(:'acme', 'content.read') AS workspace_permission_in_org;
SELECT authz.can_org('00000000-0000-4000-8000-000000000000', 'org.view') AS unknown_org;
SELECT authz.role_in('00000000-0000-4000-8000-000000000000') IS NULL AS unknown_workspace_has_no_role;
SELECT authz.org_role('00000000-0000-4000-8000-000000000000') IS NULL AS unknown_org_has_no_role;
SELECT authz.workspace_array('nope.nothing');
SELECT * FROM authz.workspaces('nope.nothing');
-- check about another user: for the platform (no user asserted), and refused while acting for ann
SELECT authz.check(:'bob', :'lab', 'content.read');
SELECT authz.set_user(NULL, false);
SELECT authz.check(:'bob', :'lab', 'nope.nothing');
SELECT authz.check('00000000-0000-4000-8000-000000000000', :'lab', 'content.read') AS unknown_user;
SELECT * FROM authz.who_can(NULL, 'content.read');
SELECT * FROM authz.who_can(:'lab', NULL);
SELECT * FROM authz.who_can(:'lab', '');
SELECT * FROM authz.who_can(:'lab', 'nope.nothing');
SELECT * FROM authz.who_can('00000000-0000-4000-8000-000000000000', 'content.read');
SELECT * FROM authz.explain(NULL, :'lab', 'content.read');
SELECT * FROM authz.explain(:'bob', NULL, 'content.read');
SELECT * FROM authz.explain(:'bob', :'lab', NULL);
SELECT * FROM authz.explain(:'bob', :'lab', 'nope.nothing');
SELECT authz.set_user(:'ann', false);

-- rank rules, as bob, an admin of lab
SELECT authz.set_user(:'bob', false);
SELECT authz.add_member(:'lab', :'cat', 'owner');
SELECT authz.set_role(:'lab', :'ann', 'member');
SELECT authz.remove_member(:'lab', :'ann');
SELECT authz.grant(:'lab', :'bob', '{workspace.delete}');
SELECT authz.add_team(:'lab', :'core', 'owner');
SELECT authz.remove_team(:'lab', :'ops');
SELECT authz.add_team(:'lab', :'ops', 'viewer');
SELECT authz.add_org_member(:'acme', :'cat');
SELECT authz.create_workspace(:'acme', 'bobs');
SELECT authz.create_team(:'acme', 'bobs');
SELECT authz.personal_workspace(:'ann') IS NOT NULL AS superuser_acting_for_bob_may_not_look_up;

-- org rank rules, as dee, an org admin
SELECT authz.set_user(:'dee', false);
SELECT authz.add_org_member(:'acme', :'cat', 'owner');
SELECT authz.add_org_member(:'acme', :'cat', 'member', 'owner');
SELECT authz.set_org_role(:'acme', :'ann', 'member');
SELECT authz.set_org_workspace_role(:'acme', :'ann', 'viewer');
SELECT authz.remove_org_member(:'acme', :'ann');
SELECT authz.update_org(:'acme', '{"admin_workspace_role": "viewer"}');
SELECT authz.create_role(:'acme', 'wrecker', 80, '{workspace.view,workspace.delete}');

-- what the owner set beyond an org admin's limit stays out of their reach;
-- with admin_workspace_role = member, dee's limit is 40
SELECT authz.set_user(:'ann', false);
SELECT authz.set_org_workspace_role(:'acme', :'bob', 'owner');
SELECT authz.update_org(:'acme', '{"member_workspace_role": "owner", "admin_workspace_role": "member"}');
SELECT authz.set_user(:'dee', false);
SELECT authz.set_org_workspace_role(:'acme', :'bob', 'viewer');
SELECT authz.set_org_role(:'acme', :'bob', 'guest');
SELECT authz.remove_org_member(:'acme', :'bob');
SELECT authz.update_org(:'acme', '{"member_workspace_role": null}');
SELECT authz.create_role(:'acme', 'clerk', 30, '{workspace.view,members.manage}');
SELECT authz.set_user(:'ann', false);
SELECT authz.set_org_workspace_role(:'acme', :'bob', NULL);
SELECT authz.update_org(:'acme', '{"member_workspace_role": null, "admin_workspace_role": "admin"}');

-- an invitation whose role was raised above its inviter's rank since
SELECT authz.set_user(NULL, false);
SELECT authz.create_user('eve', 'eve@example.com') AS eve \gset
SELECT authz.set_user(:'ann', false);
SELECT authz.create_role(:'acme', 'helper', 30, '{workspace.view,content.read}') IS NOT NULL AS created_helper;
SELECT authz.set_user(:'bob', false);
SELECT authz.invite(:'lab', 'eve@example.com', 'helper') AS eve_token \gset
SELECT authz.set_user(:'ann', false);
SELECT authz.update_role(:'acme', 'helper', rank => 90);
SELECT authz.set_user(:'eve', false);
SELECT authz.accept_invitation(:'eve_token');

-- the participant limit counts project-only members
SELECT authz.set_user(:'ann', false);
SELECT authz.create_project(:'lab', 'p1') AS p1 \gset
SELECT authz.update_org(:'acme', '{"max_participants": 1}');
SELECT authz.add_project_member(:'p1', :'cat', 'viewer');
SELECT authz.update_org(:'acme', '{"max_participants": null}');

-- a workspace's shared role set by its owner above an admin's rank; a NULL
-- projects_only
SELECT authz.set_user(:'ann', false);
SELECT authz.create_role(:'acme', 'senior', 90, '{workspace.view,content.read}') IS NOT NULL AS created_senior;
SELECT authz.create_workspace(:'acme', 'ranked') AS ranked \gset
SELECT authz.update_workspace(:'ranked', '{"shared_role": "senior"}');
SELECT authz.add_member(:'ranked', :'bob', 'admin');
SELECT authz.set_user(:'bob', false);
SELECT authz.update_workspace(:'ranked', '{"shared_role": "viewer"}');
SELECT authz.set_user(:'ann', false);
SELECT authz.create_role(:'acme', 'nulled', 10, '{content.read}', NULL, NULL);
SELECT authz.delete_workspace(:'ranked');

-- last owners, as ann
SELECT authz.set_user(:'ann', false);
SELECT authz.remove_member(:'lab', :'ann');
SELECT authz.set_role(:'lab', :'ann', 'admin');
SELECT authz.remove_org_member(:'acme', :'ann');
SELECT authz.set_org_role(:'acme', :'ann', 'admin');
-- (refused once ann is deactivated, and nobody: the refusal names the workspace
-- by its identifier, so only its SQLSTATE is shown)
\set VERBOSITY sqlstate
SELECT authz.deactivate_user(:'ann');
\set VERBOSITY default

-- no identity, then a deactivated user
SELECT authz.set_user(NULL, false);
SELECT authz.create_org('nobody');
SELECT authz.set_user(:'cat', false);
SELECT authz.deactivate_user(:'cat');
SELECT authz.create_org('nobody');
SELECT authz.set_user(NULL, false);
