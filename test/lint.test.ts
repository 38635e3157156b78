/**
 * The generated project is formatted and linted as this repo is: one Biome
 * configuration (templates/typescript/common/_biome.json, the project's biome.json), which
 * the repo's own biome.json extends. Every framework with every provider is
 * rendered by the built CLI and must come out clean under it.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli, tempDir } from "./helpers/cli.js";

const BIOME = path.join(repoRoot, "node_modules", ".bin", "biome");
const FRAMEWORKS = ["express", "fastify", "hono", "fastmcp"] as const;
const PROVIDERS = [
  { name: "scalekit", flags: ["--env-url", "https://acme.scalekit.dev", "--resource-id", "res_123"] },
  { name: "oidc", flags: ["--issuer-url", "https://auth.example.com"] },
] as const;

interface Diagnostic {
  category: string;
  location: { path: string };
}

async function biomeCheck(dir: string): Promise<{ exitCode: number; diagnostics: Diagnostic[] }> {
  const run = await execa(BIOME, ["check", "--reporter=json", "--max-diagnostics=none", "."], { cwd: dir, reject: false });
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return { exitCode: run.exitCode ?? -1, diagnostics: report.diagnostics };
}

describe("the generated project is clean under the Biome configuration it ships", () => {
  it("the repo's biome.json extends the template's and changes neither formatting nor lint rules", async () => {
    const repo = JSON.parse(await readFile(path.join(repoRoot, "biome.json"), "utf8"));
    const template = JSON.parse(await readFile(path.join(repoRoot, "templates/typescript/common/_biome.json"), "utf8"));
    expect(repo.extends).toEqual(["./templates/typescript/common/_biome.json"]);
    expect(Object.keys(repo).sort()).toEqual(["$schema", "extends", "files", "vcs"]);
    expect(template.$schema).toBe(repo.$schema);
    expect(template.formatter.enabled).toBe(true);
    expect(template.linter.rules.preset).toBe("recommended");
    const pinned = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")).devDependencies["@biomejs/biome"];
    const deps = JSON.parse(await readFile(path.join(repoRoot, "templates/typescript/common/deps.json"), "utf8"));
    expect(deps.devDependencies["@biomejs/biome"]).toBe(pinned);
    expect(template.$schema).toBe(`https://biomejs.dev/schemas/${pinned}/schema.json`);
    expect(deps.scripts.lint).toBe("biome check .");
  });

  for (const framework of FRAMEWORKS) {
    for (const provider of PROVIDERS) {
      it(`${framework} with ${provider.name}: no format change, no lint finding`, async () => {
        const { dir, cleanup } = await tempDir("cma-lint-");
        try {
          const created = await runCli(
            [
              "create",
              "proj",
              "-f",
              framework,
              "--provider",
              provider.name,
              ...provider.flags,
              "--yes",
              "--no-install",
              "--no-git",
              "--no-check",
            ],
            { cwd: dir },
          );
          expect(created.exitCode, created.stderr).toBe(0);
          const project = path.join(dir, "proj");
          expect(JSON.parse(await readFile(path.join(project, "biome.json"), "utf8"))).toEqual(
            JSON.parse(await readFile(path.join(repoRoot, "templates/typescript/common/_biome.json"), "utf8")),
          );
          const { exitCode, diagnostics } = await biomeCheck(project);
          expect(diagnostics.map((d) => `${d.location.path}: ${d.category}`)).toEqual([]);
          expect(exitCode).toBe(0);
        } finally {
          await cleanup();
        }
      });
    }
  }

  it("fails on a badly formatted file (the check can fail)", async () => {
    const { dir, cleanup } = await tempDir("cma-lint-");
    try {
      const created = await runCli(["create", "proj", "-f", "hono", "--yes", "--no-install", "--no-git", "--no-check"], { cwd: dir });
      expect(created.exitCode, created.stderr).toBe(0);
      const project = path.join(dir, "proj");
      await writeFile(path.join(project, "src", "extra.ts"), "export const x = 'single'\n");
      const { exitCode, diagnostics } = await biomeCheck(project);
      expect(exitCode).not.toBe(0);
      expect(diagnostics.map((d) => `${d.location.path}: ${d.category}`)).toContain("src/extra.ts: format");
    } finally {
      await cleanup();
    }
  });
});
