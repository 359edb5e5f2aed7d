// SPDX-License-Identifier: MIT
// A Leaflet map that works without internet: the world's outline ships with the console (Natural
// Earth through world-atlas); a tile URL, when set, adds tiles where a network exists.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { feature } from 'topojson-client';
import worldUrl from 'world-atlas/countries-110m.json?url';

const TILE_KEY = 'tmidb.console.tiles';
let world = null;

export function tileUrl() {
  return localStorage.getItem(TILE_KEY) || '';
}

export function setTileUrl(u) {
  if (u) localStorage.setItem(TILE_KEY, u);
  else localStorage.removeItem(TILE_KEY);
}

/**
 * Rings that cross the antimeridian (Russia, Fiji, Antarctica) jump from 180 to -180 degrees, which a
 * flat map draws as a line across the world: each longitude is moved by 360 to follow the previous one.
 */
export function unwrap(ring) {
  let prev = ring[0][0];
  return ring.map(([lon, lat]) => {
    let x = lon;
    while (x - prev > 180) x -= 360;
    while (x - prev < -180) x += 360;
    prev = x;
    return [x, lat];
  });
}

async function outline() {
  world ??= fetch(worldUrl).then((r) => r.json()).then((topo) => {
    const geo = feature(topo, topo.objects.countries);
    for (const f of geo.features) {
      const g = f.geometry;
      if (g?.type === 'Polygon') g.coordinates = g.coordinates.map(unwrap);
      if (g?.type === 'MultiPolygon') g.coordinates = g.coordinates.map((p) => p.map(unwrap));
    }
    return geo;
  });
  return world;
}

/**
 * Leaflet's canvas renderer, which may run a redraw it asked for after its canvas was removed with
 * the map (a page left while its paths changed): there is nothing to draw on then.
 */
const Canvas = L.Canvas.extend({
  _redraw() {
    if (this._ctx) L.Canvas.prototype._redraw.call(this);
  },
});

/** A map in `parent`, showing the world outline (and tiles when configured). */
export function worldMap(parent, { label = 'Map' } = {}) {
  const map = L.map(parent, { worldCopyJump: true, renderer: new Canvas(), zoomSnap: 0.25 }).setView([20, 0], 2);
  let removed = false;
  map.on('unload', () => { removed = true; });
  parent.setAttribute('role', 'region');
  parent.setAttribute('aria-label', label);
  // the view, for whoever reads the page: where it is centred and at which zoom (Web Mercator)
  const describe = () => {
    const c = map.getCenter();
    parent.dataset.center = `${c.lat.toFixed(6)},${c.lng.toFixed(6)}`;
    parent.dataset.zoom = String(map.getZoom());
  };
  map.on('moveend zoomend', describe);
  describe();
  const tiles = tileUrl();
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: 'tiles: ' + new URL(tiles.replace(/[{}]/g, ''), location.href).host }).addTo(map);
  }
  const ready = outline().then((geo) => {
    if (removed) return; // the page was left before the outline came
    L.geoJSON(geo, {
      interactive: false,
      style: { color: '#57606a', weight: 1, fillColor: '#e6e9ed', fillOpacity: tiles ? 0 : 1 },
    }).addTo(map).bringToBack();
    parent.dataset.outline = 'drawn';
  });
  return { map, ready };
}

export { L };
