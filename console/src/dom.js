// Building the page from data without ever parsing it as HTML: every value from the API (a
// component's name, an error message) becomes a text node, never markup.

// h('td', {class: 'num', title: 'x'}, 'text', child, ...): an element; attributes starting with
// "on" are listeners; null and false children are skipped, arrays are flattened.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replaces everything inside `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A table: `columns` [{title, num}], `rows` arrays of cells (values or nodes).
export function table(columns, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : null }, c.title)))),
    h('tbody', {}, rows.length
      ? rows.map((row) => h('tr', {}, row.map((cell, i) =>
        h('td', { class: columns[i] && columns[i].num ? 'num' : null }, cell))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'none'))));
}

export const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
