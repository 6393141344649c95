-- The exercise time a verdict was given, for scoring (time to detect). NULL for verdicts
-- stored before it was recorded; those count for the alert's state, not for scoring.
ALTER TABLE alert_triage ADD COLUMN at INTEGER;
