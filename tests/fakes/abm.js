#!/usr/bin/env node
// A fake of Apple's device enrollment API (mdmenrollment.apple.com, "ABM/ASM") for tests and
// benchmarks: OAuth 1.0a sessions, the device fetch/sync cursors, device details, disown and
// activation profiles, with the strictness of the real service.
//
//   node abm.js --cert FILE --key FILE --state DIR
//               --consumer-key K --consumer-secret S --access-token T --access-secret A
//               [--port 0] [--devices 0] [--page-limit-max 1000]
//
// --port 0 picks a free port. When ready it prints exactly one line, "listening PORT", on stdout;
// diagnostics go to stderr. It listens on 127.0.0.1 only, HTTPS (HTTP/1.1).
//
// The account holds --devices devices ABM00000001, ABM00000002, ... made up from their number on
// demand (model, description, color, asset_tag, os "iOS", device_family "iPad"/"iPhone",
// profile_status "empty", device_assigned_by, device_assigned_date), so 100,000 cost nothing.
//
// GET /session: "Authorization: OAuth ..." (RFC 5849) with oauth_consumer_key, oauth_token,
// oauth_signature_method "HMAC-SHA1", oauth_timestamp (within 10 minutes of now), oauth_nonce
// (never seen before), oauth_version "1.0" and oauth_signature; an optional realm is ignored.
// The signature base string is METHOD & enc(https://HOST[:PORT]/session) & enc(parameters), the
// parameters being the header's oauth_* (without oauth_signature and realm) and the query's,
// each name and value percent-encoded (RFC 3986 unreserved characters kept), sorted by name then
// value, joined as name=value with "&"; HOST:PORT is the Host header in lower case (":443"
// dropped). The key is enc(consumer secret) & enc(access secret). Answers 200
// {"auth_session_token": ...}, or 401 {"code": "oauth_problem_adviced", "oauth_problem": ...}
// naming one of parameter_absent, parameter_rejected, signature_method_rejected,
// version_rejected, consumer_key_unknown, token_rejected, timestamp_refused, signature_invalid,
// nonce_used. A nonce counts as used only once its signature was good.
//
// Every other endpoint checks, in order (error bodies are the bare code, text/plain):
//   unknown path / method                       404 NOT_FOUND / 405 METHOD_NOT_ALLOWED
//   no X-Server-Protocol-Version                400 X_SERVER_PROTOCOL_VERSION_REQUIRED
//   X-ADM-Auth-Session not a live session       401 UNAUTHORIZED
//   forced by control.json (fail_after, rate_limit, below)
//   a body without the exact Content-Type "application/json;charset=UTF8"
//                                               400 INVALID_CONTENT_TYPE
//   a body that is not a JSON object            400 MALFORMED_REQUEST_BODY
// Answers past the session check (but the forced 401) carry X-ADM-Auth-Session: the session's
// newest token. A session gets a new token every 5 requests; the one it replaces stays good for 2
// more minutes, and any token lapses 30 minutes after it was issued.
//
//   GET /account                 the account (server_name, server_uuid, org_*, urls, ...)
//   POST /server/devices         {"limit"?, "cursor"?}: the full fetch, in account order. limit
//                                defaults to 100, is capped at --page-limit-max, must be a
//                                positive integer. Answers {"devices", "cursor",
//                                "more_to_follow", "fetched_until"}. The cursor of the last page
//                                (more_to_follow false) is a sync cursor: given back here it is
//                                400 EXHAUSTED_CURSOR; /devices/sync takes it.
//   POST /devices/sync           {"limit"?, "cursor"}: the changes since the cursor (its fetch's
//                                start for a fetch cursor), each a device with "op_type" (added,
//                                modified, deleted) and "op_date", oldest first; a serial can come
//                                more than once. No cursor: 400 CURSOR_REQUIRED.
//   POST /devices                {"devices": [serial]}: {"devices": {serial: {...device,
//                                "response_status": "SUCCESS"} | {"response_status": "NOT_ACCESSIBLE"}}}
//   POST /devices/disown         {"devices": [serial]}: {"devices": {serial: "SUCCESS" |
//                                "NOT_ACCESSIBLE"}}; disowned devices leave the account and sync
//                                reports them deleted.
//   POST /profile                an activation profile; profile_name (1-125 characters) and url
//                                (https, up to 2000) required (CONFIG_NAME_REQUIRED/_INVALID,
//                                CONFIG_URL_REQUIRED/_INVALID); is_mdm_removable false with
//                                is_supervised false is FLAGS_INVALID; optional "devices" are
//                                assigned at once. {"profile_uuid", "devices": {serial: status}}
//   GET /profile?profile_uuid=U  the stored profile with its profile_uuid (400
//                                PROFILE_UUID_REQUIRED, 404 NOT_FOUND)
//   PUT|POST /profile/devices    {"profile_uuid", "devices"}: {"profile_uuid", "devices": {serial:
//                                "SUCCESS" | "NOT_ACCESSIBLE" (not in the account) | "FAILED"
//                                (fail_assign)}}; SUCCESS sets profile_status "assigned",
//                                profile_uuid and profile_assign_time (400 PROFILE_UUID_REQUIRED,
//                                PROFILE_NOT_FOUND, DEVICE_ID_REQUIRED)
//   DELETE /profile/devices      {"devices"}: {"devices": {serial: "SUCCESS" | "NOT_ACCESSIBLE"}};
//                                profile_status back to "empty"
// Cursors are opaque, signed with a key of this process: one not made here is INVALID_CURSOR,
// one older than 7 days EXPIRED_CURSOR.
//
// Test control: <state>/control.json, looked at on every request and taken again whenever it
// changed (content, inode, mtime or size; write it elsewhere and rename it into place):
//   "changes": [{"serial", "op_type": "added"|"modified"|"deleted", "op_date"?, ...fields}]
//       applied to the account and appended to the sync log, once each: when the list extends
//       the one applied before, only the new entries count; any other list counts whole.
//       "added" serials join the account (at its end), "deleted" ones leave it; other fields
//       (model, color, profile_status, ...) update the device. op_date defaults to now.
//   "expire_cursors": true      cursors issued before this file was taken: EXPIRED_CURSOR
//   "invalid_cursors": true     cursors issued before this file was taken: INVALID_CURSOR
//   "fail_after": N             the N-th request with a live session after the file was taken
//                               is 401 UNAUTHORIZED and its session ends (once)
//   "rate_limit": {"after": N, "retry_after": S}
//                               the N-th such request (or the next, if fail_after took that one)
//                               is 429 TOO_MANY_REQUESTS with Retry-After: S (once)
//   "fail_assign": [serial]     assigning a profile to these answers FAILED
//   "session_busy": {"status": 429|503, "times": N, "retry_after": S}
//                               the next N GET /session answer that status with Retry-After: S,
//                               before any check (Apple may rate-limit every endpoint)
// Network faults, each one of: true (every request), or {"path"?, "from"?, "times"?}: the requests
// to that path (any request, /session included, without one), counted by each fault on its own
// from when the file was taken, from the "from"-th (default 1) on, for "times" requests (default:
// every one from there). A faulted request is handled all the same (its effects happen); only its
// answer is withheld:
//   "stall"                     no answer ever; the connection stays open until the client leaves
//   "drop"                      the connection is closed (FIN) with no answer
//   "reset"                     the connection is reset (TCP RST) with no answer
//   "delay_ms": M | {"ms": M, "path"?, "from"?, "times"?}
//                               the answer is sent M milliseconds (0 to 600000) late
// When several match one request, the first of stall, drop, reset, delay_ms acts.
// An invalid file is reported on stderr and changes nothing.
//
// Records: <state>/requests.jsonl gets one line per answer, written before the answer is sent:
// {"method", "path" (without the query), "status", "body"? (the request body, when it had one)};
// a request a fault leaves unanswered gets its line at once, with status 0 and "fault": "stall",
// "drop" or "reset".
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

