// SPDX-License-Identifier: MIT
// Targets: search a kind by name or key in a virtualized table. Only the visible rows exist in the
// DOM (a fixed pool, re-filled on scroll); rows are fetched a page at a time with limit/offset.
import { count, get, url } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';

const ROW = 32;
const PAGE = 200;
const OVERSCAN = 10;

/** PostgREST's filter for a search text over name and key (`*` is the wildcard; quotes keep commas safe). */
export function searchFilter(q) {
  const t = q.trim().replace(/["\\]/g, '');
  return t ? `(name.ilike."*${t}*",ext_key.ilike."*${t}*")` : undefined;
}

export async function render(view, { catalog, args }) {
  const kinds = catalog.kinds.map((k) => k.kind);
  const kind = kinds.includes(args[0]) ? args[0] : kinds[0];
  const q = args[1] || '';
  const select = h('select', {}, ...kinds.map((k) => h('option', { value: k, selected: k === kind }, k)));
  const search = h('input', { type: 'search', value: q, placeholder: 'name or key', autocomplete: 'off' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const form = h('form', { class: 'toolbar', role: 'search' }, field('Kind', select), field('Search', search), h('button', { type: 'submit' }, 'Search'));
  const go = () => { location.hash = `#/targets/${encodeURIComponent(select.value)}/${encodeURIComponent(search.value)}`; };
  form.addEventListener('submit', (e) => { e.preventDefault(); go(); });
  select.addEventListener('change', go);
  view.append(h('h1', {}, 'Targets'), form, status);
  if (!kind) {
    status.textContent = 'No kind this token may read.';
    return null;
  }

  const columns = ['ext_key', 'name', 'updated_at', 'target_id'];
  const headers = ['Key', 'Name', 'Updated', 'Id'];
  const filter = searchFilter(q);
  const base = `/${encodeURIComponent(kind)}`;
  let total;
  try {
    total = await count(url(base, { select: 'target_id', or: filter }));
  } catch (e) {
    view.append(errorBox(e));
    return null;
  }
  status.textContent = `${total.toLocaleString('en')} targets`;

  const scroller = h('div', { class: 'vtable', role: 'table', 'aria-label': `Targets of kind ${kind}`, 'aria-rowcount': total + 1, tabindex: 0 });
  const head = h('div', { class: 'vrow vhead', role: 'row', 'aria-rowindex': 1 }, ...headers.map((t) => h('span', { role: 'columnheader' }, t)));
  const spacer = h('div', { class: 'vspace', style: `height:${total * ROW}px` });
  const body = h('div', { class: 'vbody', role: 'rowgroup' });
  spacer.append(body);
  scroller.append(head, spacer);
  view.append(scroller);

  const pages = new Map();
  const pool = [];
  let disposed = false;

  function rowElement() {
    const cells = columns.map(() => h('span', { role: 'cell' }));
    cells[0].append(h('a', {}));
    const r = h('div', { class: 'vrow', role: 'row' }, ...cells);
    body.append(r);
    return r;
  }

  function load(page) {
    if (pages.has(page)) return;
    pages.set(page, null);
    get(url(base, { select: columns.join(','), or: filter, order: 'ext_key,target_id', offset: page * PAGE, limit: PAGE }))
      .then((rows) => { pages.set(page, rows); if (!disposed) paint(); },
        (e) => { pages.delete(page); status.replaceChildren(errorBox(e)); });
  }

  function paint() {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    const visible = Math.ceil(scroller.clientHeight / ROW) + 2 * OVERSCAN;
    const last = Math.min(total, first + visible);
    while (pool.length < last - first) pool.push(rowElement());
    body.style.transform = `translateY(${first * ROW}px)`;
    for (let i = 0; i < pool.length; i++) {
      const idx = first + i;
      const r = pool[i];
      r.hidden = idx >= last;
      if (r.hidden) continue;
      const page = Math.floor(idx / PAGE);
      load(page);
      const row = pages.get(page)?.[idx % PAGE];
      r.setAttribute('aria-rowindex', idx + 2);
      const a = r.firstChild.firstChild;
      if (row) {
        a.textContent = row.ext_key ?? '(no key)';
        a.href = `#/target/${encodeURIComponent(kind)}/${row.target_id}`;
        r.children[1].textContent = row.name ?? '';
        r.children[2].textContent = fmtTime(row.updated_at);
        r.children[3].textContent = row.target_id;
      } else {
        a.textContent = '…';
        a.removeAttribute('href');
        for (let c = 1; c < columns.length; c++) r.children[c].textContent = '';
      }
    }
  }

  let frame = 0;
  const onScroll = () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; paint(); });
  };
  scroller.addEventListener('scroll', onScroll, { passive: true });
  const observer = new ResizeObserver(onScroll);
  observer.observe(scroller);
  paint();
  return {
    dispose() {
      disposed = true;
      observer.disconnect();
    },
  };
}
