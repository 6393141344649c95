-- The scenario an exercise runs, as the YAML text it was created from, so that the server
-- needs nothing but its database to continue. NULL for the scenario bundled in the binary
-- (`scenario_path` then names it, e.g. `bundled:pacific-cable-shield`).
ALTER TABLE exercises ADD COLUMN scenario_text TEXT;
