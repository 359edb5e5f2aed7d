// SPDX-License-Identifier: MIT
// Connectors: each one's schedule and run state (last attempt, HTTP status, last error, failures in a
// row and the backoff they cause) from GET /rpc/connectors, secrets masked by the database. Admins
// add, change and disable them (/rpc/add_connector, /rpc/set_connector), and on a connector's own
// page test-fetch it, which writes nothing, and see the document beside what its rule makes of it
// (/rpc/test_connector), run it for real (/rpc/run_connector, /rpc/source_documents), preview a
// rule (/rpc/mapping_preview), see the normalizer's suggested rule (/rpc/suggest_mapping,
// tmi.connectors.suggestion) and apply a rule (/rpc/add_mapping).
import { get, rpc, url } from '../api.js';
import { errorBox, field, fmtTime, h } from '../dom.js';

const FORMATS = ['json', 'csv', 'html', 'text'];
const MODES = ['manual', 'suggest', 'auto'];
/** How long "Run now" waits for tmidb-worker's run. */
const RUN_WAIT_MS = 30000;

/** A connector's state in words: disabled, failing (and since how many runs), ok, or not run yet. */
export function connectorState(c) {
  if (!c.enabled) return ['disabled', 'attention'];
  if (c.consecutive_failures > 0) return [`failing (${c.consecutive_failures} in a row)`, 'attention'];
  return c.last_attempt ? ['ok', 'ok'] : ['not run yet', 'ok'];
}

/** The JSON of a textarea, or an error naming the field. */
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw Object.assign(new Error(`${what} is not valid JSON: ${e.message}`), { hint: `Write ${what} as a JSON object.` });
  }
}

function stateTable(c) {
  const [state, tone] = connectorState(c);
  return [
    h('p', {}, h('span', { class: `state state-${tone}` }, state)),
    h('dl', { class: 'attrs' },
      ...[['URL', c.url], ['Format', c.format], ['Every', c.every], ['Options', JSON.stringify(c.options)],
        ['Mapping', c.mapping], ['Last attempt', fmtTime(c.last_attempt)], ['Last HTTP status', c.last_status],
        ['Last success', fmtTime(c.last_success)], ['Next run', fmtTime(c.next_run)]]
        .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]).flat()),
    c.last_error ? h('div', { class: 'error' }, h('strong', {}, 'Last error: '), c.last_error) : null,
  ].filter(Boolean);
}

/** The form that adds a connector; `done(name)` once it is added. */
function addForm(done) {
  const name = h('input', { required: true, autocomplete: 'off' });
  const address = h('input', { type: 'url', required: true, placeholder: 'https://example.org/data.json', size: 40 });
  const every = h('input', { value: '5 minutes', required: true });
  const format = h('select', {}, ...FORMATS.map((f) => h('option', { value: f }, f)));
  const mode = h('select', {}, ...MODES.map((m) => h('option', { value: m, selected: m === 'suggest' }, m)));
  const options = h('textarea', { rows: 2, placeholder: '{"headers": {"Accept": "application/json"}}', spellcheck: 'false' });
  const problem = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'stack', 'aria-label': 'Add a connector' },
    h('div', { class: 'toolbar' }, field('Name', name), field('URL', address), field('Every', every), field('Format', format),
      field('Mapping', mode)),
    field('Options (JSON, optional)', options),
    problem,
    h('div', {}, h('button', { type: 'submit' }, 'Add connector')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problem.replaceChildren();
    try {
      const args = { name: name.value.trim(), url: address.value.trim(), every: every.value.trim(), format: format.value, mapping: mode.value };
      if (options.value.trim()) args.options = parseJson(options.value, 'Options');
      await rpc('add_connector', args);
      done(args.name);
    } catch (e) {
      problem.replaceChildren(errorBox(e));
    }
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Add a connector'), form);
}

