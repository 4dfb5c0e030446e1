import { useEffect } from 'react';
import { SimpleGrid, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Customer } from '@kesher/contracts';
import { useUpdateCustomer } from '../../api/customers';
import { CustomerFields } from '../../components/CustomerFields';
import { useSaveFeedback } from '../../components/Notifier';
import { useFormat } from '../../i18n/format';
import { useFormState } from '../../lib/form';
import { CUSTOMER_FORM_FIELDS, customerToForm, formToBody } from '../../lib/customerForm';
import { Form, FormActions } from '../../components/Form';

/** Main: every card field, saved with one button (nothing saves by itself — seed 001). */
export function MainTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const form = useFormState(customerToForm(customer));
  const update = useUpdateCustomer(customer.id);
  const feedback = useSaveFeedback({ known: CUSTOMER_FORM_FIELDS, setErrors: form.setErrors });
  const { reset } = form;

  // A fresh copy from the server (after a save elsewhere) replaces the form.
  useEffect(() => reset(customerToForm(customer)), [customer.updatedAt, reset]);

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    update.mutate(formToBody(form.values), feedback);
  };

  return (
    <Form onSubmit={save}>
      <CustomerFields values={form.values} set={form.set} errors={form.errors} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Audit label={t('customer.createdBy')} value={customer.createdBy} />
        <Audit label={t('customer.createdAt')} value={fmt.dateTime(customer.createdAt)} />
        <Audit label={t('customer.updatedAt')} value={fmt.dateTime(customer.updatedAt)} />
      </SimpleGrid>
      <FormActions saving={update.isPending} />
    </Form>
  );
}

function Audit({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text>{value}</Text>
    </div>
  );
}
