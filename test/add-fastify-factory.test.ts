import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { addFixtureSuite, parseDocument } from "./add-suite.js";
import { runCli } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

const SCOPES = "font_css=fonts:write,find_fonts=fonts:read";

// node --test prints TAP on Node 20 when not on a terminal (`ok 1 - name`), its spec reporter on Node 24 (`✔ name`).
const passed = (name: string) => new RegExp(`^(ok \\d+ - |✔ )${name}\\b`, "m");
const failed = (name: string) => new RegExp(`^(not ok \\d+ - |✖ )${name}\\b`, "m");

// Fastify from a factory (`export function buildApp()` in src/app.js, listened to by src/main.js), with node:test
// tests that build the app and call it with inject(), the way Fastify apps are tested: one on /health, one on /mcp
// without a token. add wires the factory in place; the /mcp test is listed, and the step AUTH.md describes
// (startTestAuth, a token on the injected request) makes it pass again.
addFixtureSuite({
  fixture: "fastify-factory",
  scopes: SCOPES,
  modifies: ["package.json", "src/app.js"],
  more(root) {
    it("the inject() tests: /health still passes, the tokenless /mcp one is listed and passes after the documented step (startTestAuth)", async () => {
      const before = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
      expect(String(before.all)).toMatch(passed("health answers"));
      expect(String(before.all)).toMatch(failed("lists the tools over MCP"));
      const doc = parseDocument((await runCli(["add", root(), "--dry-run", "--json", "--scopes", SCOPES])).stdout, "") as unknown as {
        detected: { tokenlessTests: { file: string }[] };
      };
      expect(doc.detected.tokenlessTests.map((t) => t.file)).toEqual(["test/app.test.js"]);
      expect(await readFile(path.join(root(), "AUTH.md"), "utf8")).toMatch(/startTestAuth/);
      const file = path.join(root(), "test/app.test.js");
      const test = await readFile(file, "utf8");
      await writeFile(
        file,
        test
          .replace(
            "import { buildApp } from '../src/app.js'",
            "import { buildApp } from '../src/app.js'\nimport { startTestAuth } from '../src/auth/testing.js'\n\nconst auth = await startTestAuth()",
          )
          .replace("    headers,\n", `    headers: { ...headers, authorization: \`Bearer \${await auth.token()}\` },\n`)
          .replace(/(assert\.match\(res\.body, \/find_fonts\/\)\n {2}await app\.close\(\)\n)/, "$1  await auth.stop()\n"),
      );
      const after = await execa("npm", ["test"], { cwd: root(), reject: false, all: true, env: installEnv() });
      await writeFile(file, test);
      expect(after.exitCode, String(after.all)).toBe(0);
      expect(String(after.all)).toMatch(passed("lists the tools over MCP"));
    }, 300_000);
  },
});
