ALTER TABLE `audit_log` ADD `aggregate_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `audit_aggregate_key_idx` ON `audit_log` (`aggregate_key`);