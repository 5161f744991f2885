// Sockets: the open sockets, refreshed every two seconds; filter, send a
// message to one, disconnect one.
import { call } from './api.js';
import { $, el, say, cell, fmtTime } from './dom.js';

const REFRESH_MS = 2000;
let timer = null;
let onError;
let sockets = [];
let target = null; // the socket the send form is for

const params = (p) => Object.entries(p || {}).map(([k, v]) => `${k}=${v}`).join(' ');

function matches(s, f) {
  if (!f) return true;
  return [s.route, s.user_id, s.socket_id, params(s.parameters)].some((v) => (v || '').toLowerCase().includes(f));
}

function openSend(s) {
  target = s.socket_id;
  $('#send-label').textContent = `Message to ${s.route} (${s.socket_id.slice(0, 8)}…)`;
  $('#send-form').hidden = false;
  $('#send-text').value = '';
  $('#send-text').focus();
}

function closeSend() {
  $('#send-form').hidden = true;
  target = null;
}

async function disconnect(s) {
  try {
    await call('DELETE', `/sockets/${encodeURIComponent(s.socket_id)}`);
    say(`Disconnected ${s.socket_id}.`);
    await refresh();
  } catch (err) { onError(err); }
}

// row fills the table row of s, keeping the row (and the focus on its
// buttons) across refreshes.
function row(s, existing) {
  const cells = [
    cell('Route', s.route, 'mono'), cell('User', s.user_id || '-'), cell('Parameters', params(s.parameters) || '-', 'mono'),
    cell('Connected since', fmtTime(s.connected_at)), cell('In', s.messages_in, 'num'), cell('Out', s.messages_out, 'num'),
    cell('Socket', s.socket_id, 'mono'),
  ];
  if (existing) {
    cells.forEach((c, i) => { existing.children[i].textContent = c.textContent; });
    return existing;
  }
  const actions = el('td', { 'data-label': 'Actions', class: 'actions-cell' },
    el('button', { type: 'button', 'aria-label': `Send a message to socket ${s.socket_id}`, onclick: () => openSend(s), text: 'Send' }),
    el('button', { type: 'button', class: 'danger', 'aria-label': `Disconnect socket ${s.socket_id}`, onclick: () => disconnect(s), text: 'Disconnect' }));
  return el('tr', { 'data-socket': s.socket_id }, ...cells, actions);
}

function render() {
  const f = $('#socket-filter').value.trim().toLowerCase();
  const body = $('#sockets-table tbody');
  const rows = new Map([...body.children].map((r) => [r.dataset.socket, r]));
  const shown = sockets.filter((s) => matches(s, f)).sort((a, b) => a.connected_at.localeCompare(b.connected_at));
  const keep = shown.map((s) => row(s, rows.get(s.socket_id)));
  for (const [id, r] of rows) if (!shown.some((s) => s.socket_id === id)) r.remove();
  keep.forEach((r, i) => { if (body.children[i] !== r) body.insertBefore(r, body.children[i] || null); });
  $('#socket-count').textContent = `${shown.length} of ${sockets.length} open`;
  if (target && !sockets.some((s) => s.socket_id === target)) closeSend();
}

async function refresh() {
  try {
    sockets = await call('GET', '/sockets');
    render();
  } catch (err) { onError(err); }
}

export default {
  init(failed) {
    onError = failed;
    $('#socket-filter').addEventListener('input', render);
    $('#send-cancel').addEventListener('click', closeSend);
    $('#send-form').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeSend(); });
    $('#send-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await call('POST', `/sockets/${encodeURIComponent(target)}/messages`, { message: $('#send-text').value });
        say(`Sent to ${target}.`);
        closeSend();
        await refresh();
      } catch (err) { onError(err); }
    });
  },
  async start() {
    await refresh();
    timer = setInterval(refresh, REFRESH_MS);
  },
  stop() { clearInterval(timer); timer = null; closeSend(); },
};
