// SPDX-License-Identifier: MIT
// The console in Chromium against a running gateway (ConsoleIT starts one with known data): each
// page is checked by what its screenshot shows, and the screenshot is written to TMIDB_SHOTS.
// Env: TMIDB_URL, TMIDB_ADMIN_TOKEN, TMIDB_SPEAKER_TOKEN, TMIDB_LISTENER_TOKEN, TMIDB_BIKE (a bike with a series and a
// trace), TMIDB_POSITIONS ({name: [lat, lon]} of every bike's latest position), TMIDB_SECRET (a connector's
// password), TMIDB_FEED (a URL serving bike stations as JSON), TMIDB_MANUAL (the text of Seoul's file manual.txt),
// TMIDB_SHOTS.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    // what the page showed, for the one reading the log (not among the committed screenshots)
    const where = join(tmpdir(), `tmidb-console-failed-${failed}.png`);
    await page.screenshot({ path: where, fullPage: true }).then(() => console.log(`(the page: ${where})`), () => {});
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

/** Form controls and buttons in the page's main part that have no accessible name. */
async function unlabelled(page) {
  return page.locator('main').evaluate((main) => [...main.querySelectorAll('input, select, textarea, button')]
    .filter((e) => !e.hidden && !(e.labels?.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map((e) => e.outerHTML.slice(0, 80)));
}

async function mapView(page, selector) {
  const el = page.locator(selector);
  const box = await el.boundingBox();
  const center = (await el.getAttribute('data-center')).split(',').map(Number);
  const zoom = Number(await el.getAttribute('data-zoom'));
  return { box, at: (ll) => mercatorPixel(box, center, zoom, ll) };
}

const page = await browser.newPage({ width: 1280, height: 860 });
page.on('pageerror', (e) => { failed++; console.log(`not ok - page error: ${e.message}\n${e.stack}`); });

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

await check('connectors: a bad URL is refused with the server\'s message and hint, by keyboard; the list keeps what it had', async () => {
  await page.goto(`${base}/console/#/connectors`);
  await page.getByRole('heading', { name: /weather/ }).waitFor();
  await page.getByText('Add a connector').click();
  await page.getByLabel('Name').focus();
  await page.keyboard.type('stations');
  await page.keyboard.press('Tab');
  await page.keyboard.type('ftp://stations.example.org/now.json');
  // the URL field refuses ftp: only as a type="url" field would refuse a non-URL; the server checks the scheme
  await page.keyboard.press('Enter');
  const alert = page.locator('form[aria-label="Add a connector"] [role="alert"]');
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /(22023)/, text);
  assert.match(text, /Hint: /, text);
  assert.deepEqual(await unlabelled(page), []);
  await page.evaluate(() => window.scrollTo(0, 0));
  const png = await shot(page, 'connector-error');
  // the alert is drawn where it stands, in the error's colours
  const box = await alert.boundingBox();
  const pink = await colourPixels(page, png, [255, 235, 233], { clip: { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) }, tol: 6 });
  assert.ok(pink.n > 0.5 * box.width * box.height, `the alert's background fills it (${pink.n} pixels)`);
  assert.equal(await page.locator('article.card').count(), 1, 'still one connector');
});

