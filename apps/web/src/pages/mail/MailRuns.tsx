import { Alert, Anchor, Badge, Button, Group, Loader, Progress, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { Link, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import type { RunState } from '@kesher/contracts';
import { isFinished, reportUrl, useRuns, type RunKind } from '../../api/invitations';
import { RecordTable } from '../../components/RecordTable';
import { useFormat } from '../../i18n/format';
import { runPercent } from './MailRunWizard';

const KINDS: RunKind[] = ['invitations', 'bulk-emails'];
const STATE_COLOR: Record<RunState, string> = { pending: 'gray', preparing: 'blue', sending: 'blue', done: 'teal', failed: 'red' };
const wizardOf = (kind: RunKind) => (kind === 'invitations' ? '/mail/invite' : '/mail/bulk');

/** Recent invitation runs and bulk emails, with their counts, progress and report. */
export function MailRuns() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const kind: RunKind = params.get('kind') === 'bulk-emails' ? 'bulk-emails' : 'invitations';
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('mail.runs.title')}</Title>
        <Group>
          <Button component={Link} to="/mail/invite" variant="light">
            {t('nav.invite')}
          </Button>
          <Button component={Link} to="/mail/bulk" variant="light">
            {t('nav.bulkEmail')}
          </Button>
        </Group>
      </Group>
      <Tabs value={kind} onChange={(v) => setParams(v === 'bulk-emails' ? { kind: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List>
          {KINDS.map((k) => (
            <Tabs.Tab key={k} value={k}>
              {t(`mail.runs.kinds.${k}`)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {KINDS.map((k) => (
          <Tabs.Panel key={k} value={k} pt="md">
            <RunTable kind={k} />
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}

function RunTable({ kind }: { kind: RunKind }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const runs = useRuns(kind);
  if (runs.isLoading) return <Loader aria-label={t('app.loading')} />;
  if (runs.isError) {
    return (
      <Alert color="red" role="alert">
        {runs.error.message}
      </Alert>
    );
  }
  const items = runs.data?.items ?? [];
  if (items.length === 0) return <Text c="dimmed">{t('mail.runs.empty')}</Text>;
  const n = (v: number) => fmt.number(v);
  return (
    <Table.ScrollContainer minWidth={980}>
      <RecordTable
        caption={t(`mail.runs.kinds.${kind}`)}
        rows={items}
        columns={[
          {
            label: t('mail.runs.createdAt'),
            cell: (r) => (
              <Anchor component={Link} to={`${wizardOf(kind)}?run=${r.id}`}>
                {fmt.dateTime(r.createdAt)}
              </Anchor>
            ),
          },
          ...(kind === 'bulk-emails' ? [{ label: t('mail.runs.template'), cell: (r: (typeof items)[number]) => <span dir="ltr">{r.templateKey}</span> }] : []),
          { label: t('mail.runs.source'), cell: (r) => t(`mail.runs.sources.${r.source}`) },
          {
            label: t('mail.runs.state'),
            cell: (r) => (
              <Stack gap={4} miw={120}>
                <Badge color={STATE_COLOR[r.state]} variant="light">
                  {t(`mail.runs.states.${r.state}`)}
                </Badge>
                {!isFinished(r.state) && <Progress value={runPercent(r)} size="sm" aria-label={t('mail.wizard.progress')} />}
              </Stack>
            ),
          },
          { label: t('mail.runs.total'), cell: (r) => n(r.total) },
          { label: t('mail.wizard.counts.sent'), cell: (r) => n(r.sent) },
          { label: t('mail.wizard.counts.failed'), cell: (r) => n(r.failed) },
          { label: t('mail.wizard.counts.skipped'), cell: (r) => n(r.skipped) },
          ...(kind === 'invitations'
            ? [{ label: t('mail.runs.newPasswords'), cell: (r: (typeof items)[number]) => n(r.newPasswords) }]
            : []),
          {
            label: t('mail.runs.report'),
            cell: (r) =>
              isFinished(r.state) ? (
                <Anchor href={reportUrl(kind, r.id)} download>
                  {t('mail.runs.download')}
                </Anchor>
              ) : (
                ''
              ),
          },
        ]}
      />
    </Table.ScrollContainer>
  );
}
