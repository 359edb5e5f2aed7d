// SPDX-License-Identifier: MIT
// A few DOM helpers; the console has no framework, to stay small and fast.

/** An element with attributes (on* are listeners) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** An error as the server answered it: message, code, details and hint. */
export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, err.message || String(err)),
    err.code ? h('span', { class: 'code' }, ` (${err.code})`) : null,
    err.details ? h('p', {}, err.details) : null,
    err.hint ? h('p', { class: 'hint' }, `Hint: ${err.hint}`) : null);
}

/** A labelled form control. */
export function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

export function fmtTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
