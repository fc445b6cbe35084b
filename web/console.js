// The operator's web console: a single page, hash-routed, that reads and changes everything
// through the admin API (/api-mdm.php/v1) with the session cookie the server sets.
//
// Rules this file keeps (the page's Content-Security-Policy enforces some of them):
//   - no inline script or style, no eval, no innerHTML or similar: every piece of data reaches
//     the page through createElement and textContent, so a device named "<script>" is text;
//   - the CSRF token lives in memory only (state.session), never in storage;
//   - hrefs are only ever our own "#/..." routes (and the blob: URL of a file being saved).
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
    depDevices: {offset: 0, search: ''},  // the ABM devices not enrolled (devices page, second tab)
    commandTypes: null,     // a promise of GET /command-types, asked once
    apiUrlWarning: null,    // {url, text}: the server's warning about the API URL just set
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
    payload_uuid: 'PayloadUUID', itunes_store_id: 'App Store ID', vpp_location: 'Apps and Books location',
    licences_here: 'Licences here, by state',
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
    valid: 'ok', invalid: 'bad',  // a declaration in a device's status report
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

  // One request to the admin API with the session's CSRF token; what api() and download()
  // share. {error} answers become an ApiError with the server's sentence. A 401 (except a wrong
  // password at login) ends the session in the page and shows the login page. Returns the
  // Response of a successful answer, its body not read yet.
  // options.contentType: the body is sent as it is (an ArrayBuffer, say) with that type.
  async function request(method, path, body, opts, accept) {
    const headers = {Accept: accept};
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
    if (res.ok) return res;
    const data = parseJson(await res.text());
    const message = data && typeof data.error === 'string' && data.error !== ''
      ? data.error : `The server answered HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}.`;
    if (res.status === 401 && !opts.login && !opts.noRedirect) {
      sessionEnded();
      throw new ApiError(401, message, true);
    }
    throw new ApiError(res.status, message);
  }

  function parseJson(text) {
    if (text === '') return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  // JSON in and out (see request() for errors and options).
  async function api(method, path, body, options) {
    const res = await request(method, path, body, options || {}, 'application/json');
    const data = parseJson(await res.text());
    if (data === null || typeof data !== 'object') throw new ApiError(res.status, 'The server sent an answer that is not JSON.');
    return data;
  }

  // A file the server makes (a signed profile, a CSR), saved by the browser as `filename`; the
  // Blob is returned. Errors as api()'s: they come as JSON.
  async function download(method, path, body, filename) {
    const res = await request(method, path, body, {}, '*/*');
    const blob = await res.blob();
    saveBlob(blob, filename);
    return blob;
  }

  // The browser's own "save as": a temporary link to an object URL, clicked. The URL is revoked
  // a moment later, once the browser has started reading it.
  function saveBlob(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = h('a', {download: filename, hidden: true});
    a.href = url;  // not through h(), which links only routes of the console
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
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
    if (parts.length === 1 && ['login', 'dashboard', 'devices', 'groups', 'profiles', 'apps', 'declarations', 'audit', 'enroll',
      'settings'].includes(parts[0])) {
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
  const ITEM_ROUTES = new Map([['devices', 'device'], ['groups', 'group'], ['profiles', 'profile'], ['apps', 'app'],
    ['declarations', 'declaration']]);
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

  function appHref(identifier) {
    return '#/apps/' + encodeURIComponent(identifier);
  }

  function declarationHref(identifier) {
    return '#/declarations/' + encodeURIComponent(identifier);
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
      case 'apps': return renderApps(view, seq);
      case 'app': return renderApp(view, seq, r.id);
      case 'declarations': return renderDeclarations(view, seq);
      case 'declaration': return renderDeclaration(view, seq, r.id);
      case 'audit': return renderAudit(view, seq);
      case 'enroll': return renderEnroll(view, seq);
      case 'settings': return renderSettings(view, seq);
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
    // Those who send commands also enroll devices; settings are an admin's.
    $('#nav-enroll-item').hidden = !canSendCommands();
    $('#nav-settings-item').hidden = !isAdmin();
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

  // Certificates and tokens with their expiry, red within EXPIRY_WARNING_DAYS (dashboard, settings).
  function expiryTable(expiries, id) {
    return tableWrap(h('table', {class: 'list expiries', id},
      h('thead', null, h('tr', null, ['What', 'Expires', ''].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', null, expiries.map(expiryRow))));
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
            : expiryTable(expiries, 'expiry-table')))));
  }

  // ---- devices ----------------------------------------------------------------------------

  const DEVICE_COLUMNS = [
    ['device_name', 'Name'], ['serial_number', 'Serial number'], ['model', 'Model'],
    ['os_version', 'OS'], ['status', 'Status'], ['last_seen_at', 'Last seen'], [null, 'Pending'],
  ];
  const DEP_COLUMNS = ['Serial number', 'Model', 'Description', 'Colour', 'OS', 'Profile', 'Last change', 'Source'];

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

  // A device of Apple Business/School Manager (or registered by an operator) not enrolled yet.
  function depRow(d) {
    const text = (v) => (v === null || v === undefined || v === '' ? none() : String(v));
    return h('tr', {'data-serial': d.serial_number},
      h('td', {class: 'mono'}, text(d.serial_number)),
      h('td', null, text(d.model)),
      h('td', {class: 'wrap'}, text(d.description)),
      h('td', null, text(d.color)),
      h('td', null, text(d.os)),
      h('td', null, text(d.profile_status)),
      h('td', null, d.op_type ? [String(d.op_type), ' ', timeNode(d.op_date, true)] : none()),
      h('td', null, d.source ? h('span', {class: 'badge', 'data-source': d.source}, d.source) : none()));
  }

  function updateSortHeaders(table) {
    const st = state.devices;
    for (const th of table.querySelectorAll('th[data-sort]')) {
      const active = th.dataset.sort === st.sort;
      th.setAttribute('aria-sort', active ? (st.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  // One page of a list paged and searched on the server (devices, ABM devices) into its table
  // and pager. A late answer (the page or the list moved on) is dropped; a page past the end
  // (devices went away) goes back to the last one. o: {st: {offset, search}, path, params
  // (more of the query), table, columns, row(device), empty, count, pager, after()}
  async function loadPaged(seq, o) {
    const st = o.st;
    const mine = ++listSeq;
    o.table.classList.add('busy');
    const q = new URLSearchParams(Object.assign({limit: String(PAGE_SIZE), offset: String(st.offset)}, o.params || {}));
    if (st.search !== '') q.set('search', st.search);
    let page;
    try {
      page = await api('GET', `${o.path}?${q.toString()}`);
    } catch (e) {
      if (!current(seq) || mine !== listSeq) return;
      o.table.classList.remove('busy');
      showError(e);
      return;
    }
    if (!current(seq) || mine !== listSeq) return;
    o.table.classList.remove('busy');
    if ($('#message').dataset.kind === 'error') clearMessage();
    const devices = arrayOf(page.devices).filter(isObject);
    const total = Number(page.total) || 0;
    const offset = Number(page.offset) || 0;
    if (devices.length === 0 && offset > 0 && total > 0) {
      st.offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      return loadPaged(seq, o);
    }
    o.table.tBodies[0].replaceChildren(...(devices.length === 0
      ? [emptyRow(o.columns, st.search ? `No device matches \u201c${st.search}\u201d.` : o.empty)] : devices.map(o.row)));
    if (o.after) o.after();
    o.pager.range.textContent = total === 0 ? '0 of 0' : `${offset + 1}\u2013${offset + devices.length} of ${total}`;
    o.count.textContent = st.search ? `${total} found` : `${total} in all`;
    o.pager.prev.disabled = offset === 0;
    o.pager.next.disabled = offset + devices.length >= total;
  }

  // The search box of a paged list: the list reloads from its first page once typing pauses.
  function searchBox(attrs, st, reload) {
    const search = h('input', Object.assign({type: 'search', maxlength: '200', value: st.search, autocomplete: 'off',
      spellcheck: 'false'}, attrs));
    search.addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => {
        const text = search.value.trim();
        if (text === st.search) return;
        st.search = text;
        st.offset = 0;
        reload();
      }, SEARCH_DELAY_MS);
    });
    return search;
  }

  // Previous and next of a paged list with the range between them. ids: [prev, next, range].
  function pagerControls(ids, st, reload) {
    const prev = h('button', {type: 'button', id: ids[0], 'data-test': ids[0], class: 'button secondary', disabled: true},
      'Previous');
    const next = h('button', {type: 'button', id: ids[1], 'data-test': ids[1], class: 'button secondary', disabled: true}, 'Next');
    const range = h('span', {id: ids[2], 'data-test': ids[2], class: 'range'});
    prev.addEventListener('click', () => {
      st.offset = Math.max(0, st.offset - PAGE_SIZE);
      reload();
    });
    next.addEventListener('click', () => {
      st.offset += PAGE_SIZE;
      reload();
    });
    return {prev, next, range, node: h('div', {class: 'pager'}, prev, range, next)};
  }

  // The two lists of the devices page, as links (#/devices?tab=abm): the browser's back works.
  function deviceTabs(abm) {
    const tab = (href, text, selected, test) => h('a', {href, class: 'tab', 'data-test': test,
      'aria-current': selected ? 'page' : null}, text);
    return h('nav', {class: 'tabs', 'aria-label': 'Device lists'},
      tab('#/devices', 'Enrolled', !abm, 'devices-tab-enrolled'),
      tab('#/devices?tab=abm', 'In Apple Business Manager, not enrolled', abm, 'devices-tab-abm'));
  }

  function sortHeaders(reload) {
    const st = state.devices;
    return DEVICE_COLUMNS.map(([key, title]) => {
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
        reload();
      });
      return th;
    });
  }

  function renderDevices(view, seq) {
    document.title = 'Devices \u2013 MDM console';
    clearTimeout(searchTimer);
    const abm = new URLSearchParams(location.hash.split('?')[1] || '').get('tab') === 'abm';
    const st = abm ? state.depDevices : state.devices;
    const count = h('span', {id: 'device-count', class: 'muted'});
    const o = abm
      ? {st, path: '/dep-devices', columns: DEP_COLUMNS.length, row: depRow, count,
        empty: 'Every device of Apple Business or School Manager has enrolled.'}
      : {st, path: '/devices', columns: DEVICE_COLUMNS.length, row: deviceRow, count, empty: 'No devices yet.'};
    const reload = () => {
      if (!abm) o.params = {sort: st.sort, order: st.order};  // the sort as the headers left it
      return loadPaged(seq, o);
    };
    o.table = h('table', {id: abm ? 'dep-table' : 'device-table', class: 'list devices'},
      h('thead', null, h('tr', null, abm ? DEP_COLUMNS.map((t) => h('th', {scope: 'col'}, t)) : sortHeaders(reload))),
      h('tbody', null, emptyRow(o.columns, 'Loading\u2026')));
    if (!abm) o.after = () => updateSortHeaders(o.table);
    o.pager = pagerControls(abm ? ['dep-prev', 'dep-next', 'dep-range'] : ['page-prev', 'page-next', 'device-range'], st, reload);
    const search = abm
      ? searchBox({id: 'dep-search', 'data-test': 'dep-search', placeholder: 'Search serial, model, description, OS',
        'aria-label': 'Search devices not enrolled'}, st, reload)
      : searchBox({id: 'device-search', 'data-test': 'device-search', placeholder: 'Search serial, name, UDID, model, OS',
        'aria-label': 'Search devices'}, st, reload);
    view.replaceChildren(h('div', {id: 'devices-page', 'data-tab': abm ? 'abm' : 'enrolled'},
      pageHead('Devices', count),
      deviceTabs(abm),
      abm ? h('p', {class: 'muted intro'}, 'Devices Apple Business or School Manager assigned to this server (and ' +
        'those registered by serial number) that have not enrolled yet: they enroll when set up.') : null,
      h('div', {class: 'toolbar'}, search),
      tableWrap(o.table),
      o.pager.node));
    if (!abm) updateSortHeaders(o.table);
    return reload();
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
    button('action-other', 'Other command\u2026', () => openCommandForm(ctx, openForm, send, cancel));
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

  // ---- any command (the device page's "Other command") -------------------------------------

  const SCALAR_TYPES = ['string', 'integer', 'boolean', 'real', 'data', 'date'];
  const KEY_PLACEHOLDERS = {data: 'base64', date: '2026-01-02T03:04:05Z'};
  const DATE_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
  const BASE64_RE = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

  // A value typed in the command form that cannot be sent; its message is one sentence.
  class Refusal extends Error {}

  // GET /command-types, asked once: the schema is the server's and the same for everyone. A
  // failure is not kept, so the next form asks again.
  function commandTypes() {
    if (!state.commandTypes) {
      state.commandTypes = api('GET', '/command-types').catch((e) => {
        state.commandTypes = null;
        throw e;
      });
    }
    return state.commandTypes;
  }

  // Text typed for a scalar of `type` as the admin API takes it (data as base64 and dates as
  // text; the server converts them).
  function scalarValue(type, text, name) {
    switch (type) {
      case 'integer':
        if (!/^-?\d+$/.test(text)) throw new Refusal(`${name} must be a whole number, not \u201c${text}\u201d.`);
        return Number(text);
      case 'real':
        if (text === '' || !Number.isFinite(Number(text))) throw new Refusal(`${name} must be a number, not \u201c${text}\u201d.`);
        return Number(text);
      case 'boolean':
        if (/^(true|yes|1)$/i.test(text)) return true;
        if (/^(false|no|0)$/i.test(text)) return false;
        throw new Refusal(`${name} must be true or false, not \u201c${text}\u201d.`);
      case 'date':
        if (!DATE_RE.test(text)) throw new Refusal(`${name} must be a UTC date such as 2026-01-02T03:04:05Z.`);
        return text;
      case 'data':
        if (!BASE64_RE.test(text)) throw new Refusal(`${name} must be base64 (A\u2013Z, a\u2013z, 0\u20139, + and /).`);
        return text.replace(/\s+/g, '');
      default:
        return text;
    }
  }

  // The type of the elements of an array typed as a comma-separated list; null when its
  // elements are dictionaries or unknown (JSON then).
  function listElementType(key) {
    const sub = arrayOf(key.subkeys);
    return key.type === 'array' && sub.length === 1 && SCALAR_TYPES.includes(sub[0].type) ? sub[0].type : null;
  }

  function unsetOption() {
    return h('option', {value: ''}, '(not set)');
  }

  // The control of one key of a command and how its value is read: read() gives the value to
  // send, undefined when left empty, or throws a Refusal.
  function keyControl(key, attrs) {
    const allowed = arrayOf(key.allowed).map(String);
    const elementType = listElementType(key);
    if (key.type === 'boolean') {
      // Three states: a checkbox could not leave an optional key out.
      const control = h('select', attrs, unsetOption(), h('option', {value: 'true'}, 'true'), h('option', {value: 'false'}, 'false'));
      return {control, read: () => (control.value === '' ? undefined : control.value === 'true')};
    }
    if (allowed.length > 0 && SCALAR_TYPES.includes(key.type)) {
      const control = h('select', attrs, unsetOption(), allowed.map((v) => h('option', {value: v}, v)));
      return {control, read: () => (control.value === '' ? undefined : scalarValue(key.type, control.value, key.name))};
    }
    if (key.type === 'integer' || key.type === 'real') {
      const control = h('input', Object.assign({type: 'number', step: key.type === 'integer' ? '1' : 'any'}, attrs));
      return {control, read: () => {
        // A number field holds "" for text that is not a number: badInput tells it from empty.
        if (control.validity.badInput) throw new Refusal(`${key.name} must be a number.`);
        const text = control.value.trim();
        return text === '' ? undefined : scalarValue(key.type, text, key.name);
      }};
    }
    if (SCALAR_TYPES.includes(key.type) || elementType) {
      const control = h('input', Object.assign({type: 'text', spellcheck: 'false',
        placeholder: elementType ? `comma-separated${KEY_PLACEHOLDERS[elementType] ? ` (${KEY_PLACEHOLDERS[elementType]})` : ''}`
          : KEY_PLACEHOLDERS[key.type]}, attrs));
      return {control, read: () => {
        const text = key.type === 'string' ? control.value : control.value.trim();
        if (text.trim() === '') return undefined;
        if (!elementType) return scalarValue(key.type, text, key.name);
        return text.split(',').map((x) => x.trim()).filter((x) => x !== '').map((x) => scalarValue(elementType, x, key.name));
      }};
    }
    // Dictionaries, arrays of dictionaries, anything: JSON.
    const control = h('textarea', Object.assign({rows: '4', spellcheck: 'false',
      placeholder: key.type === 'dictionary' ? '{ }' : (key.type === 'array' ? '[ ]' : 'JSON')}, attrs));
    return {control, read: () => {
      if (control.value.trim() === '') return undefined;
      const parsed = parseJsonText(control.value, key.name);
      if (parsed.refusal) throw new Refusal(parsed.refusal);
      if (key.type === 'dictionary' && !isObject(parsed.value)) throw new Refusal(`${key.name} must be a JSON object, { \u2026 }.`);
      if (key.type === 'array' && !Array.isArray(parsed.value)) throw new Refusal(`${key.name} must be a JSON array, [ \u2026 ].`);
      return parsed.value;
    }};
  }

  // One key of a command as a labelled field: {node, name, required, read, focus}.
  function commandField(key) {
    const id = `command-key-${key.name}`;
    const {control, read} = keyControl(key, {id, 'data-test': id, 'data-key': key.name, autocomplete: 'off'});
    const known = arrayOf(key.subkeys).map((k) => k.name).filter(Boolean);
    const hint = key.type === 'dictionary' && known.length > 0 ? `Keys: ${known.join(', ')}` : null;
    const node = h('div', {class: 'field command-field' + (control.tagName === 'TEXTAREA' ? ' wide' : ''),
      'data-required': key.required ? 'true' : null},
      h('label', {for: id}, key.name, h('span', {class: 'muted small'}, ` ${key.type}`),
        key.required ? h('span', {class: 'required'}, ' required') : null),
      control,
      hint ? h('span', {class: 'hint muted'}, hint) : null);
    return {node, name: key.name, required: Boolean(key.required), read, focus: () => control.focus()};
  }

  // The parameters the form's fields hold, or a Refusal's sentence (shown; nothing is sent).
  function commandParameters(fields) {
    const parameters = {};
    for (const f of fields) {
      let value;
      try {
        value = f.read();
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        return {refusal: e.message, field: f};
      }
      if (value === undefined) {
        if (f.required) return {refusal: `Enter ${f.name}: the command needs it.`, field: f};
        continue;  // unset optional keys are left out
      }
      parameters[f.name] = value;
    }
    return {parameters};
  }

  // The form of any command the device's channel takes, made from the server's schema. open,
  // send and cancel: the actions panel's.
  async function openCommandForm(ctx, open, send, cancel) {
    const enrollment = arrayOf(ctx.page.enrollments).find((e) => isObject(e) && e.id === ctx.enrollmentId);
    const channel = enrollment && enrollment.channel === 'user' ? 'user_channel' : 'device_channel';
    const select = h('select', {id: 'command-type', 'data-test': 'command-type', disabled: true},
      h('option', {value: ''}, 'Loading\u2026'));
    const area = h('div', {class: 'form-row command-fields', id: 'command-fields'});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'command-submit', 'data-test': 'command-submit',
      disabled: true}, 'Send');
    const form = h('form', {class: 'card inline-form command-form', id: 'command-form', 'data-test': 'command-form',
      novalidate: true},
      h('h3', null, 'Send another command'),
      formField('command-type', 'Request type', select),
      area,
      h('div', {class: 'form-actions'}, submit, cancel()));
    open(form);
    let types;
    try {
      types = await commandTypes();
    } catch (e) {
      if (form.isConnected) showError(e);
      return;
    }
    if (!form.isConnected) return;
    const usable = arrayOf(types).filter((t) => isObject(t) && typeof t.request_type === 'string' && t[channel]);
    select.replaceChildren(h('option', {value: ''}, 'Choose\u2026'),
      ...usable.map((t) => h('option', {value: t.request_type}, t.request_type)));
    select.disabled = false;
    select.focus();
    let fields = [];
    select.addEventListener('change', () => {
      const type = usable.find((t) => t.request_type === select.value);
      fields = type ? arrayOf(type.keys).filter((k) => isObject(k) && typeof k.name === 'string').map(commandField) : [];
      area.replaceChildren(...(!type ? [] : fields.length === 0 ? [h('p', {class: 'muted'}, 'It takes no parameters.')]
        : fields.map((f) => f.node)));
      submit.disabled = !type;
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (select.value === '') return;
      const r = commandParameters(fields);
      if (r.refusal) {
        showMessage(r.refusal, 'error');
        r.field.focus();
        return;
      }
      send(select.value, r.parameters);
    });
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

  function breadcrumb(href, text) {
    return h('p', {class: 'breadcrumb'}, h('a', {href}, text));
  }

  // The head of an item's page: its name, and short facts under it.
  function itemHead(titleId, title, facts) {
    return h('div', {class: 'page-head'}, h('h1', {id: titleId}, title), h('p', {class: 'facts'}, facts));
  }

  // Those of `keys` that `obj` has, for a details table.
  function pick(obj, keys) {
    const out = {};
    for (const k of keys) if (Object.prototype.hasOwnProperty.call(obj, k)) out[k] = obj[k];
    return out;
  }

  // The start of an item's page (group, profile, app, declaration): the breadcrumb while it
  // loads, then {item, groups}. groups: for an admin's assign form, asked at the same time (an
  // Error when they could not be loaded: the form says so). null when the page moved on or the
  // item could not be loaded (the page says why). keep: a reload after a change; the page stays
  // as it is meanwhile. o: {pageId, crumb() -> node, path, what: 'app', withGroups}
  async function loadItem(view, seq, keep, o) {
    const page = (...body) => h('div', {id: o.pageId}, o.crumb(), body);
    if (!keep) view.replaceChildren(page(loading()));
    const groupsAnswer = o.withGroups && isAdmin() ? api('GET', '/groups').catch((e) => e) : null;
    let item;
    try {
      item = await api('GET', o.path);
    } catch (e) {
      if (!current(seq)) return null;
      showError(e);
      if (!keep) {
        view.replaceChildren(page(h('p', {class: 'muted'},
          e.status === 404 ? `There is no such ${o.what}.` : `The ${o.what} could not be loaded.`)));
      }
      return null;
    }
    const groups = await groupsAnswer;
    if (!current(seq)) return null;
    return {item, groups};
  }

  // A list page of the catalog (profiles, apps, declarations): an admin's form above the table,
  // the table filled from GET o.path. o: {prefix: 'app' (ids app-count, app-table), what: 'apps',
  // title, intro (node or null), headers, form(seq, load) -> node (admins only), row(item),
  // empty: [text for an admin, text for the others]}
  function renderCatalogList(view, seq, o) {
    document.title = `${o.title} \u2013 MDM console`;
    const total = h('span', {id: `${o.prefix}-count`, class: 'muted'});
    const table = listTable({id: `${o.prefix}-table`, class: `list ${o.what}`}, o.headers,
      [emptyRow(o.headers.length, 'Loading\u2026')]);
    const load = async () => {
      const answer = await loadListInto(table, o.headers.length, seq, o.path, o.what);
      if (answer === undefined) return;
      const items = arrayOf(answer).filter((x) => isObject(x) && typeof x.identifier === 'string');
      table.tBodies[0].replaceChildren(...(items.length === 0
        ? [emptyRow(o.headers.length, isAdmin() ? o.empty[0] : o.empty[1])] : items.map(o.row)));
      total.textContent = `${items.length} in all`;
    };
    view.replaceChildren(h('div', {id: `${o.what}-page`},
      pageHead(o.title, total),
      o.intro,
      isAdmin() ? o.form(seq, load) : null,
      tableWrap(table)));
    return load();
  }

  // An admin's form that assigns an item to a group. o: {prefix: 'profile' (ids profile-group,
  // profile-assign-submit), base: '/profiles/<id>', groups: GET /groups' answer or an Error,
  // assigned: the names it has, reload}
  function assignPanel(seq, o) {
    const select = h('select', {id: `${o.prefix}-group`, 'data-test': `${o.prefix}-group`});
    const submit = h('button', {type: 'submit', class: 'button primary', id: `${o.prefix}-assign-submit`,
      'data-test': `${o.prefix}-assign-submit`}, 'Assign');
    const form = h('form', {id: `${o.prefix}-assign`, 'data-test': `${o.prefix}-assign`, class: 'card catalog-form',
      novalidate: true},
      h('h2', null, 'Assign to a group'),
      h('div', {class: 'form-row'}, formField(`${o.prefix}-group`, 'Group', select), h('div', {class: 'field'}, submit)));
    const unusable = (...why) => {
      select.disabled = true;
      submit.disabled = true;
      form.append(h('p', {class: 'hint muted'}, why));
    };
    if (o.groups instanceof Error) {
      showError(o.groups);
      unusable('The groups could not be loaded.');
    } else {
      const list = arrayOf(o.groups).filter((g) => isObject(g) && typeof g.name === 'string');
      fillGroupSelect(select, list);
      // The first group that does not have the item yet.
      const next = list.find((g) => !o.assigned.includes(g.name));
      if (next) select.value = next.name;
      if (list.length === 0) unusable('No group yet: create one on the ', h('a', {href: '#/groups'}, 'Groups'), ' page.');
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const group = select.value;
      if (group === '') return;
      submitChange(seq, submit, () => api('POST', `${o.base}/groups`, {groups: [group]}), o.reload,
        (r) => (r.assigned === 0 ? `Assigned to ${group} already: nothing changed` : `Assigned to ${group}`));
    });
    return form;
  }

  // The groups an item is assigned to, linked; an admin unassigns one with the button on its
  // line. o: {base: '/apps/<id>', assigned: names, reload}
  function assignedSection(seq, o, emptyText) {
    const line = (name) => {
      const li = h('li', {'data-group': name, class: 'item-line'}, h('a', {href: groupHref(name)}, name));
      if (isAdmin()) {
        const button = h('button', {type: 'button', class: 'button compact danger-outline', 'data-test': 'unassign',
          'aria-label': `Unassign from ${name}`}, 'Unassign');
        button.addEventListener('click', () => submitChange(seq, button,
          () => api('DELETE', `${o.base}/groups`, {groups: [name]}), o.reload,
          (r) => (r.unassigned === 0 ? `Not assigned to ${name}: nothing changed` : `Unassigned from ${name}`)));
        li.append(button);
      }
      return li;
    };
    return countSection('groups', 'Groups', o.assigned.length, plainList(o.assigned, line, emptyText));
  }

  function closeButton(area, test) {
    const button = h('button', {type: 'button', class: 'button secondary', 'data-test': test}, 'Cancel');
    button.addEventListener('click', () => area.replaceChildren());
    return button;
  }

  // An admin's removal of an item, confirmed first; then the list page says it is gone. A 409
  // (still assigned, a group with groups inside) shows the server's sentence as it is and, where
  // the server takes ?force=1, a button that removes it anyway.
  // o: {prefix: 'app' (data-test app-remove, app-remove-confirm, app-remove-force), what: 'App',
  //     name, path, listHref, note, done: 'removed', force: bool}
  function removeSection(seq, o) {
    const area = h('div', {class: 'remove-area'});
    const open = h('button', {type: 'button', class: 'button danger-outline', id: `${o.prefix}-remove`,
      'data-test': `${o.prefix}-remove`}, `${o.done === 'deleted' ? 'Delete' : 'Remove'} ${o.what.toLowerCase()}`);
    open.addEventListener('click', () => {
      area.replaceChildren(removeConfirm(seq, o, area));
      area.querySelector('button').focus();
    });
    return section('remove', o.done === 'deleted' ? 'Delete' : 'Remove', h('p', {class: 'hint muted'}, o.note),
      h('div', {class: 'form-actions'}, open), area);
  }

  function removeConfirm(seq, o, area) {
    const sentence = `${o.what} ${o.name} ${o.done}`;
    const verb = o.done === 'deleted' ? 'Delete' : 'Remove';
    const confirm = h('button', {type: 'button', class: 'button danger', 'data-test': `${o.prefix}-remove-confirm`}, verb);
    const force = o.force ? h('button', {type: 'button', class: 'button danger', 'data-test': `${o.prefix}-remove-force`,
      hidden: true}, `${verb} anyway`) : null;
    const remove = (button, forced) => submitChange(seq, button, async () => {
      try {
        return await api('DELETE', o.path + (forced ? '?force=1' : ''));
      } catch (e) {
        if (force && e.status === 409) force.hidden = false;
        throw e;
      }
    }, async () => {
      state.flash = {text: sentence, kind: 'success'};
      go(o.listHref);
    }, () => sentence);
    confirm.addEventListener('click', () => remove(confirm, false));
    if (force) force.addEventListener('click', () => remove(force, true));
    return h('div', {class: 'card inline-form danger-zone', 'data-test': `${o.prefix}-remove-form`},
      h('h3', null, `${verb} ${o.name}?`),
      o.force ? h('p', {class: 'hint muted'}, 'While it is assigned to a group the server refuses; removing it anyway ' +
        'takes it from its groups and their devices.') : null,
      h('div', {class: 'form-actions'}, confirm, force, closeButton(area, `${o.prefix}-remove-cancel`)));
  }

  // Text typed or uploaded as JSON: {value}, or {refusal} saying in one sentence why it is not
  // sent. what: 'The declaration', 'Key Settings'.
  function parseJsonText(text, what) {
    try {
      return {value: JSON.parse(text)};
    } catch (e) {
      return {refusal: `${what} is not valid JSON (${e.message}); nothing was sent.`};
    }
  }

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

  // remove: the admin's button for the row, or null.
  function memberRow(d, remove) {
    const name = d.device_name || d.serial_number || d.id;
    return h('tr', {'data-device-id': d.id},
      h('td', null, d.id ? h('a', {href: deviceHref(d.id), class: d.device_name ? null : 'unnamed'}, name) : none()),
      h('td', {class: 'mono'}, d.serial_number || none()),
      h('td', null, d.source ? h('span', {class: 'badge', 'data-source': d.source}, d.source) : none()),
      remove ? h('td', null, remove) : null);
  }

  const groupBreadcrumb = () => breadcrumb('#/groups', 'Groups');

  // An admin's button that takes one device out of the group.
  function removeMemberButton(seq, group, d, reload) {
    const button = h('button', {type: 'button', class: 'button compact danger-outline', 'data-test': 'member-remove',
      'aria-label': `Remove ${d.device_name || d.serial_number || d.id} from ${group}`}, 'Remove');
    button.addEventListener('click', () => submitChange(seq, button,
      () => api('DELETE', `/groups/${encodeURIComponent(group)}/devices`, {device_ids: [d.id]}), reload,
      (r) => `Removed ${countOf(r.removed)} device(s) from ${group}`));
    return button;
  }

  function membersSection(seq, group, devices, reload) {
    const admin = isAdmin();
    const headers = [['Name'], ['Serial number'], ['Joined by']];
    if (admin) headers.push([h('span', {class: 'visually-hidden'}, 'Remove')]);
    return countSection('members', 'Devices', devices.length,
      admin && devices.some((d) => d.source === 'rule')
        ? h('p', {class: 'hint muted'}, 'A device the rule brought in joins again at the next mdmcron run while it ' +
          'matches the rule.') : null,
      devices.length === 0 ? h('p', {class: 'muted'}, 'No device in this group.')
        : tableWrap(listTable({id: 'group-members'}, headers,
          devices.map((d) => memberRow(d, admin && d.id ? removeMemberButton(seq, group, d, reload) : null))),
        devices.length > 15 ? 'scroll' : null));
  }

  // What the group carries, each linked to its page. href: profileHref, appHref, declarationHref.
  function carriedList(items, attr, href, title, detail) {
    return plainList(items, (x) => h('li', {[attr]: x.identifier},
      h('a', {href: href(x.identifier)}, title(x) || x.identifier),
      title(x) ? h('span', {class: 'muted mono small'}, ` ${x.identifier}`) : null,
      detail(x) ? h('span', {class: 'muted small'}, ` ${detail(x)}`) : null));
  }

  async function renderGroup(view, seq, name, keep) {
    document.title = 'Group \u2013 MDM console';
    const loaded = await loadItem(view, seq, keep, {pageId: 'group-page', crumb: groupBreadcrumb,
      path: '/groups/' + encodeURIComponent(name), what: 'group'});
    if (!loaded) return;
    const g = loaded.item;
    const title = typeof g.name === 'string' ? g.name : name;
    document.title = `${title} \u2013 MDM console`;
    const reload = () => renderGroup($('#view'), seq, title, true);
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
      itemHead('group-title', title, facts),
      isAdmin() ? h('div', {class: 'form-pair'}, addDevicePanel(seq, title), rulePanel(seq, title, g.rule, reload)) : null,
      h('div', {class: 'grid group-grid'},
        membersSection(seq, title, devices, reload),
        countSection('serials', 'Serial numbers', serials.length,
          h('p', {class: 'hint muted'}, 'A device with one of these serial numbers joins when it enrolls.'),
          plainList(serials, (s) => h('li', {class: 'mono', 'data-serial': String(s)}, String(s)), 'None.')),
        countSection('children', 'Groups inside', children.length,
          plainList(children, (c) => h('li', {'data-group': String(c)}, h('a', {href: groupHref(String(c))}, String(c))), 'None.')),
        countSection('profiles', 'Profiles', profiles.length, inherited,
          carriedList(profiles, 'data-profile', profileHref, (p) => p.display_name,
            (p) => (p.version !== undefined && p.version !== null ? `version ${p.version}` : null))),
        countSection('apps', 'Apps', apps.length,
          carriedList(apps, 'data-app', appHref, (a) => a.name, () => null)),
        countSection('declarations', 'Declarations', declarations.length,
          carriedList(declarations, 'data-declaration', declarationHref, () => null, (d) => d.type)),
        isAdmin() ? removeSection(seq, {prefix: 'group', what: 'Group', name: title,
          path: '/groups/' + encodeURIComponent(title), listHref: '#/groups', done: 'deleted', force: false,
          note: 'Its devices stay enrolled; what it carries leaves them at the next mdmcron run. A group with groups ' +
            'inside cannot be deleted.'}) : null));
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

  const RULE_FIELDS = [['model', 'Model like', 'iPad%'], ['product', 'Product like', 'iPad13,%'],
    ['os_min', 'OS from', '17.0'], ['os_max', 'OS up to', '18.9']];

  // An admin's form for the group's rule: mdmcron puts the devices that match it in the group.
  // Empty fields are left out; all empty clears the rule.
  function rulePanel(seq, group, rule, reload) {
    const existing = isObject(rule) ? rule : {};
    const inputs = RULE_FIELDS.map(([key, , example]) => h('input', {id: `group-rule-${key}`, 'data-test': `group-rule-${key}`,
      type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '200', placeholder: example,
      value: typeof existing[key] === 'string' ? existing[key] : ''}));
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'group-rule-submit',
      'data-test': 'group-rule-submit'}, 'Save rule');
    const form = h('form', {id: 'group-rule-form', 'data-test': 'group-rule-form', class: 'card catalog-form', novalidate: true},
      h('h2', null, 'Rule'),
      h('div', {class: 'form-row'}, RULE_FIELDS.map(([key, text], i) => formField(`group-rule-${key}`, text, inputs[i])),
        h('div', {class: 'field'}, submit)),
      h('p', {class: 'hint muted'}, '% stands for any text; OS bounds are included. Leave every field empty to clear ' +
        'the rule.'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = {};
      RULE_FIELDS.forEach(([key], i) => {
        const v = inputs[i].value.trim();
        if (v !== '') body[key] = v;
      });
      submitChange(seq, submit, () => api('PUT', `/groups/${encodeURIComponent(group)}/rule`, body), reload,
        (r) => (r.rule ? `Rule of ${group}: ${ruleText(r.rule)}` : `Rule of ${group} cleared`));
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

  function profileUploadForm(seq, load) {
    const file = h('input', {type: 'file', id: 'profile-file', 'data-test': 'profile-file',
      accept: `.mobileconfig,${PROFILE_TYPE}`});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'profile-upload-submit',
      'data-test': 'profile-upload-submit'}, 'Upload');
    const form = h('form', {id: 'profile-upload', 'data-test': 'profile-upload', class: 'card catalog-form', novalidate: true},
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
    return form;
  }

  function renderProfiles(view, seq) {
    return renderCatalogList(view, seq, {prefix: 'profile', what: 'profiles', title: 'Profiles', path: '/profiles',
      headers: [['Name'], ['Identifier'], ['Version', 'num'], ['Groups'], ['Installed', 'num'], ['Pending', 'num'],
        ['Failed', 'num'], ['Held', 'num']],
      form: profileUploadForm, row: profileRow,
      empty: ['No profiles yet: upload the first one above.', 'No profiles yet.']});
  }

  const profileBreadcrumb = () => breadcrumb('#/profiles', 'Profiles');

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
    const loaded = await loadItem(view, seq, keep, {pageId: 'profile-page', crumb: profileBreadcrumb,
      path: '/profiles/' + encodeURIComponent(identifier), what: 'profile', withGroups: true});
    if (!loaded) return;
    const p = loaded.item;
    const id = typeof p.identifier === 'string' ? p.identifier : identifier;
    const title = p.display_name || id;
    document.title = `${title} \u2013 MDM console`;
    const deployments = isObject(p.deployments) ? p.deployments : {};
    const devices = arrayOf(p.devices).filter(isObject);
    const catalog = {base: '/profiles/' + encodeURIComponent(id), assigned: arrayOf(p.groups).map(String),
      reload: () => renderProfile($('#view'), seq, id, true)};

    const facts = [h('span', {class: 'mono'}, id)];
    if (p.version !== undefined && p.version !== null) facts.push(h('span', null, `version ${p.version}`));
    facts.push(h('span', null, p.signer ? `signed by ${p.signer}` : 'unsigned'));
    if (p.updated_at) facts.push(h('span', null, 'changed ', timeNode(p.updated_at, true)));

    const details = pick(p, ['identifier', 'display_name', 'payload_uuid', 'version', 'signer', 'placeholders',
      'content_hash', 'created_at', 'updated_at']);
    const xml = h('pre', {id: 'profile-xml', class: 'xml'});
    xml.textContent = typeof p.xml === 'string' ? p.xml : '';

    const root = h('div', {id: 'profile-page', 'data-profile': id},
      profileBreadcrumb(),
      itemHead('profile-title', title, facts),
      isAdmin() ? assignPanel(seq, Object.assign({prefix: 'profile', groups: loaded.groups}, catalog)) : null,
      h('div', {class: 'stats', id: 'profile-states'},
        DEPLOYMENT_STATES.map((s) => statCard(`profile-${s}`, label(s), countOf(deployments[s])))),
      h('div', {class: 'grid profile-grid'},
        section('details', 'Profile', tableWrap(keyValueTable(details, null, 1))),
        assignedSection(seq, catalog, 'In no group: no device gets it.'),
        countSection('devices', 'Devices', devices.length,
          devices.length === 0 ? h('p', {class: 'muted'}, 'No device has it or waits for it yet.')
            : tableWrap(listTable({id: 'profile-devices'}, [['Device'], ['Status'], ['Detail'], ['Updated']],
              devices.map(profileDeviceRow)), devices.length > 15 ? 'scroll' : null)),
        section('content', 'Content',
          typeof p.xml === 'string' && p.xml !== ''
            ? h('details', {class: 'xml-details', id: 'profile-xml-details'}, h('summary', null, 'Show the profile (XML)'), xml)
            : h('p', {class: 'muted'}, 'No content.')),
        isAdmin() ? removeSection(seq, {prefix: 'profile', what: 'Profile', name: id, path: catalog.base,
          listHref: '#/profiles', done: 'removed', force: true,
          note: 'Its devices remove it at the next mdmcron run.'}) : null));
    view.replaceChildren(root);
  }

  // ---- apps -------------------------------------------------------------------------------

  // "3 of 10 assigned" from the Apps and Books counts; a dash without a location's licences.
  function licencesText(a) {
    if (typeof a.licences_total !== 'number') return none();
    return `${countOf(a.licences_assigned)} of ${a.licences_total} assigned`;
  }

  function appRow(a) {
    return h('tr', {'data-app': a.identifier},
      h('td', null, h('a', {href: appHref(a.identifier), class: a.name ? null : 'unnamed'}, a.name || a.identifier)),
      h('td', {class: 'mono small'}, a.identifier),
      h('td', {class: 'num'}, a.itunes_store_id === null || a.itunes_store_id === undefined ? none() : String(a.itunes_store_id)),
      h('td', {class: 'wrap'}, groupLinks(a.groups)),
      h('td', null, licencesText(a)));
  }

  // The App Store ID as the server takes it (a number), null when left empty, undefined when
  // not a whole number.
  function storeId(text) {
    if (text === '') return null;
    return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
  }

  function appAddForm(seq, load) {
    const bundle = h('input', {id: 'app-identifier', 'data-test': 'app-identifier', type: 'text', autocomplete: 'off',
      spellcheck: 'false', autocapitalize: 'none', maxlength: '255', placeholder: 'com.example.app'});
    const adam = h('input', {id: 'app-store-id', 'data-test': 'app-store-id', type: 'text', inputmode: 'numeric',
      autocomplete: 'off', maxlength: '15', placeholder: '361309726'});
    const name = h('input', {id: 'app-name', 'data-test': 'app-name', type: 'text', autocomplete: 'off', maxlength: '200'});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'app-add-submit', 'data-test': 'app-add-submit'},
      'Add');
    const form = h('form', {id: 'app-add', 'data-test': 'app-add', class: 'card catalog-form', novalidate: true},
      h('h2', null, 'Add or edit an app'),
      h('div', {class: 'form-row'},
        formField('app-identifier', 'Bundle ID', bundle),
        formField('app-store-id', 'App Store ID (optional)', adam),
        formField('app-name', 'Name (optional)', name),
        h('div', {class: 'field'}, submit)),
      h('p', {class: 'hint muted'}, 'The App Store ID is the number in the app\u2019s App Store link (id361309726); ' +
        'Apps and Books licences need it. An app with a bundle ID already here is edited.'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const identifier = bundle.value.trim();
      const id = storeId(adam.value.trim());
      const refusal = identifier === '' ? 'Enter the app\u2019s bundle ID, such as com.example.app.'
        : (id === undefined ? 'The App Store ID is a whole number, such as 361309726.' : null);
      if (refusal) {
        showMessage(refusal, 'error');
        (identifier === '' ? bundle : adam).focus();
        return;
      }
      const body = {identifier};
      if (id !== null) body.itunes_store_id = id;
      if (name.value.trim() !== '') body.name = name.value.trim();
      submitChange(seq, submit, () => api('POST', '/apps', body), async () => {
        for (const input of [bundle, adam, name]) input.value = '';
        await load();
      }, (r) => `App ${r.identifier || identifier} ${r.change || 'added'}`);
    });
    return form;
  }

  function renderApps(view, seq) {
    return renderCatalogList(view, seq, {prefix: 'app', what: 'apps', title: 'Apps', path: '/apps',
      intro: h('p', {class: 'muted intro'}, 'App Store apps, installed on the devices of the groups they are assigned ' +
        'to; with Apps and Books licences when a location holds them.'),
      headers: [['Name'], ['Bundle ID'], ['App Store ID', 'num'], ['Groups'], ['Licences']],
      form: appAddForm, row: appRow,
      empty: ['No apps yet: add the first one above.', 'No apps yet.']});
  }

  const appBreadcrumb = () => breadcrumb('#/apps', 'Apps');

  function licenceRow(l) {
    const serial = l.serial_number || '';
    return h('tr', {'data-serial': serial},
      h('td', {class: 'mono'}, l.device_id ? h('a', {href: deviceHref(l.device_id)}, serial || l.device_id) : serial || none()),
      h('td', null, statusBadge(l.state)),
      h('td', {class: 'wrap'}, l.detail === null || l.detail === undefined || l.detail === '' ? none() : String(l.detail)),
      h('td', {class: 'num'}, l.error_number === null || l.error_number === undefined ? none() : String(l.error_number)),
      h('td', null, timeNode(l.updated_at, true)));
  }

  async function renderApp(view, seq, identifier, keep) {
    document.title = 'App \u2013 MDM console';
    const loaded = await loadItem(view, seq, keep, {pageId: 'app-page', crumb: appBreadcrumb,
      path: '/apps/' + encodeURIComponent(identifier), what: 'app', withGroups: true});
    if (!loaded) return;
    const a = loaded.item;
    const id = typeof a.identifier === 'string' ? a.identifier : identifier;
    const title = a.name || id;
    document.title = `${title} \u2013 MDM console`;
    const licences = arrayOf(a.devices).filter(isObject);
    const catalog = {base: '/apps/' + encodeURIComponent(id), assigned: arrayOf(a.groups).map(String),
      reload: () => renderApp($('#view'), seq, id, true)};
    const facts = [h('span', {class: 'mono'}, id)];
    if (a.itunes_store_id !== null && a.itunes_store_id !== undefined) facts.push(h('span', null, `App Store ID ${a.itunes_store_id}`));
    if (a.vpp_location) facts.push(h('span', null, `licences of ${a.vpp_location}`));

    view.replaceChildren(h('div', {id: 'app-page', 'data-app': id},
      appBreadcrumb(),
      itemHead('app-title', title, facts),
      isAdmin() ? assignPanel(seq, Object.assign({prefix: 'app', groups: loaded.groups}, catalog)) : null,
      h('div', {class: 'grid catalog-grid'},
        section('details', 'App', tableWrap(keyValueTable(pick(a, ['identifier', 'name', 'itunes_store_id',
          'management_flags', 'vpp_location', 'licences_total', 'licences_assigned', 'licences_available',
          'licences_here']), null, 1))),
        assignedSection(seq, catalog, 'In no group: no device gets it.'),
        countSection('licences', 'Licences per device', licences.length,
          licences.length === 0 ? h('p', {class: 'muted'}, 'No Apps and Books licence is assigned to a device.')
            : tableWrap(listTable({id: 'app-licences'}, [['Serial number'], ['State'], ['Detail'], ['Error', 'num'],
              ['Updated']], licences.map(licenceRow)), licences.length > 15 ? 'scroll' : null)),
        isAdmin() ? removeSection(seq, {prefix: 'app', what: 'App', name: id, path: catalog.base, listHref: '#/apps',
          done: 'removed', force: true, note: 'Devices that got it through a group remove it at the next mdmcron run.'})
          : null)));
  }

  // ---- declarations -----------------------------------------------------------------------

  const DECLARATION_EXAMPLE = {Type: 'com.apple.configuration.passcode.settings',
    Identifier: 'com.example.passcode', Payload: {MinimumLength: 6}};

  function declarationRow(d) {
    return h('tr', {'data-declaration': d.identifier},
      h('td', null, h('a', {href: declarationHref(d.identifier)}, d.identifier)),
      h('td', {class: 'mono small wrap'}, d.type || none()),
      h('td', {class: 'wrap'}, groupLinks(d.groups)),
      h('td', null, timeNode(d.updated_at, true)));
  }

  // Why `text` is not sent as a declaration, in one sentence; null when it is sent.
  function declarationRefusal(text, source) {
    if (text.trim() === '') return source ? `The file ${source} is empty.` : 'Choose a declaration file or paste its JSON.';
    const parsed = parseJsonText(text, source ? `The file ${source}` : 'The declaration');
    if (parsed.refusal) return parsed.refusal;
    return isObject(parsed.value) ? null
      : 'A declaration is a JSON object with Type, Identifier and Payload; nothing was sent.';
  }

  function declarationAddForm(seq, load) {
    const file = h('input', {type: 'file', id: 'declaration-file', 'data-test': 'declaration-file',
      accept: '.json,application/json'});
    const text = h('textarea', {id: 'declaration-text', 'data-test': 'declaration-text', rows: '8', spellcheck: 'false',
      autocomplete: 'off', placeholder: JSON.stringify(DECLARATION_EXAMPLE, null, 2)});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'declaration-add-submit',
      'data-test': 'declaration-add-submit'}, 'Upload');
    const form = h('form', {id: 'declaration-add', 'data-test': 'declaration-add', class: 'card catalog-form',
      novalidate: true},
      h('h2', null, 'Add or edit a declaration'),
      h('div', {class: 'form-row'}, formField('declaration-file', 'Declaration (.json)', file)),
      formField('declaration-text', 'Or paste its JSON', text),
      h('div', {class: 'form-actions'}, submit),
      h('p', {class: 'hint muted'}, 'One declaration of Apple\u2019s declarative management: Type, Identifier and ' +
        'Payload. One with the Identifier of one already here replaces it.'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const chosen = file.files && file.files[0];
      let body;
      try {
        body = chosen ? await chosen.text() : text.value;
      } catch (e) {
        showMessage(`The file ${chosen.name} could not be read.`, 'error');
        return;
      }
      const refusal = declarationRefusal(body, chosen ? chosen.name : null);
      if (refusal) {
        showMessage(refusal, 'error');
        (chosen ? file : text).focus();
        return;
      }
      // Sent as written: the server keeps the JSON it is given.
      submitChange(seq, submit, () => api('POST', '/declarations', body, {contentType: 'application/json'}),
        async () => {
          file.value = '';
          text.value = '';
          await load();
        }, (r) => `Declaration ${r.identifier} ${r.change || 'added'}`);
    });
    return form;
  }

  function renderDeclarations(view, seq) {
    return renderCatalogList(view, seq, {prefix: 'declaration', what: 'declarations', title: 'Declarations',
      path: '/declarations',
      intro: h('p', {class: 'muted intro'}, 'Declarative device management: configurations, assets and activations ' +
        'the devices of the groups they are assigned to apply by themselves and report on.'),
      headers: [['Identifier'], ['Type'], ['Groups'], ['Updated']],
      form: declarationAddForm, row: declarationRow,
      empty: ['No declarations yet: upload the first one above.', 'No declarations yet.']});
  }

  const declarationBreadcrumb = () => breadcrumb('#/declarations', 'Declarations');

  // A status report's reasons ([{code, description, details}]): one line each.
  function reasonsNode(reasons) {
    const list = arrayOf(reasons);
    if (list.length === 0) return none();
    return h('ul', {class: 'plain'}, list.map((r) => h('li', null, isObject(r)
      ? [r.code || '', r.description ? `: ${r.description}` : ''].join('') || JSON.stringify(r) : String(r))));
  }

  function activeText(v) {
    return v === null || v === undefined ? none('not reported') : (v ? 'yes' : 'no');
  }

  function declarationDeviceRow(d) {
    const name = d.device_name || d.device_id;
    return h('tr', {'data-device-id': d.device_id, 'data-enrollment-id': d.enrollment_id},
      h('td', null, d.device_id ? h('a', {href: deviceHref(d.device_id), class: d.device_name ? null : 'unnamed'}, name)
        : none()),
      h('td', {class: 'mono small'}, d.enrollment_id || none()),
      h('td', {'data-key': 'active'}, activeText(d.active)),
      h('td', {'data-key': 'valid'}, d.valid === null || d.valid === undefined ? none('not reported') : statusBadge(d.valid)),
      h('td', {class: 'wrap'}, reasonsNode(d.reasons)),
      h('td', null, timeNode(d.received_at, true)));
  }

  async function renderDeclaration(view, seq, identifier, keep) {
    document.title = 'Declaration \u2013 MDM console';
    const loaded = await loadItem(view, seq, keep, {pageId: 'declaration-page', crumb: declarationBreadcrumb,
      path: '/declarations/' + encodeURIComponent(identifier), what: 'declaration', withGroups: true});
    if (!loaded) return;
    const d = loaded.item;
    const id = typeof d.identifier === 'string' ? d.identifier : identifier;
    document.title = `${id} \u2013 MDM console`;
    const devices = arrayOf(d.devices).filter(isObject);
    const catalog = {base: '/declarations/' + encodeURIComponent(id), assigned: arrayOf(d.groups).map(String),
      reload: () => renderDeclaration($('#view'), seq, id, true)};
    const facts = [h('span', {class: 'mono', id: 'declaration-type'}, d.type || '')];
    if (d.updated_at) facts.push(h('span', null, 'changed ', timeNode(d.updated_at, true)));
    const payload = h('pre', {id: 'declaration-payload', class: 'xml json'});
    payload.textContent = JSON.stringify(d.payload === undefined ? null : d.payload, null, 2);

    view.replaceChildren(h('div', {id: 'declaration-page', 'data-declaration': id},
      declarationBreadcrumb(),
      itemHead('declaration-title', id, facts),
      isAdmin() ? assignPanel(seq, Object.assign({prefix: 'declaration', groups: loaded.groups}, catalog)) : null,
      h('div', {class: 'grid catalog-grid'},
        section('details', 'Declaration', tableWrap(keyValueTable(pick(d, ['identifier', 'type', 'server_token',
          'created_at', 'updated_at']), null, 1))),
        assignedSection(seq, catalog, 'In no group: no device gets it.'),
        section('payload', 'Payload', payload),
        countSection('devices', 'Devices', devices.length,
          h('p', {class: 'hint muted'}, 'What each device\u2019s latest status report says of it.'),
          devices.length === 0 ? h('p', {class: 'muted'}, 'It is deployed to no device yet.')
            : tableWrap(listTable({id: 'declaration-devices'}, [['Device'], ['Enrollment'], ['Active'], ['Valid'],
              ['Reasons'], ['Reported']], devices.map(declarationDeviceRow)), devices.length > 15 ? 'scroll' : null)),
        isAdmin() ? removeSection(seq, {prefix: 'declaration', what: 'Declaration', name: id, path: catalog.base,
          listHref: '#/declarations', done: 'removed', force: true,
          note: 'Its devices drop it at their next declarative management sync.'}) : null)));
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

  // ---- enrollment -------------------------------------------------------------------------

  const ENROLL_EXPIRIES = [[3600, '1 hour'], [86400, '1 day'], [604800, '7 days'], [2592000, '30 days']];
  const ENROLL_DEFAULT_EXPIRY = 604800;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const QR_QUIET_ZONE = 4;  // light modules around the code, as scanners expect

  function svgNode(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
    return el;
  }

  // The QR code of `text` as an SVG made element by element (the library's own SVG and image
  // output are markup strings): a rect per run of dark modules in a row. null when the library
  // did not load or the text does not fit in a QR code.
  function qrSvg(text) {
    if (typeof window.qrcode !== 'function') return null;
    const qr = window.qrcode(0, 'M');  // 0: the smallest version that holds the text
    try {
      qr.addData(text);
      qr.make();
    } catch (e) {
      return null;
    }
    const n = qr.getModuleCount();
    const size = n + 2 * QR_QUIET_ZONE;
    // Black on white whatever the page's colours: scanners want it so.
    const svg = svgNode('svg', {viewBox: `0 0 ${size} ${size}`, class: 'qr', role: 'img', 'aria-label': 'QR code of the link',
      'shape-rendering': 'crispEdges', 'data-modules': n});
    svg.append(svgNode('rect', {width: size, height: size, fill: '#ffffff'}));
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        if (!qr.isDark(r, c)) continue;
        let run = 1;
        while (c + run < n && qr.isDark(r, c + run)) run++;
        svg.append(svgNode('rect', {x: c + QR_QUIET_ZONE, y: r + QR_QUIET_ZONE, width: run, height: 1, fill: '#000000'}));
        c += run - 1;
      }
    }
    return svg;
  }

  // The clipboard needs the user's permission; when it is refused the text is selected instead,
  // for Ctrl+C.
  async function copyText(text, node) {
    try {
      await navigator.clipboard.writeText(text);
      showMessage('The link is copied.', 'success');
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      showMessage('The link is selected: press Ctrl+C (\u2318C on a Mac) to copy it.', 'info');
    }
  }

  // A link the server made: the URL as text, a copy button, its QR code for the device's camera.
  function linkCard(link) {
    const url = typeof link.url === 'string' ? link.url : '';
    const text = h('code', {id: 'enroll-url', 'data-test': 'enroll-url', class: 'link-url'}, url);
    const copy = h('button', {type: 'button', class: 'button secondary', id: 'enroll-copy', 'data-test': 'enroll-copy'}, 'Copy');
    copy.addEventListener('click', () => copyText(url, text));
    const qr = qrSvg(url);
    return h('section', {class: 'card section enroll-link', id: 'enroll-link', 'data-test': 'enroll-link'},
      h('h2', null, 'One-time link'),
      h('div', {class: 'link-row'}, text, copy),
      h('p', {class: 'muted', id: 'enroll-link-expiry'}, 'It serves the profile once, until ', timeNode(link.expires_at),
        '. Open it on the device, or scan the code with the device\u2019s camera.'),
      qr ? h('div', {class: 'qr-wrap', id: 'enroll-qr', 'data-test': 'enroll-qr'}, qr)
        : h('p', {class: 'muted'}, 'The QR code could not be drawn; the link works as well.'));
  }

  function renderEnroll(view, seq) {
    document.title = 'Enrollment \u2013 MDM console';
    if (!canSendCommands()) {
      view.replaceChildren(h('div', {id: 'enroll-page'}, pageHead('Enrollment'),
        h('p', {class: 'muted'}, 'Enrolling devices needs the helpdesk or admin role.')));
      return;
    }
    const name = h('input', {id: 'enroll-name', 'data-test': 'enroll-name', type: 'text', maxlength: '200', autocomplete: 'off'});
    const serial = h('input', {id: 'enroll-serial', 'data-test': 'enroll-serial', type: 'text', maxlength: '64',
      autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters'});
    const identity = h('select', {id: 'enroll-identity', 'data-test': 'enroll-identity'},
      h('option', {value: 'scep'}, 'SCEP: the device makes its key'),
      h('option', {value: 'pkcs12'}, 'PKCS#12: the key comes in the profile'));
    const expires = h('select', {id: 'enroll-expires', 'data-test': 'enroll-expires'},
      ENROLL_EXPIRIES.map(([seconds, text]) => h('option', {value: String(seconds), selected: seconds === ENROLL_DEFAULT_EXPIRY}, text)));
    const linkButton = h('button', {type: 'submit', class: 'button primary', id: 'enroll-link-submit',
      'data-test': 'enroll-link-submit'}, 'Make a one-time link');
    const profileButton = h('button', {type: 'button', class: 'button secondary', id: 'enroll-profile-submit',
      'data-test': 'enroll-profile-submit'}, 'Download profile');
    const result = h('div', {id: 'enroll-result'});
    const form = h('form', {id: 'enroll-form', 'data-test': 'enroll-form', class: 'card catalog-form', novalidate: true},
      h('h2', null, 'Enroll a device'),
      h('div', {class: 'form-row'},
        formField('enroll-name', 'Name (optional)', name),
        formField('enroll-serial', 'Serial number (optional)', serial),
        formField('enroll-identity', 'Identity', identity),
        formField('enroll-expires', 'Valid for', expires)),
      h('p', {class: 'hint muted'}, 'With PKCS#12 the device\u2019s private key is inside the profile: whoever gets the ' +
        'link or the file gets the key. A serial number ties the enrollment to that device.'),
      h('div', {class: 'form-actions'}, linkButton, profileButton));
    const asked = () => ({name: name.value.trim(), serial_number: serial.value.trim(), identity: identity.value,
      expires_in: Number(expires.value)});
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      let link = null;
      submitChange(seq, linkButton, async () => (link = await api('POST', '/enrollment/links', asked())),
        () => result.replaceChildren(linkCard(link)),
        () => 'One-time link made');
    });
    profileButton.addEventListener('click', () => {
      submitChange(seq, profileButton, () => download('POST', '/enrollment/profile', asked(), 'enroll.mobileconfig'),
        () => result.replaceChildren(),
        () => 'Saved enroll.mobileconfig: open it on the device to enroll');
    });
    view.replaceChildren(h('div', {id: 'enroll-page'},
      pageHead('Enrollment'),
      h('p', {class: 'muted intro'}, 'A device enrolls by opening a one-time link or by installing a signed profile ' +
        '(AirDrop, mail, Apple Configurator). Devices from Apple Business or School Manager enroll by themselves.'),
      form,
      result));
    name.focus();
  }

  // ---- settings ---------------------------------------------------------------------------

  // The row of `name` in GET /settings' expiries as the dashboard shows it, red when near.
  function settingsExpiry(settings, name, missing) {
    const row = arrayOf(settings.expiries).find((e) => isObject(e) && e.name === name);
    return row ? expiryTable([row], `expiry-${name}`) : h('p', {class: 'muted', id: `expiry-${name}`}, missing);
  }

  function dateText(unixSeconds) {
    const d = toDate(unixSeconds);
    return d ? formatDate(d) : 'an unknown date';
  }

  // A button that saves a file the server makes (a CSR, a certificate) and says what to do next.
  function downloadButton(seq, test, text, path, filename, message) {
    const button = h('button', {type: 'button', class: 'button secondary', id: test, 'data-test': test}, text);
    button.addEventListener('click', () => {
      submitChange(seq, button, () => download('POST', path, undefined, filename), () => undefined, () => message);
    });
    return button;
  }

  // A certificate or token file sent as it is (PEM, DER, .p7m). o: {id, label, accept, path() ->
  // the route, onError(e) (before the sentence is shown), reload, message(answer), extra}.
  function uploadForm(seq, o) {
    const file = h('input', {type: 'file', id: `${o.id}-file`, 'data-test': `${o.id}-file`, accept: o.accept});
    const submit = h('button', {type: 'submit', class: 'button primary', id: `${o.id}-upload`, 'data-test': `${o.id}-upload`},
      'Upload');
    const form = h('form', {id: `${o.id}-form`, class: 'upload-form', novalidate: true},
      h('div', {class: 'form-row'}, formField(`${o.id}-file`, o.label, file), h('div', {class: 'field'}, submit)),
      o.extra);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const chosen = file.files && file.files[0];
      if (!chosen) {
        showMessage('Choose the file to upload.', 'error');
        file.focus();
        return;
      }
      if (chosen.size === 0) {
        showMessage(`The file ${chosen.name} is empty.`, 'error');
        return;
      }
      submitChange(seq, submit, async () => {
        try {
          return await api('POST', o.path(), await readFile(chosen), {contentType: 'application/octet-stream'});
        } catch (e) {
          if (o.onError) o.onError(e);
          throw e;
        }
      }, o.reload, o.message);
    });
    return form;
  }

  function actionsRow(...buttons) {
    return h('div', {class: 'form-actions'}, buttons);
  }

  function apiUrlSection(seq, settings, reload) {
    const url = typeof settings.api_url === 'string' ? settings.api_url : '';
    const input = h('input', {id: 'settings-api-url', 'data-test': 'settings-api-url', type: 'text', inputmode: 'url',
      autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none', value: url,
      placeholder: 'https://mdm.example.com/api-mdm.php'});
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'settings-api-url-submit',
      'data-test': 'settings-api-url-submit'}, 'Save');
    const form = h('form', {id: 'settings-api-url-form', novalidate: true},
      h('div', {class: 'form-row'}, formField('settings-api-url', 'API URL', input), h('div', {class: 'field'}, submit)));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const wanted = input.value.trim();
      if (wanted === '') {
        showMessage('Enter the URL devices reach this server at, such as https://mdm.example.com/api-mdm.php.', 'error');
        input.focus();
        return;
      }
      submitChange(seq, submit, async () => {
        const r = await api('PUT', '/settings/api-url', {url: wanted});
        // Only this answer says what is wrong with a URL that was taken: kept for the page.
        state.apiUrlWarning = typeof r.warning === 'string' ? {url: wanted, text: r.warning} : null;
        return r;
      }, reload, (r) => `API URL set to ${r.api_url || wanted}`);
    });
    const warning = state.apiUrlWarning && state.apiUrlWarning.url === url ? state.apiUrlWarning.text : null;
    return section('api-url', 'API URL',
      h('p', {class: 'hint muted'}, 'The address devices reach this server at; enrollment profiles and links carry it.'),
      url === '' ? h('p', {class: 'warning', id: 'settings-api-url-missing'}, 'Not set yet: no device can enroll.') : null,
      warning ? h('p', {class: 'warning', id: 'settings-api-url-warning', 'data-test': 'settings-api-url-warning'}, warning) : null,
      form);
  }

  // A 409 about the topic: the certificate is for another topic than the devices enrolled with.
  function isTopicConflict(e) {
    return e instanceof ApiError && e.status === 409 && /topic/i.test(e.message);
  }

  function pushSection(seq, settings, reload) {
    const push = isObject(settings.push) ? settings.push : null;
    const allow = h('input', {type: 'checkbox', id: 'settings-push-allow-topic', 'data-test': 'settings-push-allow-topic'});
    const allowRow = h('div', {class: 'check-row', id: 'settings-push-allow-topic-row', hidden: true}, allow,
      h('label', {for: 'settings-push-allow-topic'}, 'Allow topic change (every device must enroll again)'));
    return section('push', 'Push certificate (APNs)',
      h('p', {class: 'hint muted'}, 'Download the request (it needs the vendor certificate), upload it at ' +
        'identity.apple.com, download the certificate Apple makes, and upload it here. Renew with the same Apple ID to ' +
        'keep the topic.'),
      push && push.topic ? h('p', null, 'Topic ', h('span', {class: 'mono small', id: 'settings-push-topic'}, push.topic))
        : null,
      settingsExpiry(settings, 'apns_push', 'No push certificate yet.'),
      actionsRow(downloadButton(seq, 'settings-push-csr', 'Download request for Apple', '/apns/csr', 'mdm-push-request.txt',
        'Saved mdm-push-request.txt: upload it at identity.apple.com')),
      uploadForm(seq, {id: 'settings-push', label: 'Apple\u2019s push certificate (.pem)', accept: '.pem,.cer,.crt,.der',
        path: () => '/apns/certificate' + (allow.checked ? '?allow_topic_change=1' : ''),
        onError: (e) => {
          if (isTopicConflict(e)) allowRow.hidden = false;
        },
        reload,
        message: (r) => `Push certificate stored: topic ${r.topic}, expires ${dateText(r.expires_at)}` +
          (r.topic_changed ? '. The topic changed: every device must enroll again' : ''),
        extra: allowRow}));
  }

  function vendorSection(seq, settings, reload) {
    return section('vendor', 'Vendor certificate',
      h('p', {class: 'hint muted'}, 'It signs the push certificate request. Download the CSR, have Apple sign it ' +
        '(developer.apple.com, an \u201cMDM CSR\u201d certificate) and upload the certificate Apple returns.'),
      settingsExpiry(settings, 'vendor', 'No vendor certificate yet.'),
      actionsRow(downloadButton(seq, 'settings-vendor-csr', 'Download CSR', '/vendor/csr', 'vendor.csr',
        'Saved vendor.csr: have Apple sign it at developer.apple.com')),
      uploadForm(seq, {id: 'settings-vendor', label: 'The vendor certificate (mdm.cer)', accept: '.cer,.pem,.crt,.der',
        path: () => '/vendor/certificate', reload,
        message: (r) => `Vendor certificate stored; it expires ${dateText(r.expires_at)}`}));
  }

  function abmSection(seq, settings, reload) {
    const token = isObject(settings.abm_token) ? settings.abm_token : null;
    return section('abm', 'Apple Business/School Manager',
      h('p', {class: 'hint muted'}, 'Upload the public key certificate in Apple Business or School Manager (your MDM ' +
        'server\u2019s page), download the server token (.p7m) there and upload it here.'),
      token ? h('p', null, 'Consumer key ', h('span', {class: 'mono small', id: 'settings-abm-consumer-key'}, token.consumer_key))
        : null,
      settingsExpiry(settings, 'abm_token', 'No server token yet (only Automated Device Enrollment needs one).'),
      actionsRow(downloadButton(seq, 'settings-abm-cert', 'Download public key certificate', '/abm/token-certificate',
        'abm-token-certificate.pem', 'Saved abm-token-certificate.pem: upload it in Apple Business or School Manager')),
      uploadForm(seq, {id: 'settings-abm', label: 'The server token (.p7m)', accept: '.p7m', path: () => '/abm/token', reload,
        message: (r) => `Server token stored (consumer key ${r.consumer_key}, expires ${dateText(r.expires_at)})` +
          (r.server_changed ? '. It is another MDM server\u2019s token than before: applesync starts afresh' : '')}));
  }

  // Why `text` cannot be sent as the activation profile, in one sentence; null when it can.
  function activationProfileRefusal(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return `The activation profile is not valid JSON (${e.message}); nothing was sent.`;
    }
    return isObject(value) ? null : 'The activation profile must be a JSON object, {"profile_name": \u2026}; nothing was sent.';
  }

  function activationSection(seq, settings, reload) {
    const base = typeof settings.api_url === 'string' ? settings.api_url : 'https://HOST/api-mdm.php';
    const text = h('textarea', {id: 'settings-activation-profile', 'data-test': 'settings-activation-profile', rows: '12',
      spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Activation profile (JSON)',
      placeholder: JSON.stringify({profile_name: 'Company devices', url: `${base}/profile`, is_supervised: true,
        is_mandatory: true}, null, 2)});
    text.value = settings.activation_profile === null || settings.activation_profile === undefined ? ''
      : JSON.stringify(settings.activation_profile, null, 2);
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'settings-activation-submit',
      'data-test': 'settings-activation-submit'}, 'Save');
    const form = h('form', {id: 'settings-activation-form', novalidate: true}, text, actionsRow(submit));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const refusal = activationProfileRefusal(text.value);
      if (refusal) {
        showMessage(refusal, 'error');
        text.focus();
        return;
      }
      // Sent as typed: the server checks the keys and keeps the text.
      submitChange(seq, submit, () => api('PUT', '/settings/activation-profile', text.value, {contentType: 'application/json'}),
        reload, () => 'Activation profile saved');
    });
    return section('activation', 'Activation profile',
      h('p', {class: 'hint muted'}, 'What devices from Apple Business or School Manager get at activation (JSON, as ' +
        'Apple\u2019s DEP profile); its url must be ', h('span', {class: 'mono'}, `${base}/profile`), '.'),
      form);
  }

  // Two password fields; refusal() says why they cannot be sent yet, or null.
  function passwordPair(prefix) {
    const first = h('input', {type: 'password', id: `${prefix}-password`, 'data-test': `${prefix}-password`,
      autocomplete: 'new-password'});
    const second = h('input', {type: 'password', id: `${prefix}-password2`, 'data-test': `${prefix}-password2`,
      autocomplete: 'new-password'});
    return {
      fields: [formField(`${prefix}-password`, 'Password', first), formField(`${prefix}-password2`, 'The password again', second)],
      value: () => first.value,
      focus: () => first.focus(),
      refusal: () => {
        if (first.value === '') return 'Enter the password.';
        return first.value === second.value ? null : 'The two passwords differ: type the same one twice.';
      },
    };
  }

  function cancelButton(area) {
    const button = h('button', {type: 'button', class: 'button secondary', 'data-test': 'user-cancel'}, 'Cancel');
    button.addEventListener('click', () => area.replaceChildren());
    return button;
  }

  function openPasswordForm(seq, name, area, reload) {
    const pw = passwordPair('user-change');
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'user-password-submit',
      'data-test': 'user-password-submit'}, 'Change password');
    const form = h('form', {class: 'card inline-form', id: 'user-password-form', 'data-user': name, novalidate: true},
      h('h3', null, `New password for ${name}`),
      h('div', {class: 'form-row'}, pw.fields),
      h('div', {class: 'form-actions'}, submit, cancelButton(area)));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const refusal = pw.refusal();
      if (refusal) {
        showMessage(refusal, 'error');
        pw.focus();
        return;
      }
      submitChange(seq, submit, () => api('PUT', `/users/${encodeURIComponent(name)}/password`, {password: pw.value()}),
        reload, () => `Password of ${name} changed`);
    });
    area.replaceChildren(form);
    pw.focus();
  }

  function openRemoveForm(seq, name, area, reload) {
    const submit = h('button', {type: 'submit', class: 'button danger', id: 'user-remove-confirm',
      'data-test': 'user-remove-confirm'}, `Remove ${name}`);
    const form = h('form', {class: 'card inline-form danger-zone', id: 'user-remove-form', 'data-user': name, novalidate: true},
      h('h3', null, `Remove ${name}?`),
      h('p', null, 'The account can no longer log in. The audit log keeps what it did.'),
      h('div', {class: 'form-actions'}, submit, cancelButton(area)));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitChange(seq, submit, () => api('DELETE', `/users/${encodeURIComponent(name)}`), reload,
        () => `User ${name} removed`);
    });
    area.replaceChildren(form);
    submit.focus();
  }

  // mine: the account logged in here, which has no remove button (the server refuses it too).
  function userRow(seq, u, mine, area, reload) {
    const password = h('button', {type: 'button', class: 'button secondary', 'data-test': 'user-password'}, 'New password');
    password.addEventListener('click', () => openPasswordForm(seq, u.name, area, reload));
    let remove = null;
    if (!mine) {
      remove = h('button', {type: 'button', class: 'button danger-outline', 'data-test': 'user-remove'}, 'Remove');
      remove.addEventListener('click', () => openRemoveForm(seq, u.name, area, reload));
    }
    return h('tr', {'data-user': u.name},
      h('td', null, u.name, mine ? h('span', {class: 'muted'}, ' (you)') : null),
      h('td', null, h('span', {class: 'badge', 'data-role': u.role}, String(u.role))),
      h('td', null, timeNode(u.created_at, true)),
      h('td', null, timeNode(u.password_changed_at, true)),
      h('td', {class: 'num'}, String(countOf(u.sessions))),
      h('td', null, timeNode(u.last_used_at, true)),
      h('td', null, h('div', {class: 'row-actions'}, password, remove)));
  }

  function addUserForm(seq, reload) {
    const name = h('input', {id: 'user-name', 'data-test': 'user-name', type: 'text', autocomplete: 'off',
      autocapitalize: 'none', spellcheck: 'false', maxlength: '64'});
    const role = h('select', {id: 'user-role', 'data-test': 'user-role'},
      ['viewer', 'helpdesk', 'admin'].map((r) => h('option', {value: r}, r)));
    const pw = passwordPair('user-new');
    const submit = h('button', {type: 'submit', class: 'button primary', id: 'user-add-submit', 'data-test': 'user-add-submit'},
      'Add');
    const form = h('form', {id: 'user-add', 'data-test': 'user-add', class: 'user-add', novalidate: true},
      h('h3', null, 'Add a user'),
      h('div', {class: 'form-row'}, formField('user-name', 'Name', name), formField('user-role', 'Role', role), pw.fields,
        h('div', {class: 'field'}, submit)),
      h('p', {class: 'hint muted'}, 'A viewer reads; helpdesk also sends commands and enrolls devices; an admin also ' +
        'changes the catalog, the settings and the users.'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const wanted = name.value.trim();
      const refusal = wanted === '' ? 'Enter a name for the user.' : pw.refusal();
      if (refusal) {
        showMessage(refusal, 'error');
        (wanted === '' ? name : pw).focus();
        return;
      }
      submitChange(seq, submit, () => api('POST', '/users', {name: wanted, role: role.value, password: pw.value()}), reload,
        (r) => `User ${r.created || wanted} added as ${role.value}`);
    });
    return form;
  }

  function usersSection(seq, users, reload) {
    const list = arrayOf(users).filter((u) => isObject(u) && typeof u.name === 'string');
    const me = state.session ? state.session.user : null;
    const area = h('div', {id: 'user-form-area'});
    const headers = [['Name'], ['Role'], ['Created'], ['Password set'], ['Sessions', 'num'], ['Last used'],
      [h('span', {class: 'visually-hidden'}, 'Actions')]];
    return countSection('users', 'Users', list.length,
      tableWrap(listTable({id: 'user-table', class: 'list users'}, headers,
        list.map((u) => userRow(seq, u, u.name === me, area, reload)), 'No users.')),
      area,
      addUserForm(seq, reload));
  }

  async function renderSettings(view, seq, keep) {
    document.title = 'Settings \u2013 MDM console';
    const page = (...body) => h('div', {id: 'settings-page'}, pageHead('Settings'), body);
    if (!isAdmin()) {
      view.replaceChildren(page(h('p', {class: 'muted'}, 'Only an admin sees and changes the settings.')));
      return;
    }
    if (!keep) view.replaceChildren(page(loading()));
    let settings;
    let users;
    try {
      [settings, users] = await Promise.all([api('GET', '/settings'), api('GET', '/users')]);
    } catch (e) {
      if (!current(seq)) return;
      showError(e);
      if (!keep) view.replaceChildren(page(h('p', {class: 'muted'}, 'The settings could not be loaded.')));
      return;
    }
    if (!current(seq)) return;
    // After a change the page is drawn again from the server's answer, as the other pages are.
    const reload = () => renderSettings($('#view'), seq, true);
    view.replaceChildren(page(
      h('div', {class: 'grid settings-grid'},
        apiUrlSection(seq, settings, reload),
        // The vendor certificate first: the push certificate's request needs it.
        vendorSection(seq, settings, reload),
        pushSection(seq, settings, reload),
        abmSection(seq, settings, reload),
        activationSection(seq, settings, reload),
        usersSection(seq, users, reload),
        section('audit', 'Audit log', h('p', null, 'Every change made here is in the ',
          h('a', {href: '#/audit', id: 'settings-audit-link', 'data-test': 'settings-audit-link'}, 'audit log'), '.')))));
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
