-- Hand-written order (keep when regenerating; drizzle-kit's own order loses data on D1): the
-- creator columns of images, collections and comments become nullable with ON DELETE SET NULL,
-- so a team's work outlives the account of the member who made it. SQLite changes a foreign key
-- only by rebuilding the table, and D1 runs a migration as one transaction, where
-- `PRAGMA foreign_keys=OFF` does nothing: dropping `images` would cascade to every comment and
-- collection entry (and null every licence's image). So the child rows are copied aside first,
-- the parents are rebuilt before the children, and the copies are put back at the end.
CREATE TABLE `__keep_collection_images` AS SELECT `collection_id`, `image_id`, `added_at` FROM `collection_images`;--> statement-breakpoint
CREATE TABLE `__keep_comments` AS SELECT `id`, `image_id`, `user_id`, `body`, `created_at` FROM `comments`;--> statement-breakpoint
CREATE TABLE `__keep_license_images` AS SELECT `id`, `image_id` FROM `licenses` WHERE `image_id` IS NOT NULL;--> statement-breakpoint
CREATE TABLE `__new_images` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`team_id` text,
	`prompt` text NOT NULL,
	`title` text,
	`size` text NOT NULL,
	`content_type` text NOT NULL,
	`byte_size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_images`("id", "user_id", "team_id", "prompt", "title", "size", "content_type", "byte_size", "r2_key", "created_at", "updated_at", "deleted_at") SELECT "id", "user_id", "team_id", "prompt", "title", "size", "content_type", "byte_size", "r2_key", "created_at", "updated_at", "deleted_at" FROM `images`;--> statement-breakpoint
DROP TABLE `images`;--> statement-breakpoint
ALTER TABLE `__new_images` RENAME TO `images`;--> statement-breakpoint
CREATE INDEX `images_user_created_idx` ON `images` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `images_team_created_idx` ON `images` (`team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `images_deleted_idx` ON `images` (`deleted_at`);--> statement-breakpoint
CREATE TABLE `__new_collections` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`team_id` text,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_collections`("id", "user_id", "team_id", "name", "created_at", "updated_at") SELECT "id", "user_id", "team_id", "name", "created_at", "updated_at" FROM `collections`;--> statement-breakpoint
DROP TABLE `collections`;--> statement-breakpoint
ALTER TABLE `__new_collections` RENAME TO `collections`;--> statement-breakpoint
CREATE INDEX `collections_user_created_idx` ON `collections` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `collections_team_created_idx` ON `collections` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_comments` (
	`id` text PRIMARY KEY NOT NULL,
	`image_id` text NOT NULL,
	`user_id` text,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
INSERT INTO `__new_comments`("id", "image_id", "user_id", "body", "created_at") SELECT "id", "image_id", "user_id", "body", "created_at" FROM `__keep_comments`;--> statement-breakpoint
DROP TABLE `comments`;--> statement-breakpoint
ALTER TABLE `__new_comments` RENAME TO `comments`;--> statement-breakpoint
CREATE INDEX `comments_image_created_idx` ON `comments` (`image_id`,`created_at`);--> statement-breakpoint
INSERT INTO `collection_images`("collection_id", "image_id", "added_at") SELECT "collection_id", "image_id", "added_at" FROM `__keep_collection_images`;--> statement-breakpoint
UPDATE `licenses` SET `image_id` = (SELECT `k`.`image_id` FROM `__keep_license_images` AS `k` WHERE `k`.`id` = `licenses`.`id`) WHERE `id` IN (SELECT `id` FROM `__keep_license_images`);--> statement-breakpoint
DROP TABLE `__keep_collection_images`;--> statement-breakpoint
DROP TABLE `__keep_comments`;--> statement-breakpoint
DROP TABLE `__keep_license_images`;
