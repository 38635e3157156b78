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
    const { precomputeAll, yesDefaultKey } = await import(pathToFileURL(path.join(dir, "precompute.js")).href);
    return { data: await precomputeAll(), stored: await yesDefaultKey() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The form, in dist/, in a shape that is quick to read on every create, and
 * of which create reads only about half: what the chosen framework and
 * provider use. Each multi-line text (a file's content) is stored once: the
 * auth core repeats across frameworks and providers. The texts are grouped
 * by the projects (`<framework>/<provider>`) that use them, and each group is
 * a section compressed on its own (brotli): a text several projects share
 * goes with the others those same projects share; the texts only one project
 * uses go with those of the other frameworks with the same provider (they
 * differ little, and compress far better together: 65 kB for the form
 * against 87 kB with a section per project). A project's first section is
 * its file list, a JSON that holds each text's index. Reading a project is
 * a split of each of its sections, not JSON.parse of a megabyte of escaped
 * strings.
 *
 * One project is stored uncompressed (`stored`: the one `create <dir>
 * --yes` writes): its file list and every text it uses, in one section, so
 * the default create never loads node:zlib (with the streams it loads, and
 * the decoding, about 4-5 ms of its CPU: issue 21, point 9). The other
 * projects read that section for the texts they share with it, and their
 * own compressed sections for the rest. Size: +105 kB (the installed CLI
 * 2.90 -> 3.00 MB; with one ajv, see oneAjv, 2.88 MB).
 *
 * File: a 4-byte little-endian length, then that many bytes of JSON (the
 * index: `{ meta, projects: { [key]: [its file list's section, ...its texts'
 * sections] }, sections: [[offset, length, first text index, stored?], ...] }`,
 * offsets after the index; `stored` is 1 for a section that is not
 * compressed), then the sections; in a section, NUL separates the texts.
 */
const PRECOMPUTED_FILE = "create-auth.br";
/** Python's forms in a file of their own, read only when a Python project is created. */
const PRECOMPUTED_PYTHON_FILE = "create-auth-python.br";
const TEXT_REF = "\u0000text";
/**
 * `split: false`: every text in one section (the Python form: read only for a Python project, which renders its plain tree anyway).
 * `stored`: the key of the project stored uncompressed.
 */
function pack(meta, projects, { split = true, stored } = {}) {
  const keys = Object.keys(projects);
  const users = new Map();
  const textsOf = (value, key) => {
    if (typeof value === "string") {
      if (!value.includes("\n")) return;
      if (value.includes("\0")) throw new Error("a precomputed text holds a NUL byte, which the form uses as a separator");
      if (!users.has(value)) users.set(value, new Set());
      users.get(value).add(key);
    } else if (value !== null && typeof value === "object") for (const member of Object.values(value)) textsOf(member, key);
  };
  for (const key of keys) textsOf(projects[key], key);
  /** By name: the projects that read the section, and its texts. */
  const groups = new Map();
  const add = (name, members, text) => {
    if (!groups.has(name)) groups.set(name, { members: new Set(), texts: [], stored: name === STORED });
    for (const member of members) groups.get(name).members.add(member);
    groups.get(name).texts.push(text);
  };
  for (const [text, used] of users) {
    if (!split) add("all", keys, text);
    else if (stored !== undefined && used.has(stored)) add(STORED, used, text);
    else if (used.size > 1) add([...used].sort().join(" "), [...used], text);
    else {
      const provider = [...used][0].split("/").pop();
      add(
        `only one project, with ${provider}`,
        keys.filter((key) => key !== stored && key.split("/").pop() === provider),
        text,
      );
    }
  }
  const ids = new Map();
  let next = 0;
  for (const group of groups.values()) {
    group.first = next;
    for (const text of group.texts) ids.set(text, next++);
  }
  const sections = [];
  const blobs = [];
  let offset = 0;
  const section = (texts, first, uncompressed) => {
    const text = Buffer.from(texts.join("\0"));
    const blob = uncompressed ? text : brotliCompressSync(text, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } });
    sections.push(uncompressed ? [offset, blob.length, first, 1] : [offset, blob.length, first]);
    blobs.push(blob);
    offset += blob.length;
    return sections.length - 1;
  };
  const index = { meta, projects: {}, sections };
  for (const key of keys) {
    const list = JSON.stringify(projects[key], (_key, value) =>
      typeof value === "string" && value.includes("\n") ? { [TEXT_REF]: ids.get(value) } : value,
    );
    index.projects[key] = [section([list], -1, key === stored)];
  }
  for (const group of groups.values()) {
    const s = section(group.texts, group.first, group.stored);
    for (const key of group.members) index.projects[key].push(s);
  }
  const json = Buffer.from(JSON.stringify(index));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([length, json, ...blobs]);
}
/** The group of the texts the stored project uses (a name no group of projects' keys can have). */
const STORED = "stored: the texts of the default project";
async function writePrecomputedAuth({ data, stored }) {
  const python = Object.fromEntries(Object.entries(data.projects).filter(([key]) => key.startsWith("python/")));
  const projects = Object.fromEntries(Object.entries(data.projects).filter(([key]) => !key.startsWith("python/")));
  const { projects: _all, ...meta } = data;
  await writeFile(path.join(repo, "dist", PRECOMPUTED_FILE), pack({ ...meta, python: Object.keys(python) }, projects, { stored }));
  await writeFile(path.join(repo, "dist", PRECOMPUTED_PYTHON_FILE), pack({}, python, { split: false }));
}
const precomputedAuthModule = `function open(file) {
  const { readFileSync } = require("node:fs");
  const bytes = readFileSync(new URL(\`../\${file}\`, import.meta.url));
  const start = 4 + bytes.readUInt32LE(0);
  const index = JSON.parse(bytes.toString("utf8", 4, start));
  const read = (key) => {
    const texts = [];
    let head;
    for (const s of index.projects[key]) {
      const [offset, length, first, stored] = index.sections[s];
      // node:zlib only for a compressed section: the default project has none.
      const text = stored
        ? bytes.toString("utf8", start + offset, start + offset + length)
        : require("node:zlib").brotliDecompressSync(bytes.subarray(start + offset, start + offset + length)).toString("utf8");
      if (head === undefined) head = text;
      else {
        const parts = text.split("\\0");
        for (let i = 0; i < parts.length; i++) texts[first + i] = parts[i];
      }
    }
    return JSON.parse(head, (_key, value) => (value !== null && typeof value === "object" && ${JSON.stringify(TEXT_REF)} in value ? texts[value[${JSON.stringify(TEXT_REF)}]] : value));
  };
  const projects = {};
  for (const key of Object.keys(index.projects)) {
    let files;
    Object.defineProperty(projects, key, { enumerable: true, get: () => (files ??= read(key)) });
  }
  return { meta: index.meta, projects };
}
export function load() {
  const { meta: { python, ...data }, projects } = open(${JSON.stringify(PRECOMPUTED_FILE)});
  let pythonProjects;
  for (const key of python)
    Object.defineProperty(projects, key, {
      enumerable: true,
      get: () => (pythonProjects ??= open(${JSON.stringify(PRECOMPUTED_PYTHON_FILE)}).projects)[key],
    });
  return { ...data, projects };
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

/**
 * One ajv in the bundle: check uses the v1 SDK's Client (2025 era) and the v2
 * client (2026-07-28), and each brought its own copy of ajv and ajv-formats
 * (the v2 client's is inlined in its dist). The v1 Client's default validator
 * becomes the v2 client's AjvJsonSchemaValidator, the same interface
 * (getValidator(schema) -> input -> { valid, data, errorMessage }), which also
 * picks the engine by the schema's declared dialect. Saves the installed size
 * of one ajv.
 */
const oneAjv = {
  name: "one-ajv",
  setup(b) {
    b.onResolve({ filter: /[\\/]validation[\\/]ajv-provider\.js$/ }, (args) => {
      if (!/[\\/]@modelcontextprotocol[\\/]sdk[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(repo, "node_modules/@modelcontextprotocol/client/dist/validators/ajv.mjs") };
    });
  },
};

/** The bundle's `require`: a built-in module, or the error require gives for a module it cannot find. */
const BUILTIN_REQUIRE =
  "const require = (id) => { const m = process.getBuiltinModule(id); if (m !== undefined) return m; " +
  "throw Object.assign(new Error(\"Cannot find module '\" + id + \"' (create-mcp-auth's bundle loads only Node.js built-ins)\"), { code: 'MODULE_NOT_FOUND' }); };";

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
  // Some bundled CommonJS packages call require() for Node built-ins, and so does this package's own code
  // (builtinsThroughRequire). Everything else is bundled, so built-ins are all require ever gets:
  // process.getBuiltinModule (Node 20.16 / 22.3, below the engines range) answers them without
  // node:module, whose import (with the source-map support it loads) took ~1.2 ms of every start.
  banner: { js: BUILTIN_REQUIRE },
  logLevel: "warning",
  plugins: [precompiledTemplates, lazyChildProcessInCommander, oneAjv, oneStartupChunk(await startupModules())],
});
