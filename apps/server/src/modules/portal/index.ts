// What other modules may use of the portal (the invitation / mail pipeline calls these).
export {
  generatePortalPassword,
  ensureInitialPasswords,
  readInitialPassword,
  readInitialPasswords,
  issueSetPasswordLink,
  resetPortalPassword,
  planInitialPasswords,
  invitationCredentials,
  portalBaseUrl,
  portalLoginUrl,
  portalAccessOf,
  SET_PASSWORD_LINK_HOURS,
  type InitialPasswordState,
} from './service.js';
export { portalRoutes } from './routes.js';
