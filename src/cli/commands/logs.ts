/** `nano logs <fn>`: a function's recent invocations on the platform, or a live stream of them. */
import type { Argv } from 'yargs';
import type { LogEntry, Outcome } from '../../server/control-api.js';
import { UsageError, type CommandContext, type GlobalFlags } from '../context.js';
import { parseDuration } from '../../config/durations.js';
import { formatMs } from '../format.js';
import type { Output, Style } from '../output.js';
import { connect, withUrlOption } from '../remote.js';

const OUTCOME_STYLE: Record<Outcome, Style> = { ok: 'green', trap: 'red', timeout: 'red', throttled: 'yellow', error: 'red' };

/** `2025-05-01T10:00:00.123Z  4f1c…  200  1.2ms  ok`, then what the function logged, indented. */
function printEntry(out: Output, entry: LogEntry): void {
  const status = entry.status >= 400 ? out.paint('red', String(entry.status)) : String(entry.status);
  const version = entry.version === null ? '' : out.paint('gray', ` v${entry.version}`);
  const outcome = out.paint(OUTCOME_STYLE[entry.outcome] ?? 'red', entry.outcome);
  out.line(`${out.paint('gray', entry.time)}  ${entry.requestId}  ${status}  ${formatMs(entry.durationMs)}  ${outcome}${version}`);
  for (const line of entry.lines) out.line(`    ${line}`);
}

export function registerLogs(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'logs <fn>',
    "Show a function's recent invocations on the platform: time, request id, status, duration, outcome and what it logged",
    (command) =>
      withUrlOption(command)
        .positional('fn', { type: 'string', demandOption: true, describe: 'Function name' })
        .option('tail', { alias: 't', type: 'boolean', default: false, describe: 'Keep streaming new invocations until Ctrl-C' })
        .option('since', { type: 'string', describe: 'Only invocations newer than this: 30s, 5m, 2h, 1d' })
        .option('limit', { alias: 'n', type: 'number', describe: 'At most this many entries (the newest)' })
        .example('$0 logs sum', "sum's recent invocations")
        .example('$0 logs sum --since 5m', 'Those of the last five minutes')
        .example('$0 logs sum --tail', 'Stream them live until Ctrl-C')
        .example('$0 logs sum --tail --json', 'Stream them as JSON lines (NDJSON)'),
    async (flags) => {
      const out = ctx.output(flags);
      const sinceMs = flags.since === undefined ? undefined : parseDuration(flags.since.trim());
      if (flags.since !== undefined && sinceMs === undefined) {
        throw new UsageError(`--since: expected a duration like 30s, 5m, 2h or 1d, got "${flags.since}"`);
      }
      if (flags.limit !== undefined && !(Number.isInteger(flags.limit) && flags.limit > 0)) {
        throw new UsageError(`--limit: expected a positive whole number, got ${String(flags.limit)}`);
      }
      const { client, url } = await connect(flags, ctx, 'url');
      const query = { sinceMs, limit: flags.limit };

      if (!flags.tail) {
        const list = await client.logs(flags.fn, query);
        if (list.entries.length === 0) {
          out.line(out.paint('gray', `no invocations of ${flags.fn}${flags.since ? ` in the last ${flags.since}` : ''}`));
        }
        for (const entry of list.entries) printEntry(out, entry);
        out.result(list);
        return;
      }

      const controller = new AbortController();
      void ctx.io.interrupted().then(() => controller.abort());
      let count = 0;
      const opened = () => out.line(out.paint('gray', `streaming the log of ${flags.fn} from ${url} — Ctrl-C to stop`));
      for await (const entry of client.tailLogs(flags.fn, query, controller.signal, opened)) {
        printEntry(out, entry);
        out.record(entry);
        count += 1;
      }
      out.line(out.paint('gray', `stopped after ${count} ${count === 1 ? 'entry' : 'entries'}`));
    },
  );
}
