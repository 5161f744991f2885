// Logs: the script log, followed live with filters; failures stand out.
import { stream, call, query } from './api.js';
import { $, el } from './dom.js';

const MAX_SHOWN = 1000;
const BACKLOG = 200;
let onError;
let abort = null;

function line(r) {
  if (r.dropped != null) {
    return el('li', { class: 'notice', text: `… ${r.dropped} records missed: this view fell behind` });
  }
  const t = new Date(r.time);
  const parts = [
    el('span', { class: 't', text: t.toLocaleTimeString([], { hour12: false }) + '.' + String(t.getMilliseconds()).padStart(3, '0') }),
    ` ${r.event_type} ${r.route || '-'} ${r.socket_id ? r.socket_id.slice(0, 10) : '-'}${r.user_id ? ' ' + r.user_id : ''} `,
    el('span', { class: 'st-' + r.status, text: r.status }),
    ` ${r.execution_time_us}µs`,
  ];
  if (r.error) parts.push(`\n  error: ${r.error}`);
  for (const o of r.script_output || []) parts.push(`\n  ${o}`);
  return el('li', { class: r.status === 'error' ? 'error' : null, 'data-socket': r.socket_id || null }, ...parts);
}

function add(r) {
  const list = $('#log-list');
  const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.append(line(r));
  while (list.children.length > MAX_SHOWN) list.firstChild.remove();
  if (atEnd) list.scrollTop = list.scrollHeight;
}

function filter() {
  return {
    route: $('#logs-route').value.trim(), socket_id: $('#logs-socket').value.trim(),
    user_id: $('#logs-user').value.trim(), status: $('#logs-status').value,
  };
}

async function begin() {
  end();
  $('#log-list').replaceChildren();
  const f = filter();
  if (!$('#logs-follow').checked) {
    const res = await call('GET', '/logs' + query({ ...f, limit: BACKLOG }));
    res.records.forEach(add);
    return;
  }
  const ctl = new AbortController();
  abort = ctl;
  stream('/logs' + query({ ...f, limit: BACKLOG, follow: 1 }), add, ctl.signal)
    .catch((err) => { if (abort === ctl) onError(err); });
}

function end() {
  if (abort) abort.abort();
  abort = null;
}

export default {
  init(failed) {
    onError = failed;
    $('#logs-form').addEventListener('submit', (e) => { e.preventDefault(); begin().catch(onError); });
    $('#logs-follow').addEventListener('change', () => begin().catch(onError));
  },
  start() { return begin(); },
  stop: end,
};
