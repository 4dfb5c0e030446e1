import { useState } from 'react';
import { Alert, Anchor, Badge, Button, Code, CopyButton, Group, Loader, Paper, SegmentedControl, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { SUBMISSION_OUTCOMES, type Channel, type Submission, type SubmissionOutcome } from '@kesher/contracts';
import { submissionFileUrl, useChannel, useRenewToken, useReplay, useSubmissions } from '../../api/channels';
import { ConfirmButton } from '../../components/ConfirmButton';
import { useNotify, useReportError } from '../../components/Notifier';
import { useFormat } from '../../i18n/format';
import { ChannelForm, mappingInOrder } from './Channels';

const OUTCOME_COLOR: Record<SubmissionOutcome, string> = {
  received: 'gray', created: 'green', filled: 'blue', renewed: 'violet', repeat: 'gray', spam: 'orange', rejected: 'red', rate_limited: 'yellow',
};

/** A logged value's direction: right-to-left only when it has Hebrew (a phone or an email stays in one piece). */
const textDir = (s: string): 'rtl' | 'ltr' => (/[\u0590-\u05FF]/.test(s) ? 'rtl' : 'ltr');

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A form to paste into a landing page: the mapped parameters, the token, the hidden honeypot. */
export function htmlSnippet(c: Channel, submitLabel: string): string {
  const lines = [`<form action="${escapeHtml(c.url)}" method="post" accept-charset="UTF-8">`, `  <input type="hidden" name="token" value="${escapeHtml(c.token)}">`];
  for (const [param, target] of mappingInOrder(c.mapping)) {
    const type = target === 'email' || target === 'emails' ? 'email' : target === 'phone' || target === 'phones' ? 'tel' : 'text';
    const input = target === 'note' ? `<textarea name="${escapeHtml(param)}"></textarea>` : `<input type="${type}" name="${escapeHtml(param)}">`;
    lines.push(`  <label>${escapeHtml(param)} ${input}</label>`);
  }
  if (c.honeypotField) {
    lines.push(
      `  <input type="text" name="${escapeHtml(c.honeypotField)}" value="" tabindex="-1" autocomplete="off" aria-hidden="true" style="position:absolute;left:-10000px">`,
    );
  }
  lines.push(`  <button type="submit">${escapeHtml(submitLabel)}</button>`, '</form>');
  return lines.join('\n');
}

function curlExample(c: Channel): string {
  const example: Record<string, string> = {};
  for (const [param, target] of mappingInOrder(c.mapping)) {
    example[param] = target === 'email' ? 'dana@example.com' : target === 'phone' ? '050-1234567' : target === 'fullName' ? 'דנה לוי' : '…';
  }
  return `curl -X POST '${c.url}' \\\n  -H 'X-Kesher-Token: ${c.token}' \\\n  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(example)}'`;
}

function Copyable({ value, label }: { value: string; label?: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button size="compact-sm" variant={copied ? 'filled' : 'light'} onClick={copy} aria-label={label}>
          {copied ? t('channels.copied') : t('channels.copy')}
        </Button>
      )}
    </CopyButton>
  );
}

/** A channel: its address, token (copy, renew), ready-to-paste form, and its submission log with replay. */
export function ChannelDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const notify = useNotify();
  const report = useReportError();
  const channel = useChannel(id);
  const renew = useRenewToken();
  const [editing, setEditing] = useState(false);

  if (channel.isLoading) return <Loader aria-label={t('app.loading')} />;
  if (channel.isError || !channel.data) {
    return (
      <Alert color="red" role="alert">
        {channel.error?.message}
      </Alert>
    );
  }
  const c = channel.data;
  const snippet = htmlSnippet(c, t('channels.snippetSubmit'));
  const curl = curlExample(c);
  return (
    <Stack>
      <Anchor component={Link} to="/admin/channels">
        {t('channels.back')}
      </Anchor>
      <Group justify="space-between">
        <Group>
          <Title order={2}>{c.name}</Title>
          {c.active ? <Badge variant="light">{t('channels.active')}</Badge> : <Badge color="gray" variant="light">{t('channels.inactive')}</Badge>}
        </Group>
        <Button onClick={() => setEditing(true)}>{t('app.edit')}</Button>
      </Group>

      <Paper withBorder p="md">
        <Stack gap="sm">
          <Group gap="xs">
            <Text fw={500}>{t('channels.address')}:</Text>
            <Code dir="ltr">{c.url}</Code>
            <Copyable value={c.url} label={t('channels.address')} />
          </Group>
          <Group gap="xs">
            <Text fw={500}>{t('channels.token')}:</Text>
            <Code dir="ltr">{c.token}</Code>
            <Copyable value={c.token} label={t('channels.token')} />
            <ConfirmButton
              size="compact-sm"
              title={t('channels.renewToken')}
              text={t('channels.renewConfirm')}
              confirmLabel={t('channels.renewToken')}
              loading={renew.isPending}
              onConfirm={() =>
                renew.mutateAsync(c.id).then(
                  () => {
                    notify.success(t('channels.renewed'));
                    void channel.refetch();
                  },
                  (e: unknown) => report(e),
                )
              }
            >
              {t('channels.renewToken')}
            </ConfirmButton>
          </Group>
          <Text size="sm" c="dimmed">
            {t('channels.tokenHint')}
          </Text>
        </Stack>
      </Paper>

      <Paper withBorder p="md">
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={4}>{t('channels.snippet')}</Title>
            <Copyable value={snippet} label={t('channels.snippet')} />
          </Group>
          <Text size="sm" c="dimmed">
            {t('channels.snippetHint')}
          </Text>
          <Code block dir="ltr">
            {snippet}
          </Code>
          <Group justify="space-between" mt="sm">
            <Title order={4}>{t('channels.curl')}</Title>
            <Copyable value={curl} label={t('channels.curl')} />
          </Group>
          <Code block dir="ltr">
            {curl}
          </Code>
        </Stack>
      </Paper>

      <SubmissionLog channel={c} />
      {editing && (
        <ChannelForm
          channel={c}
          onClose={() => {
            setEditing(false);
            void channel.refetch();
          }}
        />
      )}
    </Stack>
  );
}

