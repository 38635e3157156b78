/**
 * The glue `add` writes (src/add/glue), rendered by renderCore as a project
 * gets it, in a small real app per framework (Express, Fastify, Hono) served
 * on 127.0.0.1 by its own process, against the local issuer:
 * - the app's other routes keep their own parsers (a JSON route and a
 *   urlencoded route beside /mcp);
 * - the MCP route gets the caller and the body, after the neutral steps;
 * - a body that trickles is cut off by the body deadline (408), not held for
 *   Node's 300 s;
 * - the rendered core and glue typecheck under a strict tsconfig (lib
 *   ES2020, types: [], exactOptionalPropertyTypes, ...).
 * The frameworks are installed once into .cache/glue-frameworks.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoreTarget, renderCore } from "../src/add/core.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { freePort } from "../src/selfcheck.js";
import { repoRoot } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";

const work = path.join(repoRoot, ".cache", "glue-frameworks");
const FRAMEWORKS = ["express", "fastify", "hono"] as const;
type Framework = (typeof FRAMEWORKS)[number];
const SCOPES = { serverName: "glue-test", toolScopes: { write_it: ["w:1"], read_it: ["r:1"] } };

const PACKAGE = {
  private: true,
  type: "module",
  dependencies: {
    "@fastify/formbody": "^8.0.2",
    "@hono/node-server": "^1.19.9",
    "@types/express": "^5.0.3",
    "@eslint/js": "^9.39.0",
    "@types/node": "^20.19.0",
    eslint: "^9.39.0",
    express: "^5.1.0",
    fastify: "^5.4.0",
    hono: "^4.11.4",
    globals: "^16.0.0",
    jose: "^6.2.18",
    tsx: "^4.20.0",
    typescript: "~5.9.3",
    "typescript-eslint": "^8.48.0",
  },
};

/** Installs the frameworks once (again only when this list changes). */
async function installFrameworks(): Promise<void> {
  const manifest = `${JSON.stringify(PACKAGE, null, 2)}\n`;
  const file = path.join(work, "package.json");
  const current = existsSync(file) ? await readFile(file, "utf8") : "";
  if (current === manifest && existsSync(path.join(work, "node_modules", "fastify"))) return;
  await mkdir(work, { recursive: true });
  await writeFile(file, manifest);
  await execa("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock"], { cwd: work, env: installEnv() });
}

/** A small app per framework: the glue first (as add wires it), then parsers and routes of the app's own. */
const SERVERS: Record<Framework, string> = {
  express: `import express from "express";
import { mcpAuth } from "./auth/express.js";

const app = express();
app.use(mcpAuth({ endpoint: "/mcp" }));
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.post("/echo-json", (req, res) => { res.json({ body: req.body }); });
app.post("/echo-form", (req, res) => { res.json({ body: req.body }); });
app.all("/mcp", (req, res) => { res.json({ body: req.body ?? null, auth: (req as { auth?: unknown }).auth ?? null }); });
app.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
`,
  fastify: `import formbody from "@fastify/formbody";
import Fastify from "fastify";
import { mcpAuth } from "./auth/fastify.js";

const app = Fastify();
mcpAuth(app, { endpoint: "/mcp" });
await app.register(formbody);
app.post("/echo-json", async (request) => ({ body: request.body }));
app.post("/echo-form", async (request) => ({ body: request.body }));
app.route({
  method: ["GET", "POST", "DELETE"],
  url: "/mcp",
  handler: async (request) => ({ body: request.body ?? null, auth: (request.raw as { auth?: unknown }).auth ?? null }),
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
console.log("listening");
`,
  hono: `import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { mcpAuth } from "./auth/hono.js";

const app = new Hono<{ Variables: { auth: unknown; parsedBody: unknown } }>();
app.use(mcpAuth({ endpoint: "/mcp" }));
app.post("/echo-json", async (c) => c.json({ body: await c.req.json() }));
app.post("/echo-form", async (c) => c.json({ body: await c.req.parseBody() }));
app.all("/mcp", async (c) => c.json({ body: c.req.method === "POST" ? await c.req.raw.json() : null, parsed: c.get("parsedBody") ?? null, auth: c.get("auth") ?? null }));
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: "127.0.0.1" }, () => console.log("listening"));
`,
};

