// Bundles the CLI into dist/ with every dependency inlined, so the published
// package has no runtime dependencies to install. Heavy parts (issuer, check,
// the MCP SDK client, execa) become separate chunks loaded on demand, the
// .hbs templates are precompiled so `create` never loads Handlebars' compiler,
// and add's output on create's plain tree is made here (precomputed-auth.ts)
// so `create` never loads add's JavaScript parser for the cases it covers.

import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { brotliCompressSync, constants as zlibConstants } from "node:zlib";
import { build } from "esbuild";
import Handlebars from "handlebars";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const templatesDir = path.join(repo, "templates");

async function hbsFiles(dir, prefix = "") {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await hbsFiles(path.join(dir, entry.name), rel)));
    else if (entry.name.endsWith(".hbs")) out.push(rel);
  }
  return out;
}

/** `export default { "base/README.md.hbs": <template spec>, ... }`, same options as template-engine.ts. */
async function precompiledTemplatesModule() {
  const entries = [];
  for (const rel of (await hbsFiles(templatesDir)).sort()) {
    const source = await readFile(path.join(templatesDir, rel), "utf8");
    entries.push(`${JSON.stringify(rel)}: ${Handlebars.precompile(source, { noEscape: true, strict: true })}`);
  }
  return `export default {\n${entries.join(",\n")}\n};\n`;
}

/**
 * add's output on every framework x provider's plain tree, with marker values
 * (src/create/precomputed-auth.ts): bundled from source into dist/ (where it
 * finds templates/ and dist/add-glue as the CLI does), run once, removed.
 */
async function precomputedAuth() {
  const dir = path.join(repo, "dist", ".precompute");
  await build({
    absWorkingDir: repo,
    entryPoints: { precompute: "src/create/precomputed-auth.ts" },
    outdir: dir,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    banner: {
      js: "import { createRequire as __cmaCreateRequire } from 'node:module'; const require = __cmaCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  try {
    const { precomputeAll } = await import(pathToFileURL(path.join(dir, "precompute.js")).href);
    return await precomputeAll();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The form, brotli-compressed into dist/, in a shape that is quick to read on
 * every create: each multi-line text (a file's content) is stored once (the
 * auth core repeats across frameworks and providers) after the JSON of the
 * rest, separated by NUL bytes, and the JSON holds its index. Reading it is
 * a split, not JSON.parse of a megabyte of escaped strings.
 */
const PRECOMPUTED_FILE = "create-auth.br";
/** Python's forms in a file of their own, read only when a Python project is created. */
const PRECOMPUTED_PYTHON_FILE = "create-auth-python.br";
const TEXT_REF = "\u0000text";
function pack(data) {
  const texts = new Map();
  const head = JSON.stringify(data, (_key, value) => {
    if (typeof value !== "string" || !value.includes("\n")) return value;
    if (value.includes("\0")) throw new Error("a precomputed text holds a NUL byte, which the form uses as a separator");
    if (!texts.has(value)) texts.set(value, texts.size);
    return { [TEXT_REF]: texts.get(value) };
  });
  return brotliCompressSync(Buffer.from([head, ...texts.keys()].join("\0")), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } });
}
async function writePrecomputedAuth(data) {
  const python = Object.fromEntries(Object.entries(data.projects).filter(([key]) => key.startsWith("python/")));
  const projects = Object.fromEntries(Object.entries(data.projects).filter(([key]) => !key.startsWith("python/")));
  await writeFile(path.join(repo, "dist", PRECOMPUTED_FILE), pack({ ...data, projects, python: Object.keys(python) }));
  await writeFile(path.join(repo, "dist", PRECOMPUTED_PYTHON_FILE), pack(python));
}
const precomputedAuthModule = `function unpack(file) {
  const { readFileSync } = require("node:fs");
  const { brotliDecompressSync } = require("node:zlib");
  const [head, ...texts] = brotliDecompressSync(readFileSync(new URL(\`../\${file}\`, import.meta.url))).toString("utf8").split("\\0");
  return JSON.parse(head, (_key, value) => (value !== null && typeof value === "object" && ${JSON.stringify(TEXT_REF)} in value ? texts[value[${JSON.stringify(TEXT_REF)}]] : value));
}
export function load() {
  const { python, ...data } = unpack(${JSON.stringify(PRECOMPUTED_FILE)});
  let pythonProjects;
  for (const key of python)
    Object.defineProperty(data.projects, key, {
      enumerable: true,
      get: () => (pythonProjects ??= unpack(${JSON.stringify(PRECOMPUTED_PYTHON_FILE)}))[key],
    });
  return data;
}
`;

const precompiledTemplates = {
  name: "precompiled-templates",
  setup(b) {
    b.onResolve({ filter: /\/template-engine\.js$/ }, (args) =>
      args.importer.endsWith(`${path.sep}render.ts`) || args.importer.startsWith(path.join(repo, "src", "add") + path.sep)
        ? { path: path.join(repo, "src/core/template-engine.precompiled.ts") }
        : undefined,
    );
    b.onResolve({ filter: /\/precomputed-data\.js$/ }, (args) =>
      args.importer === path.join(repo, "src", "create", "project.ts")
        ? { path: path.join(repo, "src/create/precomputed-data.build.ts") }
        : undefined,
    );
    b.onResolve({ filter: /^virtual:precomputed-auth$/ }, () => ({ path: "auth", namespace: "precompiled" }));
    b.onResolve({ filter: /^virtual:precompiled-templates$/ }, () => ({ path: "templates", namespace: "precompiled" }));
    b.onLoad({ filter: /^templates$/, namespace: "precompiled" }, async () => ({
      contents: await precompiledTemplatesModule(),
      loader: "js",
      resolveDir: repo,
    }));
    b.onLoad({ filter: /^auth$/, namespace: "precompiled" }, () => ({
      contents: precomputedAuthModule,
      loader: "js",
      resolveDir: repo,
    }));
  },
};

/**
 * commander requires node:child_process when it loads, for executable
 * subcommands this CLI does not have; loading it is a fifth of create's
 * start-up. The bundle requires it on first use instead (a build error if
 * commander's line changes, so this never silently stops applying).
 */
const lazyChildProcessInCommander = {
  name: "lazy-child-process-in-commander",
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const eager = "const childProcess = require('node:child_process');";
      if (!source.includes(eager)) throw new Error(`${args.path}: "${eager}" not found; update scripts/build.mjs`);
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(eager, lazy), loader: "js" };
    });
  },
};

