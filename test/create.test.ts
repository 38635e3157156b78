import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveOptions } from "../src/create/options.js";
import { renderCreatedProject } from "../src/create/project.js";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";

const QUIET = ["--no-install", "--no-git", "--no-check"];

async function readTree(root: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(out, await readTree(root, rel));
    else out[rel] = await readFile(path.join(root, rel), "utf8");
  }
  return out;
}

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await work.cleanup();
});

describe("create (no install)", () => {
  it("--help lists every flag with a CI example", async () => {
    const result = await runCli(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const flag of [
      "--framework",
      "--scopes",
      "--server-url",
      "--port",
      "--env-url",
      "--client-id",
      "--resource-id",
      "--yes",
      "--no-install",
      "--no-git",
      "--no-check",
      "--pm",
      "--force",
      "--dry-run",
      "--json",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("SCALEKIT_CLIENT_SECRET");
    expect(result.stdout).toMatch(/CI \(no TTY/);
    expect(result.stdout).not.toMatch(/--client-secret/);
  });

  it("without a TTY and without --yes, exits 2 naming the flags and writes nothing", async () => {
    const cwd = path.join(work.dir, "nontty");
    await mkdir(cwd);
    const result = await runCli(["my-server"], { cwd });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--framework");
    expect(result.stderr).toContain("--scopes");
    expect(result.stderr).toContain("--yes");
    expect(await readdir(cwd)).toEqual([]);
  });

  it("writes a project with --yes: .env 0600 and ignored, package name from the directory", async () => {
    const result = await runCli(["demo-one", "--yes", ...QUIET], { cwd: work.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const root = path.join(work.dir, "demo-one");
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
    expect(pkg.name).toBe("demo-one");
    // The server verifies tokens with jose and its own key set; it never calls Scalekit's SDK (about 14 MB).
    expect(pkg.dependencies["@scalekit-sdk/node"]).toBeUndefined();
    expect(pkg.dependencies.jose).toBeDefined();
    expect(pkg.dependencies["@modelcontextprotocol/server"]).toBeDefined();
    expect(pkg.dependencies["create-mcp-auth"]).toBeUndefined();
    expect((await stat(path.join(root, ".env"))).mode & 0o777).toBe(0o600);
    const gitignore = await readFile(path.join(root, ".gitignore"), "utf8");
    expect(gitignore.split("\n")).toContain(".env");
    const env = await readFile(path.join(root, ".env"), "utf8");
    expect(env).toContain("SCALEKIT_ENVIRONMENT_URL=http://127.0.0.1:4444");
    expect(env).toContain("SCALEKIT_RESOURCE_ID=res_local");
    expect(existsSync(path.join(root, ".env.example"))).toBe(true);
    expect(existsSync(path.join(root, "_gitignore"))).toBe(false);
    // nothing left over from the atomic write
    expect((await readdir(work.dir)).filter((name) => name.includes("create-mcp-auth-"))).toEqual([]);
  });

  it("is deterministic: the same answers give byte-identical files", async () => {
    const a = path.join(work.dir, "det-a");
    const b = path.join(work.dir, "det-b");
    await mkdir(a);
    await mkdir(b);
    const args = ["same-name", "-f", "express", "-s", "notes:read notes:write", "--port", "4100", "--yes", ...QUIET];
    expect((await runCli(args, { cwd: a })).exitCode).toBe(0);
    expect((await runCli(args, { cwd: b })).exitCode).toBe(0);
    const treeA = await readTree(path.join(a, "same-name"));
    expect(Object.keys(treeA).length).toBeGreaterThan(8);
    expect(await readTree(path.join(b, "same-name"))).toEqual(treeA);
  });

  it("the built CLI (precompiled templates) writes exactly what the source renderer renders", async () => {
    const cwd = path.join(work.dir, "pre");
    await mkdir(cwd);
    const scopes = "a$b{c}*/d'e,todo:read";
    for (const framework of ["express", "fastify", "hono", "fastmcp"]) {
      const name = `pre-${framework}`;
      const result = await runCli([name, "-f", framework, "-s", scopes, "--yes", ...QUIET], { cwd });
      expect(result.exitCode, result.stderr).toBe(0);
      const written = await readTree(path.join(cwd, name));
      const rendered = await renderCreatedProject(resolveOptions({ dir: name, framework, scopes, yes: true }, {}, cwd));
      expect(Object.fromEntries(rendered.map((f) => [f.path, f.content.toString("utf8")]))).toEqual(written);
    }
  });

  it("refuses a non-empty directory unless --force, and leaves it untouched", async () => {
    const root = path.join(work.dir, "busy");
    await mkdir(root);
    await writeFile(path.join(root, "keep.txt"), "mine");
    const refused = await runCli(["busy", "--yes", ...QUIET], { cwd: work.dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/not empty.*--force/s);
    expect(await readdir(root)).toEqual(["keep.txt"]);

    const forced = await runCli(["busy", "--yes", "--force", ...QUIET], { cwd: work.dir });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await readFile(path.join(root, "keep.txt"), "utf8")).toBe("mine");
    expect(existsSync(path.join(root, "package.json"))).toBe(true);
  });

  it('treats a directory holding only .git as empty; "." uses the current directory', async () => {
    const root = path.join(work.dir, "only-git");
    await mkdir(path.join(root, ".git"), { recursive: true });
    const result = await runCli([".", "--yes", ...QUIET], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(await readFile(path.join(root, "package.json"), "utf8")).name).toBe("only-git");
  });

  it("accepts nested and absolute paths, creating parents", async () => {
    const nested = await runCli(["deep/er/nested-one", "--yes", ...QUIET], { cwd: work.dir });
    expect(nested.exitCode, nested.stderr).toBe(0);
    expect(existsSync(path.join(work.dir, "deep/er/nested-one/src"))).toBe(true);
    const absolute = path.join(work.dir, "abs", "abs-one");
    const abs = await runCli([absolute, "--yes", ...QUIET], { cwd: "/" });
    expect(abs.exitCode, abs.stderr).toBe(0);
    expect(existsSync(path.join(absolute, "package.json"))).toBe(true);
  });

  it("--dry-run lists the files and writes nothing; --json is one document on stdout", async () => {
    const result = await runCli(["dry", "--yes", "--dry-run", "--json", ...QUIET], { cwd: work.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.files).toContain("package.json");
    expect(doc.files).toContain(".env");
    expect(doc.files).toContain(".gitignore");
    expect(existsSync(path.join(work.dir, "dry"))).toBe(false);
  });

  it.each([
    [["bad", "--scopes", 'a"b'], /--scopes/],
    [["bad", "--scopes", "x,x"], /twice/],
    [["bad", "--port", "70000"], /--port/],
    [["bad", "--framework", "rails"], /Allowed choices|rails/],
    [["Bad Name"], /"bad-name"/],
    [["bad", "--server-url", "http://mcp.example.com/mcp"], /https/],
    [["bad", "--env-url", "http://acme.scalekit.dev", "--client-id", "skc_1", "--resource-id", "res_1"], /--env-url.*https/s],
    [["bad", "--env-url", "https://acme.scalekit.dev"], /--client-id.*--resource-id|--resource-id/s],
    [["bad", "--resource-id", "nope", "--env-url", "https://a.example", "--client-id", "c"], /res_/],
    [["bad", "--server-url", "https://mcp.example.com/mcp#frag"], /fragment/],
  ])("bad input %j exits 2 with a clear message and writes nothing", async (args, message) => {
    const result = await runCli([...args, "--yes", ...QUIET], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(path.join(work.dir, "bad"))).toBe(false);
  });

  it("with --json, a failure is still one JSON document on stdout", async () => {
    const result = await runCli(["bad", "--scopes", 'a"b', "--yes", "--json", ...QUIET], { cwd: work.dir });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, exitCode: 2, error: expect.stringContaining("--scopes") });
  });

  it("Scalekit mode: credentials from flags and env go to .env, the secret never to output", async () => {
    const secret = 'sk-$ecret"value';
    const result = await runCli(
      [
        "sk-mode",
        "--env-url",
        "https://acme.scalekit.dev/",
        "--client-id",
        "skc_42",
        "--resource-id",
        "res_42",
        "--server-url",
        "https://mcp.example.com/mcp/",
        "--yes",
        "--json",
        ...QUIET,
      ],
      { cwd: work.dir, env: cleanEnv({ SCALEKIT_CLIENT_SECRET: secret }) },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(JSON.parse(result.stdout).mode).toBe("scalekit");
    const env = await readFile(path.join(work.dir, "sk-mode", ".env"), "utf8");
    expect(env).toContain("SCALEKIT_ENVIRONMENT_URL=https://acme.scalekit.dev");
    expect(env).toContain(`SCALEKIT_CLIENT_SECRET='${secret}'`);
    expect(env).toContain("MCP_SERVER_URL=https://mcp.example.com/mcp");
    expect(await readFile(path.join(work.dir, "sk-mode", ".env.example"), "utf8")).not.toContain(secret);
  });

  it("takes answers from environment variables", async () => {
    const result = await runCli(["env-mode", "--yes", "--dry-run", "--json", ...QUIET], {
      cwd: work.dir,
      env: cleanEnv({ SCALEKIT_ENVIRONMENT_URL: "https://e.example", SCALEKIT_CLIENT_ID: "skc_1", SCALEKIT_RESOURCE_ID: "res_1" }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).mode).toBe("scalekit");
  });
});

describe("create: install, git and package managers", () => {
  it("git init by default, next steps in the chosen package manager", async () => {
    const result = await runCli(["pm-pnpm", "--yes", "--pm", "pnpm", "--no-install", "--no-check"], { cwd: work.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(work.dir, "pm-pnpm", ".git"))).toBe(true);
    expect(result.stdout).toContain("pnpm install");
    expect(result.stdout).toContain("pnpm dev");
    expect(result.stdout).not.toContain("npm run dev");
    const readme = await readFile(path.join(work.dir, "pm-pnpm", "README.md"), "utf8");
    expect(readme).toContain("pnpm dev");
  });

  it("takes the package manager from npm_config_user_agent", async () => {
    const result = await runCli(["pm-ua", "--yes", "--no-install", "--no-git", "--no-check"], {
      cwd: work.dir,
      env: cleanEnv({ npm_config_user_agent: "yarn/4.1.0 npm/? node/v20.19.0 linux x64" }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\s*yarn dev\b/m);
  });

  it("a failed install exits 3 and shows the tool output; the written project stays", async () => {
    const result = await runCli(["install-fails", "--yes", "--no-git", "--no-check"], {
      cwd: work.dir,
      env: cleanEnv({
        npm_config_registry: "http://127.0.0.1:9/",
        npm_config_fetch_retries: "0",
        npm_config_cache: path.join(work.dir, "empty-cache"),
      }),
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/npm install failed/);
    expect(result.stderr).toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
    expect(existsSync(path.join(work.dir, "install-fails", "package.json"))).toBe(true);
  });

  it("a package manager that is not installed exits 3 naming it", async () => {
    const result = await runCli(["pm-missing", "--yes", "--pm", "bun", "--no-git", "--no-check"], {
      cwd: work.dir,
      env: cleanEnv({ PATH: path.dirname(process.execPath) === "/usr/bin" ? "/nonexistent" : path.dirname(process.execPath) }),
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/bun is not installed/);
  });
});

describe("package", () => {
  it("the bin shim refuses an old Node.js with a clear message", async () => {
    const { execa } = await import("execa");
    const fake = `data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'18.20.0'}})`;
    const result = await execa(process.execPath, ["--import", fake, cliBin, "--version"], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/needs Node\.js \^20\.19\.0 \|\| >=22\.12\.0/);
  });

  it("npm pack ships the bundle, the bin and the templates, nothing else", async () => {
    const { execa } = await import("execa");
    const { repoRoot } = await import("./helpers/cli.js");
    const result = await execa("npm", ["pack", "--dry-run", "--json"], { cwd: repoRoot });
    const files = (JSON.parse(String(result.stdout)) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/create-mcp-auth.js",
        "dist/cli.js",
        "package.json",
        "README.md",
        "templates/typescript/common/_gitignore",
        "templates/typescript/express/src/server.ts",
        "templates/typescript/auth/src/verifier.ts",
      ]),
    );
    expect(files.filter((f) => /^(src|test|bench|scripts|\.ci)\//.test(f) || f.includes("node_modules"))).toEqual([]);
  });
});
