import { Anchor, Badge, Checkbox, TextInput } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { Broker } from '@kesher/contracts';
import { useBrokers, useSaveBroker } from '../../api/brokers';
import { AdminListPage } from '../../components/AdminListPage';
import { CustomerPicker } from '../../components/CustomerPicker';
import { FormModal } from '../../components/FormModal';
import { useSaveFeedback } from '../../components/Notifier';
import { useFormat } from '../../i18n/format';
import { useFormState } from '../../lib/form';

const FIELDS = ['name', 'accountNumber', 'affiliateCode', 'customerId', 'active'] as const;

/** Brokers / affiliates (SPEC §2): the code a landing page or API client sends stamps the lead. */
export function Brokers() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const brokers = useBrokers();
  return (
    <AdminListPage
      title={t('admin.brokers.title')}
      addLabel={t('admin.brokers.add')}
      rows={brokers.data?.items ?? []}
      columns={[
        {
          label: t('admin.brokers.name'),
          cell: (b) => (
            <>
              {b.customerId ? <Anchor component={Link} to={`/customers/${b.customerId}?tab=related`}>{b.name}</Anchor> : b.name}{' '}
              {!b.active && <Badge color="gray" variant="light">{t('admin.brokers.inactive')}</Badge>}
            </>
          ),
        },
        { label: t('admin.brokers.accountNumber'), cell: (b) => <span dir="ltr">{b.accountNumber}</span> },
        { label: t('admin.brokers.affiliateCode'), cell: (b) => <code dir="ltr">{b.affiliateCode}</code> },
        { label: t('admin.brokers.customers'), cell: (b) => fmt.number(b.customerCount) },
      ]}
      dialog={(broker, close) => <BrokerForm broker={broker} onClose={close} />}
    />
  );
}

function BrokerForm({ broker, onClose }: { broker: Broker | null; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveBroker();
  const form = useFormState({
    name: broker?.name ?? '',
    accountNumber: broker?.accountNumber ?? '',
    affiliateCode: broker?.affiliateCode ?? '',
    customerId: broker?.customerId ?? null,
    active: broker?.active ?? true,
  });
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    save.mutate(
      { id: broker?.id, body: { name: v.name.trim(), accountNumber: v.accountNumber.trim(), affiliateCode: v.affiliateCode.trim(), customerId: v.customerId, active: v.active } },
      feedback,
    );
  };
  return (
    <FormModal title={broker ? t('admin.brokers.editTitle') : t('admin.brokers.newTitle')} onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <TextInput label={t('admin.brokers.name')} required value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
      <TextInput label={t('admin.brokers.accountNumber')} required dir="ltr" value={v.accountNumber} onChange={(e) => form.set('accountNumber', e.currentTarget.value)} error={form.errors.accountNumber} />
      <TextInput
        label={t('admin.brokers.affiliateCode')}
        description={t('admin.brokers.affiliateCodeHint')}
        required
        dir="ltr"
        value={v.affiliateCode}
        onChange={(e) => form.set('affiliateCode', e.currentTarget.value)}
        error={form.errors.affiliateCode}
      />
      <CustomerPicker label={t('admin.brokers.card')} value={v.customerId} onChange={(id) => form.set('customerId', id)} error={form.errors.customerId} />
      <Checkbox label={t('admin.brokers.active')} checked={v.active} onChange={(e) => form.set('active', e.currentTarget.checked)} />
    </FormModal>
  );
}
