/**
 * Detection: what `add` learns about a project before it changes anything,
 * from package.json and from the code (parsed, never matched with regular
 * expressions). Nothing here prompts or writes; what it cannot determine is
 * left undefined for the caller to ask about or take from a flag. Each
 * concern is a file of src/add/detect/; this one puts them together.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { FRAMEWORKS } from "../frameworks.js";
import { end, type Language, lineOf, start, type t, walk } from "./ast.js";
import { findApps, outerApps } from "./detect/apps.js";
import { findBodyless, findFirst, findReusedServers } from "./detect/hazards.js";
import { extensionsFor, moduleSystem, usesV2 } from "./detect/language.js";
import { findRouteMiddleware } from "./detect/middleware.js";
import { detectPort } from "./detect/port.js";
import { allDependencies, findWorkspace, startCommand } from "./detect/project.js";
import { findFastmcpStart, findRoutes } from "./detect/routes.js";
import { calleeName, readSources, shippedStart } from "./detect/sources.js";
import { detectServeSwitch, findBundledHttp, findGateway, withPortShown, withServeSwitch } from "./detect/start.js";
import { findTokenlessTests } from "./detect/tests.js";
import { findTools } from "./detect/tools.js";
import type { AppSite, DetectFlags, Detection, FastmcpStart, ResolvedDetection, RouteSite, SourceFile } from "./detect/types.js";
import { constInit } from "./detect/values.js";
import {
  ADD_PATTERNS,
  MCP_HANDLER_FACTORIES,
  MCP_TRANSPORTS,
  patternFor,
  ROUTE_HANDLER_PACKAGES,
  SDK_V1,
  SDK_V2,
  SSE_TRANSPORTS,
  STDIO_TRANSPORTS,
} from "./patterns.js";

export { allDependencies, globMatches, readPackageJson } from "./detect/project.js";
export { importBindings, requireSource } from "./detect/sources.js";
export type * from "./detect/types.js";

export async function detect(root: string, pkg: Detection["pkg"], flags: DetectFlags): Promise<Detection> {
  const deps = allDependencies(pkg);
  const { workspaceRoot, pm } = await findWorkspace(root);
  const parseErrors: string[] = [];
  const skipped: string[] = [];
  const { files, compiled } = await readSources(
    root,
    parseErrors,
    skipped,
    flags.entry === undefined ? undefined : toRel(root, flags.entry),
    pkg,
  );

  const frameworkCandidates = ADD_PATTERNS.filter((p) => p.packages.some((name) => name in deps)).map((p) => p.framework);
  const appCandidates = files.flatMap((file) => findApps(file));
  const framework = chooseFramework(flags, frameworkCandidates, appCandidates, deps);
  const pattern = framework ? patternFor(framework.name) : undefined;

  const apps = pattern ? outerApps(appCandidates.filter((a) => a.framework === pattern.framework)) : [];
  const entryRel = flags.entry === undefined ? undefined : toRel(root, flags.entry);
  const app = entryRel !== undefined ? apps.find((a) => a.file.rel === entryRel) : apps.length === 1 ? apps[0] : streamableApp(apps);
  const entryFile = app?.file ?? (entryRel !== undefined ? files.find((f) => f.rel === entryRel) : undefined);
  const routes = app && pattern ? findRoutes(app, pattern, files) : [];
  const fastmcpStart = app && pattern?.framework === "fastmcp" ? findFastmcpStart(app, files) : undefined;
  const endpoint = chooseEndpoint(flags, routes, fastmcpStart, app);
  const middleware = app && pattern ? findRouteMiddleware(app, pattern, endpoint?.path, files) : { infra: [], existingAuth: [] };

  const v2 = SDK_V2.filter((name) => name in deps);
  const sdk = {
    generation:
      v2.length > 0 && !(SDK_V1 in deps) ? ("v2" as const) : v2.length > 0 && usesV2(entryFile) ? ("v2" as const) : ("v1" as const),
    packages: [...(SDK_V1 in deps ? [SDK_V1] : []), ...v2],
  };

  const typescript = existsSync(path.join(root, "tsconfig.json"));
  const entryExt = entryFile ? path.extname(entryFile.rel) : typescript ? ".ts" : ".js";
  const language: Language = [".ts", ".mts", ".cts"].includes(entryExt) ? "ts" : "js";
  const { extension, specifierExtension } = extensionsFor(entryExt, entryFile);
  const stdio = findFirst(files, (node) => node.type === "NewExpression" && STDIO_TRANSPORTS.has(calleeName(node.callee) ?? ""));

  const sseTransport = findFirst(files, (node) => node.type === "NewExpression" && SSE_TRANSPORTS.has(calleeName(node.callee) ?? ""));
  const nodeHttp = findNodeHttp(files);
  const streamableHttp = findFirst(
    files,
    (node) =>
      (node.type === "NewExpression" && MCP_TRANSPORTS.has(calleeName(node.callee) ?? "")) ||
      (node.type === "CallExpression" && MCP_HANDLER_FACTORIES.has(calleeName(node.callee) ?? "")),
  );
  const nextRoutes =
    "next" in deps
      ? files.filter((f) => /(^|\/)app\/(.+\/)?route\.[mc]?[jt]sx?$/.test(f.rel) || /(^|\/)pages\/api\//.test(f.rel)).map((f) => f.rel)
      : [];

  const port = detectPort(files, fastmcpStart);
  return {
    root,
    pkg,
    pm,
    workspaceRoot,
    framework,
    frameworkCandidates,
    sdk,
    language,
    module: moduleSystem(entryFile, entryExt, pkg),
    typescript,
    sourceDir: entryFile ? path.posix.dirname(entryFile.rel) : ".",
    files,
    app,
    appCandidates: apps,
    endpoint,
    routes,
    fastmcpStart,
    compiled,
    start: withPortShown(
      withServeSwitch(
        shippedStart(root, pkg, startCommand(pkg, entryFile, language, pm, deps, compiled.length > 0), entryFile, compiled.length > 0),
        detectServeSwitch(files),
        pkg.data.scripts ?? {},
      ),
      port,
    ),
    tools: files.flatMap((file) => findTools(file, files)),
    reused: files.flatMap((file) => findReusedServers(file, files)),
    bodyless: framework?.name === "express" ? routes.filter((r) => r.mcp).flatMap((r) => findBodyless(r)) : [],
    infra: middleware.infra,
    existingAuth: middleware.existingAuth,
    tokenlessTests: findTokenlessTests(root, endpoint?.path),
    stdio: stdio && { file: stdio.file.rel, line: lineOf(stdio.node) },
    nodeHttp: nodeHttp && {
      file: nodeHttp.file.rel,
      line: lineOf(nodeHttp.node),
      text: nodeHttp.file.code.slice(start(nodeHttp.node), end(nodeHttp.node)).split("\n", 1)[0] ?? "",
    },
    bundledHttp: findBundledHttp(files),
    gateway: findGateway(files),
    streamableHttp: streamableHttp && { file: streamableHttp.file.rel, line: lineOf(streamableHttp.node) },
    nextRoutes,
    routeHandlerPackage: ROUTE_HANDLER_PACKAGES.find((name) => name in deps),
    sseTransport: sseTransport && { file: sseTransport.file.rel, line: lineOf(sseTransport.node) },
    sseRoutes: routes.filter((r) => r.sse),
    port,
    extension,
    specifierExtension,
    parseErrors,
    skipped,
  };
}

/**
 * Of several apps, the one whose file builds a Streamable HTTP transport, when
 * it is the only one: the others serve the deprecated SSE transport, a
 * websocket or nothing of MCP (a project that offers each transport from its
 * own module, e.g. sse.js and streamableHttp.js).
 */
