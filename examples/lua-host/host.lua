-- host.lua -- a Lua program that uses leeway through its Lua module.
--
--     lua5.4 examples/lua-host/host.lua [PLAYBOOK]
--
-- (default: examples/telecom/playbook.yaml). Build first:
--     premake4 --file=premake5.lua gmake && make -C build config=release
-- The module is build/<config>/lua/leeway.so; this script looks there (release,
-- then debug), then where LUA_CPATH or lua5.4's default path says: after
-- `make -C build install` the installed module is found with no LUA_CPATH.
--
-- The situation (the telecom example): an 82-year-old customer's son asks in
-- store, with a power of attorney, to end her contract. Frontline staff may not
-- accept a power of attorney; a senior may. The script decides the case as
-- frontline, then as the role the decision says is needed, and runs the tests
-- written in the playbook. Exit status: 0 done, 1 the playbook could not be
-- loaded or its tests failed.

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here .. "/../.."
package.cpath = root .. "/build/release/lua/?.so;" .. root .. "/build/debug/lua/?.so;"
    .. package.cpath

local leeway = require "leeway"

local path = arg[1] or (root .. "/examples/telecom/playbook.yaml")

-- load returns nil and every error as "FILE:LINE:COL: error: ..." lines
local pb, err = leeway.load(path)
if not pb then
    io.stderr:write(err, "\n")
    os.exit(1)
end
print(string.format("leeway %s, playbook %s %s", leeway.version, pb.id, pb.version))
for _, warning in ipairs(pb:check()) do
    io.stderr:write(warning, "\n")
end

-- A case is a nested table of facts; paths and types are the playbook's
-- `facts:` (pb:facts() lists them). Money may be given as "19.95 EUR".
local case = {
    request = { kind = "terminate", by_proxy = true },
    customer = { age = 82 },
    channel = "store",
    staff = { role = "frontline" },
    locale = "en",
}

local function show(d, as)
    print(string.format("as %-10s outcome: %s", as, d.outcome))
    for _, p in ipairs(d.policies) do
        print(string.format("  policy %s: %s%s", p.id, p.outcome,
                            p.exception and (" (exception " .. p.exception .. ")") or ""))
        if p.needs_role then print("    needs role: " .. p.needs_role) end
        if #p.requires > 0 then print("    requires:   " .. table.concat(p.requires, ", ")) end
        if p.say then print("    say:        " .. p.say) end
    end
    for _, pr in ipairs(d.promises) do
        print(string.format("  promise %s (due %s): %s", pr.id, pr.due or "-", pr.text))
    end
    -- goodwill amounts are decimal strings, the currency beside them
    print(string.format("  goodwill: %s %s%s", d.goodwill.amount, d.goodwill.currency,
                        d.goodwill.within_authority and "" or
                            (" (needs " .. tostring(d.goodwill.needs_role) .. ")")))
    if #d.missing > 0 then print("  still to ask: " .. table.concat(d.missing, ", ")) end
    for _, problem in ipairs(d.problems) do print("  problem: " .. problem) end
end

local d = pb:decide(case)
show(d, "frontline")

-- the role the decision asked for (a senior, here); the case stays the same
local needed = d.policies[1] and d.policies[1].needs_role or "senior"
show(pb:decide(case, { role = needed }), needed)

-- the playbook's own tests
local passed, failed, failures = pb:test()
if not passed then
    io.stderr:write(failed, "\n") -- the playbook file could not be read again
    os.exit(1)
end
for _, f in ipairs(failures) do print("FAIL " .. f) end
print(string.format("tests: %d passed, %d failed", passed, failed))

pb:close() -- or leave it to the garbage collector
os.exit(failed == 0 and 0 or 1)
