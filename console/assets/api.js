// The management API, as the console calls it: every view goes through
// here, and nothing else leaves the page.
export const PREFIX = '/api/v1/solution';
const TOKEN_KEY = 'luagate.token';

export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (t) => sessionStorage.setItem(TOKEN_KEY, t);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

// ApiError is an error answer: status, and the API's {type, error, details}.
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.details = (body && body.details) || [];
  }
}

// call sends one request. A string body goes as Lua source, anything else
// as JSON. With raw, the answer is returned as text.
export async function call(method, path, body, { raw = false } = {}) {
  const headers = { Authorization: 'Bearer ' + token() };
  let payload;
  if (typeof body === 'string') {
    payload = body;
    headers['Content-Type'] = 'text/x-lua; charset=utf-8';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(PREFIX + path, { method, headers, body: payload });
  const text = await res.text();
  let data = text;
  if (!raw || !res.ok) {
    try { data = text ? JSON.parse(text) : null; } catch { data = res.ok ? text : { error: text }; }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// stream follows a Server-Sent Events answer, calling onEvent with each
// event's JSON data, until signal aborts or the server ends it. fetch
// rather than EventSource, which cannot send the Authorization header.
export async function stream(path, onEvent, signal) {
  const res = await fetch(PREFIX + path, { headers: { Authorization: 'Bearer ' + token() }, signal });
  if (!res.ok) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, body);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)));
      }
    }
  }
}

// query encodes the non-empty fields of o.
export function query(o) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== '' && v != null) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
