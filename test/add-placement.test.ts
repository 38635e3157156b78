/**
 * Where add puts the auth step in a Hono app with security middleware and an
 * auth of its own on the MCP route (dry runs: no install). The Express and
 * Fastify rows prove the order on a running server (add-express-secured,
 * add-fastify-secured).
 */
import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";

interface DryRun {
  existingAuth: string | null;
  diff: string;
  detected: { existingAuth: { name: string; replaceable: boolean }[]; middleware: { name: string; onRoute: boolean }[] };
}

describe("add on hono-secured (secureHeaders, hono-rate-limiter on /mcp, bearerAuth on the MCP route)", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeAll(async () => {
    work = await tempDir("cma-add-placement-");
    root = await copyFixture("hono-secured", work.dir);
  });
  afterAll(() => work.cleanup());

  const dryRun = async (...extra: string[]) => {
    const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "list_notes=notes:read", ...extra]);
    expect(run.exitCode, run.stderr).toBe(0);
    return { doc: JSON.parse(run.stdout) as DryRun, stderr: run.stderr };
  };

  it("registers the auth step after secureHeaders and the rate limiter, before the routes; names bearerAuth and keeps it", async () => {
    const { doc, stderr } = await dryRun();
    expect(doc.detected.middleware.map((m) => m.name)).toEqual(["secure headers (hono/secure-headers)", "rate limit (hono-rate-limiter)"]);
    expect(doc.detected.existingAuth).toEqual([expect.objectContaining({ name: "hono bearerAuth", replaceable: true })]);
    expect(doc.existingAuth).toBe("keep");
    expect(stderr).toMatch(/existing auth\s+src\/index\.ts:15: hono bearerAuth on the MCP route/);
    expect(doc.diff).toMatch(
      /app\.use\("\/mcp", rateLimiter\(.*\n\+\/\/ OAuth for the MCP endpoint, after secure headers.*\n\+app\.use\(mcpAuth\(\{ endpoint: "\/mcp" \}\)\);\n \n app\.get\("\/health"/,
    );
    expect(doc.diff).not.toMatch(/^-.*bearerAuth/m);
  }, 60_000);

  it("--existing-auth replace takes bearerAuth off the route, and its import with it", async () => {
    const { doc } = await dryRun("--existing-auth", "replace");
    expect(doc.existingAuth).toBe("replace");
    expect(doc.diff).toMatch(/^-import \{ bearerAuth \} from "hono\/bearer-auth";$/m);
    expect(doc.diff).toMatch(/^-app\.post\("\/mcp", bearerAuth\(\{ token: process\.env\.API_TOKEN \?\? "dev" \}\), async \(c\) => \{$/m);
    expect(doc.diff).toMatch(/^\+app\.post\("\/mcp", async \(c\) => \{$/m);
  }, 60_000);

  it("without a terminal and without --yes, the open question names --existing-auth", async () => {
    const run = await runCli([
      "add",
      root,
      "--scopes",
      "list_notes=notes:read",
      "--provider",
      "oidc",
      "--issuer-url",
      "https://auth.example.com",
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--existing-auth <keep\|replace>/);
  }, 60_000);
});

describe("add on compiled CommonJS (tsc's output: (0, cors_1.default)())", () => {
  it("places the auth step after the app's cors(), called the way tsc compiles it (atlassian-jira's shape)", async () => {
    const work = await tempDir("cma-add-placement-cjs-");
    try {
      const root = await copyFixture("reused-in-block", work.dir);
      const file = `${root}/dist/index.js`;
      const code = await readFile(file, "utf8");
      await writeFile(
        file,
        code
          .replace(
            'const express_1 = __importDefault(require("express"));',
            'const express_1 = __importDefault(require("express"));\nconst cors_1 = __importDefault(require("cors"));',
          )
          .replace(
            "        app.use(express_1.default.json());",
            "        app.use((0, cors_1.default)());\n        app.use(express_1.default.json());",
          ),
      );
      const pkg = JSON.parse(await readFile(`${root}/package.json`, "utf8")) as { dependencies: Record<string, string> };
      pkg.dependencies.cors = "^2.8.5";
      await writeFile(`${root}/package.json`, JSON.stringify(pkg, null, 2));
      const run = await runCli(["add", root, "--dry-run", "--json", "--scopes", "tracker_get=tracker:read"]);
      expect(run.exitCode, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout) as DryRun;
      expect(doc.detected.middleware.map((m) => m.name)).toContain("CORS (cors)");
      expect(doc.diff).toMatch(
        /\n {9}app\.use\(\(0, cors_1\.default\)\(\)\);\n\+.*\n\+ {8}app\.use\(mcpAuth\(\{ endpoint: '\/mcp' \}\)\);/,
      );
    } finally {
      await work.cleanup();
    }
  }, 60_000);
});
