// Time curves on uPlot: one chart per figure, one line per series, on a shared time axis.
import uPlot from './vendor/uPlot.esm.js';
import { h, fill } from './dom.js';

const COLOURS = ['#2f7ed8', '#e4572e', '#29a36a', '#f3a712', '#8e44ad', '#17becf', '#d62728',
  '#7f7f7f', '#bcbd22', '#1f3a93'];

export const colour = (i) => COLOURS[i % COLOURS.length];

// Lines [{label, points: [[t, v], ...]}] on one time axis: uPlot's columns, with null where a
// line has no point at a time.
export function align(lines) {
  const times = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = lines.map((l) => {
    const ys = new Array(times.length).fill(null);
    for (const [t, v] of l.points) ys[index.get(t)] = v;
    return ys;
  });
  return [times, ...columns];
}

// A chart with a title in `el`, drawn again by update(lines). `format` labels the values.
export class TimeChart {
  // `range`: the value axis's [min, max] (shares: [0, 1]); none: fitted to the points.
  constructor(el, { title, format = (v) => String(v), height = 200, range = null, testid }) {
    this.el = el;
    this.title = title;
    this.format = format;
    this.height = height;
    this.plot = null;
    this.labels = '';
    this.box = h('div', { class: 'chart', dataset: { chart: testid || title } },
      h('h3', {}, title), this.area = h('div', { class: 'plot' }));
    this.range = range;
    el.append(this.box);
    this.resize = () => this.plot && this.plot.setSize(this.size());
    window.addEventListener('resize', this.resize);
  }

  size() {
    return { width: Math.max(280, this.area.clientWidth || this.el.clientWidth || 600), height: this.height };
  }

  update(lines) {
    const points = lines.reduce((n, l) => n + l.points.length, 0);
    this.box.dataset.points = String(points);
    this.box.dataset.lines = String(lines.length);
    if (!points) {
      if (this.plot) this.plot.destroy();
      this.plot = null;
      this.labels = '';
      fill(this.area, h('p', { class: 'muted empty' }, 'no points in this range yet'));
      return;
    }
    const data = align(lines);
    const labels = lines.map((l) => l.label).join('\u0000');
    if (this.plot && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    if (this.plot) this.plot.destroy();
    fill(this.area);
    this.labels = labels;
    const format = this.format;
    this.plot = new uPlot({
      ...this.size(),
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, ...(this.range ? { y: { range: this.range } } : {}) },
      axes: [{}, { values: (u, vals) => vals.map((v) => format(v)), size: 70 }],
      series: [{}, ...lines.map((l, i) => ({
        label: l.label,
        stroke: l.colour || colour(i),
        width: 1.5,
        spanGaps: false,
        value: (u, v) => (v === null ? '–' : format(v)),
      }))],
    }, data, this.area);
  }

  destroy() {
    window.removeEventListener('resize', this.resize);
    if (this.plot) this.plot.destroy();
  }
}
