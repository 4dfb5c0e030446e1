import nodemailer from 'nodemailer';
import type { SmtpAnswer } from '@kesher/contracts';
import { AppError } from '../../http/errors.js';

/**
 * SMTP connections: settings of a mailbox (decrypted, in memory only while sending), one pooled
 * nodemailer transport per mailbox, and what an SMTP failure means (retry or not, and the
 * server's own answer to show a person).
 */
export interface SmtpSettings {
  /** The mailbox id; null = the server's default mailbox (SMTP_URL). */
  mailboxId: string | null;
  /** Changes whenever the settings change: transports are cached by id + version. */
  version: string;
  host: string;
  port: number;
  /** 'auto' (server default from an smtp:// URL): STARTTLS when the server offers it. */
  tlsMode: 'tls' | 'starttls' | 'none' | 'auto';
  username: string | null;
  password: string | null;
  fromName: string;
  fromAddress: string;
  replyTo: string | null;
  ratePerMinute: number | null;
}

/** The server-wide default mailbox from `SMTP_URL` (smtp[s]://user:pass@host:port) and `MAIL_FROM` ("Name <address>"). */
export function serverMailboxFrom(smtpUrl: string | undefined, mailFrom: string | undefined): SmtpSettings | null {
  if (!smtpUrl) return null;
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const username = url.username ? decodeURIComponent(url.username) : null;
  const from = parseFrom(mailFrom) ?? { name: 'Kesher', address: username?.includes('@') ? username : `noreply@${url.hostname}` };
  const tls = url.searchParams.get('tls');
  return {
    mailboxId: null,
    version: 'server',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (secure ? 465 : 587)),
    tlsMode: secure ? 'tls' : tls === 'none' || tls === 'starttls' ? tls : 'auto',
    username,
    password: url.password ? decodeURIComponent(url.password) : null,
    fromName: from.name,
    fromAddress: from.address,
    replyTo: null,
    ratePerMinute: null,
  };
}

function parseFrom(value: string | undefined): { name: string; address: string } | null {
  if (!value?.trim()) return null;
  const m = value.trim().match(/^(.*?)\s*<([^<>\s]+@[^<>\s]+)>$/);
  if (m) return { name: m[1]!.replace(/^"|"$/g, '').trim() || 'Kesher', address: m[2]! };
  return { name: 'Kesher', address: value.trim() };
}

export type Transport = ReturnType<typeof nodemailer.createTransport>;

const TIMEOUTS = { connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 60_000 };

function transportOptions(s: SmtpSettings) {
  return {
    host: s.host,
    port: s.port,
    secure: s.tlsMode === 'tls',
    requireTLS: s.tlsMode === 'starttls',
    ignoreTLS: s.tlsMode === 'none',
    auth: s.username ? { user: s.username, pass: s.password ?? '' } : undefined,
    ...TIMEOUTS,
  };
}

/** A one-off connection (test sends): a failure is this connection's, not a pool's. */
export function singleTransport(s: SmtpSettings): Transport {
  return nodemailer.createTransport(transportOptions(s));
}

export interface PoolOptions {
  /** SMTP sessions side by side per branch / tenant mailbox (default 5): provider accounts limit them. */
  maxConnections?: number;
  /** The same for the server's default mailbox (SMTP_URL, default 10): a relay run for this server. */
  serverMaxConnections?: number;
  /** Messages per session before it is replaced by a fresh one (default 1,000). */
  maxMessages?: number;
}

/**
 * One pooled transport per mailbox, replaced when the mailbox's settings change. A session is
 * replaced after `maxMessages` messages (a relay does not hold one session forever); a branch
 * mailbox (typically an account at a mail provider, which limits concurrent sessions) gets
 * `maxConnections` sessions, the server's own relay more.
 */
export class TransportCache {
  private readonly byMailbox = new Map<string, { version: string; transport: Transport }>();
  private readonly pool: Required<PoolOptions>;
  constructor(options: PoolOptions | number = {}) {
    const o = typeof options === 'number' ? { maxConnections: options } : options;
    this.pool = { maxConnections: o.maxConnections ?? 5, serverMaxConnections: o.serverMaxConnections ?? 10, maxMessages: o.maxMessages ?? 1000 };
  }

