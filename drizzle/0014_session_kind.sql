ALTER TABLE `sessions` ADD `kind` text DEFAULT 'bearer' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `sign_in_method` text DEFAULT 'password' NOT NULL;