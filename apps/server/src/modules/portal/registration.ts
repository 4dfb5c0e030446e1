import type { PortalRegisterBody } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, invalid } from '../../http/errors.js';
import { translate } from '../../http/messages.js';
import { brokerOfAffiliate } from '../brokers/index.js';
import { cardValues } from '../customers/card.js';
import { createCustomer } from '../customers/service.js';
import { findMatches } from '../identity/index.js';
import { enqueueCustomerMessage, PORTAL_WELCOME_TEMPLATE, type MailSettings } from '../mail/index.js';
import { getTenant } from '../tenants/service.js';
import { hit } from '../throttle/index.js';
import { resolveTenant } from './login.js';

/**
 * Portal registration (SPEC §2: "no duplicates"). A visitor gives an email (and maybe a name and a
 * phone). When the identity service finds the person (email, phone), nothing is created and the
 * known card gets the welcome email with a set-password link; otherwise a lead is created — created
 * by "Portal registration", status New, Website Last Token Hot Lead, `No Name From Web` without a
 * name — and gets the same email. The reply and the email are the same in both cases, so the form
 * does not tell an attacker whether an address is a customer's.
 */
const WINDOW_SECONDS = 60 * 60;
/** Registrations per IP and per address per hour: a form a person fills a few times at most. */
const IP_LIMIT = 20;
const ADDRESS_LIMIT = 3;
export const NO_NAME = 'No Name From Web';

export async function registerOnPortal(db: Db, mail: MailSettings, input: PortalRegisterBody, ip: string): Promise<void> {
  const tenantId = await resolveTenant(db, input.tenant);
  if (!tenantId) throw new AppError('validation', 'portal.tenant_required', {}, { fields: [{ path: 'tenant', code: 'not_found' }] });
  const tenant = await getTenant(db, tenantId);
  const fields = {
    firstName: input.firstName || undefined,
    lastName: input.lastName || (input.firstName ? undefined : NO_NAME),
    email: input.email,
    phone: input.phone || undefined,
    language: input.language,
    // `aff`: the broker who brought the visitor; a code that names nobody is ignored (the form says nothing).
    ...(await brokerOfAffiliate(db, tenantId, input.aff)),
  };
  const { values, errors } = cardValues(fields, null, tenant.defaultRegion);
  if (errors.length) throw invalid(errors);

  if ((await hit(db, `portal:register:ip:${ip}`, WINDOW_SECONDS)) > IP_LIMIT) throw new AppError('too_many_requests', 'too_many_requests');
  const address = values.emailsNorm![0]!;
  // Past the limit the request is answered as usual but sends nothing: no mail bombing of one address.
  if ((await hit(db, `portal:register:address:${tenantId}:${address}`, WINDOW_SECONDS)) > ADDRESS_LIMIT) return;

  const keys = { phones: values.phonesNorm ?? [], emails: values.emailsNorm ?? [], idNumbers: [] };
  const known = await findMatches(db, tenantId, keys);
  // The card with this email first (then by phone): that is whose mailbox gets the link.
  const existing = known.find((m) => m.matchedOn.includes('email')) ?? known.find((m) => m.email);
  let customerId: string | undefined = existing?.id;
  if (!known.length) {
    const actor = { tenantId, region: tenant.defaultRegion, userId: null, actorName: translate(tenant.defaultLanguage, 'portal.registration_actor') };
    try {
      customerId = (await createCustomer(db, actor, fields, { system: { status: 'new', websiteLastToken: 'hot_lead' } })).id;
    } catch (err) {
      // Registered twice at once: the other request created the card; send to it.
      if (!(err instanceof AppError) || err.code !== 'duplicate') throw err;
      customerId = ((err.extra.body?.matches ?? []) as { id: string }[])[0]?.id;
    }
  }
  if (!customerId) return; // known only by phone, on a card without an email: nothing to send to
  await enqueueCustomerMessage(db, mail, { tenantId, customerId, templateKey: PORTAL_WELCOME_TEMPLATE, credential: 'set_password_link', source: { portalRegistration: true } });
}
