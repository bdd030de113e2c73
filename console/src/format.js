// How figures read: rates with k/M, shares as percentages, durations as 1d 2h, times local.

export function rate(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + ' G';
  if (a >= 1e6) return (v / 1e6).toFixed(2) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k';
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  if (a === 0) return '0';
  return v.toFixed(3);
}

export function count(v) {
  if (v === null || v === undefined) return '–';
  return Math.round(v).toLocaleString('en-US');
}

export function share(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return (v * 100).toFixed(v < 0.1 ? 1 : 0) + ' %';
}

export function ms(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v >= 1000) return (v / 1000).toFixed(2) + ' s';
  if (v >= 10) return v.toFixed(0) + ' ms';
  return v.toFixed(2) + ' ms';
}

export function duration(secs) {
  if (secs === null || secs === undefined) return '–';
  secs = Math.max(0, Math.round(secs));
  const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24;
  const m = Math.floor(secs / 60) % 60, s = secs % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

export function time(secs) {
  if (!secs) return '–';
  return new Date(secs * 1000).toLocaleString('en-GB', { hour12: false });
}

export function money(v) {
  if (v === null || v === undefined) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
