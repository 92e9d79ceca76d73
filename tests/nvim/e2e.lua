-- End-to-end test of editors/neovim/lsp/heap_audit.lua in a real headless Neovim 0.11 against
-- the real heap-audit binary. Run by tests/editors_nvim.rs as
--   nvim --headless --clean -c 'luafile tests/nvim/e2e.lua'
-- with these environment variables:
--   HEAP_AUDIT_REPO        the repository root (editors/neovim goes on 'runtimepath')
--   HEAP_AUDIT_WORK        a scratch folder holding copies of tests/nvim/fixtures/*
--   HEAP_AUDIT_SETUP       a Lua file to run first: the README's `vim.lsp.enable` snippet
--   HEAP_AUDIT_EXPECT      a JSON file: { bin = path of the binary `heap-audit` must resolve to,
--                          hover = { [rule id] = text the hover must contain } }
--   HEAP_AUDIT_TIMEOUT_MS  how long to wait for each answer (default 20000)
--   HEAP_AUDIT_CMD         optional JSON list replacing `cmd` (to check that the test fails)
-- Exits 0 after printing "nvim e2e: OK", or 1 with a message saying what did not happen.

local env = vim.env
local timeout = tonumber(env.HEAP_AUDIT_TIMEOUT_MS) or 20000
local notes = {} -- vim.notify messages, reported on failure

local function read_file(path)
  local f = assert(io.open(path, 'r'))
  local text = f:read('*a')
  f:close()
  return text
end

local function fail(msg)
  error({ heap_audit_failure = msg }, 0)
end

vim.notify = function(msg, level)
  table.insert(notes, string.format('[%s] %s', tostring(level), tostring(msg)))
end

-- Several actions passing the filter would open a menu; headless, that would hang.
vim.ui.select = function(items)
  local titles = {}
  for _, item in ipairs(items) do
    table.insert(titles, (item.action and item.action.title) or vim.inspect(item))
  end
  fail('more than one code action matched; titles: ' .. table.concat(titles, ' | '))
end

local exited -- set when the server process exits

local function client_for(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'heap_audit' })[1]
end

-- Waits for `cond`, failing with `what` (and the server's state) on timeout or server exit.
local function wait_for(what, cond)
  local ok = vim.wait(timeout, function()
    return exited ~= nil or cond()
  end, 20)
  if exited ~= nil and not cond() then
    fail(string.format('%s: heap-audit exited (code %s, signal %s) first', what, exited.code, exited.signal))
  end
  if not ok then
    fail(string.format('%s: heap-audit did not answer within %d ms', what, timeout))
  end
end

local function diagnostics_summary(bufnr)
  local parts = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(parts, string.format('%d:%d %s (%s)', d.lnum + 1, d.col + 1, tostring(d.code), tostring(d.source)))
  end
  return #parts > 0 and table.concat(parts, ', ') or 'none'
end

local function find_diagnostic(bufnr, rule, lnum)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == rule and d.source == 'heap-audit' and (lnum == nil or d.lnum == lnum) then
      return d
    end
  end
end

local function line(bufnr, lnum)
  return vim.api.nvim_buf_get_lines(bufnr, lnum, lnum + 1, true)[1]
end

local function hover_text(result)
  local contents = result and result.contents
  if type(contents) == 'string' then
    return contents
  elseif type(contents) == 'table' and contents.value then
    return contents.value
  elseif type(contents) == 'table' then
    local parts = {}
    for _, c in ipairs(contents) do
      table.insert(parts, type(c) == 'string' and c or c.value or '')
    end
    return table.concat(parts, '\n')
  end
  return ''
end

local function squash(s)
  return (s:gsub('%s+', ' '))
end

-- Opens a fixture and waits for heap-audit to attach and publish `rule` on 0-based line `lnum`.
local function open(name, filetype, rule, lnum)
  vim.cmd.edit(vim.fs.joinpath(env.HEAP_AUDIT_WORK, name))
  local bufnr = vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].filetype ~= filetype then
    fail(string.format('%s: filetype is %q, expected %q', name, vim.bo[bufnr].filetype, filetype))
  end
  wait_for(name .. ': waiting for heap-audit to attach', function()
    return client_for(bufnr) ~= nil
  end)
  wait_for(name .. ': waiting for the answer to initialize', function()
    return client_for(bufnr).initialized == true
  end)
  local ok = vim.wait(timeout, function()
    return exited ~= nil or find_diagnostic(bufnr, rule, lnum) ~= nil
  end, 20)
  if not ok or not find_diagnostic(bufnr, rule, lnum) then
    fail(string.format('%s: no %s diagnostic from heap-audit on line %d within %d ms%s; diagnostics: %s',
      name, rule, lnum + 1, timeout, exited and ' (the server exited)' or '', diagnostics_summary(bufnr)))
  end
  return bufnr, find_diagnostic(bufnr, rule, lnum)
end

-- Waits until `rule` on `lnum` has `severity` (set by the README snippet's settings).
local function expect_severity(name, bufnr, rule, lnum, severity)
  local ok = vim.wait(timeout, function()
    local d = find_diagnostic(bufnr, rule, lnum)
    return d ~= nil and d.severity == severity
  end, 20)
  if not ok then
    local d = find_diagnostic(bufnr, rule, lnum)
    fail(string.format('%s: %s has severity %s, expected %s from the settings in the README snippet', name, rule,
      d and vim.diagnostic.severity[d.severity] or 'none', vim.diagnostic.severity[severity]))
  end
end

local function check_hover(name, bufnr, diagnostic, expected)
  local client = client_for(bufnr)
  vim.api.nvim_win_set_cursor(0, { diagnostic.lnum + 1, diagnostic.col })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local response, err = client:request_sync('textDocument/hover', params, timeout, bufnr)
  if not response then
    fail(string.format('%s: hover request failed: %s', name, tostring(err)))
  end
  if response.err then
    fail(string.format('%s: hover error: %s', name, vim.inspect(response.err)))
  end
  local text = squash(hover_text(response.result))
  for _, needle in ipairs({ diagnostic.code, squash(expected) }) do
    if not text:find(needle, 1, true) then
      fail(string.format('%s: hover on %s does not contain %q; hover was: %s', name, diagnostic.code, needle, text))
    end
  end
end

-- Lists the code actions at the cursor, for failure messages.
local function action_titles(bufnr)
  local client = client_for(bufnr)
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, triggerKind = 1 }
  local response = client:request_sync('textDocument/codeAction', params, timeout, bufnr)
  local titles = {}
  for _, a in ipairs((response and response.result) or {}) do
    table.insert(titles, string.format('%s [%s]', a.title, tostring(a.kind)))
  end
  return #titles > 0 and table.concat(titles, ' | ') or 'none'
end

local function wait_for_line(name, bufnr, lnum, expected, what)
  local ok = vim.wait(timeout, function()
    return line(bufnr, lnum) == expected
  end, 20)
  if not ok then
    fail(string.format('%s: after %s line %d is %q, expected %q; actions here: %s; messages: %s', name, what,
      lnum + 1, line(bufnr, lnum), expected, action_titles(bufnr), table.concat(notes, ' / ')))
  end
end

local function main()
  local repo = assert(env.HEAP_AUDIT_REPO, 'HEAP_AUDIT_REPO is not set')
  local expect = vim.json.decode(read_file(assert(env.HEAP_AUDIT_EXPECT, 'HEAP_AUDIT_EXPECT is not set')))
  vim.opt.swapfile = false
  vim.opt.runtimepath:prepend(vim.fs.joinpath(repo, 'editors', 'neovim'))

  -- The shipped file, as vim.lsp.config resolves it from 'runtimepath'.
  local shipped = vim.lsp.config.heap_audit
  if not shipped or not shipped.cmd then
    fail('vim.lsp.config.heap_audit is empty: editors/neovim/lsp/heap_audit.lua was not found on runtimepath')
  end

  -- The README's snippet, verbatim: vim.lsp.config(...) with settings, then vim.lsp.enable.
  dofile(assert(env.HEAP_AUDIT_SETUP, 'HEAP_AUDIT_SETUP is not set'))
  vim.lsp.config('heap_audit', {
    on_exit = function(code, signal)
      exited = { code = code, signal = signal }
    end,
  })

  if env.HEAP_AUDIT_CMD and env.HEAP_AUDIT_CMD ~= '' then
    vim.lsp.config('heap_audit', { cmd = vim.json.decode(env.HEAP_AUDIT_CMD) })
  else
    local cmd = vim.lsp.config.heap_audit.cmd
    if cmd[1] ~= 'heap-audit' or cmd[2] ~= 'server' then
      fail('the shipped cmd is ' .. vim.inspect(cmd) .. ', expected { "heap-audit", "server" }')
    end
    local resolved = vim.fn.exepath('heap-audit')
    if vim.fs.normalize(resolved) ~= vim.fs.normalize(expect.bin) then
      fail(string.format('`heap-audit` resolves to %q, not the binary under test %q', resolved, expect.bin))
    end
  end

  -- Rust: diagnostics, hover, one quick fix at the cursor, then fix-all for the rest.
  local rs, rs_diag = open('sample.rs', 'rust', 'rust/format-literal', 1)
  check_hover('sample.rs', rs, rs_diag, expect.hover['rust/format-literal'])
  vim.api.nvim_win_set_cursor(0, { rs_diag.lnum + 1, rs_diag.col + 1 })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      if action.kind ~= 'quickfix' then
        return false
      end
      -- Only this finding's fix: not one for another finding on the line, and not an offer to
      -- suppress the finding.
      if action.diagnostics and not vim.iter(action.diagnostics):any(function(d)
        return d.code == 'rust/format-literal'
      end) then
        return false
      end
      local title = (action.title or ''):lower()
      return not (title:find('suppress', 1, true) or title:find('ignore', 1, true) or title:find('disable', 1, true))
    end,
  })
  wait_for_line('sample.rs', rs, 1, '    let greeting = "hello".to_string();', 'the quick fix')
  if line(rs, 2) ~= '    let copy = format!("{}", name);' then
    fail('sample.rs: the quick fix also changed line 3: ' .. line(rs, 2))
  end
  wait_for('sample.rs: diagnostic on line 2 cleared after the fix', function()
    return find_diagnostic(rs, 'rust/format-literal', 1) == nil and find_diagnostic(rs, 'rust/format-literal', 2) ~= nil
  end)
  vim.lsp.buf.code_action({ context = { only = { 'source.fixAll.heap-audit' } }, apply = true })
  wait_for_line('sample.rs', rs, 2, '    let copy = name.to_string();', 'source.fixAll.heap-audit')
  wait_for('sample.rs: no rust/format-literal left after fix-all', function()
    return find_diagnostic(rs, 'rust/format-literal') == nil
  end)

  -- Python: diagnostics at the severity the README's settings ask for, and hover.
  local py, py_diag = open('sample.py', 'python', 'py/pow-half', 1)
  expect_severity('sample.py', py, 'py/pow-half', 1, vim.diagnostic.severity.ERROR)
  check_hover('sample.py', py, py_diag, expect.hover['py/pow-half'])

  -- TypeScript: diagnostics ('js/*' = 'warning' from the settings) and hover.
  local ts, ts_diag = open('sample.ts', 'typescript', 'js/delete-property', 2)
  expect_severity('sample.ts', ts, 'js/delete-property', 2, vim.diagnostic.severity.WARN)
  check_hover('sample.ts', ts, ts_diag, expect.hover['js/delete-property'])

  io.stdout:write('nvim e2e: OK (rust, python and typescript diagnostics; hover; quick fix; fix-all)\n')
end

local ok, err = xpcall(main, function(e)
  if type(e) == 'table' and e.heap_audit_failure then
    return e.heap_audit_failure
  end
  return debug.traceback(tostring(e), 2)
end)
if ok then
  vim.cmd('qall!')
else
  io.stderr:write('nvim e2e FAILED: ' .. tostring(err) .. '\n')
  if #notes > 0 then
    io.stderr:write('messages: ' .. table.concat(notes, ' / ') .. '\n')
  end
  vim.cmd('cquit 1')
end
