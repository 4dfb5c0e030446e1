import { Alert, Center, Loader } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** What a page shows while its record loads, or when it did not come: a spinner, else the reason. */
export function LoadingOrMissing({ loading, error }: { loading: boolean; error: Error | null }) {
  const { t } = useTranslation();
  if (loading) {
    return (
      <Center p="lg">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  return (
    <Alert color="red" role="alert">
      {error?.message ?? t('app.notFound')}
    </Alert>
  );
}
