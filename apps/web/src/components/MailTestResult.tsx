import { Alert, Code, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MailSent } from '@kesher/contracts';
import { isApiError } from '../api/client';

/**
 * The outcome of a test send: to whom it went, or why not — with the SMTP server's own answer
 * (code, text, the command it answered) when there was one.
 */
export function MailTestResult({ sent, error, onClose }: { sent?: MailSent | null; error?: unknown; onClose?: () => void }) {
  const { t } = useTranslation();
  if (sent) {
    return (
      <Alert color="teal" role="status" withCloseButton={!!onClose} onClose={onClose} closeButtonLabel={t('app.close')}>
        {t('mail.testSent', { to: sent.to })}
      </Alert>
    );
  }
  if (!error) return null;
  const smtp = isApiError(error) ? error.smtp : null;
  const message = error instanceof Error ? error.message : t('app.unexpectedError');
  return (
    <Alert color="red" role="alert" title={t('mail.testFailed')} withCloseButton={!!onClose} onClose={onClose} closeButtonLabel={t('app.close')}>
      {smtp ? (
        <Stack gap={4}>
          <Text size="sm">{t('mail.smtpAnswer')}</Text>
          <Code block dir="ltr">
            {[smtp.responseCode != null && !String(smtp.response ?? '').startsWith(String(smtp.responseCode)) ? smtp.responseCode : null, smtp.response]
              .filter((x) => x != null && x !== '')
              .join(' ')}
          </Code>
          {smtp.command && (
            <Text size="xs" c="dimmed">
              {t('mail.smtpCommand')}: <span dir="ltr">{smtp.command}</span>
            </Text>
          )}
        </Stack>
      ) : (
        <Text size="sm">{message}</Text>
      )}
    </Alert>
  );
}
