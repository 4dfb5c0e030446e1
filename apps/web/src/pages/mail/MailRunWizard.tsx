import { useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Center,
  Group,
  Loader,
  Paper,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { SKIP_REASONS, type LanguageFallback, type MailListUpload, type RunPreview, type RunStatus } from '@kesher/contracts';
import { useCustomerCount, useCustomerList } from '../../api/customers';
import { isFinished, reportUrl, useRun, useRunPreview, useStartRun, useUploadMailList, type RunBody, type RunKind } from '../../api/invitations';
import { useTemplates } from '../../api/mail';
import { CustomerFiltersPanel } from '../../components/CustomerFiltersPanel';
import { CustomerTable } from '../../components/CustomerTable';
import { useReportError } from '../../components/Notifier';
import { RecordTable } from '../../components/RecordTable';
import { LoadingOrMissing } from '../../components/LoadingOrMissing';
import { SpreadsheetInput } from '../../components/SpreadsheetInput';
import { useFormat } from '../../i18n/format';
import { filtersFromParams, runFilterFromParams, withParam } from '../../lib/listParams';

type Source = 'list' | 'xlsx';

/**
 * "Invite customers to the website" (seed 000) and its twin, bulk email filed on the cards: choose
 * the list (the customer list's filters, rows picked from it, or an uploaded .xlsx), see what a run
 * would do, confirm, and watch it go out; then download the per-customer report.
 *
 * The address bar holds the list's filters (the customer list's "invite these customers" passes
 * its own) and, once confirmed, the run (`?run=`), so a reload keeps showing its progress.
 */
export function MailRunWizard({ kind }: { kind: RunKind }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const runId = params.get('run');
  const invite = kind === 'invitations';
  const base = invite ? '/mail/invite' : '/mail/bulk';

  const [step, setStep] = useState(0);
  const [source, setSource] = useState<Source>('list');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [upload, setUpload] = useState<MailListUpload | null>(null);
  const [templateKey, setTemplateKey] = useState<string | null>(null);

  const body: RunBody | null = useMemo(() => {
    const list =
      source === 'xlsx'
        ? upload && { customerIds: upload.customerIds }
        : selected.size > 0
          ? { customerIds: [...selected] }
          : { filter: runFilterFromParams(params) };
    if (!list) return null;
    if (invite) return list;
    return templateKey ? { ...list, templateKey } : null;
  }, [source, upload, selected, params, invite, templateKey]);

  const start = useStartRun(kind);
  const report = useReportError();

  if (runId) {
    return (
      <WizardFrame kind={kind} step={2}>
        <RunProgress kind={kind} id={runId} onNew={() => navigate(base)} />
      </WizardFrame>
    );
  }

  return (
    <WizardFrame kind={kind} step={step}>
      {step === 0 && (
        <Stack>
          <Group>
            <SegmentedControl
              aria-label={t('mail.wizard.source')}
              data={[
                { value: 'list', label: t('mail.wizard.sources.list') },
                { value: 'xlsx', label: t('mail.wizard.sources.xlsx') },
              ]}
              value={source}
              onChange={(v) => setSource(v as Source)}
            />
          </Group>
          {source === 'list' ? (
            <ListSource
              params={params}
              setParams={(next) => setParams(next, { replace: true })}
              selected={selected}
              setSelected={setSelected}
            />
          ) : (
            <XlsxSource upload={upload} setUpload={setUpload} />
          )}
          {!invite && <TemplatePicker value={templateKey} onChange={setTemplateKey} />}
          <Group>
            <Button onClick={() => setStep(1)} disabled={!body}>
              {t('mail.wizard.next')}
            </Button>
          </Group>
        </Stack>
      )}
      {step === 1 && body && (
        <PreviewStep
          kind={kind}
          body={body}
          starting={start.isPending}
          onBack={() => setStep(0)}
          onConfirm={() =>
            start.mutate(body, {
              onSuccess: ({ id }) => setParams({ run: id }),
              onError: (e) => report(e),
            })
          }
        />
      )}
    </WizardFrame>
  );
}

function WizardFrame({ kind, step, children }: { kind: RunKind; step: number; children: React.ReactNode }) {
  const { t } = useTranslation();
  const invite = kind === 'invitations';
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{invite ? t('mail.wizard.inviteTitle') : t('mail.wizard.bulkTitle')}</Title>
        <Anchor component={Link} to="/mail/runs">
          {t('nav.mailRuns')}
        </Anchor>
      </Group>
      <Text c="dimmed" maw={900}>
        {invite ? t('mail.wizard.inviteIntro') : t('mail.wizard.bulkIntro')}
      </Text>
      <Stepper active={step} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label={t('mail.wizard.steps.list')} />
        <Stepper.Step label={t('mail.wizard.steps.preview')} />
        <Stepper.Step label={t('mail.wizard.steps.send')} />
      </Stepper>
      {children}
    </Stack>
  );
}

