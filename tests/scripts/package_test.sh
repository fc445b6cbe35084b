#!/usr/bin/env bash
# The Debian package (issue 14), on this machine, as root (skipped otherwise: exit 77):
#   - scripts/package builds it (Release in build-package, reused when present); lintian finds no error;
#   - dpkg -i, then apt-get -f install, installs it; the user mdm, /etc/mdm/mdm.conf 0640 root:mdm,
#     the conffiles and the units (systemd-analyze verify) are as they should be;
#   - with the packaged mdm.conf pointed at a private PostgreSQL and a socket in a temp folder,
#     mdm-console migrate works as the user mdm, and mdm-fcgi started as the unit's ExecStart, User,
#     Group and SupplementaryGroups say makes its socket mdm:www-data 0660, answers /health over
#     FastCGI to www-data (nginx's user) and to no other user, and stops cleanly on SIGTERM;
#   - dpkg --purge removes the package, its configuration and the user mdm; it also runs when a
#     check fails (trap), so the machine is left as it was.
#   tests/scripts/package_test.sh [DEB]    a .deb already built; else scripts/package makes one
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
UNIT=/lib/systemd/system/mdm-fcgi.service
CONF=/etc/mdm/mdm.conf
# Written while this test has the package installed: a later run purges a package an interrupted
# run left behind, and refuses to touch one that somebody installed.
MARKER=/var/tmp/mdm-package-test.installed

if [ "$(id -u)" -ne 0 ]; then
  echo "package test: skipped (needs root: it installs and purges the mdm package)"
  exit 77
fi

passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); return 1; }
check() {  # check DESCRIPTION command...: passes when the command exits 0
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
  echo "package: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}
installed() { dpkg-query -W -f='${Status}' mdm 2>/dev/null | grep -q "install ok installed"; }

if dpkg-query -W -f='${Status}' mdm 2>/dev/null | grep -q "ok"; then
  if [ -e "$MARKER" ]; then
    echo "purging the mdm package an interrupted run of this test left installed"
    dpkg --purge mdm >/dev/null
    rm -f "$MARKER"
  else
    fail "the mdm package is already installed on this machine and this test would purge it: remove it (dpkg --purge mdm) or run the test on another machine"
    finish
  fi
fi

. "$ROOT/scripts/lib.sh"
# The test's own tools: PostgreSQL's server and cgi-fcgi, a FastCGI client.
MDM_PACKAGES=(postgresql libfcgi-bin)
install_packages

deb=${1:-}
if [ -z "$deb" ]; then
  deb=$("$ROOT/scripts/package" --no-lintian | tail -n 1)
fi
if [ ! -f "$deb" ]; then
  fail "scripts/package made a .deb (got '$deb')"
  finish
fi
echo "package: $deb"

# 1. lintian: no error. Warnings are printed; the justified ones are overridden in the package.
if lintian_out=$(lintian --fail-on error "$deb" 2>&1 | grep -v "running with root privileges"; exit "${PIPESTATUS[0]}"); then
  ok "lintian: no error ($(grep -c '^W:' <<<"$lintian_out") warning(s))"
else
  fail "lintian found errors"
fi
[ -n "$lintian_out" ] && echo "$lintian_out"

work=$(mktemp -d /tmp/mdm-package-test-XXXXXX)
chmod 755 "$work"
fcgi_pid=""
pg_bin=$(pg_bindir)
cleanup() {
  if [ -n "$fcgi_pid" ] && kill -0 "$fcgi_pid" 2>/dev/null; then
    kill -TERM "$fcgi_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$fcgi_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$fcgi_pid" 2>/dev/null
  fi
  if [ -f "$work/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1
  fi
  # Whatever still runs as the package's user mdm was started here; deluser needs it gone.
  if [[ $(getent passwd mdm | cut -d: -f5) == "Apple MDM server"* ]]; then
    local pids
    pids=$(pgrep -u mdm)
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null && sleep 0.5
  fi
  if dpkg-query -W -f='${Status}' mdm 2>/dev/null | grep -q "ok"; then
    dpkg --purge mdm >/dev/null 2>&1 || echo "cleanup: dpkg --purge mdm failed"
  fi
  rm -f "$MARKER"
  if [ -n "${MDM_KEEP_TEST_DIR:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # the EXIT trap then purges too

# 2. Install, as on a machine that has only the .deb: dpkg, then apt for what dpkg lacked.
touch "$MARKER"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1
DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$work/dpkg.log" 2>&1
if installed; then
  ok "dpkg -i and apt-get -f install installed the package"
else
  fail "the package did not install:"
  cat "$work/dpkg.log"
  finish
fi
check "the postinst printed the next steps" grep -q "systemctl enable --now mdm-fcgi" "$work/dpkg.log"

# 3. What the package put in place.
IFS=: read -r _ _ uid _ gecos home shell <<<"$(getent passwd mdm)"
check "the system user mdm (uid $uid, home $home, shell $shell)" \
  test -n "$uid" -a "${uid:-1000}" -lt 1000 -a "$home" = /nonexistent -a "$shell" = /usr/sbin/nologin
check "the group mdm" bash -c 'getent group mdm >/dev/null'
check "the user is marked as the package's, for the postrm (GECOS '$gecos')" test "${gecos%%,*}" = "Apple MDM server"
check "$CONF is 0640 root:mdm" test "$(stat -c '%a %U %G' "$CONF")" = "640 root mdm"
check "/etc/cron.d/mdm is 0644 root:root" test "$(stat -c '%a %U %G' /etc/cron.d/mdm)" = "644 root root"
check "the cron file runs applesync every 10 minutes and mdmcron every 5 as mdm" \
  grep -Eq '^\*/10 .* mdm .*mdm-console applesync' /etc/cron.d/mdm
mdmcron_line=$(grep -E '^\*/5 .* mdm .*mdm-console mdmcron' /etc/cron.d/mdm) ||
  fail "no mdmcron line for every 5 minutes in /etc/cron.d/mdm"
# cron_run LINE: runs a cron.d line's command as its user, with the file's PATH and shell.
cron_run() {
  local cron_user cron_cmd
  read -r _ _ _ _ _ cron_user cron_cmd <<<"$1"
  runuser -u "$cron_user" -- env -i PATH=/usr/bin:/bin /bin/sh -c "$cron_cmd" 2>&1
}
conffiles=$(dpkg-query -W -f='${Conffiles}' mdm)
check "mdm.conf and the cron file are conffiles" \
  test "$(grep -cE "^ ($CONF|/etc/cron.d/mdm) " <<<"$conffiles")" = 2
programs=$(dpkg -L mdm | grep -E '^/usr/s?bin/' | sort | tr '\n' ' ')
check "the programs installed are mdm-console and mdm-fcgi (found: $programs)" \
  test "$programs" = "/usr/bin/mdm-console /usr/bin/mdm-fcgi "
check "no test, benchmark or fuzz target is installed" \
  test -z "$(dpkg -L mdm | grep -Ei 'test|fuzz|bench|devicesim|catch')"
check "the nginx files are in /usr/share/mdm/nginx" \
  test -f /usr/share/mdm/nginx/mdm-site.conf -a -f /usr/share/mdm/nginx/mdm-locations.conf \
  -a -f /usr/share/mdm/nginx/mdm-fastcgi.conf
check "the web console is in /usr/share/mdm/web, where mdm-locations.conf serves it from" \
  test -f /usr/share/mdm/web/index.html -a -f /usr/share/mdm/web/console.js -a -f /usr/share/mdm/web/console.css -a -f /usr/share/mdm/web/vendor/qrcode-generator/qrcode.js \
  -a -n "$(grep -F 'alias /usr/share/mdm/web/;' /usr/share/mdm/nginx/mdm-locations.conf)"
check "no nginx site was enabled" test ! -e /etc/nginx/sites-enabled/mdm.conf -a ! -e /etc/nginx/sites-enabled/mdm-site.conf
if command -v systemd-analyze >/dev/null; then
  if out=$(systemd-analyze verify --man=no --recursive-errors=no \
      /lib/systemd/system/mdm-fcgi.service /lib/systemd/system/mdm-webhook.service 2>&1); then
    ok "systemd-analyze verify: both units"
  else
    fail "systemd-analyze verify:"
    echo "$out"
  fi
else
  echo "skipped: systemd-analyze verify (systemd-analyze is not installed)"
fi

# The shipped configuration, as the service user reads it: every key commented, so the programs
# say what is missing.
out=$(runuser -u mdm -- /usr/bin/mdm-console --config "$CONF" migrate 2>&1)
check "the shipped mdm.conf is refused for its missing database line (got: $out)" \
  grep -q "no 'database' line" <<<"$out"

out=$(cron_run "$mdmcron_line")
check "the mdmcron line is silent while mdm.conf has no database line (got: '$out')" test -z "$out"

# 4. A private PostgreSQL (peer authentication over its own socket, as on a Debian server) with the
# role and database that README.Debian tells the operator to make.
mkdir -p "$work/pg/sock"
chown -R postgres: "$work/pg"
if ! runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg/data" -U postgres -E UTF8 --locale=C --no-sync \
    --auth-local=peer --auth-host=reject >"$work/initdb.log" 2>&1 ||
   ! runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w -t 60 \
    -o "-k $work/pg/sock -c listen_addresses= -c fsync=off" start >/dev/null 2>&1 ||
   ! runuser -u postgres -- "$pg_bin/psql" -h "$work/pg/sock" -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE mdm LOGIN" -c "CREATE DATABASE mdm OWNER mdm" >"$work/psql.log" 2>&1; then
  fail "the private PostgreSQL did not start:"
  cat "$work/initdb.log" "$work/pg/postgres.log" "$work/psql.log" 2>/dev/null
  finish
fi

# The unit: ExecStart, its user and groups, its runtime folder's mode.
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
read -r -a exec_start <<<"$(unit_value ExecStart)"
exec_start[0]=${exec_start[0]#[-@:+!]}
user=$(unit_value User) group=$(unit_value Group) supplementary=$(unit_value SupplementaryGroups)
runtime_mode=$(unit_value RuntimeDirectoryMode)
echo "unit: ExecStart=${exec_start[*]} User=$user Group=$group SupplementaryGroups=$supplementary"

# The packaged file, edited as an operator would: every default uncommented (so each one is a
# valid key and value), the database and a socket in a folder like the unit's RuntimeDirectory.
run_dir="$work/run"
mkdir "$run_dir"
chown "$user:$group" "$run_dir"
chmod "${runtime_mode:-0755}" "$run_dir"
socket="$run_dir/mdm-fcgi.sock"
edited=$(sed -E -e 's/^# ([a-z_]+ =)/\1/' \
  -e "s|^database = .*|database = host=$work/pg/sock dbname=mdm user=mdm|" \
  -e "s|^socket = .*|socket = $socket|" -e 's/^workers = .*/workers = 2/' "$CONF")
printf '%s\n' "$edited" >"$CONF"  # the same file: its owner, group and mode stay
check "the edited mdm.conf has its database and socket lines" \
  test "$(grep -cE "^(database = host=$work|socket = $socket)" "$CONF")" = 2

out=$(runuser -u mdm -- /usr/bin/mdm-console --config "$CONF" migrate 2>&1)
check "mdm-console migrate as mdm" test $? -eq 0
echo "$out" | tail -n 3
out=$(runuser -u mdm -- /usr/bin/mdm-console --config "$CONF" migrate 2>&1)
check "a second migrate as mdm has nothing to do" test $? -eq 0

out=$(cron_run "$mdmcron_line")
check "the mdmcron line of the cron file runs as mdm, exit 0 and silent (got: '$out')" test $? -eq 0 -a -z "$out"

# mdm-fcgi as systemd would start it: that user, primary and supplementary groups, no new
# privileges, no capabilities, an empty environment, in /.
groups=$group
for g in $supplementary; do groups+=",$g"; done
(cd / && exec env -i PATH=/usr/bin:/bin setpriv --reuid="$user" --regid="$group" --groups="$groups" \
  --no-new-privs --inh-caps=-all --bounding-set=-all -- "${exec_start[@]}") >"$work/mdm-fcgi.log" 2>&1 &
fcgi_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; kill -0 "$fcgi_pid" 2>/dev/null || break; sleep 0.1; done
if [ -S "$socket" ]; then
  ok "mdm-fcgi made its socket"
else
  fail "mdm-fcgi made no socket at $socket:"
  cat "$work/mdm-fcgi.log"
  finish
fi
check "the socket is mdm:www-data 0660 (got $(stat -c '%U:%G %a' "$socket"))" \
  test "$(stat -c '%U:%G %a' "$socket")" = "mdm:www-data 660"
check "mdm-fcgi runs as mdm" test "$(ps -o user= -p "$fcgi_pid" | tr -d ' ')" = mdm
sleep 0.5
workers=$(pgrep -c -u mdm -P "$fcgi_pid")
check "its 2 workers run as mdm (found $workers)" test "$workers" = 2

fastcgi_get() {  # fastcgi_get USER PATH: a FastCGI GET on the socket as USER, as nginx would send it
  setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- env -i REQUEST_METHOD=GET SCRIPT_NAME=/api-mdm.php \
    PATH_INFO="$2" REQUEST_URI="/api-mdm.php$2" QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 CONTENT_LENGTH=0 \
    /usr/bin/cgi-fcgi -bind -connect "$socket" </dev/null 2>&1
}
health=$(fastcgi_get www-data /health)
check "www-data (nginx) gets 200 from /health over the socket" grep -q "^Status: 200" <<<"$health" ||
  echo "$health"
other=$(fastcgi_get nobody /health)
check "another user (nobody) cannot connect to the socket (got: $other)" \
  bash -c '[[ $1 == *"Could not connect"* && $1 != *Status:* ]]' _ "$other"

kill -TERM "$fcgi_pid"
status=""
for _ in $(seq 100); do kill -0 "$fcgi_pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$fcgi_pid" 2>/dev/null; then wait "$fcgi_pid"; status=$?; fi
check "mdm-fcgi stopped on SIGTERM with status 0 (got '${status}')" test "$status" = 0
check "and removed its socket" test ! -e "$socket"
fcgi_pid=""

# 5. Purge: the package, its configuration, the user and group it made.
if dpkg --purge mdm >"$work/purge.log" 2>&1; then ok "dpkg --purge mdm"; else fail "dpkg --purge mdm:"; cat "$work/purge.log"; fi
check "the package is gone" bash -c '! dpkg-query -W -f="\${Status}" mdm 2>/dev/null | grep -q ok'
check "/etc/mdm and /etc/cron.d/mdm are gone" test ! -e /etc/mdm -a ! -e /etc/cron.d/mdm
check "the user and group mdm are gone" bash -c '! getent passwd mdm && ! getent group mdm'
rm -f "$MARKER"

finish
