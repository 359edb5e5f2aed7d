// SPDX-License-Identifier: MIT
// Drives @supabase/supabase-js createClient(url, key), unchanged, against a running tmiDB gateway.
// Environment: GATEWAY_URL (e.g. http://127.0.0.1:3000), SPEAKER_TOKEN (role tmi_speaker), ANON_TOKEN (role tmi_anon).
// Exits 0 when every check holds; prints each failed check and exits 1 otherwise.
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';

const url = process.env.GATEWAY_URL;
const supabase = createClient(url, process.env.SPEAKER_TOKEN);
const anonymous = createClient(url, process.env.ANON_TOKEN);

const names = async (q) => {
  const { data, error } = await q.order('name');
  assert.equal(error, null, JSON.stringify(error));
  return data.map((r) => r.name);
};
const bike = () => supabase.from('bike').select('name');

const checks = {
  async select() {
    const { data, error, status } = await supabase.from('bike').select('name, battery').gte('battery', 50).order('battery', { ascending: false });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 200);
    assert.deepEqual(data, [{ name: 'Bike 1', battery: 80 }, { name: 'Bike 3', battery: 55 }]);
  },
  async count() {
    const { data, count, status, error } = await supabase.from('bike').select('name', { count: 'exact' }).order('name').range(0, 1);
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(count, 3);
    assert.equal(status, 206);
    assert.deepEqual(data.map((r) => r.name), ['Bike 1', 'Bike 2']);
  },
  async fullText() {
    assert.deepEqual(await names(bike().textSearch('model', 'bike')), ['Bike 1', 'Bike 2', 'Bike 3']);
    assert.deepEqual(await names(bike().textSearch('model', 'fast bikes', { config: 'english', type: 'plain' })), ['Bike 1']);
    assert.deepEqual(await names(bike().textSearch('model', 'city bikes', { type: 'phrase' })), ['Bike 1']);
    assert.deepEqual(await names(bike().textSearch('model', '"cargo bike" or fast', { config: 'english', type: 'websearch' })), ['Bike 1', 'Bike 2']);
  },
  async patterns() {
    assert.deepEqual(await names(bike().regexMatch('model', '^ca')), ['Bike 2']);
    assert.deepEqual(await names(bike().regexIMatch('model', '^C')), ['Bike 2', 'Bike 3']);
    assert.deepEqual(await names(bike().likeAnyOf('model', ['fast%', 'cargo%'])), ['Bike 1', 'Bike 2']);
    assert.deepEqual(await names(bike().likeAllOf('model', ['%bike%', 'cargo%'])), ['Bike 2']);
    assert.deepEqual(await names(bike().ilikeAnyOf('model', ['c:%'])), ['Bike 3']);
  },
  async distinctAndLists() {
    assert.deepEqual(await names(bike().isDistinct('in_service', true)), ['Bike 2', 'Bike 3']);
    assert.deepEqual(await names(bike().in('model', ['C:\\bikes\\city', 'x,y', 'fast city bikes'])), ['Bike 1', 'Bike 3']);
    assert.deepEqual(await names(bike().notIn('battery', [80, 20])), ['Bike 3']);
    assert.deepEqual(await names(bike().or('model.imatch.^fast,battery.eq.20')), ['Bike 1', 'Bike 2']);
  },
  async versions() {
    // api_v1 alone has bike_obs and add_numbers: served without naming the schema
    const obs = await supabase.from('bike_obs').select('*');
    assert.equal(obs.error, null, JSON.stringify(obs.error));
    assert.equal(obs.status, 200);
    const sum = await supabase.rpc('add_numbers', { a: 2, b: 3 }, { get: true });
    assert.equal(sum.error, null, JSON.stringify(sum.error));
    assert.equal(sum.data, 5);
    const v1 = await supabase.schema('api_v1').from('bike').select('*').limit(1);
    assert.equal(v1.error, null, JSON.stringify(v1.error));
    assert.equal('in_service' in v1.data[0], false);
    const unknown = await supabase.schema('api_v9').from('bike').select('*');
    assert.equal(unknown.status, 406);
    assert.equal(unknown.error.code, 'PGRST106');
  },
  async rpc() {
    const { data, error } = await supabase.rpc('low_battery', { threshold: 50 });
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(data.map((r) => r.name), ['Bike 2']);
  },
  async writes() {
    const added = await supabase.from('note').insert({ id: 1, body: 'café ✓' }).select('id, body');
    assert.equal(added.error, null, JSON.stringify(added.error));
    assert.equal(added.status, 201);
    assert.deepEqual(added.data, [{ id: 1, body: 'café ✓' }]);
    const upserted = await supabase.from('note').upsert([{ id: 1, body: 'merged' }, { id: 2, body: 'new' }], { count: 'exact' });
    assert.equal(upserted.error, null, JSON.stringify(upserted.error));
    assert.equal(upserted.count, 2);
    const updated = await supabase.from('note').update({ tag: 't' }).eq('id', 2).select('id, tag');
    assert.deepEqual(updated.data, [{ id: 2, tag: 't' }]);
    const removed = await supabase.from('note').delete().eq('id', 2);
    assert.equal(removed.error, null, JSON.stringify(removed.error));
    assert.equal(removed.status, 204);
    const left = await supabase.from('note').select('id, body').order('id');
    assert.deepEqual(left.data, [{ id: 1, body: 'merged' }]);
  },
  async errors() {
    const bad = await supabase.from('bike').select('nope');
    assert.equal(bad.status, 400);
    assert.equal(bad.error.code, '42703');
    assert.ok('hint' in bad.error && 'details' in bad.error, JSON.stringify(bad.error));
    const duplicate = await supabase.from('note').insert({ id: 1, body: 'again' });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.error.code, '23505');
    const unchanged = await supabase.from('note').select('body').eq('id', 1).single();
    assert.equal(unchanged.data.body, 'merged');
  },
  async anonymousKey() {
    const { data, error, status } = await anonymous.from('bike').select('*');
    assert.equal(data, null);
    assert.equal(status, 403, 'a key is a token: 403, as PostgREST answers 42501 with a JWT');
    assert.equal(error.code, '42501');
  },
  async openApi() {
    const mine = await supabase.getOpenApiSpec();
    assert.equal(mine.error, null, JSON.stringify(mine.error));
    assert.ok('/bike' in mine.data.paths, Object.keys(mine.data.paths).join(' '));
    const theirs = await anonymous.getOpenApiSpec();
    assert.equal(theirs.error, null, JSON.stringify(theirs.error));
    assert.equal('/bike' in theirs.data.paths, false, Object.keys(theirs.data.paths).join(' '));
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
console.log(`supabase-js checks: ${Object.keys(checks).length - failed} ok, ${failed} failing`);
process.exit(failed === 0 ? 0 : 1);
