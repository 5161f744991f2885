// Push messages: the stored messages, newest first, filtered as the REST
// listing filters them, a page at a time.
import { call, query } from './api.js';
import { $, el, cell, fmtTime } from './dom.js';

const PAGE = 100;
let onError;
let next = '';

// finished is when a message left PENDING, whichever way.
const finished = (m) => m.delivered_at || m.cancelled_at || m.expired_at;

function rows(messages) {
  return messages.map((m) => el('tr', { 'data-message': m.id },
    cell('Created', fmtTime(m.created_at)), cell('Recipient', m.recipient, 'mono'),
    el('td', { 'data-label': 'Status' }, el('span', { class: `badge st-${m.status.toLowerCase()}`, text: m.status })),
    cell('Topic', m.topic || '-'), cell('Message', m.message, 'message'),
    cell('Expires', fmtTime(m.expires_at)), cell('Finished', fmtTime(finished(m))), cell('Id', m.id, 'mono')));
}

async function load(more) {
  const q = {
    recipient: $('#push-recipient').value.trim(), status: $('#push-status').value,
    topic: $('#push-topic').value.trim(), limit: PAGE, next_token: more ? next : '',
  };
  const page = await call('GET', '/push/messages' + query(q));
  const body = $('#push-table tbody');
  const shown = rows(page.messages || []);
  if (more) body.append(...shown); else body.replaceChildren(...shown);
  next = page.next_token || '';
  $('#push-more').hidden = !next;
  $('#push-empty').hidden = body.children.length > 0;
}

export default {
  init(failed) {
    onError = failed;
    $('#push-form').addEventListener('submit', (e) => { e.preventDefault(); load(false).catch(onError); });
    $('#push-more').addEventListener('click', () => load(true).catch(onError));
  },
  start() { return load(false); },
  stop() {},
};