const JSON_TYPE = 'application/json;charset=UTF8';
const TEXT_TYPE = 'text/plain;charset=UTF8';
const OAUTH_WINDOW_SECONDS = 600;
const OAUTH_REQUIRED = [
  'oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce',
  'oauth_version', 'oauth_signature',
];
const SESSION_LIFETIME_MS = 30 * 60 * 1000;
const SESSION_GRACE_MS = 2 * 60 * 1000;
const SESSION_ROTATE_EVERY = 5;
const CURSOR_LIFETIME_SECONDS = 7 * 24 * 3600;
const CURSOR_MAX_LENGTH = 1000;
const CURSOR_MAC_HEX = 32;
const DEFAULT_LIMIT = 100;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const OP_TYPES = new Set(['added', 'modified', 'deleted']);
const DEVICE_KINDS = [
  { device_family: 'iPad', model: 'iPad (9th generation)', description: 'IPAD 10.2 WI-FI 64GB SPACE GRAY', color: 'SPACE GRAY' },
  { device_family: 'iPhone', model: 'iPhone 13', description: 'IPHONE 13 128GB MIDNIGHT', color: 'MIDNIGHT' },
  { device_family: 'iPad', model: 'iPad Air (5th generation)', description: 'IPAD AIR WI-FI 64GB BLUE', color: 'BLUE' },
  { device_family: 'iPhone', model: 'iPhone SE (3rd generation)', description: 'IPHONE SE 64GB STARLIGHT', color: 'STARLIGHT' },
];
const ASSIGNED_BY = 'admin@fake-abm.example';
const FIRST_ASSIGNED_MS = Date.UTC(2024, 0, 1);

function parseArgs(argv) {
  const names = {
    '--port': 'port', '--cert': 'cert', '--key': 'key', '--state': 'state', '--devices': 'devices',
    '--consumer-key': 'consumerKey', '--consumer-secret': 'consumerSecret',
    '--access-token': 'accessToken', '--access-secret': 'accessSecret', '--page-limit-max': 'pageLimitMax',
  };
  const opts = { port: '0', devices: '0', pageLimitMax: '1000' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[name] = argv[i + 1];
  }
  for (const [flag, name] of Object.entries(names)) {
    if (opts[name] === undefined) throw new Error(`missing ${flag}`);
  }
  for (const [flag, name] of [['--port', 'port'], ['--devices', 'devices'], ['--page-limit-max', 'pageLimitMax']]) {
    if (!/^[0-9]+$/.test(opts[name])) throw new Error(`${flag} must be a number`);
    opts[name] = Number(opts[name]);
  }
  if (opts.pageLimitMax < 1) throw new Error('--page-limit-max must be at least 1');
  return opts;
}