export async function render(view, { catalog, args }) {
  const admin = catalog.functions.includes('set_connector');
  if (args[0]) return renderOne(view, args[0], admin);
  view.append(h('h1', {}, 'Connectors'));
  if (catalog.functions.includes('add_connector')) {
    view.append(addForm((name) => { location.hash = `#/connectors/${encodeURIComponent(name)}`; }));
  }
  let rows;
  try {
    rows = await get('/rpc/connectors?order=name');
  } catch (e) {
    view.append(errorBox(e));
    return null;
  }
  if (!rows.length) {
    view.append(h('p', { class: 'muted' }, 'No connector yet.'));
    return null;
  }
  const cards = rows.map((c) => {
    const problem = h('div');
    const toggle = admin ? h('button', {
      type: 'button',
      class: 'secondary',
      'aria-label': `${c.enabled ? 'Disable' : 'Enable'} connector ${c.name}`,
      onclick: async () => {
        toggle.disabled = true;
        try {
          await rpc('set_connector', { name: c.name, enabled: !c.enabled });
          window.dispatchEvent(new HashChangeEvent('hashchange'));
        } catch (e) {
          toggle.disabled = false;
          problem.replaceChildren(errorBox(e));
        }
      },
    }, c.enabled ? 'Disable' : 'Enable') : null;
    return h('article', { class: 'card', 'aria-labelledby': `c-${c.connector_id}` },
      h('h2', { id: `c-${c.connector_id}` }, h('a', { href: `#/connectors/${encodeURIComponent(c.name)}` }, c.name)),
      ...stateTable(c),
      h('div', { class: 'toolbar' }, toggle, problem));
  });
  view.append(h('div', { class: 'grid2' }, ...cards));
  return null;
}

