import { existsSync } from "node:fs";
import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../src/add/apply.js";
import { parseModule } from "../src/add/ast.js";
import { CommonJsError, toCommonJs } from "../src/add/commonjs.js";
import { type CoreTarget, renderCore, scopesModule } from "../src/add/core.js";
import { detect, globMatches, readPackageJson } from "../src/add/detect.js";
import { changedLines, unifiedDiff } from "../src/add/diff.js";
import { parseToolScopes, resolveProvider } from "../src/add/options.js";
import { addDependencies, appendEnv, envFileHas } from "../src/add/project-files.js";
import { StripError, stripTypes } from "../src/add/strip-types.js";
import { styleOf, wire } from "../src/add/wire.js";
import { givenValues } from "../src/core/provider-settings.js";
import { repoRoot, tempDir } from "./helpers/cli.js";

const roots = { templates: path.join(repoRoot, "templates"), glue: path.join(repoRoot, "src/add/glue") };

describe("stripTypes: TypeScript to JavaScript by cutting the types out", () => {
  it("removes annotations, type declarations, modifiers and casts, keeping comments, blank lines and quotes", () => {
    const ts = [
      "import type { A } from './a.js';",
      "import { b, type C } from './b.js';",
      "// a comment that stays",
      "",
      "/** Doc of an interface: removed with it. */",
      "export interface Shape {",
      "  x: number;",
      "}",
      "export type Id = string;",
      "",
      "export abstract class Base<T> extends Error implements Shape {",
      "  abstract readonly kind: string;",
      "  private readonly cache = new Map<string, T>();",
      "  x!: number;",
      "  constructor(",
      "    private readonly config: Config,",
      "    readonly label: string = 'l',",
      "  ) {",
      "    super('base');",
      "  }",
      "  protected get<K extends string>(key?: K): T | undefined {",
      "    return this.cache.get(key as string)!;",
      "  }",
      "}",
      "",
      "export function f(this: void, a: number, ...rest: string[]): a is number {",
      "  const v = { n: 1 } as const satisfies Record<string, number>;",
      "  return b<number>(a, rest, v) as unknown as boolean;",
      "}",
      "",
    ].join("\n");
    expect(stripTypes(ts)).toBe(
      [
        "import { b } from './b.js';",
        "// a comment that stays",
        "",
        "export class Base extends Error {",
        "  cache = new Map();",
        "  x;",
        "  constructor(config, label = 'l') {",
        "    super('base');",
        "    this.config = config;",
        "    this.label = label;",
        "  }",
        "  get(key) {",
        "    return this.cache.get(key);",
        "  }",
        "}",
        "",
        "export function f(a, ...rest) {",
        "  const v = { n: 1 };",
        "  return b(a, rest, v);",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps the parentheses around an expression it cuts a cast or a non-null assertion from", () => {
    const ts = [
      "const doc = (await read().catch(() => undefined)) as { a?: unknown } | undefined;",
      "const n = ((x as number) /* why */) satisfies number;",
      "const k = (map.get(key))!;",
      "const t = <string>(value);",
      "",
    ].join("\n");
    const js = stripTypes(ts);
    expect(js).toBe(
      [
        "const doc = (await read().catch(() => undefined));",
        "const n = ((x) /* why */);",
        "const k = (map.get(key));",
        "const t = (value);",
        "",
      ].join("\n"),
    );
    expect(() => parseModule(js, "js", "x.js")).not.toThrow();
  });

  it("refuses what it cannot strip faithfully, naming it and the line", () => {
    expect(() => stripTypes("const a = 1;\nenum Color { Red }\n", "x.ts")).toThrow(StripError);
    expect(() => stripTypes("const a = 1;\nenum Color { Red }\n", "x.ts")).toThrow(/x\.ts:2: cannot turn an enum into JavaScript/);
    expect(() => stripTypes("namespace N { export const a = 1; }\n")).toThrow(/a namespace/);
  });
});

describe("toCommonJs: ESM to CommonJS as a person would write it", () => {
  it("turns imports into requires and exports into one module.exports", () => {
    const js = [
      "// header",
      'import { a, b as c } from "./x.js";',
      'import * as fs from "node:fs";',
      'import "./side.js";',
      "",
      "export const one = 1, two = 2;",
      "export function f() { return a + c; }",
      "class K {}",
      "export { K as Klass };",
      "",
    ].join("\n");
    expect(toCommonJs(js)).toBe(
      [
        "// header",
        'const { a, b: c } = require("./x.js");',
        'const fs = require("node:fs");',
        'require("./side.js");',
        "",
        "const one = 1, two = 2;",
        "function f() { return a + c; }",
        "class K {}",
        "",
        "module.exports = { one, two, f, Klass: K };",
        "",
      ].join("\n"),
    );
  });

  it("refuses a default export, a default import, import.meta and top-level await", () => {
    expect(() => toCommonJs("export default 1;\n")).toThrow(CommonJsError);
    expect(() => toCommonJs('import x from "y";\n')).toThrow(/default import/);
    expect(() => toCommonJs("const u = import.meta.url;\n")).toThrow(/import\.meta/);
    expect(() => toCommonJs("await 1;\n")).toThrow(/top-level await/);
  });
});

describe("renderCore: the auth core from templates/, in every language and module system", () => {
  const targets: CoreTarget[] = [];
  for (const provider of ["scalekit", "oidc"]) {
    for (const framework of ["express", "fastify", "hono", "fastmcp"]) {
      targets.push({ language: "ts", module: "esm", extension: ".ts", specifierExtension: ".js", framework, provider });
      targets.push({ language: "js", module: "esm", extension: ".js", specifierExtension: ".js", framework, provider });
      targets.push({ language: "js", module: "cjs", extension: ".cjs", specifierExtension: ".cjs", framework, provider });
    }
  }

  it.each(targets.map((t) => [`${t.provider} ${t.framework} ${t.language} ${t.module}`, t] as const))(
    "%s parses, imports only its own files and declared packages",
    async (_name, target) => {
      const core = await renderCore(target, { serverName: "x", toolScopes: { a: ["s:1"] } }, roots);
      const names = new Set(core.files.map((f) => f.name));
      const bases = new Set(core.files.map((f) => f.name.replace(/\.[^.]+$/, "")));
      expect(names).toContain(`mcp-auth${target.extension}`);
      expect(names).toContain(`${target.framework}${target.extension}`);
      expect(names).toContain(`tool-scopes${target.extension}`);
      expect(names).toContain(`provider${target.extension}`);
      expect(names).toContain(`origin${target.extension}`);
      // Only what the glue needs: not Scalekit's management API client.
      expect(names).not.toContain(`scalekit${target.extension}`);
      expect(names.has(`discovery${target.extension}`)).toBe(target.provider === "oidc");
      for (const file of core.files) {
        const ast = parseModule(file.content, target.language, file.name);
        const body = ast.program.body;
        if (target.module === "cjs") {
          expect(
            body.some((s) => s.type.startsWith("Import") || s.type.startsWith("Export")),
            file.name,
          ).toBe(false);
        }
        for (const match of file.content.matchAll(/(?:from |require\()"(\.[^"]+)"/g)) {
          const spec = match[1]!;
          expect(bases.has(spec.slice(2).replace(/\.[^.]+$/, "")), `${file.name} imports ${spec}`).toBe(true);
          expect(spec.endsWith(target.specifierExtension), spec).toBe(true);
        }
        // The core is the same for SDK v1 and v2 projects: it names no MCP SDK (fastmcp's glue
        // serves the 2026-07-28 era through SDK v2, since fastmcp 4 is built on v1).
        if (file.name !== `fastmcp${target.extension}`) expect(file.content, file.name).not.toContain("@modelcontextprotocol/");
      }
      const deps = core.dependencies.map((d) => `${d.name}${d.dev ? " (dev)" : ""}`);
      expect(deps).toContain("jose");
      expect(deps).not.toContain("@scalekit-sdk/node");
      if (target.language === "ts") expect(deps).toContain("@types/node (dev)");
    },
  );

  it("the core imports from tool-scopes only what add writes there: toolScopes, scopeHierarchy, serverName", async () => {
    const { dir, cleanup } = await tempDir("cma-core-tools-");
    try {
      // A copy of the templates whose core asks tool-scopes for one more name.
      await cp(roots.templates, dir, { recursive: true });
      const file = path.join(dir, "typescript/auth/src/metadata.ts");
      const code = await readFile(file, "utf8");
      expect(code).toMatch(/import \{ scopeHierarchy, serverName, toolScopes \} from "\.\/tool-scopes\.js";/);
      await writeFile(
        file,
        code.replace("import { scopeHierarchy, serverName, toolScopes }", "import { scopeHierarchy, serverName, toolScopes, tools }"),
      );
      const target: CoreTarget = {
        language: "ts",
        module: "esm",
        extension: ".ts",
        specifierExtension: ".js",
        framework: "express",
        provider: "scalekit",
      };
      await expect(renderCore(target, { serverName: "x", toolScopes: {} }, { templates: dir, glue: roots.glue })).rejects.toThrow(
        /metadata\.ts imports tools from \.\/tool-scopes\.js, which add does not provide/,
      );
      const written = scopesModule({ serverName: "x", toolScopes: {} });
      for (const name of ["toolScopes", "scopeHierarchy", "serverName"])
        expect(written).toMatch(new RegExp(`^export const ${name}\\b`, "m"));
    } finally {
      await cleanup();
    }
  });

  it("an unknown provider is bad usage", async () => {
    const target: CoreTarget = {
      language: "ts",
      module: "esm",
      extension: ".ts",
      specifierExtension: ".js",
      framework: "express",
      provider: "nope",
    };
    await expect(renderCore(target, { serverName: "x", toolScopes: {} }, roots)).rejects.toThrow(/unknown provider "nope"/);
  });

  /** The written core imports jose: the test's folder finds this repository's. */
  async function projectDir(dir: string, type: "module" | "commonjs") {
    await mkdir(path.join(dir, "node_modules"), { recursive: true });
    await symlink(path.join(repoRoot, "node_modules/jose"), path.join(dir, "node_modules/jose"), "dir");
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type }));
  }

  const envs = {
    scalekit: {
      SCALEKIT_ENVIRONMENT_URL: "http://127.0.0.1:4444",
      SCALEKIT_RESOURCE_ID: "res_local",
      MCP_SERVER_URL: "http://127.0.0.1:3000/mcp",
    },
    // Port 9 (discard): nothing answers, so discovery fails and retries in the background.
    oidc: { OIDC_ISSUER_URL: "http://127.0.0.1:9", MCP_SERVER_URL: "http://127.0.0.1:3000/mcp" },
  };
  const firstVariable = { scalekit: "SCALEKIT_ENVIRONMENT_URL", oidc: "OIDC_ISSUER_URL" };

  for (const provider of ["scalekit", "oidc"] as const) {
    for (const module of ["cjs", "esm"] as const) {
      it(`the ${module === "cjs" ? "CommonJS" : "ESM"} JavaScript core (${provider}) runs: config errors name the variable, challenges and the Origin check are right`, async () => {
        const { dir, cleanup } = await tempDir("cma-core-");
        try {
          const target: CoreTarget = {
            language: "js",
            module,
            extension: ".js",
            specifierExtension: ".js",
            framework: "express",
            provider,
          };
          const core = await renderCore(target, { serverName: "x", toolScopes: { write_it: ["w:1"] } }, roots);
          await projectDir(dir, module === "cjs" ? "commonjs" : "module");
          for (const file of core.files) await writeFile(path.join(dir, file.name), file.content);
          const load = async (name: string) =>
            module === "cjs" ? createRequire(path.join(dir, "x.js"))(`./${name}`) : await import(pathToFileURL(path.join(dir, name)).href);
          const { loadConfig, ConfigError } = await load("config.js");
          expect(() => loadConfig({ MCP_SERVER_URL: "http://127.0.0.1:3000/mcp" })).toThrow(ConfigError);
          try {
            loadConfig({ MCP_SERVER_URL: "http://127.0.0.1:3000/mcp" });
          } catch (error) {
            expect((error as { variable: string }).variable).toBe(firstVariable[provider]);
          }
          const config = loadConfig(envs[provider]);
          expect(config.provider.name).toBe(provider);
          const { createAuthorizer } = await load("authorize.js");
          const { createVerifier } = await load("provider.js");
          const auth = createAuthorizer(config, createVerifier(config, { keySet: { log: () => {} } }));
          const missing = await auth.authenticate(undefined);
          expect(missing.challenge.status).toBe(401);
          expect(missing.challenge.headers["WWW-Authenticate"]).toBe(
            'Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp", scope="w:1"',
          );
          const forged = await auth.authenticate("Bearer a.b.c");
          expect(forged.challenge.headers["WWW-Authenticate"]).toMatch(/error="invalid_token"/);
          const token = { token: "t", subject: "s", clientId: "c", scopes: [], expiresAt: 1, claims: {} };
          const refused = auth.authorize(token, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "write_it" } });
          expect(refused.challenge.status).toBe(403);
          expect(auth.authorize(token, { jsonrpc: "2.0", id: 1, method: "tools/list" }).ok).toBe(true);
          const { checkOrigin } = await load("origin.js");
          expect(checkOrigin(config, "http://evil.example", "127.0.0.1:3000")?.status).toBe(403);
          expect(checkOrigin(config, "http://localhost:6274", "127.0.0.1:3000")).toBeUndefined();
          expect(checkOrigin(config, undefined, "evil.example")?.status).toBe(403);
        } finally {
          await cleanup();
        }
      });
    }
  }

  it("scopesModule writes any tool name and scope as a literal that reads back exactly", () => {
    const code = scopesModule({ serverName: 'a"b', toolScopes: { __proto__x: ["s"], ["__proto__"]: ["p"], "it's": ['x:"y"'] } });
    const js = stripTypes(code);
    const mod = { exports: {} as Record<string, unknown> };
    new Function("module", toCommonJs(js))(mod);
    expect(mod.exports.serverName).toBe('a"b');
    expect(Object.hasOwn(mod.exports.toolScopes as object, "__proto__")).toBe(true);
    expect((mod.exports.toolScopes as Record<string, string[]>)["it's"]).toEqual(['x:"y"']);
    expect(mod.exports.scopeHierarchy).toEqual({});
  });
});

