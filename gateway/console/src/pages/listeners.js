// SPDX-License-Identifier: MIT
// Listeners (admins): each listener's subscriptions and the fields they open, and its tokens
// (GET /rpc/listeners); a token issued (POST /rpc/issue_token, shown once) or every token of a
// listener revoked (POST /rpc/revoke_tokens), which the gateway refuses from then on.
import { get, rpc } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';

/** A token's state at `now`: revoked, expired or valid. */
export function tokenState(t, now = Date.now()) {
  if (t.revoked_at) return ['revoked', 'attention'];
  if (Date.parse(t.expires_at) <= now) return ['expired', 'attention'];
  return ['valid', 'ok'];
}

function subscriptionList(subs) {
  if (!subs.length) return h('p', { class: 'muted' }, 'No subscription: it reads nothing.');
  return h('ul', { class: 'subs' }, ...subs.map((s) => h('li', {},
    s.target_id
      ? ['target ', h('a', { href: `#/target/${encodeURIComponent(s.kind)}/${s.target_id}` }, s.target || s.target_id), ` (${s.kind})`]
      : ['every ', h('strong', {}, s.kind)],
    ': ', s.fields ? s.fields.join(', ') : 'all fields')));
}

function tokenTable(tokens) {
  if (!tokens.length) return h('p', { class: 'muted' }, 'No token issued.');
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ...['Token id', 'Issued', 'Expires', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...tokens.map((t) => {
      const [state, tone] = tokenState(t);
      return h('tr', {}, h('td', { class: 'mono' }, t.token_id), h('td', {}, fmtTime(t.issued_at)), h('td', {}, fmtTime(t.expires_at)),
        h('td', {}, h('span', { class: `state state-${tone}` }, state), t.revoked_at ? ` ${fmtTime(t.revoked_at)}` : ''));
    }))));
}

export async function render(view) {
  view.append(h('h1', {}, 'Listeners'));
  const box = h('div', { class: 'grid2' });
  view.append(box);
  async function load() {
    let rows;
    try {
      rows = await get('/rpc/listeners');
    } catch (e) {
      box.replaceChildren(errorBox(e));
      return;
    }
    if (!rows.length) {
      box.replaceChildren(h('p', { class: 'muted' }, 'No listener yet (tmictl listener add NAME).'));
      return;
    }
    box.replaceChildren(...rows.map((l) => card(l)));
  }

  function card(l) {
    const id = `l-${l.listener_id}`;
    const ttl = h('input', { value: '8 hours', required: true, size: 10 });
    const out = h('div', { 'aria-live': 'polite' });
    const issue = h('form', { class: 'toolbar', 'aria-label': `Issue a token for ${l.name}` },
      field('Valid for', ttl), h('button', { type: 'submit' }, 'Issue token'));
    issue.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const jwt = await rpc('issue_token', { role: 'tmi_listener', subject: l.name, ttl: ttl.value.trim() });
        await load();
        // the new card: the token is shown there once, to be copied now
        const again = document.getElementById(id)?.closest('article').querySelector('.issued');
        const shown = h('textarea', { readonly: true, rows: 3, class: 'code', onfocus: (e) => e.target.select() }, jwt);
        again?.replaceChildren(field(`New token for ${l.name} (shown once: copy it now)`, shown));
      } catch (e) {
        out.replaceChildren(errorBox(e));
      }
    });
    const valid = l.tokens.filter((t) => tokenState(t)[0] === 'valid').length;
    const revoke = h('button', {
      type: 'button',
      class: 'danger',
      disabled: valid === 0,
      'aria-label': `Revoke every token of ${l.name}`,
      onclick: async () => {
        if (!window.confirm(`Revoke every token of ${l.name}? Clients using them are refused at once.`)) return;
        try {
          await rpc('revoke_tokens', { role: 'tmi_listener', subject: l.name });
          await load();
        } catch (e) {
          out.replaceChildren(errorBox(e));
        }
      },
    }, 'Revoke all tokens');
    return h('article', { class: 'card', 'aria-labelledby': id },
      h('h2', { id }, l.name, ' ', h('span', { class: 'muted small' }, `since ${fmtTime(l.created_at)}`)),
      h('h3', {}, 'Subscriptions'), subscriptionList(l.subscriptions),
      h('h3', {}, `Tokens (${valid} valid)`), tokenTable(l.tokens),
      h('div', { class: 'toolbar' }, issue, revoke), out, h('div', { class: 'issued' }));
  }

  await load();
  return null;
}