/** One connector: its state, the edit form, and the test fetch beside the mapping preview. */
async function renderOne(view, name, admin) {
  let disposed = false;
  const stateBox = h('div');
  view.append(h('p', {}, h('a', { href: '#/connectors' }, '← Connectors')), h('h1', {}, `Connector ${name}`), stateBox);
  async function connector() {
    const c = (await get(url('/rpc/connectors', { name: `eq.${name}` })))[0];
    if (!c) throw Object.assign(new Error(`connector "${name}" does not exist`), { hint: 'See the list of connectors.' });
    return c;
  }
  let c;
  try {
    c = await connector();
  } catch (e) {
    view.append(errorBox(e));
    return null;
  }
  stateBox.replaceChildren(...stateTable(c));
  if (!admin) return null;

  // edit: only what changed is sent; options are shown masked, so they are replaced only when given
  const address = h('input', { type: 'url', value: c.url, required: true, size: 40 });
  const every = h('input', { value: c.every, required: true });
  const format = h('select', {}, ...FORMATS.map((f) => h('option', { value: f, selected: f === c.format }, f)));
  const options = h('textarea', { rows: 2, placeholder: 'unchanged (stored options are masked)', spellcheck: 'false' });
  const enabled = h('input', { type: 'checkbox', checked: c.enabled });
  const editProblem = h('div', { 'aria-live': 'assertive' });
  const edit = h('form', { class: 'card stack', 'aria-labelledby': 'edit-h' },
    h('h2', { id: 'edit-h' }, 'Settings'),
    h('div', { class: 'toolbar' }, field('URL', address), field('Every', every), field('Format', format),
      h('div', { class: 'field check' }, enabled, h('label', { for: (enabled.id = 'c-enabled') }, 'Enabled'))),
    field('New options (JSON)', options),
    editProblem,
    h('div', {}, h('button', { type: 'submit' }, 'Save')));
  edit.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    editProblem.replaceChildren();
    try {
      const args = { name };
      if (address.value.trim() !== c.url) args.url = address.value.trim();
      if (every.value.trim() !== c.every) args.every = every.value.trim();
      if (format.value !== c.format) args.format = format.value;
      if (enabled.checked !== c.enabled) args.enabled = enabled.checked;
      if (options.value.trim()) args.options = parseJson(options.value, 'New options');
      await rpc('set_connector', args);
      c = await connector();
      stateBox.replaceChildren(...stateTable(c));
      options.value = '';
      editProblem.replaceChildren(h('p', { class: 'ok-note', role: 'status' }, 'Saved; the connector runs at once.'));
    } catch (e) {
      editProblem.replaceChildren(errorBox(e));
    }
  });

  // the fetched document beside the rule and its preview
  const docMeta = h('p', { class: 'muted', 'aria-live': 'polite' });
  const docView = h('pre', { class: 'doc', tabindex: 0, 'aria-label': 'Fetched document' });
  const rule = h('textarea', { rows: 14, class: 'code', spellcheck: 'false' });
  const ruleNote = h('div', { 'aria-live': 'polite' });
  const previewBox = h('div', { 'aria-live': 'polite' });
  let documentPayload = null;

  async function showDocument() {
    const [d] = await get(url('/rpc/source_documents', { source: name, max_documents: 1 }));
    if (!d) {
      docMeta.textContent = 'No document stored yet: test-fetch the connector.';
      docView.textContent = '';
      documentPayload = null;
      return;
    }
    documentPayload = d.payload;
    docMeta.textContent = `Document ${d.raw_id}, stored ${fmtTime(d.ts)}${d.http_status ? `, HTTP ${d.http_status}` : ''}, ${d.status}`;
    docView.textContent = JSON.stringify(d.payload, null, 2);
  }

  // fetched by tmidb-worker as a scheduled run would, but nothing is stored and the run state stays
  const testButton = h('button', { type: 'button' }, 'Test fetch');
  testButton.addEventListener('click', async () => {
    testButton.disabled = true;
    docMeta.replaceChildren('Fetching…');
    try {
      const t = await rpc('test_connector', { name });
      if (t.error) {
        docMeta.replaceChildren(errorBox({ message: `The test fetch failed: ${t.error}`, hint: 'Nothing was stored; fix the URL or options and test again.' }));
        return;
      }
      documentPayload = t.document;
      docMeta.textContent = `Test fetch: HTTP ${t.http_status}${t.content_type ? `, ${t.content_type}` : ''}, read as ${t.format}; nothing was stored.`;
      docView.textContent = JSON.stringify(t.document, null, 2);
      if (t.preview) {
        previewBox.replaceChildren(h('p', { class: 'muted' }, 'What the connector\'s rule makes of this document:'), previewTable(t.preview));
      } else if (t.preview_error) {
        previewBox.replaceChildren(errorBox({ message: `The connector's rule fails on this document: ${t.preview_error}`, hint: 'Change the rule and preview it.' }));
      } else if (!t.has_rule) {
        previewBox.replaceChildren(h('p', { class: 'muted' }, 'The connector has no rule yet: write or suggest one, then preview it.'));
      }
    } catch (e) {
      docMeta.replaceChildren(errorBox(e));
    } finally {
      testButton.disabled = false;
    }
  });

  // a real run: the document is stored and mapped, and the run state updated
  const runButton = h('button', { type: 'button', class: 'secondary' }, 'Run now (stores the document)');
  runButton.addEventListener('click', async () => {
    runButton.disabled = true;
    docMeta.replaceChildren('Running…');
    try {
      const before = c;
      let asked = Date.parse(await rpc('run_connector', { name }));
      const until = Date.now() + RUN_WAIT_MS;
      // the worker records each run on the connector: wait for one that ended after the request
      while (!disposed) {
        await new Promise((r) => { setTimeout(r, 500); });
        c = await connector();
        if (c.last_success && Date.parse(c.last_success) >= asked) break;
        if (c.consecutive_failures > before.consecutive_failures) break;
        if (Date.now() > until) throw Object.assign(new Error('tmidb-worker did not run the connector within 30 seconds'), { hint: 'Check that tmidb-worker runs (tmictl status).' });
        // a run under way when asked ends by setting the next one after its interval: ask again
        if (!(Date.parse(c.last_attempt) >= asked) && Date.parse(c.next_run) > asked + 2000) {
          asked = Date.parse(await rpc('run_connector', { name }));
        }
      }
      stateBox.replaceChildren(...stateTable(c));
      await showDocument();
      if (c.consecutive_failures > 0) {
        docMeta.prepend(errorBox({ message: `The fetch failed: ${c.last_error}`, hint: 'The newest stored document, if any, is shown.' }));
      }
    } catch (e) {
      docMeta.replaceChildren(errorBox(e));
    } finally {
      runButton.disabled = false;
    }
  });

  const previewButton = h('button', { type: 'button' }, 'Preview');
  previewButton.addEventListener('click', async () => {
    previewBox.replaceChildren(h('p', { class: 'muted' }, 'Asking tmidb-worker…'));
    try {
      if (!documentPayload) throw Object.assign(new Error('no document to preview'), { hint: 'Test-fetch the connector first.' });
      previewBox.replaceChildren(previewTable(await rpc('mapping_preview', { rule: parseJson(rule.value, 'The rule'), payload: documentPayload })));
    } catch (e) {
      previewBox.replaceChildren(errorBox(e));
    }
  });
  const suggestButton = h('button', { type: 'button', class: 'secondary' }, 'Suggest a rule');
  suggestButton.addEventListener('click', async () => {
    ruleNote.replaceChildren(h('p', { class: 'muted' }, 'Asking the normalizer…'));
    try {
      useSuggestion(await rpc('suggest_mapping', { source: name }), 'suggested now from the newest documents');
    } catch (e) {
      ruleNote.replaceChildren(errorBox(e));
    }
  });
  const applyButton = h('button', { type: 'button' }, 'Apply rule');
  applyButton.addEventListener('click', async () => {
    try {
      await rpc('add_mapping', { source: name, rule: parseJson(rule.value, 'The rule') });
      ruleNote.replaceChildren(h('p', { class: 'ok-note', role: 'status' }, `Rule applied: new documents of ${name} are mapped with it.`));
    } catch (e) {
      ruleNote.replaceChildren(errorBox(e));
    }
  });

  function useSuggestion(s, origin) {
    rule.value = JSON.stringify(s.rule, null, 2);
    const weak = (s.elements || []).filter((e) => e.required && e.confidence < 0.8);
    ruleNote.replaceChildren(h('div', { class: 'suggestion', role: 'status' },
      h('p', {}, h('strong', {}, 'Suggested rule'), ` (${origin}): `, s.applicable ? 'confident enough to apply' : `not applied by itself: ${s.verdict}`),
      weak.length ? h('ul', {}, ...weak.map((e) => h('li', {}, `${e.element} ${e.confidence}: ${e.reason}`))) : null,
      ...(s.notes || []).map((n) => h('p', { class: 'muted' }, n))));
  }

  const stored = c.suggestion ? h('div', { class: 'card' },
    h('p', {}, h('strong', {}, 'The normalizer suggested a rule'), c.suggestion_note ? `: ${c.suggestion_note}` : ''),
    h('button', { type: 'button', class: 'secondary', onclick: () => useSuggestion(c.suggestion, 'stored with the connector') }, 'Use the suggestion'))
    : null;

  view.append(edit,
    h('section', { 'aria-labelledby': 'mapping-h' },
      h('h2', { id: 'mapping-h' }, 'Fetched document and mapping'),
      stored,
      h('div', { class: 'side' },
        h('div', { class: 'pane' }, h('h3', {}, 'Document'), h('div', { class: 'toolbar' }, testButton, runButton), docMeta, docView),
        h('div', { class: 'pane' }, h('h3', {}, 'Rule'),
          h('div', { class: 'toolbar' }, previewButton, suggestButton, applyButton),
          field('Mapping rule (JSON)', rule), ruleNote, previewBox))));

  try {
    const [current] = await get(url('/rpc/mapping_rule', { source: name }));
    if (current) {
      rule.value = JSON.stringify(current.rule, null, 2);
      ruleNote.replaceChildren(h('p', { class: 'muted' }, `The rule in use since ${fmtTime(current.updated_at)}.`));
    } else if (c.suggestion) {
      useSuggestion(c.suggestion, 'stored with the connector');
    }
    await showDocument();
  } catch (e) {
    ruleNote.replaceChildren(errorBox(e));
  }
  return { dispose() { disposed = true; } };
}

