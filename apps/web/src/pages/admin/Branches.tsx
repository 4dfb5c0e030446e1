import { Badge, Select, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Branch, Language } from '@kesher/contracts';
import { useBranches, useSaveBranch } from '../../api/admin';
import { AdminListPage } from '../../components/AdminListPage';
import { FormModal } from '../../components/FormModal';
import { useSaveFeedback } from '../../components/Notifier';
import { CountrySelect, LanguageSelect } from '../../components/Pickers';
import { useFormat } from '../../i18n/format';
import { useFormState } from '../../lib/form';

const FIELDS = ['name', 'country', 'language', 'timezone'] as const;
const ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['Asia/Jerusalem', 'UTC'];
  }
})();

/** Branches drive a customer's language and mailbox (SPEC §3). */
export function Branches() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const branches = useBranches();
  return (
    <AdminListPage
      title={t('admin.branches.title')}
      addLabel={t('admin.branches.add')}
      rows={branches.data?.items ?? []}
      columns={[
        {
          label: t('admin.branches.name'),
          cell: (b) => (
            <>
              {b.name} {b.isDefault && <Badge variant="light">{t('admin.branches.isDefault')}</Badge>}
            </>
          ),
        },
        { label: t('admin.branches.country'), cell: (b) => fmt.country(b.country) },
        { label: t('admin.branches.language'), cell: (b) => t(`language.${b.language}`) },
        { label: t('admin.branches.timezone'), cell: (b) => b.timezone },
      ]}
      dialog={(branch, close) => <BranchForm branch={branch} onClose={close} />}
    />
  );
}

function BranchForm({ branch, onClose }: { branch: Branch | null; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveBranch();
  const form = useFormState({
    name: branch?.name ?? '',
    country: (branch?.country ?? 'IL') as string | null,
    language: (branch?.language ?? 'he') as Language | null,
    timezone: (branch?.timezone ?? 'Asia/Jerusalem') as string | null,
  });
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate(
      { id: branch?.id, body: { name: v.name.trim(), country: v.country ?? '', language: v.language ?? 'he', timezone: v.timezone ?? '' } },
      feedback,
    );
  };
  return (
    <FormModal title={branch ? t('admin.branches.editTitle') : t('admin.branches.newTitle')} onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <TextInput label={t('admin.branches.name')} required value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
      <CountrySelect label={t('admin.branches.country')} required value={v.country} onChange={(x) => form.set('country', x)} error={form.errors.country} />
      <LanguageSelect label={t('admin.branches.language')} required value={v.language} onChange={(x) => form.set('language', x)} error={form.errors.language} />
      <Select label={t('admin.branches.timezone')} required searchable data={ZONES} value={v.timezone} onChange={(x) => form.set('timezone', x)} error={form.errors.timezone} />
    </FormModal>
  );
}
