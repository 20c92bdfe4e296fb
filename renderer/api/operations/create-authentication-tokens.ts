/**
 * create_authentication_tokens: trades a user name and password for an operation token and a
 * refresh token, so the app keeps tokens and never the password.
 */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface CreateAuthenticationTokensRequest {
  username: string;
  password: string;
}
export interface CreateAuthenticationTokensResponse {
  operation_token: string;
  refresh_token: string;
}

export function createAuthenticationTokens(client: OpsClient, request: CreateAuthenticationTokensRequest, signal?: AbortSignal): Promise<CreateAuthenticationTokensResponse> {
  return client.call<CreateAuthenticationTokensResponse>('create_authentication_tokens', request, { signal });
}

export function createAuthenticationTokensMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'create_authentication_tokens'),
    mutationFn: (request: CreateAuthenticationTokensRequest) => createAuthenticationTokens(client, request),
  });
}
