// Anomalies: the open ones and the past, each with the curve of the figure that raised it,
// from a quarter of an hour before it was raised to five minutes after it cleared (or now).
import * as api from '../api.js';
import { h, fill, table } from '../dom.js';
import { time } from '../format.js';
import { TimeChart } from '../chart.js';

export function mount(el, { query }, ctx) {
  let state = 'open';
  let chosen = query.get('id') ? Number(query.get('id')) : null;
  let list = [];
  const stateSelect = h('select', { id: 'anomaly-state', 'aria-label': 'which anomalies', onchange: (e) => {
    state = e.target.value;
    ctx.refreshNow();
  } }, h('option', { value: 'open' }, 'open'), h('option', { value: 'all' }, 'open and past'));
  if (chosen !== null) { state = 'all'; stateSelect.value = 'all'; }
  const listBox = h('div', { id: 'anomaly-list' });
  const detail = h('section', { id: 'anomaly-detail' });
  fill(el, h('h1', {}, 'Anomalies ', stateSelect), listBox, detail);
  let chart = null;

  async function showDetail() {
    const a = list.find((x) => x.id === chosen);
    if (!a) { fill(detail); return; }
    if (!chart || detail.dataset.id !== String(a.id)) {
      if (chart) chart.destroy();
      fill(detail, h('h2', {}, `${a.rule} · ${a.topology}${a.component ? ' · ' + a.component : ''}`),
        h('p', {}, a.message), h('p', { class: 'muted' },
          `raised ${time(a.raised_secs)}${a.cleared_secs ? ', cleared ' + time(a.cleared_secs) : ', still open'}` +
          (a.figure ? ` · figure ${a.figure}, value ${a.value}, threshold ${a.threshold}` : '')));
      detail.dataset.id = String(a.id);
      chart = a.figure ? new TimeChart(detail, { title: `${a.figure} around the anomaly`, format: (v) => v.toFixed(2), testid: 'anomaly' }) : null;
      if (!chart) detail.append(h('p', { class: 'muted' }, 'This anomaly is an event: it has no curve.'));
    }
    if (!chart) return;
    const from = a.raised_secs - 900;
    const to = Math.min(api.now(), (a.cleared_secs || api.now()) + 300);
    try {
      const answer = await api.history(a.topology, { from, to, names: [a.figure], component: a.component || undefined,
        resolution: to - from > 21600 ? 60 : undefined });
      const byTime = new Map();
      for (const s of answer.series) for (const [t, v] of s.points) byTime.set(t, (byTime.get(t) || 0) + v);
      const points = [...byTime.entries()].sort((x, y) => x[0] - y[0]);
      const lines = [{ label: a.figure, points }];
      // An event (a restart, a failed checkpoint) has no threshold to draw.
      const event = a.rule === 'worker_restarted' || a.rule === 'checkpoint_failed';
      if (points.length && !event && a.threshold !== null && a.threshold !== undefined)
        lines.push({ label: 'threshold', points: points.map(([t]) => [t, a.threshold]), colour: '#d62728' });
      chart.update(lines);
    } catch (e) {
      fill(detail, h('p', { class: 'error' }, `No history for it: ${e.message}`));
      chart = null;
    }
  }

  async function refresh() {
    list = await api.get(`/anomalies?state=${state}&limit=500`);
    fill(listBox, table(
      [{ title: 'Rule' }, { title: 'Severity' }, { title: 'Topology' }, { title: 'Where' }, { title: 'Message' },
        { title: 'Raised' }, { title: 'Cleared' }],
      list.map((a) => [
        h('a', { href: `#/anomalies?id=${a.id}`, 'data-anomaly': a.rule, onclick: () => { chosen = a.id; } }, a.rule),
        h('span', { class: `severity ${a.severity}` }, a.severity),
        h('a', { href: `#/topology/${encodeURIComponent(a.topology)}` }, a.topology),
        a.component || a.worker || '', a.message, time(a.raised_secs),
        a.cleared_secs ? time(a.cleared_secs) : h('strong', { class: 'bad' }, 'open')]),
      { class: 'grid', id: 'anomaly-table' }));
    await showDetail();
  }

  return { refresh, unmount() { if (chart) chart.destroy(); } };
}
