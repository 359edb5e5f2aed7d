// SPDX-License-Identifier: MIT
// Connectors: each one's schedule and run state (last attempt, HTTP status, last error, failures in a
// row and the backoff they cause) from GET /rpc/connectors, secrets masked by the database.
import { get } from '../api.js';
import { errorBox, fmtTime, h } from '../dom.js';

/** A connector's state in words: disabled, failing (and since how many runs), ok, or not run yet. */
export function connectorState(c) {
  if (!c.enabled) return ['disabled', 'attention'];
  if (c.consecutive_failures > 0) return [`failing (${c.consecutive_failures} in a row)`, 'attention'];
  return c.last_attempt ? ['ok', 'ok'] : ['not run yet', 'ok'];
}

export async function render(view) {
  view.append(h('h1', {}, 'Connectors'));
  let rows;
  try {
    rows = await get('/rpc/connectors?order=name');
  } catch (e) {
    view.append(errorBox(e));
    return null;
  }
  if (!rows.length) {
    view.append(h('p', { class: 'muted' }, 'No connector. Add one with tmictl connector add or tmi.add_connector.'));
    return null;
  }
  const cards = rows.map((c) => {
    const [state, tone] = connectorState(c);
    return h('article', { class: 'card', 'aria-labelledby': `c-${c.connector_id}` },
      h('h2', { id: `c-${c.connector_id}` }, c.name, ' ', h('span', { class: `state state-${tone}` }, state)),
      h('dl', { class: 'attrs' },
        ...[['URL', c.url], ['Format', c.format], ['Every', c.every], ['Options', JSON.stringify(c.options)],
          ['Last attempt', fmtTime(c.last_attempt)], ['Last HTTP status', c.last_status],
          ['Last success', fmtTime(c.last_success)], ['Next run', fmtTime(c.next_run)]]
          .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]).flat()),
      c.last_error ? h('div', { class: 'error' }, h('strong', {}, 'Last error: '), c.last_error) : null);
  });
  view.append(h('div', { class: 'grid2' }, ...cards));
  return null;
}