describe("unifiedDiff", () => {
  it("git apply turns the old text into the new one (property test)", async () => {
    const { dir, cleanup } = await tempDir("cma-diff-");
    try {
      await execa("git", ["init", "-q"], { cwd: dir });
      const lines = fc.array(fc.constantFrom("a", "b", "c", "", "  x;", "}"), { maxLength: 25 });
      await fc.assert(
        fc.asyncProperty(lines, lines, fc.boolean(), fc.boolean(), async (a, b, aNl, bNl) => {
          const before = a.join("\n") + (aNl ? "\n" : "");
          const after = b.join("\n") + (bNl ? "\n" : "");
          const patch = unifiedDiff("f.txt", before, after);
          if (before === after) {
            expect(patch).toBe("");
            return;
          }
          await writeFile(path.join(dir, "f.txt"), before);
          await writeFile(path.join(dir, "p.diff"), patch);
          await execa("git", ["apply", "p.diff"], { cwd: dir });
          expect(await readFile(path.join(dir, "f.txt"), "utf8")).toBe(after);
        }),
        { numRuns: 40 },
      );
    } finally {
      await cleanup();
    }
  });

  it("a new file is diffed from /dev/null", () => {
    expect(unifiedDiff("a/b.js", undefined, "x\n")).toBe("--- /dev/null\n+++ b/a/b.js\n@@ -0,0 +1 @@\n+x\n");
  });
});

