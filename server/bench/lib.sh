# Shell functions shared by the benchmark scripts (server/bench/side-by-side.sh,
# gatling/two-servers.sh). Source it (`. server/bench/lib.sh`); it runs nothing by itself.
# Needs bash (/dev/tcp), redis-cli for wait_redis and curl for wait_http.

# Prints a loopback TCP port nobody listens on now, from 10000 up to the kernel's ephemeral range
# (never in it: a port that a client connection, or one in TIME_WAIT, holds cannot be listened on;
# Gatling and wrk leave thousands of those).
free_port() {
  local p low=32768
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  [ "$low" -gt 11000 ] 2>/dev/null || low=32768
  while :; do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}

# wait_redis PORT [TRIES]: until redis-server on 127.0.0.1:PORT answers PING, every 0.1 s, at most
# TRIES times (default 100); status 1 if it never did.
wait_redis() {
  local _
  for _ in $(seq "${2:-100}"); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# wait_http URL [TRIES]: until URL answers 2xx, every 0.1 s, at most TRIES times (default 600);
# status 1 if it never did.
wait_http() {
  local _
  for _ in $(seq "${2:-600}"); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  return 1
}
