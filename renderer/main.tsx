// Renderer entry: one QueryClient (no retries of 4xx answers, no refetch on focus: the status
// view refreshes on its own schedule), the connections context, and the app shell.
import './lib/zod-jitless.ts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isOpsError } from './api/errors.ts';
import { App } from './App.tsx';
import { ConnectionsProvider } from './features/connections/ConnectionsProvider.tsx';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // A 4xx answer or a cancelled request will not change on retry; a network blip may.
      retry: (failureCount, error) => failureCount < 1 && !(isOpsError(error) && (error.failure === 'aborted' || (error.status !== undefined && error.status < 500))),
    },
    mutations: { retry: false },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('Peerdesk renderer: #root element missing from index.html');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ConnectionsProvider>
        <App />
      </ConnectionsProvider>
    </QueryClientProvider>
  </StrictMode>,
);
