import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plural } from "../src/core/plural.js";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";
import { drive } from "./helpers/pty.js";

/**
 * Issue 21.3, create's side: the last thing printed is the next steps, every
 * line fits 80 columns (on a terminal's frame and in plain output), counts
 * are pluralized, and --json ends with a newline.
 */
const COLUMNS = 80;
const tooWide = (text: string) => text.split("\n").filter((line) => line.length > COLUMNS);

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-screens-");
});
afterAll(async () => {
  await work.cleanup();
});

const modes: [string, string[]][] = [
  ["local mode", []],
  ["Scalekit", ["--env-url", "https://acme.scalekit.dev", "--resource-id", "res_42", "--server-url", "https://mcp.example.com/mcp"]],
  [
    "OpenID Connect",
    ["--issuer-url", "https://tenant.example.com/", "--audience", "api://tools", "--server-url", "https://mcp.example.com/mcp"],
  ],
];

describe("create's plain output (no terminal)", () => {
  for (const [name, flags] of modes) {
    it(`${name}: within 80 columns, and it ends with the next steps`, async () => {
      const dir = `proj-${name.replace(/\W/g, "").toLowerCase()}`;
      // An absolute target, as scripts and the demo pass it: the screen names it relative to where create ran.
      const { exitCode, stdout, stderr } = await runCli([path.join(work.dir, dir), "--yes", "--no-install", "--no-git", ...flags], {
        cwd: work.dir,
      });
      expect(exitCode, stderr).toBe(0);
      expect(tooWide(stdout), stdout).toEqual([]);
      expect(stdout).toContain(`files to ${dir} (`);
      const lines = stdout.trimEnd().split("\n");
      const title = lines.findIndex((line) => line.startsWith("Next steps: cd "));
      expect(title, stdout).toBeGreaterThan(0);
      // After the title: only the indented steps, then the one closing line.
      expect(
        lines.slice(title + 1, -1).every((line) => line.startsWith("  ")),
        stdout,
      ).toBe(true);
      expect(lines.at(-1)).toBe(`Done. More in ${dir}/README.md`);
    });
  }

  it("--dry-run: the project named relative to where create ran, every line within 80 columns", async () => {
    const target = path.join(work.dir, "long-project-folder-name", "dry-proj");
    const { exitCode, stdout, stderr } = await runCli([target, "--yes", "--dry-run"], { cwd: work.dir });
    expect(exitCode, stderr).toBe(0);
    expect(stdout).toContain("files to long-project-folder-name/dry-proj\n");
    expect(tooWide(stdout), stdout).toEqual([]);
  });

  it("a project outside the working directory is named by its absolute path, not ../../..", async () => {
    const target = path.join(work.dir, "elsewhere");
    await mkdir(path.join(work.dir, "here"), { recursive: true });
    const { exitCode, stdout, stderr } = await runCli([target, "--yes", "--no-install", "--no-git"], {
      cwd: path.join(work.dir, "here"),
    });
    expect(exitCode, stderr).toBe(0);
    expect(stdout).toContain(`Next steps: cd ${target}`);
    expect(stdout).not.toContain("../");
  });

  it("--json: one document on stdout ending with a newline; the human lines on stderr fit 80 columns", async () => {
    // execa, not runCli: its stdout keeps the final newline.
    const { exitCode, stdout, stderr } = await execa(
      process.execPath,
      [cliBin, "json-proj", "--yes", "--no-install", "--no-git", "--json"],
      {
        cwd: work.dir,
        env: cleanEnv(),
        extendEnv: false,
        stdin: "ignore",
        reject: false,
        stripFinalNewline: false,
      },
    );
    expect(exitCode, stderr).toBe(0);
    expect(stdout.endsWith("}\n"), JSON.stringify(stdout.slice(-10))).toBe(true);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, dir: "json-proj" });
    expect(tooWide(stderr), stderr).toEqual([]);
  });

  it("counts are pluralized: 'Kept 1 file of yours that differs', the files listed below it", async () => {
    const root = path.join(work.dir, "kept-proj");
    expect((await runCli([root, "--yes", "--no-install", "--no-git"], { cwd: work.dir })).exitCode).toBe(0);
    await writeFile(path.join(root, "src", "mcp.ts"), `${await readFile(path.join(root, "src", "mcp.ts"), "utf8")}// mine\n`);
    const again = await runCli([root, "--yes", "--force", "--no-install", "--no-git"], { cwd: work.dir });
    expect(again.exitCode, again.stderr).toBe(0);
    const text = again.stdout + again.stderr;
    expect(text).toMatch(/Kept 1 file of yours that differs from what create-mcp-auth writes:\n {2,}src\/mcp\.ts\n/);
    expect(text).not.toMatch(/\(s\)/);
    expect(tooWide(again.stdout)).toEqual([]);
  });

  it("plural()", () => {
    expect([plural(0, "warning"), plural(1, "warning"), plural(2, "warning"), plural(1, "entry", "entries")]).toEqual([
      "0 warnings",
      "1 warning",
      "2 warnings",
      "1 entry",
    ]);
  });
});

describe("create on an 80-column terminal", () => {
  // Every row the frame drew, escape sequences removed; a rewritten row (\r) counts as its own row.
  const rows = (screen: string) =>
    screen
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
      .replace(/\n<<acted>>\n/g, "\n")
      .split(/\r?\n|\r/);

  for (const [name, flags] of modes) {
    it(`${name}: every row of the frame fits, and the last rows are the next steps`, async () => {
      const { exitCode, screen } = await drive([], `frame-proj --yes --no-install --no-git ${flags.join(" ")}`, { cols: COLUMNS });
      expect(exitCode, screen).toBe(0);
      const drawn = rows(screen);
      expect(
        drawn.filter((row) => row.length > COLUMNS),
        screen,
      ).toEqual([]);
      const text = drawn.join("\n").trimEnd();
      expect(text.lastIndexOf("Next steps: cd frame-proj")).toBeGreaterThan(text.lastIndexOf("Self-check"));
      expect(text.split("\n").at(-1)).toMatch(/^└ {2}Done\. More in frame-proj\/README\.md$/);
    });
  }
});
