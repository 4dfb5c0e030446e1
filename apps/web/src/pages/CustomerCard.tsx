import type { ComponentType } from 'react';
import { Alert, Anchor, Center, Group, Loader, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { Customer } from '@kesher/contracts';
import { isApiError } from '../api/client';
import { useCustomer, useDeleteCustomer } from '../api/customers';
import { useSession } from '../api/session';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyToDatabase } from '../components/CopyToDatabase';
import { useNotify, useReportError } from '../components/Notifier';
import { useBranchName } from '../components/Pickers';
import { PortalAccessInfo } from '../components/PortalAccessInfo';
import { StatusBadge } from '../components/StatusBadge';
import { StatusControl } from '../components/StatusControl';
import { useFormat } from '../i18n/format';
import { MainTab } from './card/MainTab';
import { ContactsTab } from './card/ContactsTab';
import { RelatedTab } from './card/RelatedTab';
import { SpareFieldsTab } from './card/SpareFieldsTab';
import { InteractionsTab } from './card/InteractionsTab';
import { FilesTab } from './card/FilesTab';

/** The card's tabs, in order, each with what it shows. */
const PANELS = {
  main: MainTab,
  contacts: ContactsTab,
  related: RelatedTab,
  spare: SpareFieldsTab,
  interactions: InteractionsTab,
  files: FilesTab,
} satisfies Record<string, ComponentType<{ customer: Customer }>>;
type TabId = keyof typeof PANELS;
const TABS = Object.keys(PANELS) as TabId[];

/** The customer card (seed 001): header with the main fields and status, then its tabs. */
export function CustomerCard() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const fmt = useFormat();
  const navigate = useNavigate();
  const notify = useNotify();
  const report = useReportError();
  const branchName = useBranchName();
  const [params, setParams] = useSearchParams();
  const customer = useCustomer(id);
  const isAdmin = useSession().data?.user.role === 'admin';
  const remove = useDeleteCustomer(id);
  const tab: TabId = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as TabId) : 'main';

  if (customer.isLoading) {
    return (
      <Center p="xl">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  if (!customer.data) {
    const notFound = isApiError(customer.error) && customer.error.status === 404;
    return (
      <Stack>
        <Alert color="red" role="alert">
          {notFound || !customer.error ? t('app.notFound') : customer.error.message}
        </Alert>
        <Anchor component={Link} to="/customers">
          {t('app.backToList')}
        </Anchor>
      </Stack>
    );
  }
  const c = customer.data;

  return (
    <Stack>
      <Paper component="section" aria-label={c.fullName} withBorder p="md" radius="md">
        <Group justify="space-between" align="flex-start">
          <Stack gap={4}>
            <Group gap="sm">
              <Title order={2}>{c.fullName}</Title>
              <StatusBadge status={c.status} size="lg" />
            </Group>
            <Group gap="lg">
              <Text>
                {t('customer.customerNumber')}: <strong>{fmt.plainNumber(c.customerNumber)}</strong>
              </Text>
              <Text>
                {t('customer.branch')}: <strong>{branchName(c.branchId) || t('card.noBranch')}</strong>
              </Text>
              {c.websiteLastToken && (
                <Text>
                  {t('customer.websiteLastToken')}: <strong>{t(`customer.${c.websiteLastToken}`)}</strong>
                </Text>
              )}
            </Group>
            <PortalAccessInfo customerId={c.id} canReset={isAdmin} />
          </Stack>
          <Group>
            <StatusControl customerId={c.id} />
            <CopyToDatabase customerIds={[c.id]} />
            {isAdmin && (
              <ConfirmButton
                loading={remove.isPending}
                onConfirm={() =>
                  remove.mutateAsync().then(
                    () => {
                      notify.success(t('card.customerDeleted'));
                      navigate('/customers');
                    },
                    (e: unknown) => report(e),
                  )
                }
              >
                {t('card.deleteCustomer')}
              </ConfirmButton>
            )}
          </Group>
        </Group>
      </Paper>

      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'main' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List>
          {TABS.map((id) => (
            <Tabs.Tab key={id} value={id}>
              {t(`card.tabs.${id}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map((id) => {
          const Panel = PANELS[id];
          return (
            <Tabs.Panel key={id} value={id} pt="md">
              <Panel customer={c} />
            </Tabs.Panel>
          );
        })}
      </Tabs>
    </Stack>
  );
}
