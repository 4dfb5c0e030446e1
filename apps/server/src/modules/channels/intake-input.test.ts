import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rows } from '../../db/client.js';
import { useApp } from '../../testing/index.js';

const t = useApp();

function multipart(fields: Record<string, string>, files: { field: string; name: string; data: Buffer }[]) {
  const b = 'kesherboundary';
  const parts = Object.entries(fields).map(([k, v]) => `--${b}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  const chunks: Buffer[] = parts.map((p) => Buffer.from(p));
  for (const f of files) chunks.push(Buffer.from(`--${b}\r\ncontent-disposition: form-data; name="${f.field}"; filename="${f.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`), f.data, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${b}`, 'accept-language': 'en' } };
}

async function channel() {
  return (await t.admin.post('/api/v1/channels', { name: 'Site', mapping: { name: 'fullName', mail: 'email' } })).body as { id: string; slug: string; token: string };
}

const logged = async (channelId: string) => (await rows<{ n: number }>(t.db, sql`select count(*)::int as n from channel_submissions where channel_id = ${channelId}`))[0]!.n;

describe('a multipart lead gets the edge text rule too (issue 10 §6)', () => {
  it('a NUL in a field value or a file name is refused with 400 before anything is logged; other leads are not lost', async () => {
    const ch = await channel();
    const url = `/in/${ch.slug}?token=${ch.token}`;
    const bad = multipart({ name: 'Dana\u0000 Levi', mail: 'dana@example.com' }, []);
    const good = multipart({ name: 'Rina Cohen', mail: 'rina@example.com' }, []);
    const badFile = multipart({ name: 'Avi Levi' }, [{ field: 'cv', name: 'cv\u0001.pdf', data: Buffer.from('x') }]);
    const [r1, r2, r3] = await Promise.all([bad, good, badFile].map((m) => t.app.inject({ method: 'POST', url, ...m })));
    expect(r1!.statusCode).toBe(400);
    expect(r1!.json()).toMatchObject({ code: 'validation', fields: [{ path: 'name', code: 'control_character' }] });
    expect(r3!.statusCode).toBe(400);
    expect(r3!.json().fields).toEqual([expect.objectContaining({ path: 'files.0.fileName', code: 'control_character' })]);
    expect(r2!.statusCode).toBe(200);
    expect(await logged(ch.id)).toBe(1);
  });

  it('bidi controls are removed from an uploaded file name (‮gpj.exe does not show as exe.jpg)', async () => {
    const ch = await channel();
    const m = multipart({ name: 'Dana Levi' }, [{ field: 'cv', name: '\u202Egpj.exe', data: Buffer.from('MZ') }]);
    const r = await t.app.inject({ method: 'POST', url: `/in/${ch.slug}?token=${ch.token}`, ...m });
    expect(r.statusCode).toBe(200);
    const files = await t.admin.get(`/api/v1/customers/${r.json().id}/files`);
    expect(files.body.items[0].fileName).toBe('gpj.exe');
  });

  it('too many files names the number of files, not the size of one', async () => {
    const ch = await channel();
    const files = Array.from({ length: 6 }, (_, i) => ({ field: `f${i}`, name: `f${i}.txt`, data: Buffer.from('x') }));
    const r = await t.app.inject({ method: 'POST', url: `/in/${ch.slug}?token=${ch.token}`, ...multipart({ name: 'Dana Levi' }, files) });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toEqual({ code: 'payload_too_large', message: 'Too many files: at most 5' });
  });

  it('a body over the whole submission limit names that limit, not the size of one file', async () => {
    const ch = (await t.admin.post('/api/v1/channels', { name: 'Small', mapping: { name: 'fullName' }, maxFileBytes: 1024 })).body;
    const files = [{ field: 'a', name: 'a.bin', data: Buffer.alloc(300 * 1024, 1) }];
    const r = await t.app.inject({ method: 'POST', url: `/in/${ch.slug}?token=${ch.token}`, ...multipart({ name: 'Dana Levi' }, files) });
    expect(r.statusCode).toBe(413);
    expect(r.json().message).toBe('The submission is too large: at most 133 KB in all');
  });
});
