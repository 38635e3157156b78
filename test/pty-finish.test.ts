import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shWord } from "../src/core/literals.js";
import { curlLines } from "../src/create/finish.js";
import { startIssuer } from "../src/issuer/index.js";
import { startProjectServer } from "../src/selfcheck.js";
import { cliBin, npmCacheDir, tempDir } from "./helpers/cli.js";

/**
 * Issue 13.6: the finish line, as a terminal shows it. `create` runs in tmux
 * (80x24, a real terminal emulator), installs for real (shared npm cache)
 * and runs its self-check; the captured screen must hold one summary line
 * for the check (no checklist), the commands to run, mint a token, call a
 * tool and connect each client, and close the frame, all within one page.
 */
const COLS = 80;
const ROWS = 24;

let work: { dir: string; cleanup: () => Promise<void> };
const socket = `cma-finish-${process.pid}`;

beforeAll(async () => {
  work = await tempDir("cma-finish-");
});
afterAll(async () => {
  await execa("tmux", ["-L", socket, "kill-server"], { reject: false });
  await work.cleanup();
});

/** Runs the CLI in a fresh 80x24 tmux window until it exits; returns every row it showed (scrollback included) and the exit code. */
async function onScreen(args: string[], env: Record<string, string>): Promise<{ rows: string[]; exitCode: number }> {
  const assignments = Object.entries({ PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: "xterm-256color", ...env }).map(
    ([k, v]) => `${k}=${shWord(v)}`,
  );
  const command = `cd ${shWord(work.dir)} && env -i ${assignments.join(" ")} ${shWord(process.execPath)} ${shWord(cliBin)} ${args.map(shWord).join(" ")}; echo "EXIT:$?"; sleep 600`;
  const name = `s${Math.random().toString(36).slice(2, 8)}`;
  await execa("tmux", ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", String(COLS), "-y", String(ROWS), command]);
  await execa("tmux", ["-L", socket, "set-option", "-t", name, "history-limit", "5000"]);
  const deadline = Date.now() + 240_000;
  for (;;) {
    const { stdout } = await execa("tmux", ["-L", socket, "capture-pane", "-p", "-t", name, "-S", "-"]);
    const match = /EXIT:(\d+)/.exec(stdout);
    if (match) {
      await execa("tmux", ["-L", socket, "kill-session", "-t", name], { reject: false });
      const rows = stdout.split("\n");
      return {
        rows: rows.slice(
          0,
          rows.findIndex((r) => r.startsWith("EXIT:")),
        ),
        exitCode: Number(match[1]),
      };
    }
    if (Date.now() > deadline) throw new Error(`create did not finish:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The rows from the first status line to the last, which must fit one page with the shell prompt below. */
function finishLine(rows: string[]): string[] {
  const first = rows.findIndex((r) => /Wrote \d+ files/.test(r));
  let last = rows.length - 1;
  while (last > 0 && rows[last]!.trim() === "") last--;
  return rows.slice(first, last + 1);
}

const installEnv = {
  npm_config_cache: npmCacheDir,
  npm_config_prefer_offline: "true",
  npm_config_fund: "false",
  npm_config_audit: "false",
  npm_config_update_notifier: "false",
};

describe("the final screen (tmux, 80x24)", () => {
  let localRows: string[] = [];
  let localExit = -1;

  beforeAll(async () => {
    ({ rows: localRows, exitCode: localExit } = await onScreen(["local-proj", "--yes", "--framework", "express"], installEnv));
  }, 300_000);

  it("local mode: a one-line self-check summary, the commands, and a closed frame, within one page", () => {
    expect(localExit, localRows.join("\n")).toBe(0);
    const page = finishLine(localRows);
    const text = page.join("\n");
    // Within one page: the rows (wrapped lines count twice) and the shell prompt after them.
    expect(page.length, text).toBeLessThanOrEqual(ROWS - 1);
    expect(text).toMatch(/Git: a new repository, first commit/);
    expect(text).toMatch(/◇ {2}Self-check passed: \d+ passed, 0 failed/);
    // One progress line, then the summary: no checklist rows.
    expect(text).not.toMatch(/✔ /);
    expect(text).not.toMatch(/Checking http/);
    for (const command of [
      "npm run issuer",
      "npm run dev",
      "TOKEN=$(npm run -s token)",
      'curl -s http://localhost:3000/mcp -H "Authorization: Bearer $TOKEN"',
      "claude mcp add --transport http local-proj http://localhost:3000/mcp",
      `code --add-mcp '{"name":"local-proj","type":"http",\n│    "url":"http://localhost:3000/mcp"}'`,
      'Cursor, in .cursor/mcp.json:\n│    {"mcpServers":{"local-proj":{"url":"http://localhost:3000/mcp"}}}',
      "npx @modelcontextprotocol/inspector",
      "Node 22.19+",
    ]) {
      expect(text).toContain(command);
    }
    expect(text).toMatch(/Next steps: cd local-proj/);
    expect(page.at(-1)).toMatch(/^└ {2}Done/);
  });

  it("Scalekit mode: the dashboard registration step with the exact server URL, still one page", async () => {
    // The second project reuses the first one's dependencies: its "npm" links them.
    const fakeBin = path.join(work.dir, "fake-bin");
    await mkdir(fakeBin, { recursive: true });
    await writeFile(
      path.join(fakeBin, "npm"),
      `#!/bin/sh\nln -s ${shWord(path.join(work.dir, "local-proj", "node_modules"))} node_modules\n`,
    );
    await chmod(path.join(fakeBin, "npm"), 0o755);
    const { rows, exitCode } = await onScreen(
      [
        "sk-proj",
        "--yes",
        "--no-git",
        "--env-url",
        "https://acme.scalekit.dev",
        "--resource-id",
        "res_42",
        "--server-url",
        "https://mcp.example.com/mcp",
      ],
      { PATH: `${fakeBin}:${process.env.PATH}` },
    );
    const page = finishLine(rows);
    const text = page.join("\n");
    expect(exitCode, rows.join("\n")).toBe(0);
    expect(page.length, text).toBeLessThanOrEqual(ROWS - 1);
    expect(text).toMatch(/Register it: Scalekit dashboard > MCP Servers > Add, server URL\n│ {4}https:\/\/mcp\.example\.com\/mcp\n/);
    expect(text).toMatch(/Self-check passed/);
    expect(text).not.toContain("npm run issuer");
    expect(text).toContain("claude mcp add --transport http sk-proj https://mcp.example.com/mcp");
  });

  it("--verbose: the full checklist, inside the frame", async () => {
    const { rows, exitCode } = await onScreen(["verbose-proj", "--yes", "--no-git", "--verbose"], {
      PATH: `${path.join(work.dir, "fake-bin")}:${process.env.PATH}`,
    });
    expect(exitCode, rows.join("\n")).toBe(0);
    const checklist = rows.filter((r) => /^│ {2}✔ /.test(r));
    expect(checklist.length).toBeGreaterThan(20);
    expect(rows.join("\n")).toMatch(/Self-check passed/);
  });

  it("the curl line of the screen calls a tool on the generated server", async () => {
    const root = path.join(work.dir, "local-proj");
    const issuer = await startIssuer({ port: 0, quiet: true });
    const server = await startProjectServer(root, issuer);
    try {
      await server.ready();
      const token = await issuer.mint({ audience: [issuer.resourceId, server.url] });
      const script = curlLines(server.url).join("\n");
      // Not execFileSync: the issuer runs in this process and must answer the server's key fetch meanwhile.
      const out = String((await execa("sh", ["-c", script], { env: { TOKEN: token } })).stdout);
      expect(out, out).toMatch(/"result"/);
      expect(out).toMatch(/subject/);
    } finally {
      await server.stop();
      await issuer.close();
    }
  });
});
