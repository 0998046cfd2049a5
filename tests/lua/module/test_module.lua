-- Tests of the `leeway` Lua module (lua/leeway_module.c): every function,
-- every option and the error paths.
--
--   LUA_CPATH="build/<cfg>/lua/?.so" lua5.4 tests/lua/module/test_module.lua
--
-- (tests/lua/module/run does that, with the sanitizer set-up when needed.)
-- Fixtures: fixture.yaml (every fact and output type, one test failing on
-- purpose), bad.yaml (one error at 10:14), lint.yaml (two warnings), and the
-- telecom example. Prints one line per failure and, last,
-- "N passed, N failed"; exits 1 if anything failed.

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here:match("^(.-)/?tests/lua/module$")
if root == nil then root = here .. "/../../.." elseif root == "" then root = "." end
local function at_root(p) return root == "." and p or root .. "/" .. p end

local FIXTURE = at_root("tests/lua/module/fixture.yaml")
local BAD = at_root("tests/lua/module/bad.yaml")
local LINT = at_root("tests/lua/module/lint.yaml")
local SCRIPTED = at_root("tests/lua/module/scripted.yaml")
local TELECOM = at_root("examples/telecom/playbook.yaml")

-- ---------------------------------------------------------------------------
-- A tiny harness

local passed, failed = 0, 0

