import { Checkbox, NumberInput, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CustomFieldDefinition } from '@kesher/contracts';
import type { CustomValue } from '../lib/customerForm';

/** The definition's label in the UI language. */
export function useFieldLabel() {
  const { i18n } = useTranslation();
  return (def: Pick<CustomFieldDefinition, 'labelHe' | 'labelEn'>) => (i18n.language === 'en' ? def.labelEn : def.labelHe);
}

interface Props {
  def: CustomFieldDefinition;
  value: CustomValue | undefined;
  onChange: (v: CustomValue) => void;
  error?: string;
}

/** One spare field, drawn by its definition's type. */
export function CustomFieldInput({ def, value, onChange, error }: Props) {
  const label = useFieldLabel()(def);
  switch (def.type) {
    case 'number':
      return (
        <NumberInput
          label={label}
          withAsterisk={def.required}
          value={typeof value === 'number' ? value : ''}
          onChange={(x) => onChange(typeof x === 'number' ? x : x === '' ? null : Number(x))}
          error={error}
          dir="ltr"
        />
      );
    case 'date':
      return (
        <TextInput
          type="date"
          label={label}
          withAsterisk={def.required}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value || null)}
          error={error}
        />
      );
    case 'choice':
      return (
        <Select
          label={label}
          withAsterisk={def.required}
          clearable
          data={def.options}
          value={typeof value === 'string' ? value : null}
          onChange={(x) => onChange(x)}
          error={error}
        />
      );
    case 'checkbox':
      return (
        <Checkbox
          mt="lg"
          label={label}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          error={error}
        />
      );
    default:
      return (
        <TextInput
          label={label}
          withAsterisk={def.required}
          value={typeof value === 'string' ? value : value == null ? '' : String(value)}
          onChange={(e) => onChange(e.currentTarget.value)}
          error={error}
        />
      );
  }
}

/** All spare fields, in the administrator's order. Errors are keyed `custom.<key>`. */
export function CustomFieldsGrid({
  defs,
  values,
  onChange,
  errors,
}: {
  defs: CustomFieldDefinition[];
  values: Record<string, CustomValue>;
  onChange: (key: string, v: CustomValue) => void;
  errors: Record<string, string>;
}) {
  const sorted = [...defs].sort((a, b) => a.position - b.position);
  return (
    <SimpleGrid cols={{ base: 1, sm: 3 }}>
      {sorted.map((d) => (
        <CustomFieldInput key={d.id} def={d} value={values[d.key]} onChange={(v) => onChange(d.key, v)} error={errors[`custom.${d.key}`]} />
      ))}
    </SimpleGrid>
  );
}
