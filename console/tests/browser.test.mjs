// The console in a real browser (Debian's Chromium, driven by playwright-core) against a real
// cluster: ZooKeeper, gale-nimbus serving the console, a gale-supervisor and its gale-workers
// (scripts/cluster-start.sh), running risk-alert on its paced built-in stream. The scenarios
// of docs/CONSOLE.md ("Tests"), in order, each with a screenshot in
// <build>/test-artifacts/console/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const build = process.env.GALE_BUILD_DIR;
const source = process.env.GALE_SOURCE_DIR;
assert.ok(build && source, 'GALE_BUILD_DIR and GALE_SOURCE_DIR must be set (ctest sets them)');
const artifacts = path.join(build, 'test-artifacts', 'console');
const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gale-console-'));
const TOPOLOGY = 'console-risk';
const CHROMIUM = process.env.GALE_CHROMIUM || '/usr/bin/chromium';
const RULES = path.join(source, 'topologies', 'risk-alert', 'rules', 'default.yaml');

let env;
let browser;
let page;
let origin;
const problems = []; // what the page logged as an error (a CSP violation among them)

// A port nothing listens on now (the kernel's choice).
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Four free ports in a row for the supervisor's slots, and the ninth after them for its log
// server (scripts/cluster-start.sh).
async function freeSlots() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const free = await Promise.all([0, 1, 2, 3, 9].map((i) => portIsFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no four free ports in a row with a fifth free after them');
}

function gale(verb, ...args) {
  return execFileSync(path.join(build, 'bin', 'gale'), [verb, '--config', path.join(run, 'gale.yaml'), ...args],
    { encoding: 'utf8', timeout: 60000 });
}

async function until(what, check, timeoutMs = 60000, everyMs = 500) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last: ${last.message})` : ''}`);
}

async function shot(name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

// The API from inside the page, with the signed-in token (the browser trusts the cluster's
// certificate only because this context ignores certificate errors: the CA is the test's own).
function api(p) {
  return page.evaluate(async (url) => {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${sessionStorage.getItem('gale.token')}` } });
    return r.json();
  }, `/api/v1${p}`);
}

// The gale-worker processes of this cluster: their command lines name its run folder.
function workerPids() {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('gale-worker') && cmdline.includes(run)) pids.push(Number(entry));
  }
  return pids;
}

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  const nimbusPort = await freePort();
  env = {
    ...process.env,
    GALE_RUN_DIR: run,
    GALE_BUILD_DIR: build,
    GALE_ZK_PORT: String(await freePort()),
    GALE_NIMBUS_PORT: String(nimbusPort),
    GALE_SLOT_BASE: String(await freeSlots()),
    // Samples every 2 s, so that curves grow and anomalies show within the test's time.
    GALE_EXTRA_CONFIG: 'nimbus.metrics.history.interval.secs: 2',
  };
  const started = spawnSync('bash', [path.join(source, 'scripts', 'cluster-start.sh'), '1'],
    { env, encoding: 'utf8', timeout: 120000 });
  assert.equal(started.status, 0, `cluster-start failed:\n${started.stdout}\n${started.stderr}`);
  origin = `https://127.0.0.1:${nimbusPort}`;
  gale('submit', path.join(build, 'topologies', 'risk_alert.so'), '--name', TOPOLOGY,
    '-c', 'risk.sample.count=0', '-c', 'risk.sample.rate=400', '-c', 'risk.state=memory',
    '-c', 'risk.print=false', '-c', 'topology.workers=2',
    '--blob', `rules=${RULES}`, '-c', 'risk.rules=blob:rules');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1600, height: 1000 } });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
});

after(async () => {
  if (browser) await browser.close();
  const stopped = spawnSync('bash', [path.join(source, 'scripts', 'cluster-stop.sh')], { env, encoding: 'utf8', timeout: 120000 });
  if (stopped.status !== 0) console.error(stopped.stdout, stopped.stderr);
  for (const log of ['nimbus.log', 'supervisor-1.log']) {
    const file = path.join(run, 'logs', log);
    if (fs.existsSync(file)) fs.copyFileSync(file, path.join(artifacts, log));
  }
  // Its tokens, keys and ZooKeeper's data go with it (the logs are kept above).
  if (stopped.status === 0) fs.rmSync(run, { recursive: true, force: true });
});

