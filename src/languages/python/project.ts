/** What `create` does differently for a Python project once it is rendered: install, start, next steps. */
import { existsSync } from "node:fs";
import path from "node:path";
import { environmentError } from "../../core/errors.js";
import { runGroup } from "../../core/subprocess.js";

/** The command that starts a generated Python project (README, `create --json`'s `start`, the self-check). */
export const PYTHON_START = { file: "uv", args: ["run", "serve"] } as const;

/** A Python project: a pyproject.toml and no package.json. */
export function isPythonProject(root: string): boolean {
  return existsSync(path.join(root, "pyproject.toml")) && !existsSync(path.join(root, "package.json"));
}

/** `uv sync`: the virtual environment, the dependencies and the project itself; uv's output only on failure. */
export async function installPythonProject(root: string, signal?: AbortSignal): Promise<void> {
  try {
    await runGroup("uv", ["sync", "--quiet"], { cwd: root, all: true, stdin: "ignore", env: { UV_NO_PROGRESS: "1" }, signal });
  } catch (error) {
    const e = error as { code?: string; all?: string; shortMessage?: string; name?: string };
    if (e.name === "Interrupted") throw error;
    if (e.code === "ENOENT")
      throw environmentError("uv is not installed or not on PATH: pip install uv (or see docs.astral.sh/uv), or pass --no-install");
    throw environmentError(
      `uv sync failed in ${root}; fix the error below and run \`uv sync\` there`,
      (e.all ?? e.shortMessage ?? "").split("\n").slice(-40).join("\n"),
    );
  }
}