// "2024-01-01T00:00:00Z", as Apple writes times.
function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// --- OAuth 1.0a (RFC 5849) -----------------------------------------------------------------

// Percent-encoding per RFC 5849 section 3.6: all but ALPHA, DIGIT, "-", ".", "_", "~".
function percentEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function percentDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

// The parameters of an "Authorization: OAuth ..." header (section 3.5.1), decoded; null when the
// header is malformed or names a parameter twice.
function parseOAuthHeader(header) {
  const m = /^OAuth\s+(.*)$/is.exec(header);
  if (!m) return null;
  const params = new Map();
  for (const part of m[1].split(',')) {
    const kv = /^\s*([^=\s]+)="([^"]*)"\s*$/.exec(part);
    const name = kv && percentDecode(kv[1]);
    const value = kv && percentDecode(kv[2]);
    if (name === null || value === null || params.has(name)) return null;
    params.set(name, value);
  }
  return params;
}

// Section 3.4.1: METHOD & enc(base URI) & enc(normalized parameters).
function signatureBaseString(method, baseUri, params) {
  const encoded = params.map(([name, value]) => [percentEncode(name), percentEncode(value)]);
  encoded.sort(([an, av], [bn, bv]) => (an === bn ? compare(av, bv) : compare(an, bn)));
  const normalized = encoded.map(([name, value]) => `${name}=${value}`).join('&');
  return [method.toUpperCase(), percentEncode(baseUri), percentEncode(normalized)].join('&');
}

function compare(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

// Checks the OAuth signature of a /session request; the oauth_problem, or null when it is good.
class OAuthVerifier {
  constructor(opts) {
    this.opts = opts;
    this.nonces = new Map();  // nonce -> its timestamp, for as long as that timestamp is acceptable
  }

  problem(req, url, nowMs) {
    if (req.headers.authorization === undefined) return 'parameter_absent';
    const params = parseOAuthHeader(req.headers.authorization);
    if (params === null) return 'parameter_rejected';
    if (OAUTH_REQUIRED.some((name) => !params.has(name))) return 'parameter_absent';
    if (params.get('oauth_signature_method') !== 'HMAC-SHA1') return 'signature_method_rejected';
    if (params.get('oauth_version') !== '1.0') return 'version_rejected';
    if (params.get('oauth_consumer_key') !== this.opts.consumerKey) return 'consumer_key_unknown';
    if (params.get('oauth_token') !== this.opts.accessToken) return 'token_rejected';
    const timestamp = params.get('oauth_timestamp');
    const nowSeconds = Math.floor(nowMs / 1000);
    if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - nowSeconds) > OAUTH_WINDOW_SECONDS) {
      return 'timestamp_refused';
    }
    const host = (req.headers.host ?? '').toLowerCase().replace(/:443$/, '');
    const signed = [...params].filter(([name]) => name !== 'oauth_signature' && name !== 'realm');
    const base = signatureBaseString(req.method, `https://${host}${url.pathname}`, [...signed, ...url.searchParams]);
    const key = `${percentEncode(this.opts.consumerSecret)}&${percentEncode(this.opts.accessSecret)}`;
    const expected = Buffer.from(crypto.createHmac('sha1', key).update(base).digest('base64'));
    const given = Buffer.from(params.get('oauth_signature'));
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'signature_invalid';

    for (const [nonce, seenAt] of this.nonces) {
      if (Math.abs(seenAt - nowSeconds) > OAUTH_WINDOW_SECONDS) this.nonces.delete(nonce);
    }
    const nonce = params.get('oauth_nonce');
    if (this.nonces.has(nonce)) return 'nonce_used';
    this.nonces.set(nonce, Number(timestamp));
    return null;
  }
}

// --- sessions ------------------------------------------------------------------------------

// Session tokens: each /session starts a chain whose newest token replaces the one before every
// few requests; replaced tokens stay good for a grace period.
class Sessions {
  constructor() {
    this.tokens = new Map();  // token -> { chain, validUntil }
  }

  open(nowMs) {
    const chain = { current: null, uses: 0, ended: false };
    this.issue(chain, nowMs);
    return chain.current;
  }

  // The chain of a live token (counting the use), or null.
  use(token, nowMs) {
    const entry = this.tokens.get(token ?? '');
    if (!entry || entry.validUntil < nowMs || entry.chain.ended) return null;
    const { chain } = entry;
    chain.uses += 1;
    if (chain.uses % SESSION_ROTATE_EVERY === 0) {
      const replaced = this.tokens.get(chain.current);
      replaced.validUntil = Math.min(replaced.validUntil, nowMs + SESSION_GRACE_MS);
      this.issue(chain, nowMs);
    }
    return chain;
  }