test('the console, in Chromium, against a running cluster', async (t) => {
  await t.test('served with its security headers, and a token is asked for', async () => {
    const response = await page.goto(`${origin}/`);
    assert.equal(response.url(), `${origin}/ui/`);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /script-src 'self'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    await page.waitForSelector('#token');
    await page.fill('#token', 'not-a-token');
    await page.click('form.signin button');
    await page.waitForSelector('form.signin .error');
    const token = fs.readFileSync(path.join(run, 'admin.token'), 'utf8').trim();
    await page.fill('#token', token);
    await page.click('form.signin button');
    await page.waitForSelector('#who button');
    assert.match(await page.textContent('#who'), /admin \(admin\)/);
  });

  await t.test('the cluster page lists the submitted topology', async () => {
    const link = await page.waitForSelector(`a[data-topology="${TOPOLOGY}"]`, { timeout: 30000 });
    const row = await link.evaluate((a) => a.closest('tr').textContent);
    assert.match(row, /active/);
    assert.match(await page.textContent('.cards'), /Supervisors\s*1/);
    await shot('1-cluster');
  });

  await t.test('its page shows the graph and a throughput curve whose points grow', async () => {
    await page.click(`a[data-topology="${TOPOLOGY}"]`);
    const status = await until('the workers running', async () => {
      const s = await api(`/topologies/${TOPOLOGY}`);
      return s.workers.length === 2 && s.workers.every((w) => w.uptime_secs !== null) ? s : null;
    });
    const components = status.graph.components.map((c) => c.id).sort();
    await until('every component in the graph', async () => {
      const shown = await page.$$eval('#graph g.node', (nodes) => nodes.map((n) => n.dataset.component).sort());
      return JSON.stringify(shown) === JSON.stringify(components);
    });
    assert.equal(await page.$$eval('#graph g.edge', (e) => e.length), status.graph.edges.length);
    const points = () => page.$eval('[data-chart="throughput"]', (el) => Number(el.dataset.points || 0));
    const first = await until('a throughput point', async () => (await points()) > 0 && points(), 90000);
    await until('more throughput points', async () => (await points()) > first, 60000);
    // The rates on the edges come from the bolts' input counts between two refreshes.
    await until('a rate above 0 on an edge', async () =>
      (await page.$$eval('#graph g.edge text', (ts) => ts.some((t) => {
        const m = /([\d.]+)\s*(k|M|G)?\/s/.exec(t.textContent);
        return m && Number.parseFloat(m[1]) > 0;
      }))), 30000);
    assert.ok(await page.$('#component-table'));
    await shot('2-topology');
  });

  await t.test('deactivate, confirmed in the console, is what gale status shows', async () => {
    await page.click('#deactivate');
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
    await until('gale status inactive', () => /is inactive|inactive/.test(gale('status', TOPOLOGY)), 20000);
    await page.waitForSelector('#status.inactive', { timeout: 15000 });
    assert.match(await page.textContent('#notice'), /recorded as admin/);
    const audit = await api('/audit?limit=50');
    assert.ok(audit.some((e) => e.action === 'deactivate' && e.principal === 'admin' && e.topology === TOPOLOGY),
      JSON.stringify(audit.slice(-5)));
    await shot('3-deactivated');
    await page.click('#activate');
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
    await page.waitForSelector('#status.active', { timeout: 15000 });
  });

  await t.test('a setting changed in the console reaches the workers without a restart', async () => {
    const before = (await api(`/topologies/${TOPOLOGY}`)).workers.map((w) => w.uptime_secs);
    await page.click('[data-change="risk.sample.rate"]');
    await page.waitForSelector('dialog#confirm[open]');
    await page.fill('#field-value', '250');
    await page.click('#confirm-ok');
    await page.waitForSelector('[data-setting="risk.sample.rate"].changed', { timeout: 15000 });
    assert.equal(await page.textContent('[data-setting="risk.sample.rate"]'), '250');
    assert.match(gale('set', TOPOLOGY), /risk\.sample\.rate\s+250\s+400\s+\(changed\)/);
    await until('both workers on the new settings', async () =>
      /applied by 2 of 2 workers/.test(await page.textContent('#settings-applied')), 30000);
    const after = (await api(`/topologies/${TOPOLOGY}`)).workers.map((w) => w.uptime_secs);
    assert.ok(after.every((u, i) => u >= before[i]), `a worker restarted: ${before} -> ${after}`);
    const audit = await api('/audit?limit=50');
    assert.ok(audit.some((e) => e.action === 'settings.change' && e.target === 'risk.sample.rate=250'),
      JSON.stringify(audit.slice(-3)));
    // A key the topology did not declare is refused (gale set), naming those that may change.
    assert.throws(() => gale('set', TOPOLOGY, 'topology.workers=3'), (e) =>
      e.status === 1 && /'topology\.workers' cannot change while .* runs; these can: .*risk\.sample\.rate/.test(e.stderr));
    // A blob (the rules) replaced from a file chosen in the console: its version moves.
    const rulesVersion = async () => (await api(`/topologies/${TOPOLOGY}/blobs`)).find((b) => b.key === 'rules').version;
    const was = await rulesVersion();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-replace="rules"]')]);
    await chooser.setFiles(RULES);
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('#confirm-ok');
    await until('a new version of the rules blob', async () => (await rulesVersion()) > was, 15000);
    assert.ok((await api('/audit?limit=50')).some((e) => e.action === 'blob.put' && e.principal === 'admin'));
    await shot('4-settings');
  });

  await t.test("a worker's log: its tail from the topology page, and a search", async () => {
    await page.goto(`${origin}/ui/#/topology/${TOPOLOGY}`);
    await page.click('a.worker-log');
    await until('the log\'s tail', async () => /executors of/.test(await page.textContent('#log-text')), 30000);
    assert.match(await page.textContent('#log-facts'), /following the end/);
    await page.fill('#log-search', 'executors of');
    await page.click('form.inline button[type=submit]');
    await page.waitForSelector('#log-match-table code', { timeout: 15000 });
    const lines = await page.$$eval('#log-match-table code', (cs) => cs.map((c) => c.textContent));
    assert.ok(lines.length >= 1 && lines.every((l) => l.includes('executors of')), JSON.stringify(lines));
    // Reading a log is audited: it may hold customers' data.
    assert.ok((await api('/audit?limit=50')).some((e) => e.action === 'worker.log' && e.principal === 'admin'));
    await shot('5-worker-log');
  });

  await t.test('a worker killed raises a "worker restarted" anomaly shown in the console', async () => {
    const pids = await until('the workers\' processes', () => { const p = workerPids(); return p.length ? p : null; });
    process.kill(pids[0], 'SIGKILL');
    await page.goto(`${origin}/ui/#/anomalies`);
    await page.waitForSelector('a[data-anomaly="worker_restarted"]', { timeout: 120000 });
    await page.click('a[data-anomaly="worker_restarted"]');
    await page.waitForSelector('#anomaly-detail h2');
    assert.match(await page.textContent('#anomaly-detail'), /worker_restarted/);
    await shot('6-anomaly');
  });

  await t.test('the big screen shows alerts per minute while risk-alert runs', async () => {
    await page.goto(`${origin}/ui/#/screen`);
    const alerts = await until('alerts per minute above zero', async () => {
      const text = await page.textContent('#figure-alerts .value');
      const value = Number.parseFloat(text.replace(/[^\d.]/g, ''));
      return value > 0 ? value : null;
    }, 60000);
    assert.ok(alerts > 0);
    assert.notEqual(await page.textContent('#figure-transactions .value'), '0');
    await until('the transactions curve', async () =>
      Number(await page.$eval('[data-chart="screen-transactions"]', (el) => el.dataset.points || 0)) > 0, 30000);
    await shot('7-big-screen');
  });

  await t.test('the page logged no error (no script or style refused by the CSP)', () => {
    assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
  });
});
