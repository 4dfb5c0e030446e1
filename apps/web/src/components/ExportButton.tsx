import { useState } from 'react';
import { Button, Checkbox, Group, Modal, SimpleGrid, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CARD_COLUMNS, CARD_COLUMN_LABELS, DEFAULT_EXPORT_COLUMNS } from '@kesher/contracts';
import { useCustomFields } from '../api/admin';
import { apiUrl } from '../api/client';

/**
 * "Export to Excel" for the list as filtered and sorted now: the user picks the columns (spare
 * fields included); the file downloads straight from the server (streamed), headers in the UI's
 * language.
 */
export function ExportButton({ params }: { params: URLSearchParams }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language === 'en' ? 'en' : 'he';
  const [open, setOpen] = useState(false);
  const [columns, setColumns] = useState<string[]>(DEFAULT_EXPORT_COLUMNS);
  const spare = useCustomFields();
  const query = new URLSearchParams(params);
  // The file's columns in the card's order, spare fields last, whatever order they were ticked in.
  const order = [...CARD_COLUMNS, ...(spare.data?.items ?? []).map((d) => `cf.${d.key}`)] as string[];
  query.set('columns', [...columns].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(','));
  query.set('lang', lang);
  return (
    <>
      <Button variant="light" onClick={() => setOpen(true)}>
        {t('list.export.button')}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={t('list.export.title')} size="lg">
        <Stack>
          <Text size="sm" c="dimmed">
            {t('list.export.hint')}
          </Text>
          <Checkbox.Group label={t('list.export.columns')} value={columns} onChange={setColumns}>
            <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs">
              {CARD_COLUMNS.map((c) => (
                <Checkbox key={c} value={c} label={CARD_COLUMN_LABELS[c][lang]} />
              ))}
              {(spare.data?.items ?? []).map((d) => (
                <Checkbox key={d.key} value={`cf.${d.key}`} label={lang === 'he' ? d.labelHe : d.labelEn} />
              ))}
            </SimpleGrid>
          </Checkbox.Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              {t('app.cancel')}
            </Button>
            <Button
              component="a"
              href={apiUrl(`/customers/export.xlsx?${query.toString()}`)}
              download
              disabled={columns.length === 0}
              onClick={() => setOpen(false)}
            >
              {t('list.export.download')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
