CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `attachments_message_idx`;--> statement-breakpoint
ALTER TABLE `attachments` ADD `position` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `attachments_message_idx` ON `attachments` (`message_id`,`position`);