/**
 * "Test connection": proves a URL is a node's operations API and, with credentials, that they
 * log in; returns what was found as a sentence, or throws the OpsError of the step that failed.
 */
import { isOpsError, OpsError } from '../../api/errors.ts';
import { OpsClient } from '../../api/ops-client.ts';
import { createAuthenticationTokens } from '../../api/operations/create-authentication-tokens.ts';
import { systemInformation } from '../../api/operations/system-information.ts';
import { registrationInfo, summarizeSystem, versionText } from '../../api/operations/system-summary.ts';
import { userInfo } from '../../api/operations/user-info.ts';
import { nodeLabel } from './model.ts';

const TEST_TIMEOUT_MS = 8_000;

export async function testConnection(name: string, url: string, credentials: { username: string; password: string } | null): Promise<string> {
  const label = nodeLabel({ name: name || 'the new connection', url });
  const base = { connectionId: 'connection-test', nodeLabel: label, baseUrl: url, timeoutMs: TEST_TIMEOUT_MS };
  if (!credentials) {
    try {
      await userInfo(new OpsClient({ ...base, auth: { kind: 'none' } }));
      return `Reachable: ${url} answered without a login.`;
    } catch (error) {
      if (isOpsError(error) && error.status === 401) return `Reachable: ${url} is an operations API and asks for a login. Enter a user name and password to log in.`;
      if (isOpsError(error)) throw new OpsError('test_connection', error.node, error.failure, error.serverMessage, error.status);
      throw error;
    }
  }
  const tokens = await createAuthenticationTokens(new OpsClient({ ...base, auth: { kind: 'none' } }), credentials);
  const client = new OpsClient({ ...base, auth: { kind: 'token', operationToken: tokens.operation_token } });
  const info = await systemInformation(client, { attributes: ['system'] });
  const registration = info.system?.peerdesk_version ? null : await registrationInfo(client);
  const summary = summarizeSystem(info, registration);
  const node = summary.nodeName ? `node ${summary.nodeName}` : summary.hostname ? `host ${summary.hostname}` : 'an unnamed node';
  return `Connected: logged in as ${credentials.username} on ${node} (${versionText(summary)}).`;
}