// ---- step 1: the list ----

function ListSource({
  params,
  setParams,
  selected,
  setSelected,
}: {
  params: URLSearchParams;
  setParams: (next: URLSearchParams) => void;
  selected: ReadonlySet<string>;
  setSelected: (s: ReadonlySet<string>) => void;
}) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(search, 300);
  useEffect(() => {
    if ((params.get('q') ?? '') !== debounced.trim()) setParams(withParam(params, 'q', debounced.trim()));
  }, [debounced]); // only when the typed text settles

  const filters = useMemo(() => filtersFromParams(params), [params]);
  const list = useCustomerList(filters);
  const count = useCustomerCount(filters);
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const change = (ids: string[], checked: boolean) => {
    const next = new Set(selected);
    for (const id of ids) if (checked) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  return (
    <Stack>
      <TextInput type="search" label={t('list.search')} description={t('list.searchHint')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
      <CustomerFiltersPanel
        params={params}
        onChange={(next) => {
          if (next.size === 0) setSearch('');
          setParams(next);
        }}
      />
      <Paper withBorder p="sm" radius="md" bg={selected.size > 0 ? 'teal.0' : undefined}>
        <Group justify="space-between">
          <Text fw={500} aria-live="polite">
            {selected.size > 0
              ? t('mail.wizard.selected', { n: fmt.number(selected.size) })
              : count.data
                ? t(count.data.exact ? 'mail.wizard.allMatching' : 'mail.wizard.allMatchingCapped', { n: fmt.number(count.data.count) })
                : t('list.counting')}
          </Text>
          {selected.size > 0 && (
            <Button variant="subtle" size="compact-sm" onClick={() => setSelected(new Set())}>
              {t('mail.wizard.clearSelection')}
            </Button>
          )}
        </Group>
        <Text size="xs" c="dimmed">
          {t('mail.wizard.selectHint')}
        </Text>
      </Paper>
      {list.isLoading ? (
        <Center p="lg">
          <Loader aria-label={t('app.loading')} />
        </Center>
      ) : items.length === 0 ? (
        <Text c="dimmed">{t('list.empty')}</Text>
      ) : (
        <CustomerTable items={items} caption={t('list.results')} selection={{ selected, onChange: change }} />
      )}
      {list.hasNextPage && (
        <Center>
          <Button variant="light" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {t('app.loadMore')}
          </Button>
        </Center>
      )}
    </Stack>
  );
}

function XlsxSource({ upload, setUpload }: { upload: MailListUpload | null; setUpload: (u: MailListUpload | null) => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const send = useUploadMailList();
  const [file, setFile] = useState<File | null>(null);
  const pick = (f: File | null) => {
    setFile(f);
    setUpload(null);
    send.reset();
    if (f) send.mutate(f, { onSuccess: setUpload });
  };
  return (
    <Stack>
      <SpreadsheetInput
        label={t('mail.wizard.file')}
        description={t('mail.wizard.fileHint')}
        placeholder={t('mail.wizard.filePlaceholder')}
        accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        value={file}
        onChange={pick}
        pending={send.isPending}
        error={send.isError ? send.error.message : null}
      />
      {upload && (
        <Stack>
          <Alert color={upload.matched > 0 ? 'teal' : 'orange'} role="status">
            <Text>{t('mail.wizard.matched', { n: fmt.number(upload.matched), rows: fmt.number(upload.rows) })}</Text>
            {upload.keyColumns.length > 0 && (
              <Text size="sm">{t('mail.wizard.keyColumns', { columns: upload.keyColumns.map((k) => `${k.header} (${t(`mail.wizard.keys.${k.key}`)})`).join(', ') })}</Text>
            )}
            {upload.duplicates.length > 0 && <Text size="sm">{t('mail.wizard.duplicates', { n: fmt.number(upload.duplicates.length) })}</Text>}
          </Alert>
          {upload.unmatched.length > 0 && (
            <>
              <Title order={4}>{t('mail.wizard.unmatched', { n: fmt.number(upload.unmatched.length) })}</Title>
              <Table.ScrollContainer minWidth={500} mah={360}>
                <RecordTable
                  caption={t('mail.wizard.unmatchedCaption')}
                  rows={upload.unmatched.map((u) => ({ ...u, id: String(u.row) }))}
                  columns={[
                    { label: t('mail.wizard.row'), cell: (u) => fmt.plainNumber(u.row) },
                    { label: t('mail.wizard.value'), cell: (u) => <bdi>{u.value}</bdi> },
                    { label: t('mail.wizard.name'), cell: (u) => u.name ?? '' },
                    { label: t('mail.wizard.reason'), cell: (u) => t(`mail.wizard.unmatchedReasons.${u.reason}`) },
                  ]}
                />
              </Table.ScrollContainer>
            </>
          )}
          {upload.duplicates.length > 0 && (
            <Table.ScrollContainer minWidth={500} mah={240}>
              <RecordTable
                caption={t('mail.wizard.duplicatesCaption')}
                rows={upload.duplicates.map((d) => ({ ...d, id: String(d.row) }))}
                columns={[
                  { label: t('mail.wizard.row'), cell: (d) => fmt.plainNumber(d.row) },
                  { label: t('mail.wizard.value'), cell: (d) => <bdi>{d.value}</bdi> },
                  { label: t('mail.wizard.firstRow'), cell: (d) => fmt.plainNumber(d.firstRow) },
                ]}
              />
            </Table.ScrollContainer>
          )}
        </Stack>
      )}
    </Stack>
  );
}

function TemplatePicker({ value, onChange }: { value: string | null; onChange: (k: string | null) => void }) {
  const { t } = useTranslation();
  const templates = useTemplates();
  const keys = [...new Set((templates.data?.items ?? []).map((x) => x.key))].sort();
  return (
    <Group align="flex-end">
      <Select
        label={t('mail.wizard.template')}
        description={t('mail.wizard.templateHint')}
        required
        data={keys}
        value={value}
        onChange={onChange}
        searchable
        miw={320}
        styles={{ input: { direction: 'ltr' } }}
      />
      <Anchor component={Link} to={value ? `/mail/templates?key=${encodeURIComponent(value)}` : '/mail/templates'} pb={8}>
        {t('mail.wizard.editTemplates')}
      </Anchor>
    </Group>
  );
}

// ---- step 2: what the run would do ----

function CountRow({ label, value, strong, indent }: { label: string; value: number; strong?: boolean; indent?: boolean }) {
  const fmt = useFormat();
  return (
    <Table.Tr>
      <Table.Th scope="row" fw={strong ? 700 : 400} ps={indent ? 'xl' : undefined}>
        {label}
      </Table.Th>
      <Table.Td fw={strong ? 700 : 400}>{fmt.number(value)}</Table.Td>
    </Table.Tr>
  );
}

function PreviewStep({ kind, body, starting, onBack, onConfirm }: { kind: RunKind; body: RunBody; starting: boolean; onBack: () => void; onConfirm: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const preview = useRunPreview(kind, body);
  const invite = kind === 'invitations';
  const p = preview.data;
  return (
    <Stack>
      {preview.isLoading ? (
        <Center p="lg">
          <Loader aria-label={t('mail.wizard.previewing')} />
        </Center>
      ) : preview.isError ? (
        <Alert color="red" role="alert">
          {preview.error.message}
        </Alert>
      ) : p ? (
        <>
          {!p.mailboxConfigured && (
            <Alert color="red" role="alert" title={t('mail.mailboxes.noneAnywhereTitle')}>
              {t('mail.wizard.noMailbox')}{' '}
              <Anchor component={Link} to="/admin/mailboxes">
                {t('nav.mailboxes')}
              </Anchor>
            </Alert>
          )}
          <PreviewCounts preview={p} invite={invite} />
          {p.total === 0 && <Alert color="orange">{t('mail.wizard.emptyList')}</Alert>}
        </>
      ) : null}
      <Group>
        <Button variant="default" onClick={onBack}>
          {t('mail.wizard.back')}
        </Button>
        <Button onClick={onConfirm} loading={starting} disabled={!p || p.total === 0}>
          {p ? t(invite ? 'mail.wizard.confirmInvite' : 'mail.wizard.confirmBulk', { n: fmt.number(p.willSend) }) : t('mail.wizard.confirmBulk', { n: '' })}
        </Button>
      </Group>
    </Stack>
  );
}

function PreviewCounts({ preview: p, invite }: { preview: RunPreview; invite: boolean }) {
  const { t } = useTranslation();
  return (
    <Paper withBorder p="md" radius="md" maw={720}>
      <Table>
        <Table.Caption>{t('mail.wizard.previewCaption')}</Table.Caption>
        <Table.Tbody>
          <CountRow label={t('mail.wizard.counts.total')} value={p.total} strong />
          <CountRow label={t('mail.wizard.counts.willSend')} value={p.willSend} strong />
          {invite && (
            <>
              <CountRow label={t('mail.wizard.counts.newPasswords')} value={p.newPasswords} indent />
              <CountRow label={t('mail.wizard.counts.existingPasswords')} value={p.existingPasswords} indent />
              <CountRow label={t('mail.wizard.counts.setPasswordLinks')} value={p.setPasswordLinks} indent />
            </>
          )}
          <CountRow label={t('mail.wizard.counts.skipped')} value={p.skipped} strong />
          {SKIP_REASONS.filter((r) => (p.skippedBy[r] ?? 0) > 0).map((r) => (
            <CountRow key={r} label={t(`mail.wizard.skipReasons.${r}`)} value={p.skippedBy[r] ?? 0} indent />
          ))}
        </Table.Tbody>
      </Table>
      <Fallbacks list={p.languageFallbacks} />
    </Paper>
  );
}

function Fallbacks({ list }: { list: LanguageFallback[] }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const lang = (l: string | null) => (l === 'he' || l === 'en' ? t(`language.${l}`) : (l ?? ''));
  if (list.length === 0) return null;
  return (
    <Alert color="yellow" mt="md" title={t('mail.wizard.counts.languageFallbacks')}>
      <Stack gap={2}>
        {list.map((f) => (
          <Text key={`${f.wanted}-${f.used}`} size="sm">
            {f.used
              ? t('mail.wizard.fallback', { n: fmt.number(f.count), wanted: lang(f.wanted), used: lang(f.used) })
              : t('mail.wizard.fallbackNone', { n: fmt.number(f.count), wanted: lang(f.wanted) })}
          </Text>
        ))}
      </Stack>
    </Alert>
  );
}

// ---- step 3: the run ----

/** Share of the run's messages that are settled (sent, failed or skipped), 0–100. */
export function runPercent(r: Pick<RunStatus, 'state' | 'total' | 'sent' | 'failed' | 'skipped'>): number {
  if (r.total <= 0) return isFinished(r.state) ? 100 : 0;
  return Math.min(100, Math.floor(((r.sent + r.failed + r.skipped) * 100) / r.total));
}

function RunProgress({ kind, id, onNew }: { kind: RunKind; id: string; onNew: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const run = useRun(kind, id);
  if (!run.data) return <LoadingOrMissing loading={run.isLoading} error={run.error} />;
  const r = run.data;
  const pct = runPercent(r);
  const finished = isFinished(r.state);
  return (
    <Stack maw={860}>
      <Group justify="space-between">
        <Title order={3}>{t(`mail.runs.states.${r.state}`)}</Title>
        <Text c="dimmed">{fmt.dateTime(r.createdAt)}</Text>
      </Group>
      <Progress
        value={pct}
        size="xl"
        radius="md"
        striped={!finished}
        animated={!finished}
        color={r.state === 'failed' ? 'red' : r.failed > 0 ? 'orange' : 'teal'}
        aria-label={t('mail.wizard.progress')}
      />
      <Text aria-live="polite">{t('mail.wizard.progressText', { done: fmt.number(r.sent + r.failed + r.skipped), total: fmt.number(r.total), pct: fmt.number(pct) })}</Text>
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Count label={t('mail.wizard.counts.sent')} value={r.sent} color="teal" />
        <Count label={t('mail.wizard.counts.failed')} value={r.failed} color="red" />
        <Count label={t('mail.wizard.counts.skipped')} value={r.skipped} color="gray" />
        <Count label={t('mail.wizard.counts.queued')} value={r.queued + r.sending} color="blue" />
      </SimpleGrid>
      {r.skipped > 0 && (
        <Group gap="xs">
          {SKIP_REASONS.filter((x) => (r.skippedBy[x] ?? 0) > 0).map((x) => (
            <Badge key={x} variant="light" color="gray">
              {t(`mail.wizard.skipReasons.${x}`)}: {fmt.number(r.skippedBy[x] ?? 0)}
            </Badge>
          ))}
        </Group>
      )}
      {kind === 'invitations' && r.state !== 'pending' && r.state !== 'preparing' && (
        <Text size="sm" c="dimmed">
          {t('mail.wizard.passwordsSummary', { fresh: fmt.number(r.newPasswords), existing: fmt.number(r.existingPasswords), links: fmt.number(r.setPasswordLinks) })}
        </Text>
      )}
      <Fallbacks list={r.languageFallbacks} />
      {r.state === 'failed' && (
        <Alert color="red" role="alert" title={t('mail.wizard.runFailed')}>
          {r.error}
        </Alert>
      )}
      {finished && (
        <Alert color={r.state === 'failed' ? 'red' : 'teal'} role="status" title={r.state === 'done' ? t('mail.wizard.done') : undefined}>
          {t('mail.wizard.doneText')}
        </Alert>
      )}
      <Group>
        {finished && (
          <>
            <Button component="a" href={reportUrl(kind, id)} download>
              {t('mail.wizard.downloadReport')}
            </Button>
            <Button variant="default" onClick={onNew}>
              {t('mail.wizard.newRun')}
            </Button>
          </>
        )}
      </Group>
    </Stack>
  );
}

/** A count in a tile (the run's and the import's progress pages). */
export function Count({ label, value, color }: { label: string; value: number; color: string }) {
  const fmt = useFormat();
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} c={`${color}.7`}>
        {fmt.number(value)}
      </Text>
    </Paper>
  );
}
