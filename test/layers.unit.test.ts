/**
 * The layers: src/cli.ts only registers the commands of src/commands/, each
 * command owns its flags, help and exit codes, no command imports another,
 * and no test imports the benchmarks (what both use is in lib/).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildProgram } from "../src/cli.js";
import { UNIT_TESTS } from "../vitest.config.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const specifiers = (source: string) => [...source.matchAll(/(?:from\s+|import\s*\(\s*)"([^"]+)"/g)].map((m) => m[1] ?? "");

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

async function helpOf(args: string[]): Promise<string> {
  let out = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const program = await buildProgram(() => {});
  await program.parseAsync(["node", "create-mcp-auth", ...args, "--help"]).catch(() => {});
  write.mockRestore();
  return out;
}

describe("the command layer", () => {
  afterEach(() => vi.restoreAllMocks());

  it("no command imports another command", async () => {
    const dir = path.join(repo, "src", "commands");
    const offenders: string[] = [];
    for (const file of await readdir(dir)) {
      for (const spec of specifiers(await readFile(path.join(dir, file), "utf8")))
        if (spec.startsWith("./")) offenders.push(`${file} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });

  it("src/cli.ts imports only the commands, the exit codes, commander and the version", async () => {
    const specs = specifiers(await readFile(path.join(repo, "src", "cli.ts"), "utf8"));
    expect(
      specs.filter((s) => !(s.startsWith("./commands/") || s === "./core/errors.js" || s === "./version.js" || s === "commander")),
    ).toEqual([]);
  });

  it.each([[[]], [["create"]], [["add"]], [["check"]], [["issuer"]], [["issuer", "token"]]])(
    "create-mcp-auth %j --help states the command's exit codes",
    async (args) => {
      const help = await helpOf(args);
      expect(help).toMatch(/Usage: create-mcp-auth/);
      expect(help).toMatch(/Exit code/);
      expect(help).toMatch(/\b2\b[^\n]*bad usage/);
    },
  );

  it("registers create (also as the default), add, check, issuer and issuer token", async () => {
    const program = await buildProgram(() => {});
    expect(program.commands.map((c) => c.name())).toEqual(["create", "add", "check", "issuer"]);
    expect(program.commands.find((c) => c.name() === "issuer")?.commands.map((c) => c.name())).toEqual(["token"]);
    expect(program.registeredArguments.map((a) => a.name())).toEqual(["dir"]);
  });

  it("given a directory first (npx create-mcp-auth my-server ...), builds create alone, with all of its flags; a command name or a flag first builds them all", async () => {
    const alone = await buildProgram(() => {}, ["node", "create-mcp-auth", "my-server", "--yes"]);
    expect(alone.commands).toEqual([]);
    const all = await buildProgram(() => {}, ["node", "create-mcp-auth", "--help"]);
    expect(alone.options.map((o) => o.long)).toEqual(all.options.map((o) => o.long));
    expect(alone.options.map((o) => o.long)).toContain("--framework");
    for (const args of [["add"], ["check"], ["issuer"], ["create"], ["help"], ["--version"], ["my-server", "--help"]])
      expect((await buildProgram(() => {}, ["node", "create-mcp-auth", ...args])).commands.map((c) => c.name())).toEqual([
        "create",
        "add",
        "check",
        "issuer",
      ]);
  });
});

describe("tests and benchmarks", () => {
  it("no test imports bench/: what both use lives in lib/", async () => {
    const offenders: string[] = [];
    for (const file of await filesUnder(path.join(repo, "test"))) {
      if (file.includes(`${path.sep}fixtures${path.sep}`)) continue;
      for (const spec of specifiers(await readFile(file, "utf8")))
        if (spec.startsWith(".") && path.resolve(path.dirname(file), spec).startsWith(path.join(repo, "bench") + path.sep))
          offenders.push(`${path.relative(repo, file)} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });
});

describe("the fast tier", () => {
  it("its files use neither the built CLI nor a project, pty, load or container helper (so it needs no build and no install)", async () => {
    const unit = (rel: string) =>
      UNIT_TESTS.some((glob) => (glob.startsWith("test/**/*") ? rel.endsWith(glob.slice("test/**/*".length)) : glob === rel));
    const files = (await filesUnder(path.join(repo, "test"))).map((f) => path.relative(repo, f).split(path.sep).join("/"));
    const tier = files.filter(unit);
    expect(tier.length).toBeGreaterThan(5);
    const forbidden = /helpers\/(project|pty|load|container)\.js|add-suite\.js|dist\/cli\.js|bin\/create-mcp-auth/;
    const offenders: string[] = [];
    for (const rel of tier) {
      const source = await readFile(path.join(repo, rel), "utf8");
      for (const spec of specifiers(source)) if (forbidden.test(spec)) offenders.push(`${rel} imports ${spec}`);
      if (/\bcliBin\b|\brunCli\b/.test(source)) offenders.push(`${rel} runs the built CLI`);
    }
    expect(offenders).toEqual([]);
  });
});
