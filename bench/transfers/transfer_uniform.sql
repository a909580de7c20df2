-- One transfer between a uniformly random ordered pair of distinct workspaces
-- (1 to :workspaces), 0.01 to 100 credits.
\set a random(1, :workspaces)
\set b 1 + (:a + random(0, :workspaces - 2)) % :workspaces
\set cents random(1, 10000)
SELECT authz.transfer_credits((SELECT id FROM bench.ws WHERE n = :a), (SELECT id FROM bench.ws WHERE n = :b), :cents * 0.01);
