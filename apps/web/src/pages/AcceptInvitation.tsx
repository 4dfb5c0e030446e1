import { useState } from 'react';
import { Alert, Button, Center, Group, Loader, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';
import { useAcceptInvitation, useInvitationPreview } from '../api/owner';
import { useLogout, useSession } from '../api/session';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useNotify } from '../components/Notifier';
import { currentLanguage } from '../i18n';
import { fieldKey } from '../lib/form';

/** A long button label wraps on a narrow screen instead of being cut off. */
const WRAP = { label: { whiteSpace: 'normal' as const } };

/**
 * The page of an emailed membership invitation (`/accept-invitation?token=…`): the database and
 * the role; the invited account accepts (logged in), a new address chooses a name and a password.
 * The membership exists only after this.
 */
export function AcceptInvitation() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const preview = useInvitationPreview(token);
  const session = useSession();
  const accept = useAcceptInvitation();
  const logout = useLogout();
  const navigate = useNavigate();
  const notify = useNotify();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const here = `/accept-invitation?token=${encodeURIComponent(token)}`;

  const done = (tenantName: string) => {
    notify.success(t('acceptInvitation.accepted', { name: tenantName }));
    navigate('/customers', { replace: true });
  };
  const [fieldErrors, setFieldErrors] = useState<{ name?: string; password?: string }>({});
  const fail = (err: unknown) => {
    if (!isApiError(err)) return setError(t('app.unexpectedError'));
    // The name and the password problems go next to their fields; the rest above the form.
    const inline: { name?: string; password?: string } = {};
    const rest: string[] = [];
    for (const f of err.fields) {
      const key = fieldKey(f.path);
      if (key === 'name' || key === 'password') inline[key] ??= f.message;
      else rest.push(f.message);
    }
    setFieldErrors(inline);
    setError(Object.keys(inline).length > 0 && rest.length === 0 ? null : [err.message, ...rest].join(' · '));
  };

  let body: React.ReactNode;
  if (!token) body = <Alert color="red">{t('acceptInvitation.missing')}</Alert>;
  else if (preview.isLoading || session.isLoading) body = <Group><Loader size="sm" /><Text>{t('acceptInvitation.loading')}</Text></Group>;
  else if (preview.error) {
    // A malformed token is refused as a validation error ("some fields are invalid"), which means
    // nothing on this page: it is the same broken link as an unknown one.
    const message = !isApiError(preview.error)
      ? t('app.unexpectedError')
      : preview.error.status === 400
        ? t('acceptInvitation.invalidLink')
        : preview.error.message;
    body = <Alert color="red" role="alert">{message}</Alert>;
  }
  else if (preview.data) {
    const inv = preview.data;
    const intro = (
      <>
        <Text>{t('acceptInvitation.intro', { name: inv.tenantName, role: t(`admin.users.roles.${inv.role}`) })}</Text>
        <Text size="sm" c="dimmed">
          {t('acceptInvitation.forEmail')}{' '}
          {/* One block, so a narrow screen moves the address to the next line instead of breaking it at a hyphen. */}
          <span dir="ltr" style={{ display: 'inline-block', overflowWrap: 'anywhere' }}>
            {inv.email}
          </span>
        </Text>
      </>
    );
    const me = session.data?.user.email;
    if (!inv.hasAccount) {
      body = (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            setFieldErrors({});
            accept.mutate({ token, name: name.trim(), password, language: currentLanguage() }, { onSuccess: () => done(inv.tenantName), onError: fail });
          }}
        >
          <Stack>
            {intro}
            <Text>{t('acceptInvitation.chooseDetails')}</Text>
            <TextInput label={t('acceptInvitation.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldErrors.name} />
            <PasswordInput
              label={t('acceptInvitation.password')}
              required
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldErrors.password}
            />
            <Button type="submit" loading={accept.isPending}>{t('acceptInvitation.register')}</Button>
          </Stack>
        </form>
      );
    } else if (!me) {
      body = (
        <Stack>
          {intro}
          <Text>{t('acceptInvitation.loginFirst')}</Text>
          <Button onClick={() => navigate('/login', { state: { from: here } })}>{t('acceptInvitation.login')}</Button>
        </Stack>
      );
    } else if (me !== inv.email) {
      body = (
        <Stack>
          {intro}
          <Alert color="yellow">{t('acceptInvitation.otherAccount', { email: me })}</Alert>
          <Button variant="default" h="auto" py={6} styles={WRAP} loading={logout.isPending} onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login', { state: { from: here } }) })}>
            {t('acceptInvitation.logout')}
          </Button>
        </Stack>
      );
    } else {
      body = (
        <Stack>
          {intro}
          <Button loading={accept.isPending} onClick={() => { setError(null); accept.mutate({ token }, { onSuccess: () => done(inv.tenantName), onError: fail }); }}>
            {t('acceptInvitation.accept')}
          </Button>
        </Stack>
      );
    }
  }

  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={440} maw="100%">
        <Stack>
          <Group justify="space-between" wrap="nowrap">
            <Title order={2} c="teal.8">{t('app.name')}</Title>
            <LanguageSwitch />
          </Group>
          <Title order={3}>{t('acceptInvitation.title')}</Title>
          {error && <Alert color="red" role="alert">{error}</Alert>}
          {body}
        </Stack>
      </Paper>
    </Center>
  );
}