const TARGETS = {
  ts: { language: "ts", module: "esm", extension: ".ts", specifierExtension: ".js" },
  esm: { language: "js", module: "esm", extension: ".mjs", specifierExtension: ".mjs" },
  cjs: { language: "js", module: "cjs", extension: ".cjs", specifierExtension: ".cjs" },
} as const;

async function writeCore(dir: string, framework: string, provider: string, kind: keyof typeof TARGETS = "ts"): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const target: CoreTarget = { ...TARGETS[kind], framework, provider };
  const core = await renderCore(target, SCOPES);
  for (const file of core.files) await writeFile(path.join(dir, file.name), file.content);
}

interface Served {
  port: number;
  child: ChildProcess;
  output: () => string;
}

/** `without`: a variable left unset (a server without its configuration), in a folder of its own. */
async function serve(framework: Framework, issuer: LocalIssuer, without?: string): Promise<Served> {
  const dir = path.join(work, "apps", without ? `${framework}-without` : framework);
  await writeCore(path.join(dir, "auth"), framework, "scalekit");
  await writeFile(path.join(dir, "server.ts"), SERVERS[framework]);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
    MCP_SERVER_URL: `http://127.0.0.1:${port}/mcp`,
    PORT: String(port),
  };
  if (without) delete env[without];
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes("listening")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${framework} app did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, child, output: () => output };
}

const rpc = (method: string, params: object = {}) => JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });

/**
 * A POST whose body never finishes: one byte every 500 ms, chunked or with a
 * Content-Length it never reaches. Resolves with the answer's status (or
 * "closed") and how long it took.
 */
function trickle(port: number, headers: Record<string, string>): Promise<{ status: number | "closed"; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/mcp", headers });
    const timer = setInterval(() => req.write(" "), 500);
    const done = (status: number | "closed") => {
      clearInterval(timer);
      req.destroy();
      resolve({ status, ms: Date.now() - started });
    };
    req.on("response", (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", () => done("closed"));
    req.write("{");
  });
}

