import { Badge, Button, Group, Modal, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { DuplicateMatch } from '@kesher/contracts';
import { useFormat } from '../i18n/format';
import { StatusBadge } from './StatusBadge';

interface Props {
  matches: DuplicateMatch[];
  duplicatesAllowed: boolean;
  busy: boolean;
  onOpen: (id: string) => void;
  onComplete: (id: string) => void;
  onCreateAnyway: () => void;
  onClose: () => void;
}

function Detail({ label, value, ltr }: { label: string; value: string | null; ltr?: boolean }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" dir={ltr && value ? 'ltr' : undefined} style={{ textAlign: 'start', overflowWrap: 'anywhere' }}>
        {value || '—'}
      </Text>
    </div>
  );
}

/**
 * "Create new" found customers with the same phone / email / ID number (SPEC §2): the user
 * opens an existing card, completes it with the new details, or — only when the database
 * allows duplicates — creates the new customer anyway.
 */
export function DuplicateDialog({ matches, duplicatesAllowed, busy, onOpen, onComplete, onCreateAnyway, onClose }: Props) {
  const { t } = useTranslation();
  const fmt = useFormat();
  return (
    <Modal opened onClose={onClose} title={t('duplicate.title')} size="lg" centered>
      <Stack>
        <Text>{t('duplicate.intro')}</Text>
        {matches.map((m) => (
          <Paper key={m.id} withBorder p="sm" radius="md" component="section" aria-label={m.fullName}>
            <Group justify="space-between" mb="xs">
              <Group gap="xs">
                <Text fw={600}>{m.fullName}</Text>
                <StatusBadge status={m.status} size="sm" />
              </Group>
              <Badge color="yellow" variant="light" style={{ textTransform: 'none' }}>
                {t('duplicate.matchedOn')}: {m.matchedOn.map((k) => t(`duplicate.keys.${k}`)).join(', ')}
              </Badge>
            </Group>
            <SimpleGrid cols={{ base: 2, sm: 4 }} mb="sm">
              <Detail label={t('customer.customerNumber')} value={fmt.plainNumber(m.customerNumber)} />
              <Detail label={t('customer.phone')} value={m.phone} ltr />
              <Detail label={t('customer.email')} value={m.email} ltr />
              <Detail label={t('customer.idNumber')} value={m.idNumber} ltr />
            </SimpleGrid>
            <Group gap="xs">
              <Button size="xs" onClick={() => onOpen(m.id)}>
                {t('duplicate.open')}
              </Button>
              <Button size="xs" variant="light" loading={busy} onClick={() => onComplete(m.id)}>
                {t('duplicate.complete')}
              </Button>
            </Group>
          </Paper>
        ))}
        <Group justify="space-between">
          {duplicatesAllowed ? (
            <Button color="orange" variant="outline" loading={busy} onClick={onCreateAnyway}>
              {t('duplicate.createAnyway')}
            </Button>
          ) : (
            <Text size="sm" c="dimmed">
              {t('duplicate.notAllowedNote')}
            </Text>
          )}
          <Button variant="default" onClick={onClose}>
            {t('app.cancel')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
