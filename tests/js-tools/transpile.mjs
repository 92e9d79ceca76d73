// Transpiles TS/TSX/JSX to an ES module with the pinned TypeScript (types are only erased;
// JSX becomes calls to `h`). Used by tests/js_node.rs.
//
//   node transpile.mjs <in> <out.mjs>

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ts = require("typescript");

const [input, output] = process.argv.slice(2);
const result = ts.transpileModule(readFileSync(input, "utf8"), {
  fileName: input,
  reportDiagnostics: true,
  compilerOptions: {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    jsx: ts.JsxEmit.React,
    jsxFactory: "h",
    useDefineForClassFields: true,
  },
});
if (result.diagnostics?.length) {
  for (const d of result.diagnostics) console.error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  process.exit(1);
}
writeFileSync(output, result.outputText);
