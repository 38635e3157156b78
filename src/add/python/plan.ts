/**
 * Python add's plan: every change in memory, nothing written. The auth core
 * create writes for Python (templates/python/auth/common, the provider's
 * provider.py, FastMCP's seam) goes into one package beside the module that
 * creates the server (`mcp_auth/`, its imports made package-local), plus a
 * glue module; the user's module gets one import and one keyword argument
 * (`FastMCP(..., auth=fastmcp_auth())`), spliced at the byte offsets the
 * project's own Python parser gave. A second run plans nothing.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createRenderer } from "../../core/template-engine.js";
import { templatesRoot } from "../../create/render.js";
import { pythonCommandLines } from "../../languages/python/commands.js";
import { pythonEnvValue } from "../../languages/python/literals.js";
import type { Provider, ProviderValues } from "../../providers.js";
import { VERSION } from "../../version.js";
import type { FileChange } from "../apply.js";
import { appendedChange, readRaw, readText } from "../guard.js";
import type { PythonDetection } from "./detect.js";
import { addPythonDependencies, normalizeName, requirementName } from "./project.js";
import type { PyFile } from "./scan.js";

export const AUTH_PACKAGE = "mcp_auth";

/**
 * Per framework: the glue module add writes (a template file, the same one create's projects get), what the
 * server's constructor gets, the seam file, and whether run() is replaced.
 */
const GLUES = {
  fastmcp: {
    module: "fastmcp_auth",
    names: ["fastmcp_auth"],
    mounted: ["fastmcp_auth", "secure_app"],
    kwarg: "auth=fastmcp_auth()",
    seam: "python/auth/fastmcp/src/__pkg__/auth/seam.py",
    glue: "python/auth/fastmcp/src/__pkg__/auth/fastmcp_auth.py",
    runner: null,
  },
  "mcp-sdk": {
    module: "sdk_auth",
    names: ["run_secured", "sdk_auth"],
    mounted: ["sdk_auth", "secure_app"],
    kwarg: "**sdk_auth()",
    seam: "python/auth/fastapi/src/__pkg__/auth/seam.py",
    glue: "python/auth/fastapi/src/__pkg__/auth/sdk_auth.py",
    runner: "run_secured",
  },
  // The low-level Server has no seam: the app serving its Streamable HTTP transport is served as secure_asgi(app).
  "mcp-lowlevel": {
    module: "lowlevel_auth",
    names: ["secure_asgi"],
    mounted: ["secure_asgi"],
    kwarg: "",
    seam: null,
    glue: "python/auth/lowlevel/src/__pkg__/auth/lowlevel_auth.py",
    runner: null,
  },
} as const;

/**
 * The official SDK's apps merged into a Starlette app of the project's own (`app = Starlette(routes=[*sse_app.routes,
 * *http_app.routes])`): the SDK's glue (sdk_auth.py, written beside it) plus the app middleware the copied routes
 * left behind, in front of the app: `secure_merged_app(app)` in place of `secure_app(app)`.
 */
const MERGED_GLUE = {
  ...GLUES["mcp-sdk"],
  module: "merged_auth",
  names: ["sdk_auth", "secure_merged_app"],
  mounted: ["sdk_auth", "secure_merged_app"],
  glue: "python/auth/merged/src/__pkg__/auth/merged_auth.py",
} as const;

/** The merged app's detection: a "mount" at the root that is the project's own Starlette(...) call. */
const isMerged = (d: PythonDetection) => d.framework?.name === "mcp-sdk" && d.mount !== null && /(^|\.)Starlette$/.test(d.mount.text);
const glueOf = (d: PythonDetection) => (isMerged(d) ? MERGED_GLUE : GLUES[d.framework!.name]);

const CORE_FILES = [
  "__init__.py",
  "challenge.py",
  "config.py",
  "errors.py",
  "keyset.py",
  "metadata.py",
  "middleware.py",
  "origin.py",
  "scopes.py",
  "verifier.py",
];

export interface PythonPlanInput {
  detection: PythonDetection;
  provider: Provider;
  values: ProviderValues;
  serverUrl: string;
  toolScopes: Record<string, string[]>;
  serverName: string;
}

export interface PythonPlan {
  authDir: string;
  changes: FileChange[];
  dependencies: { name: string; version: string; dev: boolean }[];
  kept: { path: string; why: string }[];
  manual: { file: string; where: string; lines: string[] }[];
  notes: string[];
  wired: boolean;
}

