// SPDX-License-Identifier: MIT
// Map: every positioned target of a kind (their latest positions from GET /rpc/near over the whole
// earth), clustered by screen distance; a click searches tmi.near around that point.
import { get, url } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';
import { L, setTileUrl, tileUrl, worldMap } from '../worldmap.js';

/** Half the earth's circumference: a radius around any point that reaches every other. */
const EVERYWHERE_M = 20_040_000;
const CLUSTER_PX = 40;

/** Groups points whose screen positions lie within CLUSTER_PX of a group's first point. */
export function cluster(points, toPixel) {
  const groups = [];
  const cells = new Map();
  for (const p of points) {
    const px = toPixel(p);
    const cx = Math.floor(px.x / CLUSTER_PX);
    const cy = Math.floor(px.y / CLUSTER_PX);
    let g = null;
    for (let dx = -1; dx <= 1 && !g; dx++) {
      for (let dy = -1; dy <= 1 && !g; dy++) {
        g = (cells.get(`${cx + dx},${cy + dy}`) || []).find((c) => Math.hypot(c.px.x - px.x, c.px.y - px.y) < CLUSTER_PX) || null;
      }
    }
    if (g) g.members.push(p);
    else {
      g = { px, members: [p] };
      groups.push(g);
      const key = `${cx},${cy}`;
      cells.set(key, [...(cells.get(key) || []), g]);
    }
  }
  return groups;
}

export async function render(view, { catalog, args }) {
  const kinds = catalog.kinds.map((k) => k.kind);
  const kind = kinds.includes(args[0]) ? args[0] : kinds[0];
  const select = h('select', {}, ...kinds.map((k) => h('option', { value: k, selected: k === kind }, k)));
  const radius = h('input', { type: 'number', min: 1, step: 'any', value: args[1] || 1000 });
  const tiles = h('input', { type: 'url', value: tileUrl(), placeholder: 'https://tile.example.org/{z}/{x}/{y}.png' });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  const results = h('ol', { class: 'near' });
  const mapBox = h('div', { class: 'map' });
  const tileForm = h('form', { class: 'toolbar' }, field('Tile URL (optional)', tiles), h('button', { type: 'submit' }, 'Apply'));
  tileForm.addEventListener('submit', (e) => { e.preventDefault(); setTileUrl(tiles.value.trim()); location.reload(); });
  select.addEventListener('change', () => { location.hash = `#/map/${encodeURIComponent(select.value)}`; });
  view.append(h('h1', {}, 'Map'),
    h('div', { class: 'toolbar' }, field('Kind', select), field('Search radius (m)', radius)),
    note,
    h('div', { class: 'mapgrid' }, mapBox, h('section', { 'aria-labelledby': 'near-h' },
      h('h2', { id: 'near-h' }, 'Near a point'), h('p', { class: 'muted' }, 'Click the map to search around that point.'), results)),
    tileForm);
  if (!kind) {
    note.textContent = 'No kind this token may read.';
    return null;
  }
  const { map, ready } = worldMap(mapBox, { label: `Positions of ${kind}` });
  const markers = L.layerGroup().addTo(map);
  const search = L.layerGroup().addTo(map);
  await ready;
  let points = [];
  try {
    points = await get(url('/rpc/near', { lat: 0, lon: 0, radius_m: EVERYWHERE_M, kind }));
  } catch (e) {
    note.replaceChildren(errorBox(e));
  }
  if (points.length) {
    note.textContent = `${points.length} positioned targets of ${kind}`;
    map.fitBounds(L.latLngBounds(points.map((p) => [p.target_lat, p.target_lon])).pad(0.2), { maxZoom: 12 });
  } else if (!note.firstChild) note.textContent = `No positioned target of ${kind}.`;

  function draw() {
    markers.clearLayers();
    for (const g of cluster(points, (p) => map.latLngToLayerPoint([p.target_lat, p.target_lon]))) {
      const ll = map.layerPointToLatLng(g.px);
      if (g.members.length === 1) {
        const p = g.members[0];
        L.circleMarker([p.target_lat, p.target_lon], { radius: 7, color: '#fff', weight: 2, fillColor: '#1f6feb', fillOpacity: 1 })
          .bindTooltip(p.name || p.target_id).on('click', () => { location.hash = `#/target/${encodeURIComponent(p.target_kind)}/${p.target_id}`; })
          .addTo(markers);
      } else {
        const n = g.members.length;
        L.marker(ll, {
          icon: L.divIcon({ className: 'cluster', html: `<span>${n}</span>`, iconSize: [34, 34] }),
          keyboard: true,
          title: `${n} targets`,
        }).on('click', () => map.fitBounds(L.latLngBounds(g.members.map((p) => [p.target_lat, p.target_lon])).pad(0.2)))
          .addTo(markers);
      }
    }
  }
  map.on('zoomend', draw);
  draw();

  map.on('click', async (e) => {
    const r = Number(radius.value) || 1000;
    search.clearLayers();
    L.circle(e.latlng, { radius: r, color: '#9a6700', weight: 2, fillOpacity: 0.08 }).addTo(search);
    try {
      const found = await get(url('/rpc/near', { lat: e.latlng.lat.toFixed(6), lon: e.latlng.lng.toFixed(6), radius_m: r, kind }));
      results.replaceChildren(...(found.length ? found.map((p) => h('li', {},
        h('a', { href: `#/target/${encodeURIComponent(p.target_kind)}/${p.target_id}` }, p.name || p.target_id),
        ` ${Math.round(p.distance_m)} m · ${fmtTime(p.seen_at)}`)) : [h('li', {}, `Nothing within ${r} m.`)]));
    } catch (err) {
      results.replaceChildren(h('li', {}, errorBox(err)));
    }
  });
  return { dispose: () => map.remove() };
}
