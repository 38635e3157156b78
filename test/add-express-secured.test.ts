import { describe, expect, it } from "vitest";
import { addFixtureSuite, copyFixture, limitBeforeAuthSuite, ownTestsSuite } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

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

    ownTestsSuite(root);
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
