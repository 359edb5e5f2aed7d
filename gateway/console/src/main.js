// SPDX-License-Identifier: MIT
// The console's shell: sign-in with a token, the navigation, and a hash router over the pages.
import './style.css';
import { catalog, claims, get, setToken, token } from './api.js';
import { errorBox, field, h } from './dom.js';

const pages = {
  overview: () => import('./pages/overview.js'),
  targets: () => import('./pages/targets.js'),
  target: () => import('./pages/target.js'),
  map: () => import('./pages/map.js'),
  connectors: () => import('./pages/connectors.js'),
  alarms: () => import('./pages/alarms.js'),
  versions: () => import('./pages/versions.js'),
  listeners: () => import('./pages/listeners.js'),
};
/** Pages offered only to tokens that may call their function (the OpenAPI document lists it). */
const GATED = { connectors: 'connectors', alarms: 'alarms', versions: 'schema_history', listeners: 'listeners' };

const main = document.getElementById('main');
let current = null;
let cat = null;
let shown = 0;

function signIn(error) {
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('textarea', { rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'Paste a token: ', h('code', {}, 'tmictl token issue tmi_admin console'),
      ' (or tmi_speaker, or a listener\'s token). The console reads exactly what the token may read.'),
    field('Token', input),
    error ? errorBox(error) : null,
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const jwt = input.value.trim();
    try {
      // the OpenAPI document for the token's role: a token the gateway refuses answers 401 with its reason
      await get('/', { jwt });
      setToken(jwt);
      cat = null;
      route();
    } catch (e) {
      signIn(e);
    }
  });
  main.replaceChildren(form);
  input.focus();
}

async function route() {
  if (!token()) {
    signIn();
    return;
  }
  const c = claims();
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  document.getElementById('who').textContent = `${c?.role || 'unknown role'}${c?.listener ? ` · ${c.listener}` : c?.sub ? ` · ${c.sub}` : ''}`;
  const [name, ...args] = (location.hash.replace(/^#\/?/, '') || 'overview').split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('#nav a')) {
    a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${name === 'target' ? 'targets' : name}`);
  }
  const seq = ++shown;
  if (current?.dispose) current.dispose();
  current = null;
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    // the page's code and the catalog (the OpenAPI document) are fetched at once, not one after the other
    const [loaded, page] = await Promise.all([cat ?? catalog(), (pages[name] || pages.overview)()]);
    cat = loaded;
    // pages whose functions the token may not call are not offered
    for (const [gated, fn] of Object.entries(GATED)) {
      document.querySelector(`#nav a[href="#/${gated}"]`).hidden = !cat.functions.includes(fn);
    }
    if (seq !== shown) return;
    const view = h('section', { class: `page page-${name}` });
    main.replaceChildren(view);
    const rendered = (await page.render(view, { catalog: cat, args })) || null;
    // another page was asked for while this one loaded: it replaced this one
    if (seq !== shown) rendered?.dispose?.();
    else current = rendered;
  } catch (e) {
    if (e.status === 401) {
      setToken(null);
      signIn(e);
    } else {
      main.replaceChildren(errorBox(e));
    }
  }
}

document.getElementById('signout').addEventListener('click', () => {
  setToken(null);
  location.hash = '';
  route();
});
window.addEventListener('hashchange', route);
route();
