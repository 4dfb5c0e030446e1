export { openTestDatabase, createScratchDatabase } from './database.js';
export { seedTenant, addMembership, PASSWORD, type TenantFixture } from './fixtures.js';
export { TestClient, type Reply } from './http.js';
export { useApp, type AppContext } from './app.js';
