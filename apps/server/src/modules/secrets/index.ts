import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Secrets at rest (portal passwords, SMTP passwords): AES-256-GCM under a key the database never
 * holds. Keys come from KESHER_SECRET_KEY — one or more `id:base64key` pairs separated by commas,
 * the first one used for new secrets (rotation: put the new key first, keep the old ones until
 * everything is re-encrypted) — or from a key file created on first start (mode 0600) in the data
 * directory. The additional data binds a ciphertext to its place (e.g. tenant + customer), so a
 * ciphertext copied to another card does not decrypt.
 *
 * Stored form: `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
export interface Keyring {
  current: string;
  keys: Map<string, Buffer>;
}

let keyring: Keyring | undefined;

export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [id, b64] = part.includes(':') ? (part.split(':', 2) as [string, string]) : ['k1', part];
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32 || !/^[\w-]{1,32}$/.test(id)) throw new Error('KESHER_SECRET_KEY: each key must be `id:base64` of 32 bytes');
    keys.set(id, key);
    current ??= id;
  }
  if (!current) throw new Error('KESHER_SECRET_KEY is empty');
  return { current, keys };
}

/** Loads the keyring once at start: from the environment, else from (or into) `<dataDir>/secret.key`. */
export function configureSecrets(opts: { secretKey?: string | undefined; dataDir: string }): Keyring {
  if (opts.secretKey) {
    keyring = parseKeyring(opts.secretKey);
    return keyring;
  }
  const file = join(opts.dataDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  keyring = parseKeyring(readFileSync(file, 'utf8').trim());
  return keyring;
}

/** For tests: a fixed in-memory keyring. */
export function useKeyring(k: Keyring): void {
  keyring = k;
}

function ring(): Keyring {
  if (!keyring) throw new Error('secrets are not configured: call configureSecrets() at start');
  return keyring;
}

export function encryptSecret(plaintext: string, aad: string): string {
  const { current, keys } = ring();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.get(current)!, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', current, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Decrypts, or throws when the key is unknown, the data was altered, or the AAD does not match. */
export function decryptSecret(stored: string, aad: string): string {
  const [version, keyId, iv, ct, tag] = stored.split('.');
  const key = keyId ? ring().keys.get(keyId) : undefined;
  if (version !== 'v1' || !key || !iv || ct === undefined || !tag) throw new Error('unreadable secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

/** Whether a stored secret is under an older key (for re-encryption after a rotation). */
export const needsRotation = (stored: string): boolean => stored.split('.')[1] !== ring().current;

/** A keyed MAC for signed links (unsubscribe), under the current key, separated by purpose. */
export function sign(purpose: string, value: string): string {
  const { current, keys } = ring();
  return createHmac('sha256', keys.get(current)!).update(`${purpose}\n${value}`).digest('base64url');
}

export function verifySignature(purpose: string, value: string, signature: string): boolean {
  for (const key of ring().keys.values()) {
    const expected = createHmac('sha256', key).update(`${purpose}\n${value}`).digest('base64url');
    if (expected.length === signature.length && Buffer.from(expected).equals(Buffer.from(signature))) return true;
  }
  return false;
}
