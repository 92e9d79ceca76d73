-- Runs the README's nvim-lspconfig snippet (HEAP_AUDIT_SNIPPET) with a minimal stand-in for the
-- `lspconfig` modules it uses, and compares what it registers with the shipped
-- editors/neovim/lsp/heap_audit.lua. Run by tests/editors_nvim.rs.

local function main()
  vim.opt.runtimepath:prepend(vim.fs.joinpath(vim.env.HEAP_AUDIT_REPO, 'editors', 'neovim'))
  local shipped = vim.lsp.config.heap_audit
  assert(shipped and shipped.cmd, 'editors/neovim/lsp/heap_audit.lua not found on runtimepath')

  local configs = {}
  local setups = {}
  package.loaded['lspconfig.configs'] = configs
  package.loaded['lspconfig.util'] = {
    root_pattern = function(...)
      return { markers = { ... } }
    end,
  }
  package.loaded['lspconfig'] = setmetatable({}, {
    __index = function(_, name)
      return {
        setup = function(opts)
          table.insert(setups, { name = name, opts = opts })
        end,
      }
    end,
  })

  dofile(vim.env.HEAP_AUDIT_SNIPPET)

  local registered = assert(configs.heap_audit, 'the snippet did not register configs.heap_audit')
  local cfg = assert(registered.default_config, 'configs.heap_audit has no default_config')
  local function same(what, a, b)
    if not vim.deep_equal(a, b) then
      error(string.format('%s differs: snippet %s, shipped %s', what, vim.inspect(a), vim.inspect(b)), 0)
    end
  end
  same('cmd', cfg.cmd, shipped.cmd)
  same('filetypes', cfg.filetypes, shipped.filetypes)
  same('root markers', cfg.root_dir and cfg.root_dir.markers, shipped.root_markers)
  same('settings', cfg.settings, shipped.settings)
  -- before_init sends the settings as initializationOptions in both.
  local a, b = {}, {}
  cfg.before_init(a, { settings = cfg.settings })
  shipped.before_init(b, { settings = shipped.settings })
  same('initializationOptions', a.initializationOptions, b.initializationOptions)
  if #setups ~= 1 or setups[1].name ~= 'heap_audit' then
    error('expected one require("lspconfig").heap_audit.setup() call, got ' .. vim.inspect(setups), 0)
  end
  io.stdout:write('lspconfig snippet: OK\n')
end

local ok, err = pcall(main)
if ok then
  vim.cmd('qall!')
else
  io.stderr:write('lspconfig snippet FAILED: ' .. tostring(err) .. '\n')
  vim.cmd('cquit 1')
end
