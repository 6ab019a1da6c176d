#!/usr/bin/env bash
# Side by side on loopback: the async-cache server against Redis, same machine, same keys,
# 100-byte values, alternating runs. Prints one table of ratios (ours/Redis).
#   50 connections: wrk against us, redis-benchmark against Redis (both C, multi-threaded).
#   1 connection: LatencyClient.java against both (the same code speaks HTTP to us and RESP to
#   Redis, records every request's latency, and runs a real 80/20 mix on both sides); wrk's
#   latencies at one connection contradict its own rate (perf/RESULTS.md).
#
#   server/bench/side-by-side.sh              # 10 s per run
#   DURATION=20 server/bench/side-by-side.sh
#
# Needs: wrk and redis-server/redis-benchmark/redis-cli (Debian: apt-get install wrk redis-server),
# curl, and a built server (./mvnw -pl server -am package -DskipTests, or ../../run-server once).
# Both servers are started here on free loopback ports and stopped at exit. The load clients run
# on the same cores as the servers: quote ratios from one run, never absolute figures across runs.
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../.." && pwd)
DURATION=${DURATION:-10}
KEYS=${KEYS:-100000}
VALUE=${VALUE:-100}
JAVA_OPTS=${ASYNC_CACHE_JAVA_OPTS:-}
# DEFAULT_FLAGS=0: the JVM's own defaults instead of the ones run-server adds (to compare them)
DEFAULT_FLAGS=${DEFAULT_FLAGS:-1}
out=$(mktemp -d)
export BENCH_KEYS=$KEYS BENCH_VALUE_BYTES=$VALUE

# Installs what is missing from Debian's packages (as root, or with sudo).
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null && command -v redis-cli >/dev/null || need+=(redis-server)
command -v curl >/dev/null || need+=(curl)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  echo "side-by-side: installing ${need[*]}" >&2
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "${need[@]}" >&2 \
    || { echo "side-by-side: could not install ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; }
fi
jar="${SERVER_JAR:-$root/server/target/async-cache-server.jar}"
[ -f "$jar" ] || { echo "side-by-side: build the server first: ./mvnw -pl server -am package -DskipTests" >&2; exit 1; }
jdk=$(sh "$root/.mvn/find-jdk.sh" 21)
# The flags run-server adds (keep in step with it).
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release" 2>/dev/null)
run_server_flags=""
if [ "${feature:-0}" -ge 23 ]; then run_server_flags="--sun-misc-unsafe-memory-access=allow"; fi
if [ "$DEFAULT_FLAGS" = 1 ]; then
  run_server_flags="$run_server_flags -Xms16m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
  case "$JAVA_OPTS" in
    *-XX:+Use*GC*) ;;
    *) run_server_flags="$run_server_flags -XX:+UseSerialGC" ;;
  esac
  if [ "${feature:-0}" -ge 22 ]; then run_server_flags="$run_server_flags -XX:TrimNativeHeapInterval=1000"; fi
  if [ "${feature:-0}" -ge 25 ]; then run_server_flags="$run_server_flags -XX:+UseCompactObjectHeaders"; fi
  run_server_flags="$run_server_flags -XX:-TieredCompilation"
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
fi
echo "server JVM flags: $run_server_flags $JAVA_OPTS"

. "$here/lib.sh" # free_port

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$out/redis.log" 2>&1 &
pids+=($!); rpid=$!
aport=$(free_port)
# shellcheck disable=SC2086
"$jdk/bin/java" $(cat "$root/server/target/jvm.options") $run_server_flags $JAVA_OPTS -jar "$jar" --port "$aport" \
  --max-size "$((KEYS * 2))" >"$out/ours.log" 2>&1 &
pids+=($!); apid=$!

for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$aport/health" >/dev/null && break; sleep 0.1; done

rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }
echo "idle RSS: ours $(( $(rss_kb "$apid") / 1024 )) MB, Redis $(( $(rss_kb "$rpid") / 1024 )) MB"

