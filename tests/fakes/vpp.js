#!/usr/bin/env node
// A fake of Apple's Apps and Books for Organizations API, version 2 (vpp.itunes.apple.com/mdm/v2,
// "VPP") for tests and benchmarks: content tokens as Bearer, service and client config, paged
// assets and assignments, asynchronous associate / disassociate events with limited licence
// counts, Apple's error bodies. docs/vpp-api.md says what Apple does; this follows it.
//
//   node vpp.js --cert FILE --key FILE --state DIR --tokens JSON|@FILE
//               [--port 0] [--assets JSON|@FILE] [--page-size 1000] [--max-serial-numbers 1000]
//               [--max-assets 25] [--event-delay-ms 200]
//
// --port 0 picks a free port. When ready it prints exactly one line, "listening PORT", on stdout;
// diagnostics go to stderr. It listens on 127.0.0.1 only, HTTPS (HTTP/1.1).
//
// --tokens: a JSON list (or @FILE holding one), one entry per location (each its own library):
//   {"sToken": "...",             the Bearer value: base64 of {"token","expDate","orgName"}
//    "locationName": "...",       required
//    "expDate"?: "...",           else the sToken's own expDate (else a year ahead)
//    "expired"?: true, "revoked"?: true,
//    "mdmInfo"?: {"id","name","metadata"},   already claimed by that (other) MDM server
//    "countryISO2ACode"?: "US", "assets"?: [...]}   (else the --assets list, a copy each)
// --assets: a JSON list (or @FILE): {"adamId" (string), "totalCount", "pricingParam"? "STDQ",
//   "productType"? "App", "deviceAssignable"? true, "revocable"? true, "supportedPlatforms"?
//   ["iOS"], "retiredCount"? 0}. availableCount = totalCount - assignedCount - retiredCount.
//
// Every answer is JSON. Errors are Apple's {"errorNumber", "errorMessage", "errorInfo"?}. Checks,
// in order:
//   path not under /mdm/v2/ nor /fake/, or unknown     404 9602
//   known path, other method                           405 9726
//   forced by control.json (rate_limit, unavailable, internal_error; below)
//   (all but GET service/config) no Authorization      401 9601
//     not "Bearer X"                                   401 9722
//     X not one of --tokens                            401 9601
//     token revoked (entry, or control.json)           401 9625
//     token expired (expDate past, entry, control)     401 9621
//   a POST body with a Content-Type other than application/json[;...]   415 9727
//   a POST body that is not a JSON object              400 9602
// Authenticated answers carry "tokenExpirationDate" (YYYY-MM-DDTHH:MM:SS+0000), "uId" and, once
// some server set it, "mdmInfo".
//
//   GET  /mdm/v2/service/config   {"errorCodes", "limits", "notificationTypes", "urls"}; limits are
//                                 Apple's example values but maxSerialNumbers and maxAssets (the
//                                 options) and control.json "limits" (merged over them).
//   GET  /mdm/v2/client/config    {"locationName", "countryISO2ACode", "defaultPlatform",
//                                 "websiteURL", "subscribedNotificationTypes", "notificationUrl"?,
//                                 "notificationAuthToken"?, "mdmInfo"?, ...}
//   POST /mdm/v2/client/config    {"mdmInfo"? {"id","name","metadata"} (all three strings, else
//                                 9723; lengths 9724 id, 9725 name, 9713 metadata),
//                                 "notificationUrl"? + "notificationAuthToken"? (both or neither
//                                 9710, length 9711, https 9712), "notificationTypes"?}: stored
//                                 (mdmInfo overwrites any other server's, as at Apple); the
//                                 GET answer. Notifications are never sent.
//   GET  /mdm/v2/assets           ?pageIndex, adamId, productType, pricingParam, revocable,
//                                 deviceAssignable, min/maxAvailableCount, min/maxAssignedCount:
//                                 {"assets", "currentPageIndex", "nextPageIndex" (when there is
//                                 a next page), "size", "totalPages", "versionId", ...}. Pages of
//                                 --page-size (control.json page_size); an empty set is one empty
//                                 page; pageIndex not an integer in 0..totalPages-1: 400 9650.
//                                 A bad filter value: 400 9602.
//   GET  /mdm/v2/assignments      ?pageIndex, adamId, serialNumber, clientUserId, pricingParam,
//                                 sinceVersionId (assignments made since that versionId; removals
//                                 are not reported; an id not issued here: 400 9721): paged
//                                 likewise, {"assignments": [{"adamId", "pricingParam",
//                                 "serialNumber"}], ...}, oldest first.
//   POST /mdm/v2/assets/associate, /mdm/v2/assets/disassociate
//                                 {"assets": [{"adamId", "pricingParam"?}], "serialNumbers"?,
//                                 "clientUserIds"?}. Synchronous 400s, nothing done: no assets
//                                 9718; neither list 9719; over maxAssets 9700, maxSerialNumbers
//                                 9702, maxClientUserIds 9701; duplicates 9703 / 9705 / 9704;
//                                 not strings 9602; an adamId (with that pricingParam; without
//                                 one: any) the location does not own 9602 with errorInfo.assets;
//                                 serials with an asset not device-assignable 9707; disassociate
//                                 of an asset not revocable 9706. Else {"eventId", ...}.
//   GET  /mdm/v2/status?eventId=  {"eventStatus", "eventType" (ASSOCIATE, DISASSOCIATE),
//                                 "numRequested" (assets x (serials + users)), "numCompleted",
//                                 "failures"?, ...}; unknown id (or another location's): 400 9708.
// An event is PENDING (numCompleted 0) until event_delay_ms after it was made, then takes effect
// (in the order the events were made, at the first request after that time) and is COMPLETE, or
// FAILED with "failures" when some task failed; the others still took effect. Per asset, serials
// in request order: one in control.json "unknown_serials" fails with unknown_serial_error (default
// 9609); associate: a serial already holding the asset completes without a second licence, else
// it takes one when availableCount > 0, else fails 9709; disassociate frees the licence (a serial
// not holding it completes too). clientUserIds always fail 9609 (no users here). failures:
// [{"errorNumber", "errorMessage", "errorInfo": {"assets": [asset], "serialNumbers" |
// "clientUserIds": [...]}}], one per error number and asset. Every change of a location's assets
// or assignments issues a new versionId.
//
// Test endpoints, without authentication, never faulted nor recorded:
//   GET  /fake/state[?assignments=1]   {"locations": [{"locationName", "uId", "mdmInfo"?,
//                                      "assets" (with counts), "assignmentCount",
//                                      "pendingEvents", "events", "assignments"? (all)}]}
//   POST /fake/assign {"location"? (default: the first), "adamId", "pricingParam"?,
//                     "serialNumbers", "disassociate"? false}: a change made by hand in ABM, at
//                     once: {"changed": [serial], "refused": [serial]} (refused: no licence left,
//                     or unknown asset: 400)
//
// Test control: <state>/control.json, looked at on every request and taken again whenever it
// changed (write it elsewhere and rename it into place). Counters start when it is taken:
//   "event_delay_ms": M          events made from now on complete M ms after (default: option)
//   "page_size": N               page size from now on
//   "limits": {...}              merged over service/config's limits, and enforced
//   "unknown_serials": [serial]  tasks for these serials fail with "unknown_serial_error"
//   "unknown_serial_error": N    default 9609
//   "expired_locations": [name], "revoked_locations": [name]   those tokens refused (9621, 9625)
//   "claimed_by": {"location"?, "id", "name", "metadata"}   another MDM server sets its mdmInfo
//                                (on that location, else on all) when the file is taken
//   "rate_limit": {"count": N, "retry_after"?: S, "path"?: P}
//                                the next N requests (to path P, e.g. "/mdm/v2/assets/associate",
//                                if given) answer 429 {"errorNumber": 9646} with Retry-After: S
//                                (no header when retry_after is absent)
//   "unavailable": {...same}     503 {"errorNumber": 9729} with Retry-After
//   "internal_error": {...same, no retry_after}   500 {"errorNumber": 9603}
// When several match, the first of rate_limit, unavailable, internal_error acts (and only it
// counts the request). Network faults, each one of: true (every request), or {"path"?, "from"?,
// "times"?}: the requests to that path (any, without one), counted by each fault on its own from
// when the file was taken, from the "from"-th (default 1) on, for "times" requests (default:
// every one from there). A faulted request is handled all the same; only its answer is withheld:
//   "stall" (never answered), "drop" (closed, FIN), "reset" (TCP RST),
//   "delay_ms": M | {"ms": M, "path"?, "from"?, "times"?}   (answered M ms late)
// An invalid file is reported on stderr and changes nothing.
//
// Records: <state>/requests.jsonl gets one line per /mdm/v2 answer, written before it is sent:
// {"method", "path" (without the query), "query"? (when there was one), "status", "body"? (the
// request body, when it had one), "location"? (the token's, once known)}; a request a network
// fault leaves unanswered gets its line at once, with status 0 and "fault".
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

