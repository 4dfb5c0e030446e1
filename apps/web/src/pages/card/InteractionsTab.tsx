import { Button, Center, Fieldset, Grid, Group, Loader, Select, Text, TextInput, Textarea, Timeline, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { MANUAL_INTERACTION_TYPES, STATUS_IDS, type Customer, type InteractionCreate, type StatusId } from '@kesher/contracts';
import { useInteractions, useLogInteraction } from '../../api/interactions';
import { useNotify, useReportError } from '../../components/Notifier';
import { Form } from '../../components/Form';
import { useFormat } from '../../i18n/format';
import { textOrNull, useFormState } from '../../lib/form';

type ManualType = InteractionCreate['type'];
const STATUS_LOG = /^status: (\w+) → (\w+)$/;
const FIELDS = ['type', 'subject', 'body', 'occurredAt'] as const;

/** Every call, meeting, note … newest first; and a form to log one. */
export function InteractionsTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const notify = useNotify();
  const report = useReportError();
  const list = useInteractions(customer.id);
  const log = useLogInteraction(customer.id);
  const initial = { type: 'call_answered' as ManualType, subject: '', body: '', occurredAt: '' };
  const form = useFormState(initial);
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  /** The server logs status changes as `status: new → follow_up`; shown with the statuses' names. */
  const subjectText = (type: string, subject: string) => {
    const m = type === 'system' ? STATUS_LOG.exec(subject) : null;
    const name = (id: string | undefined) => ((STATUS_IDS as readonly string[]).includes(id ?? '') ? t(`status.${id as StatusId}`) : (id ?? ''));
    return m ? t('interactions.statusChange', { from: name(m[1]), to: name(m[2]) }) : subject;
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const v = form.values;
    const body: InteractionCreate = {
      type: v.type,
      subject: textOrNull(v.subject),
      body: textOrNull(v.body),
      ...(v.occurredAt ? { occurredAt: new Date(v.occurredAt).toISOString() } : {}),
    };
    log.mutate(body, {
      onSuccess: () => {
        notify.success(t('interactions.logged'));
        form.reset({ ...initial, type: v.type });
      },
      onError: (err) => report(err, { known: FIELDS, setErrors: form.setErrors }),
    });
  };

  return (
    <Grid gap="xl">
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Fieldset legend={t('interactions.logTitle')}>
          <Form onSubmit={submit}>
            <Select
              label={t('interactions.type')}
              data={MANUAL_INTERACTION_TYPES.map((x) => ({ value: x, label: t(`interactions.types.${x}`) }))}
              value={form.values.type}
              onChange={(x) => x && form.set('type', x as ManualType)}
              allowDeselect={false}
              error={form.errors.type}
            />
            <TextInput
              label={t('interactions.subject')}
              value={form.values.subject}
              onChange={(e) => form.set('subject', e.currentTarget.value)}
              error={form.errors.subject}
            />
            <Textarea
              label={t('interactions.body')}
              autosize
              minRows={3}
              value={form.values.body}
              onChange={(e) => form.set('body', e.currentTarget.value)}
              error={form.errors.body}
            />
            <TextInput
              type="datetime-local"
              label={t('interactions.occurredAt')}
              description={t('interactions.occurredAtHint')}
              value={form.values.occurredAt}
              onChange={(e) => form.set('occurredAt', e.currentTarget.value)}
              error={form.errors.occurredAt}
            />
            <Group>
              <Button type="submit" loading={log.isPending}>
                {t('interactions.submit')}
              </Button>
            </Group>
          </Form>
        </Fieldset>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Title order={4} mb="md">
          {t('interactions.title')}
        </Title>
        {list.isLoading ? (
          <Loader aria-label={t('app.loading')} />
        ) : items.length === 0 ? (
          <Text c="dimmed">{t('interactions.empty')}</Text>
        ) : (
          <Timeline bulletSize={14} lineWidth={2} active={items.length}>
            {items.map((i) => (
              <Timeline.Item key={i.id} title={t(`interactions.types.${i.type}`)}>
                {i.subject && <Text fw={500}>{subjectText(i.type, i.subject)}</Text>}
                {i.body && (
                  <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                    {i.body}
                  </Text>
                )}
                <Text size="xs" c="dimmed" mt={4}>
                  {fmt.dateTime(i.occurredAt)} · {t('interactions.by', { name: i.createdBy })}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        )}
        {list.hasNextPage && (
          <Center mt="md">
            <Button variant="light" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              {t('app.loadMore')}
            </Button>
          </Center>
        )}
      </Grid.Col>
    </Grid>
  );
}
