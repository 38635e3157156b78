/** The commands of a generated Python project, pinned to this CLI's version. */
import { shWord } from "../../core/literals.js";
import type { CreateOptions } from "../../create/options.js";
import { VERSION } from "../../version.js";

/** The commands a Python project's README and the final screen show, pinned to this CLI's version. */
export function pythonCommands(options: Pick<CreateOptions, "provider" | "scopes">, version = VERSION) {
  const cli = ["npx", "-y", `create-mcp-auth@${version}`];
  const scopes = options.scopes.join(",");
  return {
    install: "uv sync",
    start: "uv run serve",
    test: "uv run pytest",
    issuer: [...cli, "issuer", ...options.provider.issuerArgs, "--scopes", scopes],
    token: [...cli, "issuer", "token"],
    check: [...cli, "check", "--project", "."],
  };
}

/** The commands as lines a user pastes (each value one shell word). */
export function pythonCommandLines(options: Pick<CreateOptions, "provider" | "scopes">, version = VERSION) {
  const commands = pythonCommands(options, version);
  const line = (words: string[]) => words.map(shWord).join(" ");
  return { ...commands, issuerLine: line(commands.issuer), tokenLine: line(commands.token), checkLine: line(commands.check) };
}
