ALTER TABLE `agents` ADD `webhook_headers` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `webhook_auth` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `tag` text;--> statement-breakpoint
ALTER TABLE `attachments` ADD `text_content` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_feedback` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `iteration_of` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `iteration` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `iteration_group_id` text;--> statement-breakpoint
CREATE INDEX `messages_iteration_group_idx` ON `messages` (`iteration_group_id`,`iteration`) WHERE "messages"."iteration_group_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_iteration_of_idx` ON `messages` (`iteration_of`) WHERE "messages"."iteration_of" IS NOT NULL;