// SPDX-License-Identifier: MIT
// Targets: search a kind by name or key in a virtualized table. Only the visible rows exist in the
// DOM (a fixed pool, re-filled once per frame on scroll, not drawn while the scroll jumps by more
// than a screen per frame); the pages of the rows drawn are fetched with limit/offset.
import { count, get, url } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';

const ROW = 32;
const PAGE = 200;
const OVERSCAN = 10;
/** How long a fast scroll must rest before the rows are drawn again. */
const SETTLE_MS = 80;
/** Pages kept for scrolling back: 40 x 200 rows. */
const KEEP_PAGES = 40;

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

  const pages = new Map(); // page number -> rows, in the order they arrived (the oldest are dropped first)
  const inFlight = new Map(); // page number -> AbortController
  const pool = [];
  let disposed = false;
  let height = scroller.clientHeight;
  let lastTop = 0;
  let settleTimer = 0;
  let frame = 0;

  function rowElement() {
    const cells = columns.map(() => h('span', { role: 'cell' }));
    cells[0].append(h('a', {}));
    const r = h('div', { class: 'vrow', role: 'row' }, ...cells);
    body.append(r);
    return r;
  }

  /** The rows [first, last) the view shows, with the overscan. */
  function range() {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    return [first, Math.min(total, first + Math.ceil(height / ROW) + 2 * OVERSCAN)];
  }

  // Only the pages of the rows drawn are fetched: a fast scroll crosses hundreds of pages, and
  // fetching each (and repainting as each answer landed) made long tasks. Pages left behind are
  // cancelled; answers repaint in the next frame, once for all of them.
  function fetchVisible() {
    const [first, last] = range();
    const wanted = new Set();
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) wanted.add(p);
    for (const [p, ctl] of inFlight) {
      if (!wanted.has(p)) { ctl.abort(); inFlight.delete(p); }
    }
    for (const p of wanted) {
      if (pages.has(p) || inFlight.has(p)) continue;
      const ctl = new AbortController();
      inFlight.set(p, ctl);
      get(url(base, { select: columns.join(','), or: filter, order: 'ext_key,target_id', offset: p * PAGE, limit: PAGE }), { signal: ctl.signal })
        .then((rows) => {
          inFlight.delete(p);
          pages.set(p, rows);
          while (pages.size > KEEP_PAGES) pages.delete(pages.keys().next().value);
          schedule();
        }, (e) => {
          inFlight.delete(p);
          if (e.name !== 'AbortError' && !disposed) status.replaceChildren(errorBox(e));
        });
    }
  }

  // Each row of the pool shows the rows whose index it has modulo the pool's size, at that index's
  // place: scrolling by a few rows rewrites those few rows only, not the whole pool, so the browser
  // lays out and shapes the text of the rows that came into view and nothing else.
  function paint() {
    frame = 0;
    if (disposed) return;
    const top = scroller.scrollTop;
    const jumped = Math.abs(top - lastTop) >= height;
    lastTop = top;
    if (jumped) {
      // more than a screen in one frame: no row would be read, and rewriting them all each frame
      // is what costs; the rows are drawn (and fetched) once the scroll slows or rests
      body.hidden = true;
      clearTimeout(settleTimer);
      settleTimer = setTimeout(() => { settleTimer = 0; schedule(); }, SETTLE_MS);
      return;
    }
    body.hidden = false;
    const [first, last] = range();
    let missing = false;
    while (pool.length < last - first) pool.push(rowElement());
    const n = pool.length;
    for (let slot = 0; slot < n; slot++) {
      const idx = first + ((slot - (first % n) + n) % n);
      const r = pool[slot];
      const hide = idx >= last;
      if (r.hidden !== hide) r.hidden = hide;
      if (hide) continue;
      if (r.dataset.idx !== String(idx)) {
        r.dataset.idx = idx;
        r.style.transform = `translateY(${idx * ROW}px)`;
        r.setAttribute('aria-rowindex', idx + 2);
      }
      const row = pages.get(Math.floor(idx / PAGE))?.[idx % PAGE];
      if (!row) missing = true;
      // a row already showing what it should is left alone
      const key = row ? row.target_id : `…${idx}`;
      if (r.dataset.key === key) continue;
      r.dataset.key = key;
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
    if (missing) fetchVisible();
  }

  function schedule() {
    if (!frame && !disposed) frame = requestAnimationFrame(paint);
  }
  scroller.addEventListener('scroll', schedule, { passive: true });
  const observer = new ResizeObserver(([entry]) => { height = entry.contentRect.height; schedule(); });
  observer.observe(scroller);
  paint();
  return {
    dispose() {
      disposed = true;
      observer.disconnect();
      cancelAnimationFrame(frame);
      clearTimeout(settleTimer);
      for (const ctl of inFlight.values()) ctl.abort();
    },
  };
}
