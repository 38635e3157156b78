/**
 * The plan: every change `add` would make, computed in memory from the
 * detection and the answers, before anything is shown or written. Running it
 * again on its own result plans nothing.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { usageError } from "../core/errors.js";
import { shWord } from "../core/literals.js";
import { selfCommand } from "../core/self-command.js";
import { byPath } from "../core/write.js";
import { templatesRoot } from "../create/render.js";
import type { EnvVariable, Provider, ProviderValues } from "../providers.js";
import type { FileChange } from "./apply.js";
import { AUTH_DOC, renderAuthDoc, renderAuthTests } from "./auth-files.js";
import { type Dependency, renderCore, SHARED_GLUE } from "./core.js";
import { type AppSite, allDependencies, type Detection } from "./detect.js";
import { appendedChange, readRaw, readText } from "./guard.js";
import { addDependencies, addScripts, appendEnv, type EnvEntry, ignoreEnvFile } from "./project-files.js";
import { importsModule, type ManualStep, wire } from "./wire.js";

export interface PlanInput {
  detection: Detection;
  app: AppSite | undefined;
  endpoint: string;
  provider: Provider;
  /** Values given for the provider's settings, by key. */
  values: ProviderValues;
  serverUrl: string;
  /** Write .env: values were given (the provider's, or the server URL). */
  writeEnv: boolean;
  toolScopes: Record<string, string[]>;
  serverName: string;
  /** Whether git (or .gitignore) already ignores .env. */
  envIgnored: boolean;
  /** Auth the project already has on its MCP route: kept (the default) or removed. */
  existingAuth?: "keep" | "replace";
}

export interface Plan {
  /** The auth folder, relative to the root. */
  authDir: string;
  changes: FileChange[];
  /** Files left as they are, and why. */
  kept: { path: string; why: string }[];
  manual: ManualStep[];
  notes: string[];
  wired: boolean;
  dependencies: Dependency[];
}

