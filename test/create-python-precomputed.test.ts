/**
 * Issue 19.3: the form of Python add's output the build makes
 * (src/create/precomputed-auth.ts, `python/<framework>/<provider>`) gives,
 * for every Python framework x provider and for options unlike its markers,
 * exactly what Python add's detection and plan give on the plain tree
 * (src/languages/python/with-auth.ts); it declines what it does not cover;
 * and the built CLI creates a Python project from it without python3.
 */
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateFlags, resolveOptions } from "../src/create/options.js";
import { fromPrecomputed, type PrecomputedAuth, precompute } from "../src/create/precomputed-auth.js";
import { renderCreatedProject } from "../src/create/project.js";
import type { ProjectFile } from "../src/create/render.js";
import { renderPythonPlain } from "../src/languages/python/render.js";
import { withPythonAuth } from "../src/languages/python/with-auth.js";
import { PROVIDERS } from "../src/providers.js";
import { cleanEnv, cliBin, tempDir } from "./helpers/cli.js";

/** Options unlike the markers: one scope, three, another port, an https URL with a longer path, no CI. */
const COVERED: Partial<CreateFlags>[] = [
  { dir: "my-server", scopes: "todo:read,todo:write" },
  { dir: "notes.server", scopes: "files:read", port: "8080" },
  { dir: "svc_2", scopes: "a:read b.write c/admin", serverUrl: "https://mcp.example.com/tools/mcp", ci: false },
];

const shown = (files: ProjectFile[]) => files.map((f) => ({ path: f.path, mode: f.mode, content: f.content.toString("utf8") }));
const cases = ["fastmcp", "fastapi"].flatMap((framework) => PROVIDERS.map((provider) => [framework, provider.name] as const));
const flags = (framework: string, provider: string, more: Partial<CreateFlags> = {}) =>
  ({ language: "python", framework, provider, yes: true, ...more }) as CreateFlags;

describe.each(cases)("python %s with %s", (framework, provider) => {
  let data: PrecomputedAuth;
  beforeAll(async () => {
    const { selfCommand } = await import("../src/core/self-command.js");
    data = {
      cli: selfCommand(),
      projects: { [`python/${framework}/${provider}`]: await precompute(framework, provider, "python") },
      plain: { pm: "npm", ci: true },
    };
  }, 120_000);

  it.each(COVERED)(
    "gives what plain + add gives for %j",
    async (more) => {
      const options = resolveOptions(flags(framework, provider, more), {}, "/tmp");
      const plain = await renderPythonPlain(options);
      const fast = fromPrecomputed(data, options, plain);
      expect(fast, "the form covers these options").toBeDefined();
      expect(shown(fast!)).toEqual(shown(await withPythonAuth(plain, options)));
    },
    60_000,
  );

  it("declines what it does not cover: a value an encoder would quote, a configured provider, a changed plain file", async () => {
    const quoted = resolveOptions(flags(framework, provider, { scopes: "it's:read" }), {}, "/tmp");
    expect(fromPrecomputed(data, quoted, await renderPythonPlain(quoted))).toBeUndefined();

    const settings = Object.fromEntries(
      PROVIDERS.find((p) => p.name === provider)!
        .settings.filter((s) => s.required)
        .map((s) => [s.key, s.key.toLowerCase().includes("url") ? "https://auth.example.com" : "res_123"]),
    );
    const configured = resolveOptions(flags(framework, provider, { settings }), {}, "/tmp");
    expect(configured.local).toBe(false);
    expect(fromPrecomputed(data, configured, await renderPythonPlain(configured))).toBeUndefined();

    const options = resolveOptions(flags(framework, provider), {}, "/tmp");
    const plain = await renderPythonPlain(options);
    const edited = data.projects[`python/${framework}/${provider}`]!.find((f) => f.before !== undefined)!;
    const changed = plain.map((f) => (f.path === edited.path ? { ...f, content: Buffer.from(`# changed\n${f.content}`) } : f));
    expect(fromPrecomputed(data, options, changed)).toBeUndefined();
  }, 60_000);
});

describe("the built CLI", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-pyprecomputed-");
  });
  afterAll(() => work.cleanup());

  it("creates a Python project from the form, with no python3 on PATH, exactly as plain + add", async () => {
    const bin = path.join(work.dir, "empty-bin");
    await mkdir(bin);
    for (const framework of ["fastmcp", "fastapi"]) {
      const dir = `proj-${framework}`;
      const result = await execa(
        process.execPath,
        [cliBin, dir, "--language", "python", "-f", framework, "--yes", "--no-install", "--no-git", "--no-check"],
        { cwd: work.dir, env: cleanEnv({ PATH: bin }), extendEnv: false, reject: false, stdin: "ignore" },
      );
      expect(result.exitCode, String(result.stderr)).toBe(0);
      // From source there is no form: this renders plain + add, reading the code with python3.
      const expected = await renderCreatedProject(resolveOptions(flags(framework, "scalekit", { dir }), {}, work.dir));
      const written = await list(path.join(work.dir, dir));
      expect(written.sort()).toEqual(expected.map((f) => f.path).sort());
      for (const file of expected)
        expect(await readFile(path.join(work.dir, dir, file.path), "utf8"), file.path).toBe(file.content.toString());
    }
  }, 60_000);
});

async function list(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const file = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await list(root, file)));
    else out.push(file);
  }
  return out;
}
