// SPDX-License-Identifier: MIT
// Drives @supabase/postgrest-js (a client no one here wrote) against a running tmiDB gateway.
// Environment: GATEWAY_URL (e.g. http://127.0.0.1:3000), SPEAKER_TOKEN (a JWT with role tmi_speaker).
// Exits 0 when every check holds; prints each failed check and exits 1 otherwise.
import assert from 'node:assert/strict';
import { PostgrestClient } from '@supabase/postgrest-js';

const url = process.env.GATEWAY_URL;
const token = process.env.SPEAKER_TOKEN;
const client = new PostgrestClient(url, { headers: { Authorization: `Bearer ${token}` } });
const v1 = new PostgrestClient(url, { headers: { Authorization: `Bearer ${token}` }, schema: 'api_v1' });

const checks = {
  async select() {
    const { data, error, status } = await client.from('bike').select('name, battery').gte('battery', 50).order('battery', { ascending: false });
    assert.equal(error, null);
    assert.equal(status, 200);
    assert.deepEqual(data, [{ name: 'Bike 1', battery: 80 }, { name: 'Bike 3', battery: 55 }]);
  },
  async filters() {
    const names = async (q) => {
      const { data, error } = await q.order('name');
      assert.equal(error, null, JSON.stringify(error));
      return data.map((r) => r.name);
    };
    const bike = () => client.from('bike').select('name');
    assert.deepEqual(await names(bike().eq('model', 'cargo')), ['Bike 2']);
    assert.deepEqual(await names(bike().neq('model', 'cargo')), ['Bike 1', 'Bike 3']);
    assert.deepEqual(await names(bike().in('battery', [80, 20])), ['Bike 1', 'Bike 2']);
    assert.deepEqual(await names(bike().lt('battery', 30)), ['Bike 2']);
    assert.deepEqual(await names(bike().lte('battery', 55).gt('battery', 20)), ['Bike 3']);
    assert.deepEqual(await names(bike().like('model', 'ci%')), ['Bike 1']);
    assert.deepEqual(await names(bike().ilike('model', 'CI%')), ['Bike 1', 'Bike 3']);
    assert.deepEqual(await names(bike().is('in_service', null)), ['Bike 3']);
    assert.deepEqual(await names(bike().contains('tags', { color: 'red' })), ['Bike 1']);
    assert.deepEqual(await names(bike().or('battery.lt.30,model.eq.city')), ['Bike 1', 'Bike 2']);
    assert.deepEqual(await names(bike().not('model', 'eq', 'city')), ['Bike 2', 'Bike 3']);
    assert.deepEqual(await names(bike().eq('tags->>color', 'red')), ['Bike 1']);
  },
  async order() {
    const { data } = await client.from('bike').select('name').order('battery', { ascending: true });
    assert.deepEqual(data.map((r) => r.name), ['Bike 2', 'Bike 3', 'Bike 1']);
  },
  async range() {
    const { data, count, status, error } = await client.from('bike').select('name', { count: 'exact' }).order('name').range(1, 2);
    assert.equal(error, null);
    assert.equal(count, 3);
    assert.equal(status, 206);
    assert.deepEqual(data.map((r) => r.name), ['Bike 2', 'Bike 3']);
    const limited = await client.from('bike').select('name').order('name').limit(1);
    assert.deepEqual(limited.data, [{ name: 'Bike 1' }]);
  },
  async single() {
    const { data, error } = await client.from('bike').select('name, battery').eq('ext_key', 'B2').single();
    assert.equal(error, null);
    assert.deepEqual(data, { name: 'Bike 2', battery: 20 });
  },
  async insertWithRepresentation() {
    const { data, error, status } = await client.from('bike').insert({ name: 'Bike 7', ext_key: 'B7', battery: 70 }).select();
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 201);
    assert.equal(data.length, 1);
    assert.equal(data[0].name, 'Bike 7');
    assert.equal(data[0].battery, 70);
    assert.match(data[0].target_id, /^[0-9a-f-]{36}$/);
    const updated = await client.from('bike').update({ battery: 7 }).eq('ext_key', 'B7').select('battery');
    assert.deepEqual(updated.data, [{ battery: 7 }]);
    const removed = await client.from('bike').delete().eq('ext_key', 'B7');
    assert.equal(removed.error, null);
    assert.equal(removed.status, 204);
  },
  async rpc() {
    const rows = await client.rpc('low_battery', { threshold: 50 });
    assert.equal(rows.error, null, JSON.stringify(rows.error));
    assert.deepEqual(rows.data.map((r) => r.name), ['Bike 2']);
    const sum = await v1.rpc('add_numbers', { a: 2, b: 3 }, { get: true });
    assert.equal(sum.error, null, JSON.stringify(sum.error));
    assert.equal(sum.data, 5);
  },
  async versions() {
    const { data } = await v1.from('bike').select('*').limit(1);
    assert.equal('in_service' in data[0], false);
  },
  async errors() {
    const { data, error, status } = await client.from('bike').select('nope');
    assert.equal(data, null);
    assert.equal(status, 400);
    assert.equal(error.code, '42703');
    const missing = await client.from('no_such_kind').select('*');
    assert.equal(missing.status, 404);
    assert.equal(missing.error.code, 'PGRST205');
  },
  async upsert() {
    const first = await client.from('note').upsert({ id: 1, body: 'first' }).select();
    assert.equal(first.error, null, JSON.stringify(first.error));
    assert.equal(first.status, 201);
    const merged = await client.from('note').upsert([{ id: 1, body: 'merged' }, { id: 2, body: 'second' }]).select('id, body').order('id');
    assert.equal(merged.error, null, JSON.stringify(merged.error));
    assert.deepEqual(merged.data, [{ id: 1, body: 'merged' }, { id: 2, body: 'second' }]);
    const ignored = await client.from('note').upsert({ id: 1, body: 'ignored' }, { ignoreDuplicates: true }).select();
    assert.deepEqual(ignored.data, []);
    const coded = await client.from('note').upsert({ id: 2, code: 'c2', body: 'by code' }, { onConflict: 'id' });
    assert.equal(coded.error, null, JSON.stringify(coded.error));
    const byCode = await client.from('note').upsert({ id: 2, code: 'c2', body: 'on code' }, { onConflict: 'code' });
    assert.equal(byCode.error, null, JSON.stringify(byCode.error));
    const defaults = await client.from('note').upsert([{ id: 3, body: 'd' }, { id: 4, body: 'e', made_by: 'me' }], { defaultToNull: false });
    assert.equal(defaults.error, null, JSON.stringify(defaults.error));
    const rows = await client.from('note').select('id, body, made_by').lte('id', 4).order('id');
    assert.deepEqual(rows.data, [
      { id: 1, body: 'merged', made_by: 'gateway' }, { id: 2, body: 'on code', made_by: 'gateway' },
      { id: 3, body: 'd', made_by: 'gateway' }, { id: 4, body: 'e', made_by: 'me' }]);
  },
  async limitedDelete() {
    const added = await client.from('note').insert([{ id: 10, body: 'a', tag: 'lim' }, { id: 11, body: 'b', tag: 'lim' }, { id: 12, body: 'c', tag: 'lim' }]);
    assert.equal(added.error, null, JSON.stringify(added.error));
    const removed = await client.from('note').delete().eq('tag', 'lim').order('id', { ascending: false }).limit(1).select('id');
    assert.equal(removed.error, null, JSON.stringify(removed.error));
    assert.deepEqual(removed.data, [{ id: 12 }]);
    const left = await client.from('note').select('id').eq('tag', 'lim').order('id');
    assert.deepEqual(left.data, [{ id: 10 }, { id: 11 }]);
  },
  async maxAffected() {
    const refused = await client.from('note').update({ body: 'x' }).eq('tag', 'lim').maxAffected(1);
    assert.equal(refused.status, 400);
    assert.equal(refused.error.code, 'PGRST124');
    const unchanged = await client.from('note').select('body').eq('tag', 'lim').order('id');
    assert.deepEqual(unchanged.data, [{ body: 'a' }, { body: 'b' }]);
    const allowed = await client.from('note').update({ body: 'x' }).eq('tag', 'lim').maxAffected(2);
    assert.equal(allowed.error, null, JSON.stringify(allowed.error));
    assert.equal(allowed.status, 204);
  },
  async singleWriteRollsBack() {
    const refused = await client.from('note').update({ body: 'y' }).eq('tag', 'lim').select().single();
    assert.equal(refused.status, 406);
    assert.equal(refused.error.code, 'PGRST116');
    const unchanged = await client.from('note').select('body').eq('tag', 'lim');
    assert.deepEqual(unchanged.data, [{ body: 'x' }, { body: 'x' }]);
  },
  async countOnInsert() {
    const { error, status, count } = await client.from('note').insert([{ id: 20, body: 'c1' }, { id: 21, body: 'c2' }], { count: 'exact' });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 201);
    assert.equal(count, 2);
  },
  async stripNulls() {
    const { data, error } = await client.from('note').select('id, body, tag').eq('id', 20).stripNulls();
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(data, [{ id: 20, body: 'c1' }]);
  },
  async headRpc() {
    const { data, error, status, count } = await client.rpc('low_battery', { threshold: 50 }, { head: true, count: 'exact' });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(status, 200);
    assert.equal(count, 1);
    assert.equal(data, null);
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
console.log(`postgrest-js checks: ${Object.keys(checks).length - failed} ok, ${failed} failing`);
process.exit(failed === 0 ? 0 : 1);
