import { useEffect, useState } from 'react';
import { Anchor, Badge, Group, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { isFinished, useRun } from '../api/invitations';
import { portalKeys, usePortalAccess, useResetAndResend } from '../api/portal';
import { useFormat } from '../i18n/format';
import { ConfirmButton } from './ConfirmButton';
import { useNotify, useReportError } from './Notifier';

/**
 * The card's website access: an initial (generated) password and until when, or a password the
 * customer chose — never the password itself. Admins may "reset and resend".
 */
export function PortalAccessInfo({ customerId, canReset }: { customerId: string; canReset: boolean }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const notify = useNotify();
  const report = useReportError();
  const qc = useQueryClient();
  const access = usePortalAccess(customerId);
  const resend = useResetAndResend(customerId);
  const [runId, setRunId] = useState<string | null>(null);
  const run = useRun('invitations', runId);

  // Once the one-customer run has finished, say how it went and show the card's state again.
  const finished = isFinished(run.data?.state);
  useEffect(() => {
    if (!finished || !run.data) return;
    if (run.data.sent > 0) notify.success(t('portal.resetDone'));
    void qc.invalidateQueries({ queryKey: ['customer', customerId] });
  }, [finished]); // once per run

  const a = access.data;
  if (!a) return null;
  const expired = a.generatedExpiresAt ? new Date(a.generatedExpiresAt).getTime() < Date.now() : false;
  const state = a.hasOwnPassword
    ? { text: t('portal.own'), color: 'teal' }
    : a.hasGeneratedPassword
      ? a.generatedExpiresAt
        ? { text: t(expired ? 'portal.generatedExpired' : 'portal.generated', { date: fmt.date(a.generatedExpiresAt) }), color: expired ? 'orange' : 'blue' }
        : { text: t('portal.generatedNoExpiry'), color: 'blue' }
      : { text: t('portal.none'), color: 'gray' };

  return (
    <Group gap="sm" aria-label={t('portal.title')} role="group">
      <Text>{t('portal.title')}:</Text>
      <Badge variant="light" color={state.color} size="lg" tt="none">
        {state.text}
      </Badge>
      {canReset && (
        <ConfirmButton
          size="compact-sm"
          variant="light"
          color="orange"
          title={t('portal.resetTitle')}
          text={t('portal.resetConfirm')}
          confirmLabel={t('portal.resetAction')}
          loading={resend.isPending}
          onConfirm={() =>
            resend.mutateAsync().then(
              ({ id }) => {
                setRunId(id);
                notify.success(t('portal.resetSending'));
              },
              (e: unknown) => report(e),
            )
          }
        >
          {t('portal.resetResend')}
        </ConfirmButton>
      )}
      {runId && (
        <Anchor component={Link} to={`/mail/invite?run=${runId}`} size="sm">
          {t('portal.runLink')}
        </Anchor>
      )}
    </Group>
  );
}
