/** `nano info [fn]`: what runs on the platform — functions, versions, limits, URLs, stats. */
import type { Argv } from 'yargs';
import { formatSignature, type Route } from '../../build/manifest.js';
import type { FunctionSummary, VersionList } from '../../server/control-api.js';
import type { CommandContext, GlobalFlags } from '../context.js';
import { formatBytes, formatMs, limitsText, plural } from '../format.js';
import type { Output } from '../output.js';
import { connect, withUrlOption, type Remote } from '../remote.js';

const originOf = (url: string, fallback: string) => (URL.canParse(url) ? new URL(url).origin : fallback);

function routeLines(routes: readonly Route[], origin: string): string[] {
  return routes.map((route) => `${route.method} ${origin}${route.path}`);
}

function statsText(fn: FunctionSummary): string {
  const { stats } = fn;
  const parts = [plural(stats.invocations, 'call'), plural(stats.errors, 'error')];
  if (stats.timeouts > 0) parts.push(plural(stats.timeouts, 'timeout'));
  if (stats.rejected > 0) parts.push(`${stats.rejected} rejected`);
  parts.push(plural(stats.coldStarts, 'cold start'));
  const latency =
    stats.invocations > 0 ? `; p50 ${formatMs(stats.p50Ms)}, p99 ${formatMs(stats.p99Ms)}; billed ${formatMs(stats.billedMs)}` : '';
  return parts.join(', ') + latency;
}

async function listAll(out: Output, remote: Remote, all: boolean): Promise<void> {
  const { client, config, url } = remote;
  const { functions, unavailable = [] } = await client.listFunctions();
  const mine = config && !all ? functions.filter((fn) => fn.service === config.service && fn.stage === config.stage) : functions;
  const deployed = new Set(mine.map((fn) => fn.name));
  const notDeployed = config && !all ? config.functions.filter((fn) => !deployed.has(fn.name)).map((fn) => fn.name) : [];

  const scope = config && !all ? `${config.service} (${config.stage})` : 'all services';
  out.line(`${scope} on ${url}: ${plural(mine.length, 'function')}${notDeployed.length ? `, ${notDeployed.length} not deployed` : ''}`);
  if (mine.length + notDeployed.length > 0) {
    const rows: string[][] = [['name', 'version', 'calls', 'errors', 'p50', 'p99', 'limits', 'url'].map((h) => out.paint('gray', h))];
    for (const fn of [...mine].sort((a, b) => a.name.localeCompare(b.name))) {
      const { stats } = fn;
      const idle = stats.invocations === 0;
      rows.push([
        out.paint('bold', fn.name),
        fn.unavailable === undefined ? `v${fn.version}` : out.paint('yellow', `v${fn.version} unavailable`),
        String(stats.invocations),
        stats.errors > 0 ? out.paint('red', String(stats.errors)) : '0',
        idle ? '-' : formatMs(stats.p50Ms),
        idle ? '-' : formatMs(stats.p99Ms),
        limitsText(fn.limits),
        fn.url,
      ]);
      for (const line of routeLines(fn.routes, originOf(fn.url, url))) rows.push(['', '', '', '', '', '', '', line]);
    }
    for (const name of notDeployed) rows.push([out.paint('bold', name), out.paint('yellow', 'not deployed'), '', '', '', '', '', '']);
    out.table(rows);
  }
  // Every unavailable function, even one outside this project or whose record is too damaged to list.
  for (const fn of unavailable) out.error(`${out.paint('yellow', '!')} ${fn.name} cannot run (503 until redeployed): ${fn.reason}`);
  out.result({
    url,
    service: config && !all ? config.service : null,
    stage: config && !all ? config.stage : null,
    functions: mine,
    notDeployed,
    unavailable,
  });
}

async function describeOne(out: Output, remote: Remote, name: string): Promise<void> {
  const { client, url } = remote;
  const [fn, versions]: [FunctionSummary, VersionList] = await Promise.all([client.describe(name), client.versions(name)]);
  out.line(`${out.paint('bold', fn.name)} v${fn.version} (${fn.service}, ${fn.stage})${fn.description ? ` — ${fn.description}` : ''}`);
  const rows: string[][] = [
    ['url', fn.url],
    ...routeLines(fn.routes, originOf(fn.url, url)).map((line) => ['route', line]),
    ['signature', formatSignature(fn.name, fn.signature)],
    ['limits', limitsText(fn.limits)],
    ['sha256', fn.sha256],
    ['updated', fn.updatedAt],
    ['stats', statsText(fn)],
    ...(fn.unavailable === undefined ? [] : [['unavailable', out.paint('yellow', `${fn.unavailable} (answers 503)`)]]),
  ];
  out.table(rows.map(([key, value]) => [out.paint('gray', key ?? ''), value ?? '']));
  out.line(`versions (${versions.versions.length}; \`nano rollback ${fn.name} --to <v>\` switches to one):`);
  out.table(
    [...versions.versions]
      .sort((a, b) => b.version - a.version)
      .map((version) => [
        version.current ? out.paint('green', '*') : ' ',
        `v${version.version}`,
        version.createdAt,
        version.sha256.slice(0, 12),
        formatBytes(version.size),
        limitsText(version.limits),
      ]),
  );
  out.result({ function: fn, versions });
}

async function listNodes(out: Output, remote: Remote): Promise<void> {
  const { self, revision, nodes } = await remote.client.nodes();
  const newest = Math.max(revision, ...nodes.map((node) => node.revision));
  out.line(`${plural(nodes.length, 'node')} on ${remote.url} (answered by ${self}, at revision ${revision}):`);
  out.table([
    ['node', 'revision', 'url'].map((h) => out.paint('gray', h)),
    ...nodes.map((node) => [
      out.paint('bold', node.id),
      node.revision < newest ? out.paint('yellow', `${node.revision} (behind ${newest})`) : String(node.revision),
      node.url,
    ]),
  ]);
  out.result({ url: remote.url, self, revision, nodes });
}

export function registerInfo(cli: Argv<GlobalFlags>, ctx: CommandContext): Argv<GlobalFlags> {
  return cli.command(
    'info [fn]',
    "Show the platform's functions: versions, limits, URLs and stats (one function in detail with its versions)",
    (command) =>
      withUrlOption(command)
        .positional('fn', { type: 'string', describe: 'Show this function in detail, with every version' })
        .option('all', { type: 'boolean', default: false, describe: "Every service's functions, not only this project's" })
        .option('nodes', { type: 'boolean', default: false, describe: 'The nodes sharing the registry and the revision each serves' })
        .example('$0 info', "This project's functions on provider.url")
        .example('$0 info sum', 'sum in detail, with its versions')
        .example('$0 info --all --url http://127.0.0.1:8000 --json', 'Everything on a platform, as JSON')
        .example('$0 info --nodes', 'The nodes of a platform on a shared registry'),
    async (flags) => {
      const out = ctx.output(flags);
      const remote = await connect(flags, ctx, flags.fn === undefined && !flags.all ? 'optional' : 'url');
      if (flags.nodes) await listNodes(out, remote);
      else if (flags.fn === undefined) await listAll(out, remote, flags.all);
      else await describeOne(out, remote, flags.fn);
    },
  );
}
