-- Locked and suspended become independent flags beside the lifecycle status (active or
-- deactivated): an operator can lock a suspended account and unlock it again without lifting
-- the suspension. The effective state is derived when read (deactivated > locked > suspended).
ALTER TABLE users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
UPDATE users SET locked = 1, status = 'active' WHERE status = 'locked';
UPDATE users SET suspended = 1, status = 'active' WHERE status = 'suspended';
