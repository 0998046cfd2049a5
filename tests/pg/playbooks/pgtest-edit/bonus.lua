-- bonus.lua -- a functions: library of pgtest-edit, edited by the tests.
return {
  bonus = function () return money("5.00 EUR") end,
}
