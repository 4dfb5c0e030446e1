import { Badge, Button, PasswordInput, Select, Switch, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ROLES, type Language, type Role, type User } from '@kesher/contracts';
import { useSaveUser, useUnlockUser, useUsers } from '../../api/admin';
import { useSession } from '../../api/session';
import { AdminListPage } from '../../components/AdminListPage';
import { FormModal } from '../../components/FormModal';
import { useNotify, useReportError, useSaveFeedback } from '../../components/Notifier';
import { LanguageSelect } from '../../components/Pickers';
import { useFormState } from '../../lib/form';

const FIELDS = ['email', 'name', 'role', 'language', 'password', 'active'] as const;

export function Users() {
  const { t } = useTranslation();
  const users = useUsers();
  const unlock = useUnlockUser();
  const notify = useNotify();
  const report = useReportError();
  return (
    <AdminListPage
      title={t('admin.users.title')}
      addLabel={t('admin.users.add')}
      rows={users.data?.items ?? []}
      columns={[
        { label: t('admin.users.name'), cell: (u) => u.name },
        { label: t('admin.users.email'), cell: (u) => <span dir="ltr">{u.email}</span> },
        { label: t('admin.users.role'), cell: (u) => t(`admin.users.roles.${u.role}`) },
        { label: t('admin.users.language'), cell: (u) => t(`language.${u.language}`) },
        {
          label: t('admin.users.active'),
          cell: (u) => (
            <Badge color={u.active ? 'teal' : 'gray'} variant="light">
              {u.active ? t('admin.users.active') : t('admin.users.inactive')}
            </Badge>
          ),
        },
      ]}
      moreActions={(u) => (
        <Button
          size="compact-sm"
          variant="subtle"
          loading={unlock.isPending && unlock.variables === u.id}
          onClick={() => unlock.mutate(u.id, { onSuccess: () => notify.success(t('admin.users.unlocked')), onError: (e) => report(e) })}
        >
          {t('admin.users.unlock')}
        </Button>
      )}
      dialog={(user, close) => <UserForm user={user} onClose={close} />}
    />
  );
}

function UserForm({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSaveUser();
  const session = useSession();
  // Name, language and password belong to the account: only the user or the owner changes them (the server says so too).
  const accountEditable = !user || !!session.data?.owner || session.data?.user.id === user.id;
  const form = useFormState({
    email: user?.email ?? '',
    name: user?.name ?? '',
    role: (user?.role ?? 'staff') as Role,
    language: (user?.language ?? 'he') as Language | null,
    password: '',
    active: user?.active ?? true,
  });
  const notify = useNotify();
  const report = useReportError();
  const saved = useSaveFeedback({ known: FIELDS, setErrors: form.setErrors }, onClose);
  // A new address and an address with an account (an invitation) get the same reply, so the
  // message covers both: otherwise "saved" and no new row in the list look like a failure.
  const feedback = user
    ? saved
    : {
        onSuccess: () => {
          notify.success(t('admin.users.added'));
          onClose();
        },
        onError: (err: unknown) => report(err, { known: FIELDS, setErrors: form.setErrors }),
      };
  const v = form.values;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const account = { name: v.name.trim(), language: v.language ?? 'he' };
    const body = user
      ? { role: v.role, active: v.active, ...(accountEditable ? { ...account, ...(v.password ? { password: v.password } : {}) } : {}) }
      : { ...account, role: v.role, email: v.email.trim(), password: v.password };
    save.mutate({ id: user?.id, body }, feedback);
  };
  return (
    <FormModal title={user ? t('admin.users.editTitle') : t('admin.users.newTitle')} onClose={onClose} onSubmit={submit} saving={save.isPending}>
      <TextInput
        label={t('admin.users.email')}
        type="email"
        dir="ltr"
        required={!user}
        disabled={!!user}
        value={v.email}
        onChange={(e) => form.set('email', e.currentTarget.value)}
        error={form.errors.email}
      />
      {!user && (
        <Text size="sm" c="dimmed">
          {t('admin.users.inviteHint')}
        </Text>
      )}
      {!accountEditable && (
        <Text size="sm" c="dimmed">
          {t('admin.users.accountFieldsHint')}
        </Text>
      )}
      <TextInput label={t('admin.users.name')} required disabled={!accountEditable} value={v.name} onChange={(e) => form.set('name', e.currentTarget.value)} error={form.errors.name} />
      <Select
        label={t('admin.users.role')}
        data={ROLES.map((r) => ({ value: r, label: t(`admin.users.roles.${r}`) }))}
        value={v.role}
        onChange={(x) => x && form.set('role', x as Role)}
        allowDeselect={false}
        error={form.errors.role}
      />
      <LanguageSelect label={t('admin.users.language')} disabled={!accountEditable} value={v.language} onChange={(x) => form.set('language', x)} error={form.errors.language} />
      {accountEditable && (
        <PasswordInput
          label={user ? t('admin.users.newPassword') : t('admin.users.password')}
          required={!user}
          autoComplete="new-password"
          value={v.password}
          onChange={(e) => form.set('password', e.currentTarget.value)}
          error={form.errors.password}
        />
      )}
      {user && <Switch label={t('admin.users.active')} description={t('admin.users.activeHint')} checked={v.active} onChange={(e) => form.set('active', e.currentTarget.checked)} />}
    </FormModal>
  );
}
