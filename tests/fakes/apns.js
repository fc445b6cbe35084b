#!/usr/bin/env node
// A fake of Apple's push service (APNs) for tests and benchmarks: HTTP/2 over TLS that requires a
// client certificate issued by a given CA (the stand-in for Apple's), and checks requests the way
// APNs does for MDM pushes.
//
//   node apns.js --port N --cert FILE --key FILE --client-ca FILE --state DIR [--max-streams N]
//                [--tls-max 1.2|1.3]
//
// --port 0 picks a free port. --tls-max caps the TLS version (default 1.3): with 1.2 a refused
// client certificate is a handshake alert; with 1.3 the client sees its handshake complete and
// the connection reset after it. When ready it prints exactly one line, "listening PORT", on stdout;
// diagnostics go to stderr. It listens on 127.0.0.1 only.
//
// Requests (checked in this order; the first failure is the answer):
//   method other than POST                   405 MethodNotAllowed
//   path not /3/device/<token>               404 BadPath
//   empty token                              400 MissingDeviceToken
//   token not 64+ hex characters             400 BadDeviceToken
//   apns-topic absent                        400 MissingTopic
//   apns-topic != UID of the client cert     400 DeviceTokenNotForTopic
//   apns-push-type not "mdm"                 400 InvalidPushType
//   apns-priority not 10 or 5 (absent = 10)  400 BadPriority
//   apns-expiration not a decimal integer    400 BadExpirationDate
//   apns-id present but not a UUID           400 BadMessageId
//   empty body                               400 PayloadEmpty
//   body over 4096 bytes                     413 PayloadTooLarge
//   body not exactly {"mdm":"<non-empty>"}   400 BadMdmPayload   (the fake's own reason)
// Every answer carries an apns-id header (the request's, else a new UUID). 200 has an empty body;
// errors have a JSON body {"reason": "..."} (410 also "timestamp", milliseconds since 1970).
//
// Behaviour per token: <state>/behaviour.json maps a hex token (any case) to a list of actions,
// consumed in order by the valid pushes to that token, the last one repeating; the key "*" applies
// to tokens not listed (each token keeps its own place in the list). Actions:
//   200, 400 (BadDeviceToken), 403 (BadCertificate), 410 (Unregistered), 429 (TooManyRequests),
//   500 (InternalServerError), 503 (ServiceUnavailable),
//   "STATUS:Reason" - that error status with that reason, e.g. "403:BadCertificateEnvironment",
//              "400:TopicDisallowed" (STATUS from 400 to 599, Reason letters only),
//   "close"  - the connection is dropped mid-request: no answer, no GOAWAY;
//   "goaway" - GOAWAY (debug data {"reason":"Shutdown"}) whose last stream is the one before this
//              (or the highest already answered); this stream and any later ones are refused
//              (RST_STREAM REFUSED_STREAM) and the connection closes once the earlier ones finish;
//   "stall"  - no answer ever: the stream stays open (the connection and its other streams go on)
//              until the client gives up on it;
//   "reset"  - the stream is reset (RST_STREAM INTERNAL_ERROR) with no answer; the connection and
//              its other streams go on;
//   "delay:MS" - 200, sent MS milliseconds (0 to 60000) later; recorded at once, as 200.
// The file is looked at before each batch of answers (see flush) and re-read when rewritten (write
// it elsewhere and rename it into place), which also restarts every token at the head of its list;
// an invalid file is reported on stderr and ignored. No file: every push is 200.
//
// Records: <state>/pushes.jsonl gets one JSON line per request answered, and per push cut off by
// "close"/"goaway"/"stall"/"reset" (status 0, reason the action's name; a stalled push is recorded
// when it stalls); the requests of one event-loop turn are
// written with one write(2) before any of their answers is sent, so a client holding an answer
// finds its record:
//   {"token","topic","mdm","expiration","priority","push_type","apns_id","status","reason"}
// (null where the request did not carry a valid value; priority is 10 when the header is absent;
// reason is null for 200). <state>/sessions holds the number of HTTP/2 connections accepted so far
// (TLS handshakes that failed are not counted), replaced atomically on each new one.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http2 = require('http2');
const path = require('path');

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;
const MAX_PAYLOAD = 4096;
const STATUS_REASONS = {
  400: 'BadDeviceToken',
  403: 'BadCertificate',
  410: 'Unregistered',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
const ACTIONS = new Set(['200', ...Object.keys(STATUS_REASONS), 'close', 'goaway', 'stall', 'reset']);
// Actions that give no answer: the record says which, with status 0.
const UNANSWERED = new Set(['stall', 'reset']);
const STATUS_REASON_RE = /^([45][0-9][0-9]):([A-Za-z]+)$/;
const DELAY_RE = /^delay:([0-9]{1,5})$/;
const MAX_DELAY_MS = 60000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_RE = /^[0-9a-f]{64,}$/i;
const INTEGER_RE = /^[0-9]+$/;
// The raw TLS socket, reachable through the session's socket proxy (which refuses to destroy it).
const RAW_SOCKET = Symbol('rawSocket');

function parseArgs(argv) {
  const opts = { port: 0, maxStreams: 1000 };
  const names = {
    '--port': 'port', '--cert': 'cert', '--key': 'key', '--client-ca': 'clientCa',
    '--state': 'state', '--max-streams': 'maxStreams', '--tls-max': 'tlsMax',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[name] = argv[i + 1];
  }
  for (const required of ['cert', 'key', 'clientCa', 'state']) {
    if (!opts[required]) throw new Error(`missing --${required.replace('clientCa', 'client-ca')}`);
  }
  opts.port = Number(opts.port);
  opts.maxStreams = Number(opts.maxStreams);
  if (opts.tlsMax !== undefined && opts.tlsMax !== '1.2' && opts.tlsMax !== '1.3') {
    throw new Error(`bad --tls-max ${opts.tlsMax}: 1.2 or 1.3`);
  }
  return opts;
}

// behaviour.json as last read, and each token's place in its list.
class Behaviour {
  constructor(file) {
    this.file = file;
    this.text = '';
    this.stamp = '';
    this.rules = new Map();
    this.positions = new Map();
  }

  // The next action for a token, as of the last refresh().
  next(token) {
    const key = token.toLowerCase();
    const list = this.rules.get(key) ?? this.rules.get('*');
    if (!list) return '200';
    const position = this.positions.get(key) ?? 0;
    this.positions.set(key, position + 1);
    return list[Math.min(position, list.length - 1)];
  }

  // Re-reads the file when it was rewritten. Both the content and (inode, mtime, size) are
  // compared: a rewrite with the same content still restarts the lists, and one with other content
  // is seen even when the file system's clock did not tick in between.
  refresh() {
    const st = fs.statSync(this.file, { bigint: true, throwIfNoEntry: false });
    const stamp = st ? `${st.ino}:${st.mtimeNs}:${st.size}` : '';
    const text = st ? fs.readFileSync(this.file, 'utf8') : '';
    if (stamp === this.stamp && text === this.text) return;
    this.stamp = stamp;
    this.text = text;
    this.rules = new Map();
    this.positions = new Map();
    if (!st) return;
    try {
      for (const [token, actions] of Object.entries(JSON.parse(text))) {
        if (!Array.isArray(actions) || actions.length === 0) throw new Error(`${token}: not a non-empty list`);
        const list = actions.map(String);
        const bad = list.find((a) => !ACTIONS.has(a) && !STATUS_REASON_RE.test(a) && delayOf(a) === null);
        if (bad !== undefined) throw new Error(`${token}: unknown action ${bad}`);
        this.rules.set(token.toLowerCase(), list);
      }
    } catch (e) {
      this.rules = new Map();
      process.stderr.write(`apns fake: ignoring ${this.file}: ${e.message}\n`);
    }
  }
}

// The milliseconds of a "delay:MS" action, or null for any other.
function delayOf(action) {
  const m = DELAY_RE.exec(action);
  return m && Number(m[1]) <= MAX_DELAY_MS ? Number(m[1]) : null;
}

// The record of a request: what it asks for, and status 200 or the first thing wrong with it.
// `body` holds the first bytes of the request body, `size` its full length.
function checkRequest(headers, body, size, certTopic) {
  const push = {
    token: null, topic: headers['apns-topic'] ?? null, mdm: null, expiration: null, priority: null,
    push_type: headers['apns-push-type'] ?? null, apns_id: null, status: 200, reason: null,
  };
  const fail = (status, reason) => {
    push.status = status;
    push.reason = reason;
    return push;
  };

  const requestId = headers['apns-id'];
  push.apns_id = requestId !== undefined && UUID_RE.test(requestId) ? requestId : crypto.randomUUID();

  if (headers[':method'] !== 'POST') return fail(405, 'MethodNotAllowed');
  const reqPath = headers[':path'] ?? '';
  if (!reqPath.startsWith('/3/device/')) return fail(404, 'BadPath');
  push.token = reqPath.slice('/3/device/'.length);
  if (push.token === '') return fail(400, 'MissingDeviceToken');
  if (!TOKEN_RE.test(push.token)) return fail(400, 'BadDeviceToken');
  if (push.topic === null) return fail(400, 'MissingTopic');
  if (push.topic !== certTopic) return fail(400, 'DeviceTokenNotForTopic');
  if (push.push_type !== 'mdm') return fail(400, 'InvalidPushType');
  const priority = headers['apns-priority'] ?? '10';
  if (priority !== '10' && priority !== '5') return fail(400, 'BadPriority');
  push.priority = Number(priority);
  const expiration = headers['apns-expiration'];
  if (expiration !== undefined) {
    if (!INTEGER_RE.test(expiration)) return fail(400, 'BadExpirationDate');
    push.expiration = Number(expiration);
  }
  if (requestId !== undefined && !UUID_RE.test(requestId)) return fail(400, 'BadMessageId');
  if (size === 0) return fail(400, 'PayloadEmpty');
  if (size > MAX_PAYLOAD) return fail(413, 'PayloadTooLarge');
  push.mdm = mdmOf(body);
  if (push.mdm === null) return fail(400, 'BadMdmPayload');
  return push;
}

// The PushMagic of a body that is exactly {"mdm": "<non-empty string>"}, else null.
function mdmOf(body) {
  let parsed;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const keys = Object.keys(parsed);
  if (keys.length !== 1 || keys[0] !== 'mdm') return null;
  return typeof parsed.mdm === 'string' && parsed.mdm !== '' ? parsed.mdm : null;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const behaviour = new Behaviour(path.join(opts.state, 'behaviour.json'));
  const records = fs.openSync(path.join(opts.state, 'pushes.jsonl'), 'a');
  const sessionsFile = path.join(opts.state, 'sessions');
  let sessionCount = 0;
  // Per connection: the topic of its client certificate, its open streams, the highest stream
  // answered, and once cut off by "close" (dropped) or "goaway" (lastStreamId) what remains.
  const contexts = new WeakMap();
  // Requests received and checked, answered together once per turn of the event loop.
  let batch = [];

  const respond = (stream, apnsId, status, reason) => {
    if (status === 200) {
      stream.respond({ ':status': 200, 'apns-id': apnsId }, { endStream: true });
      return;
    }
    const body = { reason };
    if (status === 410) body.timestamp = Date.now();
    stream.respond({ ':status': status, 'apns-id': apnsId, 'content-type': 'application/json' });
    stream.end(JSON.stringify(body));
  };

  // Settles what happens to a request: false when it gets no answer at all (the client reset it,
  // or its connection was cut off before); else its action, and status (0 for "close", "goaway",
  // "stall" and "reset") and reason in its record.
  const decide = (entry) => {
    const { stream, ctx, push } = entry;
    if (stream.destroyed || ctx.dropped || stream.id > ctx.lastStreamId) return false;
    if (push.status === 200) {
      entry.action = behaviour.next(push.token);
      if (entry.action === 'close') {
        ctx.dropped = true;
        Object.assign(push, { status: 0, reason: 'close' });
      } else if (entry.action === 'goaway') {
        ctx.lastStreamId = Math.max(stream.id - 2, ctx.highestAnswered);
        Object.assign(push, { status: 0, reason: 'goaway' });
      } else if (UNANSWERED.has(entry.action)) {
        Object.assign(push, { status: 0, reason: entry.action });
      } else if (delayOf(entry.action) !== null) {
        entry.delayMs = delayOf(entry.action);
      } else {
        const custom = STATUS_REASON_RE.exec(entry.action);
        Object.assign(push, custom ? { status: Number(custom[1]), reason: custom[2] }
          : { status: Number(entry.action), reason: STATUS_REASONS[entry.action] ?? null });
      }
    }
    ctx.highestAnswered = Math.max(ctx.highestAnswered, stream.id);
    return true;
  };

  const act = ({ stream, session, ctx, push, action, delayMs }) => {
    if (action === 'close') {
      session.socket[RAW_SOCKET].destroy();
      session.destroy();
    } else if (action === 'goaway') {
      session.goaway(NGHTTP2_NO_ERROR, ctx.lastStreamId, Buffer.from('{"reason":"Shutdown"}'));
      for (const open of ctx.streams) {
        if (open.id > ctx.lastStreamId) open.close(NGHTTP2_REFUSED_STREAM);
      }
      session.close();
    } else if (action === 'reset') {
      stream.close(NGHTTP2_INTERNAL_ERROR);
    } else if (delayMs !== null) {
      setTimeout(() => {
        if (!stream.destroyed && !stream.closed) respond(stream, push.apns_id, push.status, push.reason);
      }, delayMs);
    } else if (action !== 'stall') {  // a stalled stream stays open, unanswered
      respond(stream, push.apns_id, push.status, push.reason);
    }
  };

  // Records every answer of the batch with one write before sending any, so a client holding its
  // answer finds the record; behaviour.json is looked at once, after the batch's requests arrived.
  const flush = () => {
    const entries = batch;
    batch = [];
    behaviour.refresh();
    const settled = entries.filter(decide);
    if (settled.length === 0) return;
    const lines = settled.map(({ push }) => JSON.stringify(push));
    fs.writeSync(records, lines.join('\n') + '\n');
    settled.forEach(act);
  };

  const server = http2.createSecureServer({
    cert: fs.readFileSync(opts.cert),
    key: fs.readFileSync(opts.key),
    ca: fs.readFileSync(opts.clientCa),
    requestCert: true,
    rejectUnauthorized: true,
    maxVersion: `TLSv${opts.tlsMax ?? '1.3'}`,
    settings: { maxConcurrentStreams: opts.maxStreams },
  });

  server.on('secureConnection', (socket) => {
    socket[RAW_SOCKET] = socket;
  });

  server.on('session', (session) => {
    const subject = session.socket.getPeerCertificate().subject ?? {};
    contexts.set(session, {
      topic: subject.UID ?? null, streams: new Set(), highestAnswered: 0, dropped: false, lastStreamId: Infinity,
    });
    session.on('error', () => {});  // a client going away mid-stream is not our problem
    sessionCount += 1;
    const tmp = `${sessionsFile}.tmp`;
    fs.writeFileSync(tmp, `${sessionCount}\n`);
    fs.renameSync(tmp, sessionsFile);
  });

  server.on('stream', (stream, headers) => {
    const session = stream.session;
    const ctx = contexts.get(session);
    ctx.streams.add(stream);
    stream.on('close', () => ctx.streams.delete(stream));
    stream.on('error', () => {});
    const chunks = [];
    let size = 0;
    stream.on('data', (chunk) => {
      // Past the limit only the size matters.
      if (size <= MAX_PAYLOAD) chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => {
      const push = checkRequest(headers, Buffer.concat(chunks), size, ctx.topic);
      if (batch.length === 0) setImmediate(flush);
      batch.push({ stream, session, ctx, push, action: null, delayMs: null });
    });
  });

  server.on('tlsClientError', (err) => {
    process.stderr.write(`apns fake: TLS handshake refused: ${err.message}\n`);
  });

  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`listening ${server.address().port}\n`);
  });
}

main();
