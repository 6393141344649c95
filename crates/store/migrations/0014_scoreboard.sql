-- Whether the white cell shows teams the scoreboard (every team's total): hidden at first.
ALTER TABLE exercises ADD COLUMN scoreboard INTEGER NOT NULL DEFAULT 0;
