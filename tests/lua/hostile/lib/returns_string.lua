return {
  yes = function() return "yes" end,
}
