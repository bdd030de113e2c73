// The big screen: one view for a wall in the operations room, readable from across it, on
// every running topology's own figures (docs/METRICS.md: transactions, alerts{rule,severity},
// sms_sent, dead_letters, institution_balance) and the cluster's health. Refreshed every 5 s.
import * as api from '../api.js';
import { h, fill } from '../dom.js';
import { rate, count, money } from '../format.js';
import { TimeChart } from '../chart.js';

export const refreshMs = 5000;
const CURVE_SECS = 1800;
const TOP_SECS = 600;
const NAMES = ['app.transactions.per_sec', 'app.alerts.per_sec', 'app.sms_sent.per_sec', 'app.dead_letters.per_sec'];

// Each topology's own metrics, summed over its components: name -> [{labels, value}].
function totals(status) {
  const out = new Map();
  for (const c of Object.values(status.components || {})) {
    for (const m of c.metrics || []) {
      const list = out.get(m.name) || [];
      const key = JSON.stringify(m.labels || {});
      const found = list.find((x) => x.key === key);
      if (m.kind === 'gauge' && m.combine === 'latest') {
        if (!found) list.push({ key, labels: m.labels || {}, value: m.value, at: m.updated_ms });
        else if ((m.updated_ms || 0) > (found.at || 0)) Object.assign(found, { value: m.value, at: m.updated_ms });
      } else if (found) found.value += m.value || 0;
      else list.push({ key, labels: m.labels || {}, value: m.value || 0 });
      out.set(m.name, list);
    }
  }
  return out;
}

// The last point of each series, summed: the figure now.
function latest(series, filter = () => true) {
  let sum = 0;
  for (const s of series) if (filter(s) && s.points.length) sum += s.points[s.points.length - 1][1];
  return sum;
}