const PREFIX = '/mdm/v2';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const YEAR_MS = 365 * 24 * 3600 * 1000;
const MAX_DELAY_MS = 600000;

// Apple's error numbers, with short messages of our own.
const MESSAGES = {
  9600: 'Missing required argument.',
  9601: 'Login required.',
  9602: 'Invalid argument.',
  9603: 'Internal error.',
  9609: 'Unable to find the registered user.',
  9621: 'The token has expired. Generate a new token in Apple School Manager or Apple Business Manager.',
  9625: 'The server has revoked the sToken.',
  9634: 'Service removed.',
  9646: 'There are too many recent requests. Try again later.',
  9650: 'The page index must be at least 0 and less than the number of pages.',
  9700: 'The request exceeds the maximum number of assets.',
  9701: 'The request exceeds the maximum number of clientUserIds.',
  9702: 'The request exceeds the maximum number of serialNumbers.',
  9703: 'The request contains duplicate assets.',
  9704: 'The request contains duplicate clientUserIds.',
  9705: 'The request contains duplicate serialNumbers.',
  9706: 'An asset in the request is not revocable.',
  9707: 'An asset in the request is not device-assignable.',
  9708: 'The eventId could not be found.',
  9709: 'There are not enough licenses available to complete this association.',
  9710: 'Both the notification URL and the authentication token are required.',
  9711: 'The notification URL or authentication token is too long.',
  9712: 'The notification URL must be a valid HTTPS URL.',
  9713: 'The MDM metadata is too long.',
  9718: 'The request contains no asset.',
  9719: 'Either clientUserIds or serialNumbers are required.',
  9721: 'The request contains an invalid version ID.',
  9722: "The Authorization header must have the form 'Bearer {sToken}'.",
  9723: 'An MDM name, ID and metadata are required to set the MDM information.',
  9724: 'The MDM ID is too long.',
  9725: 'The MDM name is too long.',
  9726: 'This HTTP method is not supported for this endpoint.',
  9727: 'This Content-Type is not supported for this endpoint.',
  9729: 'The service is temporarily unavailable. Try again later.',
};

