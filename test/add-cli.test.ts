import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyFixture, parseDocument, snapshot } from "./add-suite.js";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";

// The command's contract without installs: questions and flags, exit codes,
// --json, .env handling, the manual fallback, the terminal.
describe("add: flags, questions, exit codes, files", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    work = await tempDir("cma-add-cli-");
    root = await copyFixture("express-cjs", work.dir);
  });
  afterEach(() => work.cleanup());

  it("without a terminal and without --yes, exits 2 naming the flags that answer the questions, and writes nothing", async () => {
    const before = await snapshot(root);
    const run = await runCli(["add", root]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/no terminal to ask questions on/);
    expect(run.stderr).toMatch(/--provider scalekit with --env-url, --client-id, --resource-id/);
    expect(run.stderr).toMatch(/--scopes tool=scope/);
    expect(run.stderr).toMatch(/--yes to write the changes/);
    const json = await runCli(["add", root, "--json"]);
    expect(parseDocument(json.stdout, json.stderr)).toMatchObject({ ok: false, exitCode: 2 });
    expect(await snapshot(root)).toEqual(before);
  });

  it("bad flag values exit 2, every problem named at once", async () => {
    const run = await runCli(["add", root, "--yes", "--scopes", "todo:read", "--env-url", "ftp://x", "--endpoint", "mcp"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--endpoint: the endpoint must be a path starting with \//);
    const again = await runCli(["add", root, "--yes", "--scopes", "todo:read", "--env-url", "ftp://x"]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/--env-url: .*https/);
    expect(again.stderr).toMatch(/--resource-id: .*missing/);
    expect(again.stderr).toMatch(/--scopes: "todo:read" is not tool=scope/);
  });

  it("--provider oidc writes the oidc variables and the oidc core (discovery, no Scalekit client)", async () => {
    const run = await runCli([
      "add",
      root,
      "--dry-run",
      "--provider",
      "oidc",
      "--issuer-url",
      "https://auth.example.com",
      "--audience",
      "api://weather",
      "--audience",
      "https://weather.example.com",
      "--scopes",
      "get_alerts=weather:alerts",
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\+OIDC_ISSUER_URL=/m);
    expect(run.stdout).toMatch(/^\+\+\+ b\/auth\/discovery\.js$/m);
    expect(run.stdout).not.toMatch(/^\+\+\+ b\/auth\/scalekit\.js$/m);
    expect(run.stdout).not.toMatch(/SCALEKIT_/);
    // Values given: .env gets them, the audiences joined with a comma.
    expect(run.stdout).toMatch(/^\+OIDC_ISSUER_URL=https:\/\/auth\.example\.com$/m);
    expect(run.stdout).toMatch(/^\+OIDC_AUDIENCE=api:\/\/weather,https:\/\/weather\.example\.com$/m);
    // From the environment, as with every other provider value.
    const fromEnv = await runCli(["add", root, "--dry-run", "--provider", "oidc", "--scopes", "get_alerts=weather:alerts"], {
      env: cleanEnv({ OIDC_ISSUER_URL: "https://env.example.com", OIDC_AUDIENCE: "a1, a2" }),
    });
    expect(fromEnv.exitCode, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toMatch(/^\+OIDC_ISSUER_URL=https:\/\/env\.example\.com$/m);
    expect(fromEnv.stdout).toMatch(/^\+OIDC_AUDIENCE=a1,a2$/m);
    const bad = await runCli([
      "add",
      root,
      "--dry-run",
      "--provider",
      "oidc",
      "--issuer-url",
      "http://auth.example.com",
      "--audience",
      "a b",
    ]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--issuer-url: .*https/);
    expect(bad.stderr).toMatch(/--audience: audience "a b"/);
  });

  it("warns when the git tree has uncommitted changes", async () => {
    await writeFile(path.join(root, "notes.txt"), "work in progress\n");
    const run = await runCli(["add", root, "--dry-run"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/uncommitted changes: commit or stash them first/);
  });

  it("with values given, writes .env (mode 0600, in .gitignore) and appends to an existing .env.example, keeping its lines", async () => {
    const example = "# The weather API\nWEATHER_API_KEY=\n";
    await writeFile(path.join(root, ".env.example"), example);
    await execa("git", ["add", "-A"], { cwd: root });
    await execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "example"], { cwd: root });
    const run = await runCli(
      [
        "add",
        root,
        "--yes",
        "--json",
        "--no-install",
        "--no-check",
        "--scopes",
        "get_alerts=weather:alerts",
        "--env-url",
        "https://acme.scalekit.dev",
        "--client-id",
        "skc_1",
        "--resource-id",
        "res_1",
        "--server-url",
        "https://mcp.example.com/mcp",
      ],
      { env: cleanEnv({ SCALEKIT_CLIENT_SECRET: "s3cr'et" }) },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const doc = parseDocument(run.stdout, run.stderr);
    expect(doc.files.map((f) => f.path)).toEqual(expect.arrayContaining([".env", ".gitignore", ".env.example"]));
    const env = await readFile(path.join(root, ".env"), "utf8");
    expect(env).toContain("SCALEKIT_ENVIRONMENT_URL=https://acme.scalekit.dev");
    expect(env).toContain("SCALEKIT_CLIENT_SECRET=`s3cr'et`"); // backticks: the quote its value lacks (src/core/literals.ts)
    expect(env).toContain("MCP_SERVER_URL=https://mcp.example.com/mcp");
    expect((await stat(path.join(root, ".env"))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(root, ".gitignore"), "utf8")).toBe(".env\n");
    const check = await execa("git", ["check-ignore", "-q", ".env"], { cwd: root, reject: false });
    expect(check.exitCode).toBe(0);
    const exampleAfter = await readFile(path.join(root, ".env.example"), "utf8");
    expect(exampleAfter.startsWith(example)).toBe(true);
    expect(exampleAfter).toContain("SCALEKIT_ENVIRONMENT_URL=https://your-env.scalekit.dev");
    expect(exampleAfter).not.toContain("s3cr");
  });

  it("where the app cannot be edited safely: the entry is left unchanged, the exact lines are printed, exit 1", async () => {
    const server = path.join(root, "server.js");
    const code = (await readFile(server, "utf8")).replace("const app = express();\n", 'const app = express(); app.disable("etag");\n');
    await writeFile(server, code);
    const run = await runCli(["add", root, "--yes", "--json", "--no-install", "--scopes", "get_alerts=weather:alerts"]);
    expect(run.exitCode).toBe(1);
    const doc = parseDocument(run.stdout, run.stderr);
    expect(doc.ok).toBe(false);
    expect(doc.files.map((f) => f.path)).not.toContain("server.js");
    expect(await readFile(server, "utf8")).toBe(code);
    expect(run.stderr).toContain("const { mcpAuth } = require('./auth/express.js');");
    expect(run.stderr).toContain("app.use(mcpAuth({ endpoint: '/mcp' }));");
    expect(run.stderr).toMatch(/right after `const app = express\(\)` \(line 38\), before the MCP route/);
    expect(run.stderr).toMatch(/Self-check skipped: the auth step is not wired in yet/);
  });
});

type Step = [waitFor: RegExp, keys: string];

/** Runs add on a real pseudo-terminal (util-linux `script`), typing keys when text appears. */
async function drive(cwd: string, args: string, steps: Step[]) {
  const child = execa("script", ["-qefc", `stty cols 120 rows 50; ${process.execPath} ${cliBin} ${args}`, "/dev/null"], {
    cwd,
    reject: false,
    env: cleanEnv({ TERM: "xterm-256color" }),
    extendEnv: false,
    timeout: 60_000,
  });
  let screen = "";
  let since = "";
  let next = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    since += chunk.toString();
    const step = steps[next];
    if (step?.[0].test(since)) {
      next++;
      since = "";
      child.stdin!.write(step[1]);
    }
  });
  const result = await child;
  return { exitCode: result.exitCode, screen, reached: next };
}

