import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildMime, encodeHeaderText, type OutgoingMail } from './transport.js';

/** The worker's pre-built messages read back by a real parser exactly as they were composed. */
const mail = (extra: Partial<OutgoingMail> = {}): OutgoingMail => ({
  from: { name: 'סניף תל אביב', address: 'il@kesher.test' },
  to: { name: 'דנה "הגדולה" לוי', address: 'dana@example.com' },
  subject: 'דנה לוי, הוזמנת לאזור האישי באתר חברת הבדיקות בע"מ — עם נושא ארוך במיוחד כדי שיתקפל על פני כמה שורות 🎉',
  html: '<!DOCTYPE html>\n<html dir="rtl" lang="he"><body><p>שלום <bdi>Dana</bdi>,</p>\n.\n<p>סיסמה: Ab3dEf7h</p></body></html>\n',
  text: 'שלום Dana,\n.\nסיסמה: Ab3dEf7h',
  messageId: '<0b6f2c8e-1111-4222-8333-944445555666@kesher.test>',
  headers: {
    'X-Kesher-Message-Id': '0b6f2c8e-1111-4222-8333-944445555666:1c7f3d9f-2222-4333-8444-a55556666777',
    'Content-Language': 'he',
    'List-Unsubscribe': { prepared: true, value: '<https://crm.example.com/u/abc?x=1&y=2>, <mailto:il@kesher.test?subject=unsubscribe>' },
  },
  ...extra,
});

describe('buildMime', () => {
  it('writes a message mailparser reads back field for field (Hebrew names and subject, html, text, headers)', async () => {
    const m = mail({ replyTo: 'office@kesher.test' });
    const raw = buildMime(m)!;
    expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect(raw).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(m.subject);
    expect(parsed.from?.value).toEqual([{ name: 'סניף תל אביב', address: 'il@kesher.test' }]);
    const to = Array.isArray(parsed.to) ? parsed.to[0]! : parsed.to!;
    expect(to.value).toEqual([{ name: 'דנה "הגדולה" לוי', address: 'dana@example.com' }]);
    expect(parsed.replyTo?.value[0]?.address).toBe('office@kesher.test');
    expect(parsed.messageId).toBe(m.messageId);
    const lf = (v: string | false | undefined) => (v || '').replace(/\r\n/g, '\n');
    expect(lf(parsed.html)).toBe(m.html);
    expect(lf(parsed.text).trim()).toBe(m.text);
    expect(parsed.headers.get('x-kesher-message-id')).toBe(m.headers['X-Kesher-Message-Id']);
    expect(raw).toMatch(/^List-Unsubscribe: <https:\/\/crm\.example\.com\/u\/abc\?x=1&y=2>, <mailto:il@kesher\.test\?subject=unsubscribe>\r$/m);
    expect(parsed.date).toBeInstanceOf(Date);
  });

  it('quotes ASCII names, leaves plain subjects readable, and keeps control characters out of headers', async () => {
    const raw = buildMime(mail({ from: { name: 'Kesher, Inc.', address: 'us@kesher.test' }, to: 'john@example.com', subject: 'Hello\r\nBcc: x@evil.test' }))!;
    expect(raw).toMatch(/^From: "Kesher, Inc\." <us@kesher\.test>\r$/m);
    expect(raw).toMatch(/^To: john@example\.com\r$/m);
    expect(raw).not.toMatch(/^Bcc:/m);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Hello Bcc: x@evil.test');
    expect(parsed.bcc).toBeUndefined();
  });

  it('leaves what it does not handle to nodemailer (returns null)', () => {
    expect(buildMime(mail({ to: 'דנה@דוגמה.ישראל' }))).toBeNull();
    expect(buildMime(mail({ to: { name: 'x', address: '"a b"@example.com' } }))).toBeNull();
    expect(buildMime(mail({ headers: { 'X-Bad': 'a\r\nBcc: x@evil.test' } }))).toBeNull();
  });

  it('never splits a character across encoded words', () => {
    const words = encodeHeaderText('א'.repeat(50) + '😀'.repeat(20)).split('\r\n ');
    for (const w of words) expect(Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).not.toContain('\ufffd');
    expect(words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('')).toBe('א'.repeat(50) + '😀'.repeat(20));
  });
});
