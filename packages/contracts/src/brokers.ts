import { z } from 'zod';
import { patchOf } from './patch.js';
import { customerSummary } from './customers.js';
import { uuid } from './ids.js';

// ---- brokers / affiliates (SPEC §2) ----
export const brokerCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  accountNumber: z.string().trim().min(1).max(60),
  /** The code a landing page or API client sends (`aff`, `affiliateCode`); letters, digits, - and _. */
  affiliateCode: z.string().trim().regex(/^[\w-]{2,60}$/, 'letters, digits, - and _ (2–60)'),
  /** The broker's own card (a supplier), which then lists the customers the broker brought. */
  customerId: uuid.nullish(),
  active: z.boolean().default(true),
});
export const brokerPatch = patchOf(brokerCreate);
export const broker = z.object({
  id: uuid,
  name: z.string(),
  accountNumber: z.string(),
  affiliateCode: z.string(),
  customerId: uuid.nullable(),
  active: z.boolean(),
  /** Customers carrying this broker's account number. */
  customerCount: z.number().int(),
});
export type Broker = z.infer<typeof broker>;
export type BrokerCreate = z.infer<typeof brokerCreate>;

/** A broker's customers, newest first (keyset by the list's cursor is not needed: capped). */
export const brokerCustomers = z.object({ broker, items: z.array(customerSummary), more: z.boolean() });
export type BrokerCustomers = z.infer<typeof brokerCustomers>;
