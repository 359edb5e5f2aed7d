// SPDX-License-Identifier: MIT
// The console in Chromium against a running gateway (ConsoleIT starts one with known data): each
// page is checked by what its screenshot shows, and the screenshot is written to TMIDB_SHOTS.
// Env: TMIDB_URL, TMIDB_ADMIN_TOKEN, TMIDB_SPEAKER_TOKEN, TMIDB_LISTENER_TOKEN, TMIDB_BIKE (a bike with a series and a
// trace), TMIDB_POSITIONS ({name: [lat, lon]} of every bike's latest position), TMIDB_SECRET (a connector's
// password), TMIDB_SHOTS.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { colourPixels, launch, mercatorPixel } from './browser.mjs';

const base = process.env.TMIDB_URL;
const shots = process.env.TMIDB_SHOTS;
const bike = process.env.TMIDB_BIKE;
const positions = JSON.parse(process.env.TMIDB_POSITIONS);
const BLUE = [31, 111, 235];
const RED = [209, 36, 47];
mkdirSync(shots, { recursive: true });

const browser = await launch();
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n${e.stack}`);
  }
}

async function signIn(page, jwt) {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Token').fill(jwt);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Pages' }).waitFor();
}

async function shot(page, name, locator) {
  return (locator || page).screenshot({ path: join(shots, `${name}.png`), fullPage: !locator });
}

async function mapView(page, selector) {
  const el = page.locator(selector);
  const box = await el.boundingBox();
  const center = (await el.getAttribute('data-center')).split(',').map(Number);
  const zoom = Number(await el.getAttribute('data-zoom'));
  return { box, at: (ll) => mercatorPixel(box, center, zoom, ll) };
}

const page = await browser.newPage({ width: 1280, height: 860 });
page.on('pageerror', (e) => { failed++; console.log(`not ok - page error: ${e.message}`); });

await check('a refused token shows the server message and no page', async () => {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /PGRST301|JW/);
  assert.equal(await page.getByRole('navigation', { name: 'Pages' }).isVisible(), false);
  await shot(page, 'signin');
});

await signIn(page, process.env.TMIDB_ADMIN_TOKEN);

await check('overview: subsystems, targets per kind, live ingest and lag charts drawn', async () => {
  await page.goto(`${base}/console/#/overview`);
  await page.getByRole('cell', { name: /^tmidb / }).waitFor();
  await page.getByRole('link', { name: 'meter' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.page-overview td.num')[1]?.textContent === '5000');
  // two samples make the first rate point; wait for three
  await page.waitForFunction(() => /: ([3-9]|\d\d+) points/.test(document.querySelector('.page-overview .chart .uplot')?.getAttribute('aria-label')));
  const png = await shot(page, 'overview');
  const chart = await page.locator('.page-overview .chart canvas').first().boundingBox();
  const line = await colourPixels(page, png, BLUE, { clip: { x: Math.round(chart.x), y: Math.round(chart.y), width: Math.round(chart.width), height: Math.round(chart.height) } });
  assert.ok(line.columns > 20, `the rate line spans ${line.columns} pixel columns`);
});

await check('targets: 5000 meters in a virtualized table, the last row reached by scrolling, search by key', async () => {
  await page.goto(`${base}/console/#/targets/meter`);
  const table = page.getByRole('table', { name: 'Targets of kind meter' });
  await table.waitFor();
  assert.equal(await table.getAttribute('aria-rowcount'), '5001');
  await page.getByRole('link', { name: 'M-00001' }).waitFor();
  assert.ok(await page.locator('.vbody .vrow').count() < 80, 'only the visible rows are in the page');
  await shot(page, 'targets');
  await table.evaluate((e) => { e.scrollTop = e.scrollHeight; });
  await page.getByRole('link', { name: 'M-05000' }).waitFor();
  await page.getByLabel('Search').fill('M-0424');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('10 targets').waitFor();
  await page.getByRole('link', { name: 'M-04249' }).waitFor();
});

await check('target: attributes, a chart with the downsampled series, the trace ending at the latest position', async () => {
  await page.goto(`${base}/console/#/target/bike/${bike}`);
  await page.getByRole('heading', { name: 'Seoul' }).waitFor();
  await page.getByText(/^api_v\d+$/).waitFor();
  const chart = page.locator('.chart[data-field="battery"] canvas');
  await chart.waitFor();
  await page.locator('.page-target .map[data-outline]').waitFor();
  await page.getByText(/^2000 positions/).waitFor();
  await page.getByText(/^Live: live$/).waitFor();
  await page.waitForTimeout(600);
  const png = await shot(page, 'target');
  const c = await chart.boundingBox();
  const line = await colourPixels(page, png, BLUE, { clip: { x: Math.round(c.x), y: Math.round(c.y), width: Math.round(c.width), height: Math.round(c.height) } });
  assert.ok(line.columns > 0.6 * (c.width - 70), `the battery line spans ${line.columns} of ${c.width} pixel columns`);
  assert.ok(line.maxY - line.minY > 40, 'the line goes up and down with the battery');
  const { at } = await mapView(page, '.page-target .map');
  const p = at(positions.Seoul);
  const marker = await colourPixels(page, png, RED, { clip: { x: Math.round(p.x) - 4, y: Math.round(p.y) - 4, width: 9, height: 9 } });
  assert.ok(marker.n > 20, `the latest position's marker is drawn at ${JSON.stringify(p)} (${marker.n} red pixels)`);
});

