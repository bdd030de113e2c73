// The console's shell: who is signed in, which page is shown (the part after # in the address),
// and the refresh every few seconds. Pages are in views/; each is mount(el, params, ctx), which
// returns {refresh(), unmount()}.
import * as api from './api.js';
import { h, fill } from './dom.js';
import * as cluster from './views/cluster.js';
import * as topology from './views/topology.js';
import * as anomalies from './views/anomalies.js';
import * as screen from './views/screen.js';
import * as log from './views/log.js';

const REFRESH_MS = 5000;
const view = document.getElementById('view');
const ctx = { who: null, notify, confirm: confirmAction, refreshNow: () => {} };
let current = null;
let timer = null;

function route() {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(search || '');
  let parts;
  try {
    parts = path.split('/').map(decodeURIComponent);
  } catch {
    parts = ['']; // a malformed address: the cluster page
  }
  const [page, ...rest] = parts;
  if (page === 'topology' && rest.length) return { page: 'topology', module: topology, params: { name: rest.join('/'), query } };
  if (page === 'log' && rest.length === 3) {
    return { page: 'topology', module: log, params: { name: rest[0], supervisor: rest[1], port: rest[2], query } };
  }
  if (page === 'anomalies') return { page, module: anomalies, params: { query } };
  if (page === 'screen') return { page, module: screen, params: { query } };
  return { page: 'cluster', module: cluster, params: { query } };
}

let keepNotice = false;

// A message at the top: what an action did, or why it could not.
export function notify(text, kind = 'info') {
  keepNotice = Boolean(text) && kind === 'ok';
  const el = document.getElementById('notice');
  el.textContent = text;
  el.className = kind;
  el.hidden = !text;
}

// Asks before an action: title, text, optional fields [{name, label, value, placeholder}].
// Resolves to the fields' values, or null if cancelled.
function confirmAction(title, text, fields = []) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const inputs = fields.map((f) => h('input', { name: f.name, value: f.value ?? '', placeholder: f.placeholder || '',
    'aria-label': f.label, id: `field-${f.name}` }));
  fill(document.getElementById('confirm-fields'),
    fields.map((f, i) => h('label', {}, f.label, inputs[i])));
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'ok') return resolve(null);
      resolve(Object.fromEntries(fields.map((f, i) => [f.name, inputs[i].value.trim()])));
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function show() {
  clearInterval(timer);
  if (current) current.unmount();
  current = null;
  const r = route();
  // A notice stays for the page an action led to (a kill goes back to the cluster), no longer.
  if (!keepNotice) notify('');
  keepNotice = false;
  document.body.dataset.page = r.page;
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === r.page);
  fill(view);
  current = r.module.mount(view, r.params, ctx);
  const shown = current;
  let busy = false;
  const tick = async () => {
    if (busy || shown !== current) return; // the last refresh is still out, or the page changed
    busy = true;
    try {
      await shown.refresh();
      view.dataset.refreshed = String(Date.now());
      if (document.getElementById('notice').className === 'stale') notify('');
    } catch (e) {
      if (e.status !== 401) notify(`Could not refresh: ${e.message}`, 'stale');
    } finally {
      busy = false;
    }
  };
  ctx.refreshNow = tick;
  await tick();
  timer = setInterval(tick, r.module.refreshMs || REFRESH_MS);
}

function signIn(reason) {
  clearInterval(timer);
  if (current) current.unmount();
  current = null;
  ctx.who = null;
  api.setToken('');
  fill(document.getElementById('who'));
  const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', 'aria-label': 'API token',
    placeholder: 'token (gale token create, or admin.token)' });
  const form = h('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    api.setToken(input.value);
    await start();
  } },
  h('h1', {}, 'Sign in to Gale'),
  h('p', {}, 'Paste an API token. It is kept in this tab only, until the tab is closed.'),
  reason ? h('p', { class: 'error' }, reason) : null,
  input, h('button', { type: 'submit' }, 'Sign in'));
  fill(view, form);
  input.focus();
}

async function start() {
  try {
    ctx.who = await api.get('/whoami');
  } catch (e) {
    if (e.status === 401) return; // signIn() already shown
    fill(view, h('p', { class: 'error' }, `Nimbus did not answer: ${e.message}`));
    return;
  }
  fill(document.getElementById('who'), `${ctx.who.principal} (${ctx.who.role}) `,
    h('button', { class: 'link', id: 'signout', onclick: () => signIn('') }, 'sign out'));
  await show();
}

api.whenUnauthenticated((message) => signIn(api.token() ? message : ''));
window.addEventListener('hashchange', () => {
  if (ctx.who) show().catch((e) => notify(`Could not show the page: ${e.message}`, 'error'));
});
start();
