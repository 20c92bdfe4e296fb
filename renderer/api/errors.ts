/**
 * The renderer's one error type for a failed operation, and `errorText`: the one place that
 * turns any failure (unreachable node, timeout, 4xx/5xx with {error}, a body that is not JSON,
 * a bug) into a sentence saying what failed, on which node, what the node said, and what to do
 * next. Never "[object Object]".
 */
import { bridgeNextStep, isPeerdeskError } from './bridge.ts';

export type OpsFailure = 'network' | 'timeout' | 'aborted' | 'http' | 'bad-json' | 'client';

export class OpsError extends Error {
  constructor(
    /** the operation, e.g. "describe_all" */
    readonly operation: string,
    /** the node as the user knows it: connection name and URL */
    readonly node: string,
    readonly failure: OpsFailure,
    /** what the node (or the network layer) said, in its own words */
    readonly serverMessage: string,
    /** HTTP status when the node answered */
    readonly status?: number,
  ) {
    super(`${operation} on ${node}: ${serverMessage}`);
    this.name = 'OpsError';
  }
}

/** A failure that is a fact about a node, already said in full (not an app bug): shown as it is. */
export class NodeFactError extends Error {
  override name = 'NodeFactError';
}

export function isOpsError(error: unknown): error is OpsError {
  return error instanceof OpsError;
}

/** An operation's name as a person reads it: "describe_all" → "describe all". */
export function operationWords(operation: string): string {
  const named: Record<string, string> = {
    create_authentication_tokens: 'Logging in',
    test_connection: 'Testing the connection',
    refresh_operation_token: 'Renewing the session',
    search_by_conditions: 'Searching',
    search_by_value: 'Searching',
    search_by_id: 'Reading the record',
    cluster_status: 'Reading the cluster status',
    system_information: 'Reading system information',
    get_configuration: 'Reading the configuration',
    read_log: 'Reading the log',
    describe_all: 'Listing databases',
    describe_database: 'Listing tables',
    describe_table: 'Describing the table',
    insert: 'Inserting',
    update: 'Saving',
    delete: 'Deleting',
    drop_table: 'Dropping the table',
    list_users: 'Listing users',
    user_info: 'Reading your user',
    add_node: 'Adding the peer',
    update_node: 'Updating the peer',
    remove_node: 'Removing the peer',
    list_certificates: 'Listing certificates',
    add_certificate: 'Adding the certificate',
    remove_certificate: 'Removing the certificate',
  };
  return named[operation] ?? `The ${operation.replaceAll('_', ' ')} operation`;
}

/** What to try next, from how the operation failed. */
function nextStep(error: OpsError): string {
  switch (error.failure) {
    case 'network':
      return 'Check that the node is running, that the URL (http/https, host and port) is right, and that the node allows this app in operationsApi.network.cors.';
    case 'timeout':
      return 'The node may be overloaded or unreachable; try again, or check it from the status view.';
    case 'aborted':
      return 'Nothing was changed by this app; run it again if you still need it.';
    case 'bad-json':
      return 'Check that the URL points to the operations API of a Peerdesk or HarperDB node, not a web page or proxy.';
    case 'client':
      return 'Correct the input and try again.';
    case 'http':
      break;
  }
  const status = error.status ?? 0;
  if (error.operation === 'add_node' && /Login failed/i.test(error.serverMessage)) {
    return 'Check the user name and password: add_node needs those of a super_user on the node being added.';
  }
  if (status === 401) {
    return error.operation === 'create_authentication_tokens'
      ? 'Check the user name and password.'
      : 'Log in again: the session expired or the credentials changed.';
  }
  if (status === 403) return 'Log in as a user with the super_user role for this.';
  if (status === 404) return 'Refresh the list: it may have been dropped or renamed.';
  if (status === 413) return 'Send fewer or smaller records at once.';
  if (status === 429) return 'Wait a minute before trying again.';
  if (status >= 500) return "Look in the node's log (Node view) for the request id.";
  return 'Correct the request and try again.';
}

/** The node's own words for a failure, whatever shape they came in. */
export function messageOf(value: unknown): string {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ['error', 'message']) {
      const inner = record[key];
      if (typeof inner === 'string' && inner) return inner;
      if (inner && typeof inner === 'object') return messageOf(inner);
    }
    try {
      return JSON.stringify(value);
    } catch {
      return 'an error that cannot be shown';
    }
  }
  return String(value);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** One paragraph a person understands, for any thrown value. */
export function errorText(error: unknown): string {
  if (isOpsError(error)) {
    const preposition = error.operation === 'create_authentication_tokens' || error.operation === 'test_connection' ? 'to' : 'on';
    const what = `${operationWords(error.operation)} ${preposition} ${error.node} failed`;
    let said: string;
    switch (error.failure) {
      case 'network':
        said = `the node could not be reached (${error.serverMessage})`;
        break;
      case 'timeout':
        said = `the node did not answer: ${error.serverMessage}`;
        break;
      case 'bad-json':
        said = `the answer was not JSON (HTTP ${error.status ?? '?'}: ${error.serverMessage})`;
        break;
      case 'http':
        said = `${error.serverMessage || 'no message'} (HTTP ${error.status})`;
        break;
      default:
        said = error.serverMessage;
    }
    return `${what}: ${sentence(said)} ${nextStep(error)}`;
  }
  if (isPeerdeskError(error)) {
    return `${sentence(`The desktop app could not do that: ${error.message}`)} ${bridgeNextStep(error.code)}`;
  }
  if (error instanceof NodeFactError) return sentence(error.message);
  const text = messageOf(error);
  return text ? sentence(`Something went wrong in the app: ${text}`) + ' Reload the page if it persists.' : 'Something went wrong in the app. Reload the page if it persists.';
}
