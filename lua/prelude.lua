-- prelude.lua -- what every leeway script sees besides `case`, `amount`,
-- `outputs` and the money(), duration() and date() constructors (which are
-- written in C, so they compute exactly like the engine).
--
-- These are the expression functions of docs/playbook-format.md §3, for Lua. They run
-- once per engine, before the sandbox is frozen; scripts cannot change them.
-- Built into the library by premake (build/gen/lua_prelude.h).

-- min(a, b, ...) / max(a, b, ...): numbers, money, durations or dates
function min(a, ...)
  for i = 1, select("#", ...) do
    local b = select(i, ...)
    if b < a then a = b end
  end
  return a
end

function max(a, ...)
  for i = 1, select("#", ...) do
    local b = select(i, ...)
    if b > a then a = b end
  end
  return a
end

-- round(x [, step]), floor(x, step), ceil(x, step): money values round
-- themselves (half away from zero); numbers round half away from zero too.
-- One shape for all three: numbers are rounded here (in multiples of step,
-- default 1), money/durations/dates by their own method of the same name.
local function rounder(method, of_quotient)
  return function (x, step)
    if step ~= nil and type(step) ~= type(x) then
      error("the step must be of the same kind as the value", 2)
    end
    if type(x) == "number" then
      local s = step or 1
      return of_quotient(x / s) * s
    end
    return x[method](x, step)
  end
end

round = rounder("round", function (q)
  if q >= 0 then return math.floor(q + 0.5) end
  return -math.floor(-q + 0.5)
end)
floor = rounder("floor", math.floor)
ceil = rounder("ceil", math.ceil)

-- coalesce(a, b, ...): the first value that is not nil
function coalesce(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if v ~= nil then return v end
  end
  return nil
end

-- text: contains(s, sub), starts_with(s, prefix); lower(s) and len(s) (in
-- characters, as the engine counts them) are written in C.
function contains(s, sub)
  if type(s) == "table" then
    for _, v in ipairs(s) do
      if v == sub then return true end
    end
    return false
  end
  return string.find(s, sub, 1, true) ~= nil
end

function starts_with(s, prefix)
  return string.sub(s, 1, #prefix) == prefix
end
