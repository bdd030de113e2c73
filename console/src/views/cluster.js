// The cluster page: which Nimbus leads, the supervisors and their free slots, the topologies
// with their status and uptime, and how many anomalies are open.
import * as api from '../api.js';
import { h, fill, table } from '../dom.js';
import { duration, time } from '../format.js';

export function mount(el) {
  const summary = h('section', { class: 'cards' });
  const topologies = h('section', {}, h('h2', {}, 'Topologies'), h('div', { id: 'topologies' }));
  const supervisors = h('section', {}, h('h2', {}, 'Supervisors'), h('div', { id: 'supervisors' }));
  fill(el, h('h1', {}, 'Cluster'), summary, topologies, supervisors);

  async function refresh() {
    const [cluster, list, open] = await Promise.all([
      api.get('/cluster'), api.get('/topologies'), api.get('/anomalies?state=open&limit=1000')]);
    const slots = cluster.supervisors.reduce((n, s) => n + s.slots.length, 0);
    const used = cluster.supervisors.reduce((n, s) => n + s.used.length, 0);
    fill(summary,
      card('Leader', cluster.leader || 'none', cluster.leader ? '' : 'bad'),
      card('Supervisors', cluster.supervisors.length, cluster.supervisors.length ? '' : 'bad'),
      card('Free slots', `${slots - used} of ${slots}`),
      card('Topologies', list.length),
      card('Open anomalies', open.length, open.length ? 'bad' : 'good'));
    fill(topologies.querySelector('#topologies'), table(
      [{ title: 'Name' }, { title: 'Status' }, { title: 'Uptime' }, { title: 'Workers', num: true },
        { title: 'Executors', num: true }, { title: 'Tasks', num: true }, { title: 'Starts at' }],
      list.map((t) => [
        h('a', { href: `#/topology/${encodeURIComponent(t.name)}`, 'data-topology': t.name }, t.name),
        h('span', { class: `status ${t.status}` }, t.status),
        duration(t.uptime_secs), t.workers, t.executors, t.tasks, t.start_at || '']),
      { class: 'grid', id: 'topology-table' }));
    fill(supervisors.querySelector('#supervisors'), table(
      [{ title: 'Id' }, { title: 'Host' }, { title: 'Slots', num: true }, { title: 'Used', num: true },
        { title: 'Free', num: true }, { title: 'Uptime' }, { title: 'Worker logs' }],
      cluster.supervisors.map((s) => [s.id, s.host, s.slots.length, s.used.length,
        s.slots.length - s.used.length, duration(s.uptime_secs),
        s.serves_logs ? 'served' : h('span', { class: 'muted' }, 'not served (supervisor.logviewer.port)')]),
      { class: 'grid' }));
    el.dataset.updated = time(api.now());
  }

  return { refresh, unmount() {} };
}

function card(title, value, kind = '') {
  return h('div', { class: `card ${kind}` }, h('div', { class: 'title' }, title), h('div', { class: 'value' }, value));
}