function streamableApp(apps: AppSite[]): AppSite | undefined {
  const serving = apps.filter((app) =>
    findFirst([app.file], (node) => node.type === "NewExpression" && MCP_TRANSPORTS.has(calleeName(node.callee) ?? "")),
  );
  return serving.length === 1 ? serving[0] : undefined;
}

/** The first `http.createServer(...)` / `createServer(...)` from node:http, node:https or node:http2. */
function findNodeHttp(files: SourceFile[]): { file: SourceFile; node: t.Node } | undefined {
  const modules = ["http", "node:http", "https", "node:https", "http2", "node:http2"];
  const creators = ["createServer", "createSecureServer"];
  for (const file of files) {
    let hit: t.Node | undefined;
    walk(file.ast.program, (node) => {
      if (hit) return false;
      if (node.type !== "CallExpression") return;
      const callee = node.callee;
      if (callee.type === "MemberExpression" && callee.object.type === "Identifier" && callee.property.type === "Identifier") {
        if (creators.includes(callee.property.name) && modules.includes(file.imports.get(callee.object.name)?.source ?? "")) hit = node;
      } else if (callee.type === "Identifier" && creators.includes(callee.name)) {
        if (modules.includes(file.imports.get(callee.name)?.source ?? "")) hit = node;
      }
    });
    if (hit) return { file, node: hit };
  }
  return undefined;
}

