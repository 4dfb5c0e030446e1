import { useEffect } from 'react';
import { Anchor, Fieldset, Loader, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { Customer } from '@kesher/contracts';
import { useBrokerOfCard } from '../../api/brokers';
import { useChildren, useUpdateCustomer } from '../../api/customers';
import { CustomerTable } from '../../components/CustomerTable';
import { FormActions } from '../../components/Form';
import { useSaveFeedback } from '../../components/Notifier';
import { ParentPicker } from '../../components/ParentPicker';
import { textOrNull, useFormState } from '../../lib/form';

const FIELDS = ['parentId', 'brokerName', 'brokerAccount'] as const;
const fromCustomer = (c: Customer) => ({ parentId: c.parentId, brokerName: c.brokerName ?? '', brokerAccount: c.brokerAccount ?? '' });

/** Parent customer (its card lists this one as a child automatically), children, and the broker. */
export function RelatedTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const children = useChildren(customer.id);
  const brokerOfCard = useBrokerOfCard(customer.id);
  const asBroker = brokerOfCard.data;
  const update = useUpdateCustomer(customer.id);
  const form = useFormState(fromCustomer(customer));
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors });
  const { reset } = form;
  useEffect(() => reset(fromCustomer(customer)), [customer.updatedAt, reset]); // only when the server sends a fresh copy

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    const v = form.values;
    update.mutate(
      { parentId: v.parentId, brokerName: textOrNull(v.brokerName), brokerAccount: textOrNull(v.brokerAccount) },
      feedback,
    );
  };

  return (
    <Stack>
      <form onSubmit={save} noValidate>
        <Stack>
          <Fieldset legend={t('related.parentTitle')}>
            <ParentPicker selfId={customer.id} value={form.values.parentId} onChange={(id) => form.set('parentId', id)} error={form.errors.parentId} />
            {customer.parentId && (
              <Anchor component={Link} to={`/customers/${customer.parentId}`} size="sm" mt="xs" display="inline-block">
                {t('related.openParent')}
              </Anchor>
            )}
          </Fieldset>
          <Fieldset legend={t('related.brokerTitle')}>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label={t('customer.brokerName')}
                value={form.values.brokerName}
                onChange={(e) => form.set('brokerName', e.currentTarget.value)}
                error={form.errors.brokerName}
              />
              <TextInput
                label={t('customer.brokerAccount')}
                dir="ltr"
                value={form.values.brokerAccount}
                onChange={(e) => form.set('brokerAccount', e.currentTarget.value)}
                error={form.errors.brokerAccount}
              />
            </SimpleGrid>
          </Fieldset>
          <FormActions saving={update.isPending} />
        </Stack>
      </form>
      {asBroker && (
        <Fieldset legend={t('admin.brokers.cardTitle', { name: asBroker.broker.name })}>
          {asBroker.items.length === 0 ? (
            <Text c="dimmed">{t('admin.brokers.none')}</Text>
          ) : (
            <>
              <CustomerTable items={asBroker.items} />
              {asBroker.more && <Text size="sm" c="dimmed">{t('admin.brokers.more')}</Text>}
            </>
          )}
        </Fieldset>
      )}
      <Fieldset legend={t('related.childrenTitle')}>
        {children.isLoading ? (
          <Loader aria-label={t('app.loading')} />
        ) : (children.data?.items.length ?? 0) === 0 ? (
          <Text c="dimmed">{t('related.noChildren')}</Text>
        ) : (
          <CustomerTable items={children.data?.items ?? []} />
        )}
      </Fieldset>
    </Stack>
  );
}
