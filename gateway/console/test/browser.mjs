// SPDX-License-Identifier: MIT
// Debian's Chromium driven by playwright-core, and what a person sees in a screenshot: pixels of a
// colour inside a region, decoded by the browser itself (no image library).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'tmidb-console-chromium-'));
  // a fresh profile each run (playwright passes it as --user-data-dir)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    async newPage(viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Pixels of a PNG close to an [r, g, b] colour (each channel within `tol`), within `clip`
 * ({x, y, width, height}; whole image when absent): their count, and their x and y extent.
 */
export async function colourPixels(page, png, rgb, { clip, tol = 40 } = {}) {
  return page.evaluate(async ({ data, rgb, clip, tol }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const r = clip || { x: 0, y: 0, width: img.width, height: img.height };
    const px = g.getImageData(r.x, r.y, r.width, r.height).data;
    let n = 0; let minX = Infinity; let maxX = -Infinity; let minY = Infinity; let maxY = -Infinity;
    const columns = new Set();
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - rgb[0]) <= tol && Math.abs(px[i + 1] - rgb[1]) <= tol && Math.abs(px[i + 2] - rgb[2]) <= tol) {
        const x = (i / 4) % r.width;
        const y = Math.floor(i / 4 / r.width);
        n++;
        columns.add(x);
        minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    return { n, columns: columns.size, minX, maxX, minY, maxY };
  }, { data: png.toString('base64'), rgb, clip, tol });
}

/** Where Leaflet (Web Mercator, 256-pixel tiles) draws lat/lon in a map element showing data-center at data-zoom. */
export function mercatorPixel(box, center, zoom, [lat, lon]) {
  const scale = 256 * 2 ** zoom;
  const project = (la, lo) => {
    const s = Math.sin((Math.max(-85.05, Math.min(85.05, la)) * Math.PI) / 180);
    return { x: ((lo + 180) / 360) * scale, y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * scale };
  };
  const p = project(lat, lon);
  const c = project(center[0], center[1]);
  return { x: box.x + box.width / 2 + (p.x - c.x), y: box.y + box.height / 2 + (p.y - c.y) };
}
