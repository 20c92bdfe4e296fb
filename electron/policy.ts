/**
 * The window's security policy as plain data and predicates (CSP, navigation, permissions),
 * kept free of Electron so tests check it directly; window.ts wires it into a BrowserWindow.
 */

/** Content-Security-Policy for every response shown in the window: the node serves the same one to browsers. */
import { CONTENT_SECURITY_POLICY } from '../node-core/security/csp.ts';
export { CONTENT_SECURITY_POLICY };

/** Permissions the UI may use (only from its own origin); everything else is denied. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

function sameOrigin(url: string, trustedOrigin: string | null): boolean {
  if (!trustedOrigin) return false;
  try {
    return new URL(url).origin === new URL(trustedOrigin).origin;
  } catch {
    return false;
  }
}

/** In-window navigation stays on the UI's own origin; anything else is blocked. */
export function isNavigationAllowed(url: string, trustedOrigin: string | null): boolean {
  return sameOrigin(url, trustedOrigin);
}

export function isPermissionAllowed(permission: string, requestingUrl: string, trustedOrigin: string | null): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && sameOrigin(requestingUrl, trustedOrigin);
}

/** Response headers plus our CSP; a policy the server sent stays too, so both are enforced. */
export function withContentSecurityPolicy(
  headers: Record<string, string[]> | undefined,
): Record<string, string[]> {
  const result = { ...headers };
  const name = Object.keys(result).find((n) => n.toLowerCase() === 'content-security-policy');
  const key = name ?? 'Content-Security-Policy';
  result[key] = [...(result[key] ?? []), CONTENT_SECURITY_POLICY];
  return result;
}

/**
 * A link the user's browser may open: an absolute http(s) URL without credentials, normalised;
 * null for anything else (file:, javascript:, custom schemes, relative or malformed URLs).
 */
export function externalHttpUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username || parsed.password || !parsed.hostname) return null;
  return parsed.href;
}

/** The page shown until the embedded node serves the UI: no script, its own CSP, text escaped. */
export function statusPageUrl(title: string, detail: string): string {
  const escape = (text: string) =>
    text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
  const html = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Peerdesk</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; height: 100vh; display: grid; place-items: center; }
  main { max-width: 40rem; padding: 2rem; }
  p.title { font-size: 1.25rem; margin: 0 0 .5rem; }
  pre { white-space: pre-wrap; opacity: .8; font: inherit; margin: 0; }
</style></head>
<body><main role="status"><p class="title">${escape(title)}</p><pre>${escape(detail)}</pre></main></body></html>`;
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}
