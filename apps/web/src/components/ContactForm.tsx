import { Select, SimpleGrid, TextInput, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { GENDERS, LEGAL_STATUSES, type Contact, type ContactFields } from '@kesher/contracts';
import { useSaveContact } from '../api/contacts';
import { textOrNull, useFormState } from '../lib/form';
import { FormModal } from './FormModal';
import { useSaveFeedback } from './Notifier';
import { IdTypeSelect } from './Pickers';

const TEXT = ['firstName', 'lastName', 'department', 'role', 'phone', 'email', 'idNumber', 'birthDate', 'notes'] as const;
const FIELDS = [...TEXT, 'idType', 'legalStatus', 'gender'] as const;
type Values = Record<(typeof TEXT)[number], string> & Pick<ContactFields, 'idType' | 'legalStatus' | 'gender'>;
type Legal = NonNullable<ContactFields['legalStatus']>;
type Gender = NonNullable<ContactFields['gender']>;

const toValues = (c?: Contact | null): Values => ({
  firstName: c?.firstName ?? '', lastName: c?.lastName ?? '', department: c?.department ?? '', role: c?.role ?? '',
  phone: c?.phone ?? '', email: c?.email ?? '', idNumber: c?.idNumber ?? '', birthDate: c?.birthDate ?? '',
  notes: c?.notes ?? '', idType: c?.idType ?? null, legalStatus: c?.legalStatus ?? null, gender: c?.gender ?? null,
});

/** Add / edit an additional contact. The server enforces the regulation fields for company customers. */
export function ContactForm({ customerId, contact, onClose }: { customerId: string; contact: Contact | null; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveContact(customerId);
  const form = useFormState(toValues(contact));
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;
  const text = (key: (typeof TEXT)[number], ltr = false, type = 'text') => (
    <TextInput
      label={t(`contacts.${key}`)}
      type={type}
      dir={ltr ? 'ltr' : undefined}
      value={v[key]}
      onChange={(e) => form.set(key, e.currentTarget.value)}
      error={form.errors[key]}
    />
  );

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const body: ContactFields = {
      ...Object.fromEntries(TEXT.map((k) => [k, textOrNull(v[k])])),
      idType: v.idType ?? null,
      legalStatus: v.legalStatus ?? null,
      gender: v.gender ?? null,
    };
    save.mutate({ id: contact?.id, body }, feedback);
  };

  return (
    <FormModal title={contact ? t('contacts.editTitle') : t('contacts.newTitle')} size="lg" onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {text('firstName')}
        {text('lastName')}
        {text('department')}
        {text('role')}
        {text('phone', true, 'tel')}
        {text('email', true, 'email')}
        <IdTypeSelect label={t('contacts.idType')} value={v.idType ?? null} onChange={(x) => form.set('idType', x)} error={form.errors.idType} />
        {text('idNumber', true)}
        <Select
          label={t('contacts.legalStatus')}
          clearable
          data={LEGAL_STATUSES.map((x) => ({ value: x, label: t(`legalStatus.${x}`) }))}
          value={v.legalStatus ?? null}
          onChange={(x) => form.set('legalStatus', x as Legal | null)}
          error={form.errors.legalStatus}
        />
        <Select
          label={t('contacts.gender')}
          clearable
          data={GENDERS.map((x) => ({ value: x, label: t(`gender.${x}`) }))}
          value={v.gender ?? null}
          onChange={(x) => form.set('gender', x as Gender | null)}
          error={form.errors.gender}
        />
        {text('birthDate', false, 'date')}
      </SimpleGrid>
      <Textarea label={t('contacts.notes')} autosize minRows={2} value={v.notes} onChange={(e) => form.set('notes', e.currentTarget.value)} error={form.errors.notes} />
    </FormModal>
  );
}
