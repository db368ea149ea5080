/**
 * The one place the CLI writes from. Colour only on a TTY and never under
 * NO_COLOR; a progress line only on a TTY; `--json` turns human lines off so that
 * stdout carries one JSON document.
 */
import type { CliIo, OutputStream } from './io.js';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, gray: 90, bold: 1 } as const;
export type Style = keyof typeof CODES;

export interface Output {
  readonly json: boolean;
  /** A line for people on stdout (suppressed under --json). */
  line(text?: string): void;
  /** A warning or error line on stderr. */
  error(text: string): void;
  /** The machine-readable result under --json. */
  result(value: unknown): void;
  /** One compact JSON line under --json, for commands that stream (`nano logs --tail`): NDJSON. */
  record(value: unknown): void;
  paint(style: Style, text: string): string;
  /** A transient progress line on a TTY; nothing elsewhere. */
  progress(text: string): void;
  clearProgress(): void;
  table(rows: readonly (readonly string[])[]): void;
}

function colourAllowed(stream: OutputStream, env: CliIo['env']): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (text: string) => text.replace(ANSI, '').length;

/**
 * The streams a progress line is showing on. Kept per stream, not per Output: the command's Output draws
 * it, and the top-level error handler's own Output must clear it before the error (a failed build).
 */
const progressShownOn = new WeakSet<OutputStream>();

export function createOutput(io: CliIo, options: { json: boolean }): Output {
  const colour = colourAllowed(io.stdout, io.env);
  const errorColour = colourAllowed(io.stderr, io.env);
  const interactive = Boolean(io.stderr.isTTY) && !options.json;
  const paintWith = (enabled: boolean) => (style: Style, text: string) => (enabled ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
  const clearProgress = () => {
    if (progressShownOn.delete(io.stderr)) io.stderr.write('\r\u001b[2K');
  };
  return {
    json: options.json,
    line(text = '') {
      if (options.json) return;
      clearProgress();
      io.stdout.write(`${text}\n`);
    },
    error(text) {
      clearProgress();
      io.stderr.write(`${text}\n`);
    },
    result(value) {
      if (options.json) io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    record(value) {
      if (options.json) io.stdout.write(`${JSON.stringify(value)}\n`);
    },
    paint: (style, text) => paintWith(colour)(style, text),
    progress(text) {
      if (!interactive) return;
      io.stderr.write(`\r\u001b[2K${paintWith(errorColour)('cyan', '…')} ${text}`);
      progressShownOn.add(io.stderr);
    },
    clearProgress,
    table(rows) {
      if (options.json) return;
      const widths: number[] = [];
      for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
      for (const row of rows) {
        const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))));
        this.line(`  ${cells.join('  ')}`.trimEnd());
      }
    },
  };
}
