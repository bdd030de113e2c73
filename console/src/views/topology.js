// A topology's page: its state and actions, the graph with per-edge rates, curves over a chosen
// range, the component table over a window, workers (with their logs), errors, checkpoints,
// savepoints, anomalies and the effective configuration.
import * as api from '../api.js';
import { h, fill, table } from '../dom.js';
import { rate, share, ms, duration, time, count } from '../format.js';
import { drawGraph } from '../graph.js';
import { TimeChart } from '../chart.js';

const RANGES = [['10m', 600], ['1h', 3600], ['3h', 10800], ['6h', 21600], ['1d', 86400], ['7d', 604800]];
const WINDOWS = [['10m', 600], ['3h', 10800], ['1d', 86400], ['all', 0]];
const TABLE_FIGURES = ['emitted_per_sec', 'executed_per_sec', 'acked_per_sec', 'failed_per_sec', 'capacity',
  'busy_share', 'backpressured_share', 'complete_latency_ms', 'execute_latency_ms'];

// The curves: [title, figures, which lines, format]. A line is one component's figure (labels
// summed where a figure has several, e.g. Kafka lag per partition).
const CURVES = [
  { id: 'throughput', title: 'Throughput (tuples/s: spouts emitted, bolts executed)',
    names: ['emitted_per_sec', 'executed_per_sec'],
    pick: (s, kinds) => (kinds[s.component] === 'spout' ? s.name === 'emitted_per_sec' : s.name === 'executed_per_sec'),
    format: rate },
  { id: 'latency', title: 'Complete latency p50 / p99', names: ['complete_latency_p50_ms', 'complete_latency_p99_ms'],
    label: (s) => `${s.component} ${s.name.includes('p50') ? 'p50' : 'p99'}`, format: ms },
  { id: 'failed', title: 'Failed tuples/s', names: ['failed_per_sec'], format: rate },
  { id: 'capacity', title: 'Capacity (bolts)', names: ['capacity'], pick: (s, kinds) => kinds[s.component] === 'bolt',
    format: (v) => v.toFixed(3) },
  { id: 'backpressure', title: 'Backpressured share of time', names: ['backpressured_share'], format: share,
    range: [0, 1] },
  { id: 'lag', title: 'Kafka lag (messages)', names: ['app.kafka_lag'],
    label: (s) => `${s.component} ${s.labels.topic || ''}`, format: rate },
];

