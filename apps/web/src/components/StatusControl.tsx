import { Button, ColorSwatch, Menu, Text, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { StatusId } from '@kesher/contracts';
import { useStatusMoves, useUpdateCustomer } from '../api/customers';
import { useNotify, useReportError } from './Notifier';
import { STATUS_COLORS } from './StatusBadge';

/**
 * Offers the moves the server lists for this customer. Moves it does not allow are shown
 * disabled, with the server's reason (as a tooltip and under the item); the server still has
 * the last word, and its refusal (422 illegal_status_move) is shown as it words it.
 */
export function StatusControl({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const moves = useStatusMoves(customerId);
  const update = useUpdateCustomer(customerId);
  const notify = useNotify();
  const report = useReportError();

  const move = (status: StatusId) =>
    update.mutate(
      { status },
      {
        onSuccess: () => notify.success(t('card.statusChanged', { status: t(`status.${status}`) })),
        onError: (e) => report(e),
      },
    );

  const list = (moves.data?.moves ?? []).filter((m) => m.status !== moves.data?.current);
  return (
    <Menu position="bottom-end" withinPortal width={320}>
      <Menu.Target>
        <Button variant="light" loading={moves.isLoading || update.isPending}>
          {t('card.changeStatus')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('status.label')}</Menu.Label>
        {list.length === 0 && <Menu.Item disabled>{t('card.noMoves')}</Menu.Item>}
        {list.map((m) =>
          m.allowed ? (
            <Menu.Item
              key={m.status}
              onClick={() => move(m.status)}
              leftSection={<ColorSwatch color={`var(--mantine-color-${STATUS_COLORS[m.status]}-6)`} size={12} withShadow={false} />}
            >
              {t(`status.${m.status}`)}
            </Menu.Item>
          ) : (
            <Tooltip key={m.status} label={m.reason ?? t('card.notAllowed')} multiline w={260} position="left" withinPortal>
              <div>
                <Menu.Item disabled aria-label={`${t(`status.${m.status}`)} — ${m.reason ?? t('card.notAllowed')}`}>
                  <Text size="sm" c="dimmed">
                    {t(`status.${m.status}`)}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {m.reason ?? t('card.notAllowed')}
                  </Text>
                </Menu.Item>
              </div>
            </Tooltip>
          ),
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
