#!/usr/bin/env bash
# The host integrations against real servers: Prosody (Debian, defaults)
# and ejabberd (Debian 23.01, its shipped configuration: c2s shaper and
# stream management on; scripts/lib/servers.sh lists what is changed).
#   libstrophe  two real C clients with the add-on in
#               bindings-c/hosts/libstrophe (bindings-c/tests/c/test_strophe.c)
#   slixmpp     two slixmpp clients with the Python package's plugin
#               (bindings-mobile/tests/slixmpp/plugin_pair.py)
# Each: a tunnel opened, a message and a 40 KB stanza through, an answer
# back, closed on both sides. Prints "ok - …"/"not ok - …" and a closing
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/servers.sh
work=$(mktemp -d /tmp/xmpptls-hosts-XXXXXX)
chmod 755 "$work"
passed=0 failed=0
result() { # ok|not-ok text
  if [ "$1" = ok ]; then passed=$((passed + 1)); echo "ok - $2"; else failed=$((failed + 1)); echo "not ok - $2"; fi
}
cleanup() {
  stop_prosody
  [ -f "$work/ejabberd/port" ] && stop_ejabberd "$work/ejabberd"
  rm -rf "$work"
}
trap cleanup EXIT

# The C library (release, as the C README's install line builds it: its
# size against the budget) and the libstrophe pair built against it.
if scripts/install-c.sh "$work/prefix" >/dev/null 2>&1; then
  for lib in c-shared:libxmpptls.so c-static:libxmpptls.a; do
    if line=$(scripts/check-size.sh "${lib%%:*}" "$work/prefix/lib/${lib##*:}"); then
      result ok "${line#ok - }"
    else
      result not-ok "${line#not ok - }"
    fi
  done
fi
if [ -f "$work/prefix/lib/libxmpptls.so" ] &&
   PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
     -Ibindings-c/hosts/libstrophe bindings-c/tests/c/test_strophe.c bindings-c/hosts/libstrophe/xmpptls_strophe.c \
     $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs libstrophe xmpptls) \
     -o "$work/test_strophe"; then
  result ok "libstrophe add-on builds with -Wall -Wextra -Werror"
else
  result not-ok "libstrophe add-on builds"
fi
# The Python package with the plugin, generated from the fresh library.
scripts/gen-mobile.sh "$work/mobile" >/dev/null 2>&1 || result not-ok "python bindings generated"

run_pair() { # label port domain ca
  local label=$1 port=$2 domain=$3 ca=$4 out
  if [ -x "$work/test_strophe" ]; then
    out=$("$work/test_strophe" 127.0.0.1 "$port" "$domain" "$ca" "$label" 2>&1)
    echo "$out" | grep -v "passed, "
    grep -q "^0 failed\|, 0 failed$" <<< "$out" && result ok "libstrophe pair through $label" \
      || result not-ok "libstrophe pair through $label"
  fi
  out=$(PYTHONPATH="$work/mobile/python" timeout 120 python3 bindings-mobile/tests/slixmpp/plugin_pair.py \
    --port "$port" --domain "$domain" --ca "$ca" --label "$label" 2>&1)
  echo "$out" | grep -v "passed, "
  grep -q ", 0 failed$" <<< "$out" && result ok "slixmpp plugin pair through $label" \
    || { result not-ok "slixmpp plugin pair through $label"; echo "$out" | tail -20; }
}

mkdir -p "$work/prosody"
port=$(free_port)
if start_prosody "$work/prosody" hosts.test "$port"; then
  run_pair "Prosody" "$port" hosts.test "$work/prosody/ca.pem"
else
  result not-ok "Prosody starts"
fi
stop_prosody

mkdir -p "$work/ejabberd"
port=$(free_port)
if start_ejabberd "$work/ejabberd" hosts.test "$port" shaper; then
  run_pair "ejabberd (shipped configuration)" "$port" hosts.test "$work/ejabberd/ca.pem"
else
  result not-ok "ejabberd starts"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
