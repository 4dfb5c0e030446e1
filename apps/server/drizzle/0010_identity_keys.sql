-- Identity keys as rows (identity/tables.ts, ADR 0013): kept by statement-level triggers on
-- customers, which see every inserted / updated / deleted card of a statement as one set
-- (transition tables), so a COPY of 100,000 cards writes its keys with one insert.
CREATE TABLE "customer_keys" (
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"customer_id" uuid NOT NULL
);
--> statement-breakpoint
-- A card's keys as rows; the one place that says which columns are identity keys (an inlined SQL function).
CREATE FUNCTION card_keys(phones text[], emails text[], id_number text) RETURNS TABLE (kind text, value text)
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'phone', p FROM unnest(phones) p WHERE p IS NOT NULL
  UNION ALL SELECT 'email', e FROM unnest(emails) e WHERE e IS NOT NULL
  UNION ALL SELECT 'id_number', id_number WHERE id_number IS NOT NULL
$$;
--> statement-breakpoint
CREATE FUNCTION customer_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO customer_keys (tenant_id, kind, value, customer_id)
  SELECT n.tenant_id, k.kind, k.value, n.id
    FROM new_cards n
         CROSS JOIN LATERAL card_keys(n.phones_norm, n.emails_norm, n.id_number_norm) AS k;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION customer_keys_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each key found by its full value through the lookup index (a lateral probe, so the planner
  -- cannot turn an undo of 90,000 cards into a merge join over the whole index), then deleted by
  -- its row address: no second index on customer_id to keep up.
  DELETE FROM customer_keys WHERE ctid = ANY (ARRAY(
    SELECT x.ctid
      FROM old_cards o
           CROSS JOIN LATERAL card_keys(o.phones_norm, o.emails_norm, o.id_number_norm) AS k
           CROSS JOIN LATERAL (SELECT c.ctid FROM customer_keys c
                                WHERE c.tenant_id = o.tenant_id AND c.kind = k.kind AND c.value = k.value AND c.customer_id = o.id OFFSET 0) AS x));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION customer_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The keys the statement took away and the ones it added (most updates change neither: a
  -- status, a name); set differences, so a bulk update costs two hashed passes, not a join.
  WITH before AS (
    SELECT o.tenant_id, k.kind, k.value, o.id FROM old_cards o CROSS JOIN LATERAL card_keys(o.phones_norm, o.emails_norm, o.id_number_norm) AS k
  ), after AS (
    SELECT n.tenant_id, k.kind, k.value, n.id FROM new_cards n CROSS JOIN LATERAL card_keys(n.phones_norm, n.emails_norm, n.id_number_norm) AS k
  ), gone AS (
    DELETE FROM customer_keys WHERE ctid = ANY (ARRAY(
      SELECT x.ctid
        FROM (SELECT * FROM before EXCEPT ALL SELECT * FROM after) AS g(tenant_id, kind, value, customer_id)
             CROSS JOIN LATERAL (SELECT c.ctid FROM customer_keys c
                                  WHERE c.tenant_id = g.tenant_id AND c.kind = g.kind AND c.value = g.value AND c.customer_id = g.customer_id OFFSET 0) AS x))
  )
  INSERT INTO customer_keys (tenant_id, kind, value, customer_id)
  SELECT * FROM after EXCEPT ALL SELECT * FROM before;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION customer_keys_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE customer_keys;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER customer_keys_insert AFTER INSERT ON customers REFERENCING NEW TABLE AS new_cards FOR EACH STATEMENT EXECUTE FUNCTION customer_keys_insert();
--> statement-breakpoint
CREATE TRIGGER customer_keys_update AFTER UPDATE ON customers REFERENCING OLD TABLE AS old_cards NEW TABLE AS new_cards FOR EACH STATEMENT EXECUTE FUNCTION customer_keys_update();
--> statement-breakpoint
CREATE TRIGGER customer_keys_delete AFTER DELETE ON customers REFERENCING OLD TABLE AS old_cards FOR EACH STATEMENT EXECUTE FUNCTION customer_keys_delete();
--> statement-breakpoint
CREATE TRIGGER customer_keys_truncate AFTER TRUNCATE ON customers FOR EACH STATEMENT EXECUTE FUNCTION customer_keys_truncate();
--> statement-breakpoint
INSERT INTO customer_keys (tenant_id, kind, value, customer_id)
SELECT c.tenant_id, k.kind, k.value, c.id
  FROM customers c
       CROSS JOIN LATERAL card_keys(c.phones_norm, c.emails_norm, c.id_number_norm) AS k;
--> statement-breakpoint
CREATE INDEX "customer_keys_lookup_idx" ON "customer_keys" USING btree ("tenant_id","kind","value","customer_id");
--> statement-breakpoint
DROP INDEX "customers_tenant_idnum_idx";--> statement-breakpoint
DROP INDEX "customers_phones_norm_idx";--> statement-breakpoint
DROP INDEX "customers_emails_norm_idx";
