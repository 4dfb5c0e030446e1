import { useEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import {
  Alert,
  Badge,
  Button,
  Center,
  Grid,
  Group,
  Loader,
  Modal,
  Paper,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, MERGE_FIELD_GROUPS, type CustomerPage, type Language, type MergeField } from '@kesher/contracts';
import { api, isApiError } from '../../api/client';
import { useDeleteTemplate, useMergeFields, useSaveTemplate, useSendTemplateTest, useTemplate, useTemplatePreview, useTemplates } from '../../api/mail';
import { useSession } from '../../api/session';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CustomerPicker } from '../../components/CustomerPicker';
import { Form } from '../../components/Form';
import { MailTestResult } from '../../components/MailTestResult';
import { useNotify, useReportError } from '../../components/Notifier';

const INVITE_KEY = 'Invite_to_Website_Email';
const KEY_FORMAT = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
type Target = 'subject' | 'html';
interface Draft {
  subject: string;
  html: string;
}

/**
 * The template library (seed 000): pick a template and a language, edit its subject and HTML,
 * insert merge fields at the cursor, see it rendered for a chosen customer, save, go back to the
 * built-in version, or send a test to yourself.
 */
export function TemplateEditor() {
  const { t, i18n } = useTranslation();
  const notify = useNotify();
  const report = useReportError();
  const isAdmin = useSession().data?.user.role === 'admin';
  const [params, setParams] = useSearchParams();
  const list = useTemplates();
  const fields = useMergeFields();

  const keys = useMemo(() => {
    const set = new Set((list.data?.items ?? []).map((x) => x.key));
    const fromUrl = params.get('key');
    if (fromUrl && KEY_FORMAT.test(fromUrl)) set.add(fromUrl);
    return [...set].sort((a, b) => (a === INVITE_KEY ? -1 : b === INVITE_KEY ? 1 : a.localeCompare(b)));
  }, [list.data, params]);
  const key = params.get('key') ?? (keys.includes(INVITE_KEY) ? INVITE_KEY : (keys[0] ?? null));
  const language: Language = (LANGUAGES as readonly string[]).includes(params.get('lang') ?? '') ? (params.get('lang') as Language) : 'he';
  const select = (next: { key?: string; lang?: Language }) => {
    const sp = new URLSearchParams(params);
    if (next.key) sp.set('key', next.key);
    if (next.lang) sp.set('lang', next.lang);
    setParams(sp, { replace: true });
  };

  const template = useTemplate(key, language);
  const missing = isApiError(template.error) && template.error.status === 404;
  const [draft, setDraft] = useState<Draft>({ subject: '', html: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saved: Draft = template.data ? { subject: template.data.subject, html: template.data.html } : { subject: '', html: '' };
  const dirty = draft.subject !== saved.subject || draft.html !== saved.html;

  // A template loaded (or found missing in this language) replaces the draft.
  useEffect(() => {
    if (template.data) setDraft({ subject: template.data.subject, html: template.data.html });
    else if (missing) setDraft({ subject: '', html: '' });
    setErrors({});
  }, [template.data, missing]);

  // ---- merge fields at the cursor ----
  const subjectRef = useRef<HTMLInputElement>(null);
  const htmlRef = useRef<HTMLTextAreaElement>(null);
  const lastTarget = useRef<Target>('html');
  const insert = (token: string) => {
    const target = lastTarget.current;
    const el = target === 'subject' ? subjectRef.current : htmlRef.current;
    const value = draft[target];
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    // Rendered at once, so the cursor is after the field before the next key press (set in a later
    // frame, it could land between the characters of someone already typing on).
    flushSync(() => setDraft({ ...draft, [target]: value.slice(0, start) + token + value.slice(end) }));
    if (!el) return;
    el.focus();
    el.setSelectionRange(start + token.length, start + token.length);
  };
  const edit = (target: Target, value: string) => {
    setDraft((d) => ({ ...d, [target]: value }));
    if (errors[target]) setErrors(({ [target]: _gone, ...rest }) => rest);
  };

  // ---- live preview against a customer (the first one until another is chosen) ----
  const [customerId, setCustomerId] = useState<string | null>(null);
  const firstCustomer = useQuery({
    queryKey: ['customers', 'first'],
    queryFn: ({ signal }) => api.get<CustomerPage>('/customers', { limit: 1 }, signal),
    enabled: !customerId,
  });
  const previewCustomer = customerId ?? firstCustomer.data?.items[0]?.id ?? null;
  const [debounced] = useDebouncedValue(draft, 400);
  // Rendered once typing settles (the draft and its debounced copy agree); the last preview stays meanwhile.
  const settled = debounced === draft;
  const preview = useTemplatePreview(key && previewCustomer && settled && (template.data || missing) ? { key, language, ...draft, customerId: previewCustomer } : null);

  const save = useSaveTemplate();
  const revert = useDeleteTemplate();
  const test = useSendTemplateTest();
  const [newKeyOpen, setNewKeyOpen] = useState(false);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!key) return;
    save.mutate(
      { key, language, body: draft },
      {
        onSuccess: () => {
          notify.success(t('app.saved'));
          void list.refetch();
        },
        onError: (err) => report(err, { known: ['subject', 'html'], setErrors }),
      },
    );
  };

  const status = template.data;
  const grouped = MERGE_FIELD_GROUPS.map((g) => ({ group: g, items: (fields.data?.items ?? []).filter((f) => f.group === g) })).filter((g) => g.items.length > 0);
  const uiLang = i18n.language === 'en' ? 'en' : 'he';

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('mail.templates.title')}</Title>
        {isAdmin && (
          <Button variant="light" onClick={() => setNewKeyOpen(true)}>
            {t('mail.templates.newTemplate')}
          </Button>
        )}
      </Group>

      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Form onSubmit={submit}>
            <Group align="flex-end">
              <Select
                label={t('mail.templates.key')}
                data={keys}
                value={key}
                onChange={(k) => k && select({ key: k })}
                allowDeselect={false}
                searchable
                miw={280}
                styles={{ input: { direction: 'ltr' } }}
              />
              <Stack gap={4}>
                <Text size="sm" fw={500} id="template-language">
                  {t('mail.templates.language')}
                </Text>
                <SegmentedControl
                  aria-labelledby="template-language"
                  data={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
                  value={language}
                  onChange={(l) => select({ lang: l as Language })}
                />
              </Stack>
              <Group gap="xs" pb={6}>
                {status?.builtIn && <Badge variant="light">{t('mail.templates.builtIn')}</Badge>}
                {status?.customized && <Badge variant="light" color="grape">{t('mail.templates.customized')}</Badge>}
                {dirty && <Badge variant="outline" color="orange">{t('mail.templates.unsaved')}</Badge>}
              </Group>
            </Group>

            {template.isLoading ? (
              <Center p="xl">
                <Loader aria-label={t('app.loading')} />
              </Center>
            ) : template.isError && !missing ? (
              <Alert color="red" role="alert">
                {template.error.message}
              </Alert>
            ) : (
              <>
                {missing && <Alert color="blue">{t('mail.templates.newInLanguage')}</Alert>}
                <TextInput
                  ref={subjectRef}
                  label={t('mail.templates.subject')}
                  value={draft.subject}
                  onChange={(e) => edit('subject', e.currentTarget.value)}
                  onFocus={() => (lastTarget.current = 'subject')}
                  dir={language === 'he' ? 'rtl' : 'ltr'}
                  error={errors.subject}
                />
                <Textarea
                  ref={htmlRef}
                  label={t('mail.templates.html')}
                  description={t('mail.templates.htmlHint')}
                  value={draft.html}
                  onChange={(e) => edit('html', e.currentTarget.value)}
                  onFocus={() => (lastTarget.current = 'html')}
                  dir="ltr"
                  spellCheck={false}
                  autosize
                  minRows={14}
                  maxRows={28}
                  styles={{ input: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13 } }}
                  error={errors.html}
                />
                <Group>
                  {isAdmin ? (
                    <Button type="submit" loading={save.isPending} disabled={!key}>
                      {t('app.save')}
                    </Button>
                  ) : (
                    <Text size="sm" c="dimmed">
                      {t('mail.templates.readOnly')}
                    </Text>
                  )}
                  {isAdmin && key && status?.customized && (
                    <ConfirmButton
                      variant="default"
                      color="gray"
                      loading={revert.isPending}
                      title={status.builtIn ? t('mail.templates.revert') : t('mail.templates.deleteTemplate')}
                      text={status.builtIn ? t('mail.templates.revertConfirm') : t('mail.templates.deleteConfirm')}
                      confirmLabel={status.builtIn ? t('mail.templates.revert') : t('app.delete')}
                      onConfirm={() =>
                        revert.mutateAsync({ key, language }).then(
                          async () => {
                            notify.success(status.builtIn ? t('mail.templates.reverted') : t('app.deleted'));
                            await template.refetch();
                          },
                          (e: unknown) => report(e),
                        )
                      }
                    >
                      {status.builtIn ? t('mail.templates.revert') : t('mail.templates.deleteTemplate')}
                    </ConfirmButton>
                  )}
                  <Button
                    variant="default"
                    loading={test.isPending}
                    disabled={!key}
                    onClick={() => key && test.mutate({ key, language, ...draft, ...(previewCustomer ? { customerId: previewCustomer } : {}) })}
                  >
                    {t('mail.templates.sendTest')}
                  </Button>
                </Group>
                {(test.data || test.error) && <MailTestResult sent={test.data} error={test.error} onClose={() => test.reset()} />}
              </>
            )}
          </Form>
        </Grid.Col>

        <Grid.Col span={{ base: 12, md: 4 }}>
          <Paper component="section" aria-labelledby="merge-fields-title" withBorder p="sm" radius="md">
            <Title order={4} id="merge-fields-title">
              {t('mail.templates.fields')}
            </Title>
            <Text size="xs" c="dimmed" mb="xs">
              {t('mail.templates.fieldsHint')}
            </Text>
            {fields.isLoading ? (
              <Loader size="sm" aria-label={t('app.loading')} />
            ) : (
              <ScrollArea.Autosize mah={560}>
                <Stack gap="sm">
                  {grouped.map((g) => (
                    <Stack key={g.group} gap={2}>
                      <Text size="sm" fw={700}>
                        {t(`mail.templates.groups.${g.group}`)}
                      </Text>
                      {g.items.map((f) => (
                        <FieldButton key={f.token} field={f} description={f[uiLang]} onInsert={insert} />
                      ))}
                    </Stack>
                  ))}
                </Stack>
              </ScrollArea.Autosize>
            )}
          </Paper>
        </Grid.Col>
      </Grid>

      <Paper component="section" aria-labelledby="template-preview-title" withBorder p="md" radius="md">
        <Stack>
          <Group justify="space-between" align="flex-end">
            <Title order={3} id="template-preview-title">
              {t('mail.templates.preview')}
            </Title>
            <CustomerPicker
              label={t('mail.templates.previewFor')}
              placeholder={t('mail.templates.previewPick')}
              value={previewCustomer}
              onChange={setCustomerId}
              miw={320}
            />
          </Group>
          <Text size="xs" c="dimmed">
            {t('mail.templates.passwordMasked')}
          </Text>
          {!previewCustomer && !firstCustomer.isLoading ? (
            <Text c="dimmed">{t('mail.templates.previewNeedsCustomer')}</Text>
          ) : preview.isError ? (
            <Alert color="red" role="alert">
              {preview.error.message}
            </Alert>
          ) : preview.data ? (
            <>
              <Text>
                <Text span c="dimmed">
                  {t('mail.templates.previewSubject')}{' '}
                </Text>
                <Text span fw={500} dir={language === 'he' ? 'rtl' : 'ltr'}>
                  {preview.data.subject}
                </Text>
                {preview.isFetching && <Loader size="xs" ms="sm" />}
              </Text>
              <iframe
                title={t('mail.templates.previewTitle')}
                sandbox=""
                srcDoc={preview.data.html}
                style={{ width: '100%', height: 560, border: '1px solid var(--mantine-color-gray-4)', borderRadius: 4, background: 'white' }}
              />
            </>
          ) : (
            <Center p="lg">
              <Loader aria-label={t('app.loading')} />
            </Center>
          )}
        </Stack>
      </Paper>

      {newKeyOpen && (
        <NewTemplateDialog
          existing={keys}
          onClose={() => setNewKeyOpen(false)}
          onCreate={(k) => {
            setNewKeyOpen(false);
            select({ key: k, lang: language });
          }}
        />
      )}
    </Stack>
  );
}