# Preload the same keys in both: key:000000000000 .. as redis-benchmark -r names them.
"$jdk/bin/java" "$here/Preload.java" "$aport" "$KEYS" "$VALUE" >"$out/preload.txt"
redis-cli -p "$rport" eval "for i=0,$((KEYS - 1)) do redis.call('SET', string.format('key:%012d', i), string.rep('v', $VALUE)) end return 1" 0 >/dev/null
ours_n=$(curl -s "http://127.0.0.1:$aport/stats" | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
redis_n=$(redis-cli -p "$rport" dbsize)
echo "entries: ours $ours_n, Redis $redis_n"
echo "RSS with the keys: ours $(( $(rss_kb "$apid") / 1024 )) MB, Redis $(( $(rss_kb "$rpid") / 1024 )) MB"

# Warm the JIT (not measured), with both workloads: the server's JVM compiles with C2 only
# (-XX:-TieredCompilation), so a method that deoptimizes when the workload changes runs interpreted
# until C2 has compiled it again, which took seconds on two busy cores (perf/RESULTS.md, session 26).
warm=$((DURATION < 10 ? DURATION : 10))
wrk -t2 -c50 -d"${warm}s" -s "$here/mix.lua" "http://127.0.0.1:$aport" >/dev/null
wrk -t2 -c50 -d"${warm}s" -s "$here/get.lua" "http://127.0.0.1:$aport" >/dev/null
redis-benchmark -p "$rport" -q -c 50 -n 100000 -r "$KEYS" -d "$VALUE" -t get >/dev/null

# wrk: requests/s and p99 (ms) from --latency output
wrk_run() { # conns threads script
  local f="$out/wrk-$1-$3.txt"
  wrk -t"$2" -c"$1" -d"${DURATION}s" --latency -s "$here/$3.lua" "http://127.0.0.1:$aport" >"$f"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$f")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$f" | tr '\n' ' ')
  echo "$rps $p99 ${errors:-}"
}
# redis-benchmark: requests/s and p99 (ms) of one command, sized to run about DURATION s
redis_run() { # conns command rate_guess
  local n=$(( $3 * DURATION ))
  local line
  line=$(redis-benchmark -p "$rport" -c "$1" -n "$n" -r "$KEYS" -d "$VALUE" -t "$2" --csv $( [ "$1" -gt 1 ] && echo --threads 2 ) | tail -1)
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  echo "$line" | awk -F'"' '{print $4, $14}'
}

printf '\n%-22s %12s %12s %8s %10s %10s %8s %6s\n' "workload" "ours req/s" "Redis req/s" "ratio" "ours p99" "Redis p99" "p99 x" "load"
row() { # name ours_rps ours_p99 redis_rps redis_p99
  printf '%-22s %12.0f %12.0f %7.2fx %8.2fms %8.2fms %7.1fx %6s\n' "$1" "$2" "$4" "$(echo "$2 / $4" | bc -l)" "$3" "$5" "$(echo "$3 / $5" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
}
# LatencyClient: requests/s and p99 (ms), the same client code against both servers
lat_run() { # protocol port put_percent
  local f="$out/latency-$1-$3.txt"
  "$jdk/bin/java" -XX:+UseSerialGC -Xms64m "$here/LatencyClient.java" "$1" "$2" 1 "$DURATION" "$3" "$KEYS" "$VALUE" 2 >"$f"
  awk '{print $1, $3}' "$f"
}

for conns in 50; do
  threads=$([ "$conns" -gt 1 ] && echo 2 || echo 1)
  guess=$([ "$conns" -gt 1 ] && echo 60000 || echo 15000)
  read -r o_rps o_p99 o_err < <(wrk_run "$conns" "$threads" get)
  read -r r_rps r_p99 < <(redis_run "$conns" get "$guess")
  row "GET, $conns conn" "$o_rps" "$o_p99" "$r_rps" "$r_p99"
  [ -n "${o_err:-}" ] && echo "   ours: $o_err"
  read -r o_rps o_p99 o_err < <(wrk_run "$conns" "$threads" mix)
  read -r g_rps g_p99 < <(redis_run "$conns" get "$guess")
  read -r s_rps s_p99 < <(redis_run "$conns" set "$guess")
  # Redis has no mixed workload in redis-benchmark: the 80/20 rate is 1 / (0.8/GET + 0.2/SET),
  # its p99 the larger of the two p99s.
  m_rps=$(echo "1 / (0.8 / $g_rps + 0.2 / $s_rps)" | bc -l)
  m_p99=$(echo "if ($g_p99 > $s_p99) $g_p99 else $s_p99" | bc -l)
  row "80/20 GET/PUT, $conns conn" "$o_rps" "$o_p99" "$m_rps" "$m_p99"
  [ -n "${o_err:-}" ] && echo "   ours: $o_err"
done
for put in 0 20; do
  name=$([ "$put" = 0 ] && echo "GET, 1 conn" || echo "80/20 GET/PUT, 1 conn")
  read -r o_rps o_p99 < <(lat_run http "$aport" "$put")
  read -r r_rps r_p99 < <(lat_run resp "$rport" "$put")
  row "$name" "$o_rps" "$o_p99" "$r_rps" "$r_p99"
done
echo
echo "RSS after the runs: ours $(( $(rss_kb "$apid") / 1024 )) MB, Redis $(( $(rss_kb "$rpid") / 1024 )) MB (Redis used_memory_rss_human: $(redis-cli -p "$rport" info memory | awk -F: '/^used_memory_rss_human/ {print $2}' | tr -d '\r'))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out"
