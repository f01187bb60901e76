CREATE TABLE `file_shares` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`attachment_id` text NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`attachment_id`) REFERENCES `attachments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `file_shares_attachment_idx` ON `file_shares` (`attachment_id`);--> statement-breakpoint
CREATE INDEX `file_shares_expiry_idx` ON `file_shares` (`expires_at`);--> statement-breakpoint
ALTER TABLE `agents` ADD `commands` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `stream_id` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `stream_state` text;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_channel_stream_idx` ON `messages` (`channel_id`,`stream_id`) WHERE "messages"."stream_id" IS NOT NULL;