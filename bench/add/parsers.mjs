// Which library should `add` edit user code with? The same edit on the entry
// file of every add fixture (an import line after the last import, and the
// auth registration after the line that creates the app), made with each
// candidate; measured: bytes of the user's code changed outside the inserted
// lines, whether the result parses, time per edit, installed and bundled size.
// Usage: npm run build && node bench/add/parsers.mjs [runs]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { median, writeSection } from "../results-file.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const runs = Number(process.argv[2] ?? 20);
const cache = process.env.CMA_NPM_CACHE ?? path.join(repo, ".cache/npm");
const work = path.join(repo, ".cache/bench-add");

const CANDIDATES = {
  "babel+magic-string": ["@babel/parser@7.29.15", "magic-string@1.4.5"],
  "acorn+magic-string": ["acorn@8.19.0", "magic-string@1.4.5"],
  magicast: ["magicast@0.5.5"],
  "ts-morph": ["ts-morph@28.0.0"],
};

/** Each candidate in its own folder, so `du` is its installed size alone. */
function install(name, packages) {
  const dir = path.join(work, name);
  if (!existsSync(path.join(dir, "node_modules"))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), '{"private":true,"type":"module"}');
    execFileSync("npm", ["install", "--no-fund", "--no-audit", "--cache", cache, ...packages], { cwd: dir, stdio: "ignore" });
  }
  const bytes = Number(
    execFileSync("du", ["-sb", path.join(dir, "node_modules")])
      .toString()
      .split("\t")[0],
  );
  return { dir, require: createRequire(path.join(dir, "x.js")), installedMB: bytes / 1024 / 1024 };
}

const FIXTURES = [
  ["express-cjs", "server.js"],
  ["express-ts", "src/index.ts"],
  ["express-v2", "src/server.ts"],
  ["fastify", "src/server.js"],
  ["hono", "src/index.ts"],
  ["fastmcp", "src/index.ts"],
  ["monorepo", "packages/mcp-server/src/index.js"],
];
const CREATORS = new Set(["express", "Fastify", "Hono", "FastMCP", "createMcpExpressApp"]);

function isCreation(node) {
  if (node?.type !== "VariableDeclaration" && node?.type !== "VariableStatement") return false;
  const init = node.declarations?.[0]?.init;
  const callee = init?.callee;
  return Boolean(callee && callee.type === "Identifier" && CREATORS.has(callee.name));
}
function isImport(node) {
  if (node.type === "ImportDeclaration") return true;
  const init = node.declarations?.[0]?.init;
  return node.type === "VariableDeclaration" && init?.type === "CallExpression" && init.callee.name === "require";
}

