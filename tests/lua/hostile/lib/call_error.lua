local M = {}
function M.boom(x)
  error("boom " .. tostring(x))
end
return M
