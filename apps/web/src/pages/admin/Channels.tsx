import { ActionIcon, Badge, Button, Group, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { CHANNEL_TARGETS, type Channel, type ChannelCreate } from '@kesher/contracts';
import { useBranches, useCustomFields } from '../../api/admin';
import { useChannels, useDeleteChannel, useSaveChannel } from '../../api/channels';
import { AdminListPage } from '../../components/AdminListPage';
import { ConfirmButton } from '../../components/ConfirmButton';
import { FormModal } from '../../components/FormModal';
import { useNotify, useReportError, useSaveFeedback } from '../../components/Notifier';
import { useFormat } from '../../i18n/format';
import { textOrNull, useFormState } from '../../lib/form';

const FIELDS = [
  'name', 'slug', 'mapping', 'branchId', 'language', 'replyMode', 'redirectUrl', 'allowedOrigins', 'notifyEmails',
  'ratePerMinute', 'ratePerIpPerMinute', 'honeypotField', 'maxFileBytes',
] as const;
const MB = 1024 * 1024;

/** Web Data Port channels (SPEC §2): one per landing page or tool, each with its address, token and mapping. */
export function Channels() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const notify = useNotify();
  const report = useReportError();
  const channels = useChannels();
  const remove = useDeleteChannel();
  return (
    <Stack>
      <AdminListPage
        title={t('channels.title')}
        addLabel={t('channels.add')}
        rows={channels.data?.items ?? []}
        columns={[
          { label: t('channels.channel'), cell: (c) => <Link to={`/admin/channels/${c.id}`}>{c.name}</Link> },
          { label: t('channels.address'), cell: (c) => <code dir="ltr">/in/{c.slug}</code> },
          {
            label: t('channels.active'),
            cell: (c) => (c.active ? <Badge variant="light">{t('channels.active')}</Badge> : <Badge color="gray" variant="light">{t('channels.inactive')}</Badge>),
          },
          { label: t('channels.lastSubmission'), cell: (c) => (c.lastSubmissionAt ? fmt.dateTime(c.lastSubmissionAt) : t('channels.never')) },
        ]}
        moreActions={(c) => (
          <>
            <Button size="compact-sm" variant="light" component={Link} to={`/admin/channels/${c.id}`}>
              {t('channels.open')}
            </Button>
            <ConfirmButton
              size="compact-sm"
              text={t('channels.deleteConfirm')}
              onConfirm={() => remove.mutateAsync(c.id).then(() => notify.success(t('app.deleted')), (e: unknown) => report(e))}
            >
              {t('app.delete')}
            </ConfirmButton>
          </>
        )}
        dialog={(c, close) => <ChannelForm channel={c} onClose={close} />}
      />
      <Text c="dimmed" maw={900}>
        {t('channels.intro')}
      </Text>
    </Stack>
  );
}

interface Row {
  key: number;
  param: string;
  target: string | null;
}

/** The mapping in the card's order (names first, notes last): the database keeps no order of its own. */
export function mappingInOrder(mapping: Record<string, string>): [string, string][] {
  const rank = (target: string) => {
    const i = (CHANNEL_TARGETS as readonly string[]).indexOf(target);
    return target === 'note' ? 1000 : i >= 0 ? i : 500;
  };
  return Object.entries(mapping).sort(([pa, a], [pb, b]) => rank(a) - rank(b) || pa.localeCompare(pb));
}

let nextKey = 1;
const rowsOf = (mapping: Record<string, string>): Row[] => mappingInOrder(mapping).map(([param, target]) => ({ key: nextKey++, param, target }));
const STARTER: Record<string, string> = { full_name: 'fullName', phone: 'phone', email: 'email', message: 'note' };

