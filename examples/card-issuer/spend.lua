-- spend.lua -- card spending for the card-issuer playbook (docs/playbook-format.md §8).
--
-- The card system sends the purchases of each statement month, newest first,
-- as the list fact card.monthly_spend:
--
--     card: { monthly_spend: ["812.40 EUR", "640.00 EUR", ...] }
--
-- A month may be written without its currency ("812.40": the playbook's
-- currency). A card younger than a year has fewer than 12 months; a list of
-- more than 12 is refused rather than cut, because the waiver rule counts
-- exactly the last 12 months and the card system must say which ones.

local MONTHS = 12

return {
  -- spend_12m(months): the sum of the monthly totals, as money. Refunds are
  -- already netted in a month's total, so a month may be negative.
  spend_12m = function (months)
    if type(months) ~= "table" then
      error("spend_12m(): expects the list of monthly totals (card.monthly_spend), not "
            .. tostring(months))
    end
    if #months > MONTHS then
      error(string.format("spend_12m(): %d months given; send the last %d only", #months, MONTHS))
    end
    local total = money(0)
    for i, text in ipairs(months) do
      local ok, month = pcall(money, text)
      if not ok then
        error(string.format("spend_12m(): month %d, \"%s\", is not an amount of money like \"812.40 EUR\"",
                            i, text))
      end
      if month.currency ~= total.currency then
        error(string.format("spend_12m(): month %d is in %s; the card is billed in %s",
                            i, month.currency, total.currency))
      end
      total = total + month
    end
    return total
  end,
}
