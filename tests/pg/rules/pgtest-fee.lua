-- pgtest-fee.lua -- a functions: library found through LEEWAY_RULES_PATH,
-- edited by the cache tests of tests/pg.
return {
  fee = function () return money("3.00 EUR") end,
}
