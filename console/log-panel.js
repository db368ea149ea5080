// The live log tail: the function's last entries, then each new one as the server streams it (SSE),
// newest first, the last 100 kept. EventSource reconnects by itself after a dropped connection.
import * as api from './api.js';
import { h, ms } from './dom.js';

const KEPT = 100;

function entryItem(entry) {
  const time = new Date(entry.time).toLocaleTimeString();
  const bad = entry.outcome !== 'ok';
  return h(
    'li',
    { className: bad ? 'bad' : undefined, 'data-request-id': entry.requestId },
    h(
      'div',
      { className: 'meta' },
      h('time', { datetime: entry.time }, time),
      ` ${entry.status} ${entry.outcome} · ${ms(entry.durationMs)}`,
      entry.version === null ? '' : ` · v${entry.version}`,
      entry.coldStart ? ' · cold' : '',
      h('span', { className: 'muted' }, ` · ${entry.requestId}`),
    ),
    entry.lines.length > 0 ? h('pre', {}, entry.lines.join('\n')) : null,
  );
}

export function logPanel(name) {
  const state = h('span', { className: 'muted', id: 'log-state' }, 'connecting…');
  const list = h('ol', { id: 'log-tail', className: 'log', role: 'log', 'aria-label': `${name} log` });
  const element = h(
    'section',
    { 'aria-labelledby': 'h-logs', className: 'panel wide' },
    h('h2', { id: 'h-logs' }, 'Log tail ', state),
    list,
  );
  const source = new EventSource(api.logsUrl(name));
  source.addEventListener('open', () => (state.textContent = '● live'));
  source.addEventListener('error', () => (state.textContent = 'reconnecting…'));
  source.addEventListener('log', (event) => {
    list.prepend(entryItem(JSON.parse(event.data)));
    while (list.children.length > KEPT) list.lastElementChild.remove();
  });
  source.addEventListener('dropped', (event) => {
    list.prepend(h('li', { className: 'muted' }, `${event.data} entries skipped (too many to show)`));
  });
  return { element, stop: () => source.close() };
}