const DEFAULT_LIMITS = {
  maxAssets: 25, maxUsers: 100, maxNotificationLength: 512, maxRevokeClientUserIds: 100,
  maxClientUserIds: 1000, maxSerialNumbers: 1000, maxRevokeSerialNumbers: 100, maxRequestPerSecond: 15,
  maxSubscriptions: 25, maxSubscriptionClientUserIds: 1000, maxMdmNameLength: 100,
  maxMdmMetadataLength: 255, maxMdmIdLength: 100,
};
const URL_PATHS = {
  clientConfig: 'client/config', getAssets: 'assets', getAssignments: 'assignments',
  associateAssets: 'assets/associate', disassociateAssets: 'assets/disassociate', revokeAssets: 'assets/revoke',
  eventStatus: 'status', getUsers: 'users', createUsers: 'users/create', updateUsers: 'users/update',
  retireUsers: 'users/retire',
};
const NOTIFICATION_TYPES = ['ASSET_MANAGEMENT', 'USER_MANAGEMENT', 'USER_ASSOCIATED', 'ASSET_COUNT'];

function fail(status, number, errorInfo) {
  const body = { errorNumber: number, errorMessage: MESSAGES[number] ?? 'Error.' };
  if (errorInfo) body.errorInfo = errorInfo;
  return { status, body };
}