/**
 * Node's built-in modules through require, not import, in this package's own
 * modules. An ESM import of a built-in builds its ESM facade, which reads
 * every export once: node:fs's lazy getters then load streams (ReadStream,
 * WriteStream) that create never uses. The bundle has a require (the banner),
 * which commander already uses; a named import becomes a destructuring.
 * Type-only imports are left to TypeScript, which drops them.
 */
function builtinsThroughRequire(source, file) {
  return source.replace(/^import (?!type )([^;"]*?) from "(node:[^"]+)";$/gm, (line, clause, specifier) => {
    const required = `require(${JSON.stringify(specifier)})`;
    const named = /^\{([^}]*)\}$/.exec(clause.trim());
    if (named) {
      const bindings = named[1]
        .split(",")
        .map((binding) => binding.trim())
        .filter((binding) => binding && !binding.startsWith("type "))
        .map((binding) => binding.replace(/^(\w+) as (\w+)$/, "$1: $2"));
      if (bindings.some((binding) => !/^\w+(: \w+)?$/.test(binding))) throw new Error(`${file}: cannot rewrite "${line}"`);
      return bindings.length ? `const { ${bindings.join(", ")} } = ${required};` : "";
    }
    const single = /^(?:\* as )?(\w+)$/.exec(clause.trim());
    if (!single) throw new Error(`${file}: cannot rewrite "${line}"`);
    return `const ${single[1]} = ${required};`;
  });
}

/**
 * Fewer files to load when the CLI starts. esbuild puts each module in a
 * chunk named by the set of entry points (the CLI and each lazily imported
 * module) that reach it, so the twenty-odd modules the CLI loads at start-up
 * landed in as many one-module chunks (ESM loads each file on its own: about
 * half of the start-up's CPU time went there). Every module of src/ outside
 * that start-up set imports, for no side effect, a module that imports the
 * whole set: every entry then reaches all of it, and it is one chunk.
 */
async function startupModules() {
  const result = await build({
    absWorkingDir: repo,
    entryPoints: ["src/cli.ts"],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    logLevel: "silent",
    plugins: [
      {
        name: "startup-only",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => (args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined));
        },
      },
    ],
  });
  return Object.keys(result.metafile.inputs)
    .filter((input) => input.startsWith("src/") && input !== "src/cli.ts")
    .map((input) => path.join(repo, input));
}

function oneStartupChunk(modules) {
  const startup = new Set(modules);
  const anchor = modules.map((file) => `import ${JSON.stringify(file)};`).join("\n");
  return {
    name: "one-startup-chunk",
    setup(b) {
      b.onResolve({ filter: /^virtual:startup-modules$/ }, () => ({ path: "startup", namespace: "startup-modules" }));
      b.onLoad({ filter: /.*/, namespace: "startup-modules" }, () => ({ contents: anchor, loader: "js", resolveDir: repo }));
      b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
        if (args.path.endsWith(".build.ts") || args.path.includes(`${path.sep}add${path.sep}glue${path.sep}`)) return undefined;
        let source = builtinsThroughRequire(await readFile(args.path, "utf8"), args.path);
        // A lazy import of a module loaded at start-up anyway is a plain one (a lazy import would make it an entry point).
        const loaded = [];
        source = source.replace(/\bimport\("(\.\.?\/[^"]+)\.js"\)/g, (call, spec) => {
          const target = path.resolve(path.dirname(args.path), `${spec}.ts`);
          if (!startup.has(target)) return call;
          loaded.push(`import * as __cmaStartup${loaded.length} from ${JSON.stringify(`${spec}.js`)};`);
          return `Promise.resolve(__cmaStartup${loaded.length - 1})`;
        });
        const anchored = startup.has(args.path) ? "" : 'import "virtual:startup-modules";\n';
        return { contents: `${loaded.join("\n")}\n${source}\n${anchored}`, loader: "ts" };
      });
    },
  };
}

await rm(path.join(repo, "dist"), { recursive: true, force: true });
// `add` writes the framework glue into projects as source, rendered like the
// templates (src/add/core.ts finds it here).
await cp(path.join(repo, "src/add/glue"), path.join(repo, "dist/add-glue"), { recursive: true });
await writePrecomputedAuth(await precomputedAuth());
await build({
  absWorkingDir: repo,
  entryPoints: { cli: "src/cli.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  minify: process.env.CMA_NO_MINIFY !== "1",
  legalComments: "linked",
  chunkNames: "chunks/[name]-[hash]",
  // Some bundled CommonJS packages call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cmaCreateRequire } from 'node:module'; const require = __cmaCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
  plugins: [precompiledTemplates, lazyChildProcessInCommander, oneStartupChunk(await startupModules())],
});
