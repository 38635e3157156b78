/**
 * Python add's plan: every change in memory, nothing written. The auth core
 * create writes for Python (templates/python/auth/common, the provider's
 * provider.py, FastMCP's seam) goes into one package beside the module that
 * creates the server (`mcp_auth/`, its imports made package-local), plus a
 * glue module; the user's module gets one import and one keyword argument
 * (`FastMCP(..., auth=fastmcp_auth())`), spliced at the byte offsets the
 * project's own Python parser gave. A second run plans nothing.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { templatesRoot } from "../../create/render.js";
import { pythonEnvValue } from "../../languages/python/literals.js";
import type { Provider, ProviderValues } from "../../providers.js";
import type { FileChange } from "../apply.js";
import { appendedChange, readRaw, readText } from "../guard.js";
import type { PythonDetection } from "./detect.js";
import { addPythonDependencies, normalizeName, requirementName } from "./project.js";

export const AUTH_PACKAGE = "mcp_auth";
const GLUE_MODULE = "fastmcp_auth";
const GLUE_FUNCTION = "fastmcp_auth";

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

export const GLUE_SOURCE = `"""FastMCP's auth seam for this server, written by create-mcp-auth add: \`FastMCP(..., auth=${GLUE_FUNCTION}())\`.

A FastMCP \`TokenVerifier\` backed by the auth core beside it, plus what FastMCP lacks, installed by FastMCP
itself through the provider's middleware, in front of the endpoint: Origin/Host (403), the 401 challenge with
resource_metadata and scope, 403 insufficient_scope per tool before the tool runs, the audience always checked.
Configured from the environment (.env read when present; the environment wins): MCP_SERVER_URL and the
provider's variables, see .env.example. Which tool needs which scope: policy.py.
"""

from __future__ import annotations

import os

from dotenv import load_dotenv
from starlette.middleware import Middleware

from .config import create_verifier, load_auth_config
from .middleware import McpAuthMiddleware
from .seam import JwtTokenVerifier
from .settings import load_settings


class SecuredTokenVerifier(JwtTokenVerifier):
    def get_middleware(self) -> list[Middleware]:
        # Outermost: decides on each request to the endpoint before FastMCP's own auth and transport see it.
        return [Middleware(McpAuthMiddleware, config=self.config, verifier=self.verifier), *super().get_middleware()]


def ${GLUE_FUNCTION}() -> SecuredTokenVerifier:
    """The auth provider for \`FastMCP(auth=...)\`; a missing or malformed variable stops the server, naming it."""
    load_dotenv(".env", override=False)
    settings = load_settings(os.environ)
    config = load_auth_config(os.environ, settings)
    return SecuredTokenVerifier(config, create_verifier(config))
`;

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

/** Imports of the project package (`..settings`) made local to the auth package (`.settings`). */
function localImports(source: string): string {
  return source.replace(/^from \.\.settings import /gm, "from .settings import ");
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
  files.set(`${dir}/seam.py`, localImports(await template("python/auth/fastmcp/src/__pkg__/auth/seam.py")));
  files.set(`${dir}/settings.py`, await template("python/common/src/__pkg__/settings.py"));
  files.set(
    `${dir}/policy.py`,
    policySource(
      input.serverName,
      input.toolScopes,
      input.detection.tools.map((t) => t.name),
    ),
  );
  files.set(`${dir}/${GLUE_MODULE}.py`, GLUE_SOURCE);
  return files;
}

/** Splices `insertions` (byte offset, text) into `bytes`; every other byte is kept. */
export function splice(bytes: Buffer, insertions: { at: number; text: string }[]): Buffer {
  const sorted = [...insertions].sort((a, b) => a.at - b.at);
  const parts: Buffer[] = [];
  let last = 0;
  for (const { at, text } of sorted) {
    parts.push(bytes.subarray(last, at), Buffer.from(text, "utf8"));
    last = at;
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

  // The wiring: one import, `auth=` on the server.
  const importLine = server.inPackage
    ? `from .${AUTH_PACKAGE}.${GLUE_MODULE} import ${GLUE_FUNCTION}`
    : `from ${AUTH_PACKAGE}.${GLUE_MODULE} import ${GLUE_FUNCTION}`;
  const file = d.files.find((f) => f.rel === server.file)!;
  const auth = server.call.keywords.find((k) => k.name === "auth");
  const imported = file.imports.some(
    (i) => i.names.some((n) => n.name === GLUE_FUNCTION) && i.module.endsWith(`${AUTH_PACKAGE}.${GLUE_MODULE}`),
  );
  let wired = false;
  if (auth && auth.text === `${GLUE_FUNCTION}()` && imported) {
    wired = true;
  } else if (auth) {
    manual.push({
      file: server.file,
      where: `line ${server.line}, the server already has auth=${auth.text}`,
      lines: [importLine, `${server.name} = ${server.kind}(..., auth=${GLUE_FUNCTION}())`],
    });
  } else {
    const raw = readRaw(d.root, server.file)!;
    const bytes = raw.bytes;
    const nl = file.newline;
    const insertions: { at: number; text: string }[] = [];
    if (!imported) {
      const at = file.importsEnd || file.docEnd;
      const lastImport = file.imports.filter((i) => i.topLevel).at(-1);
      const thirdParty = lastImport !== undefined && lastImport.level === 0;
      insertions.push({ at, text: at === 0 ? `${importLine}${nl}${nl}` : `${thirdParty ? nl : ""}${importLine}${nl}` });
    }
    const call = server.call;
    const last = [...call.args, ...call.keywords].sort((a, b) => a.end - b.end).at(-1);
    const kwarg = `auth=${GLUE_FUNCTION}()`;
    insertions.push(last ? { at: last.end, text: `, ${kwarg}` } : { at: call.open, text: kwarg });
    const after = splice(bytes, insertions);
    changes.push({ path: server.file, before: bytes.toString("utf8"), after: after.toString("utf8"), mode: 0o644 });
    wired = true;
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
    else manual.push({ file: depFile, where: "the dependencies", lines: missing });
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
  return { authDir, changes, dependencies, kept, manual, notes, wired };
}
