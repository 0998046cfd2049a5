-- Runs a costly pattern while the library loads (at `leeway check`).
local slow = ("a"):rep(3000):find("a*a*b")
return { slow = function () return slow end }