describe("add on a terminal", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeEach(async () => {
    work = await tempDir("cma-add-pty-");
    root = await copyFixture("express-cjs", work.dir);
  });
  afterEach(() => work.cleanup());

  const flags = "--no-install --no-check --scopes get_alerts=weather:alerts --provider scalekit";

  it("shows a summary (the lines changed in the project's own files inline, not the new files' text) and asks; Ctrl-C at the question exits 130 and writes nothing", async () => {
    const before = await snapshot(root);
    const { exitCode, screen, reached } = await drive(root, `add . ${flags}`, [
      [/Authorization server\?/, "\r"],
      [/Write these changes/, "\x03"],
    ]);
    expect(reached, screen).toBe(2);
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/~ server\.js {2}\(\+\d+ -0\)/);
    expect(screen).toContain("+ app.use(mcpAuth({ endpoint: '/mcp' }));");
    expect(screen).toMatch(/\+ auth\/ {2}\(\d+ new files, \d+ lines: the auth code\)/);
    expect(screen).not.toContain("+++ b/auth/mcp-auth.js");
    expect(await snapshot(root)).toEqual(before);
  });

  it("the full diff is a choice at the question; after it, the question again", async () => {
    const { exitCode, screen, reached } = await drive(root, `add . ${flags}`, [
      [/Authorization server\?/, "\r"],
      [/Show the full diff first/, "\x1b[B\r"],
      [/Write these changes/, "y\r"],
    ]);
    expect(reached, screen).toBe(3);
    expect(exitCode, screen).toBe(0);
    expect(screen).toContain("+++ b/auth/mcp-auth.js");
    expect(await readFile(path.join(root, "server.js"), "utf8")).toContain("app.use(mcpAuth({ endpoint: '/mcp' }));");
  });

  it("--diff prints the full diff before the summary", async () => {
    const run = await runCli(["add", root, "--yes", "--diff", "--no-install", "--no-check", "--scopes", "get_alerts=weather:alerts"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain("+++ b/auth/mcp-auth.js");
    expect(run.stdout.indexOf("+++ b/server.js")).toBeLessThan(run.stdout.indexOf("~ server.js"));
    const other = await copyFixture("express-cjs", path.join(work.dir, "plain"));
    const plain = await runCli(["add", other, "--yes", "--no-install", "--no-check", "--scopes", "get_alerts=weather:alerts"]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain("~ server.js");
    expect(plain.stdout).not.toContain("+++ b/");
  });

  it("writes when the answer is yes", async () => {
    const { exitCode, screen } = await drive(root, `add . ${flags}`, [
      [/Authorization server\?/, "\r"],
      [/Write these changes/, "y\r"],
    ]);
    expect(exitCode, screen).toBe(0);
    expect(await readFile(path.join(root, "server.js"), "utf8")).toContain("app.use(mcpAuth({ endpoint: '/mcp' }));");
  });
});
