CREATE TABLE `answer_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`spent_at` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `answer_tokens_message_user_idx` ON `answer_tokens` (`message_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `answer_tokens_expiry_idx` ON `answer_tokens` (`expires_at`);