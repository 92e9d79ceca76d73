// The parts of the extension that need no VS Code API: finding the executable and shaping the
// settings the server takes. Unit-tested by test/server.test.ts.

import { constants as fsConstants, promises as fs } from "node:fs";
import * as path from "node:path";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Where the executable came from, or why there is none. */
export type Found = { path: string; source: "setting" | "bundled" | "PATH" } | { problem: string };

/** True for an existing regular file this process may execute. */
export async function isExecutableFile(file: string, platform: string = process.platform): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    await fs.access(file, platform === "win32" ? fsConstants.F_OK : fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `executable` in the `PATH`-style list `pathEnv`. */
export async function findOnPath(executable: string, pathEnv: string, platform: string = process.platform): Promise<string | undefined> {
  const delimiter = platform === "win32" ? ";" : ":";
  for (const dir of pathEnv.split(delimiter).filter((d) => d.length > 0)) {
    const candidate = path.join(dir, executable);
    if (await isExecutableFile(candidate, platform)) {
      return candidate;
    }
  }
  return undefined;
}

/**
 * The server executable: the configured path (already expanded), else the bundled one, else the
 * first on `pathEnv`. A configured path that is not executable is a problem, not a fallback: the
 * user asked for that file.
 */
export async function findServer(options: {
  configured: string | undefined;
  bundled: string;
  executable: string;
  pathEnv: string;
  platform?: string;
}): Promise<Found> {
  const platform = options.platform ?? process.platform;
  if (options.configured) {
    return (await isExecutableFile(options.configured, platform))
      ? { path: options.configured, source: "setting" }
      : { problem: `\`heap-audit.path\` is set to ${options.configured}, which is not an executable file.` };
  }
  if (await isExecutableFile(options.bundled, platform)) {
    return { path: options.bundled, source: "bundled" };
  }
  const onPath = await findOnPath(options.executable, options.pathEnv, platform);
  return onPath ? { path: onPath, source: "PATH" } : { problem: "No `heap-audit` executable was found." };
}

/** The languages in `onLanguage:` activation events. */
export function activationLanguages(events: readonly string[]): string[] {
  return events.filter((e) => e.startsWith("onLanguage:")).map((e) => e.slice("onLanguage:".length));
}

/** The keys (without `section.`) of the contributed settings the server reads. */
export function serverSettingKeys(
  properties: Record<string, unknown>,
  section: string,
  extensionOnly: readonly string[],
): string[] {
  return Object.keys(properties)
    .filter((key) => key.startsWith(`${section}.`))
    .map((key) => key.slice(section.length + 1))
    .filter((key) => !extensionOnly.includes(key));
}

/** The settings object the server takes: dotted keys become nested; unset (null) values are left out. */
export function settingsForServer(keys: readonly string[], get: (key: string) => unknown): JsonObject {
  const settings: JsonObject = {};
  for (const key of keys) {
    const value = get(key) as Json | undefined;
    if (value === undefined || value === null) {
      continue;
    }
    const parts = key.split(".");
    let target = settings;
    for (const part of parts.slice(0, -1)) {
      const child = target[part];
      if (child !== null && typeof child === "object" && !Array.isArray(child)) {
        target = child;
      } else {
        const created: JsonObject = {};
        target[part] = created;
        target = created;
      }
    }
    target[parts[parts.length - 1]] = value;
  }
  return settings;
}
