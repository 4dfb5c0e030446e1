export { invitationRoutes } from './routes.js';
export { RunPreparer, startRunPreparer, type PreparerOptions } from './preparer.js';
export { getRun, listRuns, previewRun, resetAndResend, startRun, runEvents } from './service.js';
export { matchMailList } from './mail-list.js';
export { runReport } from './report.js';