function readJsonOption(flag, value) {
  const text = value.startsWith('@') ? fs.readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${flag}: ${e.message}`);
  }
}

function parseArgs(argv) {
  const names = {
    '--port': 'port', '--cert': 'cert', '--key': 'key', '--state': 'state', '--tokens': 'tokens',
    '--assets': 'assets', '--page-size': 'pageSize', '--max-serial-numbers': 'maxSerialNumbers',
    '--max-assets': 'maxAssets', '--event-delay-ms': 'eventDelayMs',
  };
  const opts = { port: '0', assets: '[]', pageSize: '1000', maxSerialNumbers: '1000', maxAssets: '25', eventDelayMs: '200' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[name] = argv[i + 1];
  }
  for (const [flag, name] of Object.entries(names)) {
    if (opts[name] === undefined) throw new Error(`missing ${flag}`);
  }
  for (const [flag, name] of [['--port', 'port'], ['--page-size', 'pageSize'], ['--max-serial-numbers', 'maxSerialNumbers'],
    ['--max-assets', 'maxAssets'], ['--event-delay-ms', 'eventDelayMs']]) {
    if (!/^[0-9]+$/.test(opts[name])) throw new Error(`${flag} must be a number`);
    opts[name] = Number(opts[name]);
  }
  if (opts.pageSize < 1 || opts.maxSerialNumbers < 1 || opts.maxAssets < 1) throw new Error('sizes must be at least 1');
  opts.tokens = readJsonOption('--tokens', opts.tokens);
  opts.assets = readJsonOption('--assets', opts.assets);
  if (!Array.isArray(opts.tokens) || opts.tokens.length === 0) throw new Error('--tokens: not a non-empty list');
  if (!Array.isArray(opts.assets)) throw new Error('--assets: not a list');
  return opts;
}

// "2030-11-08T22:33:22+0000", as Apple writes dates.
function appleDate(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

// Milliseconds of an ISO 8601 date, "+0000" offsets included; NaN when it is not one.
function parseDate(s) {
  if (typeof s !== 'string') return NaN;
  return Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

// The expDate inside an sToken, or NaN.
function tokenExpiry(sToken) {
  try {
    return parseDate(JSON.parse(Buffer.from(sToken, 'base64').toString('utf8')).expDate);
  } catch {
    return NaN;
  }
}

function isPositiveInteger(v) {
  return Number.isInteger(v) && v >= 1;
}

function isNonNegativeInteger(v) {
  return Number.isInteger(v) && v >= 0;
}

// --- the libraries -------------------------------------------------------------------------

function makeAsset(a) {
  if (a === null || typeof a !== 'object') throw new Error('an asset is not an object');
  if (typeof a.adamId !== 'string' || !/^[0-9]+$/.test(a.adamId)) throw new Error('an asset without a string adamId of digits');
  if (!isNonNegativeInteger(a.totalCount)) throw new Error(`asset ${a.adamId}: bad totalCount`);
  const asset = {
    adamId: a.adamId,
    pricingParam: a.pricingParam ?? 'STDQ',
    productType: a.productType ?? 'App',
    deviceAssignable: a.deviceAssignable ?? true,
    revocable: a.revocable ?? true,
    supportedPlatforms: a.supportedPlatforms ?? ['iOS'],
    totalCount: a.totalCount,
    retiredCount: a.retiredCount ?? 0,
    assigned: 0,
  };
  if (!['STDQ', 'PLUS'].includes(asset.pricingParam)) throw new Error(`asset ${a.adamId}: bad pricingParam`);
  if (!['App', 'Book'].includes(asset.productType)) throw new Error(`asset ${a.adamId}: bad productType`);
  if (!isNonNegativeInteger(asset.retiredCount)) throw new Error(`asset ${a.adamId}: bad retiredCount`);
  return asset;
}

function available(asset) {
  return Math.max(0, asset.totalCount - asset.assigned - asset.retiredCount);
}

function responseAsset(a) {
  return {
    adamId: a.adamId, assignedCount: a.assigned, availableCount: available(a), deviceAssignable: a.deviceAssignable,
    pricingParam: a.pricingParam, productType: a.productType, retiredCount: a.retiredCount, revocable: a.revocable,
    supportedPlatforms: a.supportedPlatforms, totalCount: a.totalCount,
  };
}

function assetKey(adamId, pricingParam) {
  return `${adamId}|${pricingParam}`;
}

const VERSION_PREFIX = crypto.randomBytes(4).toString('hex');

// One location: its token, library (assets, assignments), client config and events.
class Location {
  constructor(entry, defaultAssets, index) {
    if (entry === null || typeof entry !== 'object') throw new Error('--tokens: an entry is not an object');
    if (typeof entry.sToken !== 'string' || entry.sToken === '') throw new Error('--tokens: an entry without sToken');
    if (typeof entry.locationName !== 'string' || entry.locationName === '') throw new Error('--tokens: an entry without locationName');
    this.sToken = entry.sToken;
    this.name = entry.locationName;
    let exp = entry.expDate !== undefined ? parseDate(entry.expDate) : tokenExpiry(entry.sToken);
    if (entry.expDate !== undefined && Number.isNaN(exp)) throw new Error(`${this.name}: bad expDate`);
    if (Number.isNaN(exp)) exp = Date.now() + YEAR_MS;
    this.expiresMs = exp;
    this.expired = entry.expired === true;
    this.revoked = entry.revoked === true;
    this.country = entry.countryISO2ACode ?? 'US';
    this.uId = String(2049025000000000 + index * 1000 + 431);
    this.mdmInfo = entry.mdmInfo ? checkedMdmInfo(entry.mdmInfo) : null;
    this.notificationUrl = null;
    this.notificationAuthToken = null;
    this.notificationTypes = [];
    this.assets = new Map();  // assetKey -> asset
    for (const a of entry.assets ?? defaultAssets) {
      const asset = makeAsset(a);
      if (this.assets.has(assetKey(asset.adamId, asset.pricingParam))) throw new Error(`${this.name}: asset ${asset.adamId} twice`);
      this.assets.set(assetKey(asset.adamId, asset.pricingParam), asset);
    }
    this.assignments = new Map();  // adamId|pricingParam|serial -> {adamId, pricingParam, serialNumber, version}
    this.version = 1;
    this.events = new Map();  // eventId -> event
  }

  get versionId() {
    return `${VERSION_PREFIX}-0000-4000-8000-${this.version.toString(16).padStart(12, '0')}`;
  }

  // The version number of a versionId issued here, or null.
  versionOf(id) {
    const m = /^([0-9a-f]{8})-0000-4000-8000-([0-9a-f]{12})$/.exec(id);
    if (!m || m[1] !== VERSION_PREFIX) return null;
    const n = parseInt(m[2], 16);
    return n >= 1 && n <= this.version ? n : null;
  }

  // The asset a request names: exact with a pricingParam, else the first the library holds.
  find(adamId, pricingParam) {
    if (pricingParam !== undefined) return this.assets.get(assetKey(adamId, pricingParam)) ?? null;
    for (const pp of ['STDQ', 'PLUS']) {
      const a = this.assets.get(assetKey(adamId, pp));
      if (a) return a;
    }
    return null;
  }

  holds(asset, serial) {
    return this.assignments.has(`${assetKey(asset.adamId, asset.pricingParam)}|${serial}`);
  }

  // Assigns when a licence is free; false when none is.
  assign(asset, serial) {
    const key = `${assetKey(asset.adamId, asset.pricingParam)}|${serial}`;
    if (this.assignments.has(key)) return true;
    if (available(asset) <= 0) return false;
    this.version += 1;
    asset.assigned += 1;
    this.assignments.set(key, { adamId: asset.adamId, pricingParam: asset.pricingParam, serialNumber: serial, version: this.version });
    return true;
  }

  unassign(asset, serial) {
    const key = `${assetKey(asset.adamId, asset.pricingParam)}|${serial}`;
    if (!this.assignments.delete(key)) return;
    this.version += 1;
    asset.assigned -= 1;
  }

  common() {
    const out = { tokenExpirationDate: appleDate(this.expiresMs), uId: this.uId };
    if (this.mdmInfo) out.mdmInfo = { ...this.mdmInfo };
    return out;
  }
}

function checkedMdmInfo(m) {
  if (m === null || typeof m !== 'object' || !['id', 'name', 'metadata'].every((k) => typeof m[k] === 'string')) {
    throw new Error('mdmInfo needs string id, name and metadata');
  }
  return { id: m.id, name: m.name, metadata: m.metadata };
}

// --- control.json --------------------------------------------------------------------------

const CONTROL_KEYS = new Set([
  'event_delay_ms', 'page_size', 'limits', 'unknown_serials', 'unknown_serial_error', 'expired_locations',
  'revoked_locations', 'claimed_by', 'rate_limit', 'unavailable', 'internal_error', 'stall', 'drop', 'reset', 'delay_ms',
]);
const FORCED = [['rate_limit', 429, 9646], ['unavailable', 503, 9729], ['internal_error', 500, 9603]];
const FAULTS = ['stall', 'drop', 'reset', 'delay_ms'];
const FAULT_KEYS = new Set(['path', 'from', 'times']);

function isStringList(v) {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function forcedOf(name, value) {
  const bad = (why) => new Error(`bad ${name}: ${why}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('not an object');
  for (const key of Object.keys(value)) {
    if (!['count', 'retry_after', 'path'].includes(key) || (key === 'retry_after' && name === 'internal_error')) {
      throw bad(`unknown key ${key}`);
    }
  }
  if (!isPositiveInteger(value.count)) throw bad('count is not a positive integer');
  if (value.retry_after !== undefined && !isNonNegativeInteger(value.retry_after)) throw bad('bad retry_after');
  if (value.path !== undefined && (typeof value.path !== 'string' || !value.path.startsWith('/'))) throw bad('path does not start with /');
  return { left: value.count, retryAfter: value.retry_after ?? null, path: value.path ?? null };
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

// The control.json settings as this process uses them; throws when the file is invalid.
function parseControl(c, opts, locations) {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('not a JSON object');
  for (const key of Object.keys(c)) {
    if (!CONTROL_KEYS.has(key)) throw new Error(`unknown key ${key}`);
  }
  const out = {
    eventDelayMs: opts.eventDelayMs, pageSize: opts.pageSize, limits: { ...DEFAULT_LIMITS },
    unknownSerials: new Set(), unknownSerialError: 9609, expired: new Set(), revoked: new Set(), claimedBy: null,
    forced: [], faults: [],
  };
  out.limits.maxSerialNumbers = opts.maxSerialNumbers;
  out.limits.maxAssets = opts.maxAssets;
  if (c.event_delay_ms !== undefined) {
    if (!isNonNegativeInteger(c.event_delay_ms) || c.event_delay_ms > MAX_DELAY_MS) throw new Error('bad event_delay_ms');
    out.eventDelayMs = c.event_delay_ms;
  }
  if (c.page_size !== undefined) {
    if (!isPositiveInteger(c.page_size)) throw new Error('bad page_size');
    out.pageSize = c.page_size;
  }
  if (c.limits !== undefined) {
    if (c.limits === null || typeof c.limits !== 'object' || Array.isArray(c.limits)) throw new Error('limits is not an object');
    for (const [k, v] of Object.entries(c.limits)) {
      if (!isPositiveInteger(v)) throw new Error(`bad limits.${k}`);
      out.limits[k] = v;
    }
  }
  if (c.unknown_serials !== undefined) {
    if (!isStringList(c.unknown_serials)) throw new Error('bad unknown_serials');
    out.unknownSerials = new Set(c.unknown_serials);
  }
  if (c.unknown_serial_error !== undefined) {
    if (!isPositiveInteger(c.unknown_serial_error)) throw new Error('bad unknown_serial_error');
    out.unknownSerialError = c.unknown_serial_error;
  }
  const names = new Set(locations.map((l) => l.name));
  for (const [key, set] of [['expired_locations', out.expired], ['revoked_locations', out.revoked]]) {
    if (c[key] === undefined) continue;
    if (!isStringList(c[key])) throw new Error(`bad ${key}`);
    for (const n of c[key]) {
      if (!names.has(n)) throw new Error(`${key}: no location ${n}`);
      set.add(n);
    }
  }
  if (c.claimed_by !== undefined) {
    const { location, ...info } = c.claimed_by ?? {};
    if (location !== undefined && !names.has(location)) throw new Error(`claimed_by: no location ${location}`);
    out.claimedBy = { location: location ?? null, info: checkedMdmInfo(info) };
  }
  for (const [name, status, number] of FORCED) {
    if (c[name] !== undefined) out.forced.push({ name, status, number, ...forcedOf(name, c[name]) });
  }
  out.faults = FAULTS.filter((name) => c[name] !== undefined).map((name) => faultOf(name, c[name]));
  return out;
}

class Control {
  constructor(file, opts, locations) {
    this.file = file;
    this.opts = opts;
    this.locations = locations;
    this.stamp = '';
    this.text = '';
    this.c = parseControl({}, opts, locations);
  }

  refresh() {
    const st = fs.statSync(this.file, { bigint: true, throwIfNoEntry: false });
    const stamp = st ? `${st.ino}:${st.mtimeNs}:${st.ctimeNs}:${st.size}` : '';
    const text = st ? fs.readFileSync(this.file, 'utf8') : '';
    if (stamp === this.stamp && text === this.text) return;
    this.stamp = stamp;
    this.text = text;
    let c;
    try {
      c = parseControl(text.trim() === '' ? {} : JSON.parse(text), this.opts, this.locations);
    } catch (e) {
      process.stderr.write(`vpp fake: ignoring ${this.file}: ${e.message}\n`);
      return;
    }
    this.c = c;
    if (c.claimedBy) {
      for (const l of this.locations) {
        if (c.claimedBy.location === null || c.claimedBy.location === l.name) l.mdmInfo = { ...c.claimedBy.info };
      }
    }
  }

  // The error forced on a request to `pathname`, or null.
  forced(pathname) {
    for (const f of this.c.forced) {
      if (f.left <= 0 || (f.path !== null && f.path !== pathname)) continue;
      f.left -= 1;
      const reply = fail(f.status, f.number);
      if (f.retryAfter !== null) reply.headers = { 'Retry-After': String(f.retryAfter) };
      return reply;
    }
    return null;
  }

  // The network fault that acts on a request to `pathname` (counting it for each fault whose path
  // it matches), or null.
  fault(pathname) {
    let acting = null;
    for (const f of this.c.faults) {
      if (f.path !== null && f.path !== pathname) continue;
      f.seen += 1;
      const hit = f.seen >= f.from && (f.times === null || f.seen < f.from + f.times);
      if (hit && acting === null) acting = f;
    }
    return acting;
  }
}

// --- the API -------------------------------------------------------------------------------

function ok(location, body) {
  return { status: 200, body: { ...body, ...location.common() } };
}

// The page of `items` that `pageIndex` asks for, as {items, fields}, or an error reply.
function page(items, query, pageSize) {
  const raw = query.get('pageIndex');
  let index = 0;
  if (raw !== null) {
    if (!/^-?[0-9]{1,9}$/.test(raw)) return { error: fail(400, 9650) };
    index = Number(raw);
  }
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize));
  if (index < 0 || index >= totalPages) return { error: fail(400, 9650) };
  const slice = items.slice(index * pageSize, (index + 1) * pageSize);
  const fields = { currentPageIndex: index, size: slice.length, totalPages };
  if (index + 1 < totalPages) fields.nextPageIndex = index + 1;
  return { items: slice, fields };
}

