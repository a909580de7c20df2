-- workspace_authz install script. Assembled by the Makefile from src/sql/*.sql,
-- in file-name order; edit the pieces, not the assembled file.

\echo Use "CREATE EXTENSION workspace_authz" to load this file. \quit
