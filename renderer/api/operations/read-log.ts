/** read_log: the node's most recent log lines (super_user), newest first by default. */
import { queryOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'notify'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ReadLogRequest {
  limit?: number;
  start?: number;
  level?: LogLevel;
  from?: string;
  until?: string;
  order?: 'asc' | 'desc';
}

export interface LogLine {
  level: LogLevel | string;
  message: string;
  timestamp: string;
  [field: string]: unknown;
}
export type ReadLogResponse = LogLine[];

export function readLog(client: OpsClient, request: ReadLogRequest = {}, signal?: AbortSignal): Promise<ReadLogResponse> {
  return client.call<ReadLogResponse>('read_log', request, { signal });
}

export function readLogQuery(client: OpsClient, request: ReadLogRequest = {}) {
  return queryOptions({
    queryKey: opsKey(client, 'read_log', request),
    queryFn: ({ signal }) => readLog(client, request, signal),
  });
}
