// SPDX-License-Identifier: MIT
// A target's files (tmi.file_attachment as the token may read it) and their download: GET
// /files/<id> answers a presigned URL of the object store (docs/files.md), which the browser then
// fetches itself, so the bytes never pass through the console.
import { get } from './api.js';
import { errorBox, fmtTime, h } from './dom.js';

/** A size in bytes for people: 1.5 MB. */
export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i ? `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}` : `${v} bytes`;
}

// the presigned URL answers the file as an attachment under its name: the browser saves it and the
// console stays where it is
async function download(file) {
  const { url } = await get(`/files/${file.file_id}`, { headers: { Accept: 'application/json' } });
  const a = h('a', { href: url, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

/** The files of a target, newest version of each name first, each with a Download button. */
export function fileTable(rows) {
  const body = h('tbody');
  for (const f of rows) {
    const problem = h('div');
    const button = h('button', {
      type: 'button',
      class: 'secondary',
      'aria-label': `Download ${f.name} version ${f.version}`,
      onclick: async () => {
        problem.replaceChildren();
        try {
          await download(f);
        } catch (e) {
          problem.replaceChildren(errorBox(e));
        }
      },
    }, 'Download');
    body.append(h('tr', {}, h('td', {}, f.name), h('td', { class: 'num' }, f.version), h('td', {}, f.content_type ?? ''),
      h('td', { class: 'num' }, fmtBytes(f.size_bytes)), h('td', {}, fmtTime(f.created_at)),
      h('td', {}, button, problem)));
  }
  return h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'muted' }, `${rows.length} files`),
    h('thead', {}, h('tr', {}, ...['Name', 'Version', 'Type', 'Size', 'Attached', ''].map((t, i) => h('th', { scope: 'col', class: i === 1 || i === 3 ? 'num' : null }, t)))),
    body));
}
