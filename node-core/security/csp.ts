/**
 * The one Content-Security-Policy of the UI, and the headers every UI response carries (issue 10
 * item 11). The Electron window (electron/policy.ts) and the node's own static server build
 * their policies from the same directives, so the UI opened in a browser is held to what the
 * window holds it to: scripts, styles, images and fonts only from its own origin, no plugins,
 * no forms, never framed by another page. One directive differs, and only because the transport
 * does: in the window every request to another node goes through the app's IPC bridge, so
 * `connect-src 'self'`; in a browser the UI reaches the other nodes the user saved or typed with
 * fetch, so the served policy allows connections to http(s) origins (credentials still go only
 * where the user chose: that is the UI's rule, not one CSP can express).
 */

const DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'self'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-src', "'none'"],
  ['frame-ancestors', "'none'"],
];

function policy(overrides: Readonly<Record<string, string>> = {}): string {
  return DIRECTIVES.map(([name, value]) => `${name} ${overrides[name] ?? value}`).join('; ');
}

/** Content-Security-Policy for every response shown in the Electron window. */
export const CONTENT_SECURITY_POLICY = policy();

/** The same policy for the UI served to a browser, which talks to other nodes with fetch. */
export const BROWSER_CONTENT_SECURITY_POLICY = policy({ 'connect-src': "'self' http: https:" });

/** Headers on every response of the UI's static server (frame-ancestors and X-Frame-Options: no clickjacking). */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': BROWSER_CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};
