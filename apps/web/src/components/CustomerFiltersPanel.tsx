import { Button, Fieldset, MultiSelect, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { SORT_KEYS, STATUS_IDS } from '@kesher/contracts';
import { useCustomFields } from '../api/admin';
import { CF_PREFIX, sortFrom, withParam } from '../lib/listParams';
import { BranchSelect } from './Pickers';
import { useFieldLabel } from './CustomFieldInput';

interface Props {
  params: URLSearchParams;
  onChange: (next: URLSearchParams) => void;
}

/** Status (several), branch, creation dates, spare fields, and sort. */
export function CustomerFiltersPanel({ params, onChange }: Props) {
  const { t } = useTranslation();
  const defs = useCustomFields().data?.items ?? [];
  const label = useFieldLabel();
  const set = (key: string, value: string | string[] | null) => onChange(withParam(params, key, value));
  const yesNo = [
    { value: 'true', label: t('app.yes') },
    { value: 'false', label: t('app.no') },
  ];
  const hasFilters = [...params.keys()].some((k) => k !== 'sort');

  return (
    <Fieldset legend={t('list.filters')}>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 5 }}>
        <MultiSelect
          label={t('list.statuses')}
          data={STATUS_IDS.map((s) => ({ value: s, label: t(`status.${s}`) }))}
          value={params.getAll('status')}
          onChange={(v) => set('status', v)}
          clearable
        />
        <BranchSelect label={t('list.branch')} value={params.get('branchId')} onChange={(v) => set('branchId', v)} />
        <TextInput
          type="date"
          label={t('list.createdFrom')}
          value={params.get('createdFrom') ?? ''}
          onChange={(e) => set('createdFrom', e.currentTarget.value)}
        />
        <TextInput
          type="date"
          label={t('list.createdTo')}
          value={params.get('createdTo') ?? ''}
          onChange={(e) => set('createdTo', e.currentTarget.value)}
        />
        <Select
          label={t('list.sort')}
          data={SORT_KEYS.map((s) => ({ value: s, label: t(`list.sorts.${s}`) }))}
          value={sortFrom(params)}
          onChange={(v) => set('sort', v === 'created_desc' ? null : v)}
          allowDeselect={false}
        />
        {defs.map((d) => {
          const key = `${CF_PREFIX}${d.key}`;
          const value = params.get(key);
          if (d.type === 'choice' || d.type === 'checkbox') {
            return (
              <Select
                key={d.id}
                label={label(d)}
                data={d.type === 'choice' ? d.options : yesNo}
                value={value}
                onChange={(v) => set(key, v)}
                clearable
                placeholder={t('list.anyValue')}
              />
            );
          }
          return (
            <TextInput
              key={d.id}
              type={d.type === 'date' ? 'date' : d.type === 'number' ? 'number' : 'text'}
              label={label(d)}
              value={value ?? ''}
              onChange={(e) => set(key, e.currentTarget.value)}
            />
          );
        })}
      </SimpleGrid>
      {hasFilters && (
        <Button variant="subtle" size="compact-sm" mt="sm" onClick={() => onChange(new URLSearchParams())}>
          {t('list.clear')}
        </Button>
      )}
    </Fieldset>
  );
}
