#!/usr/bin/env bash
# The mixed scenario (80 % GET, 18 % PUT, 2 % DELETE on a preloaded key space) three ways, one
# after the other in one run, on loopback:
#   1. one async-cache server, no Redis (its own cache);
#   2. two async-cache server processes sharing one Redis (--redis), Gatling's users split
#      between them (each virtual user sticks to one server);
#   3. Redis alone, driven by redis-benchmark with the same concurrency, value size and key space
#      (GET, SET and DEL measured one after the other; the mix's figure is their 80/18/2 blend).
# Prints one table (ops/s, p50/p99 in ms) and leaves the raw files in a temporary folder.
#
#   gatling/two-servers.sh                       # 30 s per run, 50 users, 1,000 keys
#   DURATION=60 CONCURRENCY=50 gatling/two-servers.sh
#
# Needs: redis-server, redis-benchmark and redis-cli (Debian: apt-get install redis-server), curl,
# python3, and the server installed in ~/.m2 (./mvnw -pl server -am install -DskipTests).
# Everything (servers, Redis, Gatling's JVM, redis-benchmark) runs on the same cores: compare the
# rows of one run, never absolute figures across machines or runs. Note `uptime` next to them.
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/.." && pwd)
DURATION=${DURATION:-30}
CONCURRENCY=${CONCURRENCY:-50}
KEYS=${KEYS:-1000}
VALUE=${VALUE:-64}
WARMUP=${WARMUP:-20000}
MVN_OFFLINE=${MVN_OFFLINE:--o}
out=$(mktemp -d)

for tool in redis-server redis-benchmark redis-cli curl python3; do
  command -v "$tool" >/dev/null || {
    echo "two-servers: $tool is missing (redis-*: apt-get install redis-server)" >&2; exit 1; }
done
jar="$root/server/target/async-cache-server.jar"
[ -f "$jar" ] || { echo "two-servers: build the server first: ./mvnw -pl server -am install -DskipTests" >&2; exit 1; }
jdk=$(sh "$root/.mvn/find-jdk.sh" 21)
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release" 2>/dev/null)
# The flags run-server adds (keep in step with it).
flags="$(cat "$root/server/target/jvm.options") -Xms16m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
if [ "${feature:-0}" -ge 23 ]; then flags="$flags --sun-misc-unsafe-memory-access=allow"; fi
if [ "${feature:-0}" -ge 25 ]; then flags="$flags -XX:+UseCompactObjectHeaders"; fi
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# free_port, wait_redis, wait_http
. "$root/server/bench/lib.sh"

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_all EXIT

start_redis() { # port
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$out/redis-$1.log" 2>&1 &
  pids+=($!)
  wait_redis "$1" || { echo "two-servers: redis-server did not start on port $1" >&2; exit 1; }
}

start_server() { # port, extra options...
  local port=$1; shift
  # shellcheck disable=SC2086
  "$jdk/bin/java" $flags -jar "$jar" --port "$port" "$@" >"$out/server-$port.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/health" \
    || { echo "two-servers: the server on port $port did not start: $(cat "$out/server-$port.log")" >&2; exit 1; }
}

gatling() { # label, url(s)
  echo "== $1: Gatling mixed, $CONCURRENCY users, ${DURATION} s, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$root/mvnw" $MVN_OFFLINE -q -B -f "$root/pom.xml" -pl gatling verify -Dkotlin.compiler.daemon=false \
    -Dgatling.simulationClass=dev.asynccache.gatling.MixedSimulation -Dgatling.shared.skip=true \
    -Durl="$2" -Dduration="$DURATION" -Dconcurrency="$CONCURRENCY" -Dkeys="$KEYS" -DvalueBytes="$VALUE" \
    -Dwarmup="$WARMUP" -Dthresholds=correctness >"$out/gatling-$1.log" 2>&1 \
    || { echo "two-servers: Gatling failed, see $out/gatling-$1.log" >&2; tail -30 "$out/gatling-$1.log" >&2; exit 1; }
  cp "$root/gatling/target/gatling/benchmark_results.json" "$out/$1.json"
  echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out/$1.load"
}

