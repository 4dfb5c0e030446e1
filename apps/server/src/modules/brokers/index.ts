export { brokerRoutes } from './routes.js';
export { brokerOfAffiliate } from './service.js';
