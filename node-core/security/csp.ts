/**
 * The one Content-Security-Policy of the UI, and the headers every UI response carries (issue 10
 * item 11). The Electron window (electron/policy.ts) and the node's own static server both use
 * it, so the UI opened in a browser is held to exactly what the window holds it to: scripts,
 * styles and connections only from its own origin, and never framed by another page.
 */

/** Content-Security-Policy for every response shown in the window or served to a browser. */
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

/** Headers on every response of the UI's static server (frame-ancestors and X-Frame-Options: no clickjacking). */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};
