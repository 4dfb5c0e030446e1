import { useTranslation } from 'react-i18next';
import { CustomerPicker } from './CustomerPicker';

/** Picks a parent customer by searching the server (name, phone, number …); never the customer itself. */
export function ParentPicker({
  selfId,
  value,
  onChange,
  error,
}: {
  selfId: string;
  value: string | null;
  onChange: (id: string | null) => void;
  error?: string;
}) {
  const { t } = useTranslation();
  return (
    <CustomerPicker
      label={t('customer.parent')}
      placeholder={t('related.parentSearch')}
      excludeId={selfId}
      value={value}
      onChange={onChange}
      error={error}
    />
  );
}
