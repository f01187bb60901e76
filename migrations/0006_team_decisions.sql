CREATE TABLE `agent_members` (
	`agent_id` text NOT NULL,
	`user_id` text NOT NULL,
	`added_by` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`agent_id`, `user_id`),
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `agent_members_user_idx` ON `agent_members` (`user_id`,`agent_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`channel_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` text NOT NULL,
	`action` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`actor_name` text,
	`message_id` text,
	`data` text NOT NULL,
	`ip` text,
	`user_agent` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`channel_id`, `seq`),
	FOREIGN KEY (`channel_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audit_log_message_idx` ON `audit_log` (`message_id`) WHERE "audit_log"."message_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_policy` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_votes` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_responded_by` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_resolution` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_via` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `review_quorum_failed` integer;