  get(s: SmtpSettings): Transport {
    const id = s.mailboxId ?? 'server';
    const found = this.byMailbox.get(id);
    if (found && found.version === s.version) return found.transport;
    found?.transport.close();
    const maxConnections = s.mailboxId === null ? this.pool.serverMaxConnections : this.pool.maxConnections;
    const transport = nodemailer.createTransport({ ...transportOptions(s), pool: true, maxConnections, maxMessages: this.pool.maxMessages });
    this.byMailbox.set(id, { version: s.version, transport });
    return transport;
  }

  /**
   * Sends one message through the mailbox's pool. A message that `buildMime` can write (every
   * message the worker composes, in practice) goes out pre-built as `raw` with its envelope:
   * nodemailer's composer builds a tree of streams per message, which costs about as much CPU
   * as everything else the worker does for it; the rest falls back to the composer.
   */
  async send(s: SmtpSettings, mail: OutgoingMail): Promise<{ messageId: string }> {
    const transport = this.get(s);
    const raw = buildMime(mail);
    if (raw === null) {
      const info = (await transport.sendMail(mail)) as { messageId?: string };
      return { messageId: info.messageId ?? mail.messageId };
    }
    await transport.sendMail({ envelope: { from: mail.from.address, to: [typeof mail.to === 'string' ? mail.to : mail.to.address] }, raw });
    return { messageId: mail.messageId };
  }

  closeAll(): void {
    for (const { transport } of this.byMailbox.values()) transport.close();
    this.byMailbox.clear();
  }
}

// ---- pre-built messages ----

/** A message as compose.ts makes it. */
export interface OutgoingMail {
  from: { name: string; address: string };
  to: { name: string; address: string } | string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, string | { prepared: true; value: string }>;
}

/** An address we write as is: no quotes, comments, spaces or non-ASCII (those go to nodemailer's composer). */
const SIMPLE_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const HEADER_NAME = /^[!-9;-~]+$/;
const CONTROL = /[\x00-\x1f\x7f]+/g;
let boundaryCounter = 0;

/**
 * RFC 2047 encoded words (UTF-8, base64), each at most 42 bytes of text (a 68-character word),
 * never splitting a character, folded one word a line. ASCII without control characters is
 * returned as it is.
 */
export function encodeHeaderText(value: string): string {
  const clean = value.replace(CONTROL, ' ');
  if (PRINTABLE_ASCII.test(clean) && !clean.includes('=?')) return clean;
  const words: string[] = [];
  let chunk = '';
  let bytes = 0;
  for (const ch of clean) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > 42) {
      words.push(chunk);
      chunk = '';
      bytes = 0;
    }
    chunk += ch;
    bytes += size;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** A display name: quoted when ASCII (specials and all), encoded words otherwise. */
function phrase(name: string): string {
  const clean = name.replace(CONTROL, ' ').trim();
  if (PRINTABLE_ASCII.test(clean) && !clean.includes('=?')) return `"${clean.replace(/[\\"]/g, '\\$&')}"`;
  return encodeHeaderText(clean);
}

function mailbox(m: { name: string; address: string } | string): string | null {
  const address = typeof m === 'string' ? m : m.address;
  if (!SIMPLE_ADDRESS.test(address)) return null;
  const name = typeof m === 'string' ? '' : m.name.trim();
  return name ? `${phrase(name)} <${address}>` : address;
}

/** Base64 in lines of 76 characters, CRLF-separated. */
function base64Lines(text: string): string {
  const b64 = Buffer.from(text.replace(/\r?\n/g, '\r\n')).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += (i ? '\r\n' : '') + b64.slice(i, i + 76);
  return out;
}

/**
 * The whole message, as nodemailer's composer would write it for a mail with `text` + `html`:
 * RFC 5322 headers (display names and the subject as RFC 2047 words), `multipart/alternative`
 * with a UTF-8 text part and an HTML part, both base64. Returns null for a message this does
 * not handle (an address with quotes or non-ASCII, a header value with line breaks): the caller
 * sends that one through the composer.
 */
