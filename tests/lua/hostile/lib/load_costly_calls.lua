-- Calls len() on a 12 MB text over and over while the library loads: each
-- call is one long C call, where no hook runs (`leeway check` ran for
-- about 40 s past its 1 s budget before).
local r = string.rep("a", 1 << 20)
local s = r..r..r..r..r..r..r..r..r..r..r..r
local n = 0
for i = 1, 1e9 do n = n + len(s) end
return { n = function () return n end }
