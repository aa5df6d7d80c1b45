-- wrk script for POST /customer-event/communication-events with the getting-started
-- guide's body. The bearer token comes from the environment (BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  error("BENCH_TOKEN is not set")
end

wrk.method = "POST"
wrk.body = '{"customer-number":"1400269","workitem-id":"WI0000492929","description":"some description",' ..
           '"from":"Joe","to":"Tom","title":"SomeTitle","medium":"Mail","purpose":"TestPorpose",' ..
           '"return-address":"SomeAddress"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

-- The shared done() that prints the @@BENCH line, loaded from beside this file.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
