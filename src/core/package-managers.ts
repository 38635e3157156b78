/**
 * The package managers a project can use: their names, which one ran us, and
 * installing with one (execa is loaded only then: create's entry chunk imports this file).
 */
import { environmentError } from "./errors.js";
import { shown } from "./validate.js";

export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

/** The package manager a `--pm` value names, or undefined. */
export function findPackageManager(name: string): PackageManager | undefined {
  return PACKAGE_MANAGERS.find((pm) => pm === name);
}

/** The problem with a `--pm` value, or undefined. */
export function packageManagerProblem(name: string): string | undefined {
  return findPackageManager(name) ? undefined : `unknown package manager ${shown(name)}; use ${PACKAGE_MANAGERS.join(", ")}`;
}

/** The package manager that runs this command (`npm_config_user_agent`: "pnpm/9.0.0 npm/? node/v20 ..."). */
export function packageManagerFromUserAgent(userAgent: string | undefined): PackageManager | undefined {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return name === undefined ? undefined : findPackageManager(name);
}

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Installs a project's dependencies; the tool's own output is kept and shown only on failure. */
export async function installDependencies(root: string, pm: PackageManager, signal?: AbortSignal): Promise<void> {
  const { runGroup } = await import("./subprocess.js");
  const args = pm === "npm" ? ["install", "--no-fund", "--no-audit"] : ["install"];
  try {
    await runGroup(pm, args, { cwd: root, all: true, stdin: "ignore", env: { npm_config_update_notifier: "false" }, signal });
  } catch (error) {
    const e = error as { code?: string; all?: string; shortMessage?: string; name?: string };
    if (e.name === "Interrupted") throw error;
    if (e.code === "ENOENT") {
      throw environmentError(`${pm} is not installed or not on PATH; install it, or pass --pm npm`);
    }
    throw environmentError(
      `${pm} install failed in ${root}; fix the error below and run \`${pm} install\` there`,
      tail(e.all ?? e.shortMessage ?? ""),
    );
  }
}
