import { resolve } from 'node:path';
import { parseTrustProxy, type TrustProxy } from './http/proxy.js';

/** Everything the server reads from its environment; nothing else reads process.env. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /**
   * Behind reverse proxies: which of them to trust for X-Forwarded-* (Secure cookies, client
   * addresses): off, a number of hops, or their addresses (see http/proxy.ts).
   */
  trustProxy: TrustProxy;
  logLevel: string;
  /** The address people reach this server at, for links in emails (set password, unsubscribe). */
  publicUrl: string;
  /** Server-wide default mailbox (smtp[s]://user:pass@host:port) and its From. */
  smtpUrl: string | undefined;
  mailFrom: string | undefined;
  /** Customers per page when an invitation / bulk run is prepared (KESHER_RUN_PAGE_SIZE; default in preparer.ts). */
  runPageSize: number | undefined;
  /** Keys for secrets at rest (`id:base64,…`); without it a key file in the data directory. */
  secretKey: string | undefined;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.KESHER_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    adminEmail: env.KESHER_ADMIN_EMAIL || undefined,
    adminPassword: env.KESHER_ADMIN_PASSWORD || undefined,
    trustProxy: parseTrustProxy(env.KESHER_TRUST_PROXY),
    logLevel: env.LOG_LEVEL ?? 'info',
    secretKey: env.KESHER_SECRET_KEY || undefined,
    publicUrl: (env.KESHER_PUBLIC_URL || `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, ''),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || undefined,
    runPageSize: Number(env.KESHER_RUN_PAGE_SIZE) > 0 ? Number(env.KESHER_RUN_PAGE_SIZE) : undefined,
  };
}
