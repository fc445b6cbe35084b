#!/usr/bin/env node
// A webhook receiver for tests: takes the POSTs of `mdm-console webhook deliver`, checks the
// X-Hmac-Signature (base64 of the HMAC-SHA256 of the body with --secret) and records each event.
//
//   node webhook_receiver.js --state DIR [--secret S] [--port 0]
//
// --port 0 picks a free port; given a port, it takes that one again (a test stops the receiver
// and starts it on the same port to play an outage). When ready it prints exactly one line,
// "listening PORT", on stdout; it listens on 127.0.0.1 only, plain HTTP.
//
// Records: <state>/events.jsonl gets one line per POST, written before the answer:
// {"hmac": "ok" | "missing" | "bad", "status": answer, "event": the parsed body (or null),
//  "error": why the body was refused, if it was}.
// Answers: 200 to a well-formed JSON object whose signature checks (or when no --secret),
// 401 to a bad or missing signature, 400 to a body that is not a JSON object, 405 to other
// methods. <state>/answer, when present, holds a status (e.g. 503) to answer instead.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');

function parseArgs(argv) {
  const out = { port: 0, secret: '' };
  for (let i = 2; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--state') out.state = v;
    else if (k === '--secret') out.secret = v;
    else if (k === '--port') out.port = Number(v);
    else throw new Error(`unknown argument ${k}`);
  }
  if (!out.state) throw new Error('--state DIR is required');
  return out;
}

const args = parseArgs(process.argv);
const record = (line) => fs.appendFileSync(path.join(args.state, 'events.jsonl'), JSON.stringify(line) + '\n');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const answer = (status, line) => {
      record(Object.assign({ status }, line));
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 200 ? 'ok\n' : 'refused\n');
    };
    if (req.method !== 'POST') return answer(405, { hmac: 'missing', event: null, error: 'method' });
    let hmac = 'missing';
    const given = req.headers['x-hmac-signature'];
    if (given !== undefined) {
      const want = crypto.createHmac('sha256', args.secret).update(body).digest('base64');
      hmac = given === want ? 'ok' : 'bad';
    }
    let event = null;
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return answer(400, { hmac, event: null, error: 'not JSON: ' + e.message });
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      return answer(400, { hmac, event: null, error: 'not a JSON object' });
    if (args.secret && hmac !== 'ok') return answer(401, { hmac, event, error: 'signature ' + hmac });
    let forced = 0;
    try {
      forced = Number(fs.readFileSync(path.join(args.state, 'answer'), 'utf8').trim());
    } catch (e) {
      forced = 0;
    }
    answer(forced >= 100 && forced <= 599 ? forced : 200, { hmac, event });
  });
});

server.listen(args.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