// A boolean query filter: undefined when absent, null when invalid.
function boolParam(query, name) {
  const v = query.get(name);
  if (v === null) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return null;
}

function intParam(query, name) {
  const v = query.get(name);
  if (v === null) return undefined;
  return /^[0-9]{1,9}$/.test(v) ? Number(v) : null;
}

function duplicates(list) {
  return new Set(list).size !== list.length;
}

class Api {
  constructor(opts, locations, control) {
    this.opts = opts;
    this.locations = locations;
    this.control = control;
    this.queue = [];  // events not yet in effect, oldest first
    this.routes = new Map([
      ['GET /service/config', (loc, input, url, req) => this.serviceConfig(req)],
      ['GET /client/config', (loc) => this.clientConfig(loc)],
      ['POST /client/config', (loc, input) => this.setClientConfig(loc, input)],
      ['GET /assets', (loc, input, url) => this.getAssets(loc, url.searchParams)],
      ['GET /assignments', (loc, input, url) => this.getAssignments(loc, url.searchParams)],
      ['POST /assets/associate', (loc, input, url, req, now) => this.manage(loc, input, 'ASSOCIATE', now)],
      ['POST /assets/disassociate', (loc, input, url, req, now) => this.manage(loc, input, 'DISASSOCIATE', now)],
      ['GET /status', (loc, input, url) => this.status(loc, url.searchParams)],
    ]);
    this.paths = new Set([...this.routes.keys()].map((route) => route.split(' ')[1]));
  }

