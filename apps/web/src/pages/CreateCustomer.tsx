import { useState } from 'react';
import { Button, Fieldset, Group, Title } from '@mantine/core';
import { useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { CustomerCreate } from '@kesher/contracts';
import { isApiError, type ApiError } from '../api/client';
import { useCustomFields } from '../api/admin';
import { useCompleteCustomer, useCreateCustomer } from '../api/customers';
import { CustomerFields } from '../components/CustomerFields';
import { CustomFieldsGrid } from '../components/CustomFieldInput';
import { Form } from '../components/Form';
import { DuplicateDialog } from '../components/DuplicateDialog';
import { useNotify, useReportError } from '../components/Notifier';
import { compact, useFormState } from '../lib/form';
import { CUSTOMER_FORM_FIELDS, customBody, emptyCustomerForm, formToBody } from '../lib/customerForm';

/** "Create new" in the back office (SPEC §2, channel 1): the server checks for duplicates on save. */
export function CreateCustomer() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const notify = useNotify();
  const report = useReportError();
  const form = useFormState(emptyCustomerForm());
  const defs = useCustomFields().data?.items ?? [];
  const create = useCreateCustomer();
  const complete = useCompleteCustomer();
  const [duplicate, setDuplicate] = useState<ApiError | null>(null);

  const known = [...CUSTOMER_FORM_FIELDS, ...defs.map((d) => `custom.${d.key}`)];
  const body = (): CustomerCreate => {
    const custom = customBody(form.values.custom, false);
    return { ...compact(formToBody(form.values)), ...(Object.keys(custom).length ? { custom } : {}) };
  };
  const onError = (e: unknown) => {
    if (isApiError(e) && e.status === 409 && e.code === 'duplicate') {
      setDuplicate(e);
      return;
    }
    setDuplicate(null);
    report(e, { known, setErrors: form.setErrors });
  };
  const save = (force: boolean) =>
    create.mutate(
      { body: body(), force },
      {
        onSuccess: (c) => {
          notify.success(t('create.created'));
          navigate(`/customers/${c.id}`);
        },
        onError,
      },
    );

  return (
    <Form
      onSubmit={(e) => {
        e.preventDefault();
        save(false);
      }}
    >
      <Title order={2}>{t('create.title')}</Title>
      <CustomerFields values={form.values} set={form.set} errors={form.errors} />
      {defs.length > 0 && (
        <Fieldset legend={t('spare.title')}>
          <CustomFieldsGrid
            defs={defs}
            values={form.values.custom}
            onChange={(key, v) => form.set('custom', { ...form.values.custom, [key]: v })}
            errors={form.errors}
          />
        </Fieldset>
      )}
      <Group>
        <Button type="submit" loading={create.isPending}>
          {t('create.submit')}
        </Button>
        <Button variant="default" onClick={() => navigate(-1)}>
          {t('app.cancel')}
        </Button>
      </Group>
      {duplicate && (
        <DuplicateDialog
          matches={duplicate.matches}
          duplicatesAllowed={duplicate.duplicatesAllowed}
          busy={create.isPending || complete.isPending}
          onClose={() => setDuplicate(null)}
          onOpen={(id) => navigate(`/customers/${id}`)}
          onComplete={(id) =>
            complete.mutate(
              { id, body: body() },
              {
                onSuccess: () => {
                  notify.success(t('duplicate.completed'));
                  navigate(`/customers/${id}`);
                },
                onError,
              },
            )
          }
          onCreateAnyway={() => save(true)}
        />
      )}
    </Form>
  );
}