export function buildMime(mail: OutgoingMail, date = new Date()): string | null {
  const from = mailbox(mail.from);
  const to = mailbox(mail.to);
  if (!from || !to || (mail.replyTo && !SIMPLE_ADDRESS.test(mail.replyTo)) || !/^<[^<>\s]+>$/.test(mail.messageId)) return null;
  const head = [`From: ${from}`, `To: ${to}`];
  if (mail.replyTo) head.push(`Reply-To: ${mail.replyTo}`);
  head.push(`Subject: ${encodeHeaderText(mail.subject)}`, `Message-ID: ${mail.messageId}`, `Date: ${date.toUTCString().replace(/GMT$/, '+0000')}`, 'MIME-Version: 1.0');
  for (const [name, v] of Object.entries(mail.headers)) {
    const value = typeof v === 'string' ? v : v.value;
    if (!HEADER_NAME.test(name) || !PRINTABLE_ASCII.test(value) || value.length > 900) return null;
    head.push(`${name}: ${value}`);
  }
  const boundary = `--_kesher_${(++boundaryCounter).toString(36)}_${date.getTime().toString(36)}`;
  head.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
  const part = (type: string, body: string) =>
    `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(body)}\r\n`;
  return `${head.join('\r\n')}\r\n\r\n${part('text/plain', mail.text)}${part('text/html', mail.html)}--${boundary}--\r\n`;
}

interface SmtpError {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  message?: string;
}

/** The SMTP server's own answer (response code + text), or the connection error when there was no answer. */
export function smtpAnswer(err: unknown): SmtpAnswer {
  const e = (err ?? {}) as SmtpError;
  return {
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : null,
    response: e.response?.trim() || e.message || String(err),
    command: e.command ?? null,
  };
}

/** One line for a person (and for `last_error`): "535 5.7.8 Authentication failed (AUTH PLAIN)". */
export function describeSmtpError(err: unknown): string {
  const a = smtpAnswer(err);
  const text = a.response ?? '';
  const withCode = a.responseCode && !text.startsWith(String(a.responseCode)) ? `${a.responseCode} ${text}` : text;
  return (a.command ? `${withCode} (${a.command})` : withCode).replace(/\s+/g, ' ').slice(0, 1000);
}

/**
 * Retry or give up: a 4xx answer, 503, and a connection that failed or broke (no answer at all)
 * are transient; any other 5xx answer is permanent; a failure with no SMTP answer that is not a
 * connection problem (missing credentials, a bad envelope) is permanent too.
 */
export function isTransient(err: unknown): boolean {
  const e = (err ?? {}) as SmtpError;
  if (typeof e.responseCode === 'number') return !(e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503);
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'ECONNREFUSED', 'ECONNRESET'].includes(e.code ?? '');
}

/** A permanent "no such user" answer: the address goes on the suppression list as a hard bounce. */
export function isUnknownUser(err: unknown): boolean {
  const e = (err ?? {}) as SmtpError;
  if (typeof e.responseCode !== 'number' || e.responseCode < 550 || e.responseCode > 553) return false;
  const text = e.response ?? '';
  return /\b5\.1\.[0-3]\b/.test(text) || /user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|mailbox unavailable|recipient (address )?rejected|invalid recipient/i.test(text);
}

/**
 * Sends one message now over a fresh connection (test sends from the settings pages); a failure
 * becomes a 422 that carries the SMTP server's own answer.
 */
export async function sendNow(
  s: SmtpSettings,
  mail: { to: string; subject: string; html: string; text: string; headers?: Record<string, string> },
): Promise<{ to: string; messageId: string }> {
  const transport = singleTransport(s);
  try {
    const info = (await transport.sendMail({
      from: { name: s.fromName, address: s.fromAddress },
      ...(s.replyTo ? { replyTo: s.replyTo } : {}),
      ...mail,
    })) as { messageId?: string };
    return { to: mail.to, messageId: info.messageId ?? '' };
  } catch (err) {
    throw new AppError('mail_send_failed', 'mail.send_failed', { answer: describeSmtpError(err) }, { body: { smtp: smtpAnswer(err) } });
  } finally {
    transport.close();
  }
}
