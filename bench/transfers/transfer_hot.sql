-- One transfer on a single hot pair: workspace 1 to 2 or 2 to 1 at random,
-- 0.01 to 100 credits.
\set d random(0, 1)
\set cents random(1, 10000)
SELECT authz.transfer_credits((SELECT id FROM bench.ws WHERE n = 1 + :d), (SELECT id FROM bench.ws WHERE n = 2 - :d), :cents * 0.01);
