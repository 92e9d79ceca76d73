// The heap-audit VS Code extension: starts `heap-audit server` over stdio with
// vscode-languageclient and keeps it in step with the `heap-audit.*` settings.

import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import {
  activationLanguages,
  findServer as locateServer,
  type JsonObject,
  serverSettingKeys as settingKeys,
  settingsForServer,
} from "./server";

/** The settings section, the client id (so `heap-audit.trace.server` works) and the name. */
const SECTION = "heap-audit";
const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append(SECTION);
const EXECUTABLE = process.platform === "win32" ? "heap-audit.exe" : "heap-audit";
/** Settings only the extension reads; every other `heap-audit.*` setting goes to the server. */
const EXTENSION_ONLY_SETTINGS = ["path", "trace.server"];
const SETUP_HINT =
  "Install it (from a heap-audit checkout: `cargo install --locked --path server`) so that " +
  "`heap-audit` is on your PATH, or set `heap-audit.path` to the executable.";

let output: vscode.OutputChannel | undefined;
let client: LanguageClient | undefined;
/** Serialises start/stop so quick setting changes cannot start two servers. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel("heap-audit");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand(`${SECTION}.restartServer`, () => queue(() => restart(context))),
    vscode.commands.registerCommand(`${SECTION}.fixAll`, fixAllInActiveEditor),
    vscode.commands.registerCommand(`${SECTION}.showOutput`, () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The trace level is applied live by the language client; anything else restarts the
      // server so that it starts from the new settings.
      const relevant = serverSettingKeys(context).some((key) =>
        event.affectsConfiguration(`${SECTION}.${key}`),
      );
      if (relevant || event.affectsConfiguration(`${SECTION}.path`)) {
        void queue(() => restart(context));
      }
    }),
  );
  void queue(() => start(context));
}

export function deactivate(): Thenable<void> | undefined {
  return queue(stop);
}

function queue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch (error) {
      log(`stopping the server failed: ${String(error)}`);
    }
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = await findServer(context);
  if (!command) {
    return;
  }
  log(`starting ${command} server`);
  const serverOptions: ServerOptions = {
    command,
    args: ["server"],
    transport: TransportKind.stdio,
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: languages(context).flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: serverSettings(context),
    middleware: {
      workspace: {
        // The server pulls the "heap-audit" section, per file when it sends a scope.
        configuration: (params) =>
          params.items.map((item) => {
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            if (item.section === SECTION) {
              return serverSettings(context, scope);
            }
            return item.section === undefined ? { [SECTION]: serverSettings(context, scope) } : null;
          }),
      },
    },
  };
  const next = new LanguageClient(SECTION, "heap-audit", serverOptions, clientOptions);
  try {
    await next.start();
    client = next;
  } catch (error) {
    const choice = await vscode.window.showErrorMessage(
      `heap-audit: the server (${command}) failed to start: ${String(error)}`,
      "Show Output",
    );
    if (choice === "Show Output") {
      output?.show(true);
    }
    await next.dispose().catch(() => undefined);
  }
}

/** The languages to attach to: the `onLanguage:` activation events in package.json. */
function languages(context: vscode.ExtensionContext): string[] {
  return activationLanguages(context.extension.packageJSON.activationEvents ?? []);
}

/** The `heap-audit.*` settings the server reads: every contributed one but the extension's own. */
function serverSettingKeys(context: vscode.ExtensionContext): string[] {
  const properties = context.extension.packageJSON.contributes?.configuration?.properties ?? {};
  return settingKeys(properties, SECTION, EXTENSION_ONLY_SETTINGS);
}

/**
 * The settings object the server takes (`rules`, `exclude`, `unsafeFixes`, `python`, `rust`):
 * dotted setting names become nested keys; unset (null) values are left out.
 */
function serverSettings(context: vscode.ExtensionContext, scope?: vscode.Uri): JsonObject {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return settingsForServer(serverSettingKeys(context), (key) => config.get(key));
}

/** The server executable: `heap-audit.path`, else the bundled `bin/heap-audit`, else `PATH`. */
async function findServer(context: vscode.ExtensionContext): Promise<string | undefined> {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string | null>("path");
  const bundled = context.asAbsolutePath(path.join("bin", EXECUTABLE));
  if (process.platform !== "win32") {
    // A .vsix may not keep the executable bit; restore it on a bundled binary.
    await fs.chmod(bundled, 0o755).catch(() => undefined);
  }
  const found = await locateServer({
    configured: configured ? expandPath(configured) : undefined,
    bundled,
    executable: EXECUTABLE,
    pathEnv: process.env.PATH ?? "",
  });
  if ("problem" in found) {
    await reportMissing(found.problem);
    return undefined;
  }
  log(`using the ${found.source} executable ${found.path}`);
  return found.path;
}

function expandPath(p: string): string {
  const home = p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return path.isAbsolute(home) || !folder ? home : path.join(folder, home);
}

async function reportMissing(problem: string): Promise<void> {
  log(`${problem} ${SETUP_HINT}`);
  const choice = await vscode.window.showErrorMessage(`heap-audit: ${problem} ${SETUP_HINT}`, "Open Settings", "Show Output");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
  } else if (choice === "Show Output") {
    output?.show(true);
  }
}

/** Applies the server's `source.fixAll.heap-audit` action to the active file. */
async function fixAllInActiveEditor(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return;
  }
  if (!client) {
    void vscode.window.showWarningMessage("heap-audit: the server is not running.");
    return;
  }
  const document = editor.document;
  const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      document.uri,
      whole,
      FIX_ALL_KIND.value,
      1,
    )) ?? [];
  const mine = actions.filter((a) => a.kind !== undefined && FIX_ALL_KIND.contains(a.kind));
  let applied = false;
  for (const action of mine) {
    if (action.edit && action.edit.size > 0) {
      applied = (await vscode.workspace.applyEdit(action.edit)) || applied;
    }
    if (action.command) {
      await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
      applied = true;
    }
  }
  if (!applied) {
    void vscode.window.showInformationMessage("heap-audit: nothing to fix in this file.");
  }
}

function log(message: string): void {
  output?.appendLine(`[${new Date().toISOString()}] ${message}`);
}
