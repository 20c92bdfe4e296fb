/**
 * Creates the Peerdesk window with the hardened settings (context isolation, sandbox, no Node in
 * the renderer) and wires policy.ts into it: CSP header, navigation and window.open blocked
 * (http(s) links go to the user's browser), permissions denied by default, no webviews.
 */
import { BrowserWindow, shell, type Session } from 'electron';
import { externalHttpUrl, isNavigationAllowed, isPermissionAllowed, withContentSecurityPolicy } from './policy.ts';

export interface MainWindowOptions {
  /** Absolute path of the compiled preload script. */
  preloadPath: string;
  /** Origin of the UI the window shows (the embedded node's), or null before it is loaded. */
  trustedOrigin(): string | null;
}

/** Opens an http(s) link in the user's browser; anything else is dropped. */
export function openExternally(url: string): void {
  const external = externalHttpUrl(url);
  if (!external) return;
  shell.openExternal(external).catch((error: unknown) => console.error(`Peerdesk: opening ${external} in the browser failed:`, error));
}

/** Session-wide guards for every window in the session; calling again replaces them. */
function hardenSession(session: Session, trustedOrigin: () => string | null): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl, trustedOrigin()));
  });
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, trustedOrigin()),
  );
}

export function createMainWindow({ preloadPath, trustedOrigin }: MainWindowOptions): BrowserWindow {
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
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  const { webContents } = window;
  hardenSession(webContents.session, trustedOrigin);

  webContents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  webContents.on('will-navigate', (event) => {
    if (isNavigationAllowed(event.url, trustedOrigin())) return;
    event.preventDefault();
    openExternally(event.url);
  });
  webContents.on('will-redirect', (event) => {
    if (!isNavigationAllowed(event.url, trustedOrigin())) event.preventDefault();
  });
  webContents.on('will-attach-webview', (event) => event.preventDefault());

  window.once('ready-to-show', () => window.show());
  return window;
}
