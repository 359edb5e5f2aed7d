// SPDX-License-Identifier: MIT
// Alarms: the open alarms of what the token sees (GET /rpc/alarms), acknowledged with
// POST /rpc/ack_alarm where the token may, and their history (cleared ones too).
import { get, request, url } from '../api.js';
import { errorBox, fmtTime, h } from '../dom.js';

/** A table of alarms; `ack` (when given) acknowledges one and answers once it is done. */
export function alarmTable(rows, { ack, caption }) {
  const body = h('tbody');
  for (const a of rows) {
    const cell = h('td');
    if (ack && a.state === 'active') {
      const problem = h('div');
      const button = h('button', {
        type: 'button',
        'aria-label': `Acknowledge alarm ${a.alarm_id} of ${a.name || a.ext_key}`,
        onclick: async () => {
          button.disabled = true;
          try {
            await ack(a);
          } catch (e) {
            button.disabled = false;
            problem.replaceChildren(errorBox(e));
          }
        },
      }, 'Acknowledge');
      cell.append(button, problem);
    }
    body.append(h('tr', {},
      h('td', {}, h('a', { href: `#/target/${encodeURIComponent(a.kind)}/${a.target_id}` }, a.name || a.ext_key || a.target_id)),
      h('td', {}, `${a.field} ${a.op} ${a.threshold}`),
      h('td', {}, h('span', { class: `sev sev-${a.severity}` }, a.severity)),
      h('td', {}, h('span', { class: `state state-${a.state === 'active' ? 'attention' : 'ok'}` }, a.state)),
      h('td', { class: 'num' }, a.value ?? '—'),
      h('td', {}, fmtTime(a.raised_at)),
      h('td', {}, fmtTime(a.acked_at || a.cleared_at)),
      cell));
  }
  const head = ['Target', 'Condition', 'Severity', 'State', 'Value', 'Raised', 'Acknowledged / cleared', ''];
  return h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'muted' }, caption),
    h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { scope: 'col', class: i === 4 ? 'num' : null }, t)))),
    body));
}

export async function render(view, { catalog, args }) {
  const history = args[0] === 'history';
  const canAck = catalog.functions.includes('ack_alarm');
  const box = h('div');
  view.append(h('h1', {}, 'Alarms'),
    h('p', {}, history
      ? h('a', { href: '#/alarms' }, 'Show open alarms only')
      : h('a', { href: '#/alarms/history' }, 'Show the history (cleared alarms too)')),
    box);
  async function load() {
    try {
      const rows = await get(url('/rpc/alarms', { history, limit: 500 }));
      box.replaceChildren(rows.length
        ? alarmTable(rows, {
          caption: `${rows.length} ${history ? 'alarms, newest first' : 'open alarms, newest first'}`,
          ack: canAck ? async (a) => { await request('/rpc/ack_alarm', { method: 'POST', body: { alarm_id: a.alarm_id } }); await load(); } : null,
        })
        : h('p', { class: 'muted' }, history ? 'No alarm yet.' : 'No open alarm.'));
    } catch (e) {
      box.replaceChildren(errorBox(e));
    }
  }
  await load();
  return null;
}
