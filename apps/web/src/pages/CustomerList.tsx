import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Center, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useCustomerCount, useCustomerList } from '../api/customers';
import { CustomerFiltersPanel } from '../components/CustomerFiltersPanel';
import { CustomerTable } from '../components/CustomerTable';
import { ExportButton } from '../components/ExportButton';
import { useFormat } from '../i18n/format';
import { filtersFromParams, withParam } from '../lib/listParams';

const listQuery = (params: URLSearchParams) => (params.size > 0 ? `?${params.toString()}` : '');

export function CustomerList() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [debounced] = useDebouncedValue(search, 300);

  // The search box drives `q` in the address bar, a moment after typing stops.
  useEffect(() => {
    if ((params.get('q') ?? '') !== debounced.trim()) setParams(withParam(params, 'q', debounced.trim()), { replace: true });
  }, [debounced]); // only when the typed text settles, not when other filters change

  const filters = useMemo(() => filtersFromParams(params), [params]);
  const list = useCustomerList(filters);
  const count = useCustomerCount(filters);
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('list.title')}</Title>
        <Group>
          {/* The mail wizards start from this list's search and filters. */}
          <ExportButton params={params} />
          <Button component={Link} to={`/mail/invite${listQuery(params)}`} variant="light">
            {t('list.invite')}
          </Button>
          <Button component={Link} to={`/mail/bulk${listQuery(params)}`} variant="light">
            {t('list.bulkEmail')}
          </Button>
          <Button component={Link} to="/customers/new">
            {t('nav.newCustomer')}
          </Button>
        </Group>
      </Group>
      <TextInput
        type="search"
        size="md"
        label={t('list.search')}
        description={t('list.searchHint')}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        rightSection={list.isFetching && !list.isFetchingNextPage ? <Loader size="xs" /> : null}
      />
      <CustomerFiltersPanel params={params} onChange={(next) => {
          if (next.size === 0) setSearch('');
          setParams(next, { replace: true });
        }}
      />

      <Text size="sm" c="dimmed" aria-live="polite">
        {count.data
          ? t(count.data.exact === false ? 'list.totalCapped' : 'list.total', { n: fmt.number(count.data.count) })
           : count.isError ? '' : t('list.counting')}
      </Text>

      {list.isError && (
        <Alert color="red" role="alert">
          {list.error.message}
        </Alert>
      )}
      {list.isLoading ? (
        <Center p="xl">
          <Loader aria-label={t('app.loading')} />
        </Center>
      ) : items.length === 0 && !list.isError ? (
        params.size === 0 ? (
          // No search and no filter: the database itself is empty, so say how to fill it.
          <Stack gap="sm" align="flex-start">
            <Text c="dimmed">{t('list.emptyStart')}</Text>
            <Group>
              <Button component={Link} to="/customers/new" variant="light">
                {t('nav.newCustomer')}
              </Button>
              <Button component={Link} to="/customers/import" variant="light">
                {t('nav.importCustomers')}
              </Button>
            </Group>
          </Stack>
        ) : (
          <Text c="dimmed">{t('list.emptyFiltered')}</Text>
        )
      ) : (
        <CustomerTable items={items} caption={t('list.results')} />
      )}
      {list.hasNextPage && (
        <Center>
          <Button variant="light" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {t('app.loadMore')}
          </Button>
        </Center>
      )}
    </Stack>
  );
}
