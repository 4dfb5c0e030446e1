import { describe, expect, it } from 'vitest';
import { STATUS_IDS } from '@kesher/contracts';
import { useApp } from '../../testing/index.js';
import { automaticMove, refuseManualMove } from './status-rules.js';
import { applyStatusEvent } from './service.js';

const t = useApp();

async function newCustomer(): Promise<string> {
  const r = await t.admin.post('/api/v1/customers', { lastName: 'ליד', phone: `05${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}` });
  expect(r.status).toBe(201);
  return r.body.id;
}
const log = (id: string, type: string, body?: string) => t.staff.post(`/api/v1/customers/${id}/interactions`, { type, subject: type, ...(body && { body }) });
const status = async (id: string) => (await t.staff.get(`/api/v1/customers/${id}`)).body.status;
const move = (id: string, to: string, who = t.staff) => who.patch(`/api/v1/customers/${id}`, { status: to });

describe('automatic moves driven by interactions', () => {
  it('an unanswered call moves New to In follow-up', async () => {
    const id = await newCustomer();
    await log(id, 'call_unanswered');
    expect(await status(id)).toBe('follow_up');
  });

  it('a meeting or a quote moves New / In follow-up to Follow-up + meeting / quote', async () => {
    const a = await newCustomer();
    await log(a, 'call_unanswered');
    await log(a, 'meeting');
    expect(await status(a)).toBe('follow_up_meeting_quote');
    const b = await newCustomer();
    await log(b, 'quote');
    expect(await status(b)).toBe('follow_up_meeting_quote');
  });

  it('never demotes: an unanswered call on a meeting-stage customer leaves it there', async () => {
    const id = await newCustomer();
    await log(id, 'meeting');
    await log(id, 'call_unanswered');
    expect(await status(id)).toBe('follow_up_meeting_quote');
  });

  it('logs each status change on the timeline', async () => {
    const id = await newCustomer();
    await log(id, 'call_unanswered');
    const timeline = (await t.staff.get(`/api/v1/customers/${id}/interactions`)).body.items;
    expect(timeline.map((i: { type: string }) => i.type)).toContain('system');
    expect(timeline.find((i: { type: string }) => i.type === 'system').subject).toBe('status: new → follow_up');
  });

  it('the order hook makes a customer real, and real + club / contract', async () => {
    const id = await newCustomer();
    const actor = { tenantId: t.fx.tenantId, region: 'IL', userId: null, actorName: 'orders' };
    await t.db.transaction((tx) => applyStatusEvent(tx, actor, id, 'financial_transaction'));
    expect(await status(id)).toBe('real');
    await t.db.transaction((tx) => applyStatusEvent(tx, actor, id, 'club_or_contract'));
    expect(await status(id)).toBe('real_club_contract');
  });
});

describe('manual moves and their preconditions', () => {
  it('Fictitious only from New', async () => {
    const id = await newCustomer();
    await log(id, 'call_unanswered');
    const refused = await move(id, 'fictitious');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'illegal_status_move', message: 'ניתן לסמן לקוח כפיקטיבי רק כשהוא בסטטוס חדש' });
    const other = await newCustomer();
    expect((await move(other, 'fictitious')).body.status).toBe('fictitious');
  });

  it('Not interested needs a summary and a customer who is not real', async () => {
    const id = await newCustomer();
    const early = await move(id, 'not_interested');
    expect(early.status).toBe(422);
    expect(early.body.message).toBe('יש לרשום תחילה סיכום פגישה / תקציר אירוע');
    await log(id, 'summary', 'לא רלוונטי כרגע');
    expect((await move(id, 'not_interested')).body.status).toBe('not_interested');

    const real = await newCustomer();
    await log(real, 'summary', 'סיכום');
    await move(real, 'real', t.admin);
    const refused = await move(real, 'not_interested');
    expect(refused.status).toBe(422);
    expect(refused.body.message).toContain('לקוח אמיתי');
  });

  it('a meeting logged with notes counts as a meeting summary', async () => {
    const id = await newCustomer();
    await log(id, 'meeting', 'נפגשנו, אין עניין');
    expect((await move(id, 'not_interested')).status).toBe(200);
  });

  it('Frozen only from a real customer and after a summary', async () => {
    const id = await newCustomer();
    expect((await move(id, 'frozen')).body.code).toBe('illegal_status_move');
    await move(id, 'real', t.admin);
    const noSummary = await move(id, 'frozen');
    expect(noSummary.status).toBe(422);
    await log(id, 'summary', 'הלקוח מבקש להפסיק');
    expect((await move(id, 'frozen')).body.status).toBe('frozen');
  });

  it('follow-up statuses are automatic only; real statuses are for admins until orders arrive', async () => {
    const id = await newCustomer();
    expect((await move(id, 'follow_up')).body.code).toBe('illegal_status_move');
    expect((await move(id, 'real')).status).toBe(422);
    expect((await move(id, 'real', t.admin)).body.status).toBe('real');
  });

  it('a not-interested or fictitious lead can be renewed to New', async () => {
    const id = await newCustomer();
    await move(id, 'fictitious');
    expect((await move(id, 'new')).body.status).toBe('new');
    const other = await newCustomer();
    expect((await move(other, 'new')).body.code).toBe('illegal_status_move');
  });

  it('status-moves offers exactly the legal moves, with reasons for the others', async () => {
    const id = await newCustomer();
    const moves = (await t.staff.get(`/api/v1/customers/${id}/status-moves`, { 'accept-language': 'en' })).body;
    expect(moves.current).toBe('new');
    expect(moves.moves.filter((m: { allowed: boolean }) => m.allowed).map((m: { status: string }) => m.status)).toEqual(['fictitious']);
    expect(moves.moves.find((m: { status: string }) => m.status === 'not_interested').reason).toBe('Log a meeting summary / event summary first');
  });

  it('a refused move changes nothing', async () => {
    const id = await newCustomer();
    const r = await t.staff.patch(`/api/v1/customers/${id}`, { status: 'frozen', city: 'חיפה' });
    expect(r.status).toBe(422);
    const card = (await t.staff.get(`/api/v1/customers/${id}`)).body;
    expect(card).toMatchObject({ status: 'new', city: null });
  });
});

describe('the rules as a table', () => {
  it('every manual move from every status has an answer, and matches the spec', () => {
    const allowed = (from: string, hasSummary: boolean, isAdmin: boolean) =>
      STATUS_IDS.filter((to) => refuseManualMove(to, { current: from as never, hasSummary, isAdmin }) === null);
    expect(allowed('new', false, false)).toEqual(['fictitious']);
    expect(allowed('new', true, false)).toEqual(['not_interested', 'fictitious']);
    expect(allowed('follow_up', true, false)).toEqual(['not_interested']);
    expect(allowed('real', true, false)).toEqual(['frozen']);
    expect(allowed('real', true, true)).toEqual(['real_club_contract', 'frozen']);
    expect(allowed('frozen', true, true)).toEqual(['real', 'real_club_contract']);
    expect(allowed('not_interested', false, false)).toEqual(['new']);
    expect(allowed('fictitious', false, false)).toEqual(['new']);
    expect(automaticMove('real', 'call_unanswered')).toBeNull();
    expect(automaticMove('follow_up_meeting_quote', 'meeting_or_quote')).toBeNull();
  });
});
