// Overview: the server's figures over the last ten minutes, from
// GET /stats, sampled by the server every second.
import { call, ApiError } from './api.js';
import { $, el } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const WINDOW = 600; // samples shown: ten minutes at one a second
const REFRESH_MS = 2000;

const figures = [
  { key: 'sockets_open', title: 'Open sockets', fmt: (v) => String(Math.round(v)) },
  { key: 'messages_in_per_second', title: 'Messages in /s', fmt: (v) => v.toFixed(1) },
  { key: 'messages_out_per_second', title: 'Messages out /s', fmt: (v) => v.toFixed(1) },
  { key: 'errors_per_second', title: 'Errors /s', fmt: (v) => v.toFixed(2) },
  { key: 'script_p95_ms', title: 'Script p95', fmt: (v) => `${v.toFixed(2)} ms` },
];

let timer = null;
let onError;

function sparkline(values, label) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 100 40');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${label} over the last ${Math.round(values.length / 60)} minutes`);
  const top = Math.max(...values, 1e-9);
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', values.map((v, i) => `${(i * step).toFixed(2)},${(38 - (v / top) * 36).toFixed(2)}`).join(' '));
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  return svg;
}

function card(title, value, extra) {
  return el('div', { class: 'card' }, el('h3', { text: title }), el('div', { class: 'value', text: value }), extra || '');
}

function render(stats) {
  const cards = $('#overview-cards');
  const samples = stats ? (stats.samples || []).slice(-WINDOW) : [];
  $('#overview-nodata').hidden = stats !== null;
  const out = figures.map((f) => {
    if (!samples.length) return card(f.title, '–', el('p', { class: 'nodata', text: 'no data' }));
    const values = samples.map((s) => Number(s[f.key]) || 0);
    return card(f.title, f.fmt(values[values.length - 1]), sparkline(values, f.title));
  });
  const d = stats && stats.last_deploy;
  out.push(card('Last deploy', d ? `rev ${d.revision}` : '–',
    el('p', { class: d && d.result !== 'ok' ? 'error' : 'nodata', text: d ? `${d.result} · ${new Date(d.time).toLocaleString()}` : 'no data' })));
  cards.replaceChildren(...out);
}

async function refresh() {
  try {
    render(await call('GET', '/stats'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) render(null);
    else onError(err);
  }
}

export default {
  init(failed) { onError = failed; },
  async start() {
    await refresh();
    timer = setInterval(refresh, REFRESH_MS);
  },
  stop() { clearInterval(timer); timer = null; },
};
