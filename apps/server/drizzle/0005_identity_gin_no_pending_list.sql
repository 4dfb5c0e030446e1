-- Identity-key GIN indexes without a pending list (see customers/tables.ts): set in place and
-- flush what is pending, rather than rebuild the indexes of a big table.
ALTER INDEX "customers_phones_norm_idx" SET (fastupdate = false);--> statement-breakpoint
ALTER INDEX "customers_emails_norm_idx" SET (fastupdate = false);--> statement-breakpoint
SELECT gin_clean_pending_list('customers_phones_norm_idx'::regclass);--> statement-breakpoint
SELECT gin_clean_pending_list('customers_emails_norm_idx'::regclass);
