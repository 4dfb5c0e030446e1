import { useMemo } from 'react';
import { DirectionProvider, MantineProvider } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { isApiError } from './api/client';
import { sessionKey } from './api/session';
import i18n, { directionOf, currentLanguage } from './i18n';
import { DirectionSync } from './components/LanguageSwitch';
import { Layout, RequireAdmin } from './components/Layout';
import { NotifierProvider } from './components/Notifier';
import { Login } from './pages/Login';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { Databases } from './pages/owner/Databases';
import { CustomerList } from './pages/CustomerList';
import { CreateCustomer } from './pages/CreateCustomer';
import { CustomerCard } from './pages/CustomerCard';
import { ImportWizard } from './pages/ImportWizard';
import { Branches } from './pages/admin/Branches';
import { Brokers } from './pages/admin/Brokers';
import { Users } from './pages/admin/Users';
import { CustomFields } from './pages/admin/CustomFields';
import { TenantSettings } from './pages/admin/TenantSettings';
import { Mailboxes } from './pages/admin/Mailboxes';
import { Suppressions } from './pages/admin/Suppressions';
import { Channels } from './pages/admin/Channels';
import { ChannelDetail } from './pages/admin/ChannelDetail';
import { TemplateEditor } from './pages/mail/TemplateEditor';
import { MailRunWizard } from './pages/mail/MailRunWizard';
import { MailRuns } from './pages/mail/MailRuns';
import { NotFound } from './pages/NotFound';
import { buildTheme } from './theme';

/** A 401 anywhere means the session ended: drop it, and the layout sends the user to log in. */
function onUnauthorized(err: unknown, key?: readonly unknown[]): void {
  if (isApiError(err) && err.status === 401 && key?.[0] !== sessionKey[0]) queryClient.setQueryData(sessionKey, null);
}

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (err, query) => onUnauthorized(err, query.queryKey) }),
  mutationCache: new MutationCache({ onError: (err, _vars, _ctx, mutation) => onUnauthorized(err, mutation.options.mutationKey ?? []) }),
  defaultOptions: {
    queries: {
      retry: (count, err) => !(isApiError(err) && err.status >= 400 && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});

// Status-move reasons are worded by the server in the caller's language: fetch them again.
i18n.on('languageChanged', () => void queryClient.invalidateQueries({ predicate: (q) => q.queryKey.includes('status-moves') }));

export function App() {
  const { t, i18n } = useTranslation();
  const theme = useMemo(() => buildTheme(t), [t, i18n.language]);
  return (
    <DirectionProvider initialDirection={directionOf(currentLanguage())} detectDirection={false}>
      <MantineProvider theme={theme}>
        <DirectionSync />
        <QueryClientProvider client={queryClient}>
          <NotifierProvider>
            <BrowserRouter>
              <Routes>
                <Route path="/login" element={<Login />} />
                <Route path="/accept-invitation" element={<AcceptInvitation />} />
                <Route element={<Layout />}>
                  <Route index element={<Navigate to="/customers" replace />} />
                  <Route path="/customers" element={<CustomerList />} />
                  <Route path="/customers/new" element={<CreateCustomer />} />
                  <Route path="/customers/import" element={<ImportWizard />} />
                  <Route path="/customers/:id" element={<CustomerCard />} />
                  <Route path="/admin/branches" element={<RequireAdmin><Branches /></RequireAdmin>} />
                  <Route path="/admin/brokers" element={<RequireAdmin><Brokers /></RequireAdmin>} />
                  <Route path="/admin/users" element={<RequireAdmin><Users /></RequireAdmin>} />
                  <Route path="/admin/custom-fields" element={<RequireAdmin><CustomFields /></RequireAdmin>} />
                  <Route path="/admin/tenant" element={<RequireAdmin><TenantSettings /></RequireAdmin>} />
                  <Route path="/admin/mailboxes" element={<RequireAdmin><Mailboxes /></RequireAdmin>} />
                  <Route path="/admin/suppressions" element={<RequireAdmin><Suppressions /></RequireAdmin>} />
                  <Route path="/admin/channels" element={<RequireAdmin><Channels /></RequireAdmin>} />
                  <Route path="/admin/channels/:id" element={<RequireAdmin><ChannelDetail /></RequireAdmin>} />
                  <Route path="/mail/templates" element={<TemplateEditor />} />
                  <Route path="/mail/invite" element={<MailRunWizard key="invitations" kind="invitations" />} />
                  <Route path="/mail/bulk" element={<MailRunWizard key="bulk-emails" kind="bulk-emails" />} />
                  <Route path="/mail/runs" element={<MailRuns />} />
                  <Route path="/owner/databases" element={<Databases />} />
                  <Route path="*" element={<NotFound />} />
                </Route>
              </Routes>
            </BrowserRouter>
          </NotifierProvider>
        </QueryClientProvider>
      </MantineProvider>
    </DirectionProvider>
  );
}