  end(chain) {
    chain.ended = true;
  }

  issue(chain, nowMs) {
    for (const [token, entry] of this.tokens) {
      if (entry.validUntil < nowMs || entry.chain.ended) this.tokens.delete(token);
    }
    chain.current = crypto.randomBytes(24).toString('base64url');
    this.tokens.set(chain.current, { chain, validUntil: nowMs + SESSION_LIFETIME_MS });
  }
}

// --- the account ---------------------------------------------------------------------------

function serialOf(number) {
  return `ABM${String(number).padStart(8, '0')}`;
}

function generatedDevice(number) {
  return {
    serial_number: serialOf(number),
    ...DEVICE_KINDS[number % DEVICE_KINDS.length],
    asset_tag: `TAG${String(number).padStart(8, '0')}`,
    os: 'iOS',
    profile_status: 'empty',
    device_assigned_by: ASSIGNED_BY,
    device_assigned_date: isoSeconds(FIRST_ASSIGNED_MS + number * 60 * 1000),
  };
}

// A device that joins through a change, before the change's own fields.
function joinedDevice(serial, nowMs) {
  return {
    serial_number: serial, ...DEVICE_KINDS[0], asset_tag: '', os: 'iOS', profile_status: 'empty',
    device_assigned_by: ASSIGNED_BY, device_assigned_date: isoSeconds(nowMs),
  };
}

// The devices: the generated ones, then those added later, in one order (a fetch cursor's
// position); records only for devices that differ from how they were made; the sync log.
class Account {
  constructor(size) {
    this.size = size;
    this.joined = [];          // serials added beyond the generated ones, in order
    this.joinedSet = new Set();
    this.records = new Map();  // serial -> device, where it differs from the generated one
    this.removed = new Set();  // serials that left the account
    this.log = [];             // sync entries (device, op_type, op_date); a sync position indexes it
  }

  generatedNumber(serial) {
    const m = /^ABM([0-9]{8})$/.exec(serial);
    const number = m ? Number(m[1]) : 0;
    return number >= 1 && number <= this.size ? number : 0;
  }

  known(serial) {
    return this.generatedNumber(serial) > 0 || this.joinedSet.has(serial);
  }

  has(serial) {
    return this.known(serial) && !this.removed.has(serial);
  }

  // The device of a known serial.
  device(serial) {
    return this.records.get(serial) ?? generatedDevice(this.generatedNumber(serial));
  }

  get positions() {
    return this.size + this.joined.length;
  }

  serialAt(position) {
    return position < this.size ? serialOf(position + 1) : this.joined[position - this.size];
  }

  update(serial, fields) {
    const device = { ...this.device(serial), ...fields };
    this.records.set(serial, device);
    return device;
  }

  clearProfile(serial) {
    const device = { ...this.device(serial), profile_status: 'empty' };
    delete device.profile_uuid;
    delete device.profile_assign_time;
    this.records.set(serial, device);
  }

  applyChange({ serial, op_type: opType, op_date: opDate, ...fields }, nowMs) {
    if (opType === 'added' && !this.known(serial)) {
      this.joined.push(serial);
      this.joinedSet.add(serial);
      this.records.set(serial, joinedDevice(serial, nowMs));
    }
    const device = this.known(serial) ? this.update(serial, fields) : { ...joinedDevice(serial, nowMs), ...fields };
    if (opType === 'deleted') this.removed.add(serial);
    if (opType === 'added') this.removed.delete(serial);
    this.log.push({ ...device, op_type: opType, op_date: opDate ?? isoSeconds(nowMs) });
  }
}

// --- cursors -------------------------------------------------------------------------------

// Opaque cursors: hex of "KIND:POSITION:SEQ:NUMBER:ISSUED" and a MAC. KIND F is a full fetch at
// account POSITION, started at sync log length SEQ; KIND S is a sync position SEQ. NUMBER counts
// the cursors issued, ISSUED is in seconds since 1970.
class Cursors {
  constructor() {
    this.key = crypto.randomBytes(32);
    this.issued = 0;
  }

  make(kind, position, seq, nowMs) {
    this.issued += 1;
    const payload = Buffer.from([kind, position, seq, this.issued, Math.floor(nowMs / 1000)].join(':')).toString('hex');
    return payload + this.mac(payload);
  }

  // The cursor's fields, or null when it was not made here.
  parse(cursor) {
    if (typeof cursor !== 'string' || cursor.length > CURSOR_MAX_LENGTH || !/^[0-9a-f]+$/.test(cursor)) return null;
    const payload = cursor.slice(0, -CURSOR_MAC_HEX);
    if (payload === '' || cursor.slice(-CURSOR_MAC_HEX) !== this.mac(payload)) return null;
    const m = /^([FS]):([0-9]+):([0-9]+):([0-9]+):([0-9]+)$/.exec(Buffer.from(payload, 'hex').toString());
    if (!m) return null;
    return { kind: m[1], position: Number(m[2]), seq: Number(m[3]), number: Number(m[4]), issued: Number(m[5]) };
  }

  mac(payload) {
    return crypto.createHmac('sha256', this.key).update(payload).digest('hex').slice(0, CURSOR_MAC_HEX);
  }
}

