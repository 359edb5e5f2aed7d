// SPDX-License-Identifier: MIT
// One target: attributes and schema version, one chart per numeric field over a chosen range (the
// server downsamples: GET /rpc/series), its position trace on a map, live updates from /tmi/ws, its
// alarms and its files (GET /rpc/target_files; each downloaded through GET /files/<id>).
import { get, request, url } from '../api.js';
import { timeChart } from '../chart.js';
import { errorBox, field, fmtTime, h } from '../dom.js';
import { liveEvents } from '../live.js';
import { alarmTable } from './alarms.js';
import { fileTable } from '../files.js';
import { L, worldMap } from '../worldmap.js';

/** Points a chart asks the server for, whatever the range holds. */
const POINTS = 1000;
const TRACE = 5000;
const RANGES = [['1 hour', 3600], ['1 day', 86400], ['7 days', 7 * 86400], ['30 days', 30 * 86400], ['all', 0]];

/** The bucket width, in whole seconds, that cuts [from, to] into about POINTS points. */
export function bucketSeconds(fromMs, toMs) {
  return Math.max(1, Math.ceil((toMs - fromMs) / 1000 / POINTS));
}

export async function render(view, { catalog, args }) {
  const [kind, id] = args;
  const info = catalog.kinds.find((k) => k.kind === kind);
  if (!info) throw new Error(`No kind "${kind}" this token may read`);
  const base = `/${encodeURIComponent(kind)}`;
  const obs = `${base}_obs`;
  async function extent() {
    const q = (dir) => get(url(obs, { target_id: `eq.${id}`, select: 'ts', order: `ts.${dir}`, limit: 1 }));
    const [first, last] = await Promise.all([q('asc'), q('desc')]);
    return first.length ? [Date.parse(first[0].ts), Date.parse(last[0].ts)] : null;
  }
  // what the first chart needs, asked at once rather than one answer after the other: the target,
  // its latest reading (the fields the token reads: a listener's hidden fields read as null there)
  // and the span of its readings
  const [{ data: rows, headers }, [latest], span] = await Promise.all([
    request(url(base, { target_id: `eq.${id}` })), get(url(`${base}_latest`, { target_id: `eq.${id}` })), extent()]);
  if (!rows.length) throw new Error(`No target ${id} of kind ${kind} this token may read`);
  const t = rows[0];
  const version = headers.get('Content-Profile') || info.version;

  const attrs = h('dl', { class: 'attrs' },
    ...[['Kind', kind], ['Key', t.ext_key], ['Id', t.target_id], ['Schema version', version],
      ['Created', fmtTime(t.created_at)], ['Updated', fmtTime(t.updated_at)],
      ...info.attributes.map((a) => [a, typeof t[a] === 'object' && t[a] !== null ? JSON.stringify(t[a]) : t[a]])]
      .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]).flat());
  const rangeSel = h('select', {}, ...RANGES.map(([label]) => h('option', { value: label, selected: label === 'all' }, label)));
  const liveState = h('span', { class: 'muted', 'aria-live': 'polite' }, 'connecting…');
  const charts = h('div', { class: 'charts' });
  const mapBox = h('div', { class: 'map small' });
  const traceNote = h('p', { class: 'muted' });
  const alarmsBox = h('div');
  const filesBox = h('div');
  view.append(
    h('p', {}, h('a', { href: `#/targets/${encodeURIComponent(kind)}` }, `← ${kind}`)),
    h('h1', {}, t.name || t.ext_key || t.target_id),
    h('div', { class: 'grid2' },
      h('section', { 'aria-labelledby': 'attrs-h' }, h('h2', { id: 'attrs-h' }, 'Attributes'), attrs),
      h('section', { 'aria-labelledby': 'trace-h' }, h('h2', { id: 'trace-h' }, 'Position trace'), mapBox, traceNote)),
    h('section', { 'aria-labelledby': 'series-h' },
      h('h2', { id: 'series-h' }, 'Observations'),
      h('div', { class: 'toolbar' }, field('Range', rangeSel), h('span', {}, 'Live: ', liveState)),
      charts),
    h('section', { 'aria-labelledby': 'alarms-h' }, h('h2', { id: 'alarms-h' }, 'Alarms'), alarmsBox),
    h('section', { 'aria-labelledby': 'files-h' }, h('h2', { id: 'files-h' }, 'Files'), filesBox));

  const fields = info.fields.filter((f) => latest && latest[f] !== null && latest[f] !== undefined);
  const plots = new Map();
  /** The charts over the chosen range of `known`, the span of the readings (asked again when not given). */
  async function drawSeries(known) {
    const span = known === undefined ? await extent() : known;
    if (!span) {
      charts.replaceChildren(h('p', { class: 'muted' }, 'No observations yet.'));
      return;
    }
    const seconds = RANGES.find(([l]) => l === rangeSel.value)[1];
    const to = span[1] + 1000;
    const from = seconds ? to - seconds * 1000 : span[0];
    const bucket = `${bucketSeconds(from, to)} seconds`;
    if (!fields.length) charts.replaceChildren(h('p', { class: 'muted' }, 'No numeric field this token may read.'));
    await Promise.all(fields.map(async (f) => {
      let box = plots.get(f);
      if (!box) {
        box = { el: h('div', { class: 'chart', 'data-field': f }) };
        plots.set(f, box);
        charts.append(box.el);
      }
      try {
        const pts = await get(url('/rpc/series', { target: id, field: f, bucket, since: new Date(from).toISOString(), until: new Date(to).toISOString() }));
        const data = [pts.map((p) => Date.parse(p.ts) / 1000), pts.map((p) => p.avg), pts.map((p) => p.min), pts.map((p) => p.max)];
        if (box.chart) box.chart.setData(data);
        else {
          box.el.replaceChildren();
          box.chart = timeChart(box.el, { title: `${f} (per ${bucket})`, series: [`${f} avg`, 'min', 'max'], data, band: true });
        }
      } catch (e) {
        box.el.replaceChildren(h('h3', {}, f), errorBox(e));
      }
    }));
  }

  let map = null;
  let traceLayer = null;
  // after the charts: the world outline (parsed once, drawn on each map) then waits for no chart
  async function showMap() {
    const world = worldMap(mapBox, { label: `Position trace of ${t.ext_key || t.target_id}` });
    map = world.map;
    traceLayer = L.layerGroup().addTo(map);
    await world.ready;
    await drawTrace();
  }
  async function drawTrace() {
    const pts = await get(url(obs, { target_id: `eq.${id}`, lat: 'not.is.null', select: 'ts,lat,lon', order: 'ts.desc', limit: TRACE }));
    traceLayer.clearLayers();
    if (!pts.length) {
      traceNote.textContent = 'No position recorded.';
      return;
    }
    const line = pts.map((p) => [p.lat, p.lon]).reverse();
    L.polyline(line, { color: '#d1242f', weight: 3 }).addTo(traceLayer);
    L.circleMarker(line[line.length - 1], { radius: 7, color: '#fff', weight: 2, fillColor: '#d1242f', fillOpacity: 1 })
      .bindTooltip(`latest ${fmtTime(pts[0].ts)}`).addTo(traceLayer);
    // not animated: a zoom still moving when the page is left would redraw a removed canvas
    map.fitBounds(L.latLngBounds(line).pad(0.3), { maxZoom: 12, animate: false });
    traceNote.textContent = `${pts.length} positions${pts.length === TRACE ? ' (the latest)' : ''}, latest ${fmtTime(pts[0].ts)}`;
  }

  async function drawAlarms() {
    if (!catalog.functions.includes('alarms')) return;
    try {
      const rows = await get(url('/rpc/alarms', { target: id, history: true, limit: 20 }));
      alarmsBox.replaceChildren(rows.length ? alarmTable(rows, { caption: 'The latest 20, newest first' }) : h('p', { class: 'muted' }, 'No alarm.'));
    } catch (e) {
      alarmsBox.replaceChildren(errorBox(e));
    }
  }

  async function drawFiles() {
    if (!catalog.functions.includes('target_files')) return;
    try {
      const rows = await get(url('/rpc/target_files', { target: id }));
      filesBox.replaceChildren(rows.length ? fileTable(rows) : h('p', { class: 'muted' }, 'No file.'));
    } catch (e) {
      filesBox.replaceChildren(errorBox(e));
    }
  }

  rangeSel.addEventListener('change', () => drawSeries().catch((e) => charts.replaceChildren(errorBox(e))));
  await Promise.all([drawSeries(span).then(showMap), drawAlarms(), drawFiles()]);

  let pending = null;
  const dirty = new Set();
  const stop = liveEvents({ targets: [id] }, (ev) => {
    dirty.add(ev.event_type.split('.')[0]);
    // redraw once per second at most, whatever the event rate
    pending ??= setTimeout(() => {
      pending = null;
      if (dirty.has('obs')) drawSeries().catch((e) => charts.replaceChildren(errorBox(e)));
      if (dirty.has('position')) drawTrace().catch((e) => traceNote.replaceChildren(errorBox(e)));
      if (dirty.has('alarm')) drawAlarms();
      if (dirty.has('file')) drawFiles();
      dirty.clear();
    }, 1000);
  }, (s) => { liveState.textContent = s; });
  return {
    dispose() {
      stop();
      clearTimeout(pending);
      for (const p of plots.values()) p.chart?.destroy();
      // the paths leave while their canvas is there, so that no redraw is asked of a removed one
      traceLayer?.clearLayers();
      map?.remove();
    },
  };
}
