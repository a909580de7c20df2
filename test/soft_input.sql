-- Soft input errors (PostgreSQL 16+): pg_input_is_valid() and
-- pg_input_error_info() get an answer from the types' input functions instead of
-- an error, with the same SQLSTATE the hard path raises. On 15 these functions
-- do not exist, and the assertions are skipped.
BEGIN;
SELECT plan(14);

SELECT current_setting('server_version_num')::int >= 160000 AS soft \gset

\if :soft
SELECT ok(pg_input_is_valid('{content.read,run.execute}', 'authz.permset'), 'a valid permission set is valid');
SELECT ok(pg_input_is_valid('{}', 'authz.permset'), 'the empty set is valid');
SELECT ok(NOT pg_input_is_valid('{content.read', 'authz.permset'), 'an unclosed set is not valid, without an error');
SELECT ok(NOT pg_input_is_valid('{Content.Read}', 'authz.permset'), 'a name with capitals is not valid');
SELECT ok(NOT pg_input_is_valid('{no.such.permission}', 'authz.permset'),
          'a set naming an unregistered permission is not valid, without an error');
SELECT is((pg_input_error_info('{content.read', 'authz.permset')).sql_error_code, '22P02',
          'a malformed set reports 22P02');
SELECT is((pg_input_error_info('{no.such.permission}', 'authz.permset')).sql_error_code, '22P02',
          'an unregistered permission reports 22P02');
SELECT alike((pg_input_error_info('{no.such.permission}', 'authz.permset')).message,
            '%invalid input syntax for type authz.permset%', 'the soft error names the type');

SELECT ok(pg_input_is_valid('12.345678', 'authz.credits'), 'an amount with 6 decimals is valid');
SELECT ok(NOT pg_input_is_valid('1.2345678', 'authz.credits'), 'a seventh decimal is not valid, without an error');
SELECT ok(NOT pg_input_is_valid('ten', 'authz.credits'), 'a word is not valid');
SELECT ok(NOT pg_input_is_valid('9223372036854.775808', 'authz.credits'), 'an amount past the range is not valid');
SELECT is((pg_input_error_info('ten', 'authz.credits')).sql_error_code, '22P02', 'a malformed amount reports 22P02');
SELECT is((pg_input_error_info('9223372036854.775808', 'authz.credits')).sql_error_code, '22003',
          'an amount past the range reports 22003');
\else
SELECT skip('pg_input_is_valid() and pg_input_error_info() need PostgreSQL 16', 14);
\endif

SELECT * FROM finish();
ROLLBACK;