# 1. One server, its own cache.
p1=$(free_port)
start_server "$p1" --max-size 100000
gatling one-server "http://127.0.0.1:$p1"
stop_all

# 2. Two servers, one Redis.
rport=$(free_port)
start_redis "$rport"
pa=$(free_port); start_server "$pa" --max-size 100000 --redis "redis://127.0.0.1:$rport"
pb=$(free_port); start_server "$pb" --max-size 100000 --redis "redis://127.0.0.1:$rport"
gatling two-servers-redis "http://127.0.0.1:$pa,http://127.0.0.1:$pb"
curl -s "http://127.0.0.1:$pa/stats" >"$out/stats-a.json"
curl -s "http://127.0.0.1:$pb/stats" >"$out/stats-b.json"
stop_all

# 3. Redis alone: the same concurrency, values and key space, no pipelining.
rport=$(free_port)
start_redis "$rport"
echo "== redis-benchmark, $CONCURRENCY clients, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
redis-cli -p "$rport" eval "for i=0,$((KEYS - 1)) do redis.call('SET', string.format('key:%012d', i), string.rep('v', $VALUE)) end return 1" 0 >/dev/null
requests=$((CONCURRENCY * 4000))
redis-benchmark -p "$rport" -c "$CONCURRENCY" -n "$requests" -r "$KEYS" -d "$VALUE" -t get,set --csv >"$out/redis-getset.csv"
redis-benchmark -p "$rport" -c "$CONCURRENCY" -n "$((requests / 4))" -r "$KEYS" --csv DEL key:__rand_int__ >"$out/redis-del.csv"
echo "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out/redis.load"
stop_all

python3 - "$out" <<'EOF'
import csv, json, os, sys
out = sys.argv[1]
rows = []
for label, name in (("one-server", "one server, its own cache"), ("two-servers-redis", "two servers, one Redis (--redis)")):
    m = json.load(open(os.path.join(out, label + ".json")))["mixed"]
    rows.append((name, m["ops_per_second"], m["p50_time_ms"], m["p99_time_ms"], m["server_hit_rate"],
                 open(os.path.join(out, label + ".load")).read().strip()))
bench = {}
for f in ("redis-getset.csv", "redis-del.csv"):
    for r in csv.DictReader(open(os.path.join(out, f))):
        bench[r["test"].split()[0].upper()] = r
share = {"GET": 0.80, "SET": 0.18, "DEL": 0.02}
ops = 1 / sum(share[t] / float(bench[t]["rps"]) for t in share)
p50 = sum(share[t] * float(bench[t]["p50_latency_ms"]) for t in share)
p99 = max(float(bench[t]["p99_latency_ms"]) for t in share)
rows.append(("Redis alone (redis-benchmark, 80/18/2 blend)", ops, p50, p99, None,
             open(os.path.join(out, "redis.load")).read().strip()))
print("| target | ops/s | p50 ms | p99 ms | server hit rate | load average after the run |")
print("|---|---:|---:|---:|---:|---|")
for name, o, a, b, h, l in rows:
    print(f"| {name} | {o:,.0f} | {a:g} | {b:g} | {'' if h is None else h} | {l} |")
print()
print("redis-benchmark by command: " + ", ".join(
    f"{t} {float(bench[t]['rps']):,.0f} ops/s p99 {bench[t]['p99_latency_ms']} ms" for t in share))
for s in ("stats-a.json", "stats-b.json"):
    r = json.load(open(os.path.join(out, s))).get("redis", {})
    print(f"{s}: l1_hits {r.get('l1_hits')}, l2_hits {r.get('l2_hits')}, misses {r.get('misses')},"
          f" invalidations_received {r.get('invalidations_received')}, errors {r.get('errors')}, breaker {r.get('breaker')}")
print(f"(raw files: {out})")
EOF
