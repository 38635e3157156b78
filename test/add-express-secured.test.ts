import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { addFixtureSuite, copyFixture, limitBeforeAuthSuite, parseDocument } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

const SCOPES = "open_ticket=tickets:write,list_tickets=tickets:read";

// Express 5 + SDK v1, ESM JavaScript, with helmet, a 100/min rate limit on /mcp, an opt-in
// shared-key check of its own on the MCP route (AUTH_ENABLED), and node:test tests that
// create the app and call /mcp without a token.
addFixtureSuite({
  fixture: "express-secured",
  scopes: SCOPES,
  modifies: ["package.json", "src/app.js"],
  more(root) {
    limitBeforeAuthSuite(root);

    it("the project's own tests create the app without the auth variables; the one calling /mcp without a token passes after the documented step (startTestAuth)", async () => {
      const before = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
      // The app is created and /health answers: only the MCP call lacks a token.
      expect(String(before.all)).toMatch(/ok \d+ - health answers/);
      expect(String(before.all)).toMatch(/not ok \d+ - lists the tools over MCP/);
      const doc = parseDocument((await runCli(["add", root(), "--dry-run", "--json", "--scopes", SCOPES])).stdout, "") as unknown as {
        detected: { tokenlessTests: { file: string }[] };
      };
      expect(doc.detected.tokenlessTests.map((t) => t.file)).toEqual(["test/app.test.js"]);
      const authMd = await readFile(path.join(root(), "AUTH.md"), "utf8");
      expect(authMd).toMatch(/## Your own tests/);
      expect(authMd).toMatch(/startTestAuth/);
      // The step AUTH.md describes: a token from startTestAuth() on the MCP request.
      const file = path.join(root(), "test/app.test.js");
      const test = await readFile(file, "utf8");
      await writeFile(
        file,
        test
          .replace(
            'import { createApp } from "../src/app.js";',
            'import { createApp } from "../src/app.js";\nimport { startTestAuth } from "../src/auth/testing.js";\n\nconst auth = await startTestAuth();',
          )
          .replace("after(() => server.close());", "after(async () => {\n  server.close();\n  await auth.stop();\n});")
          .replace("    headers,\n", `    headers: { ...headers, Authorization: \`Bearer \${await auth.token()}\` },\n`),
      );
      const after = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
      await writeFile(file, test);
      expect(after.exitCode, String(after.all)).toBe(0);
    }, 300_000);
  },
});

describe("add on express-secured: the project's own auth on the MCP route", () => {
  it("is named in --dry-run and --json, kept by default, and removed with --existing-auth replace", async () => {
    const work = await tempDir("cma-add-secured-");
    try {
      const root = await copyFixture("express-secured", work.dir);
      const kept = await runCli(["add", root, "--dry-run", "--json", "--scopes", SCOPES]);
      const doc = JSON.parse(kept.stdout) as {
        existingAuth: string;
        diff: string;
        detected: { existingAuth: { name: string; switch: string; replaceable: boolean }[]; middleware: { name: string }[] };
      };
      expect(doc.detected.existingAuth).toEqual([
        expect.objectContaining({ name: "requireApiKey (a bearer check of this project)", switch: "AUTH_ENABLED", replaceable: true }),
      ]);
      expect(doc.detected.middleware.map((m) => m.name)).toEqual(["helmet", "rate limit (express-rate-limit)"]);
      expect(doc.existingAuth).toBe("keep");
      expect(kept.stderr).toMatch(/existing auth\s+src\/app\.js:\d+: requireApiKey .*AUTH_ENABLED/);
      expect(doc.diff).not.toMatch(/^-.*requireApiKey/m);
      // The auth step goes right after the rate limit, before the routes.
      expect(doc.diff).toMatch(
        /rateLimit\(.*\n\+ {2}\/\/ OAuth for the MCP endpoint, after helmet, rate limit.*\n\+ {2}app\.use\(mcpAuth\(\{ endpoint: MCP_PATH \}\)\);/,
      );

      const replaced = await runCli(["add", root, "--dry-run", "--json", "--existing-auth", "replace", "--scopes", SCOPES]);
      const doc2 = JSON.parse(replaced.stdout) as { existingAuth: string; diff: string };
      expect(doc2.existingAuth).toBe("replace");
      expect(doc2.diff).toMatch(/^-function requireApiKey\(req, res, next\) \{$/m);
      expect(doc2.diff).toMatch(/^-\s+app\.post\(MCP_PATH, requireApiKey, async/m);
      expect(doc2.diff).toMatch(/^\+\s+app\.post\(MCP_PATH, async/m);
    } finally {
      await work.cleanup();
    }
  }, 60_000);
});
