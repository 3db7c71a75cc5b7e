CREATE TABLE `invitation_sends` (
	`invitation_id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`email_hash` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `invitation_sends_team_created_idx` ON `invitation_sends` (`team_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `invitation_sends_email_created_idx` ON `invitation_sends` (`email_hash`,`created_at`);--> statement-breakpoint
CREATE INDEX `invitation_sends_created_idx` ON `invitation_sends` (`created_at`);--> statement-breakpoint
ALTER TABLE `team_invitations` ADD `voided_at` integer;--> statement-breakpoint
-- Hand-written (keep when regenerating): before the one-pending index can exist, the older of
-- two pending invitations for one team and address dies, and so does a pending invitation whose
-- address already belongs to a member of that team (the links of finding 5).
UPDATE `team_invitations` SET `voided_at` = CAST(strftime('%s', 'now') AS integer) * 1000
WHERE `accepted_at` IS NULL AND (
  EXISTS (SELECT 1 FROM `team_invitations` AS `newer`
    WHERE `newer`.`team_id` = `team_invitations`.`team_id` AND `newer`.`email` = `team_invitations`.`email`
      AND `newer`.`accepted_at` IS NULL
      AND (`newer`.`created_at` > `team_invitations`.`created_at`
        OR (`newer`.`created_at` = `team_invitations`.`created_at` AND `newer`.`id` > `team_invitations`.`id`)))
  OR EXISTS (SELECT 1 FROM `team_members` JOIN `users` ON `users`.`id` = `team_members`.`user_id`
    WHERE `team_members`.`team_id` = `team_invitations`.`team_id` AND `users`.`email` = `team_invitations`.`email`)
);--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_one_pending_idx` ON `team_invitations` (`team_id`,`email`) WHERE accepted_at IS NULL AND voided_at IS NULL;