function SubmissionLog({ channel }: { channel: Channel }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const notify = useNotify();
  const report = useReportError();
  const [outcome, setOutcome] = useState<SubmissionOutcome | null>(null);
  const log = useSubmissions(channel.id, outcome);
  const replay = useReplay(channel.id);
  const items: Submission[] = log.data?.pages.flatMap((p) => p.items) ?? [];

  const doReplay = (s: Submission) =>
    replay.mutate(s.id, {
      onSuccess: (r) => notify.success(t('channels.log.replayed', { outcome: t(`channels.outcomes.${r.submission.outcome}`) })),
      onError: (e) => report(e),
    });

  const outcomeChoices = [{ value: 'all', label: t('channels.log.all') }, ...SUBMISSION_OUTCOMES.map((o) => ({ value: o, label: t(`channels.outcomes.${o}`) }))];
  return (
    <Stack>
      <Title order={3}>{t('channels.log.title')}</Title>
      {/* Nine outcomes fit side by side only on a wide screen; a narrower one gets a list to choose from. */}
      <SegmentedControl
        visibleFrom="lg"
        data={outcomeChoices}
        value={outcome ?? 'all'}
        onChange={(x) => setOutcome(x === 'all' ? null : (x as SubmissionOutcome))}
      />
      <Select
        hiddenFrom="lg"
        label={t('channels.log.outcome')}
        data={outcomeChoices}
        value={outcome ?? 'all'}
        allowDeselect={false}
        onChange={(x) => setOutcome(!x || x === 'all' ? null : (x as SubmissionOutcome))}
      />
      {log.isLoading && <Loader aria-label={t('app.loading')} />}
      {!log.isLoading && items.length === 0 && <Text c="dimmed">{t('channels.log.empty')}</Text>}
      {items.length > 0 && (
        <Table.ScrollContainer minWidth={820}>
          <Table striped withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('channels.log.receivedAt')}</Table.Th>
                <Table.Th>{t('channels.log.outcome')}</Table.Th>
                <Table.Th>{t('channels.log.customer')}</Table.Th>
                <Table.Th>{t('channels.log.params')}</Table.Th>
                <Table.Th>{t('channels.log.from')}</Table.Th>
                <Table.Th>{t('admin.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    {fmt.dateTime(s.receivedAt)}
                    {s.replayOf && (
                      <Text size="xs" c="dimmed">
                        {t('channels.log.replayOf')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={OUTCOME_COLOR[s.outcome]} variant="light">
                      {t(`channels.outcomes.${s.outcome}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{s.customerId && <Link to={`/customers/${s.customerId}`}>{fmt.plainNumber(s.customerNumber)}</Link>}</Table.Td>
                  <Table.Td>
                    <Stack gap={2}>
                      {Object.entries(s.params).map(([k, val]) => (
                        <Text key={k} size="sm">
                          <Text span fw={500} dir="ltr">
                            {k}
                          </Text>
                          :{' '}
                          <Text span dir={textDir(Array.isArray(val) ? val.join(', ') : val)}>
                            {Array.isArray(val) ? val.join(', ') : val}
                          </Text>
                        </Text>
                      ))}
                      {s.files.map((f) => (
                        <Anchor key={f.id} size="sm" href={submissionFileUrl(channel.id, s.id, f.id)}>
                          📎 {f.fileName} ({fmt.number(Math.ceil(f.size / 1024))} KB)
                        </Anchor>
                      ))}
                      {s.problems.map((p, i) => (
                        <Text key={i} size="xs" c="red">
                          {p.path ? `${p.path}: ` : ''}
                          {p.message}
                        </Text>
                      ))}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" dir="ltr">
                      {s.ip}
                    </Text>
                    {s.origin && (
                      <Text size="xs" c="dimmed" dir="ltr">
                        {s.origin}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Button size="compact-sm" variant="light" loading={replay.isPending && replay.variables === s.id} onClick={() => doReplay(s)}>
                      {t('channels.log.replay')}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {log.hasNextPage && (
        <Group>
          <Button variant="default" loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            {t('channels.log.more')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
