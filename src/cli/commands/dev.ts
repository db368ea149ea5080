/** `nano dev`: build, serve locally with the platform's executor and limits, and reload on every save. */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import type { DevSessionOptions, FunctionFailure, LoadedFunction, ReloadReport, ServedFunction } from '../../dev/index.js';
import type { Invocation } from '../../server/index.js';
import { formatProblem, NanoError, ProblemsError, type Problem } from '../../errors.js';
import { DEFAULT_DEBOUNCE_MS } from '../../dev/reload-scheduler.js';
import { DEFAULT_START_TIMEOUT_MS } from '../../server/declared.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../server/limits.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import { checkServeFlags, checkWholeNumber, INLINE_BUDGET_OPTION } from '../flags.js';
import type { Output } from '../output.js';
import { limitsText } from '../format.js';

function printRoutes(out: Output, url: string, functions: readonly ServedFunction[]): void {
  const rows: string[][] = [];
  for (const { artifact: fn } of functions) {
    rows.push([out.paint('bold', fn.name), `${url}/exec/${fn.name}`, out.paint('gray', limitsText(fn.limits))]);
    for (const route of fn.routes) rows.push(['', `${route.method} ${url}${route.path}`, '']);
  }
  out.table(rows);
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const indent = (text: string) => `  ${text.replaceAll('\n', '\n  ')}`;

/** `✗ sum: functions/sum.wat:3:5: error: ... (still serving v2)`, then the source line, caret and further problems. */
function printProblems(out: Output, subject: string, problems: readonly Problem[], serving: string): void {
  const [first, ...rest] = problems;
  if (first === undefined) return;
  const [head, ...detail] = formatProblem(first).split('\n');
  out.error(`${out.paint('red', '✗')} ${subject}: ${head} ${out.paint('yellow', `(${serving})`)}`);
  for (const line of detail) out.error(`  ${line}`);
  for (const problem of rest) out.error(indent(formatProblem(problem)));
}

function printFailure(out: Output, failure: FunctionFailure): void {
  const serving = failure.serving === null ? 'not served' : `still serving v${failure.serving}`;
  printProblems(out, failure.name, failure.problems, serving);
}

function changeLine(out: Output, change: LoadedFunction, ms: string, url: string): string {
  const mark = out.paint('green', '↻');
  switch (change.change) {
    case 'added':
      return `${mark} ${change.name} added in ${ms} (v${change.version}) → ${url}/exec/${change.name}`;
    case 'removed':
      return `${mark} ${change.name} removed (was v${change.version}); /exec/${change.name} now answers 404`;
    default: {
      const parts = change.changed ?? [];
      if (parts.includes('code')) return `${mark} ${change.name} rebuilt in ${ms} (v${change.version})`;
      const what = parts.length > 0 ? `: ${parts.join(' and ')} changed` : '';
      return `${mark} ${change.name} reloaded in ${ms} (v${change.version}${what})`;
    }
  }
}

/** One reload: one line per function changed or failed, or one line saying nothing changed. */
export function printReload(out: Output, report: ReloadReport, url: string): void {
  const ms = `${Math.max(1, Math.round(report.durationMs))} ms`;
  if (report.configError !== undefined) {
    const error = report.configError;
    const subject = basename(report.config.file);
    const serving = 'still serving the last good configuration';
    if (error instanceof ProblemsError) printProblems(out, subject, error.problems, serving);
    else out.error(`${out.paint('red', '✗')} ${subject}: ${error.message} ${out.paint('yellow', `(${serving})`)}`);
  }
  for (const change of report.changes) out.line(changeLine(out, change, ms, url));
  const fresh = report.failures.filter((failure) => !failure.repeated);
  for (const failure of fresh) printFailure(out, failure);
  if (report.error !== undefined) {
    const error = report.error;
    const text = error instanceof NanoError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    out.error(`${out.paint('red', '✗')} reload failed, still serving the last good versions: ${text}`);
  }
  if (report.changes.length === 0 && fresh.length === 0 && report.configError === undefined && report.error === undefined) {
    const still = report.failures.length > 0 ? `; still failing: ${report.failures.map((failure) => failure.name).join(', ')}` : '';
    out.line(out.paint('gray', `· no change (${report.trigger.join(', ') || 'nothing'})${still}`));
  }
}

/** GET /metrics on the dev server, open (loopback, local): the counting observer and the route. */
async function devMetrics(): Promise<{ observe: (entry: Invocation) => void; extend: DevSessionOptions['extend'] }> {
  const [{ createMetrics }, { addMetricsRoute }] = await Promise.all([
    import('../../observe/metrics.js'),
    import('../../observe/metrics-route.js'),
  ]);
  const metrics = createMetrics();
  return {
    observe: metrics.recordInvocation,
    extend: (app, { executor }) => {
      metrics.attach({ runtime: executor });
      addMetricsRoute(app, metrics);
    },
  };
}

export function registerDev(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'dev',
    'Build and serve the project locally, with the same executor and limits as the platform; reload on every save',
    (command) =>
      command
        .option('port', { alias: 'p', type: 'number', default: 8000, describe: 'Port to listen on (0 picks a free one)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
        .option('workers', { type: 'number', default: availableParallelism(), describe: 'Worker threads running invocations' })
        .option('inline-budget', INLINE_BUDGET_OPTION)
        .option('watch', {
          type: 'boolean',
          default: true,
          describe: 'Rebuild and swap functions when their files change (--no-watch: serve as built)',
        })
        .option('debounce', { type: 'number', default: DEFAULT_DEBOUNCE_MS, describe: 'Quiet time in ms after a change before rebuilding' })
        .option('max-body-size', {
          type: 'number',
          default: DEFAULT_MAX_BODY_BYTES,
          describe: 'Largest request body a wagi function accepts, in bytes (413 beyond)',
        })
        .option('console', {
          type: 'boolean',
          default: true,
          describe: 'Serve the web console under /_nano/ (--no-console: neither it nor its per-call figures)',
        })
        .option('metrics', {
          type: 'boolean',
          default: true,
          describe: 'Count invocations and serve GET /metrics for Prometheus, open like the rest of nano dev (--no-metrics: neither)',
        })
        .option('start-timeout', {
          type: 'number',
          default: DEFAULT_START_TIMEOUT_MS,
          describe: 'How long a request that comes before the first build is loaded waits for it, in ms (503 Starting beyond)',
        })
        .example('$0 dev -c examples/nano.yml', 'Serve the examples on http://127.0.0.1:8000 and reload on every save')
        .example('$0 dev --port 0', 'Serve on any free port (the URL is printed)')
        .example('$0 dev --no-watch', 'Serve the current build without watching the files'),
    async (flags) => {
      checkServeFlags(flags);
      checkWholeNumber('debounce', flags.debounce, 0, 60_000, 'of ms');
      checkWholeNumber('start-timeout', flags['start-timeout'], 0, 3_600_000, 'of ms');
      const { startDevSession } = await import('../../dev/index.js');
      const out = ctx.output(flags);
      let url = '';
      // What functions log (platform.log, a wagi function's stderr), prefixed with the function and request id.
      const printLines = (entry: Invocation) => {
        // The whole id, as in x-nano-request-id (`k3x9a2q7-2s`, server/request-id.ts): its first 8 digits name the
        // process, the same for every call, so a cut to 8 would no longer tell calls apart.
        for (const line of entry.lines) out.line(`${out.paint('cyan', entry.name)} ${out.paint('gray', entry.requestId)} │ ${line}`);
      };
      const metrics = flags.metrics ? await devMetrics() : undefined;
      // The web console under /_nano/ (src/observe/console/): live figures, the build status, a log tail, an invoke form.
      const { WebConsole, buildStatusOf } = await import('../../observe/console/index.js');
      const webConsole = flags.console ? new WebConsole({ mode: 'dev' }) : undefined;
      const session = await startDevSession({
        configPath: flags.config,
        stage: flags.stage,
        env: ctx.io.env,
        cwd: ctx.io.cwd,
        port: flags.port,
        host: flags.host,
        executor: { poolSize: flags.workers, inlineBudgetMs: flags['inline-budget'] },
        watch: flags.watch,
        debounceMs: flags.debounce,
        onReload: (report) => {
          webConsole?.setBuildStatus(buildStatusOf(report));
          printReload(out, report, url);
        },
        onWatchError: (error) =>
          out.error(`${out.paint('yellow', '!')} watcher: ${error instanceof Error ? error.message : String(error)}`),
        onInternalError: (error) => out.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
        onInvocation: (entry) => {
          metrics?.observe(entry);
          webConsole?.record(entry);
          printLines(entry);
        },
        extend: (app, context) => {
          metrics?.extend?.(app, context);
          webConsole?.mount(app, context);
        },
        onCommand: ({ command, functions }) => out.line(out.paint('gray', `· running \`${command}\` for ${functions.join(', ')}`)),
        maxBodyBytes: flags['max-body-size'],
        startTimeoutMs: flags['start-timeout'],
      });
      url = session.url;
      webConsole?.setBuildStatus(buildStatusOf(session.initial));
      try {
        for (const failure of session.initial.failures) printFailure(out, failure);
        const served = session.served();
        const { config } = session;
        const failed = session.initial.failures.map((failure) => failure.name);
        if (failed.length === 0) {
          out.line(`${out.paint('green', '✓')} ${config.service} (${config.stage}): ${plural(served.length, 'function')}`);
        } else {
          // Not a green tick over nothing: the count alone reads as success when every function failed.
          out.line(
            `${out.paint('yellow', '!')} ${config.service} (${config.stage}): ${plural(served.length, 'function')} serving, ` +
              `${failed.length} failed to build: ${failed.join(', ')}` +
              out.paint('gray', session.watching ? ' (save a fix to rebuild)' : ''),
          );
        }
        printRoutes(out, session.url, served);
        out.line();
        const plan = session.watching;
        if (plan) {
          const globs = plan.globs.length > 0 ? ` and ${plural(plan.globs.length, 'watch glob')}` : '';
          out.line(out.paint('gray', `watching ${plural(plan.files.length, 'file')}${globs} (debounce ${flags.debounce} ms)`));
          for (const fn of config.functions.filter((candidate) => candidate.build !== undefined && candidate.watch.length === 0)) {
            out.line(
              `${out.paint('yellow', '!')} ${fn.name}: its build command runs at start only; list the files it compiles under watch: to rebuild on save`,
            );
          }
        }
        // The bench and the tests wait for this exact line. The socket answered before it (requests for the
        // project's functions waited for the first build); it is printed once that build is loaded.
        if (webConsole) out.line(`console: ${session.url}/_nano/`);
        out.line(`nano dev: listening on ${session.url} — Ctrl-C to stop`);
        out.result({
          url: session.url,
          functions: served.map(({ artifact, version }) => ({ name: artifact.name, version })),
          failed: session.initial.failures.map((failure) => ({ name: failure.name, problems: failure.problems })),
        });
        await ctx.io.interrupted();
        out.line('stopping…');
      } finally {
        await session.close();
      }
    },
  );
}
