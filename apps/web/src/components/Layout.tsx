import { Anchor, AppShell, Button, Center, Container, Group, Loader, Menu, Text, Title } from '@mantine/core';
import { Link, NavLink, Navigate, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useLogout, useSession } from '../api/session';
import { LanguageSwitch } from './LanguageSwitch';

function TopLink({ to, children }: { to: string; children: string }) {
  return (
    <Anchor
      component={NavLink}
      to={to}
      end
      fw={500}
      underline="never"
      style={({ isActive }: { isActive: boolean }) => ({ textDecoration: isActive ? 'underline' : undefined, whiteSpace: 'nowrap' })}
    >
      {children}
    </Anchor>
  );
}

/** The signed-in frame: header with navigation, admin menu (admins only), language switch, logout. */
export function Layout() {
  const { t } = useTranslation();
  const session = useSession();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();

  if (session.isLoading) {
    return (
      <Center h="100vh">
        <Loader aria-label={t('app.loading')} />
      </Center>
    );
  }
  if (!session.data) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  const { user, tenant } = session.data;

  return (
    <AppShell header={{ height: 60 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          {/* On a narrow screen the links scroll sideways; the language switch and logout stay in view. */}
          <Group gap="lg" component="nav" aria-label={t('nav.main')} wrap="nowrap" style={{ overflowX: 'auto', minWidth: 0, flex: 1 }}>
            <Title order={3} c="teal.8">
              <Link to="/customers" style={{ color: 'inherit', textDecoration: 'none' }}>
                {t('app.name')}
              </Link>
            </Title>
            <TopLink to="/customers">{t('nav.customers')}</TopLink>
            <TopLink to="/customers/new">{t('nav.newCustomer')}</TopLink>
            <TopLink to="/customers/import">{t('nav.importCustomers')}</TopLink>
            <Menu position="bottom-start">
              <Menu.Target>
                <Button variant="subtle" size="compact-md">
                  {t('nav.mail')}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component={Link} to="/mail/invite">{t('nav.invite')}</Menu.Item>
                <Menu.Item component={Link} to="/mail/bulk">{t('nav.bulkEmail')}</Menu.Item>
                <Menu.Item component={Link} to="/mail/runs">{t('nav.mailRuns')}</Menu.Item>
                <Menu.Divider />
                <Menu.Item component={Link} to="/mail/templates">{t('nav.templates')}</Menu.Item>
              </Menu.Dropdown>
            </Menu>
            {user.role === 'admin' && (
              <Menu position="bottom-start">
                <Menu.Target>
                  <Button variant="subtle" size="compact-md">
                    {t('nav.admin')}
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item component={Link} to="/admin/branches">{t('nav.branches')}</Menu.Item>
                  <Menu.Item component={Link} to="/admin/users">{t('nav.users')}</Menu.Item>
                  <Menu.Item component={Link} to="/admin/custom-fields">{t('nav.customFields')}</Menu.Item>
                  <Menu.Item component={Link} to="/admin/brokers">{t('nav.brokers')}</Menu.Item>
                  <Menu.Item component={Link} to="/admin/tenant">{t('nav.tenant')}</Menu.Item>
                  <Menu.Divider />
                  <Menu.Item component={Link} to="/admin/mailboxes">{t('nav.mailboxes')}</Menu.Item>
                  <Menu.Item component={Link} to="/admin/suppressions">{t('nav.suppressions')}</Menu.Item>
                  <Menu.Divider />
                  <Menu.Item component={Link} to="/admin/channels">{t('nav.channels')}</Menu.Item>
                </Menu.Dropdown>
              </Menu>
            )}
            {session.data.owner && <TopLink to="/owner/databases">{t('nav.databases')}</TopLink>}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="sm">
              {t('nav.signedInAs', { name: user.name })} · {tenant.name}
            </Text>
            <LanguageSwitch />
            <Button
              variant="default"
              size="compact-sm"
              loading={logout.isPending}
              onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}
            >
              {t('nav.logout')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Container size="xl" px={0}>
          <Outlet />
        </Container>
      </AppShell.Main>
    </AppShell>
  );
}

/** Admin pages: only for role admin (the server enforces it too). */
export function RequireAdmin({ children }: { children: React.ReactNode }) {
  const { t } = useTranslation();
  const session = useSession();
  if (session.data?.user.role !== 'admin') return <Text c="red">{t('app.noPermission')}</Text>;
  return <>{children}</>;
}
