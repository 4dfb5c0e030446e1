import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { AppError } from '../../http/errors.js';
import { createSession } from '../auth/service.js';
import { hashPassword, randomToken, sha256 } from '../auth/passwords.js';
import { enqueueStaffMessage } from '../mail/index.js';
import * as throttle from '../throttle/index.js';
import { tenants } from '../tenants/tables.js';
import { groupMembers, groups, membershipInvitations, memberships, users } from './tables.js';

/**
 * Membership invitations: adding an account to a database is an invitation the account accepts
 * through an emailed link; the membership exists only once accepted. The link's token is made
 * when the mail worker renders the message (so no token is stored in clear, not even in the
 * outbox) and only its SHA-256 is kept; a resent message replaces the link. Single use, 7 days.
 * An email with no account yet (the first admin of a new database) chooses a name and a password
 * on the same page; that creates the account and its membership together.
 */
export const INVITATION_DAYS = 7;
export const INVITATION_TEMPLATE = 'membership_invitation';
/** Failed link checks per address: at most this many per 15 minutes. */
const FAILURE_LIMIT = 20;
const WINDOW_SECONDS = 15 * 60;

export interface InvitationInput {
  tenantId: string;
  email: string;
  role: 'admin' | 'staff';
  groupIds?: string[];
  invitedByUserId: string | null;
  /** The language of the email when the account has none yet. */
  language?: 'he' | 'en';
}

/** Records an invitation (replacing a pending one for the same database and email) and queues its email. */
export async function inviteToDatabase(db: Db, input: InvitationInput): Promise<{ id: string }> {
  const email = input.email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    await tx
      .delete(membershipInvitations)
      .where(and(eq(membershipInvitations.tenantId, input.tenantId), eq(membershipInvitations.email, email), isNull(membershipInvitations.acceptedAt)));
    const [row] = await tx
      .insert(membershipInvitations)
      .values({
        tenantId: input.tenantId,
        email,
        role: input.role,
        groupIds: [...new Set(input.groupIds ?? [])],
        invitedByUserId: input.invitedByUserId,
        expiresAt: sql`now() + make_interval(days => ${INVITATION_DAYS})`,
      })
      .returning({ id: membershipInvitations.id });
    const [account] = await tx.select({ language: users.language }).from(users).where(eq(users.email, email));
    const language = account?.language === 'en' || account?.language === 'he' ? account.language : (input.language ?? 'he');
    await enqueueStaffMessage(tx, { tenantId: input.tenantId, toAddress: email, kind: INVITATION_TEMPLATE, subjectId: row!.id, language });
    return { id: row!.id };
  });
}

/** What the invitation email says, with a fresh link (the previous link of this invitation stops working). */
export async function issueInvitationLink(db: Db, invitationId: string, baseUrl: string) {
  const token = randomToken();
  const [row] = await db
    .update(membershipInvitations)
    .set({ tokenHash: sha256(token) })
    .where(and(eq(membershipInvitations.id, invitationId), isNull(membershipInvitations.acceptedAt), gt(membershipInvitations.expiresAt, sql`now()`)))
    .returning({ tenantId: membershipInvitations.tenantId, role: membershipInvitations.role, email: membershipInvitations.email, expiresAt: membershipInvitations.expiresAt });
  if (!row) return null;
  return { url: `${baseUrl.replace(/\/+$/, '')}/accept-invitation?token=${encodeURIComponent(token)}`, ...(await describe(db, row)), expiresAt: row.expiresAt };
}

/** What an invitation offers: the database's name, the role, and whether its email has an account yet. */
async function describe(db: Db, row: Pick<Invitation, 'tenantId' | 'role' | 'email'>) {
  const [tenant] = await db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, row.tenantId));
  const [account] = await db.select({ id: users.id }).from(users).where(eq(users.email, row.email));
  return { tenantName: tenant?.name ?? '', role: row.role === 'admin' ? ('admin' as const) : ('staff' as const), hasAccount: !!account };
}

type Invitation = typeof membershipInvitations.$inferSelect;

/** The pending invitation of a token; a wrong token costs the caller's address one of its tries. */
async function pending(db: Db, token: string, ip: string): Promise<Invitation> {
  const key = `invite:ip:${ip}`;
  const counts = await throttle.peek(db, [key], WINDOW_SECONDS);
  if ((counts.get(key) ?? 0) >= FAILURE_LIMIT) throw new AppError('too_many_requests', 'too_many_requests');
  const [row] = await db
    .select()
    .from(membershipInvitations)
    .where(and(eq(membershipInvitations.tokenHash, sha256(token)), isNull(membershipInvitations.acceptedAt), gt(membershipInvitations.expiresAt, sql`now()`)));
  if (!row) {
    await throttle.hit(db, key, WINDOW_SECONDS);
    throw new AppError('not_found', 'invitation.invalid');
  }
  return row;
}

/** The invitation behind a link, for the acceptance page (the token's holder got it by email). */
export async function previewInvitation(db: Db, token: string, ip: string) {
  const row = await pending(db, token, ip);
  return { tenantId: row.tenantId, email: row.email, ...(await describe(db, row)) };
}

async function join(tx: Db, row: Invitation, userId: string): Promise<void> {
  const done = await tx
    .update(membershipInvitations)
    .set({ acceptedAt: sql`now()` })
    .where(and(eq(membershipInvitations.id, row.id), isNull(membershipInvitations.acceptedAt)))
    .returning({ id: membershipInvitations.id });
  if (done.length === 0) throw new AppError('not_found', 'invitation.invalid');
  await tx
    .insert(memberships)
    .values({ userId, tenantId: row.tenantId, role: row.role })
    .onConflictDoUpdate({ target: [memberships.userId, memberships.tenantId], set: { role: row.role, active: true } });
  if (row.groupIds.length) {
    const still = await tx.select({ id: groups.id }).from(groups).where(and(eq(groups.tenantId, row.tenantId), sql`${groups.id} = any(${sql.param(row.groupIds)}::uuid[])`));
    if (still.length) await tx.insert(groupMembers).values(still.map((g) => ({ tenantId: row.tenantId, groupId: g.id, userId }))).onConflictDoNothing();
  }
}

/** The logged-in account accepts an invitation sent to its own email; the membership starts now. */
export async function acceptInvitation(db: Db, userId: string, token: string, ip: string): Promise<{ tenantId: string }> {
  const row = await pending(db, token, ip);
  const [account] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  if (!account || account.email !== row.email) throw new AppError('forbidden', 'invitation.other_account');
  await db.transaction((tx) => join(tx, row, userId));
  return { tenantId: row.tenantId };
}

/**
 * An invitation to an email that has no account yet: the invitee chooses a name and a password,
 * which creates the account and its membership; a session in that database is returned.
 */
export async function registerByInvitation(
  db: Db,
  input: { token: string; name: string; password: string; language?: 'he' | 'en' | undefined },
  ip: string,
): Promise<{ token: string; userId: string; tenantId: string }> {
  const row = await pending(db, input.token, ip);
  const passwordHash = await hashPassword(input.password);
  const userId = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(users)
      .values({ email: row.email, name: input.name, passwordHash, language: input.language ?? 'he' })
      .onConflictDoNothing()
      .returning({ id: users.id });
    // The email got an account meanwhile: it accepts as that account, logged in.
    if (!created) throw new AppError('forbidden', 'invitation.other_account');
    await join(tx, row, created.id);
    return created.id;
  });
  return { token: await createSession(db, userId, row.tenantId), userId, tenantId: row.tenantId };
}
