import { describe, expect, it } from 'vitest';
import { useApp } from '../testing/index.js';

/**
 * Every route that reads multipart (found in the OpenAPI document, plus the Web Data Port and the
 * unsubscribe page): a body without a boundary, or cut off half-way, is the caller's mistake — a
 * 400 with a message in the caller's language, never a 500.
 */
const t = useApp();

const BOUNDARY = '----kesherbad';
const whole = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="policy"\r\n\r\nskip\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nשם,טלפון\r\nדנה,0501234567\r\n--${BOUNDARY}--\r\n`,
);

describe('malformed multipart', () => {
  it('no boundary or a truncated body → 400 on every multipart route', async () => {
    // The routes that say they take multipart (the Web Data Port's `/in/{slug}` has its own test in channels).
    const doc = (await t.admin.get('/api/openapi.json')).body as { paths: Record<string, Record<string, { summary?: string }>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => method === 'post' && /multipart/i.test(op.summary ?? '') && !path.includes('{'))
        .map(([method]) => ({ method: method.toUpperCase(), url: path })),
    );
    expect(routes.map((r) => r.url).sort()).toEqual(expect.arrayContaining(['/api/v1/imports', '/api/v1/imports/preview', '/api/v1/mail-lists/xlsx']));
    const cases = [
      { name: 'no boundary', type: 'multipart/form-data', body: whole },
      { name: 'truncated', type: `multipart/form-data; boundary=${BOUNDARY}`, body: whole.subarray(0, whole.length - 40) },
      { name: 'cut in a header', type: `multipart/form-data; boundary=${BOUNDARY}`, body: whole.subarray(0, 30) },
    ];
    const answers: string[] = [];
    for (const r of routes) {
      for (const c of cases) {
        const res = await t.app.inject({ method: r.method as 'POST', url: r.url, headers: { cookie: t.admin.cookie!, 'content-type': c.type, 'accept-language': 'en' }, payload: c.body });
        answers.push(`${r.url} ${c.name}: ${res.statusCode}`);
        expect(res.statusCode, `${r.url} ${c.name}: ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({ code: 'validation', message: expect.any(String) });
      }
    }
    const he = await t.app.inject({ method: 'POST', url: '/api/v1/imports/preview', headers: { cookie: t.admin.cookie!, 'content-type': 'multipart/form-data' }, payload: whole });
    expect(he.json().message).toBe('לא ניתן לקרוא את גוף הבקשה כ-multipart/form-data');
  });
});
