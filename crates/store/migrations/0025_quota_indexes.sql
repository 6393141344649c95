-- Limits are counted and lists paged by index, so that a count, a page or a live update's
-- look for what is new costs the same however many rows a team has stored, and never reads
-- the rows' text (a count that read the rows would read every body).
-- A team's messages in order (its inbox, pages of it).
CREATE INDEX messages_by_team ON messages (exercise, team, id);
-- Of one direction, in order: what is new since a live update's cursor, each team's latest.
CREATE INDEX messages_by_direction ON messages (exercise, direction, team, id);
-- Counts against the limits: of a team, of a direction, of a user.
CREATE INDEX messages_by_writer ON messages (exercise, team, direction, user_id);
CREATE INDEX submissions_by_writer ON submissions (exercise, team, kind, user_id);
CREATE INDEX case_entries_by_writer ON case_entries (case_id, user_id);
CREATE INDEX team_rules_by_writer ON team_rules (exercise, team, user_id);
-- The grading queue: submissions of every team in order.
CREATE INDEX submissions_by_exercise ON submissions (exercise, id);
