import { useEffect } from 'react';
import { Checkbox, Loader, NumberInput, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Language, Tenant } from '@kesher/contracts';
import { useSaveTenant, useTenant } from '../../api/admin';
import { useSaveFeedback } from '../../components/Notifier';
import { CountrySelect, LanguageSelect } from '../../components/Pickers';
import { useFormState } from '../../lib/form';
import { Form, FormActions } from '../../components/Form';

const FIELDS = ['name', 'defaultRegion', 'defaultLanguage', 'allowDuplicates', 'sharedKeyLimit'] as const;
const fromTenant = (x?: Tenant) => ({
  name: x?.name ?? '',
  defaultRegion: (x?.defaultRegion ?? 'IL') as string | null,
  defaultLanguage: (x?.defaultLanguage ?? 'he') as Language | null,
  allowDuplicates: x?.allowDuplicates ?? false,
  sharedKeyLimit: (x?.sharedKeyLimit ?? 20) as number | string,
});

/** The database ("tenant") settings. */
export function TenantSettings() {
  const { t } = useTranslation();
  const tenant = useTenant();
  const save = useSaveTenant();
  const form = useFormState(fromTenant(tenant.data));
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors });
  const { reset } = form;
  useEffect(() => {
    if (tenant.data) reset(fromTenant(tenant.data));
  }, [tenant.data, reset]);

  if (tenant.isLoading) return <Loader aria-label={t('app.loading')} />;
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate(
      {
        name: v.name.trim(),
        ...(v.defaultRegion ? { defaultRegion: v.defaultRegion } : {}),
        ...(v.defaultLanguage ? { defaultLanguage: v.defaultLanguage } : {}),
        allowDuplicates: v.allowDuplicates,
        ...(typeof v.sharedKeyLimit === 'number' ? { sharedKeyLimit: v.sharedKeyLimit } : {}),
      },
      feedback,
    );
  };
  return (
    <Form onSubmit={submit}  maw={560}>
      <Title order={2}>{t('admin.tenant.title')}</Title>
      <TextInput label={t('admin.tenant.name')} required value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
      <CountrySelect
        label={t('admin.tenant.defaultRegion')}
        value={v.defaultRegion}
        onChange={(x) => form.set('defaultRegion', x)}
        error={form.errors.defaultRegion}
      />
      <LanguageSelect
        label={t('admin.tenant.defaultLanguage')}
        value={v.defaultLanguage}
        onChange={(x) => form.set('defaultLanguage', x)}
        error={form.errors.defaultLanguage}
      />
      <Checkbox
        label={t('admin.tenant.allowDuplicates')}
        description={t('admin.tenant.allowDuplicatesHint')}
        checked={v.allowDuplicates}
        onChange={(e) => form.set('allowDuplicates', e.currentTarget.checked)}
      />
      <NumberInput
        label={t('admin.tenant.sharedKeyLimit')}
        description={t('admin.tenant.sharedKeyLimitHint')}
        min={1}
        max={10000}
        allowDecimal={false}
        value={v.sharedKeyLimit}
        onChange={(x) => form.set('sharedKeyLimit', x)}
        error={form.errors.sharedKeyLimit}
      />
      <FormActions saving={save.isPending} />
    </Form>
  );
}
