import { useState, type ReactNode } from 'react';
import { Alert, Badge, Button, Group, Loader, NumberInput, Paper, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { TLS_MODES, type Mailbox, type MailboxCreate, type MailboxPatch, type TlsMode } from '@kesher/contracts';
import { useBranches } from '../../api/admin';
import { useDeleteMailbox, useMailboxes, useSaveMailbox, useTestMailbox } from '../../api/mail';
import { ConfirmButton } from '../../components/ConfirmButton';
import { FormModal } from '../../components/FormModal';
import { MailTestResult } from '../../components/MailTestResult';
import { useNotify, useReportError, useSaveFeedback } from '../../components/Notifier';
import { textOrNull, useFormState } from '../../lib/form';

const FIELDS = ['host', 'port', 'tlsMode', 'username', 'password', 'fromName', 'fromAddress', 'replyTo', 'ratePerMinute', 'branchId'] as const;
/** The usual port of each TLS mode, offered when the mode changes while the port is still a usual one. */
const USUAL_PORT: Record<TlsMode, number> = { tls: 465, starttls: 587, none: 25 };

/**
 * Where a customer's mail goes out from (SPEC §3): the branch's mailbox, else the database's
 * default, else the server's (SMTP_URL). Each can send a test email to the signed-in user.
 */
export function Mailboxes() {
  const { t } = useTranslation();
  const mailboxes = useMailboxes();
  const branches = useBranches();
  const [editing, setEditing] = useState<{ mailbox: Mailbox | null; branchId: string | null; title: string } | null>(null);

  if (mailboxes.isLoading || branches.isLoading) return <Loader aria-label={t('app.loading')} />;
  if (mailboxes.isError) {
    return (
      <Alert color="red" role="alert">
        {mailboxes.error.message}
      </Alert>
    );
  }
  const items = mailboxes.data?.items ?? [];
  const serverDefault = mailboxes.data?.serverDefault ?? null;
  const tenantDefault = items.find((m) => m.branchId === null) ?? null;
  const byBranch = new Map(items.filter((m) => m.branchId).map((m) => [m.branchId!, m]));
  const noneAnywhere = !serverDefault && items.length === 0;
  const fallback = tenantDefault ? t('mail.mailboxes.usesTenantDefault') : serverDefault ? t('mail.mailboxes.usesServerDefault') : null;

  return (
    <Stack>
      <Title order={2}>{t('mail.mailboxes.title')}</Title>
      <Text c="dimmed" maw={900}>
        {t('mail.mailboxes.intro')}
      </Text>
      {noneAnywhere && (
        <Alert color="red" role="alert" title={t('mail.mailboxes.noneAnywhereTitle')}>
          {t('mail.mailboxes.noneAnywhere')}
        </Alert>
      )}

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <MailboxCard
          title={t('mail.mailboxes.serverDefault')}
          hint={t('mail.mailboxes.serverDefaultHint')}
          details={serverDefault}
          empty={t('mail.mailboxes.serverNone')}
          testId={serverDefault ? 'server' : undefined}
        />
        <MailboxCard
          title={t('mail.mailboxes.tenantDefault')}
          hint={t('mail.mailboxes.tenantDefaultHint')}
          details={tenantDefault}
          empty={serverDefault ? t('mail.mailboxes.usesServerDefault') : t('mail.mailboxes.notSet')}
          testId={tenantDefault?.id}
          onEdit={() => setEditing({ mailbox: tenantDefault, branchId: null, title: t('mail.mailboxes.tenantDefault') })}
        />
      </SimpleGrid>

      <Title order={3} mt="md">
        {t('mail.mailboxes.branchesTitle')}
      </Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {(branches.data?.items ?? []).map((b) => {
          const own = byBranch.get(b.id) ?? null;
          return (
            <MailboxCard
              key={b.id}
              title={t('mail.mailboxes.branchTitle', { name: b.name })}
              details={own}
              empty={fallback ?? t('mail.mailboxes.branchNoMailbox')}
              emptyIsProblem={!fallback}
              testId={own?.id}
              onEdit={() => setEditing({ mailbox: own, branchId: b.id, title: t('mail.mailboxes.branchTitle', { name: b.name }) })}
            />
          );
        })}
      </SimpleGrid>

      {editing && <MailboxForm {...editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

type Details = Pick<Mailbox, 'host' | 'port' | 'fromName' | 'fromAddress'> & Partial<Mailbox>;

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Group gap="xs" wrap="nowrap" align="baseline">
      <Text size="sm" c="dimmed" miw={130}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </Group>
  );
}

/** One mailbox (or its absence), with edit / test / delete. `testId` 'server' tests the server default. */
function MailboxCard({
  title,
  hint,
  details,
  empty,
  emptyIsProblem,
  testId,
  onEdit,
}: {
  title: string;
  hint?: string;
  details: Details | null;
  empty: string;
  emptyIsProblem?: boolean;
  testId?: string;
  onEdit?: () => void;
}) {
  const { t } = useTranslation();
  const test = useTestMailbox();
  const remove = useDeleteMailbox();
  const notify = useNotify();
  const report = useReportError();
  const id = details?.id;
  return (
    <Paper component="section" aria-label={title} withBorder p="md" radius="md">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>{title}</Title>
          {details ? <Badge variant="light">{t('mail.mailboxes.configured')}</Badge> : <Badge color={emptyIsProblem ? 'red' : 'gray'} variant="light">{t('mail.mailboxes.notConfigured')}</Badge>}
        </Group>
        {hint && (
          <Text size="xs" c="dimmed">
            {hint}
          </Text>
        )}
        {details ? (
          <Stack gap={2}>
            <Row label={t('mail.mailboxes.server')}>
              <span dir="ltr">
                {details.host}:{details.port}
              </span>
              {details.tlsMode && ` · ${t(`mail.mailboxes.tlsModes.${details.tlsMode}`)}`}
            </Row>
            {details.username !== undefined && (
              <Row label={t('mail.mailboxes.username')}>
                <span dir="ltr">{details.username ?? t('app.none')}</span>
                {' · '}
                {details.hasPassword ? t('mail.mailboxes.passwordSet') : t('mail.mailboxes.passwordNone')}
              </Row>
            )}
            <Row label={t('mail.mailboxes.from')}>
              <bdi>
                {details.fromName} &lt;{details.fromAddress}&gt;
              </bdi>
            </Row>
            {details.replyTo && (
              <Row label={t('mail.mailboxes.replyTo')}>
                <span dir="ltr">{details.replyTo}</span>
              </Row>
            )}
            {details.ratePerMinute !== undefined && (
              <Row label={t('mail.mailboxes.ratePerMinute')}>{details.ratePerMinute ?? t('mail.mailboxes.unlimited')}</Row>
            )}
          </Stack>
        ) : (
          <Text size="sm" c={emptyIsProblem ? 'red' : 'dimmed'}>
            {empty}
          </Text>
        )}
        <Group gap="xs" mt="xs">
          {onEdit && (
            <Button size="compact-sm" variant="light" onClick={onEdit}>
              {details ? t('app.edit') : t('mail.mailboxes.setUp')}
            </Button>
          )}
          {testId && (
            <Button size="compact-sm" variant="default" loading={test.isPending} onClick={() => test.mutate(testId === 'server' ? null : testId)}>
              {t('mail.sendTest')}
            </Button>
          )}
          {onEdit && id && (
            <ConfirmButton
              size="compact-sm"
              loading={remove.isPending}
              text={t('mail.mailboxes.deleteConfirm')}
              onConfirm={() => remove.mutateAsync(id).then(() => notify.success(t('mail.mailboxes.deleted')), (e: unknown) => report(e))}
            >
              {t('app.delete')}
            </ConfirmButton>
          )}
        </Group>
        {(test.data || test.error) && <MailTestResult sent={test.data} error={test.error} onClose={() => test.reset()} />}
      </Stack>
    </Paper>
  );
}

type PasswordMode = 'keep' | 'set' | 'remove';

function MailboxForm({ mailbox, branchId, title, onClose }: { mailbox: Mailbox | null; branchId: string | null; title: string; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveMailbox();
  const form = useFormState({
    host: mailbox?.host ?? '',
    port: (mailbox?.port ?? 587) as number | string,
    tlsMode: (mailbox?.tlsMode ?? 'starttls') as TlsMode,
    username: mailbox?.username ?? '',
    password: '',
    fromName: mailbox?.fromName ?? '',
    fromAddress: mailbox?.fromAddress ?? '',
    replyTo: mailbox?.replyTo ?? '',
    ratePerMinute: (mailbox?.ratePerMinute ?? '') as number | string,
  });
  // A new mailbox may be given a password at once; an existing one keeps its password unless changed.
  const [passwordMode, setPasswordMode] = useState<PasswordMode>(mailbox ? 'keep' : 'set');
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;

  const setTls = (mode: TlsMode) => {
    form.set('tlsMode', mode);
    if (Object.values(USUAL_PORT).includes(Number(v.port))) form.set('port', USUAL_PORT[mode]);
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const common = {
      host: v.host.trim(),
      port: Number(v.port),
      tlsMode: v.tlsMode,
      username: textOrNull(v.username),
      fromName: v.fromName.trim(),
      fromAddress: v.fromAddress.trim(),
      replyTo: textOrNull(v.replyTo),
      ratePerMinute: v.ratePerMinute === '' ? null : Number(v.ratePerMinute),
    };
    // Left empty while "change password" is open: nothing to change.
    const password = passwordMode === 'set' ? (v.password === '' ? (mailbox ? undefined : null) : v.password) : passwordMode === 'remove' ? null : undefined;
    if (mailbox) {
      const body: MailboxPatch = { ...common, ...(password !== undefined ? { password } : {}) };
      save.mutate({ id: mailbox.id, body }, feedback);
    } else {
      const body: MailboxCreate = { ...common, branchId, password };
      save.mutate({ body }, feedback);
    }
  };

  return (
    <FormModal title={title} size="lg" onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <Group grow align="flex-start">
        <TextInput label={t('mail.mailboxes.host')} required dir="ltr" value={v.host} onChange={(e) => form.set('host', e.currentTarget.value)} error={form.errors.host} />
        <NumberInput label={t('mail.mailboxes.port')} required min={1} max={65535} allowDecimal={false} value={v.port} onChange={(x) => form.set('port', x)} error={form.errors.port} maw={120} />
      </Group>
      <Select
        label={t('mail.mailboxes.tlsMode')}
        data={TLS_MODES.map((m) => ({ value: m, label: t(`mail.mailboxes.tlsModes.${m}`) }))}
        value={v.tlsMode}
        onChange={(x) => x && setTls(x as TlsMode)}
        allowDeselect={false}
        error={form.errors.tlsMode}
      />
      <TextInput label={t('mail.mailboxes.username')} dir="ltr" autoComplete="off" value={v.username} onChange={(e) => form.set('username', e.currentTarget.value)} error={form.errors.username} />
      {passwordMode === 'set' ? (
        <PasswordInput
          label={mailbox?.hasPassword ? t('mail.mailboxes.newPassword') : t('mail.mailboxes.password')}
          description={t('mail.mailboxes.passwordHint')}
          autoComplete="new-password"
          visibilityToggleButtonProps={{ 'aria-label': t('app.togglePassword') }}
          value={v.password}
          onChange={(e) => form.set('password', e.currentTarget.value)}
          error={form.errors.password}
        />
      ) : (
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            {t('mail.mailboxes.password')}
          </Text>
          <Group gap="xs">
            <Text size="sm" c={passwordMode === 'remove' ? 'red' : undefined}>
              {passwordMode === 'remove' ? t('mail.mailboxes.passwordWillBeRemoved') : mailbox?.hasPassword ? t('mail.mailboxes.passwordSet') : t('mail.mailboxes.passwordNone')}
            </Text>
            <Button size="compact-sm" variant="light" onClick={() => setPasswordMode('set')}>
              {mailbox?.hasPassword ? t('mail.mailboxes.changePassword') : t('mail.mailboxes.setPassword')}
            </Button>
            {mailbox?.hasPassword && passwordMode === 'keep' && (
              <Button size="compact-sm" variant="subtle" color="red" onClick={() => setPasswordMode('remove')}>
                {t('mail.mailboxes.removePassword')}
              </Button>
            )}
            {passwordMode === 'remove' && (
              <Button size="compact-sm" variant="subtle" onClick={() => setPasswordMode('keep')}>
                {t('mail.mailboxes.keepPassword')}
              </Button>
            )}
          </Group>
          <Text size="xs" c="dimmed">
            {t('mail.mailboxes.passwordHint')}
          </Text>
        </Stack>
      )}
      <TextInput label={t('mail.mailboxes.fromName')} required value={v.fromName} onChange={(e) => form.set('fromName', e.currentTarget.value)} error={form.errors.fromName} />
      <TextInput label={t('mail.mailboxes.fromAddress')} required type="email" dir="ltr" value={v.fromAddress} onChange={(e) => form.set('fromAddress', e.currentTarget.value)} error={form.errors.fromAddress} />
      <TextInput label={t('mail.mailboxes.replyTo')} type="email" dir="ltr" value={v.replyTo} onChange={(e) => form.set('replyTo', e.currentTarget.value)} error={form.errors.replyTo} />
      <NumberInput
        label={t('mail.mailboxes.ratePerMinute')}
        description={t('mail.mailboxes.ratePerMinuteHint')}
        min={1}
        allowDecimal={false}
        value={v.ratePerMinute}
        onChange={(x) => form.set('ratePerMinute', x)}
        error={form.errors.ratePerMinute}
      />
    </FormModal>
  );
}
