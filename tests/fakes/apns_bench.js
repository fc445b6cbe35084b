#!/usr/bin/env node
// Load for the APNs fake alone: one HTTP/2 connection with a client certificate, N pushes in
// flight, M pushes in all. Prints one JSON line: pushes/s, the statuses seen and, with --pid, the
// CPU the fake used (from /proc/PID/stat).
//
//   node apns_bench.js --port PORT --ca FILE --cert FILE --key FILE
//                      [--streams 100] [--requests 100000] [--tokens 1000] [--pid PID]
//
// The topic is the UID of the client certificate's subject, as the fake expects.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http2 = require('http2');

function parseArgs(argv) {
  const opts = { streams: 100, requests: 100000, tokens: 1000, pid: 0 };
  const names = {
    '--port': 'port', '--ca': 'ca', '--cert': 'cert', '--key': 'key', '--streams': 'streams',
    '--requests': 'requests', '--tokens': 'tokens', '--pid': 'pid',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[name] = argv[i + 1];
  }
  for (const required of ['port', 'ca', 'cert', 'key']) {
    if (!opts[required]) throw new Error(`missing --${required}`);
  }
  for (const n of ['port', 'streams', 'requests', 'tokens', 'pid']) opts[n] = Number(opts[n]);
  return opts;
}

// User + system CPU seconds of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks;
// 100 per second on Linux).
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cert = fs.readFileSync(opts.cert);
  const topic = new crypto.X509Certificate(cert).subject.match(/^UID=(.*)$/m)[1];
  const tokens = Array.from({ length: opts.tokens }, () => crypto.randomBytes(32).toString('hex'));
  const statuses = {};
  let started = 0;
  let finished = 0;

  const session = http2.connect(`https://localhost:${opts.port}`, {
    host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(opts.ca), cert, key: fs.readFileSync(opts.key),
  });
  session.on('error', (e) => {
    process.stderr.write(`apns bench: ${e.message}\n`);
    process.exit(1);
  });

  const serverCpuBefore = opts.pid ? cpuSeconds(opts.pid) : 0;
  const clientCpuBefore = process.cpuUsage();
  const t0 = process.hrtime.bigint();

  const finish = () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const report = {
      pushes: finished, streams: opts.streams, seconds: +seconds.toFixed(3),
      pushes_per_s: Math.round(finished / seconds), statuses,
      client_cpu_pct: Math.round((clientCpu.user + clientCpu.system) / 1e4 / seconds),
    };
    if (opts.pid) {
      const serverCpu = cpuSeconds(opts.pid) - serverCpuBefore;
      report.server_cpu_s = +serverCpu.toFixed(2);
      report.server_cpu_pct = Math.round((100 * serverCpu) / seconds);
      report.server_pushes_per_cpu_s = Math.round(finished / serverCpu);
    }
    process.stdout.write(JSON.stringify(report) + '\n');
    session.close();
  };

  const send = () => {
    const i = started++;
    const req = session.request({
      ':method': 'POST', ':path': `/3/device/${tokens[i % tokens.length]}`, 'apns-topic': topic,
      'apns-push-type': 'mdm', 'apns-priority': '10', 'apns-expiration': '0',
    });
    req.on('response', (headers) => {
      statuses[headers[':status']] = (statuses[headers[':status']] ?? 0) + 1;
    });
    req.on('error', () => {
      statuses.error = (statuses.error ?? 0) + 1;
    });
    req.on('close', () => {
      finished += 1;
      if (started < opts.requests) send();
      else if (finished === opts.requests) finish();
    });
    req.resume();
    req.end(`{"mdm":"magic-${i}"}`);
  };

  for (let i = 0; i < Math.min(opts.streams, opts.requests); i++) send();
}

main();
