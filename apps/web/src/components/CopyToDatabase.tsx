import { useState } from 'react';
import { Button, Modal, Select, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { CustomerCopyResult } from '@kesher/contracts';
import { api } from '../api/client';
import { useSession } from '../api/session';
import { useNotify, useReportError } from './Notifier';

/**
 * "Copy to another database" (SPEC §2) for a user who belongs to more than one: every field but
 * the customer number, no duplicate check, logged on both cards. Hidden for everyone else.
 */
export function CopyToDatabase({ customerIds }: { customerIds: string[] }) {
  const { t } = useTranslation();
  const session = useSession().data;
  const notify = useNotify();
  const report = useReportError();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<string | null>(null);
  const copy = useMutation({
    mutationFn: (targetTenantId: string) => api.post<CustomerCopyResult>('/customers/copy', { customerIds, targetTenantId }),
  });
  const others = (session?.tenants ?? []).filter((x) => x.id !== session?.tenant.id);
  if (others.length === 0) return null;
  const submit = () => {
    if (!target) return;
    copy.mutateAsync(target).then(
      (r) => {
        const name = others.find((o) => o.id === target)?.name ?? '';
        notify.success(t('card.copy.done', { count: r.copied.length, name, numbers: r.copied.map((c) => c.customerNumber).join(', ') }));
        setOpen(false);
      },
      (e: unknown) => report(e),
    );
  };
  return (
    <>
      <Button variant="default" onClick={() => setOpen(true)}>
        {t('card.copy.button')}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={t('card.copy.title')}>
        <Stack>
          <Text size="sm" c="dimmed">
            {t('card.copy.hint')}
          </Text>
          <Select label={t('card.copy.target')} data={others.map((o) => ({ value: o.id, label: o.name }))} value={target} onChange={setTarget} />
          <Button onClick={submit} disabled={!target} loading={copy.isPending}>
            {t('card.copy.submit')}
          </Button>
        </Stack>
      </Modal>
    </>
  );
}
