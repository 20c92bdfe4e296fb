/**
 * The one way tests and benches drive the UI: Debian's Chromium through playwright-core, with
 * the flags this machine needs, the built renderer, and light/dark screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Headless in a sandboxless container, with no traffic to anything but the pages under test. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const DIST = path.join(import.meta.dirname, '..', '..', 'dist', 'renderer');
export const SCREENSHOTS = path.join(import.meta.dirname, '..', 'e2e', 'screenshots');
export const STEP_TIMEOUT_MS = 10_000;

/** Why browser tests cannot run here, or null when they can. */
export const uiSkipReason: string | null = !fs.existsSync(path.join(DIST, 'index.html'))
  ? 'dist/renderer is not built (run npm run build:renderer; npm test builds it first)'
  : !fs.existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM}`
    : null;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page the size of a laptop window, every step bounded. */
export async function newAppPage(browser: Browser, options: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: options.acceptDownloads ?? false });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  return context.newPage();
}

/** A light and a dark screenshot of what is on screen now, as `<name>-light.png` / `-dark.png`. */
export async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${colorScheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * Steps of one long browser scenario as subtests: once a step fails, the rest are skipped with
 * its name (they build on it), and a screenshot of the page is saved as `<name>-failure.png`.
 */
export function serialSteps(t: TestContext, page: () => Page, name: string): (step: string, body: () => Promise<void>) => Promise<void> {
  let failed: string | null = null;
  return (step, body) =>
    t.test(step, { skip: failed ? `"${failed}" failed` : false }, async () => {
      try {
        await body();
      } catch (error) {
        failed = step;
        await page().screenshot({ path: path.join(SCREENSHOTS, `${name}-failure.png`) }).catch(() => undefined);
        throw error;
      }
    });
}