describe("the add glue in a real app per framework", () => {
  let issuer: LocalIssuer;
  const apps = new Map<Framework, Served>();

  beforeAll(async () => {
    await installFrameworks();
    issuer = await startIssuer({ port: 0, quiet: true });
    for (const framework of FRAMEWORKS) apps.set(framework, await serve(framework, issuer));
  }, 600_000);

  afterAll(async () => {
    for (const app of apps.values()) app.child.kill("SIGTERM");
    await issuer?.close();
  });

  const url = (framework: Framework, route: string) => `http://127.0.0.1:${apps.get(framework)!.port}${route}`;

  for (const framework of FRAMEWORKS) {
    describe(framework, () => {
      it("the app's own JSON and urlencoded routes beside /mcp keep their parsers, with no token", async () => {
        const json = await fetch(url(framework, "/echo-json"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ a: 1, b: ["x"] }),
        });
        expect(json.status).toBe(200);
        expect(await json.json()).toEqual({ body: { a: 1, b: ["x"] } });
        const form = await fetch(url(framework, "/echo-form"), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: "city=Oslo&days=3",
        });
        expect(form.status).toBe(200);
        expect(await form.json()).toEqual({ body: { city: "Oslo", days: "3" } });
      });

      it("/mcp: 401 without a token; with one the route gets the parsed body and the caller; 403 for a tool the token's scopes do not cover", async () => {
        const none = await fetch(url(framework, "/mcp"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: rpc("tools/list"),
        });
        expect(none.status).toBe(401);
        expect(none.headers.get("www-authenticate")).toMatch(
          /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
        );

        const token = await issuer.mint({ scopes: ["r:1"], clientId: "client-1", sub: "user-1" });
        const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
        const body = rpc("tools/call", { name: "read_it", arguments: {} });
        const ok = await fetch(url(framework, "/mcp"), { method: "POST", headers, body });
        expect(ok.status).toBe(200);
        const seen = (await ok.json()) as { body: unknown; auth: { clientId: string; scopes: string[]; extra: { sub: string } } };
        expect(seen.body).toEqual(JSON.parse(body));
        // Hono: the checked body is also handed on the MCP SDK's way (`parsedBody`), so the handler parses nothing again.
        if (framework === "hono") expect((seen as { parsed?: unknown }).parsed).toEqual(JSON.parse(body));
        expect(seen.auth).toMatchObject({ clientId: "client-1", scopes: ["r:1"], extra: { sub: "user-1" } });

        const refused = await fetch(url(framework, "/mcp"), { method: "POST", headers, body: rpc("tools/call", { name: "write_it" }) });
        expect(refused.status).toBe(403);
        expect(refused.headers.get("www-authenticate")).toMatch(/error="insufficient_scope", scope="w:1 r:1"/);

        // GET (an SSE stream, where the project serves one) reaches the route with the caller too.
        const get = await fetch(url(framework, "/mcp"), { headers: { authorization: `Bearer ${token}` } });
        expect(get.status).toBe(200);
        expect(((await get.json()) as { auth: { clientId: string } }).auth.clientId).toBe("client-1");
      });

      it("/mcp bodies: 415 for another type, 400 for bad JSON, 413 by Content-Length; the metadata is public", async () => {
        const token = await issuer.mint({ scopes: ["r:1"] });
        const auth = { authorization: `Bearer ${token}` };
        const form = await fetch(url(framework, "/mcp"), {
          method: "POST",
          headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
          body: "a=1",
        });
        expect(form.status).toBe(415);
        const bad = await fetch(url(framework, "/mcp"), {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: "{",
        });
        expect(bad.status).toBe(400);
        const large = await fetch(url(framework, "/mcp"), {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ pad: "x".repeat(1024 * 1024) }),
        });
        expect(large.status).toBe(413);
        const metadata = await fetch(url(framework, "/.well-known/oauth-protected-resource/mcp"));
        expect(metadata.status).toBe(200);
        expect(((await metadata.json()) as { resource: string }).resource).toBe(url(framework, "/mcp"));
      });
    });
  }

  it("a body that trickles (chunked, or short of its Content-Length) is answered 408 within the 20 s deadline, in every framework", async () => {
    const token = await issuer.mint({ scopes: ["r:1"] });
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const runs = await Promise.all(
      FRAMEWORKS.flatMap((framework) => [
        trickle(apps.get(framework)!.port, headers).then((r) => ({ framework, kind: "chunked", ...r })),
        trickle(apps.get(framework)!.port, { ...headers, "content-length": "1000" }).then((r) => ({ framework, kind: "length", ...r })),
      ]),
    );
    for (const run of runs) {
      expect([run.framework, run.kind, run.status]).toEqual([run.framework, run.kind, 408]);
      expect(run.ms, `${run.framework} ${run.kind}`).toBeGreaterThanOrEqual(19_000);
      expect(run.ms, `${run.framework} ${run.kind}`).toBeLessThan(25_000);
    }
    // Every app still serves.
    for (const framework of FRAMEWORKS) {
      const ok = await fetch(url(framework, "/mcp"), { method: "POST", headers, body: rpc("tools/list") });
      expect(ok.status, `${framework}: ${apps.get(framework)!.output()}`).toBe(200);
    }
  }, 60_000);
});

/**
 * strict: an old `lib` (ES2020), no ambient types (`types: []`), exactOptionalPropertyTypes,
 * noPropertyAccessFromIndexSignature, noUncheckedIndexedAccess, unused checks; dom: a default setup
 * (ESNext with the DOM library's fetch types, bundler resolution), as Hono's starter has it.
 */
