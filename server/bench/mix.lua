-- 80 % GET / 20 % PUT of 100-byte values on random keys among the preloaded ones. As in get.lua,
-- every request is formatted once per thread in init(); a request then costs a table lookup.
local keys = tonumber(os.getenv("BENCH_KEYS") or "100000")
local value = string.rep("v", tonumber(os.getenv("BENCH_VALUE_BYTES") or "100"))
local gets, puts = {}, {}
init = function(args)
  for i = 0, keys - 1 do
    local path = string.format("/cache/key:%012d", i)
    gets[i + 1] = wrk.format("GET", path)
    puts[i + 1] = wrk.format("PUT", path, nil, value)
  end
end
request = function()
  local i = math.random(1, keys)
  if math.random(1, 5) == 1 then
    return puts[i]
  end
  return gets[i]
end