export function mount(el) {
  const figures = h('section', { class: 'screen-figures' });
  const lower = h('section', { class: 'screen-lower' });
  const curves = h('div', { class: 'screen-curves' });
  const full = h('button', { class: 'link fullscreen', onclick: () => el.requestFullscreen && el.requestFullscreen() }, 'full screen');
  const clock = h('span', { class: 'clock' });
  fill(el, h('div', { class: 'screen-head' }, h('h1', {}, 'Operations'), clock, full), figures, curves, lower);
  const flow = new TimeChart(curves, { title: 'Transactions/s', format: rate, height: 220, testid: 'screen-transactions' });
  const alertCurve = new TimeChart(curves, { title: 'Alerts per minute', format: rate, height: 220, testid: 'screen-alerts' });

  async function refresh() {
    const to = api.now();
    const [cluster, list, open] = await Promise.all([
      api.get('/cluster'), api.get('/topologies'), api.get('/anomalies?state=open&limit=1000')]);
    const running = list.filter((t) => t.status === 'active');
    const per = await Promise.all(running.map(async (t) => {
      const [status, history] = await Promise.all([
        api.get(api.topologyPath(t.name)),
        api.history(t.name, { from: to - CURVE_SECS, to, names: NAMES })]);
      return { name: t.name, totals: totals(status), series: history.series, resolution: history.resolution_secs };
    }));
    const all = per.flatMap((p) => p.series);
    const perSec = (n) => all.filter((s) => s.name === n);
    const tps = latest(perSec('app.transactions.per_sec'));
    const alertsBy = {};
    for (const s of perSec('app.alerts.per_sec')) {
      const sev = s.labels.severity || 'unknown';
      if (s.points.length) alertsBy[sev] = (alertsBy[sev] || 0) + s.points[s.points.length - 1][1] * 60;
    }
    const alertsPerMin = Object.values(alertsBy).reduce((a, b) => a + b, 0);
    // The top rules: alerts in the last 10 minutes, from the per-second rates.
    const byRule = new Map();
    for (const p of per)
      for (const s of p.series)
        if (s.name === 'app.alerts.per_sec')
          for (const [t, v] of s.points)
            if (t > to - TOP_SECS) byRule.set(s.labels.rule || '?', (byRule.get(s.labels.rule || '?') || 0) + v * p.resolution);
    const top = [...byRule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    const sum = (name) => per.reduce((n, p) => n + (p.totals.get(name) || []).reduce((m, x) => m + x.value, 0), 0);
    const balances = per.flatMap((p) => p.totals.get('institution_balance') || [])
      .sort((a, b) => (a.labels.institution || '').localeCompare(b.labels.institution || ''));
    const slots = cluster.supervisors.reduce((n, s) => n + s.slots.length, 0);
    const used = cluster.supervisors.reduce((n, s) => n + s.used.length, 0);
    const healthy = cluster.leader && cluster.supervisors.length && !open.length;

    fill(figures,
      big('Transactions/s', rate(tps), 'transactions'),
      big('Alerts/min', rate(alertsPerMin), 'alerts', Object.entries(alertsBy).sort()
        .map(([sev, v]) => h('span', { class: `severity ${sev}` }, `${sev} ${rate(v)}`))),
      big('SMS sent', count(sum('sms_sent')), 'sms', h('span', {}, `${rate(latest(perSec('app.sms_sent.per_sec')))}/s`)),
      big('Dead letters', count(sum('dead_letters')), 'dead-letters', h('span', {}, `${rate(latest(perSec('app.dead_letters.per_sec')))}/s`)),
      big('Cluster', healthy ? 'healthy' : (open.length ? `${open.length} open` : 'degraded'), 'health',
        h('span', {}, `${running.length}/${list.length} topologies running · ${cluster.supervisors.length} supervisors · ${slots - used} free slots`),
        healthy ? 'good' : 'bad'));
    fill(lower,
      h('div', { class: 'panel', id: 'top-rules' }, h('h2', {}, 'Top rules, last 10 min'),
        top.length ? h('ol', {}, top.map(([rule, n]) => h('li', {}, h('span', {}, rule), h('strong', {}, count(n)))))
          : h('p', { class: 'muted' }, 'no alerts')),
      h('div', { class: 'panel', id: 'balances' }, h('h2', {}, 'Balances by institution'),
        balances.length ? h('ol', { class: 'plain' }, balances.map((b) => h('li', {},
          h('span', {}, `${b.labels.institution || '?'} ${b.labels.currency || ''}`), h('strong', {}, money(b.value)))))
          : h('p', { class: 'muted' }, 'no balances topology running')),
      h('div', { class: 'panel', id: 'screen-anomalies' }, h('h2', {}, 'Open anomalies'),
        open.length ? h('ol', { class: 'plain' }, open.slice(0, 6).map((a) => h('li', { class: `severity ${a.severity}` },
          h('span', {}, `${a.rule} · ${a.topology}`), h('strong', {}, a.component || a.worker || ''))))
          : h('p', { class: 'good' }, 'none')));
    const sumLine = (name, scale) => {
      const byTime = new Map();
      for (const s of perSec(name)) for (const [t, v] of s.points) byTime.set(t, (byTime.get(t) || 0) + v * scale);
      return [...byTime.entries()].sort((a, b) => a[0] - b[0]);
    };
    flow.update([{ label: 'transactions/s', points: sumLine('app.transactions.per_sec', 1) }]);
    alertCurve.update([{ label: 'alerts/min', points: sumLine('app.alerts.per_sec', 60), colour: '#e4572e' }]);
    clock.textContent = new Date().toLocaleTimeString('en-GB', { hour12: false });
  }

  return { refresh, unmount() { flow.destroy(); alertCurve.destroy(); } };
}

function big(title, value, id, detail = null, kind = '') {
  return h('div', { class: `figure ${kind}`, id: `figure-${id}` },
    h('div', { class: 'title' }, title), h('div', { class: 'value' }, value), h('div', { class: 'detail' }, detail));
}
