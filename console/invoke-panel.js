// The invoke form: arguments for an `args` function, or method, path and body for a `wagi` one. The
// server runs it as a real call of the function and answers its status, headers and body.
import * as api from './api.js';
import { h } from './dom.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function invokePanel(name, abi, called) {
  const fields = [];
  const read = {};
  if (abi === 'wagi') {
    const method = h(
      'select',
      { id: 'invoke-method', name: 'method' },
      METHODS.map((m) => h('option', {}, m)),
    );
    const path = h('input', { id: 'invoke-path', name: 'path', placeholder: '/7?full=1', autocomplete: 'off' });
    const body = h('textarea', { id: 'invoke-body', name: 'body', rows: 3 });
    fields.push(
      h('div', { className: 'row' }, h('label', { for: 'invoke-method' }, 'Method'), method),
      h('div', { className: 'row' }, h('label', { for: 'invoke-path' }, `Path below /exec/${name}`), path),
      h('div', { className: 'row' }, h('label', { for: 'invoke-body' }, 'Body'), body),
    );
    Object.assign(read, { method: () => method.value, path: () => path.value, body: () => body.value });
  } else {
    const args = h('input', { id: 'invoke-args', name: 'args', placeholder: '5, 2', autocomplete: 'off', inputmode: 'decimal' });
    fields.push(h('div', { className: 'row' }, h('label', { for: 'invoke-args' }, 'Arguments (comma-separated)'), args));
    read.args = () => args.value;
  }
  const output = h('output', { id: 'invoke-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Invoke');
  const form = h('form', { className: 'invoke', onsubmit: (event) => submit(event) }, fields, button);
  const element = h('section', { 'aria-labelledby': 'h-invoke', className: 'panel' }, h('h2', { id: 'h-invoke' }, 'Invoke'), form, output);

  const submit = async (event) => {
    event.preventDefault();
    button.disabled = true;
    output.replaceChildren('Calling…');
    try {
      const body = Object.fromEntries(Object.entries(read).map(([key, value]) => [key, value()]));
      const answer = await api.invoke(name, body);
      const headers = Object.entries(answer.headers).map(([key, value]) => `${key}: ${value}`);
      output.replaceChildren(
        h(
          'p',
          { className: answer.status < 400 ? 'ok' : 'error' },
          `HTTP ${answer.status}`,
          answer.headers['x-nano-version'] ? ` · v${answer.headers['x-nano-version']}` : '',
        ),
        h('pre', { id: 'invoke-body-out' }, answer.body + (answer.truncated ? '\n… (cut at 64 KiB)' : '')),
        h('details', {}, h('summary', {}, 'Headers'), h('pre', {}, headers.join('\n'))),
      );
      called();
    } catch (failure) {
      output.replaceChildren(h('p', { className: 'error', role: 'alert' }, failure.message));
    } finally {
      button.disabled = false;
    }
  };
  return { element };
}
