import { STATUS_IDS, type StatusId } from '@kesher/contracts';
import type { MessageKey } from '../../http/messages.js';

/**
 * The status rules of SPEC §1, in one place. Pure functions: the service gathers the facts
 * (current status, whether a summary was logged, who is asking) and applies the answer.
 */
export interface StatusFacts {
  current: StatusId;
  /** A meeting summary / event summary is on the card (a `summary`, or a `meeting` with notes). */
  hasSummary: boolean;
  isAdmin: boolean;
}

const REAL: readonly StatusId[] = ['real', 'real_club_contract'];
/** Leads an import's "renew" policy sends back to New (SPEC §2: reset the marketing status). */
const RENEWABLE: readonly StatusId[] = ['follow_up', 'follow_up_meeting_quote', 'not_interested', 'fictitious'];

/** A status change's line on the card's timeline (the back office reads it back: "status: a → b"). */
export const statusChangeSubject = (from: string, to: string): string => `status: ${from} → ${to}`;

/** Why a manual move is refused, or null when it is allowed. */
export function refuseManualMove(target: StatusId, facts: StatusFacts): MessageKey | null {
  const { current } = facts;
  if (target === current) return 'status.same';
  switch (target) {
    case 'follow_up':
    case 'follow_up_meeting_quote':
      return 'status.automatic';
    case 'real':
    case 'real_club_contract':
      // Set by orders (a paid order / invoice, a club membership or contract); meanwhile by an admin.
      return facts.isAdmin ? null : 'status.admin_only';
    case 'not_interested':
      if (REAL.includes(current) || current === 'frozen') return 'status.not_interested_real';
      return facts.hasSummary ? null : 'status.needs_summary';
    case 'fictitious':
      return current === 'new' ? null : 'status.fictitious_only_from_new';
    case 'frozen':
      if (!REAL.includes(current)) return 'status.frozen_only_real';
      return facts.hasSummary ? null : 'status.needs_summary';
    case 'new':
      // Renewing a lead: back to New from a dead end.
      return current === 'not_interested' || current === 'fictitious' ? null : 'status.new_only_renew';
  }
}

export function manualMoves(facts: StatusFacts): { status: StatusId; refusal: MessageKey | null }[] {
  return STATUS_IDS.filter((s) => s !== facts.current).map((status) => ({ status, refusal: refuseManualMove(status, facts) }));
}

/**
 * Events that move a status by themselves. `lead_came_again`: a lead channel (Web Data Port)
 * found the customer again by phone / email (SPEC §2: Not interested → New, "Renewed").
 */
export type StatusEvent = 'call_unanswered' | 'meeting_or_quote' | 'financial_transaction' | 'club_or_contract' | 'lead_came_again' | 'import_renew';

/** The status an event leads to, or null when it changes nothing. Never demotes a customer. */
export function automaticMove(current: StatusId, event: StatusEvent): StatusId | null {
  switch (event) {
    case 'call_unanswered':
      return current === 'new' ? 'follow_up' : null;
    case 'meeting_or_quote':
      return current === 'new' || current === 'follow_up' ? 'follow_up_meeting_quote' : null;
    case 'financial_transaction':
      return REAL.includes(current) ? null : 'real';
    case 'club_or_contract':
      return current === 'real_club_contract' ? null : 'real_club_contract';
    case 'lead_came_again':
      return current === 'not_interested' ? 'new' : null;
    case 'import_renew':
      // An Excel import's "renew" policy: a lead back to New, but a real / frozen customer is not a lead.
      return RENEWABLE.includes(current) ? 'new' : null;
  }
}
