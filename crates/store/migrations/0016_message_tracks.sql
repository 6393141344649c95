-- A white-cell message may be meant for one track of each team it goes to (technical, policy, …).
ALTER TABLE messages ADD COLUMN track TEXT;
