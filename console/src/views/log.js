// A worker's log (#/log/<topology>/<supervisor>/<port>): its tail, followed every few seconds,
// earlier pages, and a search for the lines that hold a text. Nimbus reads it from the
// supervisor's log server (docs/CONSOLE.md); the address names the worker, never a file.
import * as api from '../api.js';
import { h, fill, table } from '../dom.js';
import { count } from '../format.js';

const SIZES = [16384, 65536, 262144, 1048576];

export const refreshMs = 3000;

export function mount(el, { name, supervisor, port }, ctx) {
  const base = `${api.topologyPath(name)}/workers/${encodeURIComponent(supervisor)}/${encodeURIComponent(port)}/log`;
  let length = 65536;
  let start = null; // null: the tail, followed
  let page = null;
  const sizeSelect = h('select', { id: 'log-size', 'aria-label': 'how much', onchange: (e) => {
    length = Number(e.target.value);
    ctx.refreshNow();
  } }, SIZES.map((n) => h('option', { value: n, selected: n === length }, `${count(n)} B`)));
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true, onchange: () => {
    start = follow.checked ? null : (page ? page.start : 0);
    ctx.refreshNow();
  } });
  const earlier = h('button', { id: 'log-earlier', onclick: () => {
    if (!page || page.start === 0) return;
    start = Math.max(0, page.start - length);
    follow.checked = false;
    ctx.refreshNow();
  } }, 'Earlier');
  const later = h('button', { id: 'log-later', onclick: () => {
    if (!page) return;
    start = page.end;
    follow.checked = false;
    ctx.refreshNow();
  } }, 'Later');
  const facts = h('p', { class: 'muted', id: 'log-facts' });
  const text = h('pre', { id: 'log-text', class: 'log' });
  const needle = h('input', { id: 'log-search', placeholder: 'text to find (case sensitive)', 'aria-label': 'search', maxlength: 256 });
  const results = h('div', { id: 'log-matches' });
  const searchForm = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    await search();
  } }, needle, h('button', { type: 'submit' }, 'Search'),
  h('button', { type: 'button', onclick: () => { needle.value = ''; fill(results); } }, 'Clear'));

  fill(el,
    h('h1', {}, 'Log of ', h('a', { href: `#/topology/${encodeURIComponent(name)}` }, name),
      ` · worker ${supervisor}:${port}`),
    h('div', { class: 'toolbar' }, h('label', {}, follow, ' follow the end'), ' ', sizeSelect, ' ', earlier, ' ', later),
    facts, text, h('h2', {}, 'Search'), searchForm, results);

  async function search() {
    const q = needle.value;
    if (!q) return;
    fill(results, h('p', { class: 'muted' }, 'searching…'));
    try {
      const a = await api.get(`${base}?search=${encodeURIComponent(q)}&limit=500`);
      fill(results,
        h('p', { class: 'muted' }, `${a.matches.length} ${a.matches.length === 1 ? 'line' : 'lines'}${a.more ? ' (the last ones; earlier matches left out)' : ''}` +
          (a.scanned_from > 0 ? ` in the last ${count(a.size - a.scanned_from)} B of ${count(a.size)} B` : '')),
        table([{ title: 'Offset', num: true }, { title: 'Line' }],
          a.matches.map((m) => [h('a', { href: '#', onclick: (e) => {
            e.preventDefault();
            start = Math.max(0, m.offset - Math.floor(length / 2));
            follow.checked = false;
            ctx.refreshNow();
          } }, String(m.offset)), h('code', {}, m.line)]), { class: 'grid', id: 'log-match-table' }));
    } catch (e) {
      fill(results, h('p', { class: 'error' }, e.message));
    }
  }

  async function refresh() {
    // A page that ends before the file's end cannot change: it is not read again.
    if (start !== null && page && page.start === start && page.length === length && page.end < page.size) return;
    try {
      const q = start === null ? `length=${length}` : `length=${length}&start=${start}`;
      const a = await api.get(`${base}?${q}`);
      page = { start: a.start, end: a.end, size: a.size, length };
      const atEnd = text.scrollTop + text.clientHeight >= text.scrollHeight - 4;
      text.textContent = a.text;
      if (start === null && atEnd) text.scrollTop = text.scrollHeight;
      fill(facts, `bytes ${count(a.start)}–${count(a.end)} of ${count(a.size)}` +
        (start === null ? ' · following the end' : ''));
      earlier.disabled = a.start === 0;
      later.disabled = a.end >= a.size;
    } catch (e) {
      if (e.status === 401) throw e;
      if (e.status === 429 && page) { // others are reading logs: keep this one, try again soon
        fill(facts, h('span', { class: 'muted' }, `${e.message} (retrying)`));
        return;
      }
      page = null;
      text.textContent = '';
      fill(facts, h('span', { class: 'error', id: 'log-error' }, e.message));
    }
  }

  return { refresh, unmount() {} };
}
