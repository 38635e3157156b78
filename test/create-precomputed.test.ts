/**
 * The form of add's output the build makes (src/create/precomputed-auth.ts)
 * gives, for every framework x provider and for options unlike the markers
 * it was made with, exactly what add's detection and plan give on the plain
 * tree (src/create/with-auth.ts); it declines what it does not cover; and the
 * built CLI's create uses it without loading add's JavaScript parser.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateFlags, resolveOptions } from "../src/create/options.js";
import { fromPrecomputed, type PrecomputedAuth, precompute } from "../src/create/precomputed-auth.js";
import { type ProjectFile, renderPlain } from "../src/create/render.js";
import { withAuth } from "../src/create/with-auth.js";
import { FRAMEWORKS } from "../src/frameworks.js";
import { PROVIDERS } from "../src/providers.js";
import { cleanEnv, cliBin, tempDir } from "./helpers/cli.js";
import { readForm } from "./helpers/form.js";

const PLAIN = FRAMEWORKS.filter((f) => f.language === "typescript").map((f) => f.name);

/** Options unlike the markers: one scope, three, odd but valid names, another port, an https URL, pnpm and no CI, npm and CI. */
const COVERED: Partial<CreateFlags>[] = [
  { dir: "my-server", scopes: "todo:read,todo:write" },
  { dir: "@acme/notes.server", scopes: "files:read", port: "8080" },
  { dir: "svc_2", scopes: "a:read b.write c/admin", serverUrl: "https://mcp.example.com/tools/mcp", pm: "pnpm", ci: false },
  { dir: "svc_3", scopes: "a:read b.write c/admin", serverUrl: "https://mcp.example.com/tools/mcp" },
];

const shown = (files: ProjectFile[]) => files.map((f) => ({ path: f.path, mode: f.mode, content: f.content.toString("utf8") }));

describe.each(PLAIN.flatMap((framework) => PROVIDERS.map((provider) => [framework, provider.name] as const)))(
  "%s with %s",
  (framework, provider) => {
    let data: PrecomputedAuth;
    beforeAll(async () => {
      data = { cli: "node /the/build/bin/create-mcp-auth.js", projects: {}, plain: { pm: "npm", ci: true } };
      // Made where this test runs: its command is this clone's, replaced like any other.
      const { selfCommand } = await import("../src/core/self-command.js");
      data.cli = selfCommand();
      data.projects[`${framework}/${provider}`] = await precompute(framework, provider);
    }, 120_000);

    it.each(COVERED)(
      "gives what plain + add gives for %j",
      async (flags) => {
        const options = resolveOptions({ framework, provider, yes: true, ...flags }, {}, "/tmp");
        const plain = await renderPlain(options);
        const fast = fromPrecomputed(data, options, plain);
        expect(fast, "the form covers these options").toBeDefined();
        expect(shown(fast!)).toEqual(shown(await withAuth(plain, options)));
      },
      120_000,
    );

    it.each(COVERED)(
      "gives the whole project from the form alone (no plain tree rendered) for %j, when made with its package manager and CI choice",
      async (flags) => {
        const options = resolveOptions({ framework, provider, yes: true, ...flags }, {}, "/tmp");
        const whole = fromPrecomputed(data, options);
        if (options.pm !== "npm" || !options.ci) {
          expect(whole, "the form's plain files were made for npm with CI").toBeUndefined();
          return;
        }
        expect(whole, "the form covers these options").toBeDefined();
        expect(shown(whole!)).toEqual(shown(await withAuth(await renderPlain(options), options)));
      },
      120_000,
    );

    it("declines what it does not cover: a value an encoder would quote, a configured provider, a changed plain file", async () => {
      const quoted = resolveOptions({ framework, provider, yes: true, scopes: "it's:read" }, {}, "/tmp");
      expect(fromPrecomputed(data, quoted, await renderPlain(quoted))).toBeUndefined();
      expect(fromPrecomputed(data, quoted)).toBeUndefined();

      const settings = Object.fromEntries(
        PROVIDERS.find((p) => p.name === provider)!
          .settings.filter((s) => s.required)
          .map((s) => [s.key, s.key.toLowerCase().includes("url") ? "https://auth.example.com" : "res_123"]),
      );
      const configured = resolveOptions({ framework, provider, yes: true, settings }, {}, "/tmp");
      expect(configured.local).toBe(false);
      expect(fromPrecomputed(data, configured, await renderPlain(configured))).toBeUndefined();
      expect(fromPrecomputed(data, configured)).toBeUndefined();

      const options = resolveOptions({ framework, provider, yes: true }, {}, "/tmp");
      const plain = await renderPlain(options);
      const edited = data.projects[`${framework}/${provider}`]!.find((f) => f.before !== undefined)!;
      const changed = plain.map((f) => (f.path === edited.path ? { ...f, content: Buffer.from(`// changed\n${f.content}`) } : f));
      expect(fromPrecomputed(data, options, changed)).toBeUndefined();
    }, 60_000);
  },
);

describe("the built CLI", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-precomputed-");
  });
  afterAll(() => work.cleanup());

  it("ships a form that holds no path of the machine that built it (the CLI's command is a marker there)", async () => {
    const repo = path.resolve(import.meta.dirname, "..");
    // An index, then sections of texts; each project's own section starts with its file list (scripts/build.mjs).
    const { index, sections } = await readForm(path.join(repo, "dist", "create-auth.br"));
    const form = sections.join("\0");
    expect(form.length).toBeGreaterThan(10_000);
    expect(form).not.toContain(repo);
    expect(JSON.stringify(index)).not.toContain(repo);
    expect((index.meta as Partial<PrecomputedAuth>).cli).toMatch(/^cmamark/);
    // Python's forms, in their own file (read only for a Python project), when the build had python3.
    const python = path.join(repo, "dist", "create-auth-python.br");
    if (existsSync(python)) expect((await readForm(python)).sections.join("\0")).not.toContain(repo);
  });

  it("creates a project from the form: add's parser is never loaded", async () => {
    // A module hook that lists every module the CLI loads.
    const loaded = path.join(work.dir, "loaded.txt");
    await writeFile(path.join(work.dir, "loaded.txt"), "");
    await writeFile(
      path.join(work.dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(loaded)}, r.url + "\\n"); return r; }\n`,
    );
    await writeFile(
      path.join(work.dir, "preload.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(`file://${path.join(work.dir, "hooks.mjs")}`)});\n`,
    );
    const result = await execa(
      process.execPath,
      ["--import", path.join(work.dir, "preload.mjs"), cliBin, "proj", "--yes", "--no-install", "--no-git", "--no-check"],
      { cwd: work.dir, env: cleanEnv(), extendEnv: false, reject: false, stdin: "ignore" },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const chunks = [...new Set((await readFile(loaded, "utf8")).split("\n").filter((u) => u.includes("/dist/")))];
    // The hook saw the CLI load (create's project module is in its start-up chunk: test/create-startup.test.ts).
    expect(chunks.some((u) => u.endsWith("/dist/cli.js"))).toBe(true);
    for (const url of chunks) expect(await readFile(new URL(url), "utf8"), url).not.toContain("tsParseTypeArguments");
    expect(await readFile(path.join(work.dir, "proj", "src", "auth", "tool-scopes.ts"), "utf8")).toContain("todo_read");
  }, 60_000);
});