/** The packages the auth package imports that a FastMCP project may not declare (starlette comes with FastMCP). */
export const PYTHON_AUTH_DEPENDENCIES = ["pyjwt[crypto]>=2.10,<3", "httpx>=0.28,<1", "python-dotenv>=1.1,<2"];

function policySource(serverName: string, toolScopes: Record<string, string[]>, tools: string[]): string {
  const names = [...new Set([...tools, ...Object.keys(toolScopes)])];
  const rows = names.map(
    (name) => `    ${JSON.stringify(name)}: [${(toolScopes[name] ?? []).map((s) => JSON.stringify(s)).join(", ")}],\n`,
  );
  return `"""Which scopes each tool needs: the one place to change them.

The HTTP layer reads this map and answers 403 \`insufficient_scope\` before a tool runs without its scopes.
Every tool, even one that needs no scope, needs a valid token.
"""

from __future__ import annotations

SERVER_NAME = ${JSON.stringify(serverName)}

TOOL_SCOPES: dict[str, list[str]] = {
${rows.join("")}}

SCOPE_HIERARCHY: dict[str, list[str]] = {}
"""Broader scopes and the narrower ones each implies (SEP-2350), e.g. {"todo:admin": ["todo:read", "todo:write"]}."""

__all__ = ["SCOPE_HIERARCHY", "SERVER_NAME", "TOOL_SCOPES"]
`;
}

/**
 * Imports of the project package (`..settings`) made local to the auth package (`.settings`), each run of
 * one-line relative imports sorted again by module (as isort / ruff's I001 sort them).
 */
function localImports(source: string): string {
  const lines = source.replace(/^from \.\.settings import /gm, "from .settings import ").split("\n");
  const relative = /^from (\.[\w.]*) import [^(]*$/;
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && relative.test(lines[j] as string)) j++;
    if (j - i > 1) {
      const run = lines.slice(i, j).sort((a, b) => {
        const ma = relative.exec(a)?.[1] as string;
        const mb = relative.exec(b)?.[1] as string;
        return ma < mb ? -1 : ma > mb ? 1 : 0;
      });
      lines.splice(i, j - i, ...run);
    }
    i = Math.max(j, i + 1);
  }
  return lines.join("\n");
}

/**
 * The project's ruff configuration, when it has one: the auth package's own ruff.toml extends it and keeps
 * the package's 120 columns, so the project's rules apply and its line length does not turn green red.
 */
function ruffConfig(d: PythonDetection, dir: string): string | undefined {
  const base =
    ["ruff.toml", ".ruff.toml"].find((f) => readText(d.root, f) !== undefined) ??
    (/^\[tool\.ruff[.\]]/m.test(d.project.pyproject ?? "") ? "pyproject.toml" : undefined);
  if (!base) return undefined;
  const up = dir
    .split("/")
    .map(() => "..")
    .join("/");
  return `# Written by create-mcp-auth add: the project's ruff settings, with this package's line length.\nextend = "${up}/${base}"\nline-length = 120\n`;
}

async function template(rel: string): Promise<string> {
  return readFile(path.join(templatesRoot(), rel), "utf8");
}

/** The auth package's files: the core, the provider, the seam, the settings, the policy, the glue. */
async function authFiles(input: PythonPlanInput, dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const base = "python/auth/common/src/__pkg__/auth";
  for (const name of CORE_FILES) files.set(`${dir}/${name}`, localImports(await template(`${base}/${name}`)));
  files.set(
    `${dir}/provider.py`,
    localImports(await template(`python/auth/providers/${input.provider.name}/src/__pkg__/auth/provider.py`)),
  );
  const glue = glueOf(input.detection);
  if (isMerged(input.detection)) files.set(`${dir}/sdk_auth.py`, localImports(await template(GLUES["mcp-sdk"].glue)));
  if (glue.seam) files.set(`${dir}/seam.py`, localImports(await template(glue.seam)));
  files.set(`${dir}/settings.py`, await template("python/common/src/__pkg__/settings.py"));
  files.set(
    `${dir}/policy.py`,
    policySource(
      input.serverName,
      input.toolScopes,
      input.detection.tools.map((t) => t.name),
    ),
  );
  for (const [rel, text] of await authTests(input, dir)) files.set(rel, text);
  files.set("AUTH.md", await authDoc(input, dir));
  const ruff = ruffConfig(input.detection, dir);
  if (ruff) files.set(`${dir}/ruff.toml`, ruff);
  files.set(`${dir}/${glue.module}.py`, localImports(await template(glue.glue)));
  return files;
}

