-- prelude.lua -- what every leeway script sees besides `case`, `amount`,
-- `outputs` and the money(), duration() and date() constructors (which are
-- written in C, so they compute exactly like the engine).
--
-- These are the expression functions of PLAYBOOK.md §3, for Lua. They run
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
local function step_of(x, step)
  if step == nil then return nil end
  if type(step) ~= type(x) then
    error("the step must be of the same kind as the value", 3)
  end
  return step
end

function round(x, step)
  step = step_of(x, step)
  if type(x) == "number" then
    local s = step or 1
    local q = x / s
    if q >= 0 then return math.floor(q + 0.5) * s end
    return -math.floor(-q + 0.5) * s
  end
  return x:round(step)
end

function floor(x, step)
  step = step_of(x, step)
  if type(x) == "number" then
    local s = step or 1
    return math.floor(x / s) * s
  end
  return x:floor(step)
end

function ceil(x, step)
  step = step_of(x, step)
  if type(x) == "number" then
    local s = step or 1
    return math.ceil(x / s) * s
  end
  return x:ceil(step)
end

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
