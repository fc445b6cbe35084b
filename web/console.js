// The operator's web console: a single page, hash-routed, that reads and changes everything
// through the admin API (/api-mdm.php/v1) with the session cookie the server sets.
//
// Rules this file keeps (the page's Content-Security-Policy enforces some of them):
//   - no inline script or style, no eval, no innerHTML or similar: every piece of data reaches
//     the page through createElement and textContent, so a device named "<script>" is text;
//   - the CSRF token lives in memory only (state.session), never in storage;
//   - hrefs are only ever our own "#/..." routes.
'use strict';

(() => {
  const API = '/api-mdm.php/v1';
  const PAGE_SIZE = 50;
  const SEARCH_DELAY_MS = 300;
  const EXPIRY_WARNING_DAYS = 30;
  const SESSION_ENDED = 'Your session has ended; log in again.';
  const REFRESH_QUERIES = ['DeviceName', 'OSVersion', 'BuildVersion', 'ModelName', 'Model', 'ProductName',
    'SerialNumber', 'DeviceCapacity', 'AvailableDeviceCapacity', 'BatteryLevel', 'IsSupervised'];
  const SORT_KEYS = ['device_name', 'serial_number', 'model', 'os_version', 'status', 'last_seen_at'];

  const state = {
    session: null,          // {user, role, csrf_token, expires_at}: memory only
    flash: null,            // {text, kind}: shown by the next route()
    returnTo: null,         // the route to go back to after logging in again
    routeSeq: 0,            // bumps on every render; a late answer for an older one is dropped
    devices: {offset: 0, sort: 'last_seen_at', order: 'desc', search: ''},
    audit: {offset: 0},
  };

  class ApiError extends Error {
    constructor(status, message, redirected) {
      super(message);
      this.status = status;
      this.redirected = Boolean(redirected);  // a 401 that already sent the user to the login page
    }
  }

  // ---- DOM helpers ------------------------------------------------------------------------

  const $ = (selector) => document.querySelector(selector);

  // h('a', {href: '#/x', class: 'y', 'data-test': 'z', onclick: f}, 'text', childNode, [more])
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') {
          el.className = value;
        } else if (key.startsWith('on') && typeof value === 'function') {
          el.addEventListener(key.slice(2), value);
        } else if (key === 'href') {
          const href = String(value);
          if (!href.startsWith('#')) throw new Error('only routes of the console are linked');
          el.setAttribute('href', href);
        } else if (key === 'value') {
          el.value = String(value);
        } else {
          el.setAttribute(key, value === true ? '' : String(value));
        }
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function showMessage(text, kind) {
    const m = $('#message');
    m.textContent = text;
    m.className = 'message ' + (kind || 'info');
    m.dataset.kind = kind || 'info';
    m.hidden = false;
  }

  function clearMessage() {
    const m = $('#message');
    m.textContent = '';
    m.className = 'message';
    delete m.dataset.kind;
    m.hidden = true;
  }

  function showError(err) {
    if (err && err.redirected) return;  // the login page says why
    showMessage(err && err.message ? err.message : String(err), 'error');
  }

  // ---- formatting -------------------------------------------------------------------------

  const ISO_RE = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d(?::?\d\d)?)?$/;

  // Unix seconds (numbers) or ISO 8601 text (PostgreSQL's jsonb writes microseconds and +00:00).
  function toDate(value) {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number') return Number.isFinite(value) ? new Date(value * 1000) : null;
    if (value instanceof Date) return value;
    const m = ISO_RE.exec(String(value));
    if (!m) return null;
    const ms = m[3] ? m[3].slice(0, 4).padEnd(4, '0') : '.000';
    let zone = m[4] || 'Z';
    if (/^[+-]\d\d$/.test(zone)) zone += ':00';
    else if (/^[+-]\d{4}$/.test(zone)) zone = zone.slice(0, 3) + ':' + zone.slice(3);
    const d = new Date(`${m[1]}T${m[2]}${ms}${zone}`);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  const pad = (n) => String(n).padStart(2, '0');

  function formatDate(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function ago(d) {
    const seconds = Math.round((Date.now() - d.getTime()) / 1000);
    const future = seconds < 0;
    const s = Math.abs(seconds);
    let text;
    if (s < 60) return future ? 'in under a minute' : 'just now';
    if (s < 3600) text = `${Math.floor(s / 60)} min`;
    else if (s < 86400) text = `${Math.floor(s / 3600)} h`;
    else {
      const days = Math.floor(s / 86400);
      text = `${days} ${days === 1 ? 'day' : 'days'}`;
    }
    return future ? `in ${text}` : `${text} ago`;
  }

  // A <time> element: absolute local time, or relative with the absolute time as a tooltip.
  function timeNode(value, relative) {
    const d = toDate(value);
    if (!d) return none();
    const text = relative ? ago(d) : formatDate(d);
    const title = relative ? formatDate(d) : ago(d);
    return h('time', {datetime: d.toISOString(), title}, text);
  }

  function none(text) {
    return h('span', {class: 'muted'}, text || '\u2014');
  }

  const LABELS = {
    id: 'ID', udid: 'UDID', imei: 'IMEI', meid: 'MEID', os_version: 'OS version', os: 'OS',
    command_uuid: 'Command UUID', enrollment_id: 'Enrollment ID', device_id: 'Device ID', uuid: 'UUID',
    sha256: 'SHA-256', adam_id: 'Adam ID', vpp_licences: 'Apps and Books licences', params: 'Parameters',
    device_information: 'Inventory', security_info: 'Security', declarative_status: 'Declarations\u2019 status',
    recent_results: 'Recent answers', is_supervised: 'Supervised', is_managed: 'Managed',
    is_identity: 'Identity', has_push_token: 'Push token', imported_not_seen: 'Imported, not seen yet',
    pending_commands: 'Pending commands', error_chain: 'Error', sent_count: 'Sent',
    payload_uuid: 'PayloadUUID',
  };

  // snake_case keys of ours become words; Apple's CamelCase keys stay as Apple spells them.
  function label(key) {
    if (Object.prototype.hasOwnProperty.call(LABELS, key)) return LABELS[key];
    if (!/^[a-z0-9_]+$/.test(key)) return key;
    const words = key.split('_').filter(Boolean).join(' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  const FORMATTERS = {
    battery_level: percent, BatteryLevel: percent,
    device_capacity: gigabytes, available_capacity: gigabytes,
    DeviceCapacity: gigabytes, AvailableDeviceCapacity: gigabytes,
  };

  function percent(v) {
    return typeof v === 'number' && v >= 0 && v <= 1 ? `${Math.round(v * 100)} %` : null;
  }

  function gigabytes(v) {
    return typeof v === 'number' ? `${formatNumber(v)} GB` : null;
  }

  function formatNumber(n) {
    if (Number.isInteger(n)) return String(n);
    return String(Math.round(n * 100) / 100);
  }

  // "Domain Code: Description", one line per entry of an ErrorChain.
  function errorChainNode(chain) {
    if (chain === null || chain === undefined) return none();
    if (!Array.isArray(chain) || chain.length === 0) return none();
    return h('div', {class: 'error-chain'}, chain.map((e) => {
      const entry = e && typeof e === 'object' ? e : {};
      const domain = entry.ErrorDomain ?? '';
      const code = entry.ErrorCode ?? '';
      const description = entry.LocalizedDescription ?? entry.USEnglishDescription ?? '';
      return h('div', {class: 'error-entry'}, `${domain} ${code}`.trim() + (description !== '' ? `: ${description}` : ''));
    }));
  }

  const STATUS_CLASSES = {
    enrolled: 'ok', Acknowledged: 'ok', installed: 'ok', ok: 'ok',
    Pending: 'pending', NotNow: 'pending', pending: 'pending', imported: 'pending', held: 'pending',
    Error: 'bad', CommandFormatError: 'bad', failed: 'bad', error: 'bad',
  };

  function statusBadge(status) {
    if (status === null || status === undefined || status === '') return none();
    const cls = STATUS_CLASSES[status] || 'neutral';
    return h('span', {class: `badge status-${cls}`, 'data-status': status}, String(status));
  }

  // Any JSON value, readable: key/value tables for objects, tables for arrays of objects. raw:
  // the keys are the device's (Apple's), shown as they are; ours become words.
  function valueNode(value, key, depth, raw) {
    depth = depth || 0;
    if (key === 'error_chain' || key === 'ErrorChain') return errorChainNode(value);
    if (key === 'status' && (typeof value === 'string' || value === null)) return statusBadge(value);
    if (value === null || value === undefined) return none();
    if (FORMATTERS[key]) {
      const text = FORMATTERS[key](value);
      if (text !== null) return document.createTextNode(text);
    }
    if (typeof value === 'boolean') return document.createTextNode(value ? 'yes' : 'no');
    if (typeof value === 'number') return document.createTextNode(formatNumber(value));
    if (typeof value === 'string') {
      if (ISO_RE.test(value) && toDate(value)) return timeNode(value);
      return value === '' ? none('(empty)') : document.createTextNode(value);
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return none('none');
      if (value.every(isObject)) {
        // Inside a key/value table there is no room for columns: one small table per entry.
        if (depth >= 1) {
          return h('ol', {class: 'plain entries'}, value.map((v) => h('li', null, keyValueTable(v, null, depth + 1, raw))));
        }
        return objectsTable(value, null, depth + 1, null, null, raw);
      }
      const tag = value.every((v) => v === null || typeof v !== 'object') ? 'ul' : 'ol';
      return h(tag, {class: 'plain'}, value.map((v) => h('li', null, valueNode(v, null, depth + 1, raw))));
    }
    if (typeof value === 'object') return keyValueTable(value, null, depth + 1, raw);
    return document.createTextNode(String(value));
  }

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function orderedKeys(keys, preferred) {
    if (!preferred) return keys;
    const first = preferred.filter((k) => keys.includes(k));
    return first.concat(keys.filter((k) => !first.includes(k)));
  }

  // Nested objects become rows of their own, named by their path ("A \u203a B \u203a C"): deep
  // reports (declarations' status) stay in two readable columns.
  function flatten(obj, path, out) {
    for (const [k, v] of Object.entries(obj)) {
      const p = path.concat([k]);
      if (isObject(v) && Object.keys(v).length > 0 && p.length < 8) flatten(v, p, out);
      else out.push([p, v]);
    }
    return out;
  }

  function keyValueTable(obj, preferred, depth, raw) {
    const rows = [];
    for (const k of orderedKeys(Object.keys(obj), preferred)) {
      if (isObject(obj[k]) && Object.keys(obj[k]).length > 0) flatten(obj[k], [k], rows);
      else rows.push([[k], obj[k]]);
    }
    if (rows.length === 0) return none('none');
    return h('table', {class: depth > 1 ? 'kv nested' : 'kv'},
      h('tbody', null, rows.map(([path, v]) => h('tr', {'data-key': path.join('.')},
        h('th', {scope: 'row'}, path.map((k) => (raw ? k : label(k))).join(' \u203a ')),
        h('td', null, valueNode(v, path[path.length - 1], depth, raw))))));
  }

  // only: the columns to show (those the rows have), else every key in the preferred order.
  const CELL_CLASSES = {command_uuid: 'mono small', sha256: 'mono small hash', uuid: 'mono small', id: 'mono small',
    enrollment_id: 'mono small', serial_number: 'mono', error_chain: 'error-cell', sent_count: 'num', priority: 'num'};

  function objectsTable(rows, preferred, depth, attrs, only, raw) {
    const keys = [];
    for (const row of rows) for (const k of Object.keys(row)) if (!keys.includes(k)) keys.push(k);
    const columns = only ? only.filter((k) => keys.includes(k)) : orderedKeys(keys, preferred);
    return h('table', Object.assign({class: depth > 1 ? 'list nested' : 'list'}, attrs || {}),
      h('thead', null, h('tr', null, columns.map((k) => h('th', {scope: 'col'}, raw ? k : label(k))))),
      h('tbody', null, rows.map((row) => h('tr', null,
        columns.map((k) => h('td', {'data-key': k, class: raw ? null : CELL_CLASSES[k]}, valueNode(row[k], k, depth, raw)))))));
  }

  // GET `path` for a list page, the table marked busy meanwhile; undefined when the page moved
  // on or the request failed (then the table says so and #message has the server's sentence).
  async function loadListInto(table, columns, seq, path, what) {
    table.classList.add('busy');
    let answer;
    try {
      answer = await api('GET', path);
    } catch (e) {
      if (!current(seq)) return undefined;
      table.classList.remove('busy');
      showError(e);
      table.tBodies[0].replaceChildren(emptyRow(columns, `The ${what} could not be loaded.`));
      return undefined;
    }
    if (!current(seq)) return undefined;
    table.classList.remove('busy');
    return answer;
  }

  function tableWrap(table, extraClass) {
    return h('div', {class: 'table-wrap' + (extraClass ? ' ' + extraClass : '')}, table);
  }

  function section(name, title, ...body) {
    return h('section', {class: 'card section', 'data-section': name, id: `section-${name}`},
      h('h2', null, title), body);
  }

  function loading() {
    return h('p', {class: 'muted loading'}, 'Loading\u2026');
  }

  function pageHead(title, ...extra) {
    return h('div', {class: 'page-head'}, h('h1', null, title), extra);
  }

  // ---- the API ----------------------------------------------------------------------------

  // JSON in and out; {error} answers become an ApiError with the server's sentence. A 401
  // (except a wrong password at login) ends the session in the page and shows the login page.
  // options.contentType: the body is sent as it is (an ArrayBuffer, say) with that type.
  async function api(method, path, body, options) {
    const opts = options || {};
    const headers = {Accept: 'application/json'};
    const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType || 'application/json';
      init.body = opts.contentType ? body : JSON.stringify(body);
    }
    if (method !== 'GET' && method !== 'HEAD' && !opts.login && state.session) {
      headers['X-CSRF-Token'] = state.session.csrf_token;
    }
    let res;
    try {
      res = await fetch(API + path, init);
    } catch (e) {
      throw new ApiError(0, 'The server cannot be reached; check the connection and try again.');
    }
    const text = await res.text();
    let data = null;
    if (text !== '') {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      const message = data && typeof data.error === 'string' && data.error !== ''
        ? data.error : `The server answered HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}.`;
      if (res.status === 401 && !opts.login && !opts.noRedirect) {
        sessionEnded();
        throw new ApiError(401, message, true);
      }
      throw new ApiError(res.status, message);
    }
    if (data === null || typeof data !== 'object') throw new ApiError(res.status, 'The server sent an answer that is not JSON.');
    return data;
  }

  function setSession(s) {
    state.session = s && typeof s === 'object' && typeof s.csrf_token === 'string' ? s : null;
    updateNav();
  }

  function role() {
    return state.session ? state.session.role : null;
  }

  function canSendCommands() {
    return role() === 'admin' || role() === 'helpdesk';
  }

  function isAdmin() {
    return role() === 'admin';
  }

  function sessionEnded() {
    setSession(null);
    if (location.hash.startsWith('#/login') && $('#login-form')) {
      // Another request of the same page found the session gone: the login page is up already.
      showMessage(SESSION_ENDED, 'error');
      return;
    }
    state.flash = {text: SESSION_ENDED, kind: 'error'};
    const current = location.hash;
    if (current && !current.startsWith('#/login')) state.returnTo = current;
    go('#/login', true);
  }

  // ---- routing ----------------------------------------------------------------------------

  function go(hash, replace) {
    if (location.hash === hash) {
      route();
    } else if (replace) {
      history.replaceState(null, '', hash);
      route();
    } else {
      location.hash = hash;  // hashchange calls route()
    }
  }

  function parseRoute(hash) {
    const path = (hash || '').replace(/^#/, '').split('?')[0].replace(/(.)\/+$/, '$1');
    const parts = path.split('/').filter((p, i) => i > 0 || p !== '');
    if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return {name: 'dashboard'};
    if (parts.length === 1 && ['login', 'dashboard', 'devices', 'groups', 'profiles', 'audit'].includes(parts[0])) {
      return {name: parts[0]};
    }
    if (parts.length === 2 && ITEM_ROUTES.has(parts[0]) && parts[1] !== '') {
      try {
        return {name: ITEM_ROUTES.get(parts[0]), id: decodeURIComponent(parts[1])};
      } catch (e) {
        return {name: 'notfound'};
      }
    }
    return {name: 'notfound'};
  }

  // A list's route -> the route of one of its items (#/devices/<id>), and back for the nav.
  const ITEM_ROUTES = new Map([['devices', 'device'], ['groups', 'group'], ['profiles', 'profile']]);
  const LIST_ROUTES = new Map([...ITEM_ROUTES].map(([list, item]) => [item, list]));

  function deviceHref(id) {
    return '#/devices/' + encodeURIComponent(id);
  }

  function groupHref(name) {
    return '#/groups/' + encodeURIComponent(name);
  }

  function profileHref(identifier) {
    return '#/profiles/' + encodeURIComponent(identifier);
  }

  async function route() {
    const seq = ++state.routeSeq;
    const r = parseRoute(location.hash);
    if (state.flash) {
      showMessage(state.flash.text, state.flash.kind);
      state.flash = null;
    } else {
      clearMessage();
    }
    if (!state.session && r.name !== 'login') {
      state.returnTo = location.hash || null;
      history.replaceState(null, '', '#/login');
      renderLogin();
      return;
    }
    if (state.session && r.name === 'login') {
      history.replaceState(null, '', '#/dashboard');
      return route();
    }
    markNav(LIST_ROUTES.get(r.name) || r.name);
    const view = $('#view');
    switch (r.name) {
      case 'login': return renderLogin();
      case 'dashboard': return renderDashboard(view, seq);
      case 'devices': return renderDevices(view, seq);
      case 'device': return renderDevice(view, seq, r.id);
      case 'groups': return renderGroups(view, seq);
      case 'group': return renderGroup(view, seq, r.id);
      case 'profiles': return renderProfiles(view, seq);
      case 'profile': return renderProfile(view, seq, r.id);
      case 'audit': return renderAudit(view, seq);
      default:
        view.replaceChildren(pageHead('Page not found'),
          h('p', null, 'There is no such page. ', h('a', {href: '#/dashboard'}, 'Go to the dashboard'), '.'));
        document.title = 'Not found \u2013 MDM console';
    }
  }

  function current(seq) {
    return seq === state.routeSeq;
  }

  // ---- navigation -------------------------------------------------------------------------

  function updateNav() {
    const app = $('#app');
    const nav = $('#nav');
    const s = state.session;
    nav.hidden = !s;
    app.classList.toggle('logged-out', !s);
    $('#nav-user').textContent = s ? s.user : '';
    $('#nav-role').textContent = s ? s.role : '';
    $('#nav-role').dataset.role = s ? s.role : '';
    $('#nav-audit-item').hidden = !(s && s.role === 'admin');
  }

  function markNav(name) {
    for (const a of document.querySelectorAll('#nav [data-route]')) {
      if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  async function logout() {
    const button = $('#logout');
    button.disabled = true;
    try {
      await api('DELETE', '/session', undefined, {noRedirect: true});
      state.flash = {text: 'You have logged out.', kind: 'info'};
    } catch (e) {
      if (e.status !== 401) state.flash = {text: e.message, kind: 'error'};
    } finally {
      button.disabled = false;
    }
    setSession(null);
    state.returnTo = null;
    go('#/login', true);
  }

  // ---- login ------------------------------------------------------------------------------

  function renderLogin() {
    markNav(null);
    document.title = 'Log in \u2013 MDM console';
    const name = h('input', {id: 'login-name', name: 'name', type: 'text', autocomplete: 'username',
      required: true, autocapitalize: 'none', spellcheck: 'false'});
    const password = h('input', {id: 'login-password', name: 'password', type: 'password',
      autocomplete: 'current-password', required: true});
    const submit = h('button', {id: 'login-submit', 'data-test': 'login-submit', type: 'submit', class: 'button primary'}, 'Log in');
    const form = h('form', {id: 'login-form', class: 'login-form card', novalidate: true},
      h('h1', null, 'MDM console'),
      h('p', {class: 'muted'}, 'Log in with your console account.'),
      h('label', {for: 'login-name'}, 'User name'), name,
      h('label', {for: 'login-password'}, 'Password'), password,
      h('div', {class: 'form-actions'}, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (name.value.trim() === '' || password.value === '') {
        showMessage('Enter your user name and password.', 'error');
        return;
      }
      submit.disabled = true;
      try {
        const s = await api('POST', '/session', {name: name.value.trim(), password: password.value}, {login: true});
        password.value = '';
        setSession(s);
        if (!state.session) throw new ApiError(500, 'The server did not start a session.');
        const back = state.returnTo;
        state.returnTo = null;
        go(back && !back.startsWith('#/login') ? back : '#/dashboard', true);
      } catch (e) {
        password.value = '';
        showError(e);
        password.focus();
      } finally {
        submit.disabled = false;
      }
    });
    $('#view').replaceChildren(h('div', {class: 'login-page', id: 'login-page'}, form));
    name.focus();
  }

  // ---- dashboard --------------------------------------------------------------------------

  function compareVersions(a, b) {
    if (a === 'unknown') return 1;
    if (b === 'unknown') return -1;
    const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
    const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pb[i] || 0) - (pa[i] || 0);
      if (d !== 0) return d;
    }
    return 0;
  }

  function countsTable(counts, firstColumn, total, sortKeys) {
    const entries = Object.entries(counts || {});
    if (entries.length === 0) return h('p', {class: 'muted'}, 'No devices yet.');
    entries.sort(sortKeys || ((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]))));
    return tableWrap(h('table', {class: 'list counts'},
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, firstColumn), h('th', {scope: 'col', class: 'num'}, 'Devices'),
        h('th', {scope: 'col', class: 'bar-col'}, h('span', {class: 'visually-hidden'}, 'Share')))),
      h('tbody', null, entries.map(([k, n]) => h('tr', {'data-key': k},
        h('td', null, k),
        h('td', {class: 'num'}, String(n)),
        h('td', {class: 'bar-col'}, h('progress', {max: String(Math.max(total || 0, 1)), value: String(n)})))))));
  }

  function statCard(test, title, value, note, href) {
    const number = h('span', {class: 'stat-value', 'data-test': test}, value === undefined || value === null ? '\u2014' : String(value));
    const body = [h('span', {class: 'stat-title'}, title), number, note ? h('span', {class: 'stat-note muted'}, note) : null];
    return href ? h('a', {class: 'card stat', href}, body) : h('div', {class: 'card stat'}, body);
  }

  function expiryRow(e) {
    const d = toDate(e.expires_at);
    const days = d ? (d.getTime() - Date.now()) / 86400000 : null;
    const expiring = days !== null && days <= EXPIRY_WARNING_DAYS;
    let when = none('unknown');
    if (d) {
      const whole = Math.floor(Math.abs(days));
      const unit = whole === 1 ? 'day' : 'days';
      when = days < 0 ? `expired ${whole} ${unit} ago` : `in ${whole} ${unit}`;
    }
    return h('tr', {class: expiring ? 'expiring' : null, 'data-name': e.name},
      h('td', null, e.what || e.name || ''),
      h('td', null, d ? h('time', {datetime: d.toISOString()}, formatDate(d)) : none('unknown')),
      h('td', null, when));
  }

  function cronRow(run) {
    const ok = run.exit_status === 0;
    return h('tr', {'data-verb': run.verb},
      h('td', null, run.verb),
      h('td', null, timeNode(run.ended_at)),
      h('td', {class: 'num'}, typeof run.duration_ms === 'number' ? `${formatNumber(run.duration_ms / 1000)} s` : none()),
      h('td', null, run.exit_status === null || run.exit_status === undefined ? none()
        : h('span', {class: `badge status-${ok ? 'ok' : 'bad'}`}, ok ? 'ok' : `exit ${run.exit_status}`)),
      h('td', {class: 'wrap'}, run.summary || none()));
  }

  async function renderDashboard(view, seq) {
    document.title = 'Dashboard \u2013 MDM console';
    view.replaceChildren(h('div', {id: 'dashboard'}, pageHead('Dashboard'), loading()));
    let d;
    try {
      d = await api('GET', '/dashboard');
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      view.replaceChildren(h('div', {id: 'dashboard'}, pageHead('Dashboard'), h('p', {class: 'muted'}, 'The dashboard could not be loaded.')));
      return;
    }
    if (!current(seq)) return;
    const total = d.devices_total;
    const runs = Array.isArray(d.cron_runs) ? d.cron_runs : [];
    const expiries = Array.isArray(d.expiries) ? d.expiries.slice() : [];
    expiries.sort((a, b) => (a.expires_at ?? Infinity) - (b.expires_at ?? Infinity));
    view.replaceChildren(h('div', {id: 'dashboard'},
      pageHead('Dashboard'),
      h('div', {class: 'stats'},
        statCard('devices-total', 'Devices', total, null, '#/devices'),
        statCard('not-seen-7d', 'Not seen for 7 days', d.not_seen_7d, 'enrolled devices'),
        statCard('not-seen-30d', 'Not seen for 30 days', d.not_seen_30d, 'enrolled devices'),
        statCard('commands-pending', 'Commands pending', d.commands_pending),
        statCard('commands-failed', 'Commands failed', d.commands_failed, 'last 7 days')),
      h('div', {class: 'grid'},
        section('by-status', 'Devices by status', countsTable(d.devices_by_status, 'Status', total)),
        section('by-os', 'Devices by OS version', countsTable(d.devices_by_os, 'OS version', total,
          (a, b) => compareVersions(a[0], b[0]))),
        section('cron', 'Periodic runs',
          runs.length === 0 ? h('p', {class: 'muted'}, 'No run recorded yet.')
            : tableWrap(h('table', {class: 'list', id: 'cron-table'},
              h('thead', null, h('tr', null, ['Run', 'Ended', 'Took', 'Outcome', 'Summary'].map((t) => h('th', {scope: 'col'}, t)))),
              h('tbody', null, runs.map(cronRow))))),
        section('expiries', 'Certificates and tokens',
          expiries.length === 0 ? h('p', {class: 'muted'}, 'None configured yet.')
            : tableWrap(h('table', {class: 'list', id: 'expiry-table'},
              h('thead', null, h('tr', null, ['What', 'Expires', ''].map((t) => h('th', {scope: 'col'}, t)))),
              h('tbody', null, expiries.map(expiryRow))))))));
  }

  // ---- devices ----------------------------------------------------------------------------

  const DEVICE_COLUMNS = [
    ['device_name', 'Name'], ['serial_number', 'Serial number'], ['model', 'Model'],
    ['os_version', 'OS'], ['status', 'Status'], ['last_seen_at', 'Last seen'], [null, 'Pending'],
  ];

  let searchTimer = null;
  let listSeq = 0;

  function deviceRow(d) {
    const name = d.device_name || d.serial_number || d.id;
    return h('tr', {'data-device-id': d.id},
      h('td', null, h('a', {href: deviceHref(d.id), class: d.device_name ? null : 'unnamed'}, name)),
      h('td', {class: 'mono'}, d.serial_number || none()),
      h('td', null, d.model || none()),
      h('td', null, d.os_version || none()),
      h('td', null, d.imported_not_seen ? h('span', {class: 'badge status-pending', title: 'Imported; the device has not contacted this server yet'}, 'imported')
        : statusBadge(d.status)),
      h('td', null, timeNode(d.last_seen_at, true)),
      h('td', {class: 'num'}, d.pending_commands ? String(d.pending_commands) : none('0')));
  }

  function updateSortHeaders(table) {
    const st = state.devices;
    for (const th of table.querySelectorAll('th[data-sort]')) {
      const active = th.dataset.sort === st.sort;
      th.setAttribute('aria-sort', active ? (st.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  async function loadDevices(seq) {
    const st = state.devices;
    const table = $('#device-table');
    if (!table) return;
    const mine = ++listSeq;
    table.classList.add('busy');
    const q = new URLSearchParams({limit: String(PAGE_SIZE), offset: String(st.offset), sort: st.sort, order: st.order});
    if (st.search !== '') q.set('search', st.search);
    let page;
    try {
      page = await api('GET', '/devices?' + q.toString());
    } catch (e) {
      if (!current(seq) || mine !== listSeq) return;
      table.classList.remove('busy');
      showError(e);
      return;
    }
    if (!current(seq) || mine !== listSeq) return;
    table.classList.remove('busy');
    if ($('#message').dataset.kind === 'error') clearMessage();
    const devices = Array.isArray(page.devices) ? page.devices : [];
    const total = Number(page.total) || 0;
    const offset = Number(page.offset) || 0;
    // A page past the end (devices went away): go back to the last one.
    if (devices.length === 0 && offset > 0 && total > 0) {
      st.offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      return loadDevices(seq);
    }
    const tbody = table.tBodies[0];
    if (devices.length === 0) {
      tbody.replaceChildren(h('tr', {class: 'empty'}, h('td', {colspan: String(DEVICE_COLUMNS.length)},
        st.search ? `No device matches \u201c${st.search}\u201d.` : 'No devices yet.')));
    } else {
      tbody.replaceChildren(...devices.map(deviceRow));
    }
    updateSortHeaders(table);
    $('#device-range').textContent = total === 0 ? '0 of 0'
      : `${offset + 1}\u2013${offset + devices.length} of ${total}`;
    $('#device-count').textContent = st.search ? `${total} found` : `${total} in all`;
    $('#page-prev').disabled = offset === 0;
    $('#page-next').disabled = offset + devices.length >= total;
  }

  function renderDevices(view, seq) {
    document.title = 'Devices \u2013 MDM console';
    const st = state.devices;
    const search = h('input', {id: 'device-search', 'data-test': 'device-search', type: 'search', maxlength: '200',
      placeholder: 'Search serial, name, UDID, model, OS', 'aria-label': 'Search devices', value: st.search,
      autocomplete: 'off', spellcheck: 'false'});
    search.addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        const text = search.value.trim();
        if (text === st.search) return;
        st.search = text;
        st.offset = 0;
        loadDevices(seq);
      }, SEARCH_DELAY_MS);
    });
    const headers = DEVICE_COLUMNS.map(([key, title]) => {
      if (!key) return h('th', {scope: 'col', class: 'num'}, title);
      const th = h('th', {scope: 'col', 'data-sort': key, 'aria-sort': 'none'},
        h('button', {type: 'button', class: 'sort', 'data-test': `sort-${key}`}, title, h('span', {class: 'sort-indicator', 'aria-hidden': 'true'})));
      th.addEventListener('click', () => {
        if (st.sort === key) st.order = st.order === 'asc' ? 'desc' : 'asc';
        else {
          st.sort = key;
          st.order = key === 'last_seen_at' ? 'desc' : 'asc';
        }
        st.offset = 0;
        loadDevices(seq);
      });
      return th;
    });
    const table = h('table', {id: 'device-table', class: 'list devices'},
      h('thead', null, h('tr', null, headers)),
      h('tbody', null, h('tr', {class: 'empty'}, h('td', {colspan: String(DEVICE_COLUMNS.length)}, 'Loading\u2026'))));
    const prev = h('button', {type: 'button', id: 'page-prev', 'data-test': 'page-prev', class: 'button secondary', disabled: true}, 'Previous');
    const next = h('button', {type: 'button', id: 'page-next', 'data-test': 'page-next', class: 'button secondary', disabled: true}, 'Next');
    prev.addEventListener('click', () => {
      st.offset = Math.max(0, st.offset - PAGE_SIZE);
      loadDevices(seq);
    });
    next.addEventListener('click', () => {
      st.offset += PAGE_SIZE;
      loadDevices(seq);
    });
    view.replaceChildren(h('div', {id: 'devices-page'},
      pageHead('Devices', h('span', {id: 'device-count', class: 'muted'})),
      h('div', {class: 'toolbar'}, search),
      tableWrap(table),
      h('div', {class: 'pager'}, prev, h('span', {id: 'device-range', 'data-test': 'device-range', class: 'range'}), next)));
    updateSortHeaders(table);
    return loadDevices(seq);
  }

  // ---- a device ---------------------------------------------------------------------------

  const IDENTITY_ORDER = ['device_name', 'serial_number', 'udid', 'id', 'model_name', 'product_name', 'model',
    'os_version', 'build_version', 'is_supervised', 'imei', 'meid', 'device_capacity', 'available_capacity',
    'battery_level', 'imported_from', 'imported_at', 'created_at', 'updated_at', 'device_information_at',
    'security_info_at'];
  const KNOWN_SECTIONS = ['device', 'device_information', 'security_info', 'enrollments', 'queue', 'recent_results',
    'profiles', 'apps', 'certificates', 'deployments', 'params', 'vpp_licences', 'declarative_status'];

  function arraySection(name, title, rows, preferred, emptyText, tableId, only) {
    const list = Array.isArray(rows) ? rows : [];
    const count = h('span', {class: 'count muted'}, ` (${list.length})`);
    const body = list.length === 0 ? h('p', {class: 'muted'}, emptyText || 'None.')
      : tableWrap(objectsTable(list, preferred, 1, tableId ? {id: tableId} : null, only), list.length > 15 ? 'scroll' : null);
    const s = section(name, title, body);
    s.querySelector('h2').append(count);
    return s;
  }

  // raw: a report of the device's, with Apple's keys.
  function objectSection(name, title, obj, emptyText, raw) {
    if (obj === null || obj === undefined) return section(name, title, h('p', {class: 'muted'}, emptyText || 'Not reported yet.'));
    if (typeof obj !== 'object') return section(name, title, h('p', null, valueNode(obj, name, 1, raw)));
    if (Array.isArray(obj)) return arraySection(name, title, obj);
    return section(name, title, tableWrap(keyValueTable(obj, null, 1, raw), Object.keys(obj).length > 25 ? 'scroll' : null));
  }

  function deviceEnrollment(page) {
    const list = Array.isArray(page.enrollments) ? page.enrollments : [];
    return list.find((e) => e.channel === 'device') || list[0] || null;
  }

  async function renderDevice(view, seq, id, keep) {
    document.title = 'Device \u2013 MDM console';
    const ctx = keep || {id, historyOffset: 0, historyEnrollment: null};
    if (!keep) view.replaceChildren(h('div', {id: 'device-page'}, h('p', {class: 'breadcrumb'}, h('a', {href: '#/devices'}, 'Devices')), loading()));
    let page;
    try {
      page = await api('GET', '/devices/' + encodeURIComponent(id));
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      if (!keep) {
        view.replaceChildren(h('div', {id: 'device-page'}, h('p', {class: 'breadcrumb'}, h('a', {href: '#/devices'}, 'Devices')),
          h('p', {class: 'muted'}, e.status === 404 ? 'There is no such device.' : 'The device could not be loaded.')));
      }
      return;
    }
    if (!current(seq)) return;
    const device = page.device && typeof page.device === 'object' ? page.device : {id};
    const enrollment = deviceEnrollment(page);
    ctx.page = page;
    ctx.device = device;
    ctx.enrollmentId = enrollment ? enrollment.id : device.id;
    if (!ctx.historyEnrollment) ctx.historyEnrollment = ctx.enrollmentId;
    const name = device.device_name || device.serial_number || device.id || id;
    document.title = `${name} \u2013 MDM console`;

    const facts = [];
    if (device.serial_number) facts.push(h('span', {class: 'mono'}, device.serial_number));
    const model = device.model_name || device.product_name || device.model;
    if (model) facts.push(h('span', null, model));
    if (device.os_version) facts.push(h('span', null, `OS ${device.os_version}`));
    if (enrollment) {
      facts.push(enrollment.imported_not_seen ? h('span', {class: 'badge status-pending'}, 'imported') : statusBadge(enrollment.status));
      facts.push(h('span', null, 'last seen ', timeNode(enrollment.last_seen_at, true)));
    }

    const multiChannel = Array.isArray(page.enrollments) && page.enrollments.length > 1;
    const known = new Set(KNOWN_SECTIONS);
    const extra = Object.keys(page).filter((k) => !known.has(k));
    const historySection = section('history', 'Command history', h('div', {class: 'history-body'}, loading()));

    const root = h('div', {id: 'device-page', 'data-device-id': device.id || id},
      h('p', {class: 'breadcrumb'}, h('a', {href: '#/devices'}, 'Devices')),
      h('div', {class: 'page-head'},
        h('h1', {id: 'device-name'}, name),
        h('p', {class: 'facts'}, facts)),
      canSendCommands() ? actionsPanel(ctx) : null,
      h('div', {class: 'grid device-grid'},
        section('identity', 'Device', tableWrap(keyValueTable(device, IDENTITY_ORDER, 1))),
        objectSection('inventory', 'Inventory', page.device_information, 'The device has not answered DeviceInformation yet.', true),
        arraySection('enrollments', 'Enrollments', page.enrollments,
          ['id', 'channel', 'status', 'last_seen_at', 'has_push_token', 'topic', 'imported_not_seen']),
        arraySection('queue', 'Queue', page.queue, null, 'No command is waiting.', 'queue-table',
          ['created_at', 'request_type', 'status', 'priority', 'sent_count', 'command_uuid',
            multiChannel ? 'enrollment_id' : null]),
        arraySection('results', 'Recent answers', page.recent_results, null, 'No answer yet.', 'results-table',
          ['result_at', 'request_type', 'status', 'error_chain', 'command_uuid', multiChannel ? 'enrollment_id' : null]),
        historySection,
        objectSection('security', 'Security', page.security_info, 'The device has not answered SecurityInfo yet.', true),
        objectSection('params', 'Parameters', page.params, 'None.', true),
        arraySection('profiles', 'Profiles', page.profiles, ['display_name', 'identifier', 'is_managed', 'uuid']),
        arraySection('certificates', 'Certificates', page.certificates, ['common_name', 'is_identity', 'sha256']),
        arraySection('deployments', 'Deployments', page.deployments, ['kind', 'identifier', 'status', 'detail', 'updated_at']),
        arraySection('vpp_licences', 'Apps and Books licences', page.vpp_licences),
        arraySection('apps', 'Apps', page.apps, ['name', 'identifier', 'version', 'build']),
        objectSection('declarative_status', 'Declarations\u2019 status', page.declarative_status, 'No report yet.', true),
        extra.map((k) => objectSection(k, label(k), page[k]))));
    view.replaceChildren(root);
    loadHistory(ctx, seq);
  }

  async function loadHistory(ctx, seq) {
    const s = $('#section-history');
    if (!s) return;
    const body = s.querySelector('.history-body');
    const enrollments = Array.isArray(ctx.page.enrollments) ? ctx.page.enrollments : [];
    if (enrollments.length === 0) {
      body.replaceChildren(h('p', {class: 'muted'}, 'The device has no enrollment.'));
      return;
    }
    let answer;
    try {
      const q = new URLSearchParams({limit: String(PAGE_SIZE), offset: String(ctx.historyOffset)});
      answer = await api('GET', `/devices/${encodeURIComponent(ctx.historyEnrollment)}/commands?${q.toString()}`);
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      body.replaceChildren(h('p', {class: 'muted'}, 'The command history could not be loaded.'));
      return;
    }
    if (!current(seq)) return;
    const commands = Array.isArray(answer.commands) ? answer.commands : [];
    const controls = [];
    if (enrollments.length > 1) {
      const select = h('select', {id: 'history-enrollment', 'aria-label': 'Enrollment'},
        enrollments.map((e) => {
          const o = h('option', {value: e.id}, `${e.channel === 'device' ? 'Device channel' : 'User channel'}: ${e.id}`);
          o.selected = e.id === ctx.historyEnrollment;
          return o;
        }));
      select.addEventListener('change', () => {
        ctx.historyEnrollment = select.value;
        ctx.historyOffset = 0;
        loadHistory(ctx, seq);
      });
      controls.push(h('div', {class: 'toolbar'}, select));
    }
    const prev = h('button', {type: 'button', id: 'history-prev', 'data-test': 'history-prev', class: 'button secondary',
      disabled: ctx.historyOffset === 0}, 'Newer');
    const next = h('button', {type: 'button', id: 'history-next', 'data-test': 'history-next', class: 'button secondary',
      disabled: !answer.more}, 'Older');
    prev.addEventListener('click', () => {
      ctx.historyOffset = Math.max(0, ctx.historyOffset - PAGE_SIZE);
      loadHistory(ctx, seq);
    });
    next.addEventListener('click', () => {
      ctx.historyOffset += PAGE_SIZE;
      loadHistory(ctx, seq);
    });
    const range = commands.length === 0 ? '' : `${ctx.historyOffset + 1}\u2013${ctx.historyOffset + commands.length}`;
    body.replaceChildren(...controls,
      commands.length === 0 ? h('p', {class: 'muted'}, ctx.historyOffset === 0 ? 'No command sent yet.' : 'No older command.')
        : tableWrap(objectsTable(commands, null, 1, {id: 'history-table'}, ['queued_at', 'request_type', 'status', 'result_at',
          'error_chain', 'command_uuid']), commands.length > 15 ? 'scroll' : null),
      (ctx.historyOffset > 0 || answer.more) ? h('div', {class: 'pager'}, prev, h('span', {class: 'range'}, range), next) : null);
  }

  // ---- device actions ---------------------------------------------------------------------

  function actionsPanel(ctx) {
    const formArea = h('div', {id: 'action-form', class: 'action-form'});
    const buttons = [];
    const button = (test, text, onClick, cls) => {
      const b = h('button', {type: 'button', class: 'button ' + (cls || 'secondary'), 'data-test': test, id: test}, text);
      b.addEventListener('click', onClick);
      buttons.push(b);
      return b;
    };
    const busy = (on) => {
      for (const b of document.querySelectorAll('#device-actions button')) b.disabled = on;
    };
    const send = async (requestType, parameters) => {
      busy(true);
      const body = {enrollment_ids: [ctx.enrollmentId], request_type: requestType};
      if (parameters && Object.keys(parameters).length > 0) body.parameters = parameters;
      const seq = state.routeSeq;
      try {
        const r = await api('POST', '/commands', body);
        if (!current(seq)) return;
        formArea.replaceChildren();
        // The page shows the new queue by the time the message says the command is queued.
        await renderDevice($('#view'), seq, ctx.id, ctx);
        if (current(seq)) showMessage(`Queued ${r.request_type || requestType} (${r.command_uuid})`, 'success');
      } catch (e) {
        if (current(seq)) showError(e);
      } finally {
        if (current(seq)) busy(false);
      }
    };
    const openForm = (form, focus) => {
      formArea.replaceChildren(form);
      if (focus) focus.focus();
    };
    const cancel = () => {
      const b = h('button', {type: 'button', class: 'button secondary', 'data-test': 'action-cancel'}, 'Cancel');
      b.addEventListener('click', () => formArea.replaceChildren());
      return b;
    };
    const field = (id, text, attrs) => [h('label', {for: id}, text),
      h('input', Object.assign({id, 'data-test': id, type: 'text', autocomplete: 'off'}, attrs || {}))];
    const messageAndPhone = (prefix) => {
      const f = {};
      const parts = [...field(`${prefix}-message`, 'Message shown on the device', {maxlength: '500'}),
        ...field(`${prefix}-phone`, 'Phone number shown on the device', {type: 'tel', maxlength: '100'})];
      f.message = parts[1];
      f.phone = parts[3];
      return [f, parts];
    };
    const put = (params, key, input) => {
      const v = input.value.trim();
      if (v !== '') params[key] = v;
    };

    button('action-refresh', 'Refresh inventory', () => send('DeviceInformation', {Queries: REFRESH_QUERIES}));
    button('action-lock', 'Lock', () => {
      const [f, parts] = messageAndPhone('lock');
      const form = h('form', {class: 'card inline-form', 'data-test': 'lock-form', id: 'lock-form'},
        h('h3', null, 'Lock the device'), parts,
        h('div', {class: 'form-actions'},
          h('button', {type: 'submit', class: 'button primary', 'data-test': 'lock-submit', id: 'lock-submit'}, 'Lock'), cancel()));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const params = {};
        put(params, 'Message', f.message);
        put(params, 'PhoneNumber', f.phone);
        send('DeviceLock', params);
      });
      openForm(form, f.message);
    });
    button('action-restart', 'Restart', () => send('RestartDevice'));
    button('action-clear-passcode', 'Clear passcode', () => send('ClearPasscode'));
    button('action-lost-mode', 'Lost mode', () => {
      const [f, parts] = messageAndPhone('lost');
      const form = h('form', {class: 'card inline-form', 'data-test': 'lost-mode-form', id: 'lost-mode-form'},
        h('h3', null, 'Enable lost mode'),
        h('p', {class: 'muted'}, 'The device locks and shows the message and phone number until lost mode is disabled.'),
        parts,
        h('div', {class: 'form-actions'},
          h('button', {type: 'submit', class: 'button primary', 'data-test': 'lost-mode-submit', id: 'lost-mode-submit'},
            'Enable lost mode'), cancel()));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const params = {};
        put(params, 'Message', f.message);
        put(params, 'PhoneNumber', f.phone);
        if (Object.keys(params).length === 0) {
          showMessage('Enter a message or a phone number for lost mode.', 'error');
          f.message.focus();
          return;
        }
        send('EnableLostMode', params);
      });
      openForm(form, f.message);
    });
    button('action-erase', 'Erase', () => {
      const serial = ctx.device.serial_number || '';
      const expected = serial || ctx.device.id || ctx.id;
      const what = serial ? 'serial number' : 'device ID';
      const input = h('input', {id: 'erase-confirm', 'data-test': 'erase-confirm', type: 'text', autocomplete: 'off',
        spellcheck: 'false', autocapitalize: 'characters'});
      const submit = h('button', {type: 'submit', class: 'button danger', 'data-test': 'erase-submit', id: 'erase-submit',
        disabled: true}, 'Erase the device');
      const matches = () => input.value.trim() === expected;
      input.addEventListener('input', () => {
        submit.disabled = !matches();
      });
      const form = h('form', {class: 'card inline-form danger-zone', 'data-test': 'erase-form', id: 'erase-form'},
        h('h3', null, 'Erase the device'),
        h('p', null, 'This erases all content and settings on the device; it cannot be undone. Type the ', what, ' ',
          h('strong', {class: 'mono'}, expected), ' to confirm.'),
        h('label', {for: 'erase-confirm'}, `The ${what}`), input,
        h('div', {class: 'form-actions'}, submit, cancel()));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (!matches()) return;
        send('EraseDevice');
      });
      openForm(form, input);
    }, 'danger-outline');

    return h('div', {class: 'card actions', id: 'device-actions', 'data-section': 'actions'},
      h('h2', {class: 'visually-hidden'}, 'Actions'),
      h('div', {class: 'action-buttons'}, buttons),
      formArea);
  }

  // ---- the catalog: shared pieces ---------------------------------------------------------

  // A table of our own columns: [title, class] headers, rows made by the caller.
  function listTable(attrs, headers, rows, emptyText) {
    return h('table', Object.assign({class: 'list'}, attrs),
      h('thead', null, h('tr', null, headers.map(([title, cls]) => h('th', {scope: 'col', class: cls}, title)))),
      h('tbody', null, rows.length === 0 ? emptyRow(headers.length, emptyText) : rows));
  }

  function emptyRow(columns, text) {
    return h('tr', {class: 'empty'}, h('td', {colspan: String(columns)}, text));
  }

  function countSection(name, title, n, ...body) {
    const s = section(name, title, body);
    s.querySelector('h2').append(h('span', {class: 'count muted'}, ` (${n})`));
    return s;
  }

  function plainList(items, itemNode, emptyText) {
    return items.length === 0 ? h('p', {class: 'muted'}, emptyText || 'None.')
      : h('ul', {class: 'plain items'}, items.map((item) => itemNode(item)));
  }

  // A form of a catalog page: a label and a control per field, in a row with the submit button.
  function formField(id, text, control) {
    return h('div', {class: 'field'}, h('label', {for: id}, text), control);
  }

  // A change made from a form: the button waits; the page reloads, then the message says what
  // changed (the page shows it by then), as the device actions do. false when refused.
  async function submitChange(seq, button, request, reload, message) {
    button.disabled = true;
    try {
      const answer = await request();
      if (!current(seq)) return false;
      await reload();
      if (current(seq)) showMessage(message(answer || {}), 'success');
      return true;
    } catch (e) {
      if (current(seq)) showError(e);
      return false;
    } finally {
      button.disabled = false;
    }
  }

  // Catalog lists are arrays of names or of objects with an identifier: both read the same.
  function catalogItem(v) {
    if (isObject(v)) return v;
    return {identifier: v === null || v === undefined ? '' : String(v)};
  }

  const arrayOf = (v) => (Array.isArray(v) ? v : []);
  const countOf = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

  // ---- groups -----------------------------------------------------------------------------

  const GROUP_COUNTS = [['devices', 'Devices'], ['serials', 'Serial numbers'], ['profiles', 'Profiles'],
    ['apps', 'Apps'], ['declarations', 'Declarations']];
  const MAX_INDENT = 8;

  // {"model": "iPad%", "os_min": "17.0"} in words, as mdmcron applies it (bounds included).
  function ruleText(rule) {
    if (rule === null || rule === undefined) return null;
    if (!isObject(rule)) return String(rule);
    const parts = [];
    if (rule.model) parts.push(`model like ${rule.model}`);
    if (rule.product) parts.push(`product like ${rule.product}`);
    if (rule.os_min && rule.os_max) parts.push(`OS ${rule.os_min} to ${rule.os_max}`);
    else if (rule.os_min) parts.push(`OS ${rule.os_min} or later`);
    else if (rule.os_max) parts.push(`OS up to ${rule.os_max}`);
    for (const [k, v] of Object.entries(rule)) {
      if (!['model', 'product', 'os_min', 'os_max'].includes(k)) parts.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    }
    return parts.length === 0 ? null : parts.join(', ');
  }

  function groupRow(g) {
    const depth = Math.max(0, Math.floor(countOf(g.depth)));
    return h('tr', {'data-group': g.name, 'data-depth': String(depth)},
      h('td', {class: `tree-name indent-${Math.min(depth, MAX_INDENT)}`},
        depth > 0 ? h('span', {class: 'tree-mark', 'aria-hidden': 'true'}, '\u2514 ') : null,
        h('a', {href: groupHref(g.name), title: g.parent ? `In ${g.parent}` : null}, g.name)),
      h('td', {class: 'wrap'}, ruleText(g.rule) || none()),
      GROUP_COUNTS.map(([key]) => h('td', {class: 'num', 'data-key': key}, String(countOf(g[key])))));
  }

  // The groups as <option>s (tree order), the selection kept when the list is loaded again.
  function fillGroupSelect(select, groups, first) {
    const kept = select.value;
    const options = groups.map((g) => h('option', {value: g.name, title: g.parent ? `In ${g.parent}` : null}, g.name));
    select.replaceChildren(...(first ? [first] : []), ...options);
    if ([...select.options].some((o) => o.value === kept)) select.value = kept;
  }

  async function renderGroups(view, seq) {
    document.title = 'Groups \u2013 MDM console';
    const total = h('span', {id: 'group-count', class: 'muted'});
    const headers = [['Name'], ['Rule'], ...GROUP_COUNTS.map(([, title]) => [title, 'num'])];
    const table = listTable({id: 'group-table', class: 'list groups'}, headers, [emptyRow(headers.length, 'Loading\u2026')]);
    let parent = null;
    let form = null;
    if (isAdmin()) {
      const name = h('input', {id: 'group-name', 'data-test': 'group-name', type: 'text', autocomplete: 'off',
        spellcheck: 'false', maxlength: '200', required: true});
      parent = h('select', {id: 'group-parent', 'data-test': 'group-parent'},
        h('option', {value: ''}, '(top level)'));
      const submit = h('button', {type: 'submit', class: 'button primary', id: 'group-create-submit',
        'data-test': 'group-create-submit'}, 'Create');
      form = h('form', {id: 'group-create', 'data-test': 'group-create', class: 'card catalog-form', novalidate: true},
        h('h2', null, 'New group'),
        h('div', {class: 'form-row'},
          formField('group-name', 'Name', name),
          formField('group-parent', 'Inside', parent),
          h('div', {class: 'field'}, submit)));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const text = name.value.trim();
        if (text === '') {
          showMessage('Enter a name for the group.', 'error');
          name.focus();
          return;
        }
        const body = {name: text, parent: parent.value};
        submitChange(seq, submit, () => api('POST', '/groups', body), async () => {
          name.value = '';
          await load();
        }, (r) => `Group ${r.created || text} created`);
      });
    }
    view.replaceChildren(h('div', {id: 'groups-page'},
      pageHead('Groups', total),
      h('p', {class: 'muted intro'}, 'A device in a group gets what the group and the groups above it carry: ' +
        'profiles, apps and declarations.'),
      form,
      tableWrap(table)));

    const load = async () => {
      const answer = await loadListInto(table, headers.length, seq, '/groups', 'groups');
      if (answer === undefined) return;
      const groups = arrayOf(answer).filter((g) => isObject(g) && typeof g.name === 'string');
      table.tBodies[0].replaceChildren(...(groups.length === 0
        ? [emptyRow(headers.length, isAdmin() ? 'No groups yet: create the first one above.' : 'No groups yet.')]
        : groups.map(groupRow)));
      total.textContent = `${groups.length} in all`;
      if (parent) fillGroupSelect(parent, groups, parent.options[0]);
    };
    return load();
  }

  function memberRow(d) {
    const name = d.device_name || d.serial_number || d.id;
    return h('tr', {'data-device-id': d.id},
      h('td', null, d.id ? h('a', {href: deviceHref(d.id), class: d.device_name ? null : 'unnamed'}, name) : none()),
      h('td', {class: 'mono'}, d.serial_number || none()),
      h('td', null, d.source ? h('span', {class: 'badge', 'data-source': d.source}, d.source) : none()));
  }

  function groupBreadcrumb() {
    return h('p', {class: 'breadcrumb'}, h('a', {href: '#/groups'}, 'Groups'));
  }

  async function renderGroup(view, seq, name, keep) {
    document.title = 'Group \u2013 MDM console';
    if (!keep) view.replaceChildren(h('div', {id: 'group-page'}, groupBreadcrumb(), loading()));
    let g;
    try {
      g = await api('GET', '/groups/' + encodeURIComponent(name));
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      if (!keep) {
        view.replaceChildren(h('div', {id: 'group-page'}, groupBreadcrumb(),
          h('p', {class: 'muted'}, e.status === 404 ? 'There is no such group.' : 'The group could not be loaded.')));
      }
      return;
    }
    if (!current(seq)) return;
    const title = typeof g.name === 'string' ? g.name : name;
    document.title = `${title} \u2013 MDM console`;
    const devices = arrayOf(g.devices).filter(isObject);
    const serials = arrayOf(g.serials);
    const children = arrayOf(g.children);
    const profiles = arrayOf(g.profiles).map(catalogItem);
    const apps = arrayOf(g.apps).map(catalogItem);
    const declarations = arrayOf(g.declarations).map(catalogItem);
    // path: the names from the top group down to this one.
    const above = arrayOf(g.path).slice(0, -1);
    if (above.length === 0 && g.parent) above.push(g.parent);

    const facts = [];
    facts.push(above.length === 0 ? h('span', null, 'top-level group')
      : h('span', {class: 'group-path'}, 'in ', above.map((p, i) => [i > 0 ? ' \u203a ' : null, h('a', {href: groupHref(p)}, p)])));
    facts.push(h('span', null, `${devices.length} ${devices.length === 1 ? 'device' : 'devices'}`));
    const rule = ruleText(g.rule);
    facts.push(h('span', {'data-test': 'group-rule'}, rule ? `rule: ${rule}` : 'no rule'));
    const inherited = above.length > 0
      ? h('p', {class: 'hint muted'}, 'Its devices also get what the groups above it carry.') : null;

    const root = h('div', {id: 'group-page', 'data-group': title},
      groupBreadcrumb(),
      h('div', {class: 'page-head'},
        h('h1', {id: 'group-title'}, title),
        h('p', {class: 'facts'}, facts)),
      isAdmin() ? addDevicePanel(seq, title) : null,
      h('div', {class: 'grid group-grid'},
        countSection('members', 'Devices', devices.length,
          devices.length === 0 ? h('p', {class: 'muted'}, 'No device in this group.')
            : tableWrap(listTable({id: 'group-members'}, [['Name'], ['Serial number'], ['Joined by']], devices.map(memberRow)),
              devices.length > 15 ? 'scroll' : null)),
        countSection('serials', 'Serial numbers', serials.length,
          h('p', {class: 'hint muted'}, 'A device with one of these serial numbers joins when it enrolls.'),
          plainList(serials, (s) => h('li', {class: 'mono', 'data-serial': String(s)}, String(s)), 'None.')),
        countSection('children', 'Groups inside', children.length,
          plainList(children, (c) => h('li', {'data-group': String(c)}, h('a', {href: groupHref(String(c))}, String(c))), 'None.')),
        countSection('profiles', 'Profiles', profiles.length, inherited,
          plainList(profiles, (p) => h('li', {'data-profile': p.identifier},
            h('a', {href: profileHref(p.identifier)}, p.display_name || p.identifier),
            p.display_name ? h('span', {class: 'muted mono small'}, ` ${p.identifier}`) : null,
            p.version !== undefined && p.version !== null ? h('span', {class: 'muted small'}, ` version ${p.version}`) : null))),
        countSection('apps', 'Apps', apps.length,
          plainList(apps, (a) => h('li', {'data-app': a.identifier}, a.name || a.identifier,
            a.name ? h('span', {class: 'muted mono small'}, ` ${a.identifier}`) : null))),
        countSection('declarations', 'Declarations', declarations.length,
          plainList(declarations, (d) => h('li', {'data-declaration': d.identifier}, h('span', {class: 'mono'}, d.identifier),
            d.type ? h('span', {class: 'muted small'}, ` ${d.type}`) : null)))));
    view.replaceChildren(root);
  }

  function addDevicePanel(seq, group) {
    const input = h('input', {id: 'group-device-id', 'data-test': 'group-device-id', type: 'text', autocomplete: 'off',
      spellcheck: 'false', autocapitalize: 'characters', maxlength: '2000'});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'group-add-device-submit',
      'data-test': 'group-add-device-submit'}, 'Add');
    const form = h('form', {id: 'group-add-device', 'data-test': 'group-add-device', class: 'card catalog-form', novalidate: true},
      h('h2', null, 'Add devices'),
      h('div', {class: 'form-row'},
        formField('group-device-id', 'Device ID or serial number', input),
        h('div', {class: 'field'}, submit)),
      h('p', {class: 'hint muted'}, 'Several: separate them with spaces or commas.'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const ids = input.value.split(/[\s,]+/).filter((x) => x !== '');
      if (ids.length === 0) {
        showMessage('Enter a device ID or a serial number.', 'error');
        input.focus();
        return;
      }
      submitChange(seq, submit, () => api('POST', `/groups/${encodeURIComponent(group)}/devices`, {device_ids: ids}),
        () => renderGroup($('#view'), seq, group, true),
        (r) => `Added ${countOf(r.added)} device(s) to ${group}`);
    });
    return form;
  }

  // ---- profiles ---------------------------------------------------------------------------

  const PROFILE_TYPE = 'application/x-apple-aspen-config';
  const DEPLOYMENT_STATES = ['installed', 'pending', 'failed', 'held', 'removing'];

  function groupLinks(groups) {
    const names = arrayOf(groups).map(String);
    if (names.length === 0) return none('none');
    return names.map((n, i) => [i > 0 ? ', ' : null, h('a', {href: groupHref(n), 'data-group': n}, n)]);
  }

  // A count of devices in a state; failed and held ones stand out when there are any.
  function stateCell(status, n) {
    const cls = n > 0 && (status === 'failed' || status === 'held') ? ` state-${status}` : '';
    return h('td', {class: 'num' + cls, 'data-key': status}, String(n));
  }

  function profileRow(p) {
    const d = isObject(p.deployments) ? p.deployments : {};
    return h('tr', {'data-profile': p.identifier},
      h('td', null, h('a', {href: profileHref(p.identifier), class: p.display_name ? null : 'unnamed'}, p.display_name || p.identifier)),
      h('td', {class: 'mono small'}, p.identifier),
      h('td', {class: 'num'}, p.version === undefined || p.version === null ? none() : String(p.version)),
      h('td', {class: 'wrap'}, groupLinks(p.groups)),
      ['installed', 'pending', 'failed', 'held'].map((s) => stateCell(s, countOf(d[s]))));
  }

  function readFile(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.addEventListener('load', () => resolve(reader.result));
      reader.addEventListener('error', () => reject(new ApiError(0, `The file ${file.name} could not be read.`)));
      reader.readAsArrayBuffer(file);
    });
  }

  async function renderProfiles(view, seq) {
    document.title = 'Profiles \u2013 MDM console';
    const total = h('span', {id: 'profile-count', class: 'muted'});
    const headers = [['Name'], ['Identifier'], ['Version', 'num'], ['Groups'], ['Installed', 'num'], ['Pending', 'num'],
      ['Failed', 'num'], ['Held', 'num']];
    const table = listTable({id: 'profile-table', class: 'list profiles'}, headers, [emptyRow(headers.length, 'Loading\u2026')]);
    let form = null;
    if (isAdmin()) {
      const file = h('input', {type: 'file', id: 'profile-file', 'data-test': 'profile-file',
        accept: `.mobileconfig,${PROFILE_TYPE}`});
      const submit = h('button', {type: 'submit', class: 'button primary', id: 'profile-upload-submit',
        'data-test': 'profile-upload-submit'}, 'Upload');
      form = h('form', {id: 'profile-upload', 'data-test': 'profile-upload', class: 'card catalog-form', novalidate: true},
        h('h2', null, 'Add or edit a profile'),
        h('div', {class: 'form-row'},
          formField('profile-file', 'Configuration profile (.mobileconfig)', file),
          h('div', {class: 'field'}, submit)),
        h('p', {class: 'hint muted'}, 'XML, binary or signed. A profile with the PayloadIdentifier of one already here ' +
          'replaces it: its devices get the new version.'));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const chosen = file.files && file.files[0];
        if (!chosen) {
          showMessage('Choose a .mobileconfig file to upload.', 'error');
          file.focus();
          return;
        }
        if (chosen.size === 0) {
          showMessage(`The file ${chosen.name} is empty.`, 'error');
          return;
        }
        submitChange(seq, submit,
          async () => api('POST', '/profiles', await readFile(chosen), {contentType: PROFILE_TYPE}),
          async () => {
            file.value = '';
            await load();
          },
          (r) => `Profile ${r.identifier} ${r.change || 'added'}` +
            (r.version !== undefined && r.version !== null ? ` (version ${r.version})` : ''));
      });
    }
    view.replaceChildren(h('div', {id: 'profiles-page'},
      pageHead('Profiles', total),
      form,
      tableWrap(table)));

    const load = async () => {
      const answer = await loadListInto(table, headers.length, seq, '/profiles', 'profiles');
      if (answer === undefined) return;
      const profiles = arrayOf(answer).filter((p) => isObject(p) && typeof p.identifier === 'string');
      table.tBodies[0].replaceChildren(...(profiles.length === 0
        ? [emptyRow(headers.length, isAdmin() ? 'No profiles yet: upload the first one above.' : 'No profiles yet.')]
        : profiles.map(profileRow)));
      total.textContent = `${profiles.length} in all`;
    };
    return load();
  }

  function profileBreadcrumb() {
    return h('p', {class: 'breadcrumb'}, h('a', {href: '#/profiles'}, 'Profiles'));
  }

  function profileDeviceRow(d) {
    return h('tr', {'data-device-id': d.device_id, 'data-status': d.status},
      h('td', null, d.device_id
        ? h('a', {href: deviceHref(d.device_id), class: d.device_name ? null : 'unnamed'}, d.device_name || d.device_id) : none()),
      h('td', null, statusBadge(d.status)),
      h('td', {class: 'wrap'}, d.detail === null || d.detail === undefined || d.detail === '' ? none()
        : (typeof d.detail === 'object' ? JSON.stringify(d.detail) : String(d.detail))),
      h('td', null, timeNode(d.updated_at, true)));
  }

  async function renderProfile(view, seq, identifier, keep) {
    document.title = 'Profile \u2013 MDM console';
    if (!keep) view.replaceChildren(h('div', {id: 'profile-page'}, profileBreadcrumb(), loading()));
    // The groups for the assign form, asked at the same time (an error is shown below).
    const groupsAnswer = isAdmin() ? api('GET', '/groups').catch((e) => e) : null;
    let p;
    try {
      p = await api('GET', '/profiles/' + encodeURIComponent(identifier));
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      if (!keep) {
        view.replaceChildren(h('div', {id: 'profile-page'}, profileBreadcrumb(),
          h('p', {class: 'muted'}, e.status === 404 ? 'There is no such profile.' : 'The profile could not be loaded.')));
      }
      return;
    }
    const groups = await groupsAnswer;
    if (!current(seq)) return;
    const id = typeof p.identifier === 'string' ? p.identifier : identifier;
    const title = p.display_name || id;
    document.title = `${title} \u2013 MDM console`;
    const deployments = isObject(p.deployments) ? p.deployments : {};
    const devices = arrayOf(p.devices).filter(isObject);
    const assigned = arrayOf(p.groups).map(String);

    const facts = [h('span', {class: 'mono'}, id)];
    if (p.version !== undefined && p.version !== null) facts.push(h('span', null, `version ${p.version}`));
    facts.push(h('span', null, p.signer ? `signed by ${p.signer}` : 'unsigned'));
    if (p.updated_at) facts.push(h('span', null, 'changed ', timeNode(p.updated_at, true)));

    const details = {};
    for (const k of ['identifier', 'display_name', 'payload_uuid', 'version', 'signer', 'placeholders', 'content_hash',
      'created_at', 'updated_at']) {
      if (Object.prototype.hasOwnProperty.call(p, k)) details[k] = p[k];
    }
    const xml = h('pre', {id: 'profile-xml', class: 'xml'});
    xml.textContent = typeof p.xml === 'string' ? p.xml : '';

    const root = h('div', {id: 'profile-page', 'data-profile': id},
      profileBreadcrumb(),
      h('div', {class: 'page-head'},
        h('h1', {id: 'profile-title'}, title),
        h('p', {class: 'facts'}, facts)),
      isAdmin() ? assignPanel(seq, id, groups, assigned) : null,
      h('div', {class: 'stats', id: 'profile-states'},
        DEPLOYMENT_STATES.map((s) => statCard(`profile-${s}`, label(s), countOf(deployments[s])))),
      h('div', {class: 'grid profile-grid'},
        section('details', 'Profile', tableWrap(keyValueTable(details, null, 1))),
        countSection('groups', 'Groups', assigned.length,
          assigned.length === 0 ? h('p', {class: 'muted'}, 'In no group: no device gets it.')
            : h('ul', {class: 'plain items'}, assigned.map((n) => h('li', {'data-group': n}, h('a', {href: groupHref(n)}, n))))),
        countSection('devices', 'Devices', devices.length,
          devices.length === 0 ? h('p', {class: 'muted'}, 'No device has it or waits for it yet.')
            : tableWrap(listTable({id: 'profile-devices'}, [['Device'], ['Status'], ['Detail'], ['Updated']],
              devices.map(profileDeviceRow)), devices.length > 15 ? 'scroll' : null)),
        section('content', 'Content',
          typeof p.xml === 'string' && p.xml !== ''
            ? h('details', {class: 'xml-details', id: 'profile-xml-details'}, h('summary', null, 'Show the profile (XML)'), xml)
            : h('p', {class: 'muted'}, 'No content.'))));
    view.replaceChildren(root);
  }

  function assignPanel(seq, identifier, groups, assigned) {
    const select = h('select', {id: 'profile-group', 'data-test': 'profile-group'});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'profile-assign-submit',
      'data-test': 'profile-assign-submit'}, 'Assign');
    const form = h('form', {id: 'profile-assign', 'data-test': 'profile-assign', class: 'card catalog-form', novalidate: true},
      h('h2', null, 'Assign to a group'),
      h('div', {class: 'form-row'}, formField('profile-group', 'Group', select), h('div', {class: 'field'}, submit)));
    if (groups instanceof Error) {
      showError(groups);
      select.disabled = true;
      submit.disabled = true;
      form.append(h('p', {class: 'hint muted'}, 'The groups could not be loaded.'));
    } else {
      const list = arrayOf(groups).filter((g) => isObject(g) && typeof g.name === 'string');
      fillGroupSelect(select, list);
      // The first group that does not have the profile yet.
      const next = list.find((g) => !assigned.includes(g.name));
      if (next) select.value = next.name;
      if (list.length === 0) {
        select.disabled = true;
        submit.disabled = true;
        form.append(h('p', {class: 'hint muted'}, 'No group yet: create one on the ', h('a', {href: '#/groups'}, 'Groups'), ' page.'));
      }
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const group = select.value;
      if (group === '') return;
      submitChange(seq, submit,
        () => api('POST', `/profiles/${encodeURIComponent(identifier)}/groups`, {groups: [group]}),
        () => renderProfile($('#view'), seq, identifier, true),
        (r) => (r.assigned === 0 ? `Assigned to ${group} already: nothing changed` : `Assigned to ${group}`));
    });
    return form;
  }

  // ---- audit log --------------------------------------------------------------------------

  function detailText(detail) {
    if (detail === null || detail === undefined) return none();
    if (typeof detail !== 'object') return String(detail);
    const parts = Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`);
    return parts.length === 0 ? none() : parts.join(', ');
  }

  async function renderAudit(view, seq) {
    document.title = 'Audit log \u2013 MDM console';
    const st = state.audit;
    const table = h('table', {id: 'audit-table', class: 'list'},
      h('thead', null, h('tr', null, ['When', 'Who', 'What', 'Device', 'Detail'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', null, h('tr', {class: 'empty'}, h('td', {colspan: '5'}, 'Loading\u2026'))));
    const prev = h('button', {type: 'button', id: 'audit-prev', 'data-test': 'audit-prev', class: 'button secondary', disabled: true}, 'Newer');
    const next = h('button', {type: 'button', id: 'audit-next', 'data-test': 'audit-next', class: 'button secondary', disabled: true}, 'Older');
    const range = h('span', {class: 'range', id: 'audit-range'});
    view.replaceChildren(h('div', {id: 'audit-page'}, pageHead('Audit log'), tableWrap(table), h('div', {class: 'pager'}, prev, range, next)));
    const load = async () => {
      table.classList.add('busy');
      let answer;
      try {
        answer = await api('GET', `/audit?limit=${PAGE_SIZE}&offset=${st.offset}`);
      } catch (e) {
        if (!current(seq)) return;
        table.classList.remove('busy');
        showError(e);
        table.tBodies[0].replaceChildren(h('tr', {class: 'empty'}, h('td', {colspan: '5'}, 'The audit log could not be loaded.')));
        return;
      }
      if (!current(seq)) return;
      table.classList.remove('busy');
      const entries = Array.isArray(answer.entries) ? answer.entries : [];
      if (entries.length === 0 && st.offset > 0) {
        st.offset = 0;
        return load();
      }
      table.tBodies[0].replaceChildren(...(entries.length === 0
        ? [h('tr', {class: 'empty'}, h('td', {colspan: '5'}, 'Nothing recorded yet.'))]
        : entries.map((e) => h('tr', {'data-audit-id': e.id},
          h('td', {class: 'nowrap'}, timeNode(e.at)),
          h('td', null, e.actor || none()),
          h('td', null, e.action || none()),
          h('td', null, e.device_id ? h('a', {href: deviceHref(e.device_id)}, e.device_id) : none()),
          h('td', {class: 'wrap mono small'}, detailText(e.detail))))));
      range.textContent = entries.length === 0 ? '' : `${st.offset + 1}\u2013${st.offset + entries.length}`;
      prev.disabled = st.offset === 0;
      next.disabled = !answer.more;
    };
    prev.addEventListener('click', () => {
      st.offset = Math.max(0, st.offset - PAGE_SIZE);
      load();
    });
    next.addEventListener('click', () => {
      st.offset += PAGE_SIZE;
      load();
    });
    return load();
  }

  // ---- start ------------------------------------------------------------------------------

  async function start() {
    $('#logout').addEventListener('click', logout);
    try {
      setSession(await api('GET', '/session', undefined, {noRedirect: true}));
    } catch (e) {
      setSession(null);
      state.flash = {text: e.status === 401 ? SESSION_ENDED : e.message, kind: 'error'};
    }
    window.addEventListener('hashchange', () => route());
    route();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
