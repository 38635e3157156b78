import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { addFixtureSuite, copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

// A package as published to npm: only the compiled dist/ (JavaScript, declarations, source maps), no
// sources, no tsconfig. add reads dist/ (the code that runs), wires the app there, starts it as
// published (npm start, no build: there is nothing to build from) and the self-check passes.
addFixtureSuite({
  fixture: "published-express",
  scopes: "get_forecast=weather:read,get_alerts=weather:alerts",
  modifies: ["package.json", "dist/index.js"],
  more(root) {
    it("with no flag beyond --scopes: detects the app in dist/index.js, its endpoint and tools, and starts it without a build", async () => {
      const run = await runCli(["add", root(), "--dry-run", "--json", "--scopes", "get_forecast=weather:read"]);
      const doc = parseDocument(run.stdout, run.stderr) as unknown as {
        ok: boolean;
        detected: { entry: { file: string }; endpoint: { path: string }; start: string; tools: { name: string }[] };
      };
      expect(run.exitCode, run.stderr).toBe(0);
      expect(doc.detected.entry.file).toBe("dist/index.js");
      expect(doc.detected.endpoint.path).toBe("/mcp");
      expect(doc.detected.start).toBe("npm start");
      expect(doc.detected.tools.map((t) => t.name).sort()).toEqual(["get_alerts", "get_forecast"]);
    });

    it("its build script (rm -rf dist && tsc, no sources shipped) is not run as a step: it would delete the code that runs", async () => {
      const work = await tempDir("cma-add-published-steps-");
      try {
        const fresh = await copyFixture("published-express", work.dir);
        // Installed as the user has it; then add with the before/after steps.
        const { execa } = await import("execa");
        await execa("npm", ["install", "--no-audit", "--no-fund"], { cwd: fresh, env: installEnv() });
        const run = await runCli(["add", fresh, "--yes", "--json", "--steps", "--no-check", "--scopes", "get_forecast=weather:read"], {
          env: installEnv(),
        });
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stderr).toMatch(/build script is not run before and after add: the project ships only its build output \(dist\/\)/);
        expect(await readFile(path.join(fresh, "dist/index.js"), "utf8")).toMatch(/app\.listen/);
        expect((await snapshot(fresh)).has("dist/auth/mcp-auth.js")).toBe(true);
      } finally {
        await work.cleanup();
      }
    }, 300_000);
  },
});