/** What the admin reads over the API, as any client would. */
async function adminGet(path) {
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${process.env.TMIDB_ADMIN_TOKEN}` } });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

await check('connector: added, fetched by the worker, test-fetched writing nothing, the suggested rule previewed beside the document and applied', async () => {
  await page.getByLabel('URL', { exact: true }).fill(process.env.TMIDB_FEED);
  await page.getByLabel('Every').fill('1 hour');
  await page.getByRole('button', { name: 'Add connector' }).click();
  await page.getByRole('heading', { name: 'Connector stations' }).waitFor();
  // a new connector runs at once: wait for that run, so that what follows is the test fetch alone
  let stored;
  for (let i = 0; i < 150 && !(stored = await adminGet('/rpc/source_documents?source=stations&max_documents=100')).length; i++) {
    await new Promise((r) => { setTimeout(r, 200); });
  }
  assert.equal(stored.length, 1, 'the first scheduled run stored a document');
  const [before] = await adminGet('/rpc/connectors?name=eq.stations');
  await page.getByRole('button', { name: 'Test fetch' }).click();
  const doc = page.getByLabel('Fetched document', { exact: true });
  await page.getByText(/^Test fetch: /).waitFor();
  assert.match(await page.getByText(/^Test fetch: /).innerText(), /^Test fetch: HTTP 200, .*read as json; nothing was stored\.$/);
  assert.match(await doc.innerText(), /"Quay"/);
  assert.match(await doc.innerText(), /"st-003"/);
  assert.equal(await page.getByText('The connector has no rule yet: write or suggest one, then preview it.').count(), 1);
  assert.deepEqual((await adminGet('/rpc/source_documents?source=stations&max_documents=100')).map((d) => d.raw_id),
    stored.map((d) => d.raw_id), 'the test fetch stored nothing');
  const [after] = await adminGet('/rpc/connectors?name=eq.stations');
  for (const k of ['last_attempt', 'last_success', 'last_status', 'last_error', 'consecutive_failures', 'next_run']) {
    assert.equal(after[k], before[k], `the test fetch left ${k} alone`);
  }
  // a rule that is not one: the database's check, with its hint
  await page.getByLabel('Mapping rule (JSON)').fill('{"kind": "station"}');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('.pane [role="alert"]').waitFor();
  assert.match(await page.locator('.pane [role="alert"]').innerText(), /Hint: /);
  await page.getByRole('button', { name: 'Suggest a rule' }).click();
  await page.getByText(/^Suggested rule/).waitFor();
  const rule = JSON.parse(await page.getByLabel('Mapping rule (JSON)').inputValue());
  assert.equal(rule.key, '$.id', JSON.stringify(rule));
  await page.getByRole('button', { name: 'Preview' }).click();
  const caption = page.locator('table.preview caption');
  await caption.waitFor();
  assert.match(await caption.innerText(), /^3 items → 3 targets of kind \S+, 3 observations, 3 positions, 0 errors$/);
  await page.getByRole('cell', { name: 'st-002' }).waitFor();
  // side by side: the document's pane and the rule's pane share the same rows of the page
  const left = await page.locator('.pane').nth(0).boundingBox();
  const right = await page.locator('.pane').nth(1).boundingBox();
  assert.ok(right.x >= left.x + left.width && Math.abs(right.y - left.y) < 5, `${JSON.stringify(left)} beside ${JSON.stringify(right)}`);
  assert.deepEqual(await unlabelled(page), []);
  await page.evaluate(() => window.scrollTo(0, 0));
  const png = await shot(page, 'connector');
  // the document's grey pane on the left, the suggestion's note (its purple rule) in the rule's pane on the right
  const clip = (b) => ({ x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) });
  const [docPane, rulePane] = [await page.locator('.pane').nth(0).boundingBox(), await page.locator('.pane').nth(1).boundingBox()];
  const greyLeft = await colourPixels(page, png, [246, 248, 250], { clip: clip(docPane), tol: 1 });
  const greyRight = await colourPixels(page, png, [246, 248, 250], { clip: clip(rulePane), tol: 1 });
  assert.ok(greyLeft.n > 20 * greyRight.n && greyLeft.n > 10000, `the document's pane is on the left (${greyLeft.n} grey pixels, ${greyRight.n} on the right)`);
  const purple = await colourPixels(page, png, [130, 80, 223], { clip: clip(rulePane), tol: 10 });
  assert.ok(purple.n > 50, `the suggestion is marked in the rule's pane (${purple.n} purple pixels)`);
  await page.getByRole('button', { name: 'Apply rule' }).click();
  await page.getByText('Rule applied: new documents of stations are mapped with it.').waitFor();
  await page.reload();
  await page.getByText(/^The rule in use since /).waitFor();
});

