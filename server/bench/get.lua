-- GET of a random key among the preloaded ones (key:000000000000 .. key:000000099999, as redis-benchmark -r names them)
local keys = tonumber(os.getenv("BENCH_KEYS") or "100000")
request = function()
  return wrk.format("GET", string.format("/cache/key:%012d", math.random(0, keys - 1)))
end