/** AUTH.md: what the auth does, where its settings and scopes are, how to try it locally (commands pinned). */
async function authDoc(input: PythonPlanInput, dir: string): Promise<string> {
  const scopes = [...new Set(Object.values(input.toolScopes).flat())];
  const commands = pythonCommandLines({ provider: input.provider, scopes });
  return createRenderer()("python/auth/AUTH.md.hbs", await template("python/auth/AUTH.md.hbs"), {
    version: VERSION,
    authDir: `${dir}/`,
    policy: `${dir}/policy.py`,
    provider: { display: input.provider.display },
    issuer: commands.issuerLine,
    token: commands.tokenLine,
    check: commands.checkLine,
    start: input.detection.start?.display ?? "the command that starts this server",
  });
}

const TESTS = "python/auth/tests";

/**
 * The auth's tests, in a project tested with pytest whose tests/ is a package: they start the server with the
 * project's own command (MCP_SERVER_URL, PORT and the provider's variables set to a test issuer they serve) and
 * import the auth package by its module path. Written once, then the project's own.
 */
async function authTests(input: PythonPlanInput, dir: string): Promise<Map<string, string>> {
  const d = input.detection;
  const files = new Map<string, string>();
  const pytest = /\bpytest\b/.test(d.project.pyproject ?? "") || d.project.files.some((f) => /\bpytest\b/.test(readText(d.root, f) ?? ""));
  if (!pytest || !d.start || readText(d.root, "tests/__init__.py") === undefined) return files;
  const module = dir
    .replace(/^src\//, "")
    .split("/")
    .join(".");
  const fill = (text: string) =>
    text
      .replaceAll("__auth__", module)
      .replaceAll("__start__", `[${[d.start!.file, ...d.start!.args].map((word) => JSON.stringify(word)).join(", ")}]`)
      .replaceAll("__mcp_path__", JSON.stringify(d.endpoint?.path ?? "/mcp"));
  const root = path.join(templatesRoot(), TESTS);
  for (const name of (await readdir(root)).sort()) files.set(`tests/${name}`, fill(await template(`${TESTS}/${name}`)));
  files.set("tests/mcp_auth_provider.py", fill(await template(`python/auth/providers/${input.provider.name}/tests/mcp_auth_provider.py`)));
  return files;
}

/** An insertion at a byte offset, replacing `remove` bytes there (none by default). */
export interface Edit {
  at: number;
  text: string;
  remove?: number;
}

/** Splices `edits` into `bytes`; every byte outside the edited ranges is kept. */
export function splice(bytes: Buffer, edits: Edit[]): Buffer {
  const sorted = [...edits].sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let last = 0;
  for (const { at, text, remove = 0 } of sorted) {
    parts.push(bytes.subarray(last, at), Buffer.from(text, "utf8"));
    last = at + remove;
  }
  parts.push(bytes.subarray(last));
  return Buffer.concat(parts);
}

export async function makePythonPlan(input: PythonPlanInput): Promise<PythonPlan> {
  const d = input.detection;
  const server = d.server!;
  const serverDir = path.posix.dirname(server.file);
  const authDir = serverDir === "." ? AUTH_PACKAGE : `${serverDir}/${AUTH_PACKAGE}`;
  const changes: FileChange[] = [];
  const kept: PythonPlan["kept"] = [];
  const manual: PythonPlan["manual"] = [];
  const notes: string[] = [];

  // The auth package: written once; a file already there and different is the user's (kept).
  for (const [rel, text] of await authFiles(input, authDir)) {
    const existing = readText(d.root, rel);
    if (existing === undefined) changes.push({ path: rel, before: undefined, after: text, mode: 0o644 });
    else if (existing !== text) kept.push({ path: rel, why: "it exists and differs from what add writes (yours now)" });
  }

  // The wiring: one import, the auth on the server's constructor, and (official SDK) run() through run_secured;
  // mounted in an app: secure_app(app) on the line after app.mount(...), in whichever file mounts it.
  const glue = glueOf(d);
  const securer = isMerged(d) ? "secure_merged_app" : "secure_app";
  const mount = d.mount;
  const kwFunction = glue.kwarg.replace(/^\*\*|^\w+=/g, "").replace(/\(\)$/, "");
  const file = d.files.find((f) => f.rel === server.file)!;
  const mountFile = mount ? d.files.find((f) => f.rel === mount.file) : undefined;
  /** A module that imports the server's module relatively (`from .server import mcp`) imports the glue the same way. */
  const relativeGlue = (rel: string) => {
    const f = d.files.find((x) => x.rel === rel);
    const imp = f?.imports.find((i) => i.from && i.level > 0 && i.module !== "" && server.module?.endsWith(`.${i.module}`));
    if (!imp) return undefined;
    const parent = imp.module.split(".").slice(0, -1);
    return `${".".repeat(imp.level)}${[...parent, AUTH_PACKAGE, glue.module].join(".")}`;
  };
  /** The glue's module as imported from `rel`: relative beside the server, else through the server's package. */
  const glueModule = (rel: string) =>
    rel === server.file
      ? `${server.inPackage ? "." : ""}${AUTH_PACKAGE}.${glue.module}`
      : (relativeGlue(rel) ??
        (server.module && server.inPackage
          ? `${server.module.split(".").slice(0, -1).join(".")}.${AUTH_PACKAGE}.${glue.module}`
          : `${AUTH_PACKAGE}.${glue.module}`));
  const importsGlue = (f: PyFile) => f.imports.some((i) => i.module.endsWith(`${AUTH_PACKAGE}.${glue.module}`));
  // Run in another module (`from .server import mcp`, then `mcp.run(...)` in __main__.py): run_secured is imported there.
  const elsewhere = glue.runner && !mount ? d.runElsewhere : null;
  const serverNames = mount
    ? mount.file === server.file
      ? [kwFunction, securer]
      : [kwFunction]
    : elsewhere
      ? [kwFunction]
      : [...glue.names];
  const [kwName, kwValue] = glue.kwarg.startsWith("**") ? [null, glue.kwarg.slice(2)] : glue.kwarg.split("=");
  // An auth of the project's own that is off unless chosen (auth=auth_provider, None by default): kept when chosen,
  // add's in its place when not (`auth=auth_provider or fastmcp_auth()`).
  const optional = d.optionalAuth ? server.call.keywords.find((k) => k.name === "auth" && k.name === kwName) : undefined;
  const ours = optional
    ? optional.text === `${d.optionalAuth?.value} or ${kwValue}`
    : server.call.keywords.some((k) => k.name === kwName && k.text === kwValue);
  const runFile = elsewhere ? d.files.find((f) => f.rel === elsewhere.file)! : file;
  const runName = elsewhere ? elsewhere.name : server.name;
  const runs = glue.runner && !mount ? runFile.calls.filter((c) => c.func === `${runName}.run`) : [];
  const secured = mountFile ? mountFile.calls.some((c) => c.func === securer && c.args[0]?.name === mount?.app) : true;
  const edits = new Map<string, Edit[]>();
  const edit = (rel: string, e: Edit) => edits.set(rel, [...(edits.get(rel) ?? []), e]);
  const bytesOf = (rel: string) => readRaw(d.root, rel)!.bytes;
  const addImport = (f: PyFile, names: string[]) => {
    if (importsGlue(f)) return;
    const nl = f.newline;
    const line = `from ${glueModule(f.rel)} import ${[...names].sort().join(", ")}`;
    const module = glueModule(f.rel);
    const lastImport = f.imports.filter((i) => i.topLevel).at(-1);
    // The same package as the last import (first-party, one isort section): in sorted place next to it, no blank line.
    if (lastImport && lastImport.level === 0 && lastImport.from && lastImport.module.split(".")[0] === module.split(".")[0]) {
      const before = module < lastImport.module;
      const bytes = bytesOf(f.rel);
      const lineStart = bytes.lastIndexOf(10, lastImport.start - 1) + 1;
      edit(f.rel, before ? { at: lineStart, text: `${line}${nl}` } : { at: f.importsEnd, text: `${line}${nl}` });
      return;
    }
    // A relative import beside relative imports of the same level (one isort section): in sorted place among them.
    const level = /^\.*/.exec(module)?.[0].length ?? 0;
    const siblings = f.imports.filter((i) => i.topLevel && i.from && level > 0 && i.level === level);
    if (siblings.length > 0 && lastImport?.level === level) {
      const next = siblings.find((i) => module.slice(level) < i.module);
      const bytes = bytesOf(f.rel);
      edit(f.rel, { at: next ? bytes.lastIndexOf(10, next.start - 1) + 1 : f.importsEnd, text: `${line}${nl}` });
      return;
    }
    const at = f.importsEnd || f.docEnd;
    const thirdParty = lastImport !== undefined && lastImport.level === 0;
    edit(f.rel, { at, text: at === 0 ? `${line}${nl}${nl}` : `${thirdParty ? nl : ""}${line}${nl}` });
  };
  const serving = d.lowlevelServing;
  if (serving) {
    // The low-level Server: uvicorn serves secure_asgi(app) in place of app; nothing else of the user's changes.
    addImport(d.files.find((f) => f.rel === serving.file)!, ["secure_asgi"]);
    if (!serving.wrapped) {
      edit(serving.file, { at: serving.app.start, text: "secure_asgi(" });
      edit(serving.file, { at: serving.app.end, text: serving.mounted ? ", mounted=True)" : ")" });
    }
  } else addImport(file, serverNames);
  if (elsewhere && glue.runner) addImport(runFile, [glue.runner]);
  if (serving) {
    // Wired above: no constructor keyword, no run() to replace.
  } else if (optional && d.optionalAuth) {
    notes.push(
      `Its own auth stays as it was when chosen (${d.optionalAuth.detail}); when it is off, which is its default, add's is the server's auth.`,
    );
    if (!ours) edit(server.file, { at: optional.end, text: ` or ${kwValue}` });
  } else {
    // Every constructor of the server (one per branch when the branches build it differently) gets the keyword.
    if (d.alternatives.length > 0)
      notes.push(
        `${server.name} = ${server.kind}(...) is made at ${d.alternatives.length + 1} places (${[server, ...d.alternatives].map((a) => `${a.file}:${a.line}`).join(", ")}), one per branch: each gets ${glue.kwarg}.`,
      );
    for (const call of [server.call, ...d.alternatives.map((a) => a.call)]) {
      if (call.keywords.some((k) => k.name === kwName && k.text === kwValue)) continue;
      const bytes = bytesOf(server.file);
      const last = [...call.args, ...call.keywords].sort((x, y) => x.end - y.end).at(-1);
      const lineEnd = last ? bytes.indexOf(10, last.end) : -1;
      if (last && lineEnd !== -1 && lineEnd < call.end) {
        // One argument a line: the keyword on a line of its own after the last one, in its indentation,
        // a comma added after the last argument when it has none (before its comment).
        const lineStart = bytes.lastIndexOf(10, last.start - 1) + 1;
        const indent = /^[ \t]*/.exec(bytes.subarray(lineStart, last.start).toString("utf8"))?.[0] ?? "    ";
        let at = last.end;
        while (bytes[at] === 0x20 || bytes[at] === 0x09) at++;
        if (bytes[at] !== 0x2c) edit(server.file, { at: last.end, text: "," });
        edit(server.file, { at: lineEnd + 1, text: `${indent}${glue.kwarg},${file.newline}` });
      } else edit(server.file, last ? { at: last.end, text: `, ${glue.kwarg}` } : { at: call.open, text: glue.kwarg });
    }
  }
  // mcp.run(transport=...) -> run_secured(mcp, transport=...): the same arguments, served behind the auth over HTTP.
  for (const run of runs) {
    const empty = run.args.length === 0 && run.keywords.length === 0;
    edit(runFile.rel, { at: run.start, remove: run.open - run.start, text: `${glue.runner}(${runName}${empty ? "" : ", "}` });
  }
  if (mount && mountFile && !secured) {
    if (mountFile !== file) addImport(mountFile, [securer]);
    const bytes = bytesOf(mount.file);
    const lineStart = bytes.lastIndexOf(10, mount.call.start - 1) + 1;
    const indent = /^[ \t]*/.exec(bytes.subarray(lineStart, mount.call.start).toString("utf8"))?.[0] ?? "";
    // The project's own app (merged): after the middleware it adds next in the same block (CORS), so the auth is
    // outermost and its CORS headers (WWW-Authenticate exposed) are the ones browsers get on the endpoint.
    const indentOf = (at: number) => {
      const start = bytes.lastIndexOf(10, at - 1) + 1;
      return bytes.subarray(start, at).toString("utf8");
    };
    const after = isMerged(d)
      ? mountFile.calls.filter(
          (c) => c.func === `${mount.app}.add_middleware` && c.start > mount.call.end && !c.nested && indentOf(c.start) === indent,
        )
      : [];
    const end = bytes.indexOf(10, (after.at(-1) ?? mount.call).end);
    const nl = mountFile.newline;
    edit(mount.file, { at: end === -1 ? bytes.length : end + 1, text: `${end === -1 ? nl : ""}${indent}${securer}(${mount.app})${nl}` });
  }
  for (const [rel, list] of edits) {
    const bytes = bytesOf(rel);
    changes.push({ path: rel, before: bytes.toString("utf8"), after: splice(bytes, list).toString("utf8"), mode: 0o644 });
  }
  // Dependencies, in the project's own format.
  const missing = PYTHON_AUTH_DEPENDENCIES.filter((spec) => !d.project.declared.has(normalizeName(requirementName(spec) as string)));
  const dependencies = missing.map((spec) => ({
    name: requirementName(spec) as string,
    version: spec.slice((requirementName(spec) as string).length),
    dev: false,
  }));
  const depFile = d.project.files[0];
  if (missing.length > 0) {
    const text = depFile ? readText(d.root, depFile) : undefined;
    const edited = depFile && text !== undefined ? addPythonDependencies(d.project, text, depFile, missing) : undefined;
    if (depFile && text !== undefined && edited !== undefined) changes.push({ path: depFile, before: text, after: edited, mode: 0o644 });
    else if (!depFile)
      changes.push({ path: "requirements.txt", before: undefined, after: missing.map((m) => `${m}\n`).join(""), mode: 0o644 });
    else manual.push({ file: depFile, where: "the dependencies add does not edit in this file; add them yourself", lines: missing });
  }

  // .env.example (every variable) and .env (local mode or the values given), appended; .env ignored by git.
  const variables = [
    ...input.provider.env(input.values, Object.keys(input.values).length === 0),
    {
      name: "MCP_SERVER_URL",
      comment:
        "Public URL of the MCP endpoint, as clients reach it and as the authorization server knows it. Tokens must name it as audience.",
      example: input.serverUrl,
      value: input.serverUrl,
    },
    {
      name: "MCP_ALLOWED_ORIGINS",
      comment: "Optional: browser origins allowed besides the server's own, comma separated, e.g. https://app.example.com",
      example: "",
      value: undefined,
    },
  ];
  const appendEnvFile = (rel: string, example: boolean) => {
    const raw = readRaw(d.root, rel);
    const current = raw?.text ?? "";
    const has = (name: string) => current.split(/\r?\n/).some((line) => new RegExp(`^\\s*(#\\s*)?(export\\s+)?${name}\\s*=`).test(line));
    const lines: string[] = [];
    for (const v of variables) {
      const value = example ? v.example : v.value;
      if (has(v.name) || (!example && (value === undefined || value === ""))) continue;
      if (example) lines.push(`# ${v.comment}`);
      lines.push(`${v.name}=${value ? pythonEnvValue(value) : ""}`);
    }
    if (lines.length === 0) return;
    const sep = current === "" ? "" : current.endsWith("\n") ? "\n" : "\n\n";
    const added = `${sep}# OAuth for the MCP endpoint (create-mcp-auth add)\n${lines.join("\n")}\n`;
    changes.push(appendedChange(rel, raw, `${current}${added}`, rel === ".env" ? 0o600 : 0o644));
  };
  appendEnvFile(".env.example", true);
  appendEnvFile(".env", false);
  const ignore = readText(d.root, ".gitignore");
  if (!(ignore ?? "").split(/\r?\n/).some((l) => [".env", "/.env", ".env*", "*.env"].includes(l.trim()))) {
    const sep = ignore === undefined || ignore === "" || ignore.endsWith("\n") ? "" : "\n";
    changes.push({ path: ".gitignore", before: ignore, after: `${ignore ?? ""}${sep}.env\n`, mode: 0o644 });
  }
  if (d.transport?.how === "env" || d.transport?.how === "argv")
    notes.push(`The auth applies when the server serves HTTP (${d.transport.detail}); over stdio nothing changes.`);
  // What add cannot edit itself (setup.py's dependencies): nothing is written, the lines are shown instead.
  return { authDir, changes, dependencies, kept, manual, notes, wired: manual.length === 0 };
}
