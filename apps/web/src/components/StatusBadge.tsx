import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { StatusId } from '@kesher/contracts';

export const STATUS_COLORS: Record<StatusId, string> = {
  new: 'blue',
  follow_up: 'cyan',
  follow_up_meeting_quote: 'indigo',
  real: 'green',
  real_club_contract: 'teal',
  not_interested: 'gray',
  fictitious: 'red',
  frozen: 'orange',
};

export function StatusBadge({ status, size = 'md' }: { status: StatusId; size?: 'sm' | 'md' | 'lg' }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status]} variant="light" size={size} style={{ textTransform: 'none' }}>
      {t(`status.${status}`)}
    </Badge>
  );
}
