// Shapes shared by the server and its clients. The server validates with these at its edge;
// the back office uses the same types, so a field renamed here fails to compile on both sides.
export * from './ids.js';
export * from './patch.js';
export * from './customers.js';
export * from './records.js';
export * from './errors.js';
export * from './portal.js';
export * from './mail.js';
export * from './invitations.js';
export * from './columns.js';
export * from './channels.js';
export * from './imports.js';
export * from './brokers.js';
