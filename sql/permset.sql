-- authz.permset: text and binary I/O, malformed input, operators, casts, opclasses
SET search_path = authz, authz_internal, public;
\set SHOW_CONTEXT never

-- text input and output (names sorted, duplicates collapse, spaces allowed)
SELECT '{}'::permset;
SELECT '{content.read}'::permset;
SELECT '{run.execute,content.read}'::permset;
SELECT ' { content.read , run.execute } '::permset;
SELECT '{content.read,content.read}'::permset;
SELECT '{workspace.view,workspace.update,workspace.delete,members.view,members.manage,billing.view,billing.manage,content.read,content.create,content.update,content.delete,content.share,run.execute}'::permset;

-- malformed input
SELECT ''::permset;
SELECT 'content.read'::permset;
SELECT '{content.read'::permset;
SELECT '{content.read,}'::permset;
SELECT '{,content.read}'::permset;
SELECT '{content.read}x'::permset;
SELECT '{content.read run.execute}'::permset;
SELECT '{Content.Read}'::permset;
SELECT '{"content.read"}'::permset;
SELECT '{nope.nothing}'::permset;
SELECT ('{' || repeat('a', 300) || '}')::permset;
SELECT NULL::permset IS NULL AS null_in_null_out;

-- set operators
SELECT '{content.read,run.execute}'::permset @> '{content.read}' AS contains,
       '{content.read}'::permset @> '{content.read,run.execute}' AS not_contains,
       '{content.read}'::permset <@ '{content.read,run.execute}' AS contained,
       '{}'::permset <@ '{}' AS empty_contained,
       '{content.read}'::permset && '{content.read,run.execute}' AS overlaps,
       '{content.read}'::permset && '{run.execute}' AS disjoint;
SELECT '{content.read}'::permset | '{run.execute}' AS union_,
       '{content.read,run.execute}'::permset & '{run.execute,members.view}' AS intersect_,
       '{content.read,run.execute}'::permset - '{run.execute}' AS minus_;
SELECT '{run.execute,content.read}'::permset = '{content.read,run.execute}' AS eq,
       '{content.read}'::permset <> '{run.execute}' AS ne,
       '{content.read}'::permset = '{}' AS eq_empty;
SELECT cardinality('{}'::permset), cardinality('{content.read,run.execute,org.view}'::permset);

-- casts
SELECT ARRAY['run.execute', 'content.read']::permset;
SELECT '{content.read,run.execute}'::permset::text[];
SELECT ARRAY[]::text[]::permset;
SELECT ARRAY['content.read', NULL]::permset;
SELECT ARRAY[['content.read']]::permset;
SELECT ARRAY['nope']::permset;

-- btree and hash operator classes
SELECT DISTINCT x FROM (VALUES ('{content.read}'::permset), ('{content.read}'), ('{run.execute}'), ('{}')) v(x)
ORDER BY x;
SET enable_sort = off;
SELECT x, count(*) FROM (VALUES ('{content.read}'::permset), ('{content.read}'), ('{run.execute}')) v(x)
GROUP BY x ORDER BY count(*) DESC;
RESET enable_sort;
CREATE TEMP TABLE sets (s permset);
INSERT INTO sets VALUES ('{content.read}'), ('{run.execute,content.read}'), ('{}');
CREATE INDEX ON sets USING btree (s);
CREATE INDEX ON sets USING hash (s);
SET enable_seqscan = off;
SELECT s FROM sets WHERE s = '{content.read,run.execute}';
RESET enable_seqscan;

-- binary I/O carries names, and round-trips
SELECT permset_send('{content.read,run.execute}');
SELECT permset_send('{}');
COPY (SELECT s FROM sets ORDER BY s) TO '/tmp/workspace_authz_permset.bin' WITH (FORMAT binary);
CREATE TEMP TABLE sets_copy (s permset);
COPY sets_copy FROM '/tmp/workspace_authz_permset.bin' WITH (FORMAT binary);
SELECT s FROM sets_copy ORDER BY s;

-- binary input runs the same checks as text input
CREATE FUNCTION pg_temp.copy_binary_field(field bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    lo oid;
BEGIN
    -- a binary COPY file holding one row with one field
    lo := lo_from_bytea(0, '\x5047434f50590aff0d0a000000000000000000'::bytea
                           || '\x0001'::bytea || int4send(length(field)) || field || '\xffff'::bytea);
    PERFORM lo_export(lo, '/tmp/workspace_authz_permset_bad.bin');
    PERFORM lo_unlink(lo);
    TRUNCATE sets_copy;
    COPY sets_copy FROM '/tmp/workspace_authz_permset_bad.bin' WITH (FORMAT binary);
    RETURN (SELECT s::text FROM sets_copy);
END
$$;
SELECT pg_temp.copy_binary_field('\x0100000001' || int4send(12) || convert_to('content.read', 'UTF8'));
SELECT pg_temp.copy_binary_field('\x0200000000');
SELECT pg_temp.copy_binary_field('\x01ffffffff');
SELECT pg_temp.copy_binary_field('\x0100000101');
SELECT pg_temp.copy_binary_field('\x0100000001' || int4send(1000) || convert_to('content.read', 'UTF8'));
SELECT pg_temp.copy_binary_field('\x0100000001' || int4send(12) || convert_to('Content.Read', 'UTF8'));
SELECT pg_temp.copy_binary_field('\x0100000001' || int4send(7) || convert_to('no.such', 'UTF8'));

-- permissions an application registers take the next free bit
SELECT define_permission('pipelines.launch', 'Launch pipelines', '{member}');
SELECT '{pipelines.launch,content.read}'::permset;
SELECT bit FROM permissions WHERE name = 'pipelines.launch';
SELECT define_permission('pipelines.launch', 'Launch pipelines again', '{member,viewer}');
SELECT r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
 WHERE rp.permission = 'pipelines.launch' ORDER BY r.rank DESC;

-- more permissions than a set holds is a clear error
SELECT count(*) FROM (SELECT define_permission('bulk.p' || i) FROM generate_series(1, 230) i) x;
SELECT define_permission('bulk.one_too_many');
SELECT count(*) FROM permissions;
