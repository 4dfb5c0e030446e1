CREATE TABLE "channel_submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"ip" text,
	"origin" text,
	"user_agent" text,
	"content_type" text,
	"params" jsonb NOT NULL,
	"fingerprint" text NOT NULL,
	"outcome" text DEFAULT 'received' NOT NULL,
	"customer_id" uuid,
	"duplicate" boolean DEFAULT false NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"replay_of" uuid
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"token_encrypted" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"branch_id" uuid,
	"language" text,
	"reply_mode" text DEFAULT 'json' NOT NULL,
	"redirect_url" text,
	"allowed_origins" text[] DEFAULT '{}' NOT NULL,
	"notify_emails" text[] DEFAULT '{}' NOT NULL,
	"rate_per_minute" integer DEFAULT 120 NOT NULL,
	"rate_per_ip_per_minute" integer DEFAULT 10 NOT NULL,
	"honeypot_field" text DEFAULT '_hp',
	"max_file_bytes" integer DEFAULT 5242880 NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"customer_id" uuid,
	"submission_id" uuid,
	"field" text NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"data" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channel_submissions" ADD CONSTRAINT "channel_submissions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_submissions" ADD CONSTRAINT "channel_submissions_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_submissions" ADD CONSTRAINT "channel_submissions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_submissions" ADD CONSTRAINT "channel_submissions_replay_of_channel_submissions_id_fk" FOREIGN KEY ("replay_of") REFERENCES "public"."channel_submissions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_branch_id_branches_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."branches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_files" ADD CONSTRAINT "customer_files_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_files" ADD CONSTRAINT "customer_files_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_files" ADD CONSTRAINT "customer_files_submission_id_channel_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."channel_submissions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_submissions_log_idx" ON "channel_submissions" USING btree ("channel_id","received_at","id");--> statement-breakpoint
CREATE INDEX "channel_submissions_fingerprint_idx" ON "channel_submissions" USING btree ("channel_id","fingerprint","received_at");--> statement-breakpoint
CREATE INDEX "channel_submissions_customer_idx" ON "channel_submissions" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "channels_slug_key" ON "channels" USING btree ("slug");--> statement-breakpoint
CREATE UNIQUE INDEX "channels_tenant_name_key" ON "channels" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "customer_files_customer_idx" ON "customer_files" USING btree ("tenant_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "customer_files_submission_idx" ON "customer_files" USING btree ("submission_id");