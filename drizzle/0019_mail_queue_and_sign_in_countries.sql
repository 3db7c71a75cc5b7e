CREATE TABLE `sign_in_countries` (
	`user_id` text NOT NULL,
	`country` text NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `country`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sign_in_countries_last_seen_idx` ON `sign_in_countries` (`last_seen_at`);--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `follow_up` text;