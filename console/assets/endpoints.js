// Endpoints: the solution's endpoints, modules and event handler; an
// editor with line numbers; deploy, and a refused deploy's problems shown
// at their lines.
import { call, ApiError } from './api.js';
import { $, el, say } from './dom.js';

const HEADER = /^--#ENDPOINT\s+\S+\s+(\S+)/i;
const TEMPLATE = `--#ENDPOINT WEBSOCKET /hello
if websocketInfo.type == "open" then
  return "hello"
end
`;

let onError;
let solution = null;
let open = null; // {kind: 'endpoint'|'module'|'handler', name}
let marks = new Map(); // editor line -> problem messages

const text = () => $('#editor-text');

function renderGutter() {
  const n = text().value.split('\n').length;
  const lines = [];
  for (let i = 1; i <= n; i++) {
    const msgs = marks.get(i);
    lines.push(el('div', { 'data-line': i, class: msgs ? 'error' : null, title: msgs ? msgs.join('\n') : null, text: String(i) }));
  }
  $('#gutter').replaceChildren(...lines);
  $('#gutter').scrollTop = text().scrollTop;
}

// goToLine selects line n of the editor and scrolls it into view.
function goToLine(n) {
  const lines = text().value.split('\n');
  let start = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[n - 1] || '').length;
  text().focus();
  text().setSelectionRange(start, end);
  const lh = parseFloat(getComputedStyle(text()).lineHeight) || 19;
  text().scrollTop = Math.max(0, (n - 3) * lh);
  renderGutter();
}

function item(kind, name, label) {
  const current = open && open.kind === kind && open.name === name;
  return el('li', {}, el('button', { type: 'button', 'aria-current': current ? 'true' : null, onclick: () => edit(kind, name), text: label || name }));
}

function renderLists() {
  const s = solution;
  $('#endpoint-list').replaceChildren(...s.endpoints.map((e) => item('endpoint', e.path)));
  $('#module-list').replaceChildren(...Object.keys(s.modules || {}).sort().map((m) => item('module', m)));
  const handlers = Object.keys(s.eventhandlers || {}).sort();
  $('#handler-list').replaceChildren(...(handlers.length ? handlers.map((h) => item('handler', h))
    : [el('li', { class: 'hint', text: 'none' })]));
  if (!s.endpoints.length) $('#endpoint-list').append(el('li', { class: 'hint', text: 'none yet' }));
}

function source(kind, name) {
  if (kind === 'endpoint') {
    const e = solution.endpoints.find((x) => x.path === name);
    return e ? e.script : TEMPLATE;
  }
  return (kind === 'module' ? solution.modules : solution.eventhandlers)[name] || '';
}

function setProblems(problems, offsetOf) {
  marks = new Map();
  const items = problems.map((p) => {
    const line = p.line ? offsetOf(p) : null;
    if (line) marks.set(line, [...(marks.get(line) || []), p.message]);
    const where = line ? `line ${line}: ` : p.file ? `${p.file}: ` : '';
    return el('li', {}, line
      ? el('button', { type: 'button', onclick: () => goToLine(line), text: where + p.message })
      : el('span', { class: 'error', text: where + p.message }));
  });
  $('#problems').replaceChildren(...items);
  $('#problems-title').hidden = !items.length;
  renderGutter();
}

function edit(kind, name) {
  open = { kind, name };
  const title = kind === 'endpoint' ? (name ? `Endpoint ${name}` : 'New endpoint') : kind === 'module' ? `Module ${name}` : `Event handler ${name}`;
  $('#editor-title').textContent = title;
  $('#editor-form').hidden = false;
  text().value = source(kind, name);
  $('#deploy-result').textContent = '';
  setProblems([], () => null);
  renderLists();
  text().focus();
}

// headerLines maps each endpoint path the editor declares to the line of
// its --#ENDPOINT header: the API numbers an endpoint's lines from it.
function headerLines(src) {
  const m = new Map();
  src.split('\n').forEach((l, i) => {
    const h = HEADER.exec(l.trim());
    if (h) m.set(h[1], i + 1);
  });
  return m;
}

async function deploy(e) {
  e.preventDefault();
  const src = text().value;
  const { kind, name } = open;
  const headers = kind === 'endpoint' ? headerLines(src) : new Map();
  let req;
  if (kind === 'endpoint') {
    req = headers.size ? call('PUT', '/endpoints', src) : call('PUT', '/endpoints', { path: name, script: src });
  } else {
    req = call('PUT', `/${kind === 'module' ? 'modules' : 'eventhandlers'}/${encodeURIComponent(name)}`, src);
  }
  $('#deploy-result').textContent = 'Deploying…';
  try {
    const res = await req;
    setProblems([], () => null);
    $('#deploy-result').textContent = `Deployed: revision ${res.revision}`;
    say(`Deployed revision ${res.revision}.`);
    solution = await call('GET', '');
    if (kind === 'endpoint' && headers.size) open.name = [...headers.keys()][0];
    renderLists();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 400) {
      $('#deploy-result').textContent = '';
      return onError(err);
    }
    const problems = err.details.length ? err.details : [{ message: err.message }];
    setProblems(problems, (p) => {
      if (p.file === 'request body' || kind !== 'endpoint') return p.line;
      if (headers.has(p.file)) return headers.get(p.file) + p.line - 1;
      return !headers.size && p.file === name ? p.line : null;
    });
    $('#deploy-result').textContent = `Refused: ${problems.length} problem${problems.length > 1 ? 's' : ''}`;
    $('#deploy-result').className = 'error';
    return;
  }
  $('#deploy-result').className = '';
}

export default {
  init(failed) {
    onError = failed;
    text().addEventListener('input', renderGutter);
    text().addEventListener('scroll', () => { $('#gutter').scrollTop = text().scrollTop; });
    $('#editor-form').addEventListener('submit', deploy);
    $('#new-endpoint').addEventListener('click', () => edit('endpoint', null));
  },
  async start() {
    solution = await call('GET', '');
    renderLists();
  },
  stop() {},
};
