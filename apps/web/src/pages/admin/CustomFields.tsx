import { Badge, Checkbox, NumberInput, Select, TagsInput, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CUSTOM_FIELD_TYPES, type CustomFieldDefinition, type CustomFieldType } from '@kesher/contracts';
import { useCustomFields, useDeleteCustomField, useSaveCustomField } from '../../api/admin';
import { AdminListPage } from '../../components/AdminListPage';
import { ConfirmButton } from '../../components/ConfirmButton';
import { FormModal } from '../../components/FormModal';
import { useNotify, useReportError, useSaveFeedback } from '../../components/Notifier';
import { useFormState } from '../../lib/form';

const FIELDS = ['key', 'labelHe', 'labelEn', 'type', 'options', 'required', 'position'] as const;

/** Definitions of the card's spare fields. */
export function CustomFields() {
  const { t } = useTranslation();
  const notify = useNotify();
  const report = useReportError();
  const defs = useCustomFields();
  const remove = useDeleteCustomField();
  const items = [...(defs.data?.items ?? [])].sort((a, b) => a.position - b.position);
  return (
    <AdminListPage
      title={t('admin.customFields.title')}
      addLabel={t('admin.customFields.add')}
      rows={items}
      columns={[
        { label: t('admin.customFields.key'), cell: (d) => <code dir="ltr">{d.key}</code> },
        { label: t('admin.customFields.labelHe'), cell: (d) => d.labelHe },
        { label: t('admin.customFields.labelEn'), cell: (d) => d.labelEn },
        {
          label: t('admin.customFields.type'),
          cell: (d) => (
            <>
              {t(`admin.customFields.types.${d.type}`)}
              {d.type === 'choice' && d.options.length > 0 && ` (${d.options.join(', ')})`}
            </>
          ),
        },
        { label: t('admin.customFields.required'), cell: (d) => d.required && <Badge variant="light">{t('admin.customFields.required')}</Badge> },
      ]}
      moreActions={(d) => (
        <ConfirmButton
          size="compact-sm"
          onConfirm={() => remove.mutateAsync(d.id).then(() => notify.success(t('app.deleted')), (e: unknown) => report(e))}
        >
          {t('app.delete')}
        </ConfirmButton>
      )}
      dialog={(def, close) => <FieldForm def={def} onClose={close} />}
    />
  );
}

function FieldForm({ def, onClose }: { def: CustomFieldDefinition | null; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveCustomField();
  const form = useFormState({
    key: def?.key ?? '',
    labelHe: def?.labelHe ?? '',
    labelEn: def?.labelEn ?? '',
    type: (def?.type ?? 'text') as CustomFieldType,
    options: def?.options ?? [],
    required: def?.required ?? false,
    position: (def?.position ?? 0) as number | string,
  });
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const common = {
      labelHe: v.labelHe.trim(),
      labelEn: v.labelEn.trim(),
      required: v.required,
      position: typeof v.position === 'number' ? v.position : Number(v.position) || 0,
      ...(v.type === 'choice' ? { options: v.options } : {}),
    };
    save.mutate({ id: def?.id, body: def ? common : { ...common, key: v.key.trim(), type: v.type } }, feedback);
  };
  return (
    <FormModal title={def ? t('admin.customFields.editTitle') : t('admin.customFields.newTitle')} onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <TextInput
        label={t('admin.customFields.key')}
        dir="ltr"
        required
        disabled={!!def}
        value={v.key}
        onChange={(e) => form.set('key', e.currentTarget.value)}
        error={form.errors.key}
      />
      <TextInput label={t('admin.customFields.labelHe')} required value={v.labelHe} onChange={(e) => form.set('labelHe', e.currentTarget.value)} error={form.errors.labelHe} />
      <TextInput
        label={t('admin.customFields.labelEn')}
        required
        dir="ltr"
        value={v.labelEn}
        onChange={(e) => form.set('labelEn', e.currentTarget.value)}
        error={form.errors.labelEn}
      />
      <Select
        label={t('admin.customFields.type')}
        disabled={!!def}
        data={CUSTOM_FIELD_TYPES.map((x) => ({ value: x, label: t(`admin.customFields.types.${x}`) }))}
        value={v.type}
        onChange={(x) => x && form.set('type', x as CustomFieldType)}
        allowDeselect={false}
        error={form.errors.type}
      />
      {v.type === 'choice' && (
        <TagsInput label={t('admin.customFields.options')} description={t('customer.multiHint')} value={v.options} onChange={(x) => form.set('options', x)} error={form.errors.options} />
      )}
      <NumberInput label={t('admin.customFields.position')} min={0} max={10000} value={v.position} onChange={(x) => form.set('position', x)} error={form.errors.position} />
      <Checkbox label={t('admin.customFields.required')} checked={v.required} onChange={(e) => form.set('required', e.currentTarget.checked)} />
    </FormModal>
  );
}
