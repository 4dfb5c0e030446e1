import { useState } from 'react';
import { Alert, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { useRemoveSuppression, useSuppressions } from '../../api/mail';
import { ConfirmButton } from '../../components/ConfirmButton';
import { useNotify, useReportError } from '../../components/Notifier';
import { RecordTable } from '../../components/RecordTable';
import { useFormat } from '../../i18n/format';

/** Unsubscribed and hard-bounced addresses: later bulk runs skip them; an admin may take one off. */
export function Suppressions() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const notify = useNotify();
  const report = useReportError();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const list = useSuppressions(q);
  const remove = useRemoveSuppression();
  const rows = (list.data?.items ?? []).map((s) => ({ ...s, id: s.email }));

  return (
    <Stack>
      <Title order={2}>{t('mail.suppressions.title')}</Title>
      <Text c="dimmed" maw={900}>
        {t('mail.suppressions.intro')}
      </Text>
      <TextInput type="search" label={t('mail.suppressions.search')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} maw={420} rightSection={list.isFetching ? <Loader size="xs" /> : null} />
      {list.isError && (
        <Alert color="red" role="alert">
          {list.error.message}
        </Alert>
      )}
      {list.isLoading ? (
        <Loader aria-label={t('app.loading')} />
      ) : rows.length === 0 ? (
        <Text c="dimmed">{t('mail.suppressions.empty')}</Text>
      ) : (
        <RecordTable
          caption={t('mail.suppressions.title')}
          rows={rows}
          columns={[
            { label: t('mail.suppressions.email'), cell: (s) => <span dir="ltr">{s.email}</span> },
            { label: t('mail.suppressions.reason'), cell: (s) => t(`mail.suppressions.reasons.${s.reason}`) },
            { label: t('mail.suppressions.createdAt'), cell: (s) => fmt.dateTime(s.createdAt) },
            {
              label: t('admin.actions'),
              cell: (s) => (
                <ConfirmButton
                  size="compact-sm"
                  confirmLabel={t('mail.suppressions.remove')}
                  text={t('mail.suppressions.removeConfirm', { email: s.email })}
                  loading={remove.isPending && remove.variables === s.email}
                  onConfirm={() => remove.mutateAsync(s.email).then(() => notify.success(t('mail.suppressions.removed')), (e: unknown) => report(e))}
                >
                  {t('mail.suppressions.remove')}
                </ConfirmButton>
              ),
            },
          ]}
        />
      )}
    </Stack>
  );
}