// --- control.json --------------------------------------------------------------------------

const CONTROL_KEYS = new Set([
  'changes', 'expire_cursors', 'invalid_cursors', 'fail_after', 'rate_limit', 'fail_assign', 'session_busy',
  'stall', 'drop', 'reset', 'delay_ms',
]);
// The network faults, in the order they are tried on a request.
const FAULTS = ['stall', 'drop', 'reset', 'delay_ms'];
const FAULT_KEYS = new Set(['path', 'from', 'times']);
const MAX_DELAY_MS = 600000;

function isPositiveInteger(v) {
  return Number.isInteger(v) && v >= 1;
}

function checkControl(c) {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('not a JSON object');
  for (const key of Object.keys(c)) {
    if (!CONTROL_KEYS.has(key)) throw new Error(`unknown key ${key}`);
  }
  if (c.changes !== undefined && !Array.isArray(c.changes)) throw new Error('changes is not a list');
  for (const change of c.changes ?? []) {
    if (typeof change?.serial !== 'string' || change.serial === '') throw new Error('a change without serial');
    if (!OP_TYPES.has(change.op_type)) throw new Error(`${change.serial}: bad op_type`);
    if (change.op_date !== undefined && typeof change.op_date !== 'string') throw new Error(`${change.serial}: bad op_date`);
  }
  if (c.fail_after !== undefined && !isPositiveInteger(c.fail_after)) throw new Error('bad fail_after');
  const rate = c.rate_limit;
  if (rate !== undefined && !(isPositiveInteger(rate?.after) && Number.isInteger(rate.retry_after) && rate.retry_after >= 0)) {
    throw new Error('bad rate_limit');
  }
  const busy = c.session_busy;
  if (busy !== undefined && !((busy?.status === 429 || busy?.status === 503) && isPositiveInteger(busy.times) &&
      Number.isInteger(busy.retry_after) && busy.retry_after >= 0)) {
    throw new Error('bad session_busy');
  }
  if (c.fail_assign !== undefined && !(Array.isArray(c.fail_assign) && c.fail_assign.every((s) => typeof s === 'string'))) {
    throw new Error('bad fail_assign');
  }
  for (const name of FAULTS) {
    if (c[name] !== undefined) faultOf(name, c[name]);
  }
}

// A network fault of control.json as { name, ms, path, from, times, seen }; throws when invalid.
function faultOf(name, value) {
  const fault = { name, ms: 0, path: null, from: 1, times: null, seen: 0 };
  const bad = (why) => new Error(`bad ${name}: ${why}`);
  const isDelay = (v) => Number.isInteger(v) && v >= 0 && v <= MAX_DELAY_MS;
  if (name === 'delay_ms' && typeof value === 'number') {
    if (!isDelay(value)) throw bad(`not an integer from 0 to ${MAX_DELAY_MS}`);
    fault.ms = value;
    return fault;
  }
  if (value === true && name !== 'delay_ms') return fault;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw bad(name === 'delay_ms' ? 'neither milliseconds nor an object' : 'neither true nor an object');
  }
  for (const key of Object.keys(value)) {
    if (!FAULT_KEYS.has(key) && !(name === 'delay_ms' && key === 'ms')) throw bad(`unknown key ${key}`);
  }
  if (name === 'delay_ms') {
    if (!isDelay(value.ms)) throw bad(`ms is not an integer from 0 to ${MAX_DELAY_MS}`);
    fault.ms = value.ms;
  }
  if (value.path !== undefined) {
    if (typeof value.path !== 'string' || !value.path.startsWith('/')) throw bad('path does not start with /');
    fault.path = value.path;
  }
  if (value.from !== undefined) {
    if (!isPositiveInteger(value.from)) throw bad('from is not a positive integer');
    fault.from = value.from;
  }
  if (value.times !== undefined) {
    if (!isPositiveInteger(value.times)) throw bad('times is not a positive integer');
    fault.times = value.times;
  }
  return fault;
}

class Control {
  constructor(file) {
    this.file = file;
    this.stamp = '';
    this.text = '';
    this.applied = [];  // the changes applied so far, as JSON text
    this.invalidUpTo = 0;
    this.expireUpTo = 0;
    this.sessionBusy = null;
    this.failAt = null;
    this.rateLimit = null;
    this.failAssign = new Set();
    this.count = 0;  // requests with a live session since the file was taken
    this.faults = [];  // network faults, in FAULTS order, each counting its requests
  }