local function show(v)
    if type(v) == "string" then return string.format("%q", v) end
    if type(v) ~= "table" then return tostring(v) end
    local parts, n = {}, 0
    for k, x in pairs(v) do
        n = n + 1
        if n > 12 then parts[#parts + 1] = "..."; break end
        parts[#parts + 1] = (math.type(k) == "integer" and "" or tostring(k) .. "=") .. show(x)
    end
    return "{" .. table.concat(parts, ", ") .. "}"
end

local function fail(msg) error({ msg = msg }, 2) end

local function ok(cond, what)
    if not cond then fail(what or "expected a true value") end
end

local function eq(actual, expected, what)
    if actual ~= expected or math.type(actual) ~= math.type(expected) then
        fail(string.format("%s: expected %s, got %s", what or "value", show(expected), show(actual)))
    end
end

local function has(s, sub, what)
    if type(s) ~= "string" or not s:find(sub, 1, true) then
        fail(string.format("%s: expected text containing %s, got %s", what or "text",
                           show(sub), show(s)))
    end
end

-- The same array of strings (or scalars), in order.
local function same_list(actual, expected, what)
    what = what or "list"
    if type(actual) ~= "table" then fail(what .. ": expected a table, got " .. show(actual)) end
    eq(#actual, #expected, what .. " length")
    for i = 1, #expected do eq(actual[i], expected[i], what .. "[" .. i .. "]") end
    for k in pairs(actual) do
        ok(math.type(k) == "integer" and k >= 1 and k <= #expected,
           what .. ": unexpected key " .. show(k) .. " (arrays must be dense)")
    end
end

-- fn must raise an error whose message contains every one of the strings.
local function raises(fn, ...)
    local okk, err = pcall(fn)
    if okk then fail("expected an error, got none") end
    if type(err) == "table" then err = err.msg end
    for _, sub in ipairs({ ... }) do has(tostring(err), sub, "error message") end
    return err
end

local function test(name, fn)
    local okk, err = pcall(fn)
    if okk then
        passed = passed + 1
    else
        failed = failed + 1
        if type(err) == "table" then err = err.msg end
        print("FAIL " .. name .. ": " .. tostring(err))
    end
end

-- ---------------------------------------------------------------------------
-- Cases

local function poa82(role)
    return {
        request = { kind = "terminate", by_proxy = true },
        customer = { age = 82 },
        channel = "store",
        staff = { role = role or "frontline" },
    }
end

-- ---------------------------------------------------------------------------
-- The module

local okreq, leeway = pcall(require, "leeway")
if not okreq then
    print("FAIL require \"leeway\": " .. tostring(leeway))
    print("(package.cpath = " .. package.cpath .. ")")
    print("0 passed, 1 failed")
    os.exit(1)
end

test("module: version, version_num, null", function()
    eq(type(leeway), "table", "require result")
    eq(type(leeway.version), "string", "leeway.version")
    ok(leeway.version:match("^%d+%.%d+%.%d+"), "leeway.version looks like 0.1.0: " .. leeway.version)
    eq(math.type(leeway.version_num), "integer", "math.type(leeway.version_num)")
    local maj, min, pat = leeway.version:match("^(%d+)%.(%d+)%.(%d+)")
    eq(leeway.version_num, tonumber(maj) * 10000 + tonumber(min) * 100 + tonumber(pat),
       "version_num matches version")
    eq(type(leeway.null), "userdata", "type(leeway.null)")
    eq(type(leeway.load), "function", "leeway.load")
    eq(require("leeway"), leeway, "require twice gives the same table")
end)

-- ---------------------------------------------------------------------------
-- leeway.load

test("load: a file that does not exist gives nil and a message", function()
    local pb, msg = leeway.load("no/such/playbook.yaml")
    eq(pb, nil, "playbook")
    has(msg, "no/such/playbook.yaml", "message")
    has(msg, "error", "message")
end)

test("load: a playbook with an error gives nil and FILE:LINE:COL", function()
    local pb, msg = leeway.load(BAD)
    eq(pb, nil, "playbook")
    has(msg, BAD .. ":10:14: error: ", "message")
    has(msg, "customer.agee", "message")
    has(msg, "[rule seniors]", "message")
end)

test("load: several diagnostics are joined by newlines", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("playbook: two-errors\nversion: \"1\"\nfacts:\n  a.b: { type: number }\n",
            "policies:\n  - id: p1\n    applies: a.c > 1\n    outcome: deny\n",
            "  - id: p2\n    applies: a.d > 1\n    outcome: deny\n")
    f:close()
    local pb, msg = leeway.load(path)
    os.remove(path)
    eq(pb, nil, "playbook")
    has(msg, path .. ":7:", "first error")
    has(msg, path .. ":10:", "second error")
    has(msg, "\n", "newline between diagnostics")
    ok(not msg:find("\n$"), "no newline at the end")
end)

test("load: a directory gives nil and a message", function()
    local pb, msg = leeway.load(at_root("tests/lua/module"))
    eq(pb, nil, "playbook")
    has(msg, "directory", "message")
end)

test("load: bad arguments raise clear errors", function()
    raises(function() leeway.load() end, "bad argument #1 to 'load'", "string expected")
    raises(function() leeway.load({}) end, "bad argument #1 to 'load'")
    raises(function() leeway.load("a\0b") end, "bad argument #1 to 'load'", "NUL")
    raises(function() leeway.load(FIXTURE, 5) end, "bad argument #2 to 'load'", "table of options")
    raises(function() leeway.load(FIXTURE, { max_dpeth = 3 }) end,
           "bad argument #2 to 'load'", "unknown option 'max_dpeth'", "lua_millis")
    raises(function() leeway.load(FIXTURE, { max_depth = -1 }) end,
           "option 'max_depth' must be a non-negative integer")
    raises(function() leeway.load(FIXTURE, { max_file = 1.5 }) end,
           "option 'max_file' must be a non-negative integer")
    raises(function() leeway.load(FIXTURE, { max_file = "10" }) end,
           "option 'max_file' must be a non-negative integer")
    raises(function() leeway.load(FIXTURE, { lua_millis = -5 }) end,
           "option 'lua_millis' must be a non-negative integer")
    raises(function() leeway.load(FIXTURE, { max_depth = 1 << 40 }) end,
           "option 'max_depth' must be a non-negative integer")
    raises(function() leeway.load(FIXTURE, { [1] = 10 }) end, "option names must be strings")
end)

test("load: options reach the engine", function()
    ok(leeway.load(FIXTURE, { max_depth = 0, max_scalar = 0, max_file = 0, max_nodes = 0,
                              max_list = 0, lua_instructions = 0, lua_memory = 0,
                              lua_millis = 0 }), "zeros mean the defaults")
    local pb, msg = leeway.load(FIXTURE, { max_file = 10 })
    eq(pb, nil, "playbook over max_file")
    has(msg, "larger than the limit of 10 bytes", "message")
    pb, msg = leeway.load(FIXTURE, { max_depth = 2 })
    eq(pb, nil, "playbook over max_depth")
    has(msg, "deeper than the limit of 2", "message")
    has(msg, FIXTURE .. ":", "message position")
end)

-- ---------------------------------------------------------------------------
-- Playbook fields

test("playbook: id, version, file, digest, tostring", function()
    local pb = assert(leeway.load(TELECOM))
    eq(pb.id, "telecom-fi", "pb.id")
    eq(pb.version, "2026.11", "pb.version")
    eq(pb.file, TELECOM, "pb.file")
    ok(pb.digest:match("^sha256:%x+$"), "pb.digest is sha256:HEX, got " .. show(pb.digest))
    has(tostring(pb), "leeway.playbook telecom-fi 2026.11", "tostring(pb)")
    eq(pb.nosuchfield, nil, "an unknown field")
    eq(type(pb.decide), "function", "pb.decide")
    eq(getmetatable(pb), "leeway.playbook is locked", "the metatable is protected")
end)

-- ---------------------------------------------------------------------------
-- decide

test("decide: the 82-year-old as frontline escalates to senior", function()
    local pb = assert(leeway.load(TELECOM))
    local d = pb:decide(poa82("frontline"))
    eq(d.outcome, "escalate", "outcome")
    eq(d.playbook, "telecom-fi", "playbook")
    eq(d.version, "2026.11", "version")
    eq(d.digest, pb.digest, "digest")
    eq(#d.policies, 1, "#policies")
    local p = d.policies[1]
    eq(p.id, "proxy_termination", "policies[1].id")
    eq(p.outcome, "escalate", "policies[1].outcome")
    eq(p.exception, "poa_for_elderly_or_vulnerable", "policies[1].exception")
    eq(p.discretionary, true, "policies[1].discretionary")
    eq(p.needs_role, "senior", "policies[1].needs_role")
    same_list(p.requires, { "poa_document_checked" }, "policies[1].requires")
    eq(type(p.reason), "string", "policies[1].reason")
    eq(type(p.say), "string", "policies[1].say")
    same_list(d.promises, {}, "promises")
    same_list(d.missing, {}, "missing")
    same_list(d.problems, {}, "problems")
    same_list(d.errors, {}, "errors")
    eq(next(d.outputs), nil, "outputs is an empty table")
    eq(d.trace, nil, "trace without trace = true")
end)

test("decide: locale picks the language of reason and say", function()
    local pb = assert(leeway.load(TELECOM))
    local case = poa82("frontline")
    case.locale = "en"
    local d = pb:decide(case)
    eq(d.policies[1].say, "We can end it with the power of attorney.", "say in English")
    has(d.policies[1].reason, "75+", "reason in English")
end)

test("decide: the role option overrides staff.role", function()
    local pb = assert(leeway.load(TELECOM))
    local d = pb:decide(poa82("frontline"), { role = "senior" })
    eq(d.outcome, "allow", "outcome as senior")
    eq(d.policies[1].outcome, "allow", "policies[1].outcome")
    eq(d.policies[1].needs_role, nil, "needs_role (null -> nil)")
    eq(#d.promises, 1, "#promises")
    eq(d.promises[1].id, "termination_confirmation", "promises[1].id")
    eq(d.promises[1].due, "24h", "promises[1].due")
    eq(type(d.promises[1].text), "string", "promises[1].text")
    eq(d.goodwill.limit, "50.00", "goodwill.limit is the senior's")
    -- and the same case without the option is still frontline's
    eq(pb:decide(poa82("frontline")).outcome, "escalate", "outcome without the option")
    -- a role the playbook does not have makes the case invalid
    local d2 = pb:decide(poa82("frontline"), { role = "janitor" })
    eq(d2.outcome, "invalid", "outcome with role janitor")
    has(d2.problems[1], "'janitor' is not a role of this playbook", "problem")
end)

test("decide: trace = true adds the trace", function()
    local pb = assert(leeway.load(TELECOM))
    local d = pb:decide(poa82(), { trace = true })
    ok(type(d.trace) == "table" and #d.trace > 0, "a non-empty trace")
    local seen = {}
    for i, t in ipairs(d.trace) do
        eq(type(t.rule), "string", "trace[" .. i .. "].rule")
        ok(t.result == true or t.result == false or t.result == nil,
           "trace[" .. i .. "].result is true, false or nil")
        eq(t.file, TELECOM, "trace[" .. i .. "].file")
        eq(math.type(t.line), "integer", "trace[" .. i .. "].line")
        seen[t.rule] = t.result
    end
    eq(seen.proxy_termination, true, "proxy_termination fired")
    eq(seen.poa_for_elderly_or_vulnerable, true, "the exception fired")
    eq(seen.poa_covers_this_contract, false, "the other exception did not")
    eq(pb:decide(poa82(), { trace = false }).trace, nil, "trace = false")
end)

test("decide: bad arguments raise clear errors", function()
    local pb = assert(leeway.load(TELECOM))
    raises(function() pb:decide() end, "bad argument #1 to 'decide'", "case table expected")
    raises(function() pb:decide("customer.age=82") end, "bad argument #1 to 'decide'",
           "case table expected, got string")
    raises(function() pb:decide(poa82(), 1) end, "bad argument #2 to 'decide'",
           "table of options")
    raises(function() pb:decide(poa82(), { role = 5 }) end, "bad argument #2 to 'decide'",
           "option 'role' must be a string")
    raises(function() pb:decide(poa82(), { trace = "yes" }) end,
           "option 'trace' must be a boolean")
    raises(function() pb:decide(poa82(), { rol = "senior" }) end, "unknown option 'rol'")
    raises(function() pb:decide(poa82(), { role = "sen\0ior" }) end, "NUL")
    raises(function() pb.decide({}, poa82()) end, "leeway.playbook expected")
    raises(function() pb.decide(poa82()) end, "leeway.playbook expected")
end)

test("decide: values without a case meaning raise errors naming the path", function()
    local pb = assert(leeway.load(TELECOM))
    raises(function() pb:decide({ customer = { age = print } }) end,
           "bad argument #1 to 'decide'", "customer.age", "function cannot be a case value")
    raises(function() pb:decide({ customer = { [2] = 82 } }) end, "customer: ",
           "keys must be strings, got the number 2")
    raises(function() pb:decide({ [true] = 1 }) end, "keys must be strings, got a boolean")
    raises(function() pb:decide({ customer = { name = "a\0b" } }) end, "customer.name",
           "NUL byte")
    raises(function() pb:decide({ ["customer\0x"] = 1 }) end, "NUL byte")
    raises(function() pb:decide({ customer = { age = io.stdout } }) end,
           "userdata cannot be a case value")
    raises(function() pb:decide({ customer = { age = coroutine.create(print) } }) end,
           "thread cannot be a case value")
    local cyc = {}
    cyc.loop = cyc
    raises(function() pb:decide({ customer = cyc }) end, "nested more than 32 tables")
    raises(function() pb:decide({ channel = { "store", kind = "x" } }) end, "channel",
           "both list items and named keys")
    raises(function() pb:decide({ channel = { [1] = "a", [3] = "c" } }) end, "holes")
    raises(function() pb:decide({ channel = { [1] = "a", [0] = "z" } }) end, "holes")
    raises(function() pb:decide({ channel = { [1] = "a", [1.5] = "z" } }) end, "named keys")
    -- the object still works after an error in the middle of a case
    eq(pb:decide(poa82()).outcome, "escalate", "decide after errors")
end)

test("decide: invalid values give outcome invalid with problems", function()
    local pb = assert(leeway.load(TELECOM))
    local function problems(case)
        local d = pb:decide(case)
        eq(d.outcome, "invalid", "outcome of " .. show(case))
        ok(#d.problems > 0, "problems listed")
        return table.concat(d.problems, "\n")
    end
    has(problems({ customer = { age = "old" } }), "customer.age: expected a number")
    has(problems({ customer = { age = 131 } }), "customer.age: 131 is above the maximum 130")
    has(problems({ customer = { age = 0 / 0 } }), "customer.age")
    has(problems({ customer = { age = math.huge } }), "customer.age")
    has(problems({ customer = { vulnerable = "yes" } }), "customer.vulnerable: expected true or false")
    has(problems({ request = { kind = "bogus" } }), "request.kind: \"bogus\" is not one of")
    has(problems({ channel = 5 }), "channel")
    has(problems({ customer = { agee = 82 } }), "customer.agee: not a fact of this playbook")
    has(problems({ customer = { name = "\xff\xfe" } }), "customer.name: the text is not valid UTF-8")
    has(problems({ customer = { name = string.rep("x", 81) } }), "longer than 80")
    has(problems({ customer = { goodwill_12m = "10 USD" } }), "expected money in EUR, got USD")
    has(problems({ customer = { goodwill_12m = "lots" } }), "customer.goodwill_12m")
    has(problems({ customer = { age = {} } }), "customer.age")
    has(problems({ customer = { age = { years = 82 } } }), "customer.age")
    has(problems({ customer = { age = { 82 } } }), "customer.age: expected")
    has(problems({ staff = { role = "janitor" } }), "not a role of this playbook")
    has(problems({ date = "2026-02-30" }), "date")
    has(problems({ customer = 82 }), "customer")
    has(problems({ customer = { 82 } }), "customer: expected a mapping of its facts")
end)

test("decide: problems come in a stable (sorted) order", function()
    local pb = assert(leeway.load(TELECOM))
    local case = { zeta = 1, request = { kind = "bogus" }, customer = { age = "x", vulnerable = "y" },
                   channel = { "a" } }
    local d = pb:decide(case)
    eq(#d.problems, 5, "#problems")
    has(d.problems[1], "channel:", "problems[1]")
    has(d.problems[2], "customer.age:", "problems[2]")
    has(d.problems[3], "customer.vulnerable:", "problems[3]")
    has(d.problems[4], "request.kind:", "problems[4]")
    has(d.problems[5], "zeta:", "problems[5]")
end)

test("decide: a missing fact is listed in missing", function()
    local pb = assert(leeway.load(TELECOM))
    local case = poa82()
    case.customer = nil
    local d = pb:decide(case)
    eq(d.outcome, "deny", "outcome")
    same_list(d.missing, { "customer.age" }, "missing")
    -- and each decide starts from an empty case
    eq(pb:decide(poa82()).missing[1], nil, "missing after giving the age")
end)

test("decide: flat dotted keys and nested tables are the same case", function()
    local pb = assert(leeway.load(TELECOM))
    local d = pb:decide({ ["request.kind"] = "terminate", ["request.by_proxy"] = true,
                          ["customer.age"] = 82, channel = "store",
                          staff = { role = "frontline" } })
    eq(d.outcome, "escalate", "outcome")
    eq(d.policies[1].needs_role, "senior", "needs_role")
    eq(d.policies[1].escalate_to, "senior", "escalate_to: the role the escalation goes to")
end)

test("decide: text for number and bool facts is read as in a case file", function()
    local pb = assert(leeway.load(TELECOM))
    local case = poa82()
    case.customer.age = "82"
    case.request.by_proxy = "true"
    eq(pb:decide(case).outcome, "escalate", "outcome with \"82\" and \"true\"")
    case.customer.age = ""
    local d = pb:decide(case)
    same_list(d.missing, { "customer.age" }, "\"\" for a number is no value")
end)

test("decide: leeway.null is no value", function()
    local pb = assert(leeway.load(TELECOM))
    local case = poa82()
    case.customer.age = leeway.null
    local d = pb:decide(case)
    same_list(d.problems, {}, "problems")
    same_list(d.missing, { "customer.age" }, "missing")
    eq(d.outcome, "deny", "outcome")
end)

test("decide: goodwill money is a decimal string beside the currency", function()
    local pb = assert(leeway.load(TELECOM))
    local base = { request = { kind = "refund" }, channel = "phone", staff = { role = "frontline" } }
    base.incident = { outage_hours = 50 }
    base.customer = { goodwill_12m = "90 EUR" }
    local g = pb:decide(base).goodwill
    eq(g.amount, "10.00", "goodwill.amount")
    eq(g.currency, "EUR", "goodwill.currency")
    eq(g.within_authority, true, "goodwill.within_authority")
    eq(g.needs_role, nil, "goodwill.needs_role")
    eq(g.limit, "20.00", "goodwill.limit")
    eq(g.over_top, false, "goodwill.over_top")
    eq(#g.steps, 1, "#steps")
    eq(g.steps[1].id, "outage_credit", "steps[1].id")
    eq(g.steps[1].amount, "30.00", "steps[1].amount")
    eq(g.steps[1].row, 1, "steps[1].row")
    eq(#g.capped_by, 1, "#capped_by")
    eq(g.capped_by[1].id, "per_customer_12m", "capped_by[1].id")
    eq(g.capped_by[1].by, "20.00", "capped_by[1].by")
    -- money as a number: major units of the playbook's currency
    base.customer.goodwill_12m = 0
    g = pb:decide(base).goodwill
    eq(g.amount, "30.00", "amount with goodwill_12m = 0")
    eq(g.within_authority, false, "within_authority")
    eq(g.needs_role, "senior", "needs_role")
    same_list(g.capped_by, {}, "capped_by")
    -- no acting role: no limit (null in the JSON)
    base.staff = nil
    eq(pb:decide(base).goodwill.limit, nil, "limit without a role")
end)

test("decide: outputs carry money, durations, dates, lists, numbers, booleans", function()
    local pb = assert(leeway.load(FIXTURE))
    local d = pb:decide({
        request = { kind = "refund" },
        order = { value = "200 EUR" },
        incident = { delay = "3h" },
        customer = { tags = { "gold", "café" }, age = 80, name = "Äiti", vip = true },
        date = "2026-11-23",
        staff = { role = "frontline" },
    })
    same_list(d.problems, {}, "problems")
    local o = d.outputs
    eq(o.refund, "200.00 EUR", "outputs.refund (money)")
    eq(o.wait, "3h", "outputs.wait (duration)")
    eq(o.on_date, "2026-11-23", "outputs.on_date (date)")
    same_list(o.tags, { "gold", "café" }, "outputs.tags (list)")
    eq(o.twice_age, 160, "outputs.twice_age (number, an integer)")
    eq(o.is_vip, true, "outputs.is_vip (bool)")
    eq(o.greeting, "Äiti", "outputs.greeting (string)")
    eq(o.nothing, nil, "outputs.nothing (null -> nil)")
    -- goodwill: half of 200 EUR, capped at 60 by a step
    eq(d.goodwill.amount, "60.00", "goodwill.amount")
    eq(d.goodwill.steps[1].amount, "100.00", "steps[1].amount")
    eq(d.goodwill.steps[1].row, nil, "steps[1].row (no table)")
    eq(d.goodwill.steps[2].id, "cap", "steps[2].id")
    eq(d.goodwill.steps[2].amount, "60.00", "steps[2].amount")
    eq(d.goodwill.needs_role, "senior", "goodwill.needs_role")
    eq(d.promises[1].id, "call_back", "promises[1].id")
    -- money from a Lua number, a duration from seconds
    d = pb:decide({ request = { kind = "refund" }, order = { value = 19.95 }, incident = { delay = 5400 } })
    eq(d.outputs.refund, "19.95 EUR", "money from 19.95")
    eq(d.outputs.wait, "1h30min", "duration from 5400 seconds")
    eq(d.outputs.twice_age, nil, "no age, no twice_age")
    eq(pb:decide({ customer = { age = 20.25 } }).outputs.twice_age, 40.5,
       "a fractional number stays a float")
end)

test("decide: list facts", function()
    local pb = assert(leeway.load(FIXTURE))
    local d = pb:decide({ customer = { tags = {} } })
    same_list(d.problems, {}, "problems for {}")
    same_list(d.outputs.tags, {}, "an empty list")
    d = pb:decide({ customer = { tags = { "a", 2 } } })
    eq(d.outcome, "invalid", "a number in a list")
    has(d.problems[1], "customer.tags: item 2 of the list is not text")
    d = pb:decide({ customer = { tags = "a" } })
    eq(d.outcome, "invalid", "text for a list")
    has(d.problems[1], "customer.tags: expected a list")
    d = pb:decide({ customer = { tags = { x = "a" } } })
    eq(d.outcome, "invalid", "a mapping for a list")
    d = pb:decide({ customer = { tags = { 'quote " and \\ and \n' } } })
    same_list(d.outputs.tags, { 'quote " and \\ and \n' }, "text with JSON escapes")
    raises(function() pb:decide({ customer = { tags = { "a\0" } } }) end, "customer.tags[1]",
           "NUL byte")
end)

test("decide: strings for text facts are kept exactly", function()
    local pb = assert(leeway.load(FIXTURE))
    eq(pb:decide({ customer = { name = "null" } }).outputs.greeting, "null", "\"null\"")
    eq(pb:decide({ customer = { name = "" } }).outputs.greeting, "", "\"\"")
    eq(pb:decide({ customer = { name = "42" } }).outputs.greeting, "42", "\"42\"")
end)

test("decide: each decision is a fresh table", function()
    local pb = assert(leeway.load(TELECOM))
    local d1 = pb:decide(poa82("frontline"))
    local d2 = pb:decide(poa82("senior"))
    eq(d1.outcome, "escalate", "the first decision is unchanged")
    eq(d2.outcome, "allow", "the second decision")
    ok(d1.policies ~= d2.policies, "no shared tables")
end)

test("decide: Lua steps and outputs; a script over its budget is an error entry", function()
    local pb = assert(leeway.load(SCRIPTED, { lua_instructions = 100000, lua_millis = 5000 }))
    local d = pb:decide({ order = { value = "10 EUR" } })
    same_list(d.errors, {}, "errors")
    eq(d.goodwill.amount, "5.00", "goodwill from the Lua step")
    eq(d.goodwill.steps[1].id, "bonus", "steps[1].id")
    eq(d.outputs.doubled, "20.00 EUR", "output from Lua")
    d = pb:decide({ order = { value = "10 EUR" }, loop = true })
    eq(#d.errors, 1, "#errors")
    local e = d.errors[1]
    eq(e.rule, "spin", "errors[1].rule")
    eq(e.file, SCRIPTED, "errors[1].file")
    ok(math.type(e.line) == "integer" and e.line >= 14 and e.line <= 17,
       "errors[1].line points at the step, got " .. show(e.line))
    eq(math.type(e.column), "integer", "errors[1].column")
    has(e.message, "budget", "errors[1].message")
    -- the engine (and its Lua) is fine afterwards
    eq(pb:decide({ order = { value = "1 EUR" } }).outputs.doubled, "2.00 EUR", "after the error")
end)

-- ---------------------------------------------------------------------------
-- check, test, facts, roles

test("check: lint warnings as formatted diagnostics", function()
    local pb = assert(leeway.load(LINT))
    local w = pb:check()
    eq(#w, 2, "#warnings")
    has(w[1], LINT .. ":9:5: warning: the policy 'never' never applies", "warning 1")
    has(w[2], LINT .. ":16:9: warning: ", "warning 2")
    has(w[2], "[rule very_old]", "warning 2")
    w[1] = "changed"
    eq(#pb:check(), 2, "a fresh copy each call")
    has(pb:check()[1], "never applies", "the copy is untouched")
    same_list(assert(leeway.load(FIXTURE)):check(), {}, "no warnings")
end)

test("test: passed, failed and the failure messages", function()
    local pb = assert(leeway.load(FIXTURE))
    local p, f, failures = pb:test()
    eq(p, 2, "passed")
    eq(f, 1, "failed")
    eq(#failures, 1, "#failures")
    has(failures[1], FIXTURE .. ":", "failure names the file")
    has(failures[1], "this test fails on purpose", "failure names the test")
    has(failures[1], "expected allow, got deny", "failure says why")
    -- the telecom example's tests all pass
    p, f, failures = assert(leeway.load(TELECOM)):test()
    ok(p > 0, "telecom tests passed: " .. tostring(p))
    eq(f, 0, "telecom tests failed")
    same_list(failures, {}, "telecom failures")
    -- a playbook without tests
    p, f, failures = assert(leeway.load(LINT)):test()
    eq(p, 0, "passed without tests")
    eq(f, 0, "failed without tests")
    same_list(failures, {}, "failures without tests")
    -- decide still works after test on the same engine
    eq(pb:decide({ request = { kind = "terminate" }, customer = { age = 80 },
                   staff = { role = "senior" } }).outcome, "allow", "decide after test")
end)

test("test: nil and a message when the file is gone", function()
    local path = os.tmpname()
    local src = assert(io.open(FIXTURE)):read("a")
    local f = assert(io.open(path, "w"))
    f:write(src)
    f:close()
    local pb = assert(leeway.load(path))
    os.remove(path)
    local p, msg = pb:test()
    eq(p, nil, "passed")
    has(msg, path, "message")
    -- the loaded playbook itself is still usable
    eq(pb:decide({ request = { kind = "refund" } }).promises[1].id, "call_back", "decide")
end)

test("facts: path, type, enum values, doc", function()
    local pb = assert(leeway.load(FIXTURE))
    local facts = pb:facts()
    eq(#facts, 11, "#facts")
    eq(facts[1].path, "request.kind", "facts[1].path")
    eq(facts[1].type, "enum", "facts[1].type")
    same_list(facts[1].values, { "refund", "terminate" }, "facts[1].values")
    local types = {}
    for _, f in ipairs(facts) do types[f.path] = f.type end
    eq(types["customer.age"], "number", "customer.age")
    eq(types["customer.name"], "string", "customer.name")
    eq(types["customer.vip"], "bool", "customer.vip")
    eq(types["customer.tags"], "list", "customer.tags")
    eq(types["order.value"], "money", "order.value")
    eq(types["incident.delay"], "duration", "incident.delay")
    eq(types["date"], "date", "date")
    eq(types["staff.role"], "role", "staff.role")
    eq(facts[2].values, nil, "no values for a number")
    local tf = assert(leeway.load(TELECOM)):facts()
    for _, f in ipairs(tf) do
        if f.path == "request.poa_scope" then
            eq(f.doc, "what the power of attorney covers", "doc")
        end
    end
end)

test("roles: least authority first", function()
    same_list(assert(leeway.load(TELECOM)):roles(), { "frontline", "senior", "team_lead", "manager" },
              "telecom roles")
    same_list(assert(leeway.load(LINT)):roles(), {}, "no roles")
end)

-- ---------------------------------------------------------------------------
-- Lifetime: close, <close>, __gc

test("close: a closed playbook refuses every use", function()
    local pb = assert(leeway.load(TELECOM))
    pb:close()
    raises(function() pb:decide(poa82()) end, "closed")
    raises(function() pb:test() end, "closed")
    raises(function() pb:check() end, "closed")
    raises(function() pb:facts() end, "closed")
    raises(function() return pb.id end, "closed")
    eq(tostring(pb), "leeway.playbook (closed)", "tostring")
    pb:close() -- twice is fine
end)

test("close: a <close> variable frees the playbook at the end of its block", function()
    local outside
    do
        local pb <close> = assert(leeway.load(TELECOM))
        outside = pb
        eq(pb:decide(poa82()).outcome, "escalate", "inside the block")
    end
    raises(function() outside:decide(poa82()) end, "closed")
end)

test("__gc: unreachable playbooks are collected", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
        local pb = assert(leeway.load(TELECOM))
        pb:decide(poa82())
        weak[1] = pb
        weak[2] = assert(leeway.load(FIXTURE))
        local failed_pb = leeway.load(BAD) -- nil: its object was freed already
        eq(failed_pb, nil, "bad playbook")
    end
    collectgarbage()
    collectgarbage()
    eq(weak[1], nil, "the telecom playbook was collected")
    eq(weak[2], nil, "the fixture playbook was collected")
end)

test("__gc: loading and deciding in a loop does not grow memory", function()
    local statm = io.open("/proc/self/statm")
    if not statm then return end -- not Linux: nothing to measure with
    statm:close()
    -- AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
    if (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) then return end
    local function rss_kib()
        local f = assert(io.open("/proc/self/statm"))
        local _, res = f:read("n", "n")
        f:close()
        return res * 4
    end
    local function round()
        for _ = 1, 50 do
            local pb = assert(leeway.load(TELECOM))
            pb:decide(poa82(), { trace = true })
            pb:check()
            pb:facts()
            assert(leeway.load(FIXTURE)):decide({ customer = { tags = { "a" } } })
            leeway.load(BAD)
            pcall(pb.decide, pb, { customer = { age = print } })
        end
        collectgarbage()
        collectgarbage()
    end
    round()
    local before = rss_kib()
    for _ = 1, 4 do round() end
    local grown = rss_kib() - before
    ok(grown < 8 * 1024, "200 playbooks later the process grew by " .. grown .. " KiB")
end)

-- ---------------------------------------------------------------------------

print(string.format("%d passed, %d failed", passed, failed))
-- close the state, so every object is collected (valgrind then sees no leak)
os.exit(failed == 0 and 0 or 1, true)
