// What add prints: a summary before the question, next steps that work as
// pasted (on the project's own port and start command), within 80 columns.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { nextSteps, wrapCommand } from "../src/add/next-steps.js";
import { runCli, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

async function gitProject(files: Record<string, string>) {
  const work = await tempDir("cma-add-out-");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work.dir, rel)), { recursive: true });
    await writeFile(path.join(work.dir, rel), content);
  }
  const git = (...args: string[]) => execa("git", args, { cwd: work.dir });
  await git("init", "-q");
  await git("add", "-A");
  await git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init");
  return { ...work, git };
}

/** The section of the output after `title`, each line without its two-space note indent. */
function section(out: string, title: RegExp): string[] {
  const lines = out.split("\n");
  const at = lines.findIndex((l) => title.test(l));
  return lines.slice(at + 1).map((l) => l.replace(/^\s{2}/, ""));
}

describe("next steps work as pasted", () => {
  it("a build step and a server on port 3333: the variables go on the start command, the URL has the project's port, and Undo restores the tree", async () => {
    // The start script stands in for the server: it prints the variables it was started with.
    const p = await gitProject({
      "package.json": JSON.stringify({
        name: "ns",
        type: "module",
        scripts: { build: "node build.mjs", start: "node dist/start.mjs" },
        dependencies: { express: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" },
      }),
      "build.mjs":
        'import { mkdirSync, writeFileSync } from "node:fs";\nmkdirSync("dist", { recursive: true });\nwriteFileSync("dist/start.mjs", "console.log(JSON.stringify({ url: process.env.MCP_SERVER_URL, env: process.env.SCALEKIT_ENVIRONMENT_URL }))");\n',
      ".gitignore": "dist/\n",
      "src/index.js": [
        'import express from "express";',
        'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
        "const DEFAULT_PORT = 3333;",
        "const app = express();",
        'app.post("/mcp", async (req, res) => { const t = new StreamableHTTPServerTransport({}); await t.handleRequest(req, res, req.body); });',
        "app.listen(process.env.PORT || DEFAULT_PORT);",
        "",
      ].join("\n"),
    });
    try {
      const run = await runCli(["add", p.dir, "--yes", "--no-install", "--no-check"], { cwd: p.dir });
      expect(run.exitCode, run.stderr).toBe(0);
      const steps = section(run.stdout, /^Next steps/);
      for (const line of steps) expect(line.length, line).toBeLessThanOrEqual(76);
      // The commands after "In another", up to the blank line: pasted into sh as they are.
      const from = steps.findIndex((l) => /^In another/.test(l));
      const commands = steps.slice(from + 1, steps.indexOf("", from)).join("\n");
      expect(commands).toMatch(/^ {2}npm run build\n/);
      const started = await execa("sh", ["-c", commands], { cwd: p.dir, reject: false, env: { PATH: process.env.PATH } });
      expect(started.exitCode, started.stderr).toBe(0);
      expect(JSON.parse(started.stdout.trim().split("\n").pop()!)).toEqual({
        url: "http://localhost:3333/mcp",
        env: "http://127.0.0.1:4444",
      });
      // Undo, as printed, leaves the tree as it was.
      const undo = steps.slice(steps.indexOf("Undo:") + 1).join("\n");
      const undone = await execa("sh", ["-c", undo], { cwd: p.dir, reject: false });
      expect(undone.exitCode, undone.stderr).toBe(0);
      expect((await p.git("status", "--porcelain")).stdout).toBe("");
    } finally {
      await p.cleanup();
    }
  });

  it("nextSteps wraps long commands with backslashes a shell joins back, and uses rm -r for a folder add created whole", () => {
    const files = Array.from({ length: 14 }, (_, i) => `src/auth/file-${i}.js`);
    const lines = nextSteps({
      start: ["node server.js"],
      variables: ["A=1"],
      issuer: "npx create-mcp-auth issuer",
      modified: ["server.js"],
      created: [".env.example", ...files],
      createdDir: "src/auth",
      extra: [],
    });
    expect(lines).toContain("  rm -r src/auth .env.example");
    expect(lines).toContain("  A=1 node server.js");
    const long = wrapCommand(["rm", ...files]);
    expect(long.length).toBeGreaterThan(1);
    for (const line of long) expect(line.length).toBeLessThanOrEqual(72);
    expect(
      long
        .join("\n")
        .replace(/ \\\n\s+/g, " ")
        .trim(),
    ).toBe(`rm ${files.join(" ")}`);
  });
});

describe("refusals say exactly what is unsupported, and what to do", () => {
  it("a node:http server that serves Streamable HTTP (and stdio too) is refused as node:http, not as stdio only", async () => {
    const p = await gitProject({
      "package.json": JSON.stringify({ name: "nh", type: "module", dependencies: { "@modelcontextprotocol/sdk": "^1.32.0" } }),
      "src/index.js": [
        'import { createServer } from "node:http";',
        'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
        'import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";',
        'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
        'const server = new McpServer({ name: "x", version: "1" });',
        'if (process.argv.includes("--stdio")) {',
        "  await server.connect(new StdioServerTransport());",
        "} else {",
        "  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
        "  await server.connect(transport);",
        "  createServer((req, res) => transport.handleRequest(req, res)).listen(3000);",
        "}",
        "",
      ].join("\n"),
    });
    try {
      const run = await runCli(["add", p.dir, "--yes"]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).not.toMatch(/stdio only/);
      expect(run.stderr).toMatch(/serves MCP over Streamable HTTP from a node:http server \(src\/index\.js:11: createServer\(/);
      expect(run.stderr).toMatch(/It also serves stdio \(src\/index\.js:7\)/);
      expect(run.stderr).toMatch(/pass the MCP requests to an Express app/);
      expect(run.stderr).toMatch(/Nothing was written/);
      expect((await p.git("status", "--porcelain")).stdout).toBe("");
    } finally {
      await p.cleanup();
    }
  });

  it("a Next.js route handler is refused by name, with the file", async () => {
    const p = await gitProject({
      "package.json": JSON.stringify({ name: "nx", dependencies: { next: "^15.0.0", "mcp-handler": "^1.0.0" } }),
      "app/api/[transport]/route.ts": [
        'import { createMcpHandler } from "mcp-handler";',
        "const handler = createMcpHandler((server) => {});",
        "export { handler as GET, handler as POST };",
        "",
      ].join("\n"),
      "tsconfig.json": "{}",
    });
    try {
      const run = await runCli(["add", p.dir, "--yes"]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toMatch(/is a Next\.js app: its MCP endpoint is a route handler \(app\/api\/\[transport\]\/route\.ts\)/);
      expect(run.stderr).toMatch(/withMcpAuth/);
      expect((await p.git("status", "--porcelain")).stdout).toBe("");
    } finally {
      await p.cleanup();
    }
  });
});

/** A project whose steps need no dependencies; `node_modules` says they are installed. */
function stepsProject(installed: boolean): Record<string, string> {
  return {
    "package.json": JSON.stringify({
      name: "st",
      type: "module",
      scripts: {
        build: "node -e 0",
        // Red before add, red after: the project's own.
        lint: 'node -e "process.exit(3)"',
        // Green before; red once an auth folder exists: what add breaking a step looks like.
        test: "node -e \"process.exit(require('node:fs').existsSync('src/auth') ? 1 : 0)\"",
      },
      dependencies: { express: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" },
    }),
    "src/index.js": [
      'import express from "express";',
      'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
      "const app = express();",
      'app.post("/mcp", async (req, res) => { const t = new StreamableHTTPServerTransport({}); await t.handleRequest(req, res, req.body); });',
      "app.listen(3000);",
      "",
    ].join("\n"),
    ...(installed ? { ".gitignore": "node_modules\n", "node_modules/.package-lock.json": "{}" } : {}),
  };
}

describe("the project's own steps before and after add (by default)", () => {
  it("a step red before is the project's own; a step add breaks is add's defect (exit 1); both in the table and in --json", async () => {
    const p = await gitProject(stepsProject(true));
    try {
      const run = await runCli(["add", p.dir, "--yes", "--json", "--no-check"], { env: installEnv() });
      expect(run.exitCode, run.stderr).toBe(1);
      const doc = JSON.parse(run.stdout) as { ok: boolean; steps: { name: string; before: string; after: string; verdict: string }[] };
      expect(doc.ok).toBe(false);
      expect(doc.steps.map(({ name, before, after, verdict }) => ({ name, before, after, verdict }))).toEqual([
        { name: "build", before: "pass", after: "pass", verdict: "green" },
        { name: "lint", before: "fail", after: "fail", verdict: "red before add (the project's own)" },
        { name: "test", before: "pass", after: "fail", verdict: "broken by add" },
      ]);
      expect(run.stderr).toMatch(/npm run lint +fail +fail +red before add/);
      expect(run.stderr).toMatch(/npm test +pass +fail +broken by add/);
      expect(run.stderr).toMatch(/npm run lint failed before add too: the project's own, not caused by add/);
      expect(run.stderr).toMatch(/npm test passed before add and fails after it: that is add's defect/);
    } finally {
      await p.cleanup();
    }
  }, 300_000);

  it("a build red before add: the self-check says so and blames nothing on add (no 'Built' before it)", async () => {
    const files = stepsProject(true);
    const pkg = JSON.parse(files["package.json"]!) as { scripts: Record<string, string> };
    pkg.scripts = { build: 'node -e "process.exit(2)"', start: "node src/index.js" };
    const p = await gitProject({ ...files, "package.json": JSON.stringify(pkg) });
    try {
      const run = await runCli(["add", p.dir, "--yes", "--json"], { env: installEnv() });
      expect(run.exitCode, run.stderr).toBe(1);
      const doc = JSON.parse(run.stdout) as { steps: { name: string; verdict: string }[]; check: { error?: string } };
      expect(doc.steps).toEqual([expect.objectContaining({ name: "build", verdict: "red before add (the project's own)" })]);
      expect(doc.check.error).toBe("build failed before add");
      expect(run.stderr).not.toMatch(/✔ Built/);
      expect(run.stderr).not.toMatch(/does not build after add/);
      expect(run.stderr).toMatch(/npm run build failed before add too/);
    } finally {
      await p.cleanup();
    }
  }, 300_000);

  it("--no-steps runs none of them; without the project's dependencies installed (or with --no-install) they are not run, and add says why", async () => {
    for (const [installed, args, why] of [
      [true, ["--no-steps"], undefined],
      [false, [], /its dependencies are not installed \(run npm install first/],
      [true, ["--no-install"], /--no-install leaves add's dependencies uninstalled/],
    ] as const) {
      const p = await gitProject(stepsProject(installed));
      try {
        const run = await runCli(["add", p.dir, "--yes", "--json", "--no-check", "--no-install", ...args]);
        const doc = JSON.parse(run.stdout) as { steps: unknown; stepsSkipped: string | null };
        expect(doc.steps).toBeNull();
        expect(run.stderr).not.toMatch(/Running the project's own steps/);
        if (why) {
          expect(doc.stepsSkipped).toMatch(why);
          expect(run.stderr).toMatch(/The project's own steps \(build, lint, test\) are not run before and after add/);
        } else expect(doc.stepsSkipped).toBeNull();
      } finally {
        await p.cleanup();
      }
    }
  }, 120_000);
});
