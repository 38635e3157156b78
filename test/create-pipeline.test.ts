/**
 * create = plain + add: for every framework with a plain template and every
 * provider, the project `create` writes is byte for byte the plain template
 * secured by `add` (the built CLI, as a user would run it on that plain
 * server); `add` on a created project has nothing to change; no generated
 * test is skipped; the framework is the framework (no foreign adapters).
 */

import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WriteJournal, writeProject } from "../src/core/write.js";
import { resolveOptions } from "../src/create/options.js";
import { renderCreatedProject, toolScopesFor } from "../src/create/project.js";
import { renderPlain, templatesRoot } from "../src/create/render.js";
import { FRAMEWORKS } from "../src/frameworks.js";
import { PROVIDERS, type Provider } from "../src/providers.js";
import { runCli, tempDir } from "./helpers/cli.js";

const SCOPES = "todo:read,todo:write";
const PLAIN = FRAMEWORKS.filter((f) => f.language === "typescript").map((f) => f.name);

/** Every file of a tree (no node_modules, no .git): content, and the mode of .env. */
async function tree(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const visit = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".git") continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path.join(dir, entry.name), rel);
      else {
        const mode = rel === ".env" ? ` (mode ${((await stat(path.join(dir, entry.name))).mode & 0o777).toString(8)})` : "";
        files[rel + mode] = await readFile(path.join(dir, entry.name), "utf8");
      }
    }
  };
  await visit(root, "");
  return files;
}

/** add's flags for the provider's local-issuer values: what create's local mode writes. */
function localFlags(provider: Provider): string[] {
  const flags = ["--provider", provider.name];
  for (const [key, value] of Object.entries(provider.local)) {
    const setting = provider.settings.find((s) => s.key === key)!;
    flags.push(setting.flag!.split(" ")[0]!, value);
  }
  return flags;
}

function parse(stdout: string, stderr: string): { changed: boolean; files: unknown[]; ok: boolean } {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`no JSON document:\n${stdout}\n${stderr}`);
  }
}

/** The command-line tools a generated project's scripts run, by the package that provides them. */
const BINS: Record<string, string[]> = { "@biomejs/biome": ["biome"], typescript: ["tsc"], tsx: ["tsx"], vitest: ["vitest"] };

/**
 * The declared packages nothing of the project uses, and the packages its code
 * imports that it does not declare. Used: imported (import, export from,
 * import(), require) by a .ts file, or run by a script (BINS); `@types/x` when
 * `x` is used (`node` by `node:` imports).
 */
function dependencyProblems(files: Record<string, string>): { unused: string[]; undeclared: string[] } {
  const pkg = JSON.parse(files["package.json"]!) as { dependencies?: object; devDependencies?: object; scripts?: Record<string, string> };
  const declared = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  const imported = new Set<string>();
  for (const [file, code] of Object.entries(files)) {
    if (!file.endsWith(".ts")) continue;
    for (const match of code.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']((?:@[\w.-]+\/)?[\w-][\w.-]*(?:\/[\w./-]*)?|node:[\w/]+)["']/g,
    )) {
      const specifier = match[1]!;
      if (specifier.startsWith("node:")) imported.add("node");
      else imported.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
    }
  }
  const commands = Object.values(pkg.scripts ?? {}).flatMap((script) => script.split(/&&|\|\||;|\|/).map((c) => c.trim().split(/\s+/)[0]));
  const used = (name: string) =>
    imported.has(name) ||
    (BINS[name] ?? []).some((bin) => commands.includes(bin)) ||
    (name.startsWith("@types/") && imported.has(name.slice("@types/".length)));
  return {
    unused: declared.filter((name) => !used(name)),
    undeclared: [...imported].filter((name) => name !== "node" && !declared.includes(name)),
  };
}

it("has a plain template (create = plain + add) for every framework, and no layered templates", () => {
  for (const framework of PLAIN) expect(existsSync(path.join(templatesRoot(), "typescript", framework)), framework).toBe(true);
  for (const old of ["base", "providers", "fastmcp"]) expect(existsSync(path.join(templatesRoot(), old)), old).toBe(false);
});

