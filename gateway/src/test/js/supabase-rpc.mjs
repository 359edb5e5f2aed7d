// SPDX-License-Identifier: MIT
// Calls tmiDB's front door through @supabase/supabase-js .rpc(), unchanged, against a gateway over
// the API versions tmiDB generates. Environment: GATEWAY_URL, SPEAKER_TOKEN (tmi_speaker),
// LISTENER_TOKEN (tmi_listener for a listener subscribed to pm10 of air_sensor), SENSOR (target_id of AQ-1).
// Prints "raw_id=<n>" and "obs_id=<n>" for what it stored, so that the caller can check the database.
// Exits 0 when every check holds; prints each failed check and exits 1 otherwise.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';

const url = process.env.GATEWAY_URL;
const sensor = process.env.SENSOR;
const speaker = createClient(url, process.env.SPEAKER_TOKEN);
const listener = createClient(url, process.env.LISTENER_TOKEN);

const ok = ({ data, error, status }, expected = 200) => {
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(status, expected);
  return data;
};

const checks = {
  async ingest() {
    const rawId = ok(await speaker.rpc('ingest', { source: 'supabase-app', payload: { note: 'ok', n: [1, 2] } }));
    assert.equal(typeof rawId, 'number');
    console.log(`raw_id=${rawId}`);
    // a JSON string is a document too
    const text = ok(await speaker.rpc('ingest', { source: 'supabase-text', payload: 'on' }));
    console.log(`text_raw_id=${text}`);
  },
  async observe() {
    const obsId = ok(await speaker.rpc('observe', { target: sensor, ts: '2026-11-22T00:00:00Z', payload: { pm10: 9 }, lat: 37.57, lon: 126.98 }));
    assert.equal(typeof obsId, 'number');
    console.log(`obs_id=${obsId}`);
    const bad = await speaker.rpc('observe', { target: sensor, ts: '2026-11-22T01:00:00Z', payload: { pm10: 1 }, lat: 95, lon: 0 });
    assert.equal(bad.status, 400);
    assert.equal(bad.error.code, '22023');
    assert.ok(bad.error.hint, JSON.stringify(bad.error));
  },
  async near() {
    const rows = ok(await speaker.rpc('near', { lat: 37.56, lon: 126.97, radius_m: 2000 }));
    assert.deepEqual(rows.map((r) => r.name).sort(), ['Jung-gu', 'Mapo']);
    assert.ok(rows[0].distance_m <= rows[1].distance_m, JSON.stringify(rows));
    // the result is rows: filters and select apply, and GET works for a read
    const one = ok(await speaker.rpc('near', { lat: 37.56, lon: 126.97, radius_m: 2000 }, { get: true }).select('name').eq('name', 'Mapo'));
    assert.deepEqual(one, [{ name: 'Mapo' }]);
  },
  async targetId() {
    assert.equal(ok(await speaker.rpc('target_id', { kind: 'air_sensor', ext_key: 'AQ-1' }, { get: true })), sensor);
    const unknown = await speaker.rpc('target_id', { kind: 'air_sensor', ext_key: 'nope' }, { get: true });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.error.code, '42704');
  },
  async statusAsListener() {
    const rows = ok(await listener.rpc('status', undefined, { get: true }));
    assert.ok(rows.some((r) => r.subsystem === 'raw_bucket'), JSON.stringify(rows));
  },
  async series() {
    const args = { target: sensor, field: 'pm10', bucket: '1 hour', since: '2026-11-20T00:00:00Z', until: '2026-11-20T06:00:00Z' };
    const rows = ok(await listener.rpc('series', args, { get: true }));
    assert.equal(rows.length, 6);
    assert.deepEqual([rows[0].avg, rows[0].min, rows[0].max, rows[0].n], [2.5, 0, 5, 6]);
    const last = ok(await listener.rpc('series', args).order('ts', { ascending: false }).limit(1).single());
    assert.equal(last.max, 35);
    const hidden = await listener.rpc('series', { ...args, field: 'no2' }, { get: true });
    assert.equal(hidden.status, 400);
    assert.equal(hidden.error.code, '42704');
  },
  async refused() {
    const events = await speaker.rpc('events_since', { after_id: 0 });
    assert.equal(events.status, 403);
    assert.equal(events.error.code, '42501');
    const listenerIngest = await listener.rpc('ingest', { source: 'x', payload: {} });
    assert.equal(listenerIngest.status, 403);
    assert.equal(listenerIngest.error.code, '42501');
  },
};

let failed = 0;
for (const [name, check] of Object.entries(checks)) {
  try {
    await check();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${name}: ${e.stack}`);
  }
}
console.log(`supabase-js rpc checks: ${Object.keys(checks).length - failed} ok, ${failed} failing`);
process.exit(failed === 0 ? 0 : 1);
