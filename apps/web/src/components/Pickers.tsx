import { useMemo } from 'react';
import { Select, type SelectProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ID_TYPES, LANGUAGES, type IdType, type Language } from '@kesher/contracts';
import { useBranches } from '../api/admin';
import { COUNTRY_CODES, FIRST_COUNTRIES } from '../lib/countries';
import { localeOf, regionName } from '../i18n/format';

type Base = Omit<SelectProps, 'data' | 'value' | 'onChange'>;

/** Country by ISO code, names in the UI language, searchable. */
export function CountrySelect({ value, onChange, ...rest }: Base & { value: string | null; onChange: (v: string | null) => void }) {
  const { i18n } = useTranslation();
  const locale = localeOf(i18n.language);
  const data = useMemo(() => {
    const named = COUNTRY_CODES.map((code) => ({ value: code, label: regionName(locale, code) }));
    const first = FIRST_COUNTRIES.map((c) => named.find((n) => n.value === c)).filter((n) => n !== undefined);
    const others = named.filter((n) => !FIRST_COUNTRIES.includes(n.value)).sort((a, b) => a.label.localeCompare(b.label, locale));
    return [...first, ...others];
  }, [locale]);
  return <Select searchable clearable data={data} value={value} onChange={onChange} {...rest} />;
}

export function BranchSelect({ value, onChange, ...rest }: Base & { value: string | null; onChange: (v: string | null) => void }) {
  const branches = useBranches();
  const data = (branches.data?.items ?? []).map((b) => ({ value: b.id, label: b.name }));
  return <Select clearable data={data} value={value} onChange={onChange} {...rest} />;
}

export function LanguageSelect({ value, onChange, ...rest }: Base & { value: Language | null; onChange: (v: Language | null) => void }) {
  const { t } = useTranslation();
  return (
    <Select
      data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
      value={value}
      onChange={(v) => onChange(v as Language | null)}
      {...rest}
    />
  );
}

export function IdTypeSelect({ value, onChange, ...rest }: Base & { value: IdType | null; onChange: (v: IdType | null) => void }) {
  const { t } = useTranslation();
  return (
    <Select
      clearable
      data={ID_TYPES.map((v) => ({ value: v, label: t(`idType.${v}`) }))}
      value={value}
      onChange={(v) => onChange(v as IdType | null)}
      {...rest}
    />
  );
}

/** Branch name by id, for lists and headers. */
export function useBranchName() {
  const branches = useBranches();
  return (id: string | null | undefined) => (id ? (branches.data?.items.find((b) => b.id === id)?.name ?? '') : '');
}
