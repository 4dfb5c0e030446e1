// Every table of the product, for drizzle-kit and for typed queries.
export * from '../modules/tenants/tables.js';
export * from '../modules/users/tables.js';
export * from '../modules/auth/tables.js';
export * from '../modules/customers/tables.js';
export * from '../modules/identity/tables.js';
export * from '../modules/contacts/tables.js';
export * from '../modules/interactions/tables.js';
export * from '../modules/custom-fields/tables.js';
export * from '../modules/throttle/tables.js';
export * from '../modules/portal/tables.js';
export * from '../modules/mail/tables.js';
export * from '../modules/channels/tables.js';
export * from '../modules/brokers/tables.js';
export * from '../modules/imports/tables.js';
