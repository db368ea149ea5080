// The console's requests to its server: JSON in and out, relative to the page (/_nano/), the session in
// its cookie. Every request that changes something carries x-nano-console (the server's CSRF defence).

export class ApiError extends Error {
  constructor(status, code, message, hint) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

export async function request(path, options = {}) {
  const method = options.method ?? 'GET';
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['x-nano-console'] = '1';
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'Unreachable', 'the server does not answer', 'is nano still running?');
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'HttpError', error.message ?? `HTTP ${response.status}`, error.hint);
  }
  return data;
}

export const session = () => request('session');
export const login = (token) => request('login', { method: 'POST', body: { token } });
export const logout = () => request('logout', { method: 'POST' });
export const overview = (q) => request(`api/overview${q ? `?q=${encodeURIComponent(q)}` : ''}`);

const fn = (name) => `api/functions/${encodeURIComponent(name)}`;
export const series = (name, seconds) => request(`${fn(name)}/series?seconds=${seconds}`);
export const versions = (name) => request(`${fn(name)}/versions`);
export const rollback = (name, to) => request(`${fn(name)}/rollback`, { method: 'POST', body: { to } });
export const invoke = (name, body) => request(`${fn(name)}/invoke`, { method: 'POST', body });
export const logsUrl = (name) => `${fn(name)}/logs`;
