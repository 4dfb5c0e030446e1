CREATE TABLE "brokers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"account_number" text NOT NULL,
	"affiliate_code" text NOT NULL,
	"customer_id" uuid,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "brokers" ADD CONSTRAINT "brokers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "brokers" ADD CONSTRAINT "brokers_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "brokers_affiliate_code_idx" ON "brokers" USING btree ("tenant_id",lower("affiliate_code"));--> statement-breakpoint
CREATE UNIQUE INDEX "brokers_account_idx" ON "brokers" USING btree ("tenant_id","account_number");--> statement-breakpoint
CREATE INDEX "brokers_customer_idx" ON "brokers" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "customers_tenant_broker_idx" ON "customers" USING btree ("tenant_id","broker_account") WHERE "customers"."broker_account" is not null;