await check('target: a new reading arrives live over /tmi/ws and is drawn', async () => {
  const label = () => page.locator('.chart[data-field="battery"] .uplot').getAttribute('aria-label');
  const before = await label();
  await page.evaluate(async ({ bike, jwt }) => {
    const res = await fetch('/rpc/observe', { method: 'POST', headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: bike, ts: '2026-11-21T12:00:00Z', payload: { battery: 99, speed: 1 } }) });
    if (!res.ok) throw new Error(await res.text());
  }, { bike, jwt: process.env.TMIDB_SPEAKER_TOKEN });
  await page.waitForFunction((b) => document.querySelector('.chart[data-field="battery"] .uplot').getAttribute('aria-label') !== b, before);
});

await check('map: every bike at its place on the world outline, near search by click', async () => {
  await page.goto(`${base}/console/#/map/bike`);
  await page.getByText('3 positioned targets of bike').waitFor();
  await page.locator('.page-map .map[data-outline]').waitFor();
  await page.waitForTimeout(600);
  const png = await shot(page, 'map');
  const { at } = await mapView(page, '.page-map .map');
  for (const [name, ll] of Object.entries(positions)) {
    const p = at(ll);
    const m = await colourPixels(page, png, BLUE, { clip: { x: Math.round(p.x) - 4, y: Math.round(p.y) - 4, width: 9, height: 9 } });
    assert.ok(m.n > 20, `${name}'s marker at ${JSON.stringify(p)} (${m.n} blue pixels)`);
  }
  // a click beside the marker (not on it, which opens the target) searches 1000 km around
  await page.getByLabel('Search radius (m)').fill('1000000');
  const paris = at(positions.Paris);
  await page.mouse.click(paris.x, paris.y + 12);
  await page.getByRole('link', { name: 'Paris' }).waitFor();
  assert.equal(await page.locator('.near li').count(), 1);
});

await check('alarms: the open alarm acknowledged, the history, the target\'s alarms', async () => {
  await page.goto(`${base}/console/#/alarms`);
  await page.getByText('1 open alarms, newest first').waitFor();
  await page.getByRole('cell', { name: '89.5' }).waitFor();
  await shot(page, 'alarms');
  await page.getByRole('button', { name: /^Acknowledge alarm/ }).click();
  await page.getByText('acknowledged', { exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Acknowledge alarm/ }).count(), 0);
  await page.getByRole('link', { name: /history/ }).click();
  await page.getByText('2 alarms, newest first').waitFor();
  await page.goto(`${base}/console/#/target/bike/${bike}`);
  await page.getByRole('cell', { name: 'battery > 85' }).first().waitFor();
  assert.equal(await page.getByRole('cell', { name: 'battery > 85' }).count(), 2);
});

await check('schema versions: the history of bike and the fields its second version added', async () => {
  await page.goto(`${base}/console/#/versions/bike`);
  await page.getByText('2 versions of bike; version N is served as api_vN').waitFor();
  const diff = page.locator('tr.diff-added');
  await diff.first().waitFor();
  assert.deepEqual((await diff.locator('td:first-child').allInnerTexts()).sort(), ['battery', 'speed']);
  await shot(page, 'versions');
});

await check('connectors: state, last error and backoff, the password masked', async () => {
  await page.goto(`${base}/console/#/connectors`);
  await page.getByRole('heading', { name: /weather/ }).waitFor();
  await page.getByText('failing (3 in a row)').waitFor();
  await page.getByText('HTTP 503 Service Unavailable').waitFor();
  const text = await page.locator('main').innerText();
  assert.ok(!text.includes(process.env.TMIDB_SECRET) && text.includes('********'), 'the password is masked');
  await shot(page, 'connectors');
});

await check('a listener sees its subscription only: no meter, the battery but not the speed', async () => {
  const listener = await browser.newPage({ width: 390, height: 844 });
  await signIn(listener, process.env.TMIDB_LISTENER_TOKEN);
  await listener.getByRole('link', { name: 'Alarms' }).waitFor();
  assert.equal(await listener.getByRole('link', { name: 'Connectors' }).isVisible(), false, 'no connectors page for a listener');
  await listener.goto(`${base}/console/#/targets/meter`);
  await listener.getByText('0 targets').waitFor();
  await listener.goto(`${base}/console/#/target/bike/${bike}`);
  await listener.locator('.chart[data-field="battery"] canvas').waitFor();
  assert.equal(await listener.locator('.chart[data-field="speed"]').count(), 0);
  await shot(listener, 'target-phone');
  const width = await listener.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling at a phone's width (${width} px)`);
  await listener.close();
});

await browser.close();
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
