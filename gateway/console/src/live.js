// SPDX-License-Identifier: MIT
// Live events from the gateway's WebSocket stream /tmi/ws (docs/websocket.md), with the token.
import { token } from './api.js';

/** Subscribes with `filter`; calls onEvent per event and onState('live' | 'closed: ...'). Returns close(). */
export function liveEvents(filter, onEvent, onState = () => {}) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws = null;
  let closed = false;
  let since;
  let retry = 0;
  function open() {
    ws = new WebSocket(`${proto}//${location.host}/tmi/ws?token=${encodeURIComponent(token())}`);
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', ...filter, since }));
      else if (msg.type === 'subscribed') { retry = 0; onState('live'); }
      else if (msg.type === 'event') { since = msg.id; onEvent(msg); }
      else if (msg.type === 'heartbeat') since = msg.last_event_id;
      else if (msg.type === 'error') onState(`error: ${msg.message}`);
    };
    ws.onclose = (e) => {
      if (closed) return;
      onState(`closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
      // 4001/4003/4004: the token or listener is refused; reconnecting would not help
      if (e.code < 4000) setTimeout(open, Math.min(30000, 1000 * 2 ** retry++));
    };
  }
  open();
  return () => {
    closed = true;
    ws?.close();
  };
}