/** The add / edit dialog: settings and the mapping editor (rows of incoming name → card field). */
export function ChannelForm({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const save = useSaveChannel();
  const branches = useBranches();
  const customFields = useCustomFields();
  const form = useFormState({
    name: channel?.name ?? '',
    slug: channel?.slug ?? '',
    active: channel?.active ?? true,
    rows: rowsOf(channel?.mapping ?? STARTER),
    branchId: channel?.branchId ?? null,
    language: (channel?.language ?? null) as 'he' | 'en' | null,
    replyMode: channel?.replyMode ?? 'json',
    redirectUrl: channel?.redirectUrl ?? '',
    allowedOrigins: channel?.allowedOrigins ?? [],
    notifyEmails: channel?.notifyEmails ?? [],
    ratePerMinute: (channel?.ratePerMinute ?? 120) as number | string,
    ratePerIpPerMinute: (channel?.ratePerIpPerMinute ?? 10) as number | string,
    honeypotField: channel?.honeypotField ?? (channel ? '' : '_hp'),
    maxFileMb: ((channel?.maxFileBytes ?? 5 * MB) / MB) as number | string,
  });
  const feedback = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  const v = form.values;
  const he = i18n.language === 'he';
  const targets = [
    ...CHANNEL_TARGETS.map((x) => ({
      value: x,
      label: x === 'fullName' || x === 'note' ? t(`channels.targets.${x}`) : t(`customer.${x}`),
    })),
    ...(customFields.data?.items ?? []).map((d) => ({ value: `cf.${d.key}`, label: t('channels.customField', { label: he ? d.labelHe : d.labelEn }) })),
  ];
  const setRow = (key: number, patch: Partial<Row>) => form.set('rows', v.rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const num = (x: number | string, fallback: number) => (typeof x === 'number' ? x : Number(x) || fallback);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const mapping: Record<string, string> = {};
    for (const r of v.rows) if (r.param.trim() && r.target) mapping[r.param.trim()] = r.target;
    const body: ChannelCreate = {
      name: v.name.trim(),
      ...(textOrNull(v.slug) ? { slug: v.slug.trim().toLowerCase() } : {}),
      active: v.active,
      mapping: mapping as ChannelCreate['mapping'],
      branchId: v.branchId,
      language: v.language,
      replyMode: v.replyMode,
      redirectUrl: textOrNull(v.redirectUrl),
      allowedOrigins: v.allowedOrigins,
      notifyEmails: v.notifyEmails,
      ratePerMinute: num(v.ratePerMinute, 120),
      ratePerIpPerMinute: num(v.ratePerIpPerMinute, 10),
      honeypotField: textOrNull(v.honeypotField),
      maxFileBytes: Math.round(num(v.maxFileMb, 0) * MB),
    };
    save.mutate({ id: channel?.id, body }, feedback);
  };

  return (
    <FormModal title={channel ? t('channels.editTitle') : t('channels.newTitle')} size="xl" onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label={t('channels.name')} required value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
        <TextInput
          label={t('channels.slug')}
          description={t('channels.slugHint')}
          dir="ltr"
          value={v.slug}
          onChange={(e) => form.set('slug', e.currentTarget.value)}
          error={form.errors.slug}
        />
      </SimpleGrid>
      <Switch label={t('channels.active')} checked={v.active} onChange={(e) => form.set('active', e.currentTarget.checked)} />

      <Stack gap="xs">
        <Text fw={500}>{t('channels.mapping')}</Text>
        <Text size="sm" c="dimmed">
          {t('channels.mappingHint')}
        </Text>
        {v.rows.map((r) => (
          <Group key={r.key} gap="xs" wrap="nowrap" align="flex-start">
            <TextInput
              aria-label={t('channels.incoming')}
              placeholder={t('channels.incoming')}
              dir="ltr"
              style={{ flex: 1 }}
              value={r.param}
              onChange={(e) => setRow(r.key, { param: e.currentTarget.value })}
              error={form.errors[`mapping.${r.param}`] ?? undefined}
            />
            <Text pt={6} aria-hidden>
              {he ? '←' : '→'}
            </Text>
            <Select
              aria-label={t('channels.target')}
              placeholder={t('channels.target')}
              style={{ flex: 1 }}
              searchable
              data={targets}
              value={r.target}
              onChange={(x) => setRow(r.key, { target: x })}
            />
            <ActionIcon variant="subtle" color="red" mt={4} aria-label={t('channels.removeRow')} onClick={() => form.set('rows', v.rows.filter((x) => x.key !== r.key))}>
              ✕
            </ActionIcon>
          </Group>
        ))}
        {form.errors.mapping && (
          <Text size="sm" c="red">
            {form.errors.mapping}
          </Text>
        )}
        <Group>
          <Button size="compact-sm" variant="light" onClick={() => form.set('rows', [...v.rows, { key: nextKey++, param: '', target: null }])}>
            {t('channels.addRow')}
          </Button>
        </Group>
      </Stack>

      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label={t('channels.branch')}
          placeholder={t('channels.branchDefault')}
          clearable
          data={(branches.data?.items ?? []).map((b) => ({ value: b.id, label: b.name }))}
          value={v.branchId}
          onChange={(x) => form.set('branchId', x)}
          error={form.errors.branchId}
        />
        <Select
          label={t('channels.language')}
          placeholder={t('channels.languageDefault')}
          clearable
          data={[
            { value: 'he', label: t('language.he') },
            { value: 'en', label: t('language.en') },
          ]}
          value={v.language}
          onChange={(x) => form.set('language', x as 'he' | 'en' | null)}
        />
      </SimpleGrid>

      <Stack gap={4}>
        <Text fw={500} size="sm">
          {t('channels.reply')}
        </Text>
        <SegmentedControl
          data={[
            { value: 'json', label: t('channels.replies.json') },
            { value: 'redirect', label: t('channels.replies.redirect') },
          ]}
          value={v.replyMode}
          onChange={(x) => form.set('replyMode', x as 'json' | 'redirect')}
        />
      </Stack>
      {v.replyMode === 'redirect' && (
        <TextInput
          label={t('channels.redirectUrl')}
          dir="ltr"
          required
          placeholder="https://"
          value={v.redirectUrl}
          onChange={(e) => form.set('redirectUrl', e.currentTarget.value)}
          error={form.errors.redirectUrl}
        />
      )}
      <TagsInput
        label={t('channels.allowedOrigins')}
        description={t('channels.allowedOriginsHint')}
        dir="ltr"
        value={v.allowedOrigins}
        onChange={(x) => form.set('allowedOrigins', x)}
        error={form.errors.allowedOrigins}
      />
      <TagsInput
        label={t('channels.notifyEmails')}
        description={t('customer.multiHint')}
        dir="ltr"
        value={v.notifyEmails}
        onChange={(x) => form.set('notifyEmails', x)}
        error={form.errors.notifyEmails}
      />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <NumberInput label={t('channels.ratePerMinute')} min={1} value={v.ratePerMinute} onChange={(x) => form.set('ratePerMinute', x)} error={form.errors.ratePerMinute} />
        <NumberInput
          label={t('channels.ratePerIpPerMinute')}
          min={1}
          value={v.ratePerIpPerMinute}
          onChange={(x) => form.set('ratePerIpPerMinute', x)}
          error={form.errors.ratePerIpPerMinute}
        />
        <TextInput
          label={t('channels.honeypotField')}
          description={t('channels.honeypotHint')}
          dir="ltr"
          value={v.honeypotField}
          onChange={(e) => form.set('honeypotField', e.currentTarget.value)}
          error={form.errors.honeypotField}
        />
        <NumberInput
          label={t('channels.maxFileMb')}
          min={0}
          max={10}
          decimalScale={1}
          value={v.maxFileMb}
          onChange={(x) => form.set('maxFileMb', x)}
          error={form.errors.maxFileBytes}
        />
      </SimpleGrid>
    </FormModal>
  );
}