  refresh(account, cursors, nowMs) {
    const st = fs.statSync(this.file, { bigint: true, throwIfNoEntry: false });
    const stamp = st ? `${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}` : '';
    const text = st ? fs.readFileSync(this.file, 'utf8') : '';
    if (stamp === this.stamp && text === this.text) return;
    this.stamp = stamp;
    this.text = text;
    let c;
    try {
      c = text === '' ? {} : JSON.parse(text);
      checkControl(c);
    } catch (e) {
      process.stderr.write(`abm fake: ignoring ${this.file}: ${e.message}\n`);
      return;
    }
    this.invalidUpTo = c.invalid_cursors ? cursors.issued : 0;
    this.expireUpTo = c.expire_cursors ? cursors.issued : 0;
    this.failAt = c.fail_after ?? null;
    this.rateLimit = c.rate_limit ?? null;
    this.sessionBusy = c.session_busy ? { ...c.session_busy } : null;
    this.failAssign = new Set(c.fail_assign ?? []);
    this.count = 0;
    this.faults = FAULTS.filter((name) => c[name] !== undefined).map((name) => faultOf(name, c[name]));
    const changes = c.changes ?? [];
    const texts = changes.map((change) => JSON.stringify(change));
    const extendsApplied = this.applied.length <= texts.length && this.applied.every((t, i) => t === texts[i]);
    for (const change of changes.slice(extendsApplied ? this.applied.length : 0)) account.applyChange(change, nowMs);
    this.applied = texts;
  }

  // The answer forced on a request with a live session, or null.
  forced() {
    this.count += 1;
    if (this.failAt !== null && this.count >= this.failAt) {
      this.failAt = null;
      return { status: 401, body: 'UNAUTHORIZED' };
    }
    if (this.rateLimit !== null && this.count >= this.rateLimit.after) {
      const retryAfter = this.rateLimit.retry_after;
      this.rateLimit = null;
      return { status: 429, body: 'TOO_MANY_REQUESTS', headers: { 'Retry-After': String(retryAfter) } };
    }
    return null;
  }

  // The network fault that acts on a request to `pathname` (counting it for each fault whose path
  // it matches), or null.
  fault(pathname) {
    let acting = null;
    for (const f of this.faults) {
      if (f.path !== null && f.path !== pathname) continue;
      f.seen += 1;
      const hit = f.seen >= f.from && (f.times === null || f.seen < f.from + f.times);
      if (hit && acting === null) acting = f;
    }
    return acting;
  }

  cursorProblem(cursor, nowMs) {
    if (cursor === null || cursor.number <= this.invalidUpTo) return 'INVALID_CURSOR';
    if (cursor.number <= this.expireUpTo || nowMs / 1000 - cursor.issued > CURSOR_LIFETIME_SECONDS) return 'EXPIRED_CURSOR';
    return null;
  }
}

// --- the API -------------------------------------------------------------------------------

function error(status, code) {
  return { status, body: code };
}

// A cursor in a request body: absent, null and "" mean none.
function hasCursor(input) {
  return input.cursor !== undefined && input.cursor !== null && input.cursor !== '';
}

function isSerialList(v) {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
}

function isHttpsUrl(v) {
  if (typeof v !== 'string' || v.length > 2000) return false;
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}

function profileProblem(p) {
  if (p.profile_name === undefined) return 'CONFIG_NAME_REQUIRED';
  if (typeof p.profile_name !== 'string' || p.profile_name === '' || [...p.profile_name].length > 125) {
    return 'CONFIG_NAME_INVALID';
  }
  if (p.url === undefined) return 'CONFIG_URL_REQUIRED';
  if (!isHttpsUrl(p.url)) return 'CONFIG_URL_INVALID';
  if (p.is_mdm_removable === false && p.is_supervised === false) return 'FLAGS_INVALID';
  if (p.devices !== undefined && !isSerialList(p.devices)) return 'DEVICE_ID_REQUIRED';
  return null;
}

class Api {
  constructor(opts, account, cursors, control) {
    this.opts = opts;
    this.account = account;
    this.cursors = cursors;
    this.control = control;
    this.profiles = new Map();  // profile_uuid -> the profile as defined, with its profile_uuid
    const digest = crypto.createHash('sha256').update(opts.consumerKey).digest('hex').toUpperCase();
    this.serverUuid = [digest.slice(0, 8), digest.slice(8, 12), digest.slice(12, 16), digest.slice(16, 20), digest.slice(20, 32)].join('-');
    this.routes = new Map([
      ['GET /account', () => this.accountInfo()],
      ['POST /server/devices', (input, url, now) => this.fetch(input, now)],
      ['POST /devices/sync', (input, url, now) => this.sync(input, now)],
      ['POST /devices', (input) => this.details(input)],
      ['POST /devices/disown', (input, url, now) => this.disown(input, now)],
      ['POST /profile', (input, url, now) => this.defineProfile(input, now)],
      ['GET /profile', (input, url) => this.profile(url)],
      ['PUT /profile/devices', (input, url, now) => this.assignProfile(input, now)],
      ['POST /profile/devices', (input, url, now) => this.assignProfile(input, now)],
      ['DELETE /profile/devices', (input) => this.removeProfile(input)],
    ]);
    this.paths = new Set([...this.routes.keys()].map((route) => route.split(' ')[1]));
  }

