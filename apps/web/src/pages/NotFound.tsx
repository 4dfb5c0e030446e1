import { Anchor, Stack, Text } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';

export function NotFound() {
  const { t } = useTranslation();
  return (
    <Stack>
      <Text>{t('app.notFound')}</Text>
      <Anchor component={Link} to="/customers">
        {t('app.backToList')}
      </Anchor>
    </Stack>
  );
}
