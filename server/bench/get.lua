-- GET of a random key among the preloaded ones (key:000000000000 .. key:000000099999, as
-- redis-benchmark -r names them). The requests are formatted once per thread in init(), so that
-- each request costs the client a table lookup, as redis-benchmark's -r costs it a few digits
-- written into a prepared buffer: the client's CPU is not taken from the server's on 2 cores.
local keys = tonumber(os.getenv("BENCH_KEYS") or "100000")
local gets = {}
init = function(args)
  for i = 0, keys - 1 do
    gets[i + 1] = wrk.format("GET", string.format("/cache/key:%012d", i))
  end
end
request = function()
  return gets[math.random(1, keys)]
end
