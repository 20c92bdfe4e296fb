/**
 * Creates the Peerdesk window with the hardened settings (context isolation, sandbox, no Node in
 * the renderer) and wires policy.ts into it: CSP header, navigation and window.open blocked,
 * permissions denied by default.
 */
import { BrowserWindow, type Session } from 'electron';
import { isNavigationAllowed, isPermissionAllowed, withContentSecurityPolicy } from './policy.ts';

export interface MainWindowOptions {
  /** The UI page to load (served by the embedded node). */
  url: string;
  /** Absolute path of the compiled preload script. */
  preloadPath: string;
}

/** Session-wide guards for every window in the session; calling again replaces them. */
function hardenSession(session: Session, trustedOrigin: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl, trustedOrigin));
  });
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, trustedOrigin),
  );
}

export async function createMainWindow({ url, preloadPath }: MainWindowOptions): Promise<BrowserWindow> {
  const trustedOrigin = new URL(url).origin;
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    title: 'Peerdesk',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const { webContents } = window;
  hardenSession(webContents.session, trustedOrigin);

  webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  webContents.on('will-navigate', (event) => {
    if (!isNavigationAllowed(event.url, trustedOrigin)) event.preventDefault();
  });
  webContents.on('will-redirect', (event) => {
    if (!isNavigationAllowed(event.url, trustedOrigin)) event.preventDefault();
  });
  webContents.on('will-attach-webview', (event) => event.preventDefault());

  window.once('ready-to-show', () => window.show());
  await window.loadURL(url);
  return window;
}
