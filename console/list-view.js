// The function list: one row per function with its version, limits, routes and the figures of the last
// minute, refreshed every 2 s. Only the text that changed is redrawn, so the filter and a focused link
// keep the keyboard's focus.
import * as api from './api.js';
import { h, limitsText, ms, rate, routesText } from './dom.js';

const REFRESH_MS = 2000;
const COLUMNS = ['Function', 'Version', 'ABI', 'Limits', 'Routes', 'Calls/s', 'p50', 'p99', 'Errors', 'Timeouts', '429', 'Cold starts'];

/** What each cell shows; the first is the link to the function's page. */
function cellsOf(fn) {
  const live = fn.live;
  return [
    fn.name,
    `v${fn.version}`,
    fn.abi,
    limitsText(fn.limits),
    routesText(fn.routes),
    rate(live?.callsPerSec),
    ms(live?.p50Ms),
    ms(live?.p99Ms),
    live?.errors ?? 0,
    live?.timeouts ?? 0,
    live?.throttled ?? 0,
    live?.coldStarts ?? 0,
  ].map(String);
}

function newRow(name) {
  return h(
    'tr',
    { 'data-function': name },
    COLUMNS.map((column, index) =>
      index === 0
        ? h('th', { 'data-label': column, scope: 'row' }, h('a', { href: `#/f/${encodeURIComponent(name)}` }, name))
        : h('td', { 'data-label': column }),
    ),
  );
}

/**
 * Updates the rows in place — only the text that changed, rows moved only when the order did — so a
 * link that has the keyboard's focus keeps it through the refreshes.
 */
function renderRows(body, rows, functions) {
  const seen = new Set();
  functions.forEach((fn, index) => {
    seen.add(fn.name);
    let row = rows.get(fn.name);
    if (row === undefined) {
      row = newRow(fn.name);
      rows.set(fn.name, row);
    }
    row.classList.toggle('unavailable', Boolean(fn.unavailable));
    cellsOf(fn).forEach((text, cell) => {
      if (cell > 0 && row.cells[cell].textContent !== text) row.cells[cell].textContent = text;
    });
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] ?? null);
  });
  for (const [name, row] of rows) {
    if (seen.has(name)) continue;
    row.remove();
    rows.delete(name);
  }
}

export function listView(main, shell) {
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'name contains…', autocomplete: 'off' });
  const summary = h('p', { className: 'muted', id: 'list-summary' });
  const body = h('tbody');
  const rows = new Map();
  const table = h(
    'table',
    { className: 'functions', 'aria-describedby': 'list-summary' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map((name) => h('th', { scope: 'col' }, name)),
      ),
    ),
    body,
  );
  const error = h('p', { className: 'error', role: 'alert' });
  main.replaceChildren(
    h('h1', {}, 'Functions'),
    h('div', { className: 'toolbar' }, h('label', { for: 'filter' }, 'Filter'), filter),
    summary,
    error,
    h('div', { className: 'table-wrap' }, table),
  );

  let stopped = false;
  let timer;
  const refresh = async () => {
    clearTimeout(timer);
    try {
      const overview = await api.overview(filter.value.trim());
      if (stopped) return;
      shell.showOverview(overview);
      error.textContent = '';
      renderRows(body, rows, overview.functions);
      const shown = overview.functions.length;
      summary.textContent =
        overview.total === 0
          ? 'No function serves yet.'
          : `${overview.matching === overview.total ? overview.total : `${overview.matching} of ${overview.total}`} function${overview.total === 1 ? '' : 's'}` +
            (shown < overview.matching ? ` (first ${shown} shown: filter by name)` : '') +
            ` · calls/s over the last ${overview.rateSeconds} s, the other figures over the last ${overview.liveSeconds} s`;
    } catch (failure) {
      if (stopped || shell.failed(failure)) return;
      error.textContent = failure.message;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };
  filter.addEventListener('input', () => refresh());
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