  get limits() {
    return this.control.c.limits;
  }

  // The location of the request's token, or an error reply.
  authenticate(req, now) {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return { error: fail(401, 9601) };
    const m = /^Bearer ([^\s]+)$/.exec(header);
    if (!m) return { error: fail(401, 9722) };
    const location = this.locations.find((l) => l.sToken === m[1]);
    if (!location) return { error: fail(401, 9601) };
    const c = this.control.c;
    if (location.revoked || c.revoked.has(location.name)) return { location, error: fail(401, 9625) };
    if (location.expired || c.expired.has(location.name) || location.expiresMs <= now) return { location, error: fail(401, 9621) };
    return { location };
  }

  serviceConfig(req) {
    const base = `https://${req.headers.host ?? 'localhost'}${PREFIX}`;
    const urls = { contentMetadataLookup: 'https://uclient-api.itunes.apple.com/WebObjects/MZStorePlatform.woa/wa/lookup' };
    for (const [name, p] of Object.entries(URL_PATHS)) urls[name] = `${base}/${p}`;
    const errorCodes = Object.entries(MESSAGES).map(([n, m]) => ({ errorMessage: m, errorNumber: Number(n) }));
    return { status: 200, body: { errorCodes, limits: { ...this.limits }, notificationTypes: NOTIFICATION_TYPES, urls } };
  }

  clientConfig(loc) {
    const body = {
      countryISO2ACode: loc.country, defaultPlatform: 'volumestore', locationName: loc.name,
      subscribedNotificationTypes: [...loc.notificationTypes], websiteURL: 'https://business.apple.com',
    };
    if (loc.notificationUrl !== null) {
      body.notificationUrl = loc.notificationUrl;
      body.notificationAuthToken = loc.notificationAuthToken;
    }
    return ok(loc, body);
  }

  setClientConfig(loc, input) {
    const lim = this.limits;
    let info = null;
    if (input.mdmInfo !== undefined) {
      const m = input.mdmInfo;
      if (m === null || typeof m !== 'object' || !['id', 'name', 'metadata'].every((k) => typeof m[k] === 'string')) {
        return fail(400, 9723);
      }
      if (m.id.length > lim.maxMdmIdLength) return fail(400, 9724);
      if (m.name.length > lim.maxMdmNameLength) return fail(400, 9725);
      if (m.metadata.length > lim.maxMdmMetadataLength) return fail(400, 9713);
      info = { id: m.id, name: m.name, metadata: m.metadata };
    }
    const url = input.notificationUrl;
    const auth = input.notificationAuthToken;
    if ((url === undefined) !== (auth === undefined)) return fail(400, 9710);
    if (url !== undefined) {
      if (typeof url !== 'string' || typeof auth !== 'string') return fail(400, 9602);
      if (url.length > lim.maxNotificationLength || auth.length > lim.maxNotificationLength) return fail(400, 9711);
      let secure = false;
      try {
        secure = new URL(url).protocol === 'https:';
      } catch {
        secure = false;
      }
      if (!secure) return fail(400, 9712);
    }
    const types = input.notificationTypes;
    if (types !== undefined && !isStringList(types)) return fail(400, 9602);
    if (info) loc.mdmInfo = info;
    if (url !== undefined) {
      loc.notificationUrl = url;
      loc.notificationAuthToken = auth;
    }
    if (types !== undefined) loc.notificationTypes = [...types];
    return this.clientConfig(loc);
  }

  getAssets(loc, query) {
    const f = {};
    for (const name of ['revocable', 'deviceAssignable']) {
      f[name] = boolParam(query, name);
      if (f[name] === null) return fail(400, 9602);
    }
    for (const name of ['minAvailableCount', 'maxAvailableCount', 'minAssignedCount', 'maxAssignedCount']) {
      f[name] = intParam(query, name);
      if (f[name] === null) return fail(400, 9602);
    }
    const adamId = query.get('adamId');
    const productType = query.get('productType');
    const pricingParam = query.get('pricingParam');
    if (productType !== null && !['App', 'Book'].includes(productType)) return fail(400, 9602);
    if (pricingParam !== null && !['STDQ', 'PLUS'].includes(pricingParam)) return fail(400, 9602);
    const matching = [...loc.assets.values()].filter((a) => {
      const avail = available(a);
      return (adamId === null || a.adamId === adamId) && (productType === null || a.productType === productType) &&
        (pricingParam === null || a.pricingParam === pricingParam) &&
        (f.revocable === undefined || a.revocable === f.revocable) &&
        (f.deviceAssignable === undefined || a.deviceAssignable === f.deviceAssignable) &&
        (f.minAvailableCount === undefined || avail >= f.minAvailableCount) &&
        (f.maxAvailableCount === undefined || avail <= f.maxAvailableCount) &&
        (f.minAssignedCount === undefined || a.assigned >= f.minAssignedCount) &&
        (f.maxAssignedCount === undefined || a.assigned <= f.maxAssignedCount);
    });
    const p = page(matching, query, this.control.c.pageSize);
    if (p.error) return p.error;
    return ok(loc, { assets: p.items.map(responseAsset), ...p.fields, versionId: loc.versionId });
  }

