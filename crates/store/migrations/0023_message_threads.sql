-- A message can reply on a scenario inject: the inbox shows it in the inject's thread.
ALTER TABLE messages ADD COLUMN inject TEXT;
