/**
 * Issue 19.2: a Python project `create` writes is the plain template plus
 * exactly what `add --yes` writes into it. For every Python framework x
 * provider, in local mode and with the provider configured, the built CLI
 * creates a project, and separately writes the plain template and runs
 * `add --yes` on it: the two trees are identical, byte for byte and mode for
 * mode. `add` on the created project then has nothing to change.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolScopesFor } from "../src/create/context.js";
import { resolveOptions } from "../src/create/options.js";
import { renderPythonPlain } from "../src/languages/python/render.js";
import { PROVIDERS } from "../src/providers.js";
import { runCli, tempDir } from "./helpers/cli.js";

const SCOPES = "todo:read,todo:write";
/** The provider's settings as flags, for a configured (not local) project. */
const CONFIGURED: Record<string, string[]> = {
  scalekit: ["--env-url", "https://acme.scalekit.dev", "--resource-id", "res_123"],
  oidc: ["--issuer-url", "https://auth.example.com", "--audience", "https://mcp.example.com/mcp"],
};

function tree(root: string, rel = ""): Map<string, { mode: number; content: string }> {
  const out = new Map<string, { mode: number; content: string }>();
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const file = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of tree(root, file)) out.set(k, v);
    else out.set(file, { mode: statSync(path.join(root, file)).mode & 0o777, content: readFileSync(path.join(root, file), "utf8") });
  }
  return out;
}

const cases = ["fastmcp", "fastapi"].flatMap((framework) =>
  PROVIDERS.flatMap((provider) => [
    { framework, provider: provider.name, configured: false },
    { framework, provider: provider.name, configured: true },
  ]),
);

describe("python: create = the plain template + add --yes", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-pyadd-");
  });
  afterAll(() => work.cleanup());

  it.each(cases)(
    "$framework with $provider (configured: $configured): identical trees; add again changes nothing",
    async (c) => {
      const name = `srv-${c.framework}-${c.provider}${c.configured ? "-conf" : ""}`;
      const settings = c.configured ? (CONFIGURED[c.provider] as string[]) : [];
      const created = path.join(work.dir, "created", name);
      const made = await runCli([
        created,
        "--language",
        "python",
        "-f",
        c.framework,
        "--provider",
        c.provider,
        ...settings,
        "--scopes",
        SCOPES,
        "--yes",
        "--no-install",
        "--no-git",
        "--no-check",
      ]);
      expect(made.exitCode, made.stderr).toBe(0);

      // The plain template, then add --yes on it, as a user would.
      const plainRoot = path.join(work.dir, "plain", name);
      const options = resolveOptions(
        { dir: name, language: "python", framework: c.framework, provider: c.provider, scopes: SCOPES, yes: true },
        {},
        path.dirname(plainRoot),
      );
      for (const file of await renderPythonPlain(options)) {
        await mkdir(path.dirname(path.join(plainRoot, file.path)), { recursive: true });
        await writeFile(path.join(plainRoot, file.path), file.content, { mode: file.mode });
      }
      const toolScopes = Object.entries(toolScopesFor(SCOPES.split(",")))
        .map(([tool, scopes]) => `${tool}=${scopes.join(" ")}`)
        .join(",");
      const added = await runCli([
        "add",
        plainRoot,
        "--provider",
        c.provider,
        ...settings,
        "--scopes",
        toolScopes,
        "--yes",
        "--no-install",
        "--no-check",
      ]);
      expect(added.exitCode, added.stderr).toBe(0);
      const mine = tree(created);
      const theirs = tree(plainRoot);
      expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [file, value] of mine) expect(value, file).toEqual(theirs.get(file));

      // add on the created project: nothing to change, nothing written.
      const again = await runCli([
        "add",
        created,
        "--provider",
        c.provider,
        ...settings,
        "--scopes",
        toolScopes,
        "--yes",
        "--no-install",
        "--no-check",
        "--json",
      ]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, files: [] });
      expect(again.stderr).toContain("Nothing to change");
      expect(tree(created)).toEqual(mine);
    },
    60_000,
  );
});
