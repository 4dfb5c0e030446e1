import type { ReactNode } from 'react';
import { Table, type TableProps } from '@mantine/core';

/** One column of a record table: its heading and what a row shows in it. */
export interface Column<T> {
  label: ReactNode;
  cell: (row: T) => ReactNode;
}

/** Records as rows, one cell per column, an optional caption naming the table. */
export function RecordTable<T extends { id: string }>({
  rows,
  columns,
  caption,
  ...table
}: TableProps & { rows: T[]; columns: Column<T>[]; caption?: string }) {
  return (
    <Table striped withTableBorder {...table}>
      {caption && <Table.Caption>{caption}</Table.Caption>}
      <Table.Thead>
        <Table.Tr>
          {columns.map((col, i) => (
            <Table.Th key={i}>{col.label}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={row.id}>
            {columns.map((col, i) => (
              <Table.Td key={i}>{col.cell(row)}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
