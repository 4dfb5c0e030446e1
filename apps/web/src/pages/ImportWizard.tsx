import { useMemo, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Loader,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  Title,
  useMatches,
} from '@mantine/core';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import {
  CARD_COLUMN_LABELS,
  IDENTIFYING_FIELDS,
  IMPORT_FIELDS,
  type ImportMapping,
  type ImportPolicy,
  type ImportPreview,
  type ImportPreviewRow,
  type ImportRowAction,
} from '@kesher/contracts';
import { useCustomFields } from '../api/admin';
import { importReportUrl, isImportFinished, useImport, useImportPreview, useSaveImportMapping, useStartImport, useUndoImport } from '../api/imports';
import { useSession } from '../api/session';
import { useNotify, useReportError } from '../components/Notifier';
import { LoadingOrMissing } from '../components/LoadingOrMissing';
import { SpreadsheetInput } from '../components/SpreadsheetInput';
import { useFormat } from '../i18n/format';
import { currentLanguage } from '../i18n';
import { Count } from './mail/MailRunWizard';

/**
 * "Import from Excel" (SPEC §2): upload an .xlsx / .csv, map its columns to card fields (the
 * recognised headers, or the mapping saved for these headers, come pre-filled), preview the first
 * rows with their problems and duplicate matches and choose per row, choose the duplicate policy,
 * then watch the background import to 100% and download its report. `?import=<id>` keeps showing
 * an import's progress across a reload.
 */
export function ImportWizard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const importId = params.get('import');
  const [step, setStep] = useState(0);
  const [file, setFile] = useState<File | null>(null);
  const [first, setFirst] = useState<ImportPreview | null>(null);
  const [mapping, setMapping] = useState<ImportMapping>({});
  const [policy, setPolicy] = useState<ImportPolicy>('skip');
  const [overrides, setOverrides] = useState<Record<string, ImportRowAction>>({});
  const preview = useImportPreview();
  const start = useStartImport();
  const report = useReportError();

  if (importId) {
    return (
      <Frame step={3}>
        <ImportProgress id={importId} onNew={() => navigate('/customers/import')} />
      </Frame>
    );
  }

  const pick = (f: File | null) => {
    setFile(f);
    setFirst(null);
    setOverrides({});
    preview.reset();
    if (f)
      preview.mutate(
        { file: f },
        {
          onSuccess: (p) => {
            setFirst(p);
            setMapping(p.mapping);
            setStep(1);
          },
        },
      );
  };
  const refresh = (nextPolicy: ImportPolicy) => file && preview.mutate({ file, mapping, policy: nextPolicy });

  return (
    <Frame step={step}>
      {step === 0 && (
        <SpreadsheetInput
          label={t('imports.file')}
          description={t('imports.fileHint')}
          placeholder={t('imports.filePlaceholder')}
          accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          value={file}
          onChange={pick}
          pending={preview.isPending}
          error={preview.isError ? preview.error.message : null}
        />
      )}
      {step === 1 && first && (
        <MappingStep
          preview={first}
          mapping={mapping}
          setMapping={setMapping}
          onBack={() => {
            setStep(0);
            setFile(null);
          }}
          onNext={() => {
            setOverrides({});
            if (file) preview.mutate({ file, mapping, policy }, { onSuccess: () => setStep(2) });
          }}
          loading={preview.isPending}
          error={preview.isError ? preview.error.message : null}
        />
      )}
      {step === 2 && preview.data && (
        <PreviewStep
          preview={preview.data}
          loading={preview.isPending}
          policy={policy}
          setPolicy={(p) => {
            setPolicy(p);
            refresh(p);
          }}
          overrides={overrides}
          setOverrides={setOverrides}
          starting={start.isPending}
          onBack={() => setStep(1)}
          onStart={() =>
            file &&
            start.mutate(
              { file, policy, mapping, overrides },
              { onSuccess: ({ id }) => setParams({ import: id }), onError: (e) => report(e) },
            )
          }
        />
      )}
    </Frame>
  );
}