describe.each(PLAIN.flatMap((framework) => PROVIDERS.map((provider) => [framework, provider] as const)))(
  "%s with %s",
  (framework, provider) => {
    let work: { dir: string; cleanup: () => Promise<void> };
    const created = () => path.join(work.dir, "created", "proj");
    const secured = () => path.join(work.dir, "secured", "proj");
    beforeAll(async () => {
      work = await tempDir(`cma-pipeline-${framework}-`);
    });
    afterAll(() => work.cleanup());

    it("create writes exactly the plain template plus what add writes into it", async () => {
      const create = await runCli([
        created(),
        "--framework",
        framework,
        "--provider",
        provider.name,
        "--scopes",
        SCOPES,
        "--yes",
        "--no-install",
        "--no-git",
        "--no-check",
        "--json",
      ]);
      expect(create.exitCode, create.stderr).toBe(0);

      const options = resolveOptions({ dir: secured(), framework, provider: provider.name, scopes: SCOPES, yes: true } as never, {}, "/");
      const plain = await renderPlain(options);
      await writeProject(secured(), plain, new WriteJournal(secured()));
      const toolScopes = Object.entries(toolScopesFor(SCOPES.split(",")))
        .map(([tool, scopes]) => `${tool}=${scopes.join(" ")}`)
        .join(",");
      const add = await runCli([
        "add",
        secured(),
        "--yes",
        "--no-install",
        "--no-check",
        "--json",
        "--scopes",
        toolScopes,
        "--server-url",
        options.serverUrl,
        ...localFlags(provider),
      ]);
      expect(add.exitCode, add.stderr).toBe(0);
      expect(parse(add.stdout, add.stderr).changed).toBe(true);

      const [a, b] = [await tree(created()), await tree(secured())];
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const file of Object.keys(a)) expect(a[file], file).toBe(b[file]);
    }, 120_000);

    it("declares every package its code imports, and none that its code, tests and scripts do not use (plain and created)", async () => {
      const options = resolveOptions({ dir: "deps", framework, provider: provider.name, scopes: SCOPES, yes: true } as never, {}, "/tmp");
      const plain = Object.fromEntries((await renderPlain(options)).map((f) => [f.path, f.content.toString("utf8")]));
      expect(dependencyProblems(plain), "the plain server").toEqual({ unused: [], undeclared: [] });
      expect(dependencyProblems(await tree(created())), "the created project").toEqual({ unused: [], undeclared: [] });
    });

    it("add on the created project has nothing to change", async () => {
      const run = await runCli(["add", created(), "--yes", "--no-install", "--no-check", "--json", "--provider", provider.name]);
      expect(run.exitCode, run.stderr).toBe(0);
      const doc = parse(run.stdout, run.stderr);
      expect(doc.changed, run.stderr).toBe(false);
      expect(doc.files).toEqual([]);
      expect(run.stderr).toMatch(/Nothing to change/);
    }, 120_000);

    it("skips none of its own tests, and carries no other framework's adapter", async () => {
      const files = await tree(created());
      const tests = Object.keys(files).filter((f) => f.startsWith("test/"));
      expect(tests.length).toBeGreaterThan(0);
      for (const file of tests) expect(files[file], file).not.toMatch(/\.(skip|skipIf|runIf|todo)\b|servesModernEra/);
      const all = Object.values(files).join("\n");
      if (framework !== "hono") expect(all).not.toContain("@hono/node-server");
      if (framework === "fastify") expect(all).not.toMatch(/\bhijack\b/);
      expect(Object.keys(files)).not.toContain("test/eras.ts");
    });
  },
);

describe("every framework", () => {
  for (const { name: framework, language } of FRAMEWORKS) {
    it(`${framework} (${language}): no test of the generated project is skipped for the protocol era (no eras.ts flag)`, async () => {
      const options = resolveOptions({ dir: `eras-${framework}`, framework, language, scopes: SCOPES, yes: true } as never, {}, "/tmp");
      const files = await renderCreatedProject(options);
      expect(files.map((f) => f.path)).not.toContain("test/eras.ts");
      for (const file of files.filter((f) => f.path.startsWith("test/")))
        expect(file.content.toString("utf8"), file.path).not.toMatch(/servesModernEra|\.skip\(|\.todo\(/);
    });
  }
});
