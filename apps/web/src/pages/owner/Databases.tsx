import { useState } from 'react';
import { Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Language } from '@kesher/contracts';
import { useCreateDatabase, useDatabases } from '../../api/owner';
import { useSession } from '../../api/session';
import { FormModal } from '../../components/FormModal';
import { useNotify, useReportError } from '../../components/Notifier';
import { LanguageSelect } from '../../components/Pickers';
import { RecordTable } from '../../components/RecordTable';
import { useFormat } from '../../i18n/format';
import { useFormState } from '../../lib/form';

const FIELDS = ['name', 'adminEmail', 'language'] as const;

/** The owner's screen: every database of the server, and a new one with its first admin invited. */
export function Databases() {
  const { t } = useTranslation();
  const session = useSession();
  const databases = useDatabases();
  const f = useFormat();
  const [creating, setCreating] = useState(false);
  if (!session.data?.owner) return <Text c="red">{t('app.noPermission')}</Text>;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('owner.title')}</Title>
        <Button onClick={() => setCreating(true)}>{t('owner.create')}</Button>
      </Group>
      <Text c="dimmed" size="sm">
        {t('owner.intro')}
      </Text>
      <Table.ScrollContainer minWidth={340}>
        <RecordTable
          caption={t('owner.title')}
          rows={databases.data?.items ?? []}
          columns={[
            { label: t('owner.name'), cell: (d) => <bdi>{d.name}</bdi> },
            { label: t('owner.createdAt'), cell: (d) => f.date(d.createdAt) },
            { label: t('owner.users'), cell: (d) => f.number(d.users) },
            { label: t('owner.customers'), cell: (d) => f.number(d.customers) },
          ]}
        />
      </Table.ScrollContainer>
      {creating && <CreateDatabase onClose={() => setCreating(false)} />}
    </Stack>
  );
}

function CreateDatabase({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const create = useCreateDatabase();
  const notify = useNotify();
  const report = useReportError();
  const form = useFormState({ name: '', adminEmail: '', language: (i18n.language === 'en' ? 'en' : 'he') as Language | null });
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    // The invited admin chooses their own name (a new address) or keeps their account's.
    const body = { name: v.name.trim(), adminEmail: v.adminEmail.trim(), language: v.language ?? 'he' };
    create.mutate(body, {
      onSuccess: (d) => {
        notify.success(t('owner.created', { name: d.name, email: body.adminEmail }));
        onClose();
      },
      onError: (err) => report(err, { known: FIELDS, setErrors: form.setErrors }),
    });
  };
  return (
    <FormModal title={t('owner.createTitle')} onClose={onClose} onSubmit={submit} saving={create.isPending}>
      <TextInput label={t('owner.name')} required value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
      <TextInput
        label={t('owner.adminEmail')}
        type="email"
        dir="ltr"
        required
        value={v.adminEmail}
        onChange={(e) => form.set('adminEmail', e.currentTarget.value)}
        error={form.errors.adminEmail}
      />
      <LanguageSelect label={t('owner.language')} value={v.language} onChange={(x) => form.set('language', x)} allowDeselect={false} error={form.errors.language} />
      <Text size="sm" c="dimmed">
        {t('owner.inviteNote')}
      </Text>
    </FormModal>
  );
}
