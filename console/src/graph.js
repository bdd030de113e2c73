// The topology's graph: components as boxes in layers from the spouts, streams as arrows with
// their rate, each box coloured by how held back the component is (the larger of its capacity
// and its backpressured share: green under 0.5, amber under 0.8, red above).
import { s } from './dom.js';
import { rate, share } from './format.js';

const BOX_W = 170, BOX_H = 58, GAP_X = 90, GAP_Y = 28, PAD = 16;

// Layer of each component: the longest path to it from a component with no input (bounded, so
// a cycle cannot loop forever).
function layers(nodes, edges) {
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to || !layer.has(e.from) || !layer.has(e.to)) continue;
      if (layer.get(e.to) < layer.get(e.from) + 1) {
        layer.set(e.to, layer.get(e.from) + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

export function heat(c) {
  if (!c) return 'idle';
  const load = Math.max(c.capacity || 0, c.backpressured_share || 0);
  return load >= 0.8 ? 'hot' : load >= 0.5 ? 'warm' : 'cool';
}

// graph: {components: [{id, kind}], edges: [{from, stream, to, grouping}]};
// stats: component id -> status component; edgeRates: "from/stream/to" -> tuples a second.
export function drawGraph(graph, stats, edgeRates) {
  const nodes = (graph && graph.components) || [];
  const edges = ((graph && graph.edges) || []).filter((e) => e.from !== e.to);
  const layer = layers(nodes, edges);
  const columns = [];
  for (const n of nodes) (columns[layer.get(n.id)] ||= []).push(n);
  const pos = new Map();
  const tallest = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const height = PAD * 2 + tallest * BOX_H + (tallest - 1) * GAP_Y;
  columns.forEach((column, x) => {
    const top = (height - (column.length * BOX_H + (column.length - 1) * GAP_Y)) / 2;
    column.forEach((n, y) => pos.set(n.id, { x: PAD + x * (BOX_W + GAP_X), y: top + y * (BOX_H + GAP_Y) }));
  });
  const width = PAD * 2 + Math.max(1, columns.length) * BOX_W + Math.max(0, columns.length - 1) * GAP_X;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'graph', role: 'img',
    'aria-label': 'topology graph' });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  for (const e of edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
    const mid = (x1 + x2) / 2;
    const key = `${e.from}/${e.stream}/${e.to}`;
    const r = edgeRates ? edgeRates.get(key) : undefined;
    const g = s('g', { class: `edge ${heat(stats[e.to])}`, 'data-edge': key },
      s('path', { d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }),
      s('text', { x: mid, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle' },
        `${e.stream === 'default' ? '' : e.stream + ' · '}${r === undefined ? '' : rate(r) + '/s'}`),
      s('title', {}, `${e.from} → ${e.to}, stream ${e.stream}, ${e.grouping} grouping` +
        (r === undefined ? '' : `, ${rate(r)} tuples/s`)));
    svg.append(g);
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const c = stats[n.id];
    const detail = c ? (n.kind === 'spout'
      ? `${share(c.busy_share)} busy · ${share(c.backpressured_share)} held`
      : `cap ${(c.capacity || 0).toFixed(2)} · ${share(c.backpressured_share)} held`) : 'no figures yet';
    svg.append(s('g', { class: `node ${n.kind} ${heat(c)}`, 'data-component': n.id,
      transform: `translate(${p.x},${p.y})` },
    s('rect', { width: BOX_W, height: BOX_H, rx: 8 }),
    s('text', { x: 10, y: 22, class: 'name' }, n.id.length > 20 ? n.id.slice(0, 19) + '…' : n.id),
    s('text', { x: 10, y: 42, class: 'detail' }, detail),
    s('title', {}, `${n.id} (${n.kind})`)));
  }
  return svg;
}
