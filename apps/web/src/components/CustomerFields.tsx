import { Fieldset, NumberInput, SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CustomerFormValues } from '../lib/customerForm';
import { BranchSelect, CountrySelect, IdTypeSelect, LanguageSelect } from './Pickers';

interface Props {
  values: CustomerFormValues;
  set: <K extends keyof CustomerFormValues & string>(key: K, value: CustomerFormValues[K]) => void;
  errors: Record<string, string>;
}

/** The card's own fields (identity, contact, address, mailing address, other), shared by the create form and the Main tab. */
export function CustomerFields({ values: v, set, errors: e }: Props) {
  const { t } = useTranslation();
  const text = (key: 'lastName' | 'firstName' | 'middleName' | 'idNumber' | 'phone' | 'email' | 'address' | 'city' | 'zip' | 'mailingAddress' | 'mailingCity' | 'mailingZip', ltr = false) => (
    <TextInput
      label={t(`customer.${key}`)}
      value={v[key]}
      onChange={(ev) => set(key, ev.currentTarget.value)}
      error={e[key]}
      dir={ltr ? 'ltr' : undefined}
      type={key === 'email' ? 'email' : key === 'phone' ? 'tel' : 'text'}
      autoComplete="off"
    />
  );
  return (
    <Stack gap="md">
      <Fieldset legend={t('customer.identity')}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          {text('lastName')}
          {text('firstName')}
          {text('middleName')}
          <IdTypeSelect label={t('customer.idType')} value={v.idType} onChange={(x) => set('idType', x)} error={e.idType} />
          <CountrySelect label={t('customer.idCountry')} value={v.idCountry} onChange={(x) => set('idCountry', x)} error={e.idCountry} />
          {text('idNumber', true)}
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('customer.contactDetails')}>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {text('phone', true)}
          {text('email', true)}
          <TagsInput
            label={t('customer.phones')}
            description={t('customer.multiHint')}
            value={v.phones}
            onChange={(x) => set('phones', x)}
            error={e.phones}
            dir="ltr"
          />
          <TagsInput
            label={t('customer.emails')}
            description={t('customer.multiHint')}
            value={v.emails}
            onChange={(x) => set('emails', x)}
            error={e.emails}
            dir="ltr"
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('customer.addressSection')}>
        <SimpleGrid cols={{ base: 1, sm: 4 }}>
          {text('address')}
          {text('city')}
          {text('zip', true)}
          <CountrySelect label={t('customer.country')} value={v.country} onChange={(x) => set('country', x)} error={e.country} />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('customer.mailingTitle')}>
        <SimpleGrid cols={{ base: 1, sm: 4 }}>
          {text('mailingAddress')}
          {text('mailingCity')}
          {text('mailingZip', true)}
          <CountrySelect
            label={t('customer.mailingCountry')}
            value={v.mailingCountry}
            onChange={(x) => set('mailingCountry', x)}
            error={e.mailingCountry}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={t('customer.other')}>
        <SimpleGrid cols={{ base: 1, sm: 4 }}>
          <BranchSelect label={t('customer.branch')} value={v.branchId} onChange={(x) => set('branchId', x)} error={e.branchId} />
          <LanguageSelect
            label={t('customer.language')}
            clearable
            value={v.language}
            onChange={(x) => set('language', x)}
            error={e.language}
          />
          <NumberInput
            label={t('customer.latitude')}
            value={v.latitude}
            onChange={(x) => set('latitude', x)}
            error={e.latitude}
            min={-90}
            max={90}
            decimalScale={7}
            hideControls
            dir="ltr"
          />
          <NumberInput
            label={t('customer.longitude')}
            value={v.longitude}
            onChange={(x) => set('longitude', x)}
            error={e.longitude}
            min={-180}
            max={180}
            decimalScale={7}
            hideControls
            dir="ltr"
          />
        </SimpleGrid>
      </Fieldset>
    </Stack>
  );
}
