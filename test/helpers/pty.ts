import { readdir } from "node:fs/promises";
import { execa, type ResultPromise } from "execa";
import { cleanEnv, cliBin, tempDir } from "./cli.js";

/** Wait for text on the screen, then type keys (or act on the terminal's process). */
export type Step = [waitFor: RegExp, action: string | ((child: ResultPromise) => void | Promise<void>)];

export interface DriveHooks {
  /** Runs in the empty working directory before the CLI starts. */
  setup?: (dir: string) => Promise<void>;
  /** Runs after the CLI exited, before the directory is removed. */
  inspect?: (dir: string) => Promise<void>;
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  /** Per step, ms. */
  stepTimeout?: number;
}

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`), and for each
 * step waits for text on the screen, then types keys. Returns the exit code,
 * what was shown, and what is left in the working directory.
 */
export async function drive(steps: Step[], args = "", hooks: DriveHooks = {}) {
  const { dir, cleanup } = await tempDir("cma-pty-");
  try {
    await hooks.setup?.(dir);
    const child = execa(
      "script",
      ["-qefc", `stty cols ${hooks.cols ?? 100} rows ${hooks.rows ?? 40}; exec ${process.execPath} ${cliBin} ${args}`, "/dev/null"],
      {
        cwd: dir,
        reject: false,
        env: cleanEnv({ TERM: "xterm-256color", ...hooks.env }),
        extendEnv: false,
        timeout: 120_000,
      },
    );
    let screen = "";
    // Only what appeared since the last action is matched, so a step cannot
    // fire on text of an earlier prompt (like an option's hint).
    let sinceTyped = "";
    let next = 0;
    const done = new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => reject(new Error(`step ${next} (${steps[next]?.[0]}) not reached; screen:\n${screen}`)),
          hooks.stepTimeout ?? 20_000,
        );
      };
      arm();
      if (steps.length === 0) {
        clearTimeout(timer!);
        resolve();
      }
      child.stdout!.on("data", async (chunk: Buffer) => {
        screen += chunk.toString();
        sinceTyped += chunk.toString();
        const step = steps[next];
        if (step?.[0].test(sinceTyped)) {
          next++;
          screen += "\n<<acted>>\n";
          sinceTyped = "";
          if (typeof step[1] === "string") child.stdin!.write(step[1]);
          else await step[1](child);
          if (next === steps.length) {
            clearTimeout(timer);
            resolve();
          } else arm();
        }
      });
      child.then(() => {
        if (next < steps.length) {
          clearTimeout(timer);
          reject(new Error(`the CLI exited before step ${next} (${steps[next]?.[0]}); screen:\n${screen}`));
        }
      }, reject);
    });
    await done;
    const result = await child;
    await hooks.inspect?.(dir);
    return { exitCode: result.exitCode, screen, files: (await readdir(dir)).sort() };
  } finally {
    await cleanup();
  }
}
