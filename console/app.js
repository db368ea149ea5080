// The console page: asks the server whether a login is needed, then shows the function list (#/) or a
// function's page (#/f/<name>). Each view returns a function that stops its timers and streams, called
// when the view changes, so nothing keeps polling for a page no longer shown.
import * as api from './api.js';
import { h, where } from './dom.js';
import { listView } from './list-view.js';
import { functionView } from './function-view.js';

const main = document.getElementById('main');
const buildBanner = document.getElementById('build');
const whereLabel = document.getElementById('where');
const logoutButton = document.getElementById('logout');

let stopView = () => {};
/** The first page shown needs no focus moved; every later one does. */
let navigated = false;

/** What the views share: the overview's header details and the build banner, updated on every poll. */
const shell = {
  showOverview(overview) {
    const node = overview.node ? ` · node ${overview.node.id} · revision ${overview.node.revision}` : '';
    whereLabel.textContent = `nano ${overview.mode}${node}`;
    logoutButton.hidden = !overview.loginRequired;
    showBuild(overview.buildStatus);
  },
  /** A 401 mid-session (the server restarted, the session expired): back to the login form. */
  failed(error) {
    if (error instanceof api.ApiError && error.status === 401) {
      showLogin('Your session ended: log in again.');
      return true;
    }
    return false;
  },
};

function showBuild(status) {
  buildBanner.replaceChildren();
  buildBanner.className = '';
  if (!status) return;
  const time = new Date(status.at).toLocaleTimeString();
  if (status.ok) {
    buildBanner.className = 'banner ok';
    buildBanner.append(`Build ok at ${time} (${Math.round(status.durationMs)} ms)`);
    return;
  }
  buildBanner.className = 'banner failed';
  const items = [];
  if (status.configError) {
    const problems = status.configError.problems;
    if (problems.length === 0) items.push(h('li', {}, status.configError.message));
    for (const problem of problems) items.push(problemItem('nano.yml', problem, 'still serving the last good configuration'));
  }
  for (const failure of status.failures) {
    const serving = failure.serving === null ? 'not served' : `still serving v${failure.serving}`;
    for (const problem of failure.problems) items.push(problemItem(failure.name, problem, serving));
  }
  if (status.error) items.push(h('li', {}, `reload failed: ${status.error}`));
  buildBanner.append(h('strong', {}, `Build failed at ${time}`), h('ul', {}, items));
}

function problemItem(subject, problem, serving) {
  return h(
    'li',
    {},
    h('span', { className: 'subject' }, subject),
    ': ',
    h('code', { className: 'location' }, where(problem)),
    problem.path ? ` ${problem.path}` : '',
    `: ${problem.message} `,
    h('span', { className: 'muted' }, `(${serving})`),
    problem.detail ? h('pre', {}, problem.detail) : null,
  );
}

function showLogin(message) {
  stopView();
  stopView = () => {};
  logoutButton.hidden = true;
  const error = h('p', { id: 'login-error', className: 'error', role: 'alert' }, message ?? '');
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'login-error',
  });
  const form = h(
    'form',
    { className: 'login', onsubmit: (event) => submitLogin(event, input, error) },
    h('h1', {}, 'Log in'),
    h('p', { className: 'muted' }, 'This nano server has a token: enter it to open the console.'),
    h('label', { for: 'token' }, 'Server token'),
    input,
    error,
    h('button', { type: 'submit' }, 'Log in'),
  );
  main.replaceChildren(form);
  input.focus();
}

async function submitLogin(event, input, error) {
  event.preventDefault();
  error.textContent = '';
  try {
    await api.login(input.value);
    input.value = '';
    route();
  } catch (failure) {
    error.textContent =
      failure.status === 401 ? 'Wrong token: the console stays locked. Use the token the server was started with.' : failure.message;
    input.select();
  }
}

logoutButton.addEventListener('click', async () => {
  await api.logout().catch(() => undefined);
  showLogin('Logged out.');
});

/** The function a `#/f/<name>` address names; undefined for the list, or for an address that does not decode. */
function functionInHash(hash) {
  const match = /^#\/f\/(.+)$/.exec(hash);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

async function route() {
  stopView();
  stopView = () => {};
  let state;
  try {
    state = await api.session();
  } catch (error) {
    main.replaceChildren(h('p', { className: 'error', role: 'alert' }, error.message));
    return;
  }
  if (state.loginRequired && !state.authenticated) {
    showLogin();
    return;
  }
  const name = functionInHash(location.hash);
  stopView = name === undefined ? listView(main, shell) : functionView(main, name, shell);
  // A new page: the keyboard starts at its content, not wherever the last one left it.
  if (navigated) main.focus();
  navigated = true;
}

// Only #/… is a page; another hash (the skip link's #main) leaves the view as it is.
window.addEventListener('hashchange', () => {
  if (location.hash === '' || location.hash.startsWith('#/')) route();
});
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
route();