  accountInfo() {
    const url = (uri, method) => ({ uri, http_method: [method], limit: { default: DEFAULT_LIMIT, maximum: this.opts.pageLimitMax } });
    return {
      status: 200,
      body: {
        server_name: 'Fake MDM Server', server_uuid: this.serverUuid, admin_id: ASSIGNED_BY,
        facilitator_id: ASSIGNED_BY, org_name: 'Fake Organisation', org_email: 'it@fake-abm.example',
        org_phone: '+1 555 0100', org_address: '1 Infinite Loop, Cupertino, CA 95014', org_type: 'org',
        org_version: 'v2', org_id: '1234567', org_id_hash: this.serverUuid.replace(/-/g, '').toLowerCase(),
        urls: [
          url('/account', 'GET'), url('/server/devices', 'POST'), url('/devices/sync', 'POST'),
          url('/devices', 'POST'), url('/devices/disown', 'POST'), url('/profile', 'POST'),
          url('/profile', 'GET'), url('/profile/devices', 'PUT'), url('/profile/devices', 'DELETE'),
        ],
      },
    };
  }

  // The page size a request asks for (capped), or null when it is not a positive integer.
  limit(input) {
    if (input.limit === undefined) return Math.min(DEFAULT_LIMIT, this.opts.pageLimitMax);
    return isPositiveInteger(input.limit) ? Math.min(input.limit, this.opts.pageLimitMax) : null;
  }

  fetch(input, now) {
    const limit = this.limit(input);
    if (limit === null) return error(400, 'MALFORMED_REQUEST_BODY');
    let position = 0;
    let seq = this.account.log.length;
    if (hasCursor(input)) {
      const cursor = this.cursors.parse(input.cursor);
      const problem = this.control.cursorProblem(cursor, now);
      if (problem) return error(400, problem);
      if (cursor.kind === 'S') return error(400, 'EXHAUSTED_CURSOR');
      ({ position, seq } = cursor);
    }
    const { account } = this;
    const end = account.positions;
    const devices = [];
    for (; position < end && devices.length < limit; position += 1) {
      const serial = account.serialAt(position);
      if (!account.removed.has(serial)) devices.push(account.device(serial));
    }
    while (position < end && account.removed.has(account.serialAt(position))) position += 1;
    const more = position < end;
    return {
      status: 200,
      body: {
        devices,
        cursor: more ? this.cursors.make('F', position, seq, now) : this.cursors.make('S', 0, seq, now),
        more_to_follow: more,
        fetched_until: isoSeconds(now),
      },
    };
  }

  sync(input, now) {
    if (!hasCursor(input)) return error(400, 'CURSOR_REQUIRED');
    const limit = this.limit(input);
    if (limit === null) return error(400, 'MALFORMED_REQUEST_BODY');
    const cursor = this.cursors.parse(input.cursor);
    const problem = this.control.cursorProblem(cursor, now);
    if (problem) return error(400, problem);
    const { log } = this.account;
    const end = Math.min(log.length, cursor.seq + limit);
    return {
      status: 200,
      body: {
        devices: log.slice(cursor.seq, end),
        cursor: this.cursors.make('S', 0, end, now),
        more_to_follow: end < log.length,
        fetched_until: isoSeconds(now),
      },
    };
  }

  details(input) {
    if (!isSerialList(input.devices)) return error(400, 'DEVICE_ID_REQUIRED');
    const devices = {};
    for (const serial of input.devices) {
      devices[serial] = this.account.has(serial)
        ? { ...this.account.device(serial), response_status: 'SUCCESS' }
        : { response_status: 'NOT_ACCESSIBLE' };
    }
    return { status: 200, body: { devices } };
  }

  disown(input, now) {
    if (!isSerialList(input.devices)) return error(400, 'DEVICE_ID_REQUIRED');
    const devices = {};
    for (const serial of input.devices) {
      const owned = this.account.has(serial);
      if (owned) this.account.applyChange({ serial, op_type: 'deleted' }, now);
      devices[serial] = owned ? 'SUCCESS' : 'NOT_ACCESSIBLE';
    }
    return { status: 200, body: { devices } };
  }

  defineProfile(input, now) {
    const problem = profileProblem(input);
    if (problem) return error(400, problem);
    const { devices: serials, ...profile } = input;
    const uuid = crypto.randomBytes(16).toString('hex').toUpperCase();
    this.profiles.set(uuid, { ...profile, profile_uuid: uuid });
    return { status: 200, body: { profile_uuid: uuid, devices: this.assign(uuid, serials ?? [], now) } };
  }

  profile(url) {
    const uuid = url.searchParams.get('profile_uuid');
    if (!uuid) return error(400, 'PROFILE_UUID_REQUIRED');
    const profile = this.profiles.get(uuid);
    return profile ? { status: 200, body: profile } : error(404, 'NOT_FOUND');
  }

  assignProfile(input, now) {
    if (typeof input.profile_uuid !== 'string' || input.profile_uuid === '') return error(400, 'PROFILE_UUID_REQUIRED');
    if (!this.profiles.has(input.profile_uuid)) return error(400, 'PROFILE_NOT_FOUND');
    if (!isSerialList(input.devices)) return error(400, 'DEVICE_ID_REQUIRED');
    return { status: 200, body: { profile_uuid: input.profile_uuid, devices: this.assign(input.profile_uuid, input.devices, now) } };
  }

