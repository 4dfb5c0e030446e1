import { useState } from 'react';
import { Select, type SelectProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useTranslation } from 'react-i18next';
import { useCustomer, useCustomerSearch } from '../api/customers';
import { useFormat } from '../i18n/format';

type Base = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'searchValue' | 'onSearchChange' | 'filter'>;

/** Picks a customer by searching the server (name, phone, number …); `excludeId` is never offered. */
export function CustomerPicker({
  value,
  onChange,
  excludeId,
  ...rest
}: Base & { value: string | null; onChange: (id: string | null) => void; excludeId?: string }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const current = useCustomer(value);
  const found = useCustomerSearch(q);

  const label = (c: { fullName: string; customerNumber: number }) => `${c.fullName} (${fmt.plainNumber(c.customerNumber)})`;
  const options = new Map<string, string>();
  if (value && current.data) options.set(value, label(current.data));
  for (const c of found.data?.items ?? []) if (c.id !== excludeId) options.set(c.id, label(c));

  return (
    <Select
      searchable
      clearable
      filter={({ options: o }) => o}
      data={[...options].map(([id, text]) => ({ value: id, label: text }))}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      nothingFoundMessage={q ? t('list.empty') : undefined}
      {...rest}
    />
  );
}