  getAssignments(loc, query) {
    const adamId = query.get('adamId');
    const serial = query.get('serialNumber');
    const user = query.get('clientUserId');
    const pricingParam = query.get('pricingParam');
    const since = query.get('sinceVersionId');
    let sinceVersion = 0;
    if (since !== null) {
      sinceVersion = loc.versionOf(since);
      if (sinceVersion === null) return fail(400, 9721);
    }
    if (pricingParam !== null && !['STDQ', 'PLUS'].includes(pricingParam)) return fail(400, 9602);
    const matching = [];
    if (user === null) {
      for (const a of loc.assignments.values()) {
        if ((adamId === null || a.adamId === adamId) && (serial === null || a.serialNumber === serial) &&
            (pricingParam === null || a.pricingParam === pricingParam) && a.version > sinceVersion) {
          matching.push(a);
        }
      }
    }
    const p = page(matching, query, this.control.c.pageSize);
    if (p.error) return p.error;
    const assignments = p.items.map((a) => ({ adamId: a.adamId, pricingParam: a.pricingParam, serialNumber: a.serialNumber }));
    return ok(loc, { assignments, ...p.fields, versionId: loc.versionId });
  }

  manage(loc, input, type, now) {
    const lim = this.limits;
    const { assets } = input;
    if (assets === undefined || (Array.isArray(assets) && assets.length === 0)) return fail(400, 9718);
    if (!Array.isArray(assets)) return fail(400, 9602);
    const serials = input.serialNumbers ?? [];
    const users = input.clientUserIds ?? [];
    if (!isStringList(serials) || !isStringList(users)) return fail(400, 9602);
    if (serials.length === 0 && users.length === 0) return fail(400, 9719);
    if (assets.some((a) => a === null || typeof a !== 'object' || typeof a.adamId !== 'string' ||
        (a.pricingParam !== undefined && typeof a.pricingParam !== 'string'))) {
      return fail(400, 9602);
    }
    if (assets.length > lim.maxAssets) return fail(400, 9700);
    if (serials.length > lim.maxSerialNumbers) return fail(400, 9702);
    if (users.length > lim.maxClientUserIds) return fail(400, 9701);
    if (duplicates(assets.map((a) => assetKey(a.adamId, a.pricingParam ?? '')))) return fail(400, 9703);
    if (duplicates(serials)) return fail(400, 9705);
    if (duplicates(users)) return fail(400, 9704);
    const found = [];
    for (const a of assets) {
      const asset = loc.find(a.adamId, a.pricingParam);
      const named = { adamId: a.adamId, pricingParam: a.pricingParam ?? 'STDQ' };
      if (!asset) return fail(400, 9602, { assets: [named] });
      if (serials.length > 0 && !asset.deviceAssignable) return fail(400, 9707, { assets: [named] });
      if (type === 'DISASSOCIATE' && !asset.revocable) return fail(400, 9706, { assets: [named] });
      found.push(asset);
    }
    const eventId = crypto.randomUUID();
    const event = {
      eventId, type, location: loc, assets: found, serials: [...serials], users: [...users],
      dueMs: now + this.control.c.eventDelayMs, done: false, numRequested: found.length * (serials.length + users.length),
      numCompleted: 0, failures: [],
    };
    loc.events.set(eventId, event);
    this.queue.push(event);
    return ok(loc, { eventId });
  }

  // Puts into effect every event that is due, oldest first.
  settle(now) {
    let i = 0;
    for (; i < this.queue.length && this.queue[i].dueMs <= now; i += 1) this.complete(this.queue[i]);
    if (i > 0) this.queue.splice(0, i);
  }

  complete(event) {
    const loc = event.location;
    const c = this.control.c;
    let failed = 0;
    for (const asset of event.assets) {
      const byError = new Map();  // errorNumber -> [serial]
      const failSerial = (number, serial) => {
        if (!byError.has(number)) byError.set(number, []);
        byError.get(number).push(serial);
        failed += 1;
      };
      for (const serial of event.serials) {
        if (c.unknownSerials.has(serial)) {
          failSerial(c.unknownSerialError, serial);
        } else if (event.type === 'ASSOCIATE') {
          if (!loc.assign(asset, serial)) failSerial(9709, serial);
        } else {
          loc.unassign(asset, serial);
        }
      }
      const named = { adamId: asset.adamId, pricingParam: asset.pricingParam };
      for (const [number, list] of byError) {
        event.failures.push({ ...fail(0, number).body, errorInfo: { assets: [named], serialNumbers: list } });
      }
      if (event.users.length > 0) {
        failed += event.users.length;
        event.failures.push({ ...fail(0, 9609).body, errorInfo: { assets: [named], clientUserIds: [...event.users] } });
      }
    }
    event.numCompleted = event.numRequested - failed;
    event.done = true;
    event.serials = null;  // not needed any more
  }

  status(loc, query) {
    const id = query.get('eventId');
    if (id === null || id === '') return fail(400, 9600);
    const event = loc.events.get(id);
    if (!event) return fail(400, 9708);
    const body = {
      eventStatus: !event.done ? 'PENDING' : event.failures.length > 0 ? 'FAILED' : 'COMPLETE',
      eventType: event.type, numCompleted: event.numCompleted, numRequested: event.numRequested,
    };
    if (event.done && event.failures.length > 0) body.failures = event.failures;
    return ok(loc, body);
  }

  // --- test endpoints ---

