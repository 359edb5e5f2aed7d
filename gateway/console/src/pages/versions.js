// SPDX-License-Identifier: MIT
// Schema versions of a kind (GET /rpc/schema_history): each version's change and fields, and the
// difference between any two of them.
import { get, url } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';

/** What changed from attrs `a` to attrs `b` ({scope: {name: type}}): one row per field added, removed or retyped. */
export function difference(a, b) {
  const out = [];
  for (const scope of ['attribute', 'observation']) {
    const from = a?.[scope] || {};
    const to = b?.[scope] || {};
    for (const name of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
      if (!(name in from)) out.push({ scope, name, what: 'added', detail: to[name] });
      else if (!(name in to)) out.push({ scope, name, what: 'removed', detail: from[name] });
      else if (from[name] !== to[name]) out.push({ scope, name, what: 'retyped', detail: `${from[name]} → ${to[name]}` });
    }
  }
  return out;
}

const fields = (attrs) => ['attribute', 'observation']
  .flatMap((s) => Object.entries(attrs?.[s] || {}).map(([n, t]) => `${n} (${s === 'attribute' ? 'attr.' : 'obs.'} ${t})`)).join(', ');

export async function render(view, { catalog, args }) {
  const kinds = catalog.kinds.map((k) => k.kind);
  const kind = kinds.includes(args[0]) ? args[0] : kinds[0];
  const select = h('select', {}, ...kinds.map((k) => h('option', { value: k, selected: k === kind }, k)));
  select.addEventListener('change', () => { location.hash = `#/versions/${encodeURIComponent(select.value)}`; });
  view.append(h('h1', {}, 'Schema versions'), h('div', { class: 'toolbar' }, field('Kind', select)));
  if (!kind) return null;
  let versions;
  try {
    versions = await get(url('/rpc/schema_history', { kind }));
  } catch (e) {
    view.append(errorBox(e));
    return null;
  }
  view.append(h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'muted' }, `${versions.length} versions of ${kind}; version N is served as api_vN`),
    h('thead', {}, h('tr', {}, ...['Version', 'Change', 'Fields', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...versions.map((v) => h('tr', {},
      h('th', { scope: 'row' }, `v${v.version}`), h('td', {}, v.change), h('td', {}, fields(v.attrs)), h('td', {}, fmtTime(v.created_at))))))));

  const option = (v, sel) => h('option', { value: v.version, selected: sel }, `v${v.version}`);
  const from = h('select', {}, ...versions.map((v, i) => option(v, i === Math.max(0, versions.length - 2))));
  const to = h('select', {}, ...versions.map((v, i) => option(v, i === versions.length - 1)));
  const out = h('div', { 'aria-live': 'polite' });
  const show = () => {
    const a = versions.find((v) => String(v.version) === from.value);
    const b = versions.find((v) => String(v.version) === to.value);
    const rows = difference(a.attrs, b.attrs);
    out.replaceChildren(rows.length
      ? h('table', {}, h('caption', { class: 'muted' }, `From v${a.version} to v${b.version}`),
        h('thead', {}, h('tr', {}, ...['Field', 'Scope', 'Change', 'Type'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows.map((r) => h('tr', { class: `diff-${r.what}` }, h('td', {}, r.name), h('td', {}, r.scope), h('td', {}, r.what), h('td', {}, r.detail)))))
      : h('p', { class: 'muted' }, `No difference between v${a.version} and v${b.version}.`));
  };
  from.addEventListener('change', show);
  to.addEventListener('change', show);
  view.append(h('h2', {}, 'Difference'), h('div', { class: 'toolbar' }, field('From', from), field('To', to)), out);
  show();
  return null;
}
