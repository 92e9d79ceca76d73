-- heap-audit: avoidable heap allocations in Rust, Python and JavaScript/TypeScript.
--
-- Neovim 0.11+: put this file on your 'runtimepath' as lsp/heap_audit.lua, then call
--   vim.lsp.enable('heap_audit')
-- Override any field with vim.lsp.config('heap_audit', { ... }); tables are merged.
return {
  cmd = { 'heap-audit', 'server' },
  filetypes = { 'rust', 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact' },
  root_markers = { 'heap-audit.toml', '.git' },
  -- Answers the server's workspace/configuration pulls (section "heap-audit").
  -- Keys: rules, exclude, unsafeFixes, python.targetVersion, rust.ownedParamPublic.
  settings = {
    ['heap-audit'] = {
      unsafeFixes = false,
    },
  },
  -- Send the same settings as initializationOptions, so the first diagnostics already use them.
  before_init = function(params, config)
    params.initializationOptions = params.initializationOptions or config.settings
  end,
}
