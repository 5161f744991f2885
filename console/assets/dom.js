// Small DOM helpers shared by the views.

// el builds an element: el('td', {class: 'num'}, '3').
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) e.append(c);
  return e;
}

export const $ = (sel) => document.querySelector(sel);

// say shows a message in the page's status line, which screen readers read.
export function say(msg, isError = false) {
  const s = $('#status');
  s.textContent = msg;
  s.classList.toggle('error', isError);
}

export function fmtTime(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return isNaN(d) ? '-' : d.toLocaleString();
}

// cell is a table cell with a label for the phone layout.
export function cell(label, text, cls) {
  return el('td', { 'data-label': label, class: cls, text: String(text) });
}
