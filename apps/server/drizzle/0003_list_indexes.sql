DROP INDEX "customers_tenant_created_idx";--> statement-breakpoint
DROP INDEX "customers_tenant_status_created_idx";--> statement-breakpoint
DROP INDEX "interactions_customer_idx";--> statement-breakpoint
DROP INDEX "mail_runs_tenant_idx";--> statement-breakpoint
CREATE INDEX "customers_tenant_branch_created_idx" ON "customers" USING btree ("tenant_id","branch_id","created_at","id");--> statement-breakpoint
CREATE INDEX "customers_tenant_created_idx" ON "customers" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "customers_tenant_status_created_idx" ON "customers" USING btree ("tenant_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "interactions_customer_idx" ON "interactions" USING btree ("tenant_id","customer_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "mail_runs_tenant_idx" ON "mail_runs" USING btree ("tenant_id","created_at");--> statement-breakpoint
-- Finer statistics for name search: the planner can tell a common substring from a rare one and
-- choose between walking the newest-first index and a trigram bitmap + sort.
ALTER TABLE "customers" ALTER COLUMN "search_name" SET STATISTICS 1000;
