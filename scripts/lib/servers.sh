# Throwaway XMPP servers on 127.0.0.1 for the host tests and benchmarks
# (sourced, not run). Each takes a fresh directory, makes a test CA and a
# server certificate there, registers two accounts (a/secret-a and
# b/secret-b), and starts the server as its own user.
#
#   make_certs DIR DOMAIN        DIR/ca.pem, DIR/server.pem, DIR/server.key
#   free_port                    an unused TCP port on 127.0.0.1
#   start_prosody DIR DOMAIN PORT [EXTRA_CONFIG]
#                                Prosody (Debian), c2s on PORT; sets PROSODY_PID
#   stop_prosody
#   start_ejabberd DIR DOMAIN PORT [shaper|no-shaper]
#                                ejabberd (Debian 23.01) from its shipped
#                                /etc/ejabberd/ejabberd.yml with only these
#                                changes: hosts, certfiles, every listener on
#                                127.0.0.1 and a port from PORT up, and (for
#                                no-shaper) c2s_shaper none for everyone; the
#                                Erlang distribution and epmd on loopback
#   stop_ejabberd DIR
#
# PEERS.md has the facts behind each step.

make_certs() { # dir domain
  local dir=$1 domain=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$domain" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName = DNS:%s\nbasicConstraints = CA:FALSE\n' "$domain" > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port: up to 20 s
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_prosody() { # dir domain port [extra config]
  local dir=$1 domain=$2 port=$3 extra=${4:-}
  chmod 755 "$dir"
  mkdir -p "$dir/data"
  make_certs "$dir" "$domain"
  cat > "$dir/prosody.cfg.lua" <<CFG
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
s2s_ports = { }
http_ports = { }
https_ports = { }
authentication = "internal_hashed"
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "presence" }
log = { { levels = { min = "warn" }, to = "file", filename = "$dir/prosody.log" } }
$extra
VirtualHost "$domain"
ssl = { certificate = "$dir/server.pem", key = "$dir/server.key" }
CFG
  chown -R prosody:prosody "$dir"
  local as=(setpriv --reuid=prosody --regid=prosody --init-groups)
  for u in a b; do
    "${as[@]}" prosodyctl --config "$dir/prosody.cfg.lua" register "$u" "$domain" "secret-$u" >/dev/null
  done
  "${as[@]}" prosody -F --config "$dir/prosody.cfg.lua" &
  PROSODY_PID=$!
  wait_port "$port"
}

stop_prosody() {
  [ -n "${PROSODY_PID:-}" ] && { kill "$PROSODY_PID" 2>/dev/null; wait "$PROSODY_PID" 2>/dev/null || true; }
  PROSODY_PID=
}

ejabberdctl_in() { # dir args...: ejabberdctl for the instance in dir
  local dir=$1
  shift
  ejabberdctl --config "$dir/ejabberd.yml" --ctl-config "$dir/ejabberdctl.cfg" \
    --spool "$dir/spool" --logs "$dir/logs" --node "xmpptls$(cat "$dir/port")@localhost" "$@"
}

start_ejabberd() { # dir domain port [shaper|no-shaper]
  local dir=$1 domain=$2 port=$3 shaper=${4:-shaper}
  chmod 755 "$dir"
  mkdir -p "$dir/spool" "$dir/logs"
  echo "$port" > "$dir/port"
  make_certs "$dir" "$domain"
  cat "$dir/server.pem" "$dir/server.key" > "$dir/ejabberd.pem"
  # The shipped configuration, changed only where the header says.
  python3 - "$dir" "$domain" "$port" "$shaper" <<'PY'
import re, sys
d, domain, port, shaper = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
text = open("/etc/ejabberd/ejabberd.yml").read()
text = re.sub(r"(?m)^hosts:\n(  - .*\n)+", f"hosts:\n  - {domain}\n", text)
text = re.sub(r"(?m)^certfiles:\n(  - .*\n)+", f"certfiles:\n  - \"{d}/ejabberd.pem\"\n", text)
ports = iter(range(port, port + 20))
text = re.sub(r"(?m)^(    port: )\d+$", lambda m: m.group(1) + str(next(ports)), text)
text = text.replace('ip: "::"', 'ip: "127.0.0.1"')
if shaper == "no-shaper":
    text = re.sub(r"(?m)^(  c2s_shaper:\n    none: admin\n)    normal: all\n", r"\1    none: all\n", text)
    assert "none: all" in text, "c2s_shaper not found"
open(f"{d}/ejabberd.yml", "w").write(text)
PY
  cat > "$dir/ejabberdctl.cfg" <<CFG
ERL_EPMD_ADDRESS=127.0.0.1
INET_DIST_INTERFACE=127.0.0.1
EJABBERD_PID_PATH=$dir/ejabberd.pid
CFG
  chown -R ejabberd:ejabberd "$dir"
  (cd "$dir" && ejabberdctl_in "$dir" start) >/dev/null
  ejabberdctl_in "$dir" started >/dev/null
  for u in a b; do
    ejabberdctl_in "$dir" register "$u" "$domain" "secret-$u" >/dev/null
  done
  wait_port "$port"
}

stop_ejabberd() { # dir
  ejabberdctl_in "$1" stop >/dev/null 2>&1 || true
  ejabberdctl_in "$1" stopped >/dev/null 2>&1 || true
}
