// Sessions: open and closed sockets' lives, newest first, a page at a time.
import { call, query } from './api.js';
import { $, el, cell, fmtTime } from './dom.js';

const PAGE = 100;
let onError;
let next = '';

function rows(sessions) {
  return sessions.map((s) => el('tr', {},
    cell('Route', s.route, 'mono'), cell('User', s.user_id || '-'), cell('Status', s.status),
    cell('Connected', fmtTime(s.connected_at)), cell('Closed', fmtTime(s.closed_at)),
    cell('Code', s.close_code == null ? '-' : s.close_code, 'num'),
    cell('In', s.messages_in, 'num'), cell('Out', s.messages_out, 'num'), cell('Socket', s.socket_id, 'mono')));
}

async function load(more) {
  const q = {
    status: $('#sessions-status').value, route: $('#sessions-route').value.trim(),
    user_id: $('#sessions-user').value.trim(), limit: PAGE, next_token: more ? next : '',
  };
  const page = await call('GET', '/sessions' + query(q));
  const body = $('#sessions-table tbody');
  if (more) body.append(...rows(page.sessions)); else body.replaceChildren(...rows(page.sessions));
  next = page.next_token || '';
  $('#sessions-more').hidden = !next;
}

export default {
  init(failed) {
    onError = failed;
    $('#sessions-form').addEventListener('submit', (e) => { e.preventDefault(); load(false).catch(onError); });
    $('#sessions-more').addEventListener('click', () => load(true).catch(onError));
  },
  start() { return load(false); },
  stop() {},
};