function FieldButton({ field, description, onInsert }: { field: MergeField; description: string; onInsert: (token: string) => void }) {
  return (
    <UnstyledButton
      onMouseDown={(e) => e.preventDefault() /* keep the cursor where it is in the editor */}
      onClick={() => onInsert(field.token)}
      p={4}
      style={{ borderRadius: 4 }}
      aria-label={`${field.token} — ${description}`}
    >
      <Text size="sm" ff="monospace" dir="ltr" span>
        {field.token}
      </Text>
      <Text size="xs" c="dimmed">
        {description}
      </Text>
    </UnstyledButton>
  );
}

function NewTemplateDialog({ existing, onClose, onCreate }: { existing: string[]; onClose: () => void; onCreate: (key: string) => void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const k = value.trim();
    if (!KEY_FORMAT.test(k)) return setError(t('mail.templates.keyFormat'));
    if (existing.includes(k)) return setError(t('mail.templates.keyExists'));
    onCreate(k);
  };
  return (
    <Modal opened onClose={onClose} title={t('mail.templates.newTemplate')}>
      <Form onSubmit={submit}>
        <TextInput label={t('mail.templates.newKey')} description={t('mail.templates.keyFormat')} dir="ltr" data-autofocus value={value} onChange={(e) => setValue(e.currentTarget.value)} error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('app.cancel')}
          </Button>
          <Button type="submit">{t('mail.templates.create')}</Button>
        </Group>
      </Form>
    </Modal>
  );
}