/** Whether the questions detection leaves open (framework, endpoint) are answered. */
export function isResolved(d: Detection): d is ResolvedDetection {
  return d.framework !== undefined && d.endpoint !== undefined;
}

/** --framework, else the one framework in package.json, else the one whose app the code creates. */
function chooseFramework(flags: DetectFlags, candidates: string[], apps: AppSite[], deps: Record<string, string>): Detection["framework"] {
  let name = flags.framework;
  let from = "--framework";
  if (!name) {
    const inCode = [...new Set(apps.map((a) => a.framework))].filter((f) => candidates.includes(f));
    if (candidates.length === 1) {
      name = candidates[0];
      from = "package.json";
    } else if (inCode.length === 1) {
      name = inCode[0];
      from = "the code";
    }
  }
  const row = name ? FRAMEWORKS.find((f) => f.name === name) : undefined;
  if (!row) return undefined;
  const pkg = patternFor(row.name)?.packages.find((dep) => dep in deps);
  return { name: row.name, display: row.display, version: pkg ? deps[pkg] : undefined, from };
}

/**
 * --endpoint, else fastmcp's start options (or its default), else the one
 * route that serves MCP (or the one named .../mcp), on the app or under a
 * mount. With it, the project's own expression for the path when the wiring
 * can use it.
 */
function chooseEndpoint(
  flags: DetectFlags,
  routes: RouteSite[],
  fastmcpStart: FastmcpStart | undefined,
  app: AppSite | undefined,
): Detection["endpoint"] {
  const withCode = (path: string, from: string, site: RouteSite | undefined) => {
    const code = site?.pathNode && app && site.file === app.file ? usableAt(app, site.pathNode) : undefined;
    return code ? { path, from, code } : { path, from };
  };
  if (flags.endpoint) {
    const same = routes.filter((r) => r.path === flags.endpoint && r.pathNode);
    return withCode(
      flags.endpoint,
      "--endpoint",
      same.length > 0 && same.every((r) => r.pathNode?.type === same[0]?.pathNode?.type) ? same[0] : undefined,
    );
  }
  if (fastmcpStart && fastmcpStart.transport !== "stdio") {
    const where = `${fastmcpStart.file.rel}:${fastmcpStart.line}`;
    return { path: fastmcpStart.endpoint, from: fastmcpStart.env ? `${where}, ${fastmcpStart.env} unset` : where };
  }
  const paths = (keep: (r: RouteSite) => boolean) => [...new Set(routes.flatMap((r) => (r.path !== undefined && keep(r) ? [r.path] : [])))];
  const mcpPaths = paths((r) => r.mcp);
  const named = paths((r) => /(^|\/)mcp$/.test(r.path ?? ""));
  const chosen = mcpPaths.length === 1 ? mcpPaths[0] : mcpPaths.length === 0 && named.length === 1 ? named[0] : undefined;
  const site = routes.find((r) => r.path === chosen && (r.mcp || mcpPaths.length === 0));
  if (!chosen || !site) return undefined;
  const notes = [site.prefix ? `under ${site.prefix}` : "", site.env ? `${site.env} unset` : "", site.library ?? ""].filter(Boolean);
  return withCode(chosen, `${site.file.rel}:${site.line} ${site.method}${notes.length ? `, ${notes.join(", ")}` : ""}`, site);
}

/**
 * The source text of a path expression when it means the same where the
 * wiring goes (right after the app is created): every name in it is
 * `process`, an import, or a const declared before that point and visible
 * there. Literals need no code.
 */
function usableAt(app: AppSite, node: t.Node): string | undefined {
  if (node.type === "StringLiteral" || (node.type === "TemplateLiteral" && node.expressions.length === 0)) return undefined;
  let usable = true;
  walk(node, (n, ancestors) => {
    if (!usable || n.type !== "Identifier") return;
    const parent = ancestors[ancestors.length - 1];
    if (
      parent &&
      (parent.type === "MemberExpression" || parent.type === "OptionalMemberExpression") &&
      parent.property === n &&
      !parent.computed
    )
      return;
    if (n.name === "process" || app.file.imports.has(n.name)) return;
    const init = constInit(app.file, n.name, app.statement);
    if (!init || end(init) > start(app.statement)) usable = false;
  });
  return usable ? app.file.code.slice(start(node), end(node)) : undefined;
}

function toRel(root: string, file: string): string {
  return path.relative(root, path.resolve(root, file)).split(path.sep).join("/");
}
