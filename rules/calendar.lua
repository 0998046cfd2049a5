-- calendar.lua -- business days and business hours in Finland, for leeway
-- playbooks (docs/playbook-format.md §8). Load it with
--
--     functions: [ ../../rules/calendar.lua ]
--
-- and call its functions from any expression or script:
--
--     is_public_holiday(d)          true on a Finnish public holiday (and on
--                                   Midsummer Eve and Christmas Eve)
--     holiday_name(d)               the holiday's name ("Good Friday"), or no value
--     is_business_day(d)            Monday to Friday, and not one of the above
--     is_business_hours(t)          a business day, 8:00 <= time < 16:00
--     add_business_days(d, n)       the n-th business day after d (a day)
--     business_days_between(a, b)   business days after a, up to and including b
--
-- Time zone. leeway holds a date with a time as an instant: it reads
-- "2026-11-23T15:30:00+02:00" as 13:30 UTC, and a time written without an
-- offset as UTC. These functions look at the instant on the clock in Finland
-- (Europe/Helsinki: UTC+2, and UTC+3 from the last Sunday of March to the last
-- Sunday of October, switching at 01:00 UTC). A day without a time of day
-- ("2026-11-23") is that day: 00:00 UTC is 02:00 or 03:00 in Helsinki, the
-- same day.
--
-- The holidays (Finnish names in brackets):
--   fixed   1 Jan New Year's Day (uudenvuodenpäivä), 6 Jan Epiphany
--           (loppiainen), 1 May May Day (vappu), 6 Dec Independence Day
--           (itsenäisyyspäivä), 24 Dec Christmas Eve (jouluaatto), 25 Dec
--           Christmas Day (joulupäivä), 26 Dec Boxing Day (tapaninpäivä)
--   Easter  Good Friday (pitkäperjantai, Easter - 2), Easter Sunday
--           (pääsiäispäivä), Easter Monday (2. pääsiäispäivä, Easter + 1),
--           Ascension Day (helatorstai, Easter + 39), Whitsun (helluntaipäivä,
--           Easter + 49)
--   moving  Midsummer Eve (juhannusaatto, the Friday from 19 to 25 June),
--           Midsummer Day (juhannuspäivä, the Saturday from 20 to 26 June),
--           All Saints' Day (pyhäinpäivä, the Saturday from 31 Oct to 6 Nov)
-- Midsummer Eve and Christmas Eve are not public holidays by law, but shops,
-- offices and banks are closed: here they count as holidays, so they are not
-- business days. Easter Sunday, Whitsun, Midsummer Day and All Saints' Day
-- always fall on a weekend; they are listed so that holiday_name() knows them.
--
-- Every function is pure: its result depends on its arguments only (never on
-- today's date), so a decision replayed years later gives the same answer.
-- The arguments are dates: facts of type date or date literals (2026-11-23);
-- text like "2026-11-23" is accepted too. A missing fact is never passed in:
-- leeway makes the call unknown and asks for the fact instead.

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

local DAY = duration("1d")

-- A date value from d, or an error that names the function and the argument.
local function as_date(d, fn, arg)
  if type(d) == "string" then
    local ok, v = pcall(date, d)
    if ok then return v end
  elseif type(d) == "userdata" then
    local ok = pcall(function () return d.weekday end)
    if ok then return d end
  end
  error(string.format("%s(): %s must be a date, not %s", fn, arg,
                      d == nil and "nothing" or tostring(d)))
end

-- The last Sunday of a month (31 days: March and October), as a day of the month.
local function last_sunday(year, month)
  local weekday = date(year, month, 31).weekday  -- 1 = Monday ... 7 = Sunday
  return 31 - weekday % 7
end

-- The instant t on the clock in Finland: the result's year, month, day, hour,
-- minute and weekday are Helsinki's.
local function helsinki(t)
  local y = t.year
  local summer = t >= date(y, 3, last_sunday(y, 3), 1, 0)
             and t < date(y, 10, last_sunday(y, 10), 1, 0)
  return t + duration(summer and "3h" or "2h")
end

-- The day of t in Finland, as a date without a time of day.
local function day_of(t)
  local h = helsinki(t)
  return date(h.year, h.month, h.day)
end

-- Easter Sunday of a year (Gregorian calendar), by the anonymous Gregorian
-- algorithm (Meeus/Jones/Butcher): month, day.
local function easter(year)
  local a = year % 19
  local b, c = year // 100, year % 100
  local d, e = b // 4, b % 4
  local f = (b + 8) // 25
  local g = (b - f + 1) // 3
  local h = (19 * a + b - d - g + 15) % 30
  local i, k = c // 4, c % 4
  local l = (32 + 2 * e + 2 * i - h - k) % 7
  local m = (a + 11 * h + 22 * l) // 451
  local month = (h + l - 7 * m + 114) // 31
  local day = (h + l - 7 * m + 114) % 31 + 1
  return month, day
end

-- Days from a to b (both days without a time), as a whole number.
local function days(a, b)
  return (b - a).seconds // 86400
end

local FIXED = {
  ["1-1"] = "New Year's Day",
  ["1-6"] = "Epiphany",
  ["5-1"] = "May Day",
  ["12-6"] = "Independence Day",
  ["12-24"] = "Christmas Eve",
  ["12-25"] = "Christmas Day",
  ["12-26"] = "Boxing Day",
}

local FROM_EASTER = {
  [-2] = "Good Friday",
  [0] = "Easter Sunday",
  [1] = "Easter Monday",
  [39] = "Ascension Day",
  [49] = "Whitsun",
}

-- The holiday on day (a date without a time, in Finland), or nil.
local function holiday(day)
  local y, m, d, wd = day.year, day.month, day.day, day.weekday
  local name = FIXED[m .. "-" .. d]
  if name then return name end
  local em, ed = easter(y)
  name = FROM_EASTER[days(date(y, em, ed), day)]
  if name then return name end
  if m == 6 and wd == 5 and d >= 19 and d <= 25 then return "Midsummer Eve" end
  if m == 6 and wd == 6 and d >= 20 and d <= 26 then return "Midsummer Day" end
  if wd == 6 and ((m == 10 and d == 31) or (m == 11 and d <= 6)) then
    return "All Saints' Day"
  end
  return nil
end

local function business_day(day)
  return day.weekday <= 5 and holiday(day) == nil
end

-- Loops below walk day by day; this keeps a typo (n = 200000) from running
-- into the script budget with a less helpful message.
local MAX_DAYS = 36600 -- about 100 years

-- ---------------------------------------------------------------------------
-- The library
-- ---------------------------------------------------------------------------

return {
  -- is_public_holiday(d): true when d falls on a holiday in Finland (see the
  -- list above, Midsummer Eve and Christmas Eve included).
  is_public_holiday = function (d)
    return holiday(day_of(as_date(d, "is_public_holiday", "d"))) ~= nil
  end,

  -- holiday_name(d): the English name of the holiday on d ("Good Friday",
  -- "Midsummer Eve"), or no value (nil) on an ordinary day.
  holiday_name = function (d)
    return holiday(day_of(as_date(d, "holiday_name", "d")))
  end,

  -- is_business_day(d): Monday to Friday, and not a holiday or holiday eve.
  is_business_day = function (d)
    return business_day(day_of(as_date(d, "is_business_day", "d")))
  end,

  -- is_business_hours(t): t is on a business day, from 8:00 up to but not
  -- including 16:00, Finnish time: 7:59 and 16:00 are outside, 8:00 and 15:59
  -- inside. A day without a time of day is its first moments (2:00 or 3:00 in
  -- Finland), so it is outside business hours.
  is_business_hours = function (t)
    local h = helsinki(as_date(t, "is_business_hours", "t"))
    return business_day(date(h.year, h.month, h.day)) and h.hour >= 8 and h.hour < 16
  end,

  -- add_business_days(d, n): the n-th business day after the day of d, as a
  -- day (no time of day). Whatever d is (a Saturday, a holiday, 23:00 on a
  -- Friday), the days after it are counted: from Friday or Saturday, 1
  -- business day is the next Monday that is not a holiday. n = 0 gives the
  -- day of d itself; a negative n counts back (-1: the last business day
  -- before d). n must be a whole number.
  add_business_days = function (d, n)
    local day = day_of(as_date(d, "add_business_days", "d"))
    if type(n) ~= "number" or n ~= math.floor(n) then
      error("add_business_days(): n must be a whole number of days, not " .. tostring(n))
    end
    if n > MAX_DAYS or n < -MAX_DAYS then
      error(string.format("add_business_days(): %s business days is too far (at most %d)",
                          tostring(n), MAX_DAYS))
    end
    local step = n < 0 and -DAY or DAY
    local left = n < 0 and -n or n
    while left > 0 do
      day = day + step
      if business_day(day) then left = left - 1 end
    end
    return day
  end,

  -- business_days_between(a, b): how many business days come after the day
  -- of a, up to and including the day of b. So
  -- business_days_between(d, add_business_days(d, n)) is n for n >= 0, and
  -- Friday to the next Monday is 1. When b is before a, the count is
  -- negative: -business_days_between(b, a). The same day gives 0.
  business_days_between = function (a, b)
    local from = day_of(as_date(a, "business_days_between", "a"))
    local to = day_of(as_date(b, "business_days_between", "b"))
    local sign = 1
    if to < from then
      from, to, sign = to, from, -1
    end
    if days(from, to) > MAX_DAYS then
      error(string.format("business_days_between(): the dates are more than %d days apart",
                          MAX_DAYS))
    end
    local count = 0
    while from < to do
      from = from + DAY
      if business_day(from) then count = count + 1 end
    end
    return sign * count
  end,
}
