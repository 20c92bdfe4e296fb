/**
 * Minimal operations API client (SPEC 2): POSTs one operation to a node with Basic auth and
 * returns its JSON, or throws OpsRequestError carrying the node's `error` text and HTTP status.
 */

export interface Credentials {
  username: string;
  password: string;
}

export class OpsRequestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'OpsRequestError';
    this.status = status;
  }
}

/** `btoa` only takes Latin-1; encode as UTF-8 first so any password works. */
function basicAuth({ username, password }: Credentials): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** Turns whatever a failed response carried into text a person can read. */
function errorText(status: number, body: unknown, raw: string): string {
  if (body && typeof body === 'object' && 'error' in body) {
    const error = (body as { error: unknown }).error;
    return typeof error === 'string' ? error : JSON.stringify(error);
  }
  return raw.trim() || `HTTP ${status}`;
}

/** Sends `{operation, ...}` to `baseUrl` ('' = the origin that served this page). */
export async function postOperation<T>(
  request: { operation: string } & Record<string, unknown>,
  credentials: Credentials,
  baseUrl = '',
  signal?: AbortSignal,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(credentials) },
      body: JSON.stringify(request),
      signal: signal ?? null,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new OpsRequestError(0, `Cannot reach the node: ${(cause as Error).message}`);
  }
  const raw = await response.text();
  let body: unknown = undefined;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    // Not JSON: reported below from the raw text.
  }
  if (!response.ok) throw new OpsRequestError(response.status, errorText(response.status, body, raw));
  if (body === undefined) throw new OpsRequestError(response.status, 'The node sent a response that is not JSON');
  return body as T;
}