export async function makePlan(input: PlanInput): Promise<Plan> {
  const d = input.detection;
  const framework = d.framework!.name;
  const authDir = await chooseAuthDir(d, input.app);
  const changes: FileChange[] = [];
  const kept: Plan["kept"] = [];
  // The provider's values are its local-issuer values: .env and AUTH.md say so.
  const local = Object.entries(input.provider.local).every(([key, value]) => input.values[key] === value);
  const read = async (rel: string) => readText(d.root, rel);

  const core = await renderCore(
    {
      language: d.language,
      module: d.module,
      extension: d.extension,
      specifierExtension: d.specifierExtension,
      framework,
      provider: input.provider.name,
    },
    { serverName: input.serverName, toolScopes: input.toolScopes },
  );
  for (const file of core.files) {
    const rel = `${authDir}/${file.name}`;
    const before = await read(rel);
    if (before === undefined) changes.push({ path: rel, before, after: file.content, mode: 0o644 });
    else if (before !== file.content) {
      kept.push({
        path: rel,
        why:
          file.role === "scopes"
            ? "yours to edit: add never rewrites the scope map"
            : "differs from what this version of add writes (edited, or written by another version): left as it is",
      });
    }
  }

  const wiring = wire(d, { authDir, endpoint: input.endpoint, app: input.app, existingAuth: input.existingAuth ?? "keep" });
  for (const [rel, after] of wiring.files) {
    const before = await read(rel);
    if (before !== after) changes.push({ path: rel, before, after, mode: 0o644 });
  }

  const present = allDependencies(d.pkg);
  const dependencies = core.dependencies.filter((dep) => !(dep.name in present));
  const scopes = [...new Set(Object.values(input.toolScopes).flat())];
  const pkgAfter = addScripts(addDependencies(d.pkg.text, dependencies), authScripts(input.provider, scopes));
  if (pkgAfter !== d.pkg.text) changes.push({ path: "package.json", before: d.pkg.text, after: pkgAfter, mode: 0o644 });

  // AUTH.md and, in a TypeScript project tested with vitest, the auth tests: written once, then the user's.
  const extras: { path: string; content: string }[] = [];
  extras.push({
    path: AUTH_DOC,
    content: await renderAuthDoc(templatesRoot(), {
      serverName: input.serverName,
      serverUrl: input.serverUrl,
      provider: input.provider,
      local,
      pm: d.pm,
      framework: { name: framework, display: d.framework!.display },
      authDir,
      extension: d.extension,
      toolScopes: input.toolScopes,
      // The project's own start command, as the next steps show it (create's projects too: create = plain + add).
      start: d.start?.display ?? "npm start",
    }),
  });
  const start = sourceEntry(d);
  if (d.language === "ts" && "vitest" in present && start) {
    extras.push(
      ...(await renderAuthTests(templatesRoot(), {
        provider: input.provider.name,
        authDir,
        specifierExtension: d.specifierExtension,
        start,
        endpoint: input.endpoint,
      })),
    );
  }
  for (const file of extras) {
    const before = await read(file.path);
    if (before === undefined) changes.push({ path: file.path, before, after: file.content, mode: 0o644 });
    else if (before !== file.content) kept.push({ path: file.path, why: "yours to edit: add writes it once" });
  }

  const variables = [...input.provider.env(input.values, false), ...commonVariables(input.serverUrl, input.writeEnv)];
  const heading = `OAuth 2.1 for the MCP endpoint (create-mcp-auth add; the code is in ${authDir}/). Real environment variables win over .env.`;
  const exampleEntries: EnvEntry[] = variables.map((v) => ({ name: v.name, comment: v.comment, value: v.example }));
  const exampleRaw = readRaw(d.root, ".env.example");
  const exampleBefore = exampleRaw?.text;
  const exampleAfter = appendEnv(exampleBefore, exampleEntries, heading, true);
  if (exampleAfter !== undefined && exampleAfter !== exampleBefore)
    changes.push(appendedChange(".env.example", exampleRaw, exampleAfter, 0o644));

  const given = input.writeEnv ? variables.filter((v) => v.value !== undefined && v.value !== "") : [];
  if (given.length > 0) {
    const envRaw = readRaw(d.root, ".env");
    const envBefore = envRaw?.text;
    const envAfter = appendEnv(
      envBefore,
      given.map((v) => ({ name: v.name, comment: v.comment, value: v.value! })),
      local
        ? input.provider.envHeader(true).split("\n")[0]!.replace(/^# /, "")
        : "OAuth for the MCP endpoint (create-mcp-auth add). Secrets: keep this file out of git.",
      false,
    );
    if (envAfter !== undefined && envAfter !== envBefore) {
      changes.push(appendedChange(".env", envRaw, envAfter, 0o600));
      if (!input.envIgnored) {
        const ignoreRaw = readRaw(d.root, ".gitignore");
        changes.push(appendedChange(".gitignore", ignoreRaw, ignoreEnvFile(ignoreRaw?.text), 0o644));
      }
    }
  }

  changes.sort(byPath);
  return { authDir, changes, kept, manual: wiring.manual, notes: wiring.notes, wired: wiring.wired, dependencies };
}

/**
 * The project's scripts for the auth, pinned to the CLI that wrote them
 * (selfCommand: this version from the registry, or this tarball or clone;
 * `@latest` would drift from the code): the local issuer, a test token, the
 * self-check. npm runs scripts with `sh -c`, so the scopes are one shell word.
 */
export function authScripts(provider: Provider, scopes: string[], cli = selfCommand()): Record<string, string> {
  const issuer = ["issuer", ...provider.issuerArgs, ...(scopes.length > 0 ? ["--scopes", shWord(scopes.join(","))] : [])].join(" ");
  return { issuer: `${cli} ${issuer}`, token: `${cli} issuer token`, check: `${cli} check --project .` };
}

/** Node's arguments that run the server from source, read from a dev or start script running tsx (watch mode left out). */
function sourceEntry(d: Detection): string[] | undefined {
  if (!("tsx" in allDependencies(d.pkg))) return undefined;
  for (const script of ["dev", "start"]) {
    const match = /\btsx\s+(?:watch\s+)?([\w./-]+\.[cm]?ts)\b/.exec(d.pkg.data.scripts?.[script] ?? "");
    if (match) return ["--import", "tsx", match[1]!];
  }
  return undefined;
}

/** Variables every provider needs; MCP_SERVER_URL has a value when .env is written. */
function commonVariables(serverUrl: string, withValue: boolean): EnvVariable[] {
  return [
    {
      name: "MCP_SERVER_URL",
      comment: "Public URL of the MCP endpoint; tokens must name it as audience. Its path must be the endpoint this server serves.",
      example: serverUrl,
      value: withValue ? serverUrl : undefined,
    },
    {
      name: "MCP_ALLOWED_ORIGINS",
      comment: "Optional: browser origins allowed besides this server's own (comma-separated); other Origins get 403.",
      example: "",
      value: undefined,
    },
  ];
}

/**
 * `<source dir>/auth`, unless the project has a folder of its own there (then
 * `<source dir>/mcp-auth`). A project wired before keeps the folder it has.
 */
async function chooseAuthDir(d: Detection, app: AppSite | undefined): Promise<string> {
  const base = d.sourceDir === "." ? "" : `${d.sourceDir}/`;
  const candidates = [`${base}auth`, `${base}mcp-auth`];
  const framework = d.framework!.name;
  for (const dir of candidates) if (app && importsModule(app.file, `${dir}/${framework}`)) return dir;
  for (const dir of candidates) {
    const abs = path.join(d.root, dir);
    if (existsSync(path.join(abs, `${framework}${d.extension}`)) && existsSync(path.join(abs, `${SHARED_GLUE}${d.extension}`))) return dir;
  }
  for (const dir of candidates) {
    const abs = path.join(d.root, dir);
    // A file (or anything else that is not a folder) there is the project's: the next name is taken.
    if (!existsSync(abs) || (await readdir(abs).catch(() => ["not a folder"])).length === 0) return dir;
  }
  throw usageError(`${candidates.join(" and ")} both exist and are not add's: move one of them, then run add again`);
}
