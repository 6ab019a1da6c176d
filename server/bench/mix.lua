-- 80 % GET / 20 % PUT of 100-byte values on random keys among the preloaded ones
local keys = tonumber(os.getenv("BENCH_KEYS") or "100000")
local value = string.rep("v", tonumber(os.getenv("BENCH_VALUE_BYTES") or "100"))
request = function()
  local path = string.format("/cache/key:%012d", math.random(0, keys - 1))
  if math.random(1, 5) == 1 then
    return wrk.format("PUT", path, nil, value)
  end
  return wrk.format("GET", path)
end
