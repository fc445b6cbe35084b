#!/usr/bin/env bash
# scripts/demo's arguments (issue 19): --help documents the port, bad arguments and a busy port
# are refused with a sentence saying what to do, before anything is installed or built.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
check() {  # check NAME EXPECTED-STATUS EXPECTED-TEXT -- command...
  local name=$1 want_status=$2 want_text=$3
  shift 4
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" != "$want_status" ] || [[ "$out" != *"$want_text"* ]]; then
    echo "FAILED: $name: status $status (want $want_status), output:"
    echo "$out"
    fail=1
  else
    echo "ok: $name"
  fi
}
check "--help names --port" 0 "--port N" -- "$ROOT/scripts/demo" --help
check "an unknown argument" 2 "unknown argument '--bogus'" -- "$ROOT/scripts/demo" --bogus
check "a port that is not a number" 2 "must be a number from 1 to 65535, not 'abc'" -- "$ROOT/scripts/demo" --port abc
check "--port without a value" 2 "--port needs a number" -- "$ROOT/scripts/demo" --port

# A port some other program holds.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c "import socket, time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $port)); s.listen(); time.sleep(30)" &
holder=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
check "a busy port" 1 "port $port is already in use by another program; choose another: scripts/demo --port" -- \
  env MDM_DEMO_PORT=$port "$ROOT/scripts/demo" "$port"
kill $holder 2>/dev/null
wait $holder 2>/dev/null

if [ $fail -eq 0 ]; then echo "demo arguments: all checks passed"; else echo "demo arguments: failures"; fi
exit $fail
