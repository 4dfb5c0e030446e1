// What other modules (and the CLI) may use of tenants ("databases").
export { createDatabase, listDatabases, getDatabase, type NewDatabase, type CreatedDatabase } from './databases.js';
export { bootstrap } from './bootstrap.js';
export { adminRoutes } from './routes.js';