/** What a rule makes of a document (tmi.mapping_preview): one row per target with its reading. */
export function previewTable(p) {
  const obs = new Map((p.observations || []).map((o) => [o.ext_key, o]));
  const pos = new Map((p.positions || []).map((o) => [o.ext_key, o]));
  return h('div', { class: 'scroll' },
    h('table', { class: 'preview' },
      h('caption', { class: 'muted' }, `${p.items} items → ${p.targets.length} targets of kind ${p.kind}, ${p.observations.length} observations, ${p.positions.length} positions, ${p.errors.length} errors`),
      h('thead', {}, h('tr', {}, ...['Key', 'Name', 'Time', 'Reading', 'Position'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...p.targets.map((t) => {
        const o = obs.get(t.ext_key);
        const q = pos.get(t.ext_key);
        return h('tr', {}, h('td', {}, t.ext_key), h('td', {}, t.name ?? ''), h('td', {}, o ? fmtTime(o.ts) : ''),
          h('td', {}, o ? JSON.stringify(o.payload) : ''), h('td', {}, q ? `${q.lat}, ${q.lon}` : ''));
      }))),
    p.errors.length ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Item errors'),
      h('ul', {}, ...p.errors.slice(0, 20).map((e) => h('li', {}, typeof e === 'string' ? e : JSON.stringify(e))))) : null);
}
