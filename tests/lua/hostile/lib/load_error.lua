local M = {}
-- the library fails while it loads
error("library broke")
return M
