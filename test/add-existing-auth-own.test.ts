/**
 * A bearer check of the project's own on the MCP route that is on where add starts the server (issue 18 point 2,
 * brief h31: notion-mcp-server's shape). Kept, it refuses every OAuth access token, so add --yes does not choose:
 * it refuses, names the check and both choices, and writes nothing. --existing-auth replace takes it off the route
 * (the smallest edit of the user's file) and the self-check passes on the running server.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";
import { drive } from "./helpers/pty.js";

const SCOPES = "get_page=pages:read";
const down = "\x1b[B";

describe("own-bearer-check: an always-on bearer check of the project's own (app.use('/mcp', authenticateToken))", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-add-own-check-");
  });
  afterAll(() => work.cleanup());

  it("add --yes refuses with exit 2, names the check (file:line) and both choices as commands, and writes nothing", async () => {
    const root = await copyFixture("own-bearer-check", path.join(work.dir, "refused"));
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--yes", "--scopes", SCOPES]);
    expect(run.exitCode, run.stderr).toBe(2);
    const text = run.stderr.replace(/\s+/g, " ");
    expect(text).toContain("src/index.js:36 authenticateToken (a bearer check of this project), always on");
    expect(text).toContain("Nothing was written.");
    expect(run.stderr).toMatch(/^ {4}.* add .* --scopes get_page=pages:read --existing-auth replace --yes$/m);
    expect(run.stderr).toMatch(/^ {4}.* add .* --scopes get_page=pages:read --existing-auth keep --yes$/m);
    // What was detected is printed first, and the check is not mistaken for an upstream credential.
    expect(run.stdout + run.stderr).toMatch(/existing auth\s+src\/index\.js:36: authenticateToken/);
    expect(run.stdout + run.stderr).not.toMatch(/own bearer/);
    expect(await snapshot(root)).toEqual(before);
  }, 60_000);

  it("on a terminal, the question says the check refuses every OAuth token and offers replace first; declining writes nothing", async () => {
    let files: string[] = [];
    const { exitCode, screen } = await drive(
      [
        [/Authorization server\?/, "\r"],
        [/What should happen to it\?/, "\r"],
        [/Write these changes/, `${down}${down}\r`],
      ],
      `add own-bearer-check --no-install --no-check --scopes ${SCOPES}`,
      {
        setup: async (dir) => void (await copyFixture("own-bearer-check", dir)),
        inspect: async (dir) => {
          files = [...(await snapshot(path.join(dir, "own-bearer-check"))).keys()];
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    // The screen without colours and the prompt's left border, as one line.
    const text = screen
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
      .replace(/[│◆◇]/g, " ")
      .replace(/\s+/g, " ");
    expect(text).toMatch(/\(src\/index\.js:36; it refuses every OAuth access token while it is on\)\. What should happen to it\?/);
    // The answer taken with Enter is replace: the summary shows the check's registration going from the user's file.
    expect(text).toMatch(/● Replace it with OAuth/);
    expect(screen).toMatch(/^.*-.*app\.use\(.*authenticateToken/m);
    expect(files.sort()).toEqual(["package.json", "src/index.js"]);
  }, 120_000);

  it("--json: the refusal is one document with exit code 2 and what was detected", async () => {
    const root = await copyFixture("own-bearer-check", path.join(work.dir, "json"));
    const run = await runCli(["add", root, "--yes", "--json", "--scopes", SCOPES]);
    expect(run.exitCode).toBe(2);
    const doc = JSON.parse(run.stdout) as {
      ok: boolean;
      error: string;
      detected: {
        existingAuth: { line: number; switch: string | null; on: string; replaceable: boolean }[];
        authorizationReaders: unknown[];
      };
    };
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatch(
      /^the MCP route has a bearer check of the project's own that OAuth access tokens do not pass: src\/index\.js:36/,
    );
    expect(doc.detected.existingAuth).toEqual([expect.objectContaining({ line: 36, switch: null, on: "always on", replaceable: true })]);
    expect(doc.detected.authorizationReaders).toEqual([]);
  }, 60_000);

  it("--existing-auth keep --dry-run writes nothing and says OAuth clients are refused by the kept check", async () => {
    const root = await copyFixture("own-bearer-check", path.join(work.dir, "kept"));
    const run = await runCli(["add", root, "--dry-run", "--json", "--existing-auth", "keep", "--scopes", SCOPES]);
    expect(run.exitCode, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { existingAuth: string; notes: string[]; diff: string };
    expect(doc.existingAuth).toBe("keep");
    expect(doc.diff).not.toMatch(/^-.*authenticateToken/m);
    expect(doc.notes.join("\n")).toMatch(
      /src\/index\.js:36: authenticateToken .* kept on the MCP route .*OAuth clients are refused by it whenever the server runs/,
    );
  }, 60_000);

  it("--existing-auth replace --yes takes the check off the route, installs, and the self-check passes on the running server", async () => {
    const root = await copyFixture("own-bearer-check", path.join(work.dir, "replaced"));
    const run = await runCli(["add", root, "--yes", "--json", "--no-steps", "--existing-auth", "replace", "--scopes", SCOPES], {
      env: installEnv(),
    });
    const doc = parseDocument(run.stdout, run.stderr);
    const failures = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`);
    expect(failures, run.stderr).toEqual([]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(doc.check?.results.find((r) => r.id === "token.valid")?.status).toBe("pass");
    const code = await readFile(path.join(root, "src/index.js"), "utf8");
    expect(code).not.toMatch(/authenticateToken/);
    expect(code).toMatch(/app\.use\(mcpAuth\(\{ endpoint: "\/mcp" \}\)\);/);
    // The summary shows the change to the user's own file inline.
    expect(run.stderr).toMatch(/~ src\/index\.js\s+\(\+\d+ -\d+\)\n(\s+[-+] .*\n)*\s+- app\.use\("\/mcp", authenticateToken\);/);
  }, 600_000);
});

describe("start-own-auth: notion's shape, the check on unless --unsafe-disable-auth, registered in an if with an else", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeAll(async () => {
    work = await tempDir("cma-add-own-optout-");
    root = await copyFixture("start-own-auth", work.dir);
  });
  afterAll(() => work.cleanup());

  it("--yes --dry-run prints what was detected, then refuses naming the opt-out switch, exit 2, nothing written", async () => {
    const before = await snapshot(root);
    const run = await runCli(["add", root, "--yes", "--dry-run", "--scopes", SCOPES]);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/starts with\s+npm start -- --transport http --port 3000/);
    expect(run.stderr.replace(/\s+/g, " ")).toContain(
      "dist/start-server.js:49 authenticateToken (a bearer check of this project), on unless the server is started with --unsafe-disable-auth (dist/start-server.js:17)",
    );
    expect(run.stderr).toMatch(/--existing-auth replace --yes$/m);
    expect(run.stderr).toMatch(/unless the server is started with --unsafe-disable-auth\):\n {4}.*--existing-auth keep --yes$/m);
    expect(await snapshot(root)).toEqual(before);
  }, 60_000);

  it("--existing-auth replace: the registration goes, a comment keeps the if's block, the unused check goes too", async () => {
    const run = await runCli(["add", root, "--dry-run", "--json", "--existing-auth", "replace", "--scopes", SCOPES]);
    expect(run.exitCode, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { diff: string };
    expect(doc.diff).toMatch(
      /^-\s+app\.use\("\/mcp", authenticateToken\);\n\+\s+\/\/ authenticateToken: replaced on the MCP route by OAuth/m,
    );
    expect(doc.diff).toMatch(/^-\s+const authenticateToken = \(req, res, next\) => \{$/m);
    expect(doc.diff).toMatch(/^ \s+if \(!options\.unsafeDisableAuth\) \{$/m);
    expect(doc.diff).toMatch(/^ \s+\} else \{$/m);
  }, 60_000);

  it("a start command that already passes --unsafe-disable-auth leaves the check off: add --yes proceeds", async () => {
    const off = await copyFixture("start-own-auth", path.join(work.dir, "off"));
    const pkgPath = path.join(off, "package.json");
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { scripts: Record<string, string> };
    pkg.scripts.start = "node dist/start-server.js --transport http --unsafe-disable-auth";
    const { writeFile } = await import("node:fs/promises");
    await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    const run = await runCli(["add", off, "--yes", "--dry-run", "--json", "--scopes", SCOPES]);
    expect(run.exitCode, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { detected: { existingAuth: { on: string }[] } };
    expect(doc.detected.existingAuth[0]?.on).toMatch(
      /on unless the server is started with --unsafe-disable-auth .*, which the start command .* does/,
    );
  }, 60_000);
});
