-- wrk script for tests/bench/serve: POST the case in $CASE to the URL given.
local f = assert(io.open(os.getenv("CASE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
