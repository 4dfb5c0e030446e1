export { importRoutes } from './routes.js';
export { ImportRunner, startImportRunner, type ImportRunnerOptions } from './runner.js';
export { startImport, getImport, undoImport, type ImportActor } from './service.js';
