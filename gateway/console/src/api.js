// SPDX-License-Identifier: MIT
// The gateway's public REST API with the signed-in token: the console uses nothing else, so it
// shows exactly what the token may read.

const TOKEN_KEY = 'tmidb.console.token';

/** An error answered by the gateway, with the database's message, details and hint. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.details = body?.details;
    this.hint = body?.hint;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(jwt) {
  if (jwt) sessionStorage.setItem(TOKEN_KEY, jwt);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims as the gateway will read them (the gateway, not the console, checks the signature). */
export function claims(jwt = token()) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}

/** GET/POST a path of the API; answers {data, headers}. Errors throw ApiError; `signal` aborts. */
export async function request(path, { method = 'GET', body, headers = {}, jwt = token(), signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (jwt) h.Authorization = `Bearer ${jwt}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = method === 'HEAD' ? '' : await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, headers: res.headers };
}

export async function get(path, opts) {
  return (await request(path, opts)).data;
}

/** POST /rpc/<fn> with named arguments; answers what the function returns. */
export async function rpc(fn, args) {
  return (await request(`/rpc/${fn}`, { method: 'POST', body: args })).data;
}

/** The row count of a resource with filters (Prefer: count=exact, Content-Range "0-9/120"). */
export async function count(path) {
  const { headers } = await request(path, { method: 'HEAD', headers: { Prefer: 'count=exact', Range: '0-0' } });
  const total = (headers.get('Content-Range') || '').split('/')[1];
  return total === undefined || total === '*' ? null : Number(total);
}

/** The URL of a resource or function with query parameters. */
export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.append(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * What the token may read, from the OpenAPI document the gateway makes for its role: the kinds
 * (a kind has /<kind>, /<kind>_obs and /<kind>_latest), each with its served schema version and its
 * attributes and numeric observation fields; and the functions it may call.
 */
export async function catalog() {
  const doc = await get('/');
  const paths = doc.paths || {};
  const schemas = doc.components?.schemas || {};
  const columns = (path) => {
    const ref = paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema?.items?.$ref;
    return ref ? schemas[ref.split('/').pop()]?.properties || {} : {};
  };
  const kinds = [];
  for (const p of Object.keys(paths)) {
    const m = /^\/(.+)_obs$/.exec(p);
    if (!m || !paths[`/${m[1]}`] || !paths[`/${m[1]}_latest`]) continue;
    const kind = m[1];
    const profile = paths[p].get?.parameters?.find((x) => x.in === 'header')?.schema;
    const obs = columns(p);
    kinds.push({
      kind,
      version: profile?.default || null,
      versions: profile?.enum || [],
      attributes: Object.keys(columns(`/${kind}`)).filter((c) => !['target_id', 'name', 'ext_key', 'created_at', 'updated_at'].includes(c)),
      fields: Object.entries(obs)
        .filter(([c, s]) => s.type === 'number' && !['lat', 'lon'].includes(c))
        .map(([c]) => c),
    });
  }
  kinds.sort((a, b) => a.kind.localeCompare(b.kind));
  const functions = Object.keys(paths).filter((p) => p.startsWith('/rpc/')).map((p) => p.slice(5));
  return { kinds, functions };
}