const TSCONFIGS: Record<string, object> = {
  strict: {
    target: "ES2020",
    lib: ["ES2020"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
  },
  dom: { target: "ESNext", module: "ESNext", moduleResolution: "Bundler", strict: true, skipLibCheck: true, types: ["node"], noEmit: true },
};

describe("a missing variable: the app is created; said when the server listens (Fastify) or on the first MCP request", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    await installFrameworks();
    issuer = await startIssuer({ port: 0, quiet: true });
  }, 600_000);
  afterAll(() => issuer?.close());

  it("Fastify stops when it starts to listen, naming the variable", async () => {
    // serve() fails when the process exits before it prints "listening"; else it must exit soon after.
    const served = await serve("fastify", issuer, "SCALEKIT_RESOURCE_ID").catch((error: Error) => error);
    if (!(served instanceof Error)) {
      const deadline = Date.now() + 20_000;
      while (served.child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      served.child.kill("SIGTERM");
      expect(served.child.exitCode).toBe(1);
    }
    expect(served instanceof Error ? served.message : served.output()).toMatch(
      /MCP auth configuration error: SCALEKIT_RESOURCE_ID is not set/,
    );
  }, 120_000);

  for (const framework of ["express", "hono"] as const) {
    it(`${framework}: the app starts and serves its other routes; an MCP request is answered 500 naming the variable, and never reaches the route`, async () => {
      const served = await serve(framework, issuer, "SCALEKIT_RESOURCE_ID");
      try {
        const other = await fetch(`http://127.0.0.1:${served.port}/echo-json`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ a: 1 }),
        });
        expect(other.status).toBe(200);
        const mcp = await fetch(`http://127.0.0.1:${served.port}/mcp`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer x" },
          body: rpc("tools/list"),
        });
        expect(mcp.status).toBe(500);
        expect(JSON.stringify(await mcp.json())).toMatch(/SCALEKIT_RESOURCE_ID is not set/);
        expect(served.output()).toMatch(/MCP auth configuration error: SCALEKIT_RESOURCE_ID is not set/);
      } finally {
        served.child.kill("SIGTERM");
      }
    }, 120_000);
  }
});

/** Two apps made one after the other in one process, each under its own MCP_SERVER_URL: what each app's metadata names. */
const TWO_APPS: Record<Framework, string> = {
  express: `import express from "express";
import type { AddressInfo } from "node:net";
import { mcpAuth, mcpMetadata } from "./auth/express.js";

const seen: unknown[] = [];
for (const port of [4101, 4102]) {
  process.env.MCP_SERVER_URL = \`http://127.0.0.1:\${port}/mcp\`;
  const app = express();
  app.use(mcpMetadata({ endpoint: "/mcp" }));
  app.use(mcpAuth({ endpoint: "/mcp" }));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const answer = await fetch(\`http://127.0.0.1:\${(server.address() as AddressInfo).port}/.well-known/oauth-protected-resource/mcp\`);
  seen.push(((await answer.json()) as { resource: string }).resource);
  server.close();
}
console.log(JSON.stringify(seen));
`,
  fastify: `import Fastify from "fastify";
import { mcpAuth, mcpMetadata } from "./auth/fastify.js";

const seen: unknown[] = [];
for (const port of [4101, 4102]) {
  process.env.MCP_SERVER_URL = \`http://127.0.0.1:\${port}/mcp\`;
  const app = Fastify();
  mcpMetadata(app, { endpoint: "/mcp" });
  mcpAuth(app, { endpoint: "/mcp" });
  const answer = await app.inject({ url: "/.well-known/oauth-protected-resource/mcp" });
  seen.push((answer.json() as { resource: string }).resource);
}
console.log(JSON.stringify(seen));
`,
  hono: `import { Hono } from "hono";
import { mcpAuth, mcpMetadata } from "./auth/hono.js";

const seen: unknown[] = [];
for (const port of [4101, 4102]) {
  process.env.MCP_SERVER_URL = \`http://127.0.0.1:\${port}/mcp\`;
  const app = new Hono();
  app.use(mcpMetadata({ endpoint: "/mcp" }));
  app.use(mcpAuth({ endpoint: "/mcp" }));
  app.all("/mcp", (c) => c.text("ok"));
  const answer = await app.request("/.well-known/oauth-protected-resource/mcp");
  seen.push(((await answer.json()) as { resource: string }).resource);
}
console.log(JSON.stringify(seen));
`,
};

