// Unit tests for src/server.ts (run by `npm test`, with node's test runner).

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { activationLanguages, findServer, serverSettingKeys, settingsForServer } from "../src/server";

const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
const properties = manifest.contributes.configuration.properties;

function scratch(): string {
  return mkdtempSync(path.join(tmpdir(), "heap-audit-vscode-"));
}

function file(dir: string, name: string, mode: number): string {
  const p = path.join(dir, name);
  writeFileSync(p, "#!/bin/sh\n", { mode });
  return p;
}

test("the server gets every contributed setting but path and trace.server", () => {
  const keys = serverSettingKeys(properties, "heap-audit", ["path", "trace.server"]);
  assert.deepEqual(keys.sort(), [
    "exclude",
    "profile.inlayHints.count",
    "profile.inlayHints.minShare",
    "profile.paths",
    "python.targetVersion",
    "rules",
    "rust.ownedParamPublic",
    "unsafeFixes",
  ]);
});

test("settings are nested by their dots and unset ones are left out", () => {
  const values: Record<string, unknown> = {
    rules: { "py/*": "hint" },
    exclude: ["vendor/**"],
    unsafeFixes: false,
    "python.targetVersion": null,
    "rust.ownedParamPublic": true,
  };
  const keys = serverSettingKeys(properties, "heap-audit", ["path", "trace.server"]);
  assert.deepEqual(settingsForServer(keys, (k) => values[k]), {
    rules: { "py/*": "hint" },
    exclude: ["vendor/**"],
    unsafeFixes: false,
    rust: { ownedParamPublic: true },
  });
  values["python.targetVersion"] = "3.9";
  assert.deepEqual(settingsForServer(keys, (k) => values[k]).python, { targetVersion: "3.9" });
});

test("activation languages come from onLanguage events", () => {
  assert.deepEqual(activationLanguages(manifest.activationEvents), [
    "rust",
    "python",
    "javascript",
    "javascriptreact",
    "typescript",
    "typescriptreact",
  ]);
  assert.deepEqual(activationLanguages(["onCommand:x", "onLanguage:rust"]), ["rust"]);
});

test("the executable is found in the order setting, bundled, PATH", async () => {
  if (process.platform === "win32") {
    return; // the executable bit is what these cases hinge on
  }
  const dir = scratch();
  const configured = file(dir, "configured", 0o755);
  const bundled = file(dir, "bundled", 0o755);
  const binDir = path.join(dir, "bin");
  const second = path.join(dir, "bin2");
  for (const d of [binDir, second]) {
    mkdirSync(d);
  }
  const onPath = file(binDir, "heap-audit", 0o755);
  file(second, "heap-audit", 0o755);
  const pathEnv = ["/nonexistent", binDir, second].join(":");
  const base = { executable: "heap-audit", pathEnv, platform: "linux" };

  assert.deepEqual(await findServer({ ...base, configured, bundled }), { path: configured, source: "setting" });
  assert.deepEqual(await findServer({ ...base, configured: undefined, bundled }), { path: bundled, source: "bundled" });
  const missingBundle = path.join(dir, "no-such-bundle");
  assert.deepEqual(await findServer({ ...base, configured: undefined, bundled: missingBundle }), {
    path: onPath,
    source: "PATH",
  });
  // A bundled file that is not executable is skipped.
  const notExecutable = file(dir, "plain", 0o644);
  assert.deepEqual(await findServer({ ...base, configured: undefined, bundled: notExecutable }), {
    path: onPath,
    source: "PATH",
  });
  // Nothing anywhere: a problem to show, not a crash.
  const none = await findServer({ ...base, configured: undefined, bundled: missingBundle, pathEnv: "/nonexistent" });
  assert.deepEqual(none, { problem: "No `heap-audit` executable was found." });
  // A configured path that is wrong is reported, not silently replaced by PATH.
  const wrong = await findServer({ ...base, configured: notExecutable, bundled });
  assert.ok("problem" in wrong && wrong.problem.includes(notExecutable), JSON.stringify(wrong));
  // A directory on PATH named heap-audit is not an executable.
  const dirOnly = path.join(dir, "dirs");
  mkdirSync(path.join(dirOnly, "heap-audit"), { recursive: true });
  assert.ok("problem" in (await findServer({ ...base, configured: undefined, bundled: missingBundle, pathEnv: dirOnly })));
});
