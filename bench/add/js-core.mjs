// How `add` gives JavaScript projects the TypeScript auth core, and what it
// costs the CLI. Compares add's run-time type stripper (src/add/strip-types.ts,
// + src/add/commonjs.ts for CommonJS) with the build-time options (esbuild's
// and TypeScript's transpilers) on every core and glue file; then measures the
// packed CLI's installed size and what `create` loads.
// Usage: npm run build && node bench/add/js-core.mjs
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, transform } from "esbuild";
import ts from "typescript";
import { median, writeSection } from "../results-file.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cache = process.env.CMA_NPM_CACHE ?? path.join(repo, ".cache/npm");

// add's stripper, bundled from source for this script.
const tmp = mkdtempSync(path.join(tmpdir(), "cma-bench-js-"));
await build({
  stdin: {
    contents: "export { stripTypes } from './src/add/strip-types.ts'; export { toCommonJs } from './src/add/commonjs.ts';",
    resolveDir: repo,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: path.join(tmp, "strip.mjs"),
  logLevel: "silent",
});
const { stripTypes, toCommonJs } = await import(pathToFileURL(path.join(tmp, "strip.mjs")).href);

// What add writes: the auth core (templates/typescript/auth/src), each provider's src, the glue (src/add/glue).
const filesOf = (dir) => readdirSync(path.join(repo, dir)).map((f) => path.join(repo, dir, f));
const sources = [
  ...filesOf("templates/typescript/auth/src"),
  ...readdirSync(path.join(repo, "templates/typescript/auth/providers")).flatMap((p) =>
    filesOf(`templates/typescript/auth/providers/${p}/src`),
  ),
  ...filesOf("src/add/glue"),
].filter((f) => f.endsWith(".ts") && path.basename(f) !== "scalekit.ts");

const commentLines = (code) => code.split("\n").filter((l) => /^\s*(\/\/|\/\*\*?|\*)/.test(l)).length;
const blankLines = (code) => code.split("\n").filter((l) => l.trim() === "").length;
// Single-quoted strings on code lines (an apostrophe pair in a comment is not a string).
const singleQuoted = (code) =>
  code
    .split("\n")
    .filter((l) => !/^\s*(\/\/|\/\*\*?|\*)/.test(l))
    .reduce((n, l) => n + (l.match(/'[^']*'/g) ?? []).length, 0);

const candidates = {
  "add (run-time strip)": { esm: (code, file) => stripTypes(code, file), cjs: (code, file) => toCommonJs(stripTypes(code, file), file) },
  "esbuild (build time)": {
    esm: async (code) => (await transform(code, { loader: "ts", format: "esm", target: "node20" })).code,
    cjs: async (code) => (await transform(code, { loader: "ts", format: "cjs", target: "node20" })).code,
  },
  "tsc transpileModule (build time)": {
    esm: (code) =>
      ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText,
    cjs: (code) =>
      ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText,
  },
};

const totals = { comments: 0, blanks: 0 };
for (const file of sources) {
  const code = readFileSync(file, "utf8");
  totals.comments += commentLines(code);
  totals.blanks += blankLines(code);
}
const rows = [];
for (const [name, run] of Object.entries(candidates)) {
  const acc = { comments: 0, blanks: 0, lines: 0, cjsHelpers: 0, interop: 0, quotes: 0 };
  for (const file of sources) {
    const code = readFileSync(file, "utf8");
    const esm = await run.esm(code, path.basename(file));
    const cjs = await run.cjs(code, path.basename(file));
    acc.comments += commentLines(esm);
    acc.blanks += blankLines(esm);
    acc.lines += esm.split("\n").length;
    acc.quotes += singleQuoted(esm) - singleQuoted(code);
    // Lines a reader of the CommonJS file meets that the source has no counterpart for.
    acc.cjsHelpers += cjs
      .split("\n")
      .filter((l) =>
        /__export|__toCommonJS|__defProp|__getOwnProp|__copyProps|Object\.defineProperty\(exports|exports\.\w+ = (void 0|exports)/.test(l),
      ).length;
    acc.interop += (cjs.match(/\(0, \w+\.\w+\)|\w+_js_1\.|import_\w+\./g) ?? []).length;
  }
  rows.push({ name, ...acc });
}

// The packed CLI, installed into an empty folder: what `npx create-mcp-auth` downloads and unpacks.
const packDir = mkdtempSync(path.join(tmpdir(), "cma-bench-pack-"));
const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: repo }).toString().trim().split("\n").pop();
writeFileSync(path.join(packDir, "package.json"), '{"private":true}');
execFileSync("npm", ["install", "--no-fund", "--no-audit", "--cache", cache, path.join(packDir, tarball)], {
  cwd: packDir,
  stdio: "ignore",
});
const installedMB =
  Number(
    execFileSync("du", ["-sb", path.join(packDir, "node_modules")])
      .toString()
      .split("\t")[0],
  ) /
  1024 /
  1024;
// add's share of it: its lazy chunk (parser, splicer, add's code) and the glue it copies into projects.
const installedDist = path.join(packDir, "node_modules/create-mcp-auth/dist");
const addChunks = readdirSync(path.join(installedDist, "chunks")).filter((f) => /^add-.*\.js$/.test(f));
const addMB =
  (addChunks.reduce((n, f) => n + statSync(path.join(installedDist, "chunks", f)).size, 0) +
    Number(
      execFileSync("du", ["-sb", path.join(installedDist, "add-glue")])
        .toString()
        .split("\t")[0],
    )) /
  1024 /
  1024;

// What `create` loads: dist/cli.js and the chunks it imports statically.
const loaded = new Set();
const visit = (file) => {
  // Import lines inside bundled template text name files of a generated project, not of dist/.
  if (loaded.has(file) || !existsSync(file)) return;
  loaded.add(file);
  for (const m of readFileSync(file, "utf8").matchAll(/(?:^|[;}\n])\s*import\s*(?:[^'"()]*?from\s*)?["'](\.\.?\/[^"']+)["']/g))
    visit(path.resolve(path.dirname(file), m[1]));
};
visit(path.join(repo, "dist/cli.js"));
const loadedBytes = [...loaded].reduce((n, f) => n + statSync(f).size, 0);
const addCode = [...loaded].filter((f) => /StripError|MagicString|add-glue|ADD_PATTERNS/.test(readFileSync(f, "utf8")));
const times = [];
for (let i = 0; i < 9; i++) {
  const out = mkdtempSync(path.join(tmpdir(), "cma-bench-create-"));
  const t = performance.now();
  execFileSync(process.execPath, [path.join(repo, "bin/create-mcp-auth.js"), path.join(out, "p"), "--yes", "--dry-run"], {
    stdio: "ignore",
  });
  times.push(performance.now() - t);
  rmSync(out, { recursive: true, force: true });
}
rmSync(packDir, { recursive: true, force: true });
rmSync(tmp, { recursive: true, force: true });

const table = rows
  .map(
    (r) =>
      `| ${r.name} | ${r.comments}/${totals.comments} | ${r.blanks}/${totals.blanks} | ${r.lines} | ${r.quotes} | ${r.cjsHelpers} | ${r.interop} |`,
  )
  .join("\n");
writeSection(`## add: the auth core in JavaScript (bench/add/js-core.mjs)

JavaScript projects get the TypeScript auth core as JavaScript. Compared on the ${sources.length} files add writes (templates/typescript/auth/src,
templates/typescript/auth/providers/*/src and src/add/glue): comment and blank lines kept (of the source's), lines out, quotes changed; for CommonJS, lines of
module-system helpers and \`(0, x.f)\` / \`x_js_1.f\` interop references a reader meets instead of the names the source uses.

- Date: ${new Date().toISOString().slice(0, 10)}; Node ${process.version}
- Command: \`npm run build && node bench/add/js-core.mjs\`

| transpiler | comment lines kept | blank lines kept | lines (ESM) | quotes changed | CommonJS helper lines | CommonJS interop references |
|---|---:|---:|---:|---:|---:|---:|
${table}

Choice: **add's own run-time stripper** (src/add/strip-types.ts cuts the type syntax out of the source text with the
parser add already carries; src/add/commonjs.ts turns imports into \`const { a } = require("./a.js")\` and exports into one
\`module.exports\`). It keeps the comments and the layout the generated code is written with (the core's comments say why
it does what it does: the user owns this code), where esbuild drops comments and blank lines and both build-time tools
write CommonJS that reads like compiler output. It costs no package bytes (a build-time variant would ship each
core file up to twice more, and still need a step to keep it in step with templates/), it follows templates/ at run
time, and whatever it cannot strip faithfully (enum, namespace, decorators) it refuses by name, which the tests
would show the day a template uses one.

The CLI with add: **${installedMB.toFixed(2)} MB installed** (packed, installed into an empty folder; target at most 3 MB),
of which add's lazy chunk and glue are ${addMB.toFixed(2)} MB.
\`create\` loads ${loaded.size} files, ${(loadedBytes / 1024).toFixed(0)} kB, none of them add's (files with add's code among them: ${addCode.length}); a
\`create --yes --dry-run\` takes ${median(times).toFixed(0)} ms (median of 9). create's render and validation modules, which add
shares, sit in shared chunks rather than in dist/cli.js: the same code in more files.
`);
console.log(table);
console.log({ installedMB, addMB, loaded: loaded.size, loadedBytes, addCode, createMs: median(times) });
