// The console's shell: sign-in, navigation between views, and each view's
// start and stop, so that only the view on screen polls or follows.
import { call, token, setToken, clearToken, ApiError } from './api.js';
import { $, say } from './dom.js';
import overview from './overview.js';
import endpoints from './endpoints.js';
import sockets from './sockets.js';
import sessions from './sessions.js';
import pushMessages from './push.js';
import logs from './logs.js';

const views = { overview, endpoints, sockets, sessions, push: pushMessages, logs };
let current = null;

function showSignin(msg) {
  if (current) views[current].stop();
  current = null;
  document.querySelectorAll('.view').forEach((v) => { v.hidden = true; });
  $('#nav').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = msg || '';
  $('#token').focus();
}

function route() {
  if (!token()) return showSignin();
  const name = views[location.hash.slice(1)] ? location.hash.slice(1) : 'overview';
  $('#signin').hidden = true;
  $('#nav').hidden = false;
  if (current === name) return;
  if (current) views[current].stop();
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-' + name; });
  document.querySelectorAll('#nav a').forEach((a) => {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  current = name;
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · luagate console`;
  say('');
  views[name].start().catch(failed);
}

// failed reports a view's error; a refused credential goes back to sign-in.
export function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    clearToken();
    return showSignin('The server no longer accepts this token.');
  }
  if (err && err.name === 'AbortError') return;
  say(err instanceof ApiError && err.status === 403
    ? `Not allowed with this key: ${err.message}` : `Error: ${err.message || err}`, true);
}

$('#signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = $('#token').value.trim();
  setToken(t);
  try {
    await call('GET', '/sockets');
    $('#token').value = '';
    route();
    $('#main').focus();
  } catch (err) {
    clearToken();
    showSignin(err instanceof ApiError && err.status === 401
      ? 'The server refused this token.'
      : err instanceof ApiError && err.status === 403
        ? 'This API key lacks the read scope.' : `Cannot reach the server: ${err.message}`);
  }
});

$('#signout').addEventListener('click', () => {
  clearToken();
  showSignin();
});

for (const v of Object.values(views)) v.init(failed);
window.addEventListener('hashchange', route);
route();
