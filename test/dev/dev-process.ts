/**
 * `nano dev` as a real process on port 0 for the hot-reload tests: a fresh
 * temp project, the URL it printed, and polling helpers (no fixed sleeps:
 * every wait is for a condition, with a generous deadline for a slow machine).
 */
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { tempProject, yml, type Files } from '../helpers/project.js';
import { answerWat, SUM_WAT } from '../helpers/wat.js';

export const STUCK_WAT = '(module (func (export "_start") (loop $l (br $l))))\n';

/** answer (42), sum (with /sum), stuck (200ms timeout): one of each kind of edit. */
export const PROJECT_YML = yml(
  'service: demo',
  'functions:',
  '  answer:',
  '    source: functions/answer.wat',
  '  sum:',
  '    source: functions/sum.wat',
  '    http: { method: GET, path: /sum }',
  '  stuck:',
  '    source: functions/stuck.wat',
  '    timeout: 200ms',
);

export async function devProject(files: Files = {}): Promise<string> {
  return tempProject({
    'nano.yml': PROJECT_YML,
    'functions/answer.wat': answerWat(42),
    'functions/sum.wat': SUM_WAT,
    'functions/stuck.wat': STUCK_WAT,
    ...files,
  });
}

export interface DevProcess {
  dev: CliProcess;
  url: string;
}

export async function startDev(dir: string, args: string[] = []): Promise<DevProcess> {
  const dev = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', '0', '--workers', '2', ...args]);
  const [, url] = await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { dev, url: url! };
}

/** Polls `probe` until `accept` holds; the last value goes into the timeout's message. */
export async function until<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let failure: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last value: ${JSON.stringify(last)}${failure ? `, last error: ${String(failure)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Answer {
  status: number;
  body: string;
  version: string | null;
}

export async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text(), version: response.headers.get('x-nano-version') };
}

/** Polls the URL until it answers `body` (and `status`, default 200). */
export function servedAs(url: string, body: string | RegExp, status = 200): Promise<Answer> {
  const matches = (text: string) => (typeof body === 'string' ? text === body : body.test(text));
  return until(
    () => get(url),
    (answer) => answer.status === status && matches(answer.body),
    `${url} to answer ${status} ${String(body)}`,
  );
}

/** Polls the process's stderr (startCli's waitFor reads stdout only). */
export function stderrMatches(dev: CliProcess, pattern: RegExp): Promise<string> {
  return until(
    async () => dev.stderr(),
    (text) => pattern.test(text),
    `stderr to match ${pattern}`,
  );
}

/** Lines of stdout that report a reload (↻ changes and · no change). */
export const reloadLines = (dev: CliProcess) =>
  dev
    .stdout()
    .split('\n')
    .filter((line) => /^[↻·] /.test(line));

let saves = 0;
/** Saves as vim and `sed -i` do: a new file beside the old one, renamed over it (one event, never half a file). */
export async function saveAtomically(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${++saves}.tmp`);
  await writeFile(temporary, content);
  await rename(temporary, path);
}