await check('connectors: edited, then disabled from the list; a disabled one is not run', async () => {
  await page.getByLabel('Every').fill('15 minutes');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved; the connector runs at once.').waitFor();
  await page.locator('dd', { hasText: /^00:15:00$|^15 minutes$/ }).waitFor();
  await page.goto(`${base}/console/#/connectors`);
  await page.getByRole('button', { name: 'Disable connector stations' }).click();
  await page.getByRole('button', { name: 'Enable connector stations' }).waitFor();
  const card = page.locator('article', { has: page.getByRole('heading', { name: 'stations' }) });
  assert.equal(await card.locator('.state').innerText(), 'disabled');
  await shot(page, 'connectors');
  await page.goto(`${base}/console/#/connectors/stations`);
  // a disabled connector may still be test-fetched, with its rule's preview beside the document
  await page.getByRole('button', { name: 'Test fetch' }).click();
  await page.getByText(/^Test fetch: HTTP 200/).waitFor();
  await page.locator('table.preview caption').waitFor();
  assert.match(await page.locator('table.preview caption').innerText(), /^3 items → 3 targets of kind \S+, 3 observations, 3 positions, 0 errors$/);
  // but not run
  await page.getByRole('button', { name: 'Run now (stores the document)' }).click();
  const alert = page.locator('.pane [role="alert"]').first();
  await alert.waitFor();
  assert.match(await alert.innerText(), /connector "stations" is disabled[\s\S]*Hint: Enable it first/);
});

await check('listeners: subscriptions and fields, a token issued that signs in, then revoked and refused', async () => {
  await page.goto(`${base}/console/#/listeners`);
  const bob = page.locator('article', { has: page.getByRole('heading', { name: /^bob/ }) });
  await bob.waitFor();
  assert.match(await bob.locator('.subs').innerText(), /every bike: speed/);
  assert.match(await page.locator('article', { has: page.getByRole('heading', { name: /^alice/ }) }).locator('.subs').innerText(), /every bike: battery/);
  assert.equal(await bob.getByText('No token issued.').count(), 1);
  // a bad ttl: the database's message and hint
  await bob.getByLabel('Valid for').fill('-1 hour');
  await bob.getByRole('button', { name: 'Issue token' }).click();
  await bob.getByRole('alert').waitFor();
  assert.match(await bob.getByRole('alert').innerText(), /ttl must be a positive interval[\s\S]*Hint: /);
  await bob.getByLabel('Valid for').fill('2 hours');
  await bob.getByRole('button', { name: 'Issue token' }).click();
  const issued = page.getByLabel('New token for bob (shown once: copy it now)');
  await issued.waitFor();
  const jwt = await issued.inputValue();
  await page.getByText('Tokens (1 valid)').waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await page.evaluate(() => window.scrollTo(0, 0));
  const png = await shot(page, 'listeners');
  const bobBox = await bob.boundingBox();
  const green = await colourPixels(page, png, [218, 251, 225], { clip: { x: Math.round(bobBox.x), y: Math.round(bobBox.y), width: Math.round(bobBox.width), height: Math.round(bobBox.height) }, tol: 4 });
  assert.ok(green.n > 100, `bob's token is shown valid, in green (${green.n} pixels)`);
  const other = await browser.newPage({ width: 1280, height: 860 });
  await signIn(other, jwt);
  assert.equal(await other.locator('#who').innerText(), 'tmi_listener · bob');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Revoke every token of bob' }).click();
  await page.locator('article', { has: page.getByRole('heading', { name: /^bob/ }) }).getByText('revoked', { exact: true }).waitFor();
  // the gateway learns of the revocation by NOTIFY: a moment later at most
  const refused = other.getByRole('alert');
  for (let i = 0; i < 20 && !(await refused.isVisible()); i++) {
    await other.reload();
    await other.waitForTimeout(250);
  }
  assert.match(await refused.innerText(), /PGRST30\d|revoked/i);
  await other.close();
});

await check('target: its files, one downloaded through /files/<id> under its name', async () => {
  await page.goto(`${base}/console/#/target/bike/${bike}`);
  const files = page.locator('section[aria-labelledby="files-h"]');
  await files.getByRole('cell', { name: 'manual.txt', exact: true }).waitFor();
  assert.match(await files.locator('tbody tr').innerText(), /manual\.txt\s+1\s+text\/plain\s+\d+ bytes/);
  const [download] = await Promise.all([page.waitForEvent('download'),
    files.getByRole('button', { name: 'Download manual.txt version 1' }).click()]);
  assert.equal(download.suggestedFilename(), 'manual.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), process.env.TMIDB_MANUAL);
  assert.ok(page.url().endsWith(`#/target/bike/${bike}`), `the console stays on the target (${page.url()})`);
  await files.screenshot({ path: join(shots, 'target-files.png') });
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
