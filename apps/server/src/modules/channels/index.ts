// Web Data Port (SPEC §2, issue 4 item 2): channels, the public intake /in/:slug, the submission log.
export { channelRoutes } from './routes.js';
export { NO_NAME, REPEAT_WINDOW_SECONDS } from './intake.js';
