import { Anchor, Checkbox, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { CustomerSummary } from '@kesher/contracts';
import { useFormat } from '../i18n/format';
import { useBranchName } from './Pickers';
import { RecordTable, type Column } from './RecordTable';
import { StatusBadge } from './StatusBadge';

/** A phone, email or ID number: always read left to right, in Hebrew too. */
const ltr = (text: string | null) => (
  <Text span dir="ltr" size="sm">
    {text}
  </Text>
);

/** Rows picked with a checkbox column (the mail wizards' "selected customers"). */
export interface RowSelection {
  selected: ReadonlySet<string>;
  /** Picks or drops these rows. */
  onChange: (ids: string[], checked: boolean) => void;
}

/** Customers as rows; the name opens the card. With `selection`, a checkbox on each row. */
export function CustomerTable({ items, caption, selection }: { items: CustomerSummary[]; caption?: string; selection?: RowSelection }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const branchName = useBranchName();
  const pick: Column<CustomerSummary>[] = [];
  if (selection) {
    const picked = items.filter((c) => selection.selected.has(c.id)).length;
    pick.push({
      label: (
        <Checkbox
          aria-label={t('list.selectAllShown')}
          checked={picked > 0 && picked === items.length}
          indeterminate={picked > 0 && picked < items.length}
          onChange={(e) => selection.onChange(items.map((c) => c.id), e.currentTarget.checked)}
        />
      ),
      cell: (c) => (
        <Checkbox
          aria-label={t('list.selectRow', { name: c.fullName })}
          checked={selection.selected.has(c.id)}
          onChange={(e) => selection.onChange([c.id], e.currentTarget.checked)}
        />
      ),
    });
  }
  return (
    <Table.ScrollContainer minWidth={900}>
      <RecordTable
        highlightOnHover
        caption={caption}
        rows={items}
        columns={[
          ...pick,
          { label: t('customer.customerNumber'), cell: (c) => fmt.plainNumber(c.customerNumber) },
          {
            label: t('customer.fullName'),
            cell: (c) => (
              <Anchor component={Link} to={`/customers/${c.id}`} fw={500}>
                {c.fullName}
              </Anchor>
            ),
          },
          { label: t('customer.phone'), cell: (c) => ltr(c.phone) },
          { label: t('customer.email'), cell: (c) => ltr(c.email) },
          { label: t('customer.idNumber'), cell: (c) => ltr(c.idNumber) },
          { label: t('status.label'), cell: (c) => <StatusBadge status={c.status} size="sm" /> },
          { label: t('customer.branch'), cell: (c) => branchName(c.branchId) },
          { label: t('customer.createdAt'), cell: (c) => fmt.date(c.createdAt) },
        ]}
      />
    </Table.ScrollContainer>
  );
}
