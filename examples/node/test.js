'use strict';
// Tests of authz.js against a database prepared by test/node.sh (make test):
// the connection comes from the PG* environment variables, the fixture's ids
// from AUTHZ_FIXTURE (JSON). AUTHZ_CLIENTS sets how many clients the
// concurrency test runs at once (through PgBouncer: more clients than server
// connections).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { withUser, createPool, isNotAllowed, SQLSTATE } = require('./authz');

const fx = JSON.parse(process.env.AUTHZ_FIXTURE);
const clients = Number(process.env.AUTHZ_CLIENTS || 4);

let pool; // one connection: every request shares it, as behind a busy pool
let wide; // as many connections as concurrent clients

before(async () => {
  pool = await createPool({ max: 1 });
  wide = await createPool({ max: clients });
});
after(async () => {
  await pool.end();
  await wide.end();
});

const bodies = (rows) => rows.map((r) => r.body).sort();

test('credits are read as exact strings and permission sets as arrays', async () => {
  const { rows } = await pool.query(
    "SELECT '12345678.123456'::authz.credits AS c, '{content.read,run.execute}'::authz.permset AS p, " +
    "'{}'::authz.permset AS e");
  assert.equal(rows[0].c, '12345678.123456');
  assert.deepEqual(rows[0].p, ['content.read', 'run.execute']);
  assert.deepEqual(rows[0].e, []);
});

test('two users over one pooled connection each see only their rows', async () => {
  const ada = await withUser(pool, fx.ada, async (c) => (await c.query('SELECT body FROM notes')).rows);
  const bob = await withUser(pool, fx.bob, async (c) => (await c.query('SELECT body FROM notes')).rows);
  assert.deepEqual(bodies(ada), ['ada private', 'team plan']);
  assert.deepEqual(bodies(bob), ['bob private', 'team plan']);
});

test('the identity ends with the request: the next user of the connection is nobody', async () => {
  await withUser(pool, fx.ada, async (c) => c.query('SELECT 1'));
  const { rows } = await pool.query('SELECT authz.current_user_id() AS u, count(*)::int AS n FROM notes');
  assert.equal(rows[0].u, null);
  assert.equal(rows[0].n, 0);
});

test('an unauthorized insert fails with 42501 and leaves nothing behind', async () => {
  await assert.rejects(
    withUser(pool, fx.bob, (c) => c.query('INSERT INTO notes (workspace_id, body) VALUES ($1, $2)',
      [fx.adaWorkspace, 'intrusion'])),
    (err) => isNotAllowed(err) && err.code === SQLSTATE.INSUFFICIENT_PRIVILEGE);
  const n = await withUser(pool, fx.ada, async (c) =>
    (await c.query("SELECT count(*)::int AS n FROM notes WHERE body = 'intrusion'")).rows[0].n);
  assert.equal(n, 0);
});

test('a refused extension call carries its SQLSTATE, and the connection stays usable', async () => {
  await assert.rejects(
    withUser(pool, fx.bob, (c) => c.query("SELECT authz.add_member($1, $2, 'owner')", [fx.team, fx.bob])),
    (err) => err.code === SQLSTATE.INSUFFICIENT_PRIVILEGE);
  const who = await withUser(pool, fx.bob, async (c) =>
    (await c.query('SELECT authz.current_user_id() AS u')).rows[0].u);
  assert.equal(who, fx.bob);
});

test('an error inside the request rolls back its writes and its identity', async () => {
  await assert.rejects(withUser(pool, fx.ada, async (c) => {
    await c.query('INSERT INTO notes (workspace_id, body) VALUES ($1, $2)', [fx.adaWorkspace, 'half-done']);
    throw new Error('request failed');
  }), /request failed/);
  const { rows } = await pool.query(
    "SELECT authz.current_user_id() AS u, (SELECT count(*)::int FROM notes WHERE body = 'half-done') AS n");
  assert.equal(rows[0].u, null);
  const n = await withUser(pool, fx.ada, async (c) =>
    (await c.query("SELECT count(*)::int AS n FROM notes WHERE body = 'half-done'")).rows[0].n);
  assert.equal(n, 0);
});

test(`${clients} concurrent requests of alternating users never see each other's identity or rows`, async () => {
  const users = [fx.ada, fx.bob];
  const want = { [fx.ada]: ['ada private', 'team plan'], [fx.bob]: ['bob private', 'team plan'] };
  const runs = Array.from({ length: clients * 3 }, (_, i) => users[i % 2]);
  const seen = await Promise.all(runs.map((u) => withUser(wide, u, async (c) => {
    const me = (await c.query('SELECT authz.current_user_id() AS u')).rows[0].u;
    await c.query('SELECT pg_sleep(0.01)');
    const rows = (await c.query('SELECT body FROM notes')).rows;
    const again = (await c.query('SELECT authz.current_user_id() AS u')).rows[0].u;
    return { u, me, again, rows: bodies(rows) };
  })));
  for (const s of seen) {
    assert.equal(s.me, s.u);
    assert.equal(s.again, s.u);
    assert.deepEqual(s.rows, want[s.u]);
  }
  const after = await wide.query('SELECT authz.current_user_id() AS u');
  assert.equal(after.rows[0].u, null);
});
