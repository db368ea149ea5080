/**
 * What a command may touch of the outside world. `main()` takes it as a
 * parameter so tests run the CLI in-process with captured output.
 */
import { createInterface } from 'node:readline';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /**
   * The path nano was started with (process.argv[1]: a bin link such as `node_modules/.bin/nano-wasm`, or
   * `dist/bin.js`), for commands to suggest the invocation the user typed (invocation.ts). Absent: `nano`.
   */
  script?: string;
  /** Resolves when the user asks to stop (Ctrl-C); long-running commands await it. */
  interrupted: () => Promise<void>;
  /**
   * Asks the user a question and resolves with the line typed (without its
   * newline; '' on Ctrl-C or end of input). Absent when no one can answer:
   * stdin is not a terminal.
   */
  prompt?: (question: string) => Promise<string>;
}

/** A question on stderr (stdout may carry --json), the answer from a terminal stdin. */
function terminalPrompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let answered = false;
    const finish = (answer: string) => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(answer);
    };
    // readline swallows Ctrl-C while it reads: treat it as "no" rather than hang.
    rl.on('SIGINT', () => {
      process.stderr.write('\n');
      finish('');
    });
    rl.on('close', () => finish(''));
    rl.question(question, finish);
  });
}

/**
 * A reader that went away (`nano logs --tail | head -5`) is not a crash: the
 * EPIPE is swallowed, and `interrupted()` resolves as on Ctrl-C.
 */
let stdoutGone: Promise<void> | undefined;
function whenStdoutGone(): Promise<void> {
  stdoutGone ??= new Promise<void>((resolve) => {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      resolve();
    });
  });
  return stdoutGone;
}

export function processIo(): CliIo {
  const gone = whenStdoutGone();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    script: process.argv[1],
    interrupted: () =>
      new Promise((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        void gone.then(stop);
      }),
    prompt: process.stdin.isTTY ? terminalPrompt : undefined,
  };
}
