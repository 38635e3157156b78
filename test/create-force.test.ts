import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli, tempDir } from "./helpers/cli.js";
import { drive } from "./helpers/pty.js";

/**
 * Issue 12.3: --force never destroys. An existing .env is kept (the new
 * values go to .env.new); a file that differs from what this version renders
 * for these answers is the user's: listed, replaced only after an interactive
 * yes, kept with --yes.
 */
const QUIET = ["--no-install", "--no-git", "--no-check"];
const SCALEKIT = [
  "--env-url",
  "https://acme.scalekit.dev",
  "--client-id",
  "skc_1",
  "--resource-id",
  "res_1",
  "--server-url",
  "https://mcp.example.com/mcp",
];

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-force-");
});
afterAll(() => work.cleanup());

async function scaffold(name: string, extra: string[] = [], env: Record<string, string> = {}) {
  const result = await runCli([name, "--yes", "--json", ...QUIET, ...extra], { cwd: work.dir, env: cleanEnv(env) });
  expect(result.exitCode, result.stderr).toBe(0);
  return path.join(work.dir, name);
}

describe("--force into an earlier project", () => {
  it("keeps .env (Scalekit values stay), writes the new values to .env.new, and says so", async () => {
    const root = await scaffold("keep-env", SCALEKIT, { SCALEKIT_CLIENT_SECRET: "sk-secret" });
    const before = await readFile(path.join(root, ".env"), "utf8");
    const again = await runCli(["keep-env", "--yes", "--force", "--json", ...QUIET], { cwd: work.dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await readFile(path.join(root, ".env"), "utf8")).toBe(before);
    expect(parseEnv(await readFile(path.join(root, ".env.new"), "utf8"))).toMatchObject({
      SCALEKIT_ENVIRONMENT_URL: "http://127.0.0.1:4444",
    });
    expect(again.stderr).toMatch(/\.env exists and was kept; the new values are in \.env\.new/);
    expect(JSON.parse(again.stdout)).toMatchObject({ envNew: true });
    const gitignore = await readFile(path.join(root, ".gitignore"), "utf8");
    expect(gitignore.split("\n")).toContain(".env.*");
  });

  it("--yes --force keeps a file the user changed, leaves identical files alone, and names both", async () => {
    const root = await scaffold("edited");
    const tools = path.join(root, "src", "mcp.ts");
    const edited = `${await readFile(tools, "utf8")}\n// my own tool\n`;
    await writeFile(tools, edited);
    const again = await runCli(["edited", "--yes", "--force", "--json", ...QUIET], { cwd: work.dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await readFile(tools, "utf8")).toBe(edited);
    const doc = JSON.parse(again.stdout) as { kept: string[]; unchanged: string[]; files: string[]; envNew: boolean };
    expect(doc.kept).toEqual(["src/mcp.ts"]);
    expect(doc.unchanged).toContain("package.json");
    expect(doc.unchanged).toContain(".env");
    expect(doc.files).toEqual([]);
    expect(doc.envNew).toBe(false);
    expect(again.stderr).toMatch(/Kept 1 file of yours that differs .*:\n\s+src\/mcp\.ts/);
  });

  it("without --yes and without a terminal, existing files that differ are a question: exit 2 listing them, nothing written", async () => {
    const root = await scaffold("ask-me", SCALEKIT);
    const readme = path.join(root, "README.md");
    await writeFile(readme, "mine\n");
    const again = await runCli(["ask-me", "--force", "--framework", "express", "--scopes", "todo:read,todo:write", ...SCALEKIT, ...QUIET], {
      cwd: work.dir,
    });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/differ from what create-mcp-auth would write:\n\s+README\.md/);
    expect(again.stderr).toMatch(/--yes/);
    expect(await readFile(readme, "utf8")).toBe("mine\n");
  });

  it("the same answers again change nothing", async () => {
    const root = await scaffold("same-again");
    const before = await readFile(path.join(root, "src", "mcp.ts"), "utf8");
    const again = await runCli(["same-again", "--yes", "--force", "--json", ...QUIET], { cwd: work.dir });
    const doc = JSON.parse(again.stdout) as { files: string[]; kept: string[] };
    expect(doc).toMatchObject({ files: [], kept: [] });
    expect(await readFile(path.join(root, "src", "mcp.ts"), "utf8")).toBe(before);
  });

  it("other files of the directory are never touched", async () => {
    const root = await scaffold("with-mine");
    await writeFile(path.join(root, "NOTES.md"), "mine");
    const again = await runCli(["with-mine", "--yes", "--force", "-s", "other:scope", ...QUIET], { cwd: work.dir });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await readFile(path.join(root, "NOTES.md"), "utf8")).toBe("mine");
  });
});

describe("--force on a terminal", () => {
  const answers = "--force --framework express --scopes todo:read,todo:write --no-install --no-git --no-check";
  const seed = async (dir: string) => {
    const result = await runCli(["proj", "--yes", ...QUIET], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    await writeFile(path.join(dir, "proj", "README.md"), "mine\n");
    await writeFile(path.join(dir, "proj", ".env"), "SCALEKIT_ENVIRONMENT_URL=https://mine.scalekit.dev\n");
  };

  it("lists the files that would be replaced and replaces them only after a yes; .env is still kept", async () => {
    let readme = "";
    let env = "";
    let envNew = "";
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "proj\r"],
        [/Authorization server/, "\r"],
        [/Replace them\?/, "\x1b[B\r"], // second option: replace
      ],
      answers,
      {
        setup: seed,
        inspect: async (dir) => {
          readme = await readFile(path.join(dir, "proj", "README.md"), "utf8");
          env = await readFile(path.join(dir, "proj", ".env"), "utf8");
          envNew = await readFile(path.join(dir, "proj", ".env.new"), "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(screen).toMatch(
      /These files exist and differ[\s\S]*README\.md[\s\S]*\.env exists too: it is kept either way, the new values go to \.env\.new/,
    );
    expect(readme).toMatch(/^# /);
    expect(env).toBe("SCALEKIT_ENVIRONMENT_URL=https://mine.scalekit.dev\n");
    expect(envNew).toMatch(/SCALEKIT_ENVIRONMENT_URL=http:\/\/127\.0\.0\.1:4444/);
  });

  it("keeping them writes nothing over them", async () => {
    let readme = "";
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "proj\r"],
        [/Authorization server/, "\r"],
        [/Replace them\?/, "\r"], // first option: keep
      ],
      answers,
      {
        setup: seed,
        inspect: async (dir) => {
          readme = await readFile(path.join(dir, "proj", "README.md"), "utf8");
        },
      },
    );
    expect(exitCode, screen).toBe(0);
    expect(readme).toBe("mine\n");
  });

  it("cancel leaves everything as it was and exits 130", async () => {
    let exists = true;
    const { exitCode, screen } = await drive(
      [
        [/Where should the project go/, "proj\r"],
        [/Authorization server/, "\r"],
        [/Replace them\?/, "\x03"],
      ],
      answers,
      {
        setup: seed,
        inspect: async (dir) => {
          exists = existsSync(path.join(dir, "proj", ".env.new"));
        },
      },
    );
    expect(exitCode, screen).toBe(130);
    expect(exists).toBe(false);
  });
});
