// A platform function's versions, newest first, with a rollback to any other one. The rollback asks
// for a second click (in the page, not a dialog) because it changes what every caller gets.
import * as api from './api.js';
import { h } from './dom.js';

export function versionsPanel(name, changed) {
  const body = h('tbody');
  const message = h('p', { role: 'status', className: 'muted', id: 'rollback-status' });
  const element = h(
    'section',
    { 'aria-labelledby': 'h-versions', className: 'panel' },
    h('h2', { id: 'h-versions' }, 'Versions'),
    h(
      'table',
      { className: 'versions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Version', 'Deployed', ''].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      body,
    ),
    message,
  );
  let current;

  const load = async () => {
    try {
      const list = await api.versions(name);
      current = list.current;
      body.replaceChildren(...list.versions.map((version) => row(version)));
    } catch (failure) {
      message.textContent = failure.message;
    }
  };

  const row = (version) => {
    const action = h('td', { className: 'actions' });
    if (version.current) action.append(h('span', { className: 'badge' }, 'serving'));
    else {
      const label = `${version.version < current ? 'Roll back' : 'Roll forward'} to v${version.version}`;
      action.append(h('button', { type: 'button', onclick: () => confirm(action, version.version) }, label));
    }
    return h(
      'tr',
      { 'data-version': version.version },
      h('th', { scope: 'row' }, `v${version.version}`),
      h('td', {}, new Date(version.createdAt).toLocaleString()),
      action,
    );
  };

  const confirm = (cell, to) => {
    const yes = h('button', { type: 'button', className: 'danger', onclick: () => rollback(to) }, `Serve v${to} instead of v${current}`);
    const no = h('button', { type: 'button', className: 'secondary', onclick: () => load() }, 'Cancel');
    cell.replaceChildren(yes, ' ', no);
    yes.focus();
  };

  const rollback = async (to) => {
    message.textContent = `Rolling back to v${to}…`;
    try {
      const done = await api.rollback(name, to);
      message.textContent = `Now serving v${done.version} (was v${done.from}).`;
    } catch (failure) {
      message.textContent = `Rollback refused: ${failure.message}`;
    }
    await load();
    changed();
  };

  load();
  return {
    element,
    /** The version serving now: a rollback made elsewhere (the CLI, another node) shows up here too. */
    show(version) {
      if (current !== undefined && version !== current) load();
    },
  };
}
