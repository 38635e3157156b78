/**
 * What `create --yes` loads (issue 21, point 9: create within 1.2x of
 * create-vite): the built CLI's start-up files and nothing after them (no
 * chunk imported on the way), and none of Node's terminal or socket modules
 * when nothing is asked and the output is not a terminal (node:tty pulls in
 * node:net and the streams; process.stdout on a pipe opens a socket), nor
 * node:module (the bundle's require is process.getBuiltinModule), nor
 * node:zlib (the default project is stored uncompressed in the form), nor
 * commander (create's own option table reads a plain create's arguments:
 * test/create-args.unit.test.ts holds it to commander's answers). The
 * files are the same as before: test/create-precomputed.test.ts and
 * test/create.test.ts hold them.
 */
import { readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, tempDir } from "./helpers/cli.js";

/** The files of dist/ that loading `file` loads: its static imports, and theirs (a dynamic import is not followed). */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(file, "utf8");
  for (const [, spec] of source.matchAll(/(?:^|[;\s}])import\s*(?:[\w*{][^"';]*?from\s*)?"(\.\.?\/[^"]+)"/g))
    staticGraph(path.resolve(path.dirname(file), spec!), seen);
  return seen;
}

describe("create --yes, no terminal", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir("cma-startup-");
  });
  afterAll(() => work.cleanup());

  /** Runs `create <dir> --yes --no-install --no-git --no-check` with `--import preload`; stdout and stderr are pipes and CI=true, as in CI. */
  async function create(dir: string, preload: string) {
    await writeFile(path.join(work.dir, `${dir}.mjs`), preload);
    const result = await execa(
      process.execPath,
      ["--import", path.join(work.dir, `${dir}.mjs`), cliBin, dir, "--yes", "--no-install", "--no-git", "--no-check"],
      { cwd: work.dir, env: cleanEnv({ CI: "true" }), extendEnv: false, reject: false, stdin: "ignore" },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^✔ Wrote \\d+ files to ${dir} \\(Express, Scalekit, local mode\\)\n\nNext steps: cd ${dir}:\n`),
    );
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe(`Done. More in ${dir}/README.md`);
  }

  it("loads the CLI's start-up files and no chunk after them", async () => {
    const loaded = path.join(work.dir, "loaded.txt");
    await writeFile(loaded, "");
    await writeFile(
      path.join(work.dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(loaded)}, r.url + "\\n"); return r; }\n`,
    );
    await create(
      "files",
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(work.dir, "hooks.mjs")).href)});\n`,
    );
    const dist = path.join(path.dirname(cliBin), "..", "dist");
    const files = [...new Set((await readFile(loaded, "utf8")).split("\n").filter((u) => u.includes("/dist/")))]
      .map((url) => new URL(url).pathname)
      .sort();
    expect(files).toEqual([...staticGraph(path.join(dist, "cli.js"))].sort());
    // commander is in the bundle (help, the other commands, usage errors), in a chunk create does not load.
    const commander = "commander.unknownOption";
    const bundle = [path.join(dist, "cli.js"), ...(await readdir(path.join(dist, "chunks"))).map((f) => path.join(dist, "chunks", f))];
    const withCommander = bundle.filter((file) => readFileSync(file, "utf8").includes(commander));
    expect(withCommander.length).toBeGreaterThan(0);
    expect(files.filter((file) => withCommander.includes(file))).toEqual([]);
  }, 60_000);

  it("loads neither node:tty, node:net, node:readline, node:module nor node:zlib", async () => {
    // (No module hooks here: their worker thread opens the process's stdio streams.)
    const builtins = path.join(work.dir, "builtins.txt");
    await create(
      "builtins",
      `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(builtins)}, process.moduleLoadList.join("\\n")));\n`,
    );
    const modules = new Set((await readFile(builtins, "utf8")).split("\n"));
    expect(modules.has("NativeModule fs")).toBe(true);
    for (const name of ["tty", "net", "readline"]) expect(modules.has(`NativeModule ${name}`), name).toBe(false);
    // The bundle's require is process.getBuiltinModule: node:module (and the source-map support it loads) is not needed.
    for (const name of ["module", "internal/source_map/source_map"]) expect(modules.has(`NativeModule ${name}`), name).toBe(false);
    // The default project is stored uncompressed (scripts/build.mjs, pack): no node:zlib, nor the streams it loads.
    expect(modules.has("NativeModule zlib"), "zlib").toBe(false);
  }, 60_000);

  it("writes its lines in order through a pipe, with --json on stderr and the document alone on stdout", async () => {
    const result = await execa(process.execPath, [cliBin, "proj-json", "--yes", "--no-install", "--no-git", "--no-check", "--json"], {
      cwd: work.dir,
      env: cleanEnv({ CI: "true" }),
      extendEnv: false,
      reject: false,
      stdin: "ignore",
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, dir: "proj-json" });
    expect(result.stderr).toMatch(
      /^✔ Wrote \d+ files to proj-json .*\n\nNext steps: cd proj-json:\n[\s\S]*\nDone\. More in proj-json\/README\.md$/,
    );
  }, 60_000);
});
