// SPDX-License-Identifier: MIT
// Overview: tmi.status() (GET /rpc/status), targets per kind, and the ingest rate and relay lag as
// live charts, sampled from the status every few seconds.
import { count, get } from '../api.js';
import { timeChart } from '../chart.js';
import { errorBox, h } from '../dom.js';

const EVERY_MS = 2000;
const KEEP = 150;

/** Numbered events (the ingest rate's source) and the largest relay lag in seconds, read from status rows. */
export function sample(rows) {
  const events = rows.find((r) => r.subsystem === 'events');
  const relay = rows.find((r) => r.subsystem === 'relay');
  const numbered = Number(/^(\d+) numbered/.exec(events?.detail || '')?.[1] ?? NaN);
  const lags = [...(relay?.detail || '').matchAll(/([\d.]+) s behind/g)].map((m) => Number(m[1]));
  return { numbered, lag: lags.length ? Math.max(...lags) : null };
}

export async function render(view, { catalog }) {
  const statusBody = h('tbody');
  const countsBody = h('tbody');
  const problem = h('div');
  const rateBox = h('div', { class: 'chart' });
  const lagBox = h('div', { class: 'chart' });
  view.append(
    h('h1', {}, 'Overview'),
    problem,
    h('div', { class: 'grid2' },
      h('div', {}, h('h2', { id: 'status-h' }, 'Subsystems'),
        h('table', { 'aria-labelledby': 'status-h' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Subsystem'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Detail'))),
          statusBody)),
      h('div', {}, h('h2', { id: 'counts-h' }, 'Targets'),
        h('table', { 'aria-labelledby': 'counts-h' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Schema version'), h('th', { scope: 'col', class: 'num' }, 'Targets'))),
          countsBody))),
    h('div', { class: 'grid2' }, rateBox, lagBox));

  const times = [];
  const rates = [];
  const lags = [];
  let last = null;
  const rate = timeChart(rateBox, { title: 'Ingest (events per second)', series: ['events/s'], data: [[], []] });
  const lag = timeChart(lagBox, { title: 'Relay lag (seconds)', series: ['lag'], data: [[], []] });

  async function tick() {
    try {
      const rows = await get('/rpc/status');
      problem.replaceChildren();
      statusBody.replaceChildren(...rows.map((r) => h('tr', {},
        h('th', { scope: 'row' }, r.subsystem),
        h('td', {}, h('span', { class: `state state-${r.state}` }, r.state)),
        h('td', {}, r.detail))));
      const now = Date.now() / 1000;
      const s = sample(rows);
      if (last && Number.isFinite(s.numbered) && Number.isFinite(last.numbered)) {
        times.push(now);
        rates.push(Math.max(0, (s.numbered - last.numbered) / (now - last.t)));
        lags.push(s.lag);
        if (times.length > KEEP) [times, rates, lags].forEach((a) => a.shift());
        rate.setData([times, rates]);
        lag.setData([times, lags]);
      }
      last = { t: now, numbered: s.numbered };
    } catch (e) {
      problem.replaceChildren(errorBox(e));
    }
  }

  // the status first: the counts (count=exact over every target of a kind) must not hold its request back
  const first = tick();
  countsBody.replaceChildren(...catalog.kinds.map((k) => {
    const n = h('td', { class: 'num' }, '…');
    count(`/${encodeURIComponent(k.kind)}?select=target_id`).then((c) => { n.textContent = c ?? '?'; }, (e) => { n.textContent = e.message; });
    return h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/targets/${encodeURIComponent(k.kind)}` }, k.kind)), h('td', {}, k.version), n);
  }));
  if (!catalog.kinds.length) countsBody.append(h('tr', {}, h('td', { colspan: 3 }, 'No kind this token may read.')));
  await first;
  const timer = setInterval(tick, EVERY_MS);
  return {
    dispose() {
      clearInterval(timer);
      rate.destroy();
      lag.destroy();
    },
  };
}
