/**
 * The last screen of `create`: what to run next, exactly, in one terminal
 * page (80x24). Every value in a command is a shell word (shWord), so each
 * line can be pasted as it is.
 */
import path from "node:path";
import { shWord } from "../core/literals.js";
import { plural } from "../core/plural.js";
import { pythonNextSteps } from "../languages/python/finish.js";
import { commandsFor } from "./context.js";
import type { CreateOptions } from "./options.js";

/** A JSON-RPC tools/call of `whoami` (needs no scope): the body is broken inside its quotes, which JSON allows. */
export function curlLines(serverUrl: string): string[] {
  return [
    `curl -s ${shWord(serverUrl)} -H "Authorization: Bearer $TOKEN" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -H 'Accept: application/json, text/event-stream' \\`,
    `  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call",`,
    `       "params":{"name":"whoami","arguments":{}}}'`,
  ];
}

/** Commands that add the server to Claude Code, VS Code, Cursor (a config line) and the MCP Inspector. */
export function connectLines(name: string, serverUrl: string): string[] {
  // JSON allows the line break inside the quoted argument; it keeps both lines short.
  const vscode = `{"name":${JSON.stringify(name)},"type":"http",\n  "url":${JSON.stringify(serverUrl)}}`;
  const cursor = JSON.stringify({ mcpServers: { [name]: { url: serverUrl } } });
  return [
    `claude mcp add --transport http ${shWord(name)} ${shWord(serverUrl)}`,
    ...`code --add-mcp ${shWord(vscode)}`.split("\n"),
    "Cursor, in .cursor/mcp.json:",
    `  ${cursor}`,
    `npx @modelcontextprotocol/inspector   # needs Node 22.19+`,
  ];
}

/** Where the project is, as the user reaches it from where `create` ran: ".", "my-server"; absolute when outside. */
export function whereFrom(cwd: string, root: string): string {
  const relative = path.relative(cwd, root);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return root;
  return relative || ".";
}

/** The line after writing: how many files, where (relative, so it stays short), which framework and provider. */
export function wroteLine(options: CreateOptions, files: number, cwd: string): string {
  const mode = options.local ? ", local mode" : "";
  return `Wrote ${plural(files, "file")} to ${whereFrom(cwd, options.root)} (${options.framework.display}, ${options.provider.display}${mode})`;
}

export interface FinishState {
  installed: boolean;
  cwd: string;
}

/** The next-steps block: run the server, get a token, call a tool, connect clients. */
export function nextSteps(options: CreateOptions, state: FinishState): { title: string; lines: string[] } {
  const pm = commandsFor(options.pm);
  const rel = whereFrom(state.cwd, options.root);
  const lines: string[] = options.language === "python" ? pythonNextSteps(options, state.installed) : [];
  if (options.language === "python") {
    lines.push(...curlLines(options.serverUrl), ...connectLines(options.packageName, options.serverUrl));
    return { title: rel === "." ? "Next steps, in this directory" : `Next steps: cd ${shWord(rel)}`, lines };
  }
  if (!state.installed) lines.push(pm.install);
  if (options.local) {
    lines.push(
      `${pm.run} issuer              # terminal 1: the local authorization server`,
      `${pm.run} dev                 # terminal 2: the server, restarted on changes`,
      `TOKEN=$(${pm.runSilent} token) &&   # terminal 3: an access token; call a tool:`,
    );
  } else {
    lines.push(`${pm.run} dev   # the server, restarted on changes`);
    for (const step of options.provider.setupSteps(options.settings, options.serverUrl)) lines.push(step);
    lines.push(`TOKEN=...   # an access token from ${options.provider.tokenSource}; call a tool:`);
  }
  lines.push(...curlLines(options.serverUrl));
  lines.push(...connectLines(options.packageName, options.serverUrl));
  return { title: rel === "." ? "Next steps, in this directory" : `Next steps: cd ${shWord(rel)}`, lines };
}