describe("package.json and env files: spliced, every other byte kept", () => {
  const dep = (name: string, dev = false) => ({ name, version: "^1.0.0", dev });

  it("inserts into a sorted dependencies section in order, in the file’s indentation", () => {
    const text = '{\n    "name": "x",\n    "dependencies": {\n        "a": "1",\n        "m": "1"\n    },\n    "z": true\n}\n';
    expect(addDependencies(text, [dep("b"), dep("zz")])).toBe(
      '{\n    "name": "x",\n    "dependencies": {\n        "a": "1",\n        "b": "^1.0.0",\n        "m": "1",\n        "zz": "^1.0.0"\n    },\n    "z": true\n}\n',
    );
  });

  it("appends to an unsorted section, creates a missing one, keeps CRLF", () => {
    const text = '{\r\n  "name": "x",\r\n  "dependencies": { "m": "1", "a": "1" }\r\n}';
    expect(addDependencies(text, [dep("b"), dep("t", true)])).toBe(
      '{\r\n  "name": "x",\r\n  "dependencies": { "m": "1", "a": "1", "b": "^1.0.0" },\r\n  "devDependencies": {\r\n    "t": "^1.0.0"\r\n  }\r\n}',
    );
    expect(addDependencies('{ "name": "x" }', [dep("b")])).toBe('{ "name": "x",\n  "dependencies": {\n    "b": "^1.0.0"\n  } }');
  });

  it("appends env variables the file lacks (set, empty or commented out counts as present)", () => {
    const text = "# mine\nPORT=1\n# MCP_SERVER_URL=https://x\n";
    expect(envFileHas(text, "MCP_SERVER_URL")).toBe(true);
    const out = appendEnv(
      text,
      [
        { name: "MCP_SERVER_URL", comment: "c", value: "v" },
        { name: "A", comment: "about A", value: "it's" },
      ],
      "Added",
      true,
    );
    expect(out).toBe("# mine\nPORT=1\n# MCP_SERVER_URL=https://x\n\n# Added\n# about A\nA=`it's`\n");
    expect(appendEnv(out, [{ name: "A", comment: "", value: "x" }], "Added", true)).toBe(out);
    expect(appendEnv("X=1", [{ name: "B", comment: "", value: "" }], "H", false)).toBe("X=1\n\n# H\nB=\n");
  });
});