/** The two statements every candidate inserts, in the file's own quote style and semicolons. */
function inserted(code, cjs) {
  const q = (code.match(/'/g)?.length ?? 0) > (code.match(/"/g)?.length ?? 0) ? "'" : '"';
  const semi = /;\s*$/m.test(code) ? ";" : "";
  const app = /const (\w+) = (?:express|Fastify|createMcpExpressApp)\(|const (\w+) = new (?:Hono|FastMCP)\(/.exec(code);
  const name = app[1] ?? app[2];
  return {
    importLine: cjs ? `const { mcpAuth } = require(${q}./auth/x.js${q})${semi}` : `import { mcpAuth } from ${q}./auth/x.js${q}${semi}`,
    useLine: `${name}.use(mcpAuth({ endpoint: ${q}/mcp${q} }))${semi}`,
  };
}

function lineEnd(code, offset) {
  const nl = code.indexOf("\n", offset);
  return nl === -1 ? code.length : nl + 1;
}

const editors = {
  "babel+magic-string"(lib, code, ts, cjs) {
    const { parse } = lib.require("@babel/parser");
    const MagicString = lib.require("magic-string").default ?? lib.require("magic-string");
    const ast = parse(code, { sourceType: "unambiguous", plugins: ts ? ["typescript"] : [] });
    const body = ast.program.body;
    const lastImport = body.filter(isImport).at(-1);
    const creation = body.find(isCreation);
    const { importLine, useLine } = inserted(code, cjs);
    const s = new MagicString(code);
    s.appendLeft(lineEnd(code, lastImport.end), `${importLine}\n`);
    s.appendLeft(lineEnd(code, creation.end), `${useLine}\n`);
    return s.toString();
  },
  "acorn+magic-string"(lib, code, _ts, cjs) {
    const acorn = lib.require("acorn");
    const MagicString = lib.require("magic-string").default ?? lib.require("magic-string");
    const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: cjs ? "script" : "module" });
    const lastImport = ast.body.filter(isImport).at(-1);
    const creation = ast.body.find(isCreation);
    const { importLine, useLine } = inserted(code, cjs);
    const s = new MagicString(code);
    s.appendLeft(lineEnd(code, lastImport.end), `${importLine}\n`);
    s.appendLeft(lineEnd(code, creation.end), `${useLine}\n`);
    return s.toString();
  },
  magicast(lib, code, _ts, cjs) {
    const { parseModule, generateCode } = lib.require("magicast");
    const mod = parseModule(code);
    const body = mod.$ast.body;
    const { importLine, useLine } = inserted(code, cjs);
    const statement = (text) => parseModule(text).$ast.body[0];
    body.splice(body.indexOf(body.find(isCreation)) + 1, 0, statement(useLine));
    body.splice(body.indexOf(body.filter(isImport).at(-1)) + 1, 0, statement(importLine));
    return generateCode(mod).code;
  },
  "ts-morph"(lib, code, ts, cjs) {
    const { Project, SyntaxKind } = lib.require("ts-morph");
    const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: true } });
    const file = project.createSourceFile(ts ? "entry.ts" : "entry.js", code);
    const statements = file.getStatements();
    const { importLine, useLine } = inserted(code, cjs);
    const creation = statements.findIndex(
      (st) =>
        st.getKind() === SyntaxKind.VariableStatement &&
        /=\s*(?:new\s+)?(?:express|Fastify|Hono|FastMCP|createMcpExpressApp)\(/.test(st.getText()),
    );
    const imports = statements
      .map((st, i) => [st, i])
      .filter(([st]) => st.getKind() === SyntaxKind.ImportDeclaration || /^const .* = require\(/.test(st.getText()));
    file.insertStatements(creation + 1, useLine);
    file.insertStatements(imports.at(-1)[1] + 1, importLine);
    return file.getFullText();
  },
};

/**
 * Lines of `before` not in `after` in order (an LCS): user lines changed or
 * lost; and lines added beyond the two inserted ones (blank lines a printer adds).
 */
function linesChanged(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const dp = Array.from({ length: a.length + 1 }, () => new Int32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  return { lost: a.length - dp[0][0], extra: b.length - dp[0][0] - 2 };
}

async function bundledKB(name, lib) {
  const entry = {
    "babel+magic-string": "import { parse } from '@babel/parser'; import MagicString from 'magic-string'; console.log(parse, MagicString);",
    "acorn+magic-string": "import { parse } from 'acorn'; import MagicString from 'magic-string'; console.log(parse, MagicString);",
    magicast: "import { parseModule, generateCode } from 'magicast'; console.log(parseModule, generateCode);",
    "ts-morph": "import { Project } from 'ts-morph'; console.log(Project);",
  }[name];
  const file = path.join(lib.dir, "entry.mjs");
  writeFileSync(file, entry);
  const result = await build({
    entryPoints: [file],
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
    absWorkingDir: lib.dir,
  });
  return result.outputFiles[0].contents.length / 1024;
}

const rows = [];
for (const [name, packages] of Object.entries(CANDIDATES)) {
  const lib = install(name, packages);
  let changed = 0;
  let extra = 0;
  let broken = 0;
  let failed = 0;
  const details = [];
  const times = [];
  for (const [fixture, entry] of FIXTURES) {
    const code = readFileSync(path.join(repo, "test/fixtures/add", fixture, entry), "utf8");
    const ts = entry.endsWith(".ts");
    const cjs = /\brequire\(/.test(code) && !/^import /m.test(code);
    let out;
    try {
      out = editors[name](lib, code, ts, cjs);
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        editors[name](lib, code, ts, cjs);
        times.push(performance.now() - t);
      }
    } catch (error) {
      failed++;
      details.push(`${fixture}: cannot parse (${String(error.message).split("\n")[0].slice(0, 60)})`);
      continue;
    }
    const diff = linesChanged(code, out);
    changed += diff.lost;
    extra += diff.extra;
    const { importLine, useLine } = inserted(code, cjs);
    if (!out.includes(importLine) || !out.includes(useLine)) broken++;
    const what = [
      diff.lost > 0
        ? `${diff.lost} line(s) of the user's code changed${code.endsWith("\n") && !out.endsWith("\n") ? " (the final newline dropped)" : ""}`
        : "",
      diff.extra > 0 ? `${diff.extra} blank or extra line(s) added` : "",
    ].filter(Boolean);
    if (what.length) details.push(`${fixture}: ${what.join("; ")}`);
  }
  rows.push({
    name,
    packages,
    changed,
    extra,
    broken,
    failed,
    details,
    ms: times.length ? median(times) : NaN,
    installedMB: lib.installedMB,
    bundledKB: await bundledKB(name, lib),
  });
}

const addChunk = execFileSync("sh", ["-c", `ls -l ${path.join(repo, "dist/chunks")}/add-*.js | awk '{print $5}'`])
  .toString()
  .trim();
const table = rows
  .map(
    (r) =>
      `| ${r.name} | ${r.packages.join(", ")} | ${r.failed}/${FIXTURES.length} | ${r.changed} | ${r.extra} | ${r.broken ? `${r.broken} (inserted text restyled)` : 0} | ${Number.isNaN(r.ms) ? "n/a" : r.ms.toFixed(2)} | ${r.installedMB.toFixed(1)} | ${r.bundledKB.toFixed(0)} |`,
  )
  .join("\n");
const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
const slower = (name) => (byName[name].ms / byName["babel+magic-string"].ms).toFixed(1);
const notes = rows.flatMap((r) => r.details.map((d) => `- ${r.name}: ${d}`)).join("\n");
writeSection(`## add: parser and editor for user code (bench/add/parsers.mjs)

The same edit on the entry file of each of the ${FIXTURES.length} add fixtures (JavaScript CommonJS and ESM, TypeScript): an import
line after the last import and the auth registration after the line that creates the app, inserted as text in the
file's quote style. "User lines changed": lines of the user's code not kept byte for byte (an LCS of the lines
before and after); "lines added beyond the 2": what a printer adds besides the two inserted lines. Time: median of ${runs} runs per fixture, parse + edit + print, in
process. Installed: \`du\` of the candidate installed alone. Bundled: esbuild, minified, of an entry that imports it.

- Date: ${new Date().toISOString().slice(0, 10)}; Node ${process.version}
- Command: \`npm run build && node bench/add/parsers.mjs ${runs}\`

| candidate | packages | fixtures it cannot parse | user lines changed | lines added beyond the 2 | inserted lines restyled | ms per edit | installed MB | bundled kB |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${table}

${notes || "- no candidate reprinted any line"}

Choice: **@babel/parser + magic-string**. It parses every fixture (TypeScript included; acorn parses no TypeScript
syntax) and keeps every byte of the user's code by construction: positions from the parser, text spliced by
magic-string, no printer involved. magicast prints through recast: it drops the file's final newline and adds blank
lines around what it inserts (${slower("magicast")}x the time). ts-morph kept the bytes in this edit (it inserts text too),
but it carries the TypeScript compiler: ${byName["ts-morph"].installedMB.toFixed(0)} MB installed, ${(byName["ts-morph"].bundledKB / 1024).toFixed(1)} MB bundled, more than the CLI's
whole 3 MB budget (${slower("ts-morph")}x the time). The same parser strips the types of the auth core for JavaScript
projects (src/add/strip-types.ts), so add needs no second tool. Its installed size does not matter: the CLI ships
bundled, and add's lazy chunk (dist/chunks/add-*.js, ${(Number(addChunk) / 1024).toFixed(0)} kB with parser, splicer and add's own code) is
loaded only by \`add\`, never by \`create\`.
`);
console.log(table);
if (process.argv.includes("--clean")) rmSync(work, { recursive: true, force: true });
