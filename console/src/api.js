// The console's one way to Nimbus: the HTTP API of docs/CLUSTER.md, with the operator's token.
// The token lives in sessionStorage: it is gone when the tab is closed, and no other site can
// read it (the console runs no script but its own, CSP script-src 'self').

const TOKEN_KEY = 'gale.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
}

// Called on a 401: the token was revoked or mistyped (app.js shows the sign-in).
let onUnauthenticated = () => {};
export function whenUnauthenticated(f) {
  onUnauthenticated = f;
}

// `body`: JSON, or with `raw` the bytes themselves (a blob).
async function call(method, path, body, raw = false) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, `Nimbus cannot be reached (${e.message})`);
  }
  let answer = null;
  const text = await response.text();
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    answer = { error: text };
  }
  if (!response.ok) {
    const message = (answer && answer.error) || `${response.status} ${response.statusText}`;
    if (response.status === 401) onUnauthenticated(message);
    throw new ApiError(response.status, message);
  }
  return answer;
}

export const get = (path) => call('GET', path);
export const post = (path, body = {}) => call('POST', path, body);

// A blob's new bytes (a file the operator chose), as `gale blob put` sends them.
export const putBlob = (name, key, bytes) =>
  call('PUT', `${topologyPath(name)}/blobs/${encodeURIComponent(key)}`, bytes, true);

export const topologyPath = (name) => `/topologies/${encodeURIComponent(name)}`;

// The figures of a topology between `from` and `to` (Unix seconds), [{component, name, labels,
// points: [[t, v], ...]}]; `names` and `component` narrow it.
export async function history(name, { from, to, names, component, resolution } = {}) {
  const q = new URLSearchParams();
  if (from !== undefined) q.set('from', Math.floor(from));
  if (to !== undefined) q.set('to', Math.floor(to));
  if (resolution) q.set('resolution', resolution);
  if (component) q.set('component', component);
  if (names && names.length) q.set('names', names.join(','));
  return get(`${topologyPath(name)}/metrics?${q}`);
}

// Who may do what (docs/SECURITY.md): viewers read, deployers act on their own topologies,
// admins on all. The API decides; the console only leaves out buttons that could never work.
export function canAct(who, topology) {
  if (!who) return false;
  if (who.role === 'admin') return true;
  return who.role === 'deployer' && (!topology || !topology.owner || topology.owner === who.principal);
}

export const now = () => Math.floor(Date.now() / 1000);
