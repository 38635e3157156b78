/** The first lines of the next-steps screen for a Python project (the curl and client lines follow, as for TypeScript). */
import type { CreateOptions } from "../../create/options.js";
import { pythonCommandLines } from "./commands.js";

export function pythonNextSteps(options: CreateOptions, installed: boolean): string[] {
  const commands = pythonCommandLines(options);
  const lines = installed ? [] : ["uv sync"];
  if (options.local) {
    lines.push(
      `${commands.issuerLine}   # terminal 1: the local authorization server`,
      "uv run serve   # terminal 2: the server",
      `TOKEN=$(${commands.tokenLine})   # terminal 3: an access token; call a tool:`,
    );
  } else {
    lines.push("uv run serve   # the server");
    for (const step of options.provider.setupSteps(options.settings, options.serverUrl)) lines.push(step);
    lines.push(`TOKEN=...   # an access token from ${options.provider.tokenSource}; call a tool:`);
  }
  return lines;
}
