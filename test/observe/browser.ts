/**
 * The system's Chromium (Debian's `chromium`, which .ci/run installs) driven by playwright-core, which
 * downloads no browser of its own. Every page's console errors and uncaught exceptions are collected,
 * so a test can assert there were none. The browser is a child process: close() stops it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where the browser is: $NANO_CHROMIUM, else `chromium` (or `chromium-browser`) on PATH. */
export function chromiumPath(): string | undefined {
  const candidates = process.env.NANO_CHROMIUM
    ? [process.env.NANO_CHROMIUM]
    : (process.env.PATH ?? '').split(delimiter).flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')]);
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const MISSING_CHROMIUM =
  'the `chromium` browser is not on PATH (apt-get install chromium; .ci/run does), nor named by $NANO_CHROMIUM';

export interface PageProblem {
  kind: 'console' | 'pageerror';
  text: string;
  url: string;
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  problems: PageProblem[];
}

export async function launch(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error(MISSING_CHROMIUM);
  // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const problems: PageProblem[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push({ kind: 'console', text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (error) => problems.push({ kind: 'pageerror', text: String(error), url: page.url() }));
  return { page, problems };
}
