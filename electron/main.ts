/**
 * Electron main process: single-instance lock, the embedded node's start and clean stop, the IPC
 * handlers and the window, which loads the UI the node serves on a loopback port.
 */
import { app, dialog, ipcMain, type BrowserWindow } from 'electron';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../node-core/index.ts';
import { createIpcHandlers, registerIpcHandlers } from './ipc/handlers.ts';
import { createMainWindow } from './window.ts';

/** Loopback only, OS-chosen operations port: the embedded node is for this desktop alone. */
const EMBEDDED_NODE_ARGV = ['--operationsApi.network.port=0', '--replication.hostname=127.0.0.1'];

/** Compiled layout: dist/electron/main.js beside dist/electron/preload.cjs and dist/renderer/. */
const PRELOAD_PATH = join(import.meta.dirname, 'preload.cjs');
const RENDERER_DIR = join(import.meta.dirname, '..', 'renderer');

let node: RunningNode | null = null;
let mainWindow: BrowserWindow | null = null;
let stopping = false;

/** Tests and side-by-side instances point userData elsewhere (must happen before `ready`). */
if (process.env.PEERDESK_USER_DATA) app.setPath('userData', process.env.PEERDESK_USER_DATA);

async function openWindow(running: RunningNode): Promise<BrowserWindow> {
  const window = await createMainWindow({ url: running.opsUrl, preloadPath: PRELOAD_PATH });
  window.on('closed', () => {
    mainWindow = null;
  });
  mainWindow = window;
  return window;
}

/** The first start's generated admin password exists nowhere else: show it once. */
async function showGeneratedAdminPassword(window: BrowserWindow, password: string): Promise<void> {
  await dialog.showMessageBox(window, {
    type: 'info',
    title: 'Peerdesk',
    message: "The embedded node created its administrator 'admin'.",
    detail: `Password: ${password}\n\nIt is shown only this once; write it down, or change it with alter_user.`,
  });
}

async function launch(): Promise<void> {
  const rootPath = join(app.getPath('userData'), 'node');
  node = await startNode({ rootPath, argv: EMBEDDED_NODE_ARGV, rendererDir: RENDERER_DIR });
  registerIpcHandlers(
    ipcMain,
    createIpcHandlers({
      trustedOrigin: () => (node ? new URL(node.opsUrl).origin : null),
      localNode: () => (node ? { url: node.opsUrl } : null),
      appVersion: app.getVersion(),
    }),
  );
  const window = await openWindow(node);
  if (node.generatedAdminPassword) await showGeneratedAdminPassword(window, node.generatedAdminPassword);
}

/** Stops the node once, then lets the quit that triggered it proceed. */
async function stopNodeAndQuit(): Promise<void> {
  const running = node;
  node = null;
  try {
    await running?.stop();
  } catch (error) {
    console.error(`Peerdesk: stopping the embedded node at ${running?.rootPath} failed:`, error);
  }
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('before-quit', (event) => {
    if (!node) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    void stopNodeAndQuit();
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (!mainWindow && node) void openWindow(node);
  });

  app.whenReady().then(launch).catch((error: unknown) => {
    console.error('Peerdesk: could not start the embedded node:', error);
    dialog.showErrorBox('Peerdesk could not start its embedded node', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}
