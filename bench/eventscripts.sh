# The wrk scripts of the learning-event benchmarks (sourced by bench/events.sh and bench/compare.sh).
#   event_script FILE IDS TOKEN: POST /keys/{id}/events over the ids in the file IDS, nine successes (in-flight 1–30)
#     to one 429 with Anthropic headers (remaining 3, retry-after 2: a concurrency 429 that lowers the limit);
#   batch_script FILE IDS TOKEN SPREAD: POST /events, 8 different bodies of 500 events of the same mix on SPREAD keys
#     each (500: every event on a key of its own; 50: ten events per key, one after another), in turns through the ids.
event_script() {
  cat >"$1" <<LUA
local ids = {}
for line in io.lines("$2") do ids[#ids + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $3"
wrk.headers["Content-Type"] = "application/json"
local function event(i)
  if i % 10 == 9 then
    return '{"outcome":"rate_limited","current_concurrent":' .. (5 + i % 20) ..
           ',"headers":{"anthropic-ratelimit-requests-remaining":"3","retry-after":"2"}}'
  end
  return '{"outcome":"success","current_concurrent":' .. (1 + i % 30) .. '}'
end
request = function()
  n = n + 1
  return wrk.format(nil, "/api/admin/adaptive/keys/" .. ids[(n % #ids) + 1] .. "/events", nil, event(n))
end
LUA
}

batch_script() {
  cat >"$1" <<LUA
local ids = {}
for line in io.lines("$2") do ids[#ids + 1] = line end
local bodies, n = {}, 0
for b = 0, 7 do
  local parts = {}
  for j = 0, 499 do
    local i = b * 500 + j
    local key = '"key_id":"' .. ids[(b * $4 + j % $4) % #ids + 1] .. '",'
    if i % 10 == 9 then
      parts[#parts + 1] = '{' .. key .. '"outcome":"rate_limited","current_concurrent":' .. (5 + i % 20) ..
                          ',"headers":{"anthropic-ratelimit-requests-remaining":"3","retry-after":"2"}}'
    else
      parts[#parts + 1] = '{' .. key .. '"outcome":"success","current_concurrent":' .. (1 + i % 30) .. '}'
    end
  end
  bodies[#bodies + 1] = '{"events":[' .. table.concat(parts, ",") .. ']}'
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $3"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, "/api/admin/adaptive/events", nil, bodies[(n % #bodies) + 1])
end
LUA
}
