import { useMemo, useState } from 'react';
import { Alert, Button, Group, Loader, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Contact, Customer } from '@kesher/contracts';
import { useContacts, useDeleteContact } from '../../api/contacts';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ContactForm } from '../../components/ContactForm';
import { useNotify, useReportError } from '../../components/Notifier';

type Tree = Map<string, Map<string, Contact[]>>;

/** department → role → contacts, departments and roles in alphabetical order, "none" last. */
function buildTree(contacts: Contact[], noDept: string, noRole: string, locale: string): Tree {
  const tree: Tree = new Map();
  for (const c of contacts) {
    const d = c.department?.trim() || noDept;
    const r = c.role?.trim() || noRole;
    const roles = tree.get(d) ?? new Map<string, Contact[]>();
    roles.set(r, [...(roles.get(r) ?? []), c]);
    tree.set(d, roles);
  }
  const order = (none: string) => (a: string, b: string) => (a === none ? 1 : b === none ? -1 : a.localeCompare(b, locale));
  return new Map(
    [...tree.entries()].sort(([a], [b]) => order(noDept)(a, b)).map(([d, roles]) => [d, new Map([...roles.entries()].sort(([a], [b]) => order(noRole)(a, b)))]),
  );
}

export function ContactsTab({ customer }: { customer: Customer }) {
  const { t, i18n } = useTranslation();
  const notify = useNotify();
  const report = useReportError();
  const contacts = useContacts(customer.id);
  const remove = useDeleteContact(customer.id);
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  const [q, setQ] = useState('');

  const tree = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const all = contacts.data?.items ?? [];
    const shown = needle
      ? all.filter((c) => [c.fullName, c.phone, c.email, c.department, c.role].some((x) => x?.toLowerCase().includes(needle)))
      : all;
    return buildTree(shown, t('contacts.noDepartment'), t('contacts.noRole'), i18n.language);
  }, [contacts.data, q, t, i18n.language]);

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <TextInput label={t('contacts.search')} type="search" value={q} onChange={(e) => setQ(e.currentTarget.value)} />
        <Button onClick={() => setEditing('new')}>{t('contacts.add')}</Button>
      </Group>
      {customer.idType === 'company' && (
        <Alert color="blue" variant="light">
          {t('contacts.regulationHint')}
        </Alert>
      )}
      {contacts.isLoading && <Loader aria-label={t('app.loading')} />}
      {contacts.data && tree.size === 0 && <Text c="dimmed">{t('contacts.empty')}</Text>}
      <Stack component="ul" aria-label={t('contacts.title')} style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {[...tree.entries()].map(([dept, roles]) => (
          <Paper key={dept} component="li" withBorder p="sm">
            <Title order={5}>{dept}</Title>
            <Stack component="ul" gap="xs" style={{ listStyle: 'none', paddingInlineStart: 16, margin: 0 }}>
              {[...roles.entries()].map(([role, people]) => (
                <li key={role}>
                  <Text fw={500} c="dimmed" size="sm">
                    {role}
                  </Text>
                  <Stack component="ul" gap={4} style={{ listStyle: 'none', paddingInlineStart: 16, margin: 0 }}>
                    {people.map((c) => (
                      <Group key={c.id} component="li" justify="space-between" wrap="nowrap">
                        <div>
                          <Text>{c.fullName}</Text>
                          <Text size="xs" c="dimmed">
                            <span dir="ltr">{[c.phone, c.email].filter(Boolean).join(' · ')}</span>
                            {c.legalStatus ? ` · ${t(`legalStatus.${c.legalStatus}`)}` : ''}
                          </Text>
                        </div>
                        <Group gap="xs" wrap="nowrap">
                          <Button size="compact-sm" variant="light" onClick={() => setEditing(c)}>
                            {t('app.edit')}
                          </Button>
                          <ConfirmButton
                            size="compact-sm"
                            onConfirm={() =>
                              remove.mutateAsync(c.id).then(() => notify.success(t('contacts.deleted')), (e: unknown) => report(e))
                            }
                          >
                            {t('app.delete')}
                          </ConfirmButton>
                        </Group>
                      </Group>
                    ))}
                  </Stack>
                </li>
              ))}
            </Stack>
          </Paper>
        ))}
      </Stack>
      {editing && <ContactForm customerId={customer.id} contact={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}
