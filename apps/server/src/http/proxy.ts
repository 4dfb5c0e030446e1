import { isIP } from 'node:net';

/**
 * Which proxies in front of the server are trusted to say who the client is (X-Forwarded-For)
 * and how it connected (X-Forwarded-Proto, X-Forwarded-Host):
 * - false: none — the client is the socket's peer, forwarded headers are ignored;
 * - a number of hops: that many proxies, nearest first, whatever their address;
 * - a list of addresses / CIDRs / proxy-addr names (`loopback`, `linklocal`, `uniquelocal`):
 *   the proxies at those addresses.
 * Either way the client is the right-most entry of X-Forwarded-For that is not a trusted proxy
 * (the entries left of it are written by the client itself and prove nothing).
 */
export type TrustProxy = false | number | string[];

const OFF = new Set(['', '0', 'false', 'no', 'off']);

/** proxy-addr's names for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Reads KESHER_TRUST_PROXY: unset / `0` / `false` / `no` / `off` → off; `1` / `true` → one hop;
 * `N` → N hops; otherwise a comma-separated list of proxy addresses or CIDRs. Throws on anything
 * else, so a typo stops the server instead of trusting the wrong hop.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = value?.trim() ?? '';
  if (OFF.has(v.toLowerCase())) return false;
  if (v.toLowerCase() === 'true') return 1;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((entry) => !isProxyAddress(entry));
  if (list.length === 0 || bad.length > 0) {
    throw new Error(`KESHER_TRUST_PROXY: expected a number of proxy hops (1) or a comma-separated list of proxy addresses / CIDRs (10.0.0.0/8,127.0.0.1); not ${JSON.stringify(bad.join(',') || v)}`);
  }
  return list;
}

function isProxyAddress(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (/^\d+$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(prefix) === 4; // 10.0.0.0/255.0.0.0
}

/** Fastify's `trustProxy` for a setting (true from older callers = one hop). */
export function fastifyTrustProxy(setting: TrustProxy | boolean | undefined): false | string[] | ((address: string, hop: number) => boolean) {
  if (setting === undefined || setting === false || setting === 0) return false;
  if (Array.isArray(setting)) return setting;
  const hops = setting === true ? 1 : setting;
  // Fastify refuses a bare hop count (it cannot tell a proxy from a client connecting directly);
  // the same rule as proxy-addr's / Express's hop count, given as a trust function: the `hops`
  // addresses nearest the server (the socket's peer, then X-Forwarded-For from the right) are
  // proxies. Operators reachable directly should list the proxies' addresses instead.
  return (_address: string, hop: number) => hop < hops;
}
