return {
  spin = function() while true do end end,
}