describe("two apps made one after the other in one process (a test file's apps) each read their own configuration", () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    await installFrameworks();
    issuer = await startIssuer({ port: 0, quiet: true });
  }, 600_000);
  afterAll(() => issuer?.close());

  for (const framework of FRAMEWORKS) {
    it(`${framework}: the second app's metadata names its own MCP_SERVER_URL, with mcpMetadata and mcpAuth both registered`, async () => {
      const dir = path.join(work, "apps", `${framework}-two-apps`);
      await writeCore(path.join(dir, "auth"), framework, "scalekit");
      await writeFile(path.join(dir, "server.ts"), TWO_APPS[framework]);
      const env = { PATH: process.env.PATH ?? "", SCALEKIT_ENVIRONMENT_URL: issuer.url, SCALEKIT_RESOURCE_ID: issuer.resourceId };
      const run = await execa(process.execPath, ["--import", "tsx", "server.ts"], { cwd: dir, env, extendEnv: false, reject: false });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "null")).toEqual([
        "http://127.0.0.1:4101/mcp",
        "http://127.0.0.1:4102/mcp",
      ]);
    }, 120_000);
  }
});

describe("the rendered core and glue fit strict projects", () => {
  it.each(Object.keys(TSCONFIGS))(
    "typecheck with the %s tsconfig",
    async (name) => {
      await installFrameworks();
      const dir = path.join(work, `tsc-${name}`);
      await rm(dir, { recursive: true, force: true });
      for (const framework of [...FRAMEWORKS, "fastmcp"]) {
        for (const provider of ["scalekit", "oidc"])
          await writeCore(path.join(dir, `${framework}-${provider}`, "auth"), framework, provider);
      }
      await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: TSCONFIGS[name], include: ["*/auth/*.ts"] }));
      const tsc = await execa(path.join(work, "node_modules", ".bin", "tsc"), ["-p", dir], { reject: false, all: true });
      expect(tsc.all, "tsc output").toBe("");
      expect(tsc.exitCode).toBe(0);
    },
    180_000,
  );
});

describe("the rendered core and glue pass ESLint's recommended rules", () => {
  it("TypeScript (typescript-eslint recommended), ESM and CommonJS JavaScript (node globals): no finding", async () => {
    await installFrameworks();
    const dir = path.join(work, "eslint");
    await rm(dir, { recursive: true, force: true });
    for (const kind of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) {
      for (const framework of [...FRAMEWORKS, "fastmcp"]) {
        for (const provider of ["scalekit", "oidc"])
          await writeCore(path.join(dir, `${kind}-${framework}-${provider}`), framework, provider, kind);
      }
    }
    await writeFile(
      path.join(dir, "eslint.config.mjs"),
      [
        'import js from "@eslint/js";',
        'import globals from "globals";',
        'import tseslint from "typescript-eslint";',
        "export default tseslint.config(",
        "  js.configs.recommended,",
        '  { files: ["**/*.ts"], extends: [tseslint.configs.recommended] },',
        '  { files: ["**/*.mjs"], languageOptions: { globals: globals.node } },',
        '  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: globals.node } },',
        ");",
        "",
      ].join("\n"),
    );
    const eslint = await execa(path.join(work, "node_modules", ".bin", "eslint"), ["--max-warnings", "0", "."], {
      cwd: dir,
      reject: false,
      all: true,
    });
    expect(eslint.all, "eslint output").toBe("");
    expect(eslint.exitCode).toBe(0);
  }, 180_000);
});