describe("--scopes tool=scope", () => {
  it("parses pairs, a tool listed twice needs both, and bad input says what is wrong", () => {
    expect(parseToolScopes("a=x:1, b=y, a=z").map).toEqual({ a: ["x:1", "z"], b: ["y"] });
    expect(parseToolScopes("todo:read").error).toMatch(/not tool=scope/);
    expect(parseToolScopes("a=").error).toMatch(/names no scope/);
    expect(parseToolScopes('a=b"c').error).toMatch(/not a valid OAuth scope/);
  });
});

describe("workspace globs", () => {
  it("match like npm: * is one segment, ** any", () => {
    expect(globMatches("packages/*", "packages/api")).toBe(true);
    expect(globMatches("packages/*", "packages/api/x")).toBe(false);
    expect(globMatches("apps/**", "apps/a/b")).toBe(true);
    expect(globMatches("./tools/mcp", "tools/mcp")).toBe(true);
  });
});

async function project(files: Record<string, string>) {
  const work = await tempDir("cma-add-unit-");
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work.dir, rel)), { recursive: true });
    await writeFile(path.join(work.dir, rel), content);
  }
  const pkg = (await readPackageJson(work.dir))!;
  return { ...work, pkg };
}

describe("wiring in the file’s own style, or the lines to add by hand", () => {
  const pkg = JSON.stringify({ name: "p", dependencies: { express: "^5.0.0", "@modelcontextprotocol/sdk": "^1.32.0" } });

  it("matches quotes, semicolons, indentation and CRLF line endings", async () => {
    const code = [
      "const express = require('express')",
      "",
      "function main () {",
      "\tconst app = express() // the app",
      "\tapp.post('/api/mcp', (req, res) => transport.handleRequest(req, res, req.body))",
      "\tapp.listen(process.env.PORT)",
      "}",
      "",
    ].join("\r\n");
    const p = await project({ "package.json": pkg, "index.js": code });
    try {
      const d = await detect(p.dir, p.pkg, {});
      expect(styleOf(d.app!.file)).toEqual({ quote: "'", semicolons: false, indent: "\t", eol: "\r\n" });
      const wiring = wire(d, { authDir: "auth", endpoint: d.endpoint!.path, app: d.app });
      expect(wiring.wired).toBe(true);
      expect(wiring.files.get("index.js")).toBe(
        [
          "const express = require('express')",
          "const { mcpAuth } = require('./auth/express.js')",
          "",
          "function main () {",
          "\tconst app = express() // the app",
          "\t// OAuth for the MCP endpoint, before any route (create-mcp-auth add)",
          "\tapp.use(mcpAuth({ endpoint: '/api/mcp' }))",
          "\tapp.post('/api/mcp', (req, res) => transport.handleRequest(req, res, req.body))",
          "\tapp.listen(process.env.PORT)",
          "}",
          "",
        ].join("\r\n"),
      );
      expect(changedLines(code, wiring.files.get("index.js")!).removed).toEqual([]);
    } finally {
      await p.cleanup();
    }
  });

  it("leaves a file it cannot edit safely unchanged and returns the exact lines and where", async () => {
    const code = [
      "import express from 'express';",
      "const app = express(); app.post('/mcp', (req, res) => transport.handleRequest(req, res, req.body));",
      "",
    ].join("\n");
    const p = await project({ "package.json": pkg, "src/server.mjs": code });
    try {
      const d = await detect(p.dir, p.pkg, {});
      const wiring = wire(d, { authDir: "src/auth", endpoint: "/mcp", app: d.app });
      expect(wiring.wired).toBe(false);
      expect(wiring.files.size).toBe(0);
      expect(wiring.manual).toEqual([
        { file: "src/server.mjs", where: "with the other imports", lines: ["import { mcpAuth } from './auth/express.mjs';"] },
        {
          file: "src/server.mjs",
          where: "right after `const app = express()` (line 2), before the MCP route",
          lines: ["// OAuth for the MCP endpoint, before any route (create-mcp-auth add)", "app.use(mcpAuth({ endpoint: '/mcp' }));"],
        },
      ]);
    } finally {
      await p.cleanup();
    }
  });

  it("passes the parsed body on where the route handed the raw stream to the transport", async () => {
    const code = [
      'import express from "express";',
      "const app = express();",
      'app.post("/mcp", async (req, res) => {',
      "  await transport.handleRequest(req, res);",
      "});",
      "",
    ].join("\n");
    const p = await project({ "package.json": pkg, "index.mjs": code });
    try {
      const d = await detect(p.dir, p.pkg, {});
      const out = wire(d, { authDir: "auth", endpoint: "/mcp", app: d.app }).files.get("index.mjs")!;
      expect(out).toContain("  await transport.handleRequest(req, res, req.body);");
    } finally {
      await p.cleanup();
    }
  });

  it("reports a reused McpServer it cannot move safely (used elsewhere), and does not touch it", async () => {
    const code = [
      'import express from "express";',
      'import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
      'import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";',
      'const server = new McpServer({ name: "x", version: "1" });',
      "const app = express();",
      'app.post("/mcp", async (req, res) => {',
      "  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });",
      "  await server.connect(transport);",
      "  await transport.handleRequest(req, res, req.body);",
      "});",
      'process.on("SIGTERM", () => server.close());',
      "",
    ].join("\n");
    const p = await project({ "package.json": pkg, "index.mjs": code });
    try {
      const d = await detect(p.dir, p.pkg, {});
      expect(d.reused).toHaveLength(1);
      expect(d.reused[0]).toMatchObject({ name: "server", line: 4, reason: "server is used outside the request handler and its setup" });
      const out = wire(d, { authDir: "auth", endpoint: "/mcp", app: d.app }).files.get("index.mjs")!;
      expect(changedLines(code, out).removed).toEqual([]);
      expect(out).toContain('const server = new McpServer({ name: "x", version: "1" });');
    } finally {
      await p.cleanup();
    }
  });
});

