/**
 * Electron main process: single-instance lock, a status page until the embedded node is ready,
 * then the UI the node serves on its loopback port; the IPC handlers; a clean node stop on quit.
 * The logic lives in plain modules (node-lifecycle, profiles, ipc/handlers, policy); this file
 * only wires them to Electron.
 */
import { app, dialog, ipcMain, safeStorage, shell, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createIpcHandlers, registerIpcHandlers, sendLocalNodeState } from './ipc/handlers.ts';
import type { LocalNodeStatus, PemFile, PemKind } from './ipc/contract.ts';
import { NodeLifecycle } from './node-lifecycle.ts';
import { PEM_DIALOG, readPemFile } from './pem-files.ts';
import { statusPageUrl } from './policy.ts';
import { cipherFromSafeStorage, ConnectionProfiles } from './profiles.ts';
import { createMainWindow } from './window.ts';

/** Compiled layout: dist/electron/main.js beside dist/electron/preload.cjs and dist/renderer/. */
const PRELOAD_PATH = join(import.meta.dirname, 'preload.cjs');
const RENDERER_DIR = join(import.meta.dirname, '..', 'renderer');

/** Tests and side-by-side instances point userData elsewhere (must happen before `ready`). */
if (process.env.PEERDESK_USER_DATA) app.setPath('userData', process.env.PEERDESK_USER_DATA);

let lifecycle: NodeLifecycle | null = null;
let mainWindow: BrowserWindow | null = null;
/** Origin of the UI the window loaded: stays while the node is stopped, so the UI can start it again. */
let uiOrigin: string | null = null;
let quitting = false;

function showStatus(window: BrowserWindow, title: string, detail: string): void {
  uiOrigin = null;
  window.loadURL(statusPageUrl(title, detail)).catch(() => undefined);
}

/** Loads the UI from the running node, unless the window already shows it from that origin. */
function showUi(window: BrowserWindow, url: string): void {
  const origin = new URL(url).origin;
  if (uiOrigin === origin) return;
  uiOrigin = origin;
  window.loadURL(url).catch((error: unknown) => console.error(`Peerdesk: loading the UI from ${url} failed:`, error));
}

async function pickPemFile(kind: PemKind): Promise<PemFile | null> {
  const { title, extensions } = PEM_DIALOG[kind];
  const options: Electron.OpenDialogOptions = {
    title,
    properties: ['openFile'],
    filters: [
      { name: 'PEM files', extensions },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  const chosen = result.filePaths[0];
  if (result.canceled || !chosen) return null;
  return readPemFile(chosen, kind);
}

function onLocalNodeState(status: LocalNodeStatus): void {
  const window = mainWindow;
  if (!window || window.isDestroyed()) return;
  // A restart that had to take another port moves the UI with it.
  if (status.state === 'running' && status.url) showUi(window, status.url);
  sendLocalNodeState(window.webContents, uiOrigin, status);
}

/** The first start: on failure the user may retry or quit (later failures show in the UI). */
async function startFirstTime(node: NodeLifecycle, window: BrowserWindow): Promise<void> {
  for (;;) {
    showStatus(window, 'Starting the embedded node…', node.rootPath);
    const status = await node.start();
    if (status.state === 'running') return;
    const message = status.error?.message ?? `The embedded node is ${status.state}`;
    showStatus(window, 'The embedded node did not start', message);
    let response: number;
    do {
      ({ response } = await dialog.showMessageBox(window, {
        type: 'error',
        title: 'Peerdesk',
        message: 'Peerdesk could not start its embedded node',
        detail: `${message}\n\nIts data and configuration (harperdb-config.yaml) are in ${node.rootPath}.`,
        buttons: ['Retry', 'Show data folder', 'Quit'],
        defaultId: 0,
        cancelId: 2,
      }));
      if (response === 1) void shell.openPath(node.rootPath);
    } while (response === 1);
    if (response === 2) {
      app.quit();
      return;
    }
  }
}

async function launch(): Promise<void> {
  const userData = app.getPath('userData');
  const node = new NodeLifecycle({ rootPath: join(userData, 'node'), rendererDir: RENDERER_DIR });
  lifecycle = node;
  const profiles = new ConnectionProfiles({ directory: userData, cipher: cipherFromSafeStorage(safeStorage) });
  registerIpcHandlers(
    ipcMain,
    createIpcHandlers({
      trustedOrigin: () => uiOrigin,
      localNode: node,
      connections: profiles,
      appVersion: app.getVersion(),
      pickPemFile,
      openExternal: (url) => shell.openExternal(url),
    }),
  );
  node.onState(onLocalNodeState);
  openWindow();
  if (mainWindow) await startFirstTime(node, mainWindow);
}

function openWindow(): void {
  const window = createMainWindow({ preloadPath: PRELOAD_PATH, trustedOrigin: () => uiOrigin });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
    uiOrigin = null;
  });
  mainWindow = window;
  const status = lifecycle?.status();
  if (status?.state === 'running' && status.url) showUi(window, status.url);
  else showStatus(window, 'Starting the embedded node…', lifecycle?.rootPath ?? '');
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // Any other webContents (there should be none) gets the same refusals.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  // Quit waits for the node's clean stop (its LMDB environments are closed), then proceeds.
  app.on('before-quit', (event) => {
    const node = lifecycle;
    if (quitting || !node) return;
    const { state } = node.status();
    if (state === 'stopped' || state === 'failed') return;
    event.preventDefault();
    quitting = true;
    void node.stop().then((status) => {
      if (status.state === 'failed') console.error(`Peerdesk: ${status.error?.message}`);
      app.quit();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (!mainWindow && lifecycle) openWindow();
  });

  app.whenReady().then(launch).catch((error: unknown) => {
    console.error('Peerdesk: the app could not start:', error);
    dialog.showErrorBox('Peerdesk could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}
