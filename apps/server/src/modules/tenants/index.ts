// What other modules (and the CLI) may use of tenants ("databases").
export { createDatabase, listDatabases, getDatabase, type NewDatabase, type CreatedDatabase } from './databases.js';
export {
  getTenant, updateTenant, createTenant, presentTenant, reserveCustomerNumbers, lockCustomerNumbers,
  listBranches, createBranch, updateBranch, defaultBranchId, branchExists, presentBranch,
} from './service.js';
export { bootstrap } from './bootstrap.js';
export { adminRoutes } from './routes.js';