describe("applyChanges: all files or none", () => {
  it("a failure before the last file puts every original back and removes what it created", async () => {
    const p = await project({ "package.json": "{}\n", "a.js": "old a\n" });
    try {
      const changes = [
        { path: "a.js", before: "old a\n", after: "new a\n", mode: 0o644 },
        { path: "lib/auth/b.js", before: undefined, after: "b\n", mode: 0o644 },
        { path: "z.js", before: undefined, after: "z\n", mode: 0o644 },
      ];
      await expect(
        applyChanges(p.dir, changes, {
          beforeCommit: (i) => {
            if (i === 2) throw new Error("disk full");
          },
        }),
      ).rejects.toThrow("disk full");
      expect(await readFile(path.join(p.dir, "a.js"), "utf8")).toBe("old a\n");
      expect(existsSync(path.join(p.dir, "lib"))).toBe(false);
      expect(existsSync(path.join(p.dir, "z.js"))).toBe(false);
      const { readdir } = await import("node:fs/promises");
      expect((await readdir(p.dir)).sort()).toEqual(["a.js", "package.json"]);
      await applyChanges(p.dir, changes);
      expect(await readFile(path.join(p.dir, "lib/auth/b.js"), "utf8")).toBe("b\n");
    } finally {
      await p.cleanup();
    }
  });

  it("refuses to write when a file changed since the plan was made", async () => {
    const p = await project({ "package.json": "{}\n", "a.js": "edited\n" });
    try {
      await expect(applyChanges(p.dir, [{ path: "a.js", before: "old\n", after: "new\n", mode: 0o644 }])).rejects.toThrow(
        /changed while add was running/,
      );
      expect(await readFile(path.join(p.dir, "a.js"), "utf8")).toBe("edited\n");
    } finally {
      await p.cleanup();
    }
  });

  it("writes .env with mode 0600 and keeps the mode of an existing file", async () => {
    const p = await project({ "package.json": "{}\n", "run.sh": "a\n" });
    try {
      const { chmod, stat } = await import("node:fs/promises");
      await chmod(path.join(p.dir, "run.sh"), 0o755);
      await applyChanges(p.dir, [
        { path: ".env", before: undefined, after: "A=1\n", mode: 0o600 },
        { path: "run.sh", before: "a\n", after: "b\n", mode: 0o644 },
      ]);
      expect((await stat(path.join(p.dir, ".env"))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(p.dir, "run.sh"))).mode & 0o777).toBe(0o755);
    } finally {
      await p.cleanup();
    }
  });
});

