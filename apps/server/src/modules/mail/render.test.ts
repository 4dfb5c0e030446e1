import { describe, expect, it } from 'vitest';
import type { CustomerRow } from '../customers/card.js';
import { mergeFields, unknownFields, type MergeContext } from './merge-fields.js';
import { compileTemplate, htmlToText, renderMessage } from './render.js';

const customer = (over: Partial<CustomerRow> = {}): CustomerRow =>
  ({
    id: 'c1', tenantId: 't1', customerNumber: 17, status: 'new', firstName: 'דנה', lastName: 'Levi', middleName: null, branchId: null,
    idType: 'israeli_id', idCountry: 'IL', idNumber: '123456782', phone: '+972501234567', phones: ['+97235551234'], email: 'dana@example.com', emails: [],
    address: 'הרצל 1', city: 'תל אביב', zip: null, country: 'IL', mailingAddress: null, mailingCity: null, mailingZip: null, mailingCountry: null,
    latitude: null, longitude: null, language: 'he', parentId: null, brokerName: null, brokerAccount: null, websiteLastToken: null,
    custom: { shoe_size: 42 }, createdBy: 'test', createdByUserId: null, createdAt: new Date('2024-03-05T10:00:00Z'), updatedAt: new Date(),
    phonesNorm: [], emailsNorm: [], idNumberNorm: null, searchName: null, ...over,
  }) as CustomerRow;

const ctx = (over: Partial<MergeContext> = {}): MergeContext => ({
  customer: customer(),
  branchName: 'ישראל',
  companyName: 'Acme & Sons',
  language: 'he',
  portalUrl: 'https://portal.example.com/?tenant=1&x="y"',
  password: 'Ab3dEf7h',
  setPasswordLink: 'https://portal.example.com/set-password?token=abc',
  unsubscribeUrl: '',
  ...over,
});

describe('merge fields', () => {
  it('offers the seed fields exactly as written, every card field the same way, and spare fields', () => {
    const tokens = mergeFields([{ id: 'x', key: 'shoe_size', labelHe: 'מידת נעליים', labelEn: 'Shoe size', type: 'number', options: [], required: false, position: 0 }]).map((f) => f.token);
    for (const t of ['{#Client_Full_Name}', '{#Password}', '{#Client_Number}', '{#ID_Number}', '{#1stPhone}', '{#Email}', '{#First_Name}', '{#Last_Name}', '{#City}', '{#Address}', '{#Set_Password_Link}', '{#Portal_URL}', '{#Branch_Name}', '{#Unsubscribe_URL}', '{#Custom_shoe_size}']) {
      expect(tokens).toContain(t);
    }
  });

  it('names unknown fields as written', () => {
    expect(unknownFields(['Hi {#Client_Full_Name} {#Nope}', '{#Client Name}{#Custom_shoe_size}{#Custom_other}'], new Set(['shoe_size']))).toEqual(['{#Nope}', '{#Client Name}', '{#Custom_other}']);
  });
});

describe('rendering', () => {
  it('wraps Hebrew in dir="rtl" lang="he", puts every value in <bdi>, escapes values', () => {
    const t = compileTemplate({ subject: 'שלום {#Client_Full_Name}', html: '<p>שלום {#Client_Full_Name}, מספר {#Client_Number}</p>', language: 'he' });
    const r = renderMessage(t, ctx({ customer: customer({ firstName: '<img src=x onerror=alert(1)>' }) }));
    expect(r.html).toMatch(/<html dir="rtl" lang="he">/);
    expect(r.html).toContain('<bdi>&lt;img src=x onerror=alert(1)&gt; Levi</bdi>');
    expect(r.html).toContain('<bdi>17</bdi>');
    expect(r.html).not.toContain('<img');
    expect(r.subject).toBe('שלום <img src=x onerror=alert(1)> Levi');
    expect(r.text).toBe('שלום <img src=x onerror=alert(1)> Levi, מספר 17');
  });

  it('escapes without <bdi> inside attributes and <title>', () => {
    const t = compileTemplate({ subject: 's', html: '<html><head><title>{#Company_Name}</title></head><body><a href="{#Portal_URL}">כניסה</a></body></html>', language: 'he' });
    const r = renderMessage(t, ctx());
    expect(r.html).toContain('<a href="https://portal.example.com/?tenant=1&amp;x=&quot;y&quot;">');
    expect(r.html).toContain('<title>Acme &amp; Sons</title>');
    expect(r.html).toMatch(/<html dir="rtl" lang="he">/);
    expect(r.html).toMatch(/<body dir="rtl">/);
    expect(r.text).toBe('כניסה (https://portal.example.com/?tenant=1&x="y")');
  });

  it('keeps a template that sets its own direction, and renders English left to right', () => {
    const own = renderMessage(compileTemplate({ subject: 's', html: '<html dir="ltr"><body>x</body></html>', language: 'he' }), ctx());
    expect(own.html).toMatch(/<html lang="he" dir="ltr">|<html dir="ltr" lang="he">/);
    const en = renderMessage(compileTemplate({ subject: 'Hi', html: '<p>Hello {#First_Name}</p>', language: 'en' }), ctx({ language: 'en' }));
    expect(en.html).toMatch(/<html dir="ltr" lang="en">/);
  });

  it('fills card, branch, portal and spare fields; removes line breaks from subject values', () => {
    const t = compileTemplate({ subject: '{#Client_Full_Name}', html: '{#1stPhone} {#2ndPhone} {#ID_Number} {#Branch_Name} {#City} {#Custom_shoe_size} {#Password} {#Created_Date}', language: 'he' });
    const r = renderMessage(t, ctx({ customer: customer({ firstName: 'a\r\nBcc: x@y' }) }));
    expect(r.subject).toBe('a Bcc: x@y Levi');
    expect(r.text).toBe('+972501234567 +97235551234 123456782 ישראל תל אביב 42 Ab3dEf7h 05.03.2024');
  });

  it('makes the plain-text part from the HTML: blocks, breaks, lists, links, entities', () => {
    expect(htmlToText('<style>p{}</style><h1>Title</h1><p>One<br>two &amp; three&nbsp;four</p><ul><li>a</li><li>b</li></ul><a href="mailto:x@y.z">x@y.z</a>')).toBe(
      'Title\n\nOne\ntwo & three four\n\n• a\n• b\n\nx@y.z',
    );
  });
});
