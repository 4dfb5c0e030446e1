import { useState, type ReactNode } from 'react';
import { Button, Group, Stack, Table, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { RecordTable, type Column } from './RecordTable';

/**
 * An administration list: its title and "add" button, the records in a table with an "Edit" button
 * (and any further actions) on each row, and the add / edit dialog.
 */
export function AdminListPage<T extends { id: string }>({
  title,
  addLabel,
  rows,
  columns,
  moreActions,
  dialog,
}: {
  title: string;
  addLabel: string;
  rows: T[];
  columns: Column<T>[];
  /** Actions after "Edit" on a row, such as delete. */
  moreActions?: (row: T) => ReactNode;
  /** The add (`record` null) or edit dialog. */
  dialog: (record: T | null, close: () => void) => ReactNode;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const edit = (row: T) => (
    <Button size="compact-sm" variant="light" onClick={() => setEditing(row)}>
      {t('app.edit')}
    </Button>
  );
  const actions: Column<T> = {
    label: t('admin.actions'),
    cell: (row) =>
      moreActions ? (
        <Group gap="xs">
          {edit(row)}
          {moreActions(row)}
        </Group>
      ) : (
        edit(row)
      ),
  };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{title}</Title>
        <Button onClick={() => setEditing('new')}>{addLabel}</Button>
      </Group>
      {/* On a narrow screen the table scrolls sideways inside the page instead of widening it. */}
      <Table.ScrollContainer minWidth={640}>
        <RecordTable rows={rows} columns={[...columns, actions]} />
      </Table.ScrollContainer>
      {editing && dialog(editing === 'new' ? null : editing, () => setEditing(null))}
    </Stack>
  );
}
