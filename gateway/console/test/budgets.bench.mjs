// SPDX-License-Identifier: MIT
// The console's budgets in Chromium (run by ConsoleBench, which starts the gateway and the data):
// each figure beside a baseline of the same run and its budget.
// Env: TMIDB_URL, TMIDB_TOKEN (an admin's), TMIDB_BIG (a probe with many readings), TMIDB_SMALL (one with 1,000).
import { gzipSync } from 'node:zlib';
import { launch } from './browser.mjs';

const base = process.env.TMIDB_URL;
const jwt = process.env.TMIDB_TOKEN;
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const report = (what, value, baseline, unit, budget) => rows.push({ what, value, baseline, unit, budget });

// the token must open the API, or every figure below would be the sign-in form's
const probe = await fetch(`${base}/`, { headers: { Authorization: `Bearer ${jwt}` } });
if (!probe.ok) throw new Error(`the token is refused: ${probe.status} ${await probe.text()}`);

const browser = await launch();
const page = await browser.newPage({ width: 1280, height: 860 });
page.setDefaultTimeout(120_000);
page.on('console', (m) => { if (m.type() === 'error') console.log(`page: ${m.text()}`); });
page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
const scripts = new Map();
page.on('response', async (r) => {
  if (r.url().endsWith('.js') && r.ok()) scripts.set(r.url(), await r.body());
});
await page.addInitScript((t) => {
  if (location.pathname.startsWith('/console')) sessionStorage.setItem('tmidb.console.token', t);
}, jwt);
const cdp = await page.context().newCDPSession(page);

// first load, cold (no HTTP cache): until the status table is filled; baseline: the status as bare JSON
const loads = [];
const bare = [];
for (let i = 0; i < RUNS; i++) {
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let t = performance.now();
  await page.goto(`${base}/console/#/overview`);
  await page.getByRole('cell', { name: /^tmidb / }).waitFor();
  loads.push(performance.now() - t);
  await page.goto('about:blank');
  await page.setExtraHTTPHeaders({ Authorization: `Bearer ${jwt}` });
  t = performance.now();
  await page.goto(`${base}/rpc/status`);
  bare.push(performance.now() - t);
  await page.setExtraHTTPHeaders({});
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
}
report('first load (cold cache)', median(loads), median(bare), 'ms', 1000);

// a chart ready: from asking for the target page until its chart is drawn
async function chartTime(id) {
  await page.goto(`${base}/console/#/overview`);
  await page.getByRole('cell', { name: /^tmidb / }).waitFor();
  return page.evaluate(async (target) => {
    const t = performance.now();
    location.hash = `#/target/probe/${target}`;
    await new Promise((resolve) => {
      const poll = () => (document.querySelector('.chart[data-field="value"] .uplot') ? resolve() : requestAnimationFrame(poll));
      poll();
    });
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t;
  }, id);
}
const big = [];
const small = [];
for (let i = 0; i < RUNS; i++) {
  small.push(await chartTime(process.env.TMIDB_SMALL));
  big.push(await chartTime(process.env.TMIDB_BIG));
}
const points = await page.evaluate(async (id) => {
  const r = await fetch(`/probe_obs?target_id=eq.${id}&select=obs_id`, { method: 'HEAD', headers: { Authorization: `Bearer ${sessionStorage.getItem('tmidb.console.token')}`, Prefer: 'count=exact' } });
  return r.headers.get('Content-Range');
}, process.env.TMIDB_BIG);
report(`chart ready, ${points.split('/')[1]} stored points (baseline: 1,000)`, median(big), median(small), 'ms', 1000);

// long tasks while the table scrolls from top to bottom in 300 frames, with jumps that fetch new pages
async function scrollTasks(kind) {
  await page.goto(`${base}/console/#/targets/${kind}`);
  await page.getByRole('table').waitFor();
  await page.locator('.vbody a[href]').first().waitFor();
  let requests = 0;
  const counting = (r) => { if (new URL(r.url()).pathname === `/${kind}`) requests++; };
  page.on('request', counting);
  const result = await page.evaluate(async () => {
    const tasks = [];
    const obs = new PerformanceObserver((l) => tasks.push(...l.getEntries().map((e) => e.duration)));
    obs.observe({ type: 'longtask' });
    const table = document.querySelector('.vtable');
    const frames = 300;
    for (let i = 1; i <= frames; i++) {
      table.scrollTop = (table.scrollHeight - table.clientHeight) * (i / frames) ** 2;
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    await new Promise((r) => setTimeout(r, 500));
    obs.disconnect();
    return { count: tasks.length, worst: tasks.length ? Math.max(...tasks) : 0 };
  });
  page.off('request', counting);
  return { ...result, requests };
}
const meters = await scrollTasks('meter');
const gauges = await scrollTasks('gauge');
report('table scroll, long tasks > 50 ms (100,000 rows; baseline 1,000)', meters.count, gauges.count, 'tasks', 0);
report('table scroll, longest task', meters.worst, gauges.worst, 'ms', 50);
// not a budget: what the table asks of the gateway while it scrolls (the pages of where it rests)
report('table scroll, page requests', meters.requests, gauges.requests, 'requests', null);

// the JavaScript every page loaded, gzipped
await page.goto(`${base}/console/#/map/probe`);
await page.locator('.map[data-outline]').waitFor();
const gz = [...scripts.values()].reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
report(`JavaScript, gzipped (${scripts.size} files, every page)`, gz / 1024, null, 'KB', 400);

await browser.close();
console.log(`${'budget'.padEnd(66)} ${'value'.padStart(9)} ${'baseline'.padStart(9)} ${'ratio'.padStart(6)} ${'budget'.padStart(8)}  within`);
for (const r of rows) {
  const ratio = r.baseline ? (r.value / r.baseline).toFixed(2) : '';
  const within = r.budget === null ? '' : r.value <= r.budget ? 'yes' : 'NO';
  console.log(`${r.what.padEnd(66)} ${r.value.toFixed(1).padStart(9)} ${(r.baseline === null ? '' : r.baseline.toFixed(1)).padStart(9)} ${ratio.padStart(6)} ${(r.budget === null ? '' : `${r.budget} ${r.unit}`).padStart(8)}  ${within}`);
}
