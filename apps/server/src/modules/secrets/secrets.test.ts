import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configureSecrets, decryptSecret, encryptSecret, needsRotation, parseKeyring, sign, useKeyring, verifySignature } from './index.js';

const key = () => randomBytes(32).toString('base64');

describe('secrets at rest', () => {
  it('creates a 0600 key file on first start and reads the same key afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kesher-secret-'));
    configureSecrets({ dataDir: dir });
    const stored = encryptSecret('Ab3dEf7h', 'tenant:customer');
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    configureSecrets({ dataDir: dir });
    expect(decryptSecret(stored, 'tenant:customer')).toBe('Ab3dEf7h');
  });

  it('binds a ciphertext to its additional data and detects tampering', () => {
    useKeyring(parseKeyring(`k1:${key()}`));
    const stored = encryptSecret('secret', 't1:c1');
    expect(stored).not.toContain('secret');
    expect(() => decryptSecret(stored, 't1:c2')).toThrow();
    const parts = stored.split('.');
    parts[3] = Buffer.from('other!').toString('base64url');
    expect(() => decryptSecret(parts.join('.'), 't1:c1')).toThrow();
    expect(encryptSecret('secret', 't1:c1')).not.toBe(stored); // fresh IV each time
  });

  it('rotates keys: new secrets under the first key, old ones still readable', () => {
    const old = `old:${key()}`;
    useKeyring(parseKeyring(old));
    const before = encryptSecret('x', 'a');
    useKeyring(parseKeyring(`new:${key()},${old}`));
    expect(decryptSecret(before, 'a')).toBe('x');
    expect(needsRotation(before)).toBe(true);
    expect(needsRotation(encryptSecret('x', 'a'))).toBe(false);
    expect(() => parseKeyring('bad:short')).toThrow(/32 bytes/);
  });

  it('signs values per purpose', () => {
    useKeyring(parseKeyring(`k1:${key()}`));
    const s = sign('unsubscribe', 't1:a@b.co');
    expect(verifySignature('unsubscribe', 't1:a@b.co', s)).toBe(true);
    expect(verifySignature('unsubscribe', 't1:c@b.co', s)).toBe(false);
    expect(verifySignature('other', 't1:a@b.co', s)).toBe(false);
  });
});
