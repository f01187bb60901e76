CREATE TABLE `ws_tickets` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`session_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`session_hash`) REFERENCES `sessions`(`token_hash`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `agents` ADD `retention_days` integer;--> statement-breakpoint
CREATE INDEX `agent_status_history_created_idx` ON `agent_status_history` (`created_at`);--> statement-breakpoint
CREATE INDEX `attachments_unattached_idx` ON `attachments` (`created_at`) WHERE "attachments"."message_id" IS NULL;--> statement-breakpoint
CREATE INDEX `sessions_expiry_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_created_idx` ON `webhook_deliveries` (`created_at`);