function Frame({ step, children }: { step: number; children: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t('imports.title')}</Title>
      <Text c="dimmed" maw={900}>
        {t('imports.intro')}
      </Text>
      <Stepper active={step} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label={t('imports.steps.upload')} />
        <Stepper.Step label={t('imports.steps.mapping')} />
        <Stepper.Step label={t('imports.steps.preview')} />
        <Stepper.Step label={t('imports.steps.run')} />
      </Stepper>
      {children}
    </Stack>
  );
}

/** The card fields a column can go to: "not imported", the card's fields, the spare fields. */
function useTargets() {
  const { t } = useTranslation();
  const fields = useCustomFields();
  const lang = currentLanguage() === 'he' ? 'he' : 'en';
  return useMemo(
    () => [
      { value: '', label: t('imports.notImported') },
      ...IMPORT_FIELDS.map((f) => ({ value: f, label: f === 'fullName' ? t('imports.fullName') : CARD_COLUMN_LABELS[f][lang] })),
      ...(fields.data?.items ?? []).map((d) => ({ value: `cf.${d.key}`, label: lang === 'he' ? d.labelHe : d.labelEn })),
    ],
    [fields.data, lang, t],
  );
}

function MappingStep({
  preview,
  mapping,
  setMapping,
  onBack,
  onNext,
  loading,
  error,
}: {
  preview: ImportPreview;
  mapping: ImportMapping;
  setMapping: (m: ImportMapping) => void;
  onBack: () => void;
  onNext: () => void;
  loading: boolean;
  error: string | null;
}) {
  const { t } = useTranslation();
  const targets = useTargets();
  const save = useSaveImportMapping();
  const notify = useNotify();
  const report = useReportError();
  const headers = preview.headers.filter((h) => h.header);
  const identifying = Object.values(mapping).some((v) => (IDENTIFYING_FIELDS as readonly string[]).includes(v));
  return (
    <Stack>
      {preview.savedMapping && (
        <Alert color="teal" role="status">
          {t('imports.savedMappingUsed')}
        </Alert>
      )}
      <Table.ScrollContainer minWidth={600}>
        <Table striped withTableBorder>
          <Table.Caption>{t('imports.mappingCaption', { file: preview.fileName })}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('imports.column')}</Table.Th>
              <Table.Th>{t('imports.samples')}</Table.Th>
              <Table.Th>{t('imports.field')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {headers.map((h) => (
              <Table.Tr key={h.index}>
                <Table.Th scope="row">
                  <bdi>{h.header}</bdi>
                </Table.Th>
                <Table.Td>
                  <Text size="sm" c="dimmed">
                    <bdi>{h.samples.filter(Boolean).join(' · ')}</bdi>
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Select
                    aria-label={t('imports.fieldFor', { column: h.header })}
                    data={targets}
                    value={mapping[h.header] ?? ''}
                    onChange={(v) => {
                      const next = { ...mapping };
                      if (v) next[h.header] = v;
                      else delete next[h.header];
                      setMapping(next);
                    }}
                    searchable
                    allowDeselect={false}
                    miw={220}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!identifying && (
        <Alert color="red" role="alert">
          {t('imports.noIdentifying')}
        </Alert>
      )}
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <Group>
        <Button variant="default" onClick={onBack}>
          {t('imports.back')}
        </Button>
        <Button
          variant="light"
          loading={save.isPending}
          onClick={() =>
            save.mutate(
              { headers: headers.map((h) => h.header), mapping },
              { onSuccess: () => notify.success(t('imports.mappingSaved')), onError: (e) => report(e) },
            )
          }
        >
          {t('imports.saveMapping')}
        </Button>
        <Button onClick={onNext} loading={loading} disabled={!identifying}>
          {t('imports.next')}
        </Button>
      </Group>
    </Stack>
  );
}

const OUTCOME_COLORS: Record<ImportPreviewRow['outcome'], string> = { create: 'teal', fill: 'blue', renew: 'violet', skip: 'gray', reject: 'red' };

function PreviewStep({
  preview,
  loading,
  policy,
  setPolicy,
  overrides,
  setOverrides,
  starting,
  onBack,
  onStart,
}: {
  preview: ImportPreview;
  loading: boolean;
  policy: ImportPolicy;
  setPolicy: (p: ImportPolicy) => void;
  overrides: Record<string, ImportRowAction>;
  setOverrides: (o: Record<string, ImportRowAction>) => void;
  starting: boolean;
  onBack: () => void;
  onStart: () => void;
}) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const shown = Object.keys(preview.mapping).filter((h) => preview.mapping[h]);
  const orientation = useMatches<'vertical' | 'horizontal'>({ base: 'vertical', sm: 'horizontal' });
  const actions = (row: ImportPreviewRow) => {
    const list: ImportRowAction[] = row.duplicateOfRow !== null ? ['skip'] : ['skip', 'fill', 'renew'];
    if (preview.allowDuplicates) list.push('create');
    return list.map((a) => ({ value: a, label: t(`imports.actions.${a}`) }));
  };
  return (
    <Stack>
      <Group align="flex-end">
        <Stack gap={4}>
          <Text fw={500} id="policy-label">
            {t('imports.policy')}
          </Text>
          {/* Three long choices do not fit side by side on a phone: there they stack. */}
          <SegmentedControl
            aria-labelledby="policy-label"
            orientation={orientation}
            data={(['skip', 'fill', 'renew'] as const).map((p) => ({ value: p, label: t(`imports.policies.${p}`) }))}
            value={policy}
            onChange={(v) => setPolicy(v as ImportPolicy)}
          />
        </Stack>
        {loading && <Loader size="sm" aria-label={t('app.loading')} />}
      </Group>
      <Text size="sm" c="dimmed">
        {t(`imports.policyHints.${policy}`)}
      </Text>
      <Table.ScrollContainer minWidth={800} mah={520}>
        <Table striped withTableBorder>
          <Table.Caption>{t('imports.previewCaption', { n: fmt.number(preview.rows.length) })}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('imports.row')}</Table.Th>
              {shown.map((h) => (
                <Table.Th key={h}>
                  <bdi>{h}</bdi>
                </Table.Th>
              ))}
              <Table.Th>{t('imports.check')}</Table.Th>
              <Table.Th>{t('imports.action')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.rows.map((r) => {
              const override = overrides[String(r.row)];
              const canChoose = r.outcome !== 'reject' && (r.matches.length > 0 || r.duplicateOfRow !== null || r.outcome === 'create');
              return (
                <Table.Tr key={r.row} data-row={r.row}>
                  <Table.Td>{fmt.plainNumber(r.row)}</Table.Td>
                  {shown.map((h) => (
                    <Table.Td key={h}>
                      <bdi style={{ whiteSpace: 'nowrap' }}>{r.values[h] ?? ''}</bdi>
                    </Table.Td>
                  ))}
                  <Table.Td>
                    <Stack gap={2}>
                      {r.problems.map((p, i) => (
                        <Text key={i} size="sm" c="red.8">
                          {p.column ? <bdi>{p.column}</bdi> : null}
                          {p.column ? ': ' : ''}
                          {p.message}
                        </Text>
                      ))}
                      {r.duplicateOfRow !== null && (
                        <Text size="sm" c="orange.8">
                          {t('imports.sameAsRow', { row: String(r.duplicateOfRow) })}
                        </Text>
                      )}
                      {r.matches.map((m) => (
                        <Text key={m.id} size="sm">
                          {t('imports.matches')}{' '}
                          <Anchor component={Link} to={`/customers/${m.id}`} target="_blank">
                            #{fmt.plainNumber(m.customerNumber)} {m.fullName}
                          </Anchor>
                        </Text>
                      ))}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    {canChoose ? (
                      <Select
                        aria-label={t('imports.actionFor', { row: String(r.row) })}
                        size="xs"
                        data={r.matches.length || r.duplicateOfRow !== null ? actions(r) : [{ value: 'create', label: t('imports.actions.createNew') }, { value: 'skip', label: t('imports.actions.skip') }]}
                        value={override ?? r.outcome}
                        allowDeselect={false}
                        onChange={(v) => {
                          const next = { ...overrides };
                          if (!v || v === r.outcome) delete next[String(r.row)];
                          else next[String(r.row)] = v as ImportRowAction;
                          setOverrides(next);
                        }}
                        w={170}
                      />
                    ) : (
                      <Badge color={OUTCOME_COLORS[r.outcome]} variant="light">
                        {t(`imports.outcomes.${r.outcome}`)}
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group>
        <Button variant="default" onClick={onBack}>
          {t('imports.back')}
        </Button>
        <Button onClick={onStart} loading={starting} disabled={loading}>
          {t('imports.start')}
        </Button>
      </Group>
    </Stack>
  );
}

function ImportProgress({ id, onNew }: { id: string; onNew: () => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const run = useImport(id);
  const session = useSession();
  const undo = useUndoImport();
  const notify = useNotify();
  const report = useReportError();
  if (!run.data) return <LoadingOrMissing loading={run.isLoading} error={run.error} />;
  const r = run.data;
  const finished = isImportFinished(r.state);
  const pct = Math.round(r.progress * 100);
  return (
    <Stack maw={860}>
      <Group justify="space-between">
        <Title order={3}>{r.resuming ? t('imports.resuming') : t(`imports.states.${r.state}`)}</Title>
        <Text c="dimmed">
          <bdi>{r.fileName}</bdi> · {fmt.dateTime(r.createdAt)}
        </Text>
      </Group>
      <Progress
        value={pct}
        size="xl"
        radius="md"
        striped={!finished}
        animated={!finished}
        color={r.state === 'failed' ? 'red' : r.resuming ? 'yellow' : 'teal'}
        aria-label={t('imports.progress')}
        aria-valuenow={pct}
      />
      <Text aria-live="polite" data-testid="import-progress">
        {r.rowsTotal === null
          ? t('imports.progressText', { pct: fmt.number(pct), rows: fmt.number(r.rowsDone) })
          : t('imports.progressRows', { done: fmt.number(r.rowsDone), total: fmt.number(r.rowsTotal), pct: fmt.number(pct) })}
      </Text>
      {r.resuming && (
        <Alert color="yellow" role="status" title={t('imports.resuming')} data-testid="import-resuming">
          {t('imports.resumingText')}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 2, sm: 5 }}>
        <Count label={t('imports.counts.created')} value={r.created} color="teal" />
        <Count label={t('imports.counts.filled')} value={r.filled} color="blue" />
        <Count label={t('imports.counts.renewed')} value={r.renewed} color="violet" />
        <Count label={t('imports.counts.skipped')} value={r.skipped} color="gray" />
        <Count label={t('imports.counts.rejected')} value={r.rejected} color="red" />
      </SimpleGrid>
      {r.error && r.state === 'failed' && (
        <Alert color="red" role="alert" title={t('imports.failed')}>
          {r.error}
        </Alert>
      )}
      {r.state === 'done' && (
        <Alert color="teal" role="status" title={t('imports.done')}>
          {t('imports.doneText')}
        </Alert>
      )}
      {r.state === 'undone' && (
        <Alert color="gray" role="status">
          {t('imports.undoneText')}
        </Alert>
      )}
      {finished && (
        <Group>
          <Button component="a" href={importReportUrl(id)} download>
            {t('imports.downloadReport')}
          </Button>
          <Button variant="default" onClick={onNew}>
            {t('imports.newImport')}
          </Button>
          {session.data?.user.role === 'admin' && r.state !== 'undone' && (
            <Button
              color="red"
              variant="light"
              loading={undo.isPending}
              onClick={() => {
                if (!window.confirm(t('imports.undoConfirm'))) return;
                undo.mutate(id, {
                  onSuccess: (u) => notify.success(t('imports.undone', { deleted: fmt.number(u.deleted), restored: fmt.number(u.restored) })),
                  onError: (e) => report(e),
                });
              }}
            >
              {t('imports.undo')}
            </Button>
          )}
        </Group>
      )}
    </Stack>
  );
}