export function mount(el, { name }, ctx) {
  let range = 600;
  let windowSecs = 600;
  let last = null;  // the status before, for per-edge rates
  let edgeRates = new Map();
  const head = h('section', { class: 'topology-head' });
  const actions = h('div', { class: 'actions' });
  const graphBox = h('div', { class: 'graph-box', id: 'graph' });
  const charts = h('div', { class: 'charts', id: 'charts' });
  const components = h('div', { id: 'components' });
  const workers = h('div', { id: 'workers' });
  const errors = h('div', { id: 'errors' });
  const checkpoints = h('div', { id: 'checkpoints' });
  const savepoints = h('div', { id: 'savepoints' });
  const anomalies = h('div', { id: 'topology-anomalies' });
  const config = h('div', { id: 'config' });
  const settings = h('div', { id: 'settings' });
  const blobs = h('div', { id: 'blobs' });
  const failed = (e) => ctx.notify(`Could not load: ${e.message}`, 'stale');
  const rangeSelect = select(RANGES, range, (v) => { range = v; refreshCurves().catch(failed); }, 'range');
  const windowSelect = select(WINDOWS, windowSecs, (v) => { windowSecs = v; refreshTable().catch(failed); }, 'window');
  fill(el,
    h('p', {}, h('a', { href: '#/' }, '← Cluster')),
    head, actions,
    h('section', {}, h('h2', {}, 'Graph'), graphBox),
    h('section', {}, h('h2', {}, 'Curves ', rangeSelect), charts),
    h('section', {}, h('h2', {}, 'Components ', windowSelect), components),
    h('section', {}, h('h2', {}, 'Workers'), workers),
    h('section', {}, h('h2', {}, 'Errors'), errors),
    h('section', {}, h('h2', {}, 'Checkpoints'), checkpoints),
    h('section', {}, h('h2', {}, 'Savepoints'), savepoints),
    h('section', {}, h('h2', {}, 'Anomalies'), anomalies),
    h('section', {}, h('h2', {}, 'Settings that change while it runs'), settings),
    h('section', {}, h('h2', {}, 'Blobs'), blobs),
    h('details', {}, h('summary', {}, h('h2', {}, 'Configuration')), config));
  const chartObjects = CURVES.map((c) => new TimeChart(charts, { title: c.title, format: c.format, range: c.range,
    testid: c.id }));
  let status = null;
  let kinds = {};

  async function act(action, body, question, fields) {
    const title = action === 'settings' ? `Change a setting of ${name}?`
      : `${action[0].toUpperCase()}${action.slice(1)} ${name}?`;
    const answer = await ctx.confirm(title, question, fields);
    if (!answer) return;
    try {
      const b = body(answer);
      await api.post(`${api.topologyPath(name)}/${action}`, b);
      ctx.notify(`${action}: done, recorded as ${ctx.who.principal}`, 'ok');
      if (action === 'kill') location.hash = '#/';
      else ctx.refreshNow();
    } catch (e) {
      ctx.notify(`${action} refused: ${e.message}`, 'error');
    }
  }

  function drawActions() {
    if (!api.canAct(ctx.who, status)) {
      fill(actions, h('p', { class: 'muted' }, `Signed in as ${ctx.who.role}: this page is read-only.`));
      return;
    }
    const active = status.status === 'active';
    fill(actions,
      active
        ? h('button', { id: 'deactivate', onclick: () => act('deactivate', () => ({}),
          'The spouts stop emitting; tuples in flight are finished.') }, 'Deactivate')
        : h('button', { id: 'activate', onclick: () => act('activate', () => ({}),
          'The spouts start emitting again.') }, 'Activate'),
      h('button', { id: 'rebalance', onclick: () => act('rebalance', (a) => {
        const body = {};
        if (a.workers) body.workers = Number(a.workers);
        if (a.wait_secs) body.wait_secs = Number(a.wait_secs);
        if (a.executors) {
          body.executors = {};
          for (const pair of a.executors.split(',')) {
            const [c, n] = pair.split('=').map((x) => x.trim());
            if (c) body.executors[c] = Number(n);
          }
        }
        return body;
      }, 'Its executors are spread again over the workers.', [
        { name: 'workers', label: 'Workers', value: status.num_workers },
        { name: 'executors', label: 'Executors (component=n, …)', placeholder: 'rules=4' },
        { name: 'wait_secs', label: 'Deactivated for (s)', placeholder: 'topology.message.timeout.secs' }]) }, 'Rebalance'),
      h('button', { id: 'schedule', onclick: () => act('schedule', (a) => ({ start_at: a.start_at || null }),
        'Keep it inactive until this time (RFC 3339 with an offset); empty cancels a scheduled start.',
        [{ name: 'start_at', label: 'Start at', value: status.start_at || '', placeholder: '2026-12-05T18:00:00+08:00' }]) }, 'Schedule start'),
      status.checkpoints ? h('button', { id: 'savepoint', onclick: () => act('savepoint', (a) => ({ name: a.name }),
        'Its last complete checkpoint is kept under this name, for a later submit --from-savepoint.',
        [{ name: 'name', label: 'Savepoint name', placeholder: 'before-upgrade' }]) }, 'Savepoint') : null,
      h('button', { id: 'kill', class: 'danger', onclick: () => act('kill', (a) => (a.wait_secs ? { wait_secs: Number(a.wait_secs) } : {}),
        'Its spouts stop, then its workers are stopped and it is removed. This cannot be undone.',
        [{ name: 'wait_secs', label: 'Wait (s)', placeholder: 'topology.message.timeout.secs' }]) }, 'Kill'));
  }

  function updateEdgeRates(now) {
    const rates = new Map();
    if (last) {
      const dt = (now.at - last.at) / 1000;
      // Heartbeats come every second or so: over a shorter time a rate would be 0 or a spike.
      if (dt < 3) return;
      for (const [id, c] of Object.entries(now.status.components || {})) {
        const before = (last.status.components || {})[id];
        if (!before || dt <= 0) continue;
        for (const input of c.inputs || []) {
          const old = (before.inputs || []).find((i) => i.from === input.from && i.stream === input.stream);
          if (old) rates.set(`${input.from}/${input.stream}/${id}`, Math.max(0, (input.executed - old.executed) / dt));
        }
      }
    }
    if (rates.size || !last) edgeRates = rates;
    last = now;
  }

  // The settings (gale set): each with its value now and in the config, changed from here.
  function drawSettings(answer, s) {
    const actor = api.canAct(ctx.who, s);
    const applied = s.workers.filter((w) => w.settings_version === answer.version).length;
    const change = (item) => act('settings', (a) => ({ set: { [item.key]: a.value } }),
      `The workers apply it within a second; it stays until changed or reset.`,
      // A secret is shown masked: the dialog starts empty rather than offer the mask as a value.
      [{ name: 'value', label: item.key, value: item.value === '******' ? '' : (item.value ?? '') }]);
    const reset = (item) => act('settings', () => ({ reset: [item.key] }),
      `Back to its value in the topology's config (${item.config ?? 'none'}).`);
    fill(settings,
      table([{ title: 'Setting' }, { title: 'Value' }, { title: 'In the config' }, { title: '' }],
        answer.settings.map((item) => [
          item.built_in ? item.key : h('strong', {}, item.key),
          h('span', { 'data-setting': item.key, class: item.changed ? 'changed' : null }, item.value ?? '–'),
          item.config ?? '–',
          actor ? h('span', { class: 'row-actions' },
            h('button', { class: 'small', 'data-change': item.key, onclick: () => change(item) }, 'Change'),
            item.changed ? h('button', { class: 'small', 'data-reset': item.key, onclick: () => reset(item) }, 'Reset') : null)
            : '']), { class: 'grid', id: 'settings-table' }),
      h('p', { class: 'muted', id: 'settings-applied' },
        `Version ${answer.version}: applied by ${applied} of ${s.workers.length} workers.`));
  }

  function drawBlobs(list, s) {
    const actor = api.canAct(ctx.who, s);
    const upload = (key) => {
      const input = h('input', { type: 'file' });
      input.addEventListener('change', async () => {
        const file = input.files[0];
        if (!file) return;
        const answer = await ctx.confirm(`Replace blob ${key} of ${name}?`,
          `${file.name}, ${file.size} bytes. The topology reads it again without a restart (gale blob put).`);
        if (!answer) return;
        try {
          await api.putBlob(name, key, await file.arrayBuffer());
          ctx.notify(`blob ${key}: replaced, recorded as ${ctx.who.principal}`, 'ok');
          ctx.refreshNow();
        } catch (e) {
          ctx.notify(`blob ${key} refused: ${e.message}`, 'error');
        }
      });
      input.click();
    };
    fill(blobs, table([{ title: 'Key' }, { title: 'Version', num: true }, { title: 'Size', num: true }, { title: '' }],
      list.map((b) => [b.key, b.version, `${count(b.bytes)} B`,
        actor ? h('button', { class: 'small', 'data-replace': b.key, onclick: () => upload(b.key) }, 'Replace…') : '']),
      { class: 'grid' }));
  }

  async function refreshStatus() {
    const [s, found, settingsNow, blobList] = await Promise.all([
      api.get(api.topologyPath(name)),
      api.get(`/anomalies?state=all&limit=200&topology=${encodeURIComponent(name)}`),
      api.get(`${api.topologyPath(name)}/settings`),
      api.get(`${api.topologyPath(name)}/blobs`)]);
    drawSettings(settingsNow, s);
    drawBlobs(blobList, s);
    status = s;
    // The topology's own components (the graph's); the system's (ackers, the checkpoint
    // coordinator) are left out of the curves and the table.
    kinds = Object.fromEntries(((s.graph && s.graph.components) || []).map((c) => [c.id, c.kind]));
    updateEdgeRates({ at: Date.now(), status: s });
    fill(head,
      h('h1', {}, name, ' ', h('span', { class: `status ${s.status}`, id: 'status' }, s.status)),
      h('p', { class: 'facts' },
        `up ${duration(s.uptime_secs)} · ${s.workers.length} workers · ${s.executors} executors · ${s.tasks} tasks · owner ${s.owner || '–'}`,
        s.start_at ? h('span', { class: 'scheduled' }, ` · starts at ${s.start_at}`) : null));
    drawActions();
    fill(graphBox, drawGraph(s.graph, s.components || {}, edgeRates));
    const restarts = new Map();
    for (const a of found) if (a.rule === 'worker_restarted') restarts.set(a.worker, (restarts.get(a.worker) || 0) + 1);
    fill(workers, table(
      [{ title: 'Host' }, { title: 'Port', num: true }, { title: 'Supervisor' }, { title: 'Uptime' },
        { title: 'Last heartbeat' }, { title: 'Restarts', num: true }, { title: 'Refused peers', num: true },
        { title: 'Log' }],
      s.workers.map((w) => [w.host, w.port, w.supervisor, duration(w.uptime_secs),
        w.last_beat_secs_ago === null ? 'none yet' : `${w.last_beat_secs_ago} s ago`,
        restarts.get(`${w.host}:${w.port}`) || 0, w.refused_peers,
        h('a', { class: 'worker-log', href: `#/log/${[name, w.supervisor, w.port].map(encodeURIComponent).join('/')}` },
          'tail / search')]), { class: 'grid' }));
    const errorRows = [];
    for (const [id, c] of Object.entries(s.components || {}))
      for (const e of c.last_errors || []) errorRows.push([id, e]);
    fill(errors, table([{ title: 'Component' }, { title: 'Error' }], errorRows, { class: 'grid' }));
    const cp = s.checkpoints;
    fill(checkpoints, cp ? table([{ title: 'Checkpoint', num: true }, { title: 'Triggered' },
      { title: 'Duration', num: true }, { title: 'Size', num: true }, { title: 'Parts', num: true }],
    (cp.recent || []).slice().reverse().map((c) => [c.id, time(c.triggered_ms / 1000), ms(c.duration_ms),
      `${count(c.bytes)} B`, c.parts]), { class: 'grid' })
      : h('p', { class: 'muted' }, 'No checkpoint reported: this topology keeps no checkpointed state, or none is done yet.'));
    if (cp && cp.abandoned) checkpoints.append(h('p', { class: 'error' }, `${cp.abandoned} checkpoints abandoned`));
    const from = s.config && s.config['topology.state.savepoint'];
    fill(savepoints, from ? h('p', {}, `Its state started from savepoint ${from}.`) : null,
      (s.savepoints || []).length ? table([{ title: 'Savepoint' }, { title: 'Checkpoint', num: true }, { title: 'Taken' },
        { title: 'By' }, { title: 'Size', num: true }],
      s.savepoints.slice().reverse().map((p) => [p.name, p.checkpoint, time(p.created_ms / 1000), p.taken_by,
        `${count(p.bytes)} B`]), { class: 'grid', id: 'savepoint-table' })
        : h('p', { class: 'muted' }, 'No savepoint taken of it (Savepoint above, or gale savepoint).'));
    fill(anomalies, table([{ title: 'Rule' }, { title: 'Where' }, { title: 'Message' }, { title: 'Raised' }, { title: 'Cleared' }],
      found.map((a) => [h('a', { href: `#/anomalies?id=${a.id}` }, a.rule), a.component || a.worker || '', a.message,
        time(a.raised_secs), a.cleared_secs ? time(a.cleared_secs) : h('strong', { class: 'bad' }, 'open')]),
      { class: 'grid' }));
    fill(config, table([{ title: 'Key' }, { title: 'Value' }],
      Object.entries(s.config || {}).map(([k, v]) => [k, String(v)]), { class: 'grid' }));
  }

  // The history answers at most 100,000 points a query: one query per chart, in minute points
  // past an hour; a long range is read again only every 30 s (its last points move slowly).
  let curvesRead = { range: 0, at: 0 };
  async function refreshCurves() {
    const to = api.now();
    if (range > 3600 && curvesRead.range === range && Date.now() - curvesRead.at < 30000) return;
    const answers = await Promise.all(CURVES.map((c) => api.history(name, {
      from: to - range, to, resolution: range > 3600 ? 60 : undefined, names: c.names })));
    curvesRead = { range, at: Date.now() };
    CURVES.forEach((curve, i) => {
      const lines = new Map();
      for (const series of answers[i].series) {
        if (!(series.component in kinds)) continue;
        if (curve.pick && !curve.pick(series, kinds)) continue;
        const label = curve.label ? curve.label(series) : series.component;
        const line = lines.get(label) || { label, byTime: new Map() };
        for (const [t, v] of series.points) line.byTime.set(t, (line.byTime.get(t) || 0) + v);
        lines.set(label, line);
      }
      chartObjects[i].update([...lines.values()].map((l) => ({ label: l.label,
        points: [...l.byTime.entries()].sort((a, b) => a[0] - b[0]) })));
    });
  }

  async function refreshTable() {
    if (!status) return;
    const rows = new Map();
    if (windowSecs === 0) {
      const up = Math.max(1, status.uptime_secs);
      for (const [id, c] of Object.entries(status.components || {}))
        rows.set(id, { emitted_per_sec: c.emitted / up, executed_per_sec: c.executed / up, acked_per_sec: c.acked / up,
          failed_per_sec: c.failed / up, capacity: c.capacity, busy_share: c.busy_share,
          backpressured_share: c.backpressured_share, complete_latency_ms: c.complete_latency_ms,
          execute_latency_ms: c.execute_latency_ms });
    } else {
      const to = api.now();
      if (windowSecs > 3600 && tableRead.window === windowSecs && Date.now() - tableRead.at < 30000) {
        draw(tableRead.rows);
        return;
      }
      // Three figures a query, minute points past an hour: within the history's 100,000 points.
      const groups = [0, 3, 6].map((i) => TABLE_FIGURES.slice(i, i + 3));
      const answers = await Promise.all(groups.map((names) => api.history(name, { from: to - windowSecs, to,
        resolution: windowSecs > 3600 ? 60 : undefined, names })));
      for (const series of answers.flatMap((a) => a.series)) {
        if (!series.points.length) continue;
        const row = rows.get(series.component) || {};
        row[series.name] = series.points.reduce((n, p) => n + p[1], 0) / series.points.length;
        rows.set(series.component, row);
      }
      tableRead = { window: windowSecs, at: Date.now(), rows };
    }
    draw(rows);
  }

  let tableRead = { window: 0, at: 0, rows: new Map() };
  function draw(rows) {
    const ids = Object.keys(status.components || {}).filter((id) => id in kinds).sort((a, b) =>
      (kinds[a] === 'spout' ? 0 : 1) - (kinds[b] === 'spout' ? 0 : 1) || a.localeCompare(b));
    fill(components, table(
      [{ title: 'Component' }, { title: 'Kind' }, { title: 'Executors', num: true }, { title: 'Tasks', num: true },
        { title: 'Emitted/s', num: true }, { title: 'Executed/s', num: true }, { title: 'Acked/s', num: true },
        { title: 'Failed/s', num: true }, { title: 'Capacity', num: true }, { title: 'Busy', num: true },
        { title: 'Backpressured', num: true }, { title: 'Latency', num: true }, { title: 'Errors', num: true },
        { title: 'Total emitted', num: true }],
      ids.map((id) => {
        const c = status.components[id];
        const r = rows.get(id) || {};
        const latency = c.kind === 'spout' ? r.complete_latency_ms : r.execute_latency_ms;
        return [id, c.kind, c.executors, c.tasks, rate(r.emitted_per_sec), rate(r.executed_per_sec),
          rate(r.acked_per_sec), rate(r.failed_per_sec), r.capacity === undefined ? '–' : r.capacity.toFixed(3),
          share(r.busy_share), share(r.backpressured_share), ms(latency), c.error_count, count(c.emitted)];
      }), { class: 'grid', id: 'component-table' }));
  }

  async function refresh() {
    await refreshStatus();
    await Promise.all([refreshCurves(), refreshTable()]);
  }

  return { refresh, unmount() { chartObjects.forEach((c) => c.destroy()); } };
}

function select(options, value, onchange, id) {
  const el = h('select', { id, 'aria-label': id, onchange: (e) => onchange(Number(e.target.value)) },
    options.map(([label, v]) => h('option', { value: v, selected: v === value }, label)));
  return el;
}
