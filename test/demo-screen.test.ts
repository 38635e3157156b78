import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { cleanEnv, npmCacheDir, repoRoot } from "./helpers/cli.js";

/**
 * Issue 21.3, the demo's side: `npm run demo` (scripts/demo.mjs) as CI runs
 * it, no terminal: every line it prints fits 80 columns, and the last thing
 * it prints is the next steps, below the project's tests and the checklist
 * (they used to be 170 lines up, and the last line was "Demo project: ...").
 */
describe("npm run demo", () => {
  it("prints every line within 80 columns and ends with the next steps", async () => {
    // The nested vitest of the generated project must not think it runs inside this one.
    const env = Object.fromEntries(Object.entries(cleanEnv()).filter(([key]) => !/^(VITEST|TEST$|NODE_ENV$)/.test(key)));
    const result = await execa(process.execPath, [path.join(repoRoot, "scripts", "demo.mjs")], {
      cwd: repoRoot,
      env: {
        ...env,
        npm_config_cache: npmCacheDir,
        npm_config_prefer_offline: "true",
        npm_config_update_notifier: "false",
        NO_COLOR: "1",
      },
      extendEnv: false,
      stdin: "ignore",
      all: true,
      reject: false,
      timeout: 540_000,
    });
    const all = String(result.all);
    expect(result.exitCode, all).toBe(0);

    const lines = all.split("\n");
    expect(
      lines.filter((line) => line.length > 80),
      all,
    ).toEqual([]);

    const text = all.trimEnd();
    const stepsAt = text.lastIndexOf("\nNext steps: cd .cache/demo/mcp-demo:\n");
    // Below the project's tests and the self-check's counts.
    expect(stepsAt, text).toBeGreaterThan(text.lastIndexOf("== self-check"));
    expect(stepsAt).toBeGreaterThan(text.lastIndexOf(" passed, 0 failed"));
    const steps = text.slice(stepsAt + 1).split("\n");
    expect(steps).toContain("  npm run issuer              # terminal 1: the local authorization server");
    expect(
      steps.slice(1, -1).every((line) => line.startsWith("  ")),
      steps.join("\n"),
    ).toBe(true);
    expect(steps.at(-1)).toBe("Done. More in .cache/demo/mcp-demo/README.md");
    expect(text).not.toContain("Demo project:");
  }, 600_000);
});
