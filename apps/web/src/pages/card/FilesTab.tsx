import { Anchor, Loader, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Customer, SubmissionFile } from '@kesher/contracts';
import { api, apiUrl, type ListResponse } from '../../api/client';
import { useFormat } from '../../i18n/format';

type CardFile = SubmissionFile & { createdAt: string };

/** Files on the card: those uploaded with Web Data Port submissions (downloads only, never shown inline). */
export function FilesTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const files = useQuery({
    queryKey: ['customers', customer.id, 'files'],
    queryFn: ({ signal }) => api.get<ListResponse<CardFile>>(`/customers/${customer.id}/files`, undefined, signal),
  });
  if (files.isLoading) return <Loader aria-label={t('app.loading')} />;
  const items = files.data?.items ?? [];
  if (items.length === 0) return <Text c="dimmed">{t('channels.files.empty')}</Text>;
  return (
    <Table striped withTableBorder>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('channels.files.fileName')}</Table.Th>
          <Table.Th>{t('channels.files.size')}</Table.Th>
          <Table.Th>{t('channels.files.field')}</Table.Th>
          <Table.Th>{t('channels.files.receivedAt')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((f) => (
          <Table.Tr key={f.id}>
            <Table.Td>
              <Anchor href={apiUrl(`/customers/${customer.id}/files/${f.id}`)}>
                <span dir="auto">{f.fileName}</span>
              </Anchor>
            </Table.Td>
            <Table.Td>{fmt.number(Math.max(1, Math.ceil(f.size / 1024)))} KB</Table.Td>
            <Table.Td dir="ltr">{f.field}</Table.Td>
            <Table.Td>{fmt.dateTime(f.createdAt)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