  state(url) {
    const withAssignments = url.searchParams.get('assignments') === '1';
    const locations = this.locations.map((loc) => {
      const out = {
        locationName: loc.name, uId: loc.uId, assets: [...loc.assets.values()].map(responseAsset),
        assignmentCount: loc.assignments.size, events: loc.events.size,
        pendingEvents: [...loc.events.values()].filter((e) => !e.done).length, versionId: loc.versionId,
      };
      if (loc.mdmInfo) out.mdmInfo = { ...loc.mdmInfo };
      if (withAssignments) {
        out.assignments = [...loc.assignments.values()].map((a) => ({ adamId: a.adamId, pricingParam: a.pricingParam, serialNumber: a.serialNumber }));
      }
      return out;
    });
    return { status: 200, body: { locations } };
  }

  manualAssign(input) {
    const loc = input.location === undefined ? this.locations[0] : this.locations.find((l) => l.name === input.location);
    if (!loc) return { status: 400, body: { error: `no location ${input.location}` } };
    if (typeof input.adamId !== 'string' || !isStringList(input.serialNumbers ?? null)) {
      return { status: 400, body: { error: 'adamId (string) and serialNumbers (list of strings) needed' } };
    }
    const asset = loc.find(input.adamId, input.pricingParam);
    if (!asset) return { status: 400, body: { error: `location ${loc.name} holds no asset ${input.adamId}` } };
    const changed = [];
    const refused = [];
    for (const serial of input.serialNumbers) {
      if (input.disassociate === true) {
        if (loc.holds(asset, serial)) changed.push(serial);
        loc.unassign(asset, serial);
      } else if (loc.holds(asset, serial)) {
        changed.push(serial);
      } else if (loc.assign(asset, serial)) {
        changed.push(serial);
      } else {
        refused.push(serial);
      }
    }
    return { status: 200, body: { changed, refused } };
  }
}

// --- the server ----------------------------------------------------------------------------

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const locations = opts.tokens.map((entry, i) => new Location(entry, opts.assets, i));
  if (new Set(locations.map((l) => l.sToken)).size !== locations.length) throw new Error('--tokens: an sToken twice');
  if (new Set(locations.map((l) => l.name)).size !== locations.length) throw new Error('--tokens: a locationName twice');
  const control = new Control(path.join(opts.state, 'control.json'), opts, locations);
  const api = new Api(opts, locations, control);
  const records = fs.openSync(path.join(opts.state, 'requests.jsonl'), 'a');

  const parseBody = (req, text) => {
    if (text === '') return { input: {} };
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return { error: fail(415, 9727) };
    let input = null;
    try {
      input = JSON.parse(text);
    } catch {
      input = null;
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return { error: fail(400, 9602) };
    return { input };
  };

  // The answer and the location it was for (null before the token was known).
  const answer = (req, url, text, size, now) => {
    if (size > MAX_BODY_BYTES) return { reply: fail(413, 9602) };
    const sub = url.pathname.slice(PREFIX.length);
    const route = api.routes.get(`${req.method} ${sub}`);
    if (!route) return { reply: api.paths.has(sub) ? fail(405, 9726) : fail(404, 9602) };
    const forced = control.forced(url.pathname);
    if (forced) return { reply: forced };
    let location = null;
    if (sub !== '/service/config') {
      const auth = api.authenticate(req, now);
      location = auth.location ?? null;
      if (auth.error) return { reply: auth.error, location };
    }
    let input = {};
    if (req.method === 'POST') {
      const body = parseBody(req, text);
      if (body.error) return { reply: body.error, location };
      input = body.input;
    }
    return { reply: route(location, input, url, req, now), location };
  };

  const testAnswer = (req, url, text) => {
    if (req.method === 'GET' && url.pathname === '/fake/state') return api.state(url);
    if (req.method === 'POST' && url.pathname === '/fake/assign') {
      let input = null;
      try {
        input = JSON.parse(text);
      } catch {
        input = null;
      }
      if (input === null || typeof input !== 'object') return { status: 400, body: { error: 'not a JSON object' } };
      return api.manualAssign(input);
    }
    return { status: 404, body: { error: 'no such test endpoint' } };
  };

  const send = (res, reply) => {
    const body = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...reply.headers, 'Content-Type': 'application/json;charset=UTF-8' });
    res.end(body);
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
      const now = Date.now();
      const url = new URL(req.url, 'https://localhost');  // only the path and the query are used
      control.refresh();
      api.settle(now);
      if (url.pathname.startsWith('/fake/')) {
        send(res, testAnswer(req, url, text));
        return;
      }
      let result;
      try {
        result = url.pathname.startsWith(`${PREFIX}/`) ? answer(req, url, text, size, now) : { reply: fail(404, 9602) };
      } catch (e) {
        process.stderr.write(`vpp fake: ${req.method} ${req.url}: ${e.stack}\n`);
        result = { reply: fail(500, 9603) };
      }
      const { reply, location } = result;
      const record = { method: req.method, path: url.pathname, status: reply.status };
      if (url.search !== '') record.query = url.search.slice(1);
      if (text !== '') record.body = text;
      if (location) record.location = location.name;
      const fault = control.fault(url.pathname);
      if (fault !== null && fault.name !== 'delay_ms') {
        Object.assign(record, { status: 0, fault: fault.name });
        fs.writeSync(records, `${JSON.stringify(record)}\n`);
        // The raw TCP socket under the TLS one: only it can be reset.
        if (fault.name === 'drop') req.socket.destroy();
        if (fault.name === 'reset') (req.socket._parent ?? req.socket).resetAndDestroy();
        return;  // "stall": the request stays unanswered
      }
      const deliver = () => {
        fs.writeSync(records, `${JSON.stringify(record)}\n`);
        send(res, reply);
      };
      if (fault === null) deliver();
      else setTimeout(deliver, fault.ms);
    });
    req.on('error', () => {});  // a client going away mid-request is not our problem
  });
  server.on('tlsClientError', (err) => {
    process.stderr.write(`vpp fake: TLS handshake failed: ${err.message}\n`);
  });
  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
}

main();