  assign(uuid, serials, now) {
    const results = {};
    for (const serial of serials) {
      if (this.control.failAssign.has(serial)) {
        results[serial] = 'FAILED';
      } else if (!this.account.has(serial)) {
        results[serial] = 'NOT_ACCESSIBLE';
      } else {
        this.account.update(serial, { profile_status: 'assigned', profile_uuid: uuid, profile_assign_time: isoSeconds(now) });
        results[serial] = 'SUCCESS';
      }
    }
    return results;
  }

  removeProfile(input) {
    if (!isSerialList(input.devices)) return error(400, 'DEVICE_ID_REQUIRED');
    const devices = {};
    for (const serial of input.devices) {
      const owned = this.account.has(serial);
      if (owned) this.account.clearProfile(serial);
      devices[serial] = owned ? 'SUCCESS' : 'NOT_ACCESSIBLE';
    }
    return { status: 200, body: { devices } };
  }
}

// --- the server ----------------------------------------------------------------------------

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const account = new Account(opts.devices);
  const cursors = new Cursors();
  const control = new Control(path.join(opts.state, 'control.json'));
  const api = new Api(opts, account, cursors, control);
  const verifier = new OAuthVerifier(opts);
  const sessions = new Sessions();
  const records = fs.openSync(path.join(opts.state, 'requests.jsonl'), 'a');

  const session = (req, url, now) => {
    const problem = verifier.problem(req, url, now);
    if (problem) return { status: 401, body: { code: 'oauth_problem_adviced', oauth_problem: problem } };
    return { status: 200, body: { auth_session_token: sessions.open(now) } };
  };

  // The answer to an authenticated endpoint, after the checks every one of them makes.
  const endpoint = (req, url, text, route, now) => {
    if (!req.headers['x-server-protocol-version']) return error(400, 'X_SERVER_PROTOCOL_VERSION_REQUIRED');
    const chain = sessions.use(req.headers['x-adm-auth-session'], now);
    if (!chain) return error(401, 'UNAUTHORIZED');
    const forced = control.forced();
    if (forced?.status === 401) sessions.end(chain);
    const reply = forced ?? handle(req, url, text, route, now);
    if (!chain.ended) reply.headers = { ...reply.headers, 'X-ADM-Auth-Session': chain.current };
    return reply;
  };

  const handle = (req, url, text, route, now) => {
    let input = {};
    if (text !== '') {
      if (req.headers['content-type'] !== JSON_TYPE) return error(400, 'INVALID_CONTENT_TYPE');
      try {
        input = JSON.parse(text);
      } catch {
        input = null;
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return error(400, 'MALFORMED_REQUEST_BODY');
    }
    return route(input, url, now);
  };

  const answer = (req, text, size) => {
    const now = Date.now();
    const url = new URL(req.url, 'https://localhost');  // only the path and the query are used
    control.refresh(account, cursors, now);
    if (size > MAX_BODY_BYTES) return error(413, 'REQUEST_ENTITY_TOO_LARGE');
    if (url.pathname === '/session' && req.method === 'GET' && control.sessionBusy && control.sessionBusy.times > 0) {
      const busy = control.sessionBusy;
      busy.times -= 1;
      return { status: busy.status, body: busy.status === 429 ? 'TOO_MANY_REQUESTS' : 'SERVICE_UNAVAILABLE',
               headers: { 'Retry-After': String(busy.retry_after) } };
    }
    if (url.pathname === '/session') return req.method === 'GET' ? session(req, url, now) : error(405, 'METHOD_NOT_ALLOWED');
    const route = api.routes.get(`${req.method} ${url.pathname}`);
    if (!route) return api.paths.has(url.pathname) ? error(405, 'METHOD_NOT_ALLOWED') : error(404, 'NOT_FOUND');
    return endpoint(req, url, text, route, now);
  };

  const server = https.createServer({ cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key) }, (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let reply;
      try {
        reply = answer(req, text, size);
      } catch (e) {
        process.stderr.write(`abm fake: ${req.method} ${req.url}: ${e.stack}\n`);
        reply = error(500, 'INTERNAL_SERVER_ERROR');
      }
      const record = { method: req.method, path: req.url.replace(/\?.*$/s, ''), status: reply.status };
      if (text !== '') record.body = text;
      const fault = control.fault(record.path);
      if (fault !== null && fault.name !== 'delay_ms') {
        Object.assign(record, { status: 0, fault: fault.name });
        fs.writeSync(records, `${JSON.stringify(record)}\n`);
        // The raw TCP socket under the TLS one: only it can be reset.
        if (fault.name === 'drop') req.socket.destroy();
        if (fault.name === 'reset') (req.socket._parent ?? req.socket).resetAndDestroy();
        return;  // "stall": the request stays unanswered
      }
      const send = () => {
        fs.writeSync(records, `${JSON.stringify(record)}\n`);
        const isText = typeof reply.body === 'string';
        const body = isText ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, { ...reply.headers, 'Content-Type': isText ? TEXT_TYPE : JSON_TYPE });
        res.end(body);
      };
      if (fault === null) send();
      else setTimeout(send, fault.ms);
    });
    req.on('error', () => {});  // a client going away mid-request is not our problem
  });
  server.on('tlsClientError', (err) => {
    process.stderr.write(`abm fake: TLS handshake failed: ${err.message}\n`);
  });
  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
}

main();