describe("the provider, chosen as create chooses it", () => {
  it("--provider, else the provider whose flags or variables are given, else scalekit; two at once is a usage error", () => {
    expect(resolveProvider({}, {}).name).toBe("scalekit");
    expect(resolveProvider({ settings: { issuerUrl: "https://auth.example.com" } }, {}).name).toBe("oidc");
    expect(resolveProvider({}, { OIDC_ISSUER_URL: "https://auth.example.com" }).name).toBe("oidc");
    expect(resolveProvider({ provider: "oidc" }, { SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev" }).name).toBe("oidc");
    expect(() => resolveProvider({ settings: { issuerUrl: "https://a.example.com", envUrl: "https://acme.scalekit.dev" } }, {})).toThrow(
      /--provider/,
    );
    expect(() => resolveProvider({ provider: "keycloak" }, {})).toThrow(/unknown provider/);
  });

  it("a repeatable setting from its variable is comma separated", () => {
    const oidc = resolveProvider({ provider: "oidc" }, {});
    expect(
      givenValues(oidc, { provider: "oidc" }, { OIDC_ISSUER_URL: "https://a.example.com", OIDC_AUDIENCE: "api://x, https://y" }),
    ).toEqual({
      issuerUrl: "https://a.example.com",
      audience: ["api://x", "https://y"],
    });
  });
});

describe("the project's own steps (runStepCommands)", () => {
  /** A step that starts a server of its own in the background and exits 0 without stopping it (a test suite's leftover). */
  const leaver = (pidFile: string) =>
    [
      'const { spawn } = require("node:child_process");',
      'const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });',
      `require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));`,
      "child.unref();",
    ].join("\n");
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.skipIf(process.platform === "win32")("stops what a step left running, and still reports the step as it ended", async () => {
    const { runStepCommands } = await import("../src/add/steps.js");
    const work = await tempDir("cma-steps-");
    try {
      const pidFile = path.join(work.dir, "leftover.pid");
      const runs = await runStepCommands(
        work.dir,
        [{ name: "test", file: process.execPath, args: ["-e", leaver(pidFile)], display: "npm test" }],
        {},
        60_000,
      );
      expect(runs.get("test")?.ok).toBe(true);
      const pid = Number(await readFile(pidFile, "utf8"));
      expect(pid).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const survived = alive(pid);
      if (survived) process.kill(pid, "SIGKILL");
      expect(survived, "the step's leftover process is still running after the step").toBe(false);
    } finally {
      await work.cleanup();
    }
  });
});
