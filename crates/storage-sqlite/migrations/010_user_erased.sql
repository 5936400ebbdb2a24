-- Whether a deactivated account was also erased, which the admin API reports as Synapse does.
ALTER TABLE users ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
