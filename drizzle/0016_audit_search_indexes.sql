CREATE INDEX `audit_ip_created_idx` ON `audit_log` (`ip`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_type_created_idx` ON `audit_log` (`type`,`created_at`);