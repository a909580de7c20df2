'use strict';
// Calling workspace_authz from Node.js with node-postgres (pg).
//
// - withUser(pool, userId, fn): one request's work as one user, inside
//   BEGIN; SELECT authz.set_user($1); ...; COMMIT. The identity is
//   transaction-local, so it ends with the transaction and never reaches the
//   next client of the same pooled connection (or of the same PgBouncer
//   server connection in transaction mode).
// - createPool(config): a pg.Pool whose clients read authz.credits as exact
//   decimal strings (never JavaScript numbers, which would round) and
//   authz.permset as arrays of names.
// - SQLSTATE, isNotAllowed(err): the extension's refusals carry SQLSTATEs
//   (42501 not allowed, 22023 bad argument, 23514 broken invariant, ...).

const pg = require('pg');

// SQLSTATEs the extension documents (README, Errors).
const SQLSTATE = Object.freeze({
  INSUFFICIENT_PRIVILEGE: '42501',
  INVALID_PARAMETER_VALUE: '22023',
  CHECK_VIOLATION: '23514',
  UNIQUE_VIOLATION: '23505',
  UNDEFINED_OBJECT: '42704',
  INVALID_TEXT_REPRESENTATION: '22P02',
  NUMERIC_VALUE_OUT_OF_RANGE: '22003',
});

function isNotAllowed(err) {
  return Boolean(err) && err.code === SQLSTATE.INSUFFICIENT_PRIVILEGE;
}

// Parse the text form of authz.permset ({a.b,c.d}) into an array of names.
// Permission names are lower-case letters, digits, '_' and '.', never quoted.
function parsePermset(text) {
  if (text === null) return null;
  const inner = text.replace(/^\{/, '').replace(/\}$/, '');
  return inner === '' ? [] : inner.split(',');
}

// Type parsers for the extension's types, for node-postgres' `types` option.
// The types' oids differ per database, so they are looked up once, with a
// throwaway connection made from the same configuration.
async function authzTypes(config) {
  const client = new pg.Client(config);
  await client.connect();
  let row;
  try {
    ({ rows: [row] } = await client.query(
      "SELECT 'authz.credits'::regtype::oid AS credits, 'authz.permset'::regtype::oid AS permset"));
  } finally {
    await client.end();
  }
  const credits = Number(row.credits);
  const permset = Number(row.permset);
  return {
    getTypeParser(oid, format) {
      if (format !== 'binary' && oid === credits) return (v) => v;
      if (format !== 'binary' && oid === permset) return parsePermset;
      return pg.types.getTypeParser(oid, format);
    },
  };
}

// A pool whose clients parse authz.credits and authz.permset.
async function createPool(config) {
  return new pg.Pool({ ...config, types: await authzTypes(config) });
}

// Run fn(client) as userId in one transaction on a pooled connection. The
// user is asserted transaction-locally; COMMIT (or ROLLBACK on error) ends it.
async function withUser(pool, userId, fn) {
  if (typeof userId !== 'string' || userId === '') {
    throw new TypeError('withUser needs a user id');
  }
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query('SELECT authz.set_user($1::uuid)', [userId]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = true; // the connection is unusable: do not return it to the pool
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

module.exports = { withUser, createPool, authzTypes, parsePermset, isNotAllowed, SQLSTATE };
