// A function's page: what it is, its figures of the last minute, throughput and latency charts over the
// last 1, 2 or 5 minutes (refreshed every 2 s), its versions with a rollback (nano server), the invoke form and
// the live log tail.
import * as api from './api.js';
import { h, limitsText, ms, rate, routesText } from './dom.js';
import { charts } from './chart.js';
import { invokePanel } from './invoke-panel.js';
import { logPanel } from './log-panel.js';
import { versionsPanel } from './versions-panel.js';

const REFRESH_MS = 2000;
/** The chart windows offered; the server keeps 5 minutes. */
const WINDOWS = [
  [60, '1 minute'],
  [120, '2 minutes'],
  [300, '5 minutes'],
];

const FIGURES = [
  ['calls-per-sec', 'Calls/s (10 s)', (live) => rate(live?.callsPerSec)],
  ['calls', 'Calls', (live) => live?.calls ?? 0],
  ['p50', 'p50', (live) => ms(live?.p50Ms)],
  ['p99', 'p99', (live) => ms(live?.p99Ms)],
  ['errors', 'Errors', (live) => live?.errors ?? 0],
  ['timeouts', 'Timeouts', (live) => live?.timeouts ?? 0],
  ['throttled', '429s', (live) => live?.throttled ?? 0],
  ['overloaded', '503s', (live) => live?.overloaded ?? 0],
  ['cold-starts', 'Cold starts', (live) => live?.coldStarts ?? 0],
  ['total', 'Total calls', (live) => live?.total.calls ?? 0],
];

export function functionView(main, name, shell) {
  const title = h('h1', {}, name);
  const facts = h('p', { className: 'facts' });
  const error = h('p', { className: 'error', role: 'alert' });
  const values = new Map(FIGURES.map(([id]) => [id, h('dd', { id: `fig-${id}` }, '–')]));
  const figures = h(
    'dl',
    { className: 'figures', 'aria-label': 'Last minute' },
    FIGURES.map(([id, label]) => h('div', {}, h('dt', {}, label), values.get(id))),
  );
  const throughputBox = h('div', { className: 'chart', id: 'chart-throughput' });
  const latencyBox = h('div', { className: 'chart', id: 'chart-latency' });
  const side = h('div', { className: 'side' });
  const windowSelect = h(
    'select',
    { id: 'chart-window', onchange: () => refresh() },
    WINDOWS.map(([seconds, label]) => h('option', { value: seconds }, label)),
  );
  main.replaceChildren(
    h('nav', { className: 'crumbs' }, h('a', { href: '#/' }, '← Functions')),
    title,
    facts,
    error,
    h('section', { 'aria-labelledby': 'h-figures' }, h('h2', { id: 'h-figures' }, 'Last minute'), figures),
    h(
      'section',
      { 'aria-labelledby': 'h-charts', className: 'charts' },
      h(
        'div',
        { className: 'chart-head' },
        h('h2', { id: 'h-charts' }, 'Over time'),
        h('label', { for: 'chart-window' }, 'Window'),
        windowSelect,
      ),
      throughputBox,
      latencyBox,
    ),
    side,
  );
  const chart = charts(throughputBox, latencyBox);
  const panels = [];
  let versions;
  let stopped = false;
  let timer;
  let abi;

  const refresh = async () => {
    clearTimeout(timer);
    try {
      const [data, overview] = await Promise.all([api.series(name, Number(windowSelect.value)), api.overview(name)]);
      if (stopped) return;
      shell.showOverview(overview);
      error.textContent = '';
      const fn = data.function;
      facts.replaceChildren(
        h('span', { className: 'badge', id: 'current-version' }, `v${fn.version}`),
        ` ${fn.abi} · ${limitsText(fn.limits)} · routes: ${routesText(fn.routes)}`,
        fn.unavailable ? h('span', { className: 'error' }, ` · cannot run: ${fn.unavailable}`) : '',
      );
      for (const [id, , show] of FIGURES) values.get(id).textContent = String(show(data.live));
      chart.update(data.points);
      throughputBox.dataset.calls = String(data.points.reduce((sum, point) => sum + point.calls, 0));
      if (abi === undefined) {
        // The panels depend on what the function is: built once, at the first answer.
        abi = fn.abi;
        if (overview.mode === 'server') {
          versions = versionsPanel(name, () => refresh());
          panels.push(versions);
        }
        panels.push(
          invokePanel(name, fn.abi, () => refresh()),
          logPanel(name),
        );
        side.replaceChildren(...panels.map((panel) => panel.element));
      }
      versions?.show(fn.version);
    } catch (failure) {
      if (stopped || shell.failed(failure)) return;
      error.textContent = failure.status === 404 ? `${failure.message}. It may have been removed.` : failure.message;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    chart.destroy();
    for (const panel of panels) panel.stop?.();
  };
}
