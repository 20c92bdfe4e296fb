/**
 * The window's security policy as plain data and predicates (CSP, navigation, permissions),
 * kept free of Electron so tests check it directly; window.ts wires it into a BrowserWindow.
 */

/** Content-Security-Policy for every response shown in the window. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

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
