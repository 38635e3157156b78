/**
 * What `add` writes besides the code: AUTH.md (how to run, test and connect
 * the secured server, and how to switch authorization servers) and, in a
 * project that tests with vitest, the auth tests, from
 * templates/typescript/auth/. Both are written once and then the user's.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import MagicString from "magic-string";
import { tsString } from "../core/literals.js";
import type { PackageManager } from "../core/package-managers.js";
import { selfCommand } from "../core/self-command.js";
import { createRenderer } from "../core/template-engine.js";
import { commandsFor } from "../create/context.js";
import type { Provider } from "../providers.js";
import { parseModule } from "./ast.js";
import { AUTH_TEMPLATE, authLayers, SCOPES_MODULE, TEST_HELPER } from "./core.js";

export const AUTH_DOC = "AUTH.md";
/** The auth tests go to this folder of the project. */
export const AUTH_TESTS = "test/auth";

export interface DocInput {
  serverName: string;
  serverUrl: string;
  provider: Provider;
  /** The provider's values are its local-issuer values. */
  local: boolean;
  pm: PackageManager;
  framework: { name: string; display: string };
  authDir: string;
  extension: string;
  toolScopes: Record<string, string[]>;
  /** How the project starts, as add's next steps show it (`node dist/index.js`, `npm run build && npm start`). */
  start?: string | undefined;
}

/** AUTH.md, rendered for this project. */
export async function renderAuthDoc(templates: string, input: DocInput): Promise<string> {
  const render = createRenderer();
  const [coreDir, providerDir] = authLayers(templates, input.provider.name);
  const context = {
    projectName: input.serverName,
    serverUrl: input.serverUrl,
    local: input.local,
    pm: commandsFor(input.pm),
    cli: selfCommand(),
    framework: input.framework,
    provider: { name: input.provider.name, display: input.provider.display, readme: "" },
    authDir: `${input.authDir}/`,
    scopesFile: `${input.authDir}/${SCOPES_MODULE}${input.extension}`,
    testHelper: `${input.authDir}/${TEST_HELPER}${input.extension}`,
    toolScopes: Object.entries(input.toolScopes).map(([tool, scopes]) => ({ tool, scopes })),
    start: input.start ?? "",
  };
  const section = path.join(providerDir!, "AUTH.section.md.hbs");
  if (existsSync(section)) {
    const rel = path.relative(templates, section).split(path.sep).join("/");
    context.provider.readme = render(rel, await readFile(section, "utf8"), context).trimEnd();
  }
  const doc = path.join(coreDir!, `${AUTH_DOC}.hbs`);
  return render(`${AUTH_TEMPLATE}/${AUTH_DOC}.hbs`, await readFile(doc, "utf8"), context);
}

export interface TestsInput {
  provider: string;
  authDir: string;
  /** Extension in relative import specifiers (.js for TypeScript's NodeNext). */
  specifierExtension: string;
  /** Node's arguments that start the server from source, e.g. ["--import", "tsx", "src/index.ts"]. */
  start: string[];
  endpoint: string;
}

/**
 * The auth tests (TypeScript, vitest): the core's and the provider's test
 * files, their imports pointed at the auth folder, plus `project.ts` saying
 * how to start this server. The HTTP tests start it as a child process.
 */
export async function renderAuthTests(templates: string, input: TestsInput): Promise<{ path: string; content: string }[]> {
  const files = new Map<string, string>();
  for (const layer of authLayers(templates, input.provider)) {
    const dir = path.join(layer, "test");
    if (!existsSync(dir)) continue;
    for (const entry of (await readdir(dir)).sort()) {
      if (!entry.endsWith(".ts")) continue;
      files.set(entry, pointAtAuthDir(await readFile(path.join(dir, entry), "utf8"), entry, input));
    }
  }
  files.set(
    "project.ts",
    [
      "// Written by `create-mcp-auth add`: how the auth tests start this server (yours to edit).",
      "",
      "/** Node's arguments that start the server from source, in the project's folder. */",
      `export const START: string[] = [${input.start.map((arg) => tsString(arg)).join(", ")}];`,
      "",
      "/** The path of the MCP endpoint. */",
      `export const ENDPOINT: string = ${tsString(input.endpoint)};`,
      "",
    ].join("\n"),
  );
  return [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, content]) => ({ path: `${AUTH_TESTS}/${name}`, content }));
}

/** `../src/<file>.js` (the core in the template) -> the auth folder as written; `../src/tools.js` -> its scope map. */
function pointAtAuthDir(code: string, file: string, input: TestsInput): string {
  const ast = parseModule(code, "ts", file);
  const s = new MagicString(code);
  const toAuth = path.posix.relative(AUTH_TESTS, input.authDir);
  for (const statement of ast.program.body) {
    if (statement.type !== "ImportDeclaration") continue;
    const specifier = statement.source.value;
    if (!specifier.startsWith("../src/")) continue;
    let base = specifier.slice("../src/".length).replace(/\.js$/, "");
    if (base === "tools") base = SCOPES_MODULE;
    s.overwrite(statement.source.start! + 1, statement.source.end! - 1, `${toAuth}/${base}${input.specifierExtension}`);
  }
  return s.toString();
}
