/**
 * Wiring: the lines `add` inserts into the project's own code, in the
 * file's own style (quotes, semicolons, indentation, line endings), spliced
 * at positions the parser found; every other byte stays as it was. Where a
 * file does not match a shape it can edit safely, it is left alone and the
 * exact lines to add are returned instead.
 */

import path from "node:path";
import MagicString from "magic-string";
import { tsString } from "../core/literals.js";
import { end, freeName, lineOf, start, stringValue, type t, usedNames, walk } from "./ast.js";
import { creationOf } from "./detect/hazards.js";
import { objectProperty } from "./detect/values.js";
import type { AppSite, BodylessCall, Detection, InfraSite, ReusedServer, SourceFile } from "./detect.js";
import { requireSource } from "./detect.js";

export interface Style {
  quote: "'" | '"';
  semicolons: boolean;
  /** One level of indentation. */
  indent: string;
  eol: string;
}

export interface ManualStep {
  file: string;
  where: string;
  lines: string[];
}

export interface Wiring {
  /** New contents of the files it edits, by path relative to the root. */
  files: Map<string, string>;
  /** What to add by hand where a file could not be edited safely. */
  manual: ManualStep[];
  /** One line per change made, for the report. */
  notes: string[];
  /** Whether the auth step is (or will be) registered. */
  wired: boolean;
}

export function styleOf(file: SourceFile): Style {
  let single = 0;
  let double = 0;
  let withSemi = 0;
  let withoutSemi = 0;
  const visit = (node: t.Node) => {
    if (node.type === "StringLiteral") {
      const raw = file.code[start(node)];
      if (raw === "'") single++;
      else if (raw === '"') double++;
    }
  };
  for (const statement of file.ast.program.body) {
    walkShallow(statement, visit);
    if (["ImportDeclaration", "VariableDeclaration", "ExpressionStatement", "ReturnStatement"].includes(statement.type)) {
      if (file.code[end(statement) - 1] === ";") withSemi++;
      else withoutSemi++;
    }
  }
  const indents = file.code
    .split("\n")
    .map((line) => /^([ \t]+)\S/.exec(line)?.[1])
    .filter((s): s is string => Boolean(s));
  const tabs = indents.filter((s) => s.startsWith("\t")).length;
  // Two spaces at least: one-space lines are the ` * ` of block comments.
  const spaces = indents
    .filter((s) => s.startsWith(" "))
    .map((s) => s.length)
    .filter((n) => n >= 2);
  const smallest = spaces.length > 0 ? Math.min(...spaces) : 2;
  const unit = tabs > spaces.length ? "\t" : " ".repeat(smallest <= 8 ? smallest : 2);
  return {
    quote: single > double ? "'" : '"',
    semicolons: withSemi >= withoutSemi,
    indent: unit,
    eol: file.code.includes("\r\n") ? "\r\n" : "\n",
  };
}

function walkShallow(node: t.Node, visit: (node: t.Node) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === "loc" || key.endsWith("Comments")) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (item && typeof item === "object" && "type" in item) walkShallow(item as t.Node, visit);
    } else if (value && typeof value === "object" && "type" in value) {
      walkShallow(value as t.Node, visit);
    }
  }
}

/** A string literal in the file's quote style, always reading back as `value`. */
export function literal(value: string, style: Style): string {
  if (style.quote === "'" && !/['\\\n\r\u2028\u2029<]/.test(value)) return `'${value}'`;
  return tsString(value);
}

function indentAt(code: string, position: number): string {
  const lineStart = code.lastIndexOf("\n", position - 1) + 1;
  return /^[ \t]*/.exec(code.slice(lineStart))![0];
}

/** Offset just after the line holding `position` ends (after its newline), if only whitespace or a comment follows it there. */
function afterLine(code: string, position: number): number | undefined {
  const newline = code.indexOf("\n", position);
  const rest = code.slice(position, newline === -1 ? code.length : newline).replace(/\r$/, "");
  if (!/^[ \t]*(;[ \t]*)?(\/\/.*|\/\*.*\*\/[ \t]*)?$/.test(rest)) return undefined;
  return newline === -1 ? code.length : newline + 1;
}

function lineStartOf(code: string, position: number): number {
  return code.lastIndexOf("\n", position - 1) + 1;
}

export function isImportLike(statement: t.Statement): boolean {
  if (statement.type === "ImportDeclaration") return true;
  if (statement.type === "VariableDeclaration") return statement.declarations.every((d) => requireSource(d.init) !== undefined);
  return statement.type === "ExpressionStatement" && requireSource(statement.expression) !== undefined;
}

/**
 * Where a new import of `specifier` goes: in its sorted place among the
 * relative imports above `before` when they are sorted (as formatters keep
 * them), else after the last import (or require), else above the first statement.
 */
function importPosition(file: SourceFile, before: number, specifier: string): number {
  const body = file.ast.program.body;
  const imports = body.filter((s) => isImportLike(s) && start(s) < before);
  const relative = imports.flatMap((s) => (s.type === "ImportDeclaration" && s.source.value.startsWith(".") ? [s] : []));
  const sources = relative.map((s) => s.source.value);
  if (sources.every((source, i) => i === 0 || sources[i - 1]! <= source)) {
    const next = relative.find((s) => s.source.value > specifier);
    if (next && file.code.slice(lineStartOf(file.code, start(next)), start(next)).trim() === "") return lineStartOf(file.code, start(next));
  }
  const last = imports[imports.length - 1];
  if (last) {
    const after = afterLine(file.code, end(last));
    if (after !== undefined) return after;
  }
  const directives = file.ast.program.directives;
  if (directives.length > 0)
    return afterLine(file.code, end(directives[directives.length - 1]!)) ?? end(directives[directives.length - 1]!);
  const first = body[0];
  return first ? lineStartOf(file.code, start(first)) : file.code.length;
}

/** The import specifier of `target` (a path relative to the root, without extension) from `file`. */
export function specifierFrom(file: SourceFile, target: string, extension: string): string {
  let rel = path.posix.relative(path.posix.dirname(file.rel), target);
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return `${rel}${extension}`;
}

/** Does `file` import the adapter at `target` (relative to the root, no extension)? */
export function importsModule(file: SourceFile, target: string): boolean {
  for (const binding of file.imports.values()) {
    if (!binding.source.startsWith(".")) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file.rel), binding.source)).replace(/\.[cm]?[jt]s$/, "");
    if (resolved === target) return true;
  }
  return false;
}

export interface WireOptions {
  /** The auth folder, relative to the root. */
  authDir: string;
  endpoint: string;
  /** The app site to wire (may be undefined: then the lines are given by hand). */
  app: AppSite | undefined;
  /** Auth the project already has on its MCP route: kept, or removed (replaced by the auth step). */
  existingAuth?: "keep" | "replace";
}

export function wire(d: Detection, options: WireOptions): Wiring {
  const editors = new Map<string, MagicString>();
  const editor = (file: SourceFile) => {
    let s = editors.get(file.rel);
    if (!s) {
      s = new MagicString(file.code);
      editors.set(file.rel, s);
    }
    return s;
  };
  const manual: ManualStep[] = [];
  const notes: string[] = [];
  const framework = d.framework!.name;
  const adapter = `${options.authDir}/${framework}`;
  const app = options.app;

  let wired = false;
  let wiredNow = false;
  if (app && importsModule(app.file, adapter)) {
    wired = true;
  } else {
    const file = app?.file;
    const style: Style = file ? styleOf(file) : { quote: "'", semicolons: true, indent: "  ", eol: "\n" };
    const semi = style.semicolons ? ";" : "";
    const taken = file ? usedNames(file.ast) : new Set<string>();
    const fn = freeName("mcpAuth", taken);
    const specifierValue = specifierFrom(
      file ?? ({ rel: `${d.sourceDir}/index${d.extension}` } as SourceFile),
      adapter,
      d.specifierExtension,
    );
    const specifier = literal(specifierValue, style);
    const esm = d.language === "ts" || d.module === "esm";
    // After the project's own security and infrastructure middleware (the last app-level one before the routes), so a
    // rate limit counts bad tokens and a 401 carries the security headers; before the MCP handler.
    const infra = app ? lastInfra(d, app) : undefined;
    // hono/cors, Express's cors and @fastify/cors answer every preflight themselves: the public metadata document is
    // served before them (mcpMetadata). Only where both registrations can be written in place (else the lines by hand
    // stay the one registration).
    const cors =
      (framework === "hono" || framework === "express" || framework === "fastify") &&
      app &&
      infra?.statement &&
      afterLine(app.file.code, end(app.statement)) !== undefined &&
      afterLine(app.file.code, end(infra.statement)) !== undefined
        ? d.infra.find(
            (site) =>
              site.name.startsWith("CORS") && site.statement && site.file === app.file && start(site.statement) <= start(infra.statement!),
          )
        : undefined;
    const metaFn = cors ? freeName("mcpMetadata", new Set([...taken, fn])) : undefined;
    const names = [
      fn === "mcpAuth" ? "mcpAuth" : esm ? `mcpAuth as ${fn}` : `mcpAuth: ${fn}`,
      ...(metaFn ? [metaFn === "mcpMetadata" ? "mcpMetadata" : esm ? `mcpMetadata as ${metaFn}` : `mcpMetadata: ${metaFn}`] : []),
    ].join(", ");
    const importLine = esm ? `import { ${names} } from ${specifier}${semi}` : `const { ${names} } = require(${specifier})${semi}`;
    const anchor = infra?.statement ?? app?.statement;
    const comment = infra
      ? `// OAuth for the MCP endpoint, after ${infraNames(d, infra)} and before the routes (create-mcp-auth add)`
      : "// OAuth for the MCP endpoint, before any route (create-mcp-auth add)";
    // The project's own constant or env expression for the path, where the wiring can use it (detect.ts checks that).
    const endpoint = d.endpoint?.code && d.endpoint.path === options.endpoint ? d.endpoint.code : literal(options.endpoint, style);
    const appName = app?.name ?? (framework === "fastmcp" ? "server" : "app");
    const registration =
      framework === "fastify"
        ? `${fn}(${appName}, { endpoint: ${endpoint} })${semi}`
        : `${appName}.use(${fn}({ endpoint: ${endpoint} }))${semi}`;

    if (framework === "fastmcp") {
      const call = d.fastmcpStart;
      if (file && call && call.file === file) {
        const s = editor(file);
        s.appendLeft(importPosition(file, start(app!.statement), specifierValue), `${importLine}${style.eol}`);
        s.appendLeft(start(call.callee), `${fn}(`);
        s.appendLeft(end(call.callee), ")");
        notes.push(`${file.rel}: ${appName}.start() becomes ${fn}(${appName}).start(), which puts the auth layer in front of fastmcp`);
        wired = wiredNow = true;
      } else {
        manual.push(
          { file: file?.rel ?? "the file that starts your FastMCP server", where: "with the other imports", lines: [importLine] },
          {
            file: file?.rel ?? "the same file",
            where: `where the server starts: replace ${appName}.start(options) with`,
            lines: [`${fn}(${appName}).start(options)${semi}`],
          },
        );
      }
    } else {
      const position = app && file && anchor ? afterLine(file.code, end(anchor)) : undefined;
      if (app && file && position !== undefined) {
        const s = editor(file);
        const indent = indentAt(file.code, start(app.statement));
        const eolBefore = position === file.code.length && !file.code.endsWith("\n") ? style.eol : "";
        s.appendLeft(importPosition(file, start(app.statement), specifierValue), `${importLine}${style.eol}`);
        const afterApp = cors && metaFn ? afterLine(file.code, end(app.statement)) : undefined;
        // Fastify's takes the app (it adds a hook); the others are middleware the app uses.
        const metaCall = (args: string) =>
          framework === "fastify" ? `${metaFn}(${appName}, ${args})` : `${appName}.use(${metaFn}(${args}))`;
        if (cors && metaFn && afterApp !== undefined) {
          s.appendLeft(
            afterApp,
            `${indent}// The protected resource metadata, public, before ${cors.name}, which answers its preflight (create-mcp-auth add)${style.eol}` +
              `${indent}${metaCall(`{ endpoint: ${endpoint} }`)}${semi}${style.eol}`,
          );
          notes.push(
            `${file.rel}: ${metaCall("...")} right after ${app.text} (line ${app.line}), before ${cors.name} (line ${cors.line}), which would answer the metadata's CORS preflight without the metadata's headers`,
          );
        }
        s.appendLeft(position, `${eolBefore}${indent}${comment}${style.eol}${indent}${registration}${style.eol}`);
        notes.push(
          infra
            ? `${file.rel}: ${registration.replace(/;$/, "")} after ${infraNames(d, infra)} (line ${infra.line}), before the routes`
            : `${file.rel}: ${registration.replace(/;$/, "")} right after ${app.text} (line ${app.line})`,
        );
        wired = wiredNow = true;
      } else {
        manual.push(
          { file: file?.rel ?? "the file that creates your app", where: "with the other imports", lines: [importLine] },
          {
            file: file?.rel ?? "the same file",
            where: app
              ? `right after \`${app.text}\` (line ${app.line}), before the MCP route`
              : "right after the line that creates your app, before the MCP route",
            lines: [comment, registration],
          },
        );
      }
    }
  }

  // A file the wiring could not edit is left alone entirely: its fixes become steps by hand too.
  const untouchable = !wired && app ? app.file.rel : undefined;
  for (const reused of d.reused) {
    if (!reused.fix) continue;
    if (reused.file.rel === untouchable || (reused.across && reused.across.file.rel === untouchable)) {
      manual.push({
        file: reused.file.rel,
        where: `line ${reused.line} and the request handler of line ${reused.handlerLine}`,
        lines: [
          reused.transport
            ? `build the McpServer (${reused.name}) and its transport (${reused.transport.name}) inside the request handler, new ones per request`
            : `build the McpServer (${reused.name}) inside the request handler, a new one per request`,
        ],
      });
    } else if (reused.across) {
      notes.push(fixAcrossModules(editor(reused.file), editor(reused.across.file), reused));
    } else if (reused.fix.factory) {
      notes.push(fixWithFactory(editor(reused.file), reused));
    } else if (reused.fix.inFunction) {
      notes.push(fixReusedInFunction(editor(reused.file), reused));
    } else {
      notes.push(fixReusedServer(editor(reused.file), reused));
    }
  }
  if (wiredNow) for (const call of d.bodyless) notes.push(passBody(editor(call.file), call));
  if (wiredNow)
    for (const site of d.infra) {
      const note = site.name.startsWith("CORS") && site.statement ? corsHeaders(site, () => editor(site.file)) : undefined;
      if (note) notes.push(note);
    }
  if (wiredNow && options.existingAuth === "replace") {
    for (const site of d.existingAuth) {
      if (!site.removal) continue;
      const s = editor(site.file);
      for (const [i, [from, to]] of site.removal.entries()) {
        if (i === 0 && site.replacement) s.overwrite(from, to, site.replacement);
        else s.remove(from, to);
      }
      notes.push(
        `${site.file.rel}:${site.line}: ${site.name} removed from the MCP route (--existing-auth replace): the auth step checks its tokens`,
      );
    }
  }

  if (wiredNow && options.existingAuth !== "replace") {
    for (const site of d.existingAuth) {
      if (!site.own || site.switch) continue;
      notes.push(
        `${site.file.rel}:${site.line}: ${site.name} kept on the MCP route (--existing-auth keep): a request must pass it and the OAuth check, ` +
          `and both read the Authorization header, so an OAuth access token passes only if this check accepts it as its own token; ` +
          `OAuth clients are refused by it ${site.optOut ? `unless ${site.optOut.text}` : "whenever the server runs"} (add --existing-auth replace removes it)`,
      );
    }
  }

  const files = new Map<string, string>();
  for (const [rel, s] of editors) files.set(rel, s.toString());
  return { files, manual, notes, wired };
}

/** The last app-level security or infrastructure registration in the app's own block, before the MCP route. */
function lastInfra(d: Detection, app: AppSite): InfraSite | undefined {
  const sites = d.infra.filter((site) => site.statement && site.file === app.file && start(site.statement) > start(app.statement));
  return sites.sort((a, b) => start(a.statement!) - start(b.statement!))[sites.length - 1];
}

/** "helmet, rate limit (express-rate-limit)": the app-level middleware up to `last`. */
function infraNames(d: Detection, last: InfraSite): string {
  const names = d.infra.filter((site) => site.statement && start(site.statement) <= start(last.statement!)).map((site) => site.name);
  return [...new Set(names)].join(", ");
}

/**
 * The server's creation and setup, `run`, into a factory function: the text
 * that replaces them, with the factory's name.
 */
function serverFactory(
  file: SourceFile,
  reused: ReusedServer,
  taken: Set<string>,
): { from: number; to: number; text: string; factory: string } {
  const { name } = reused;
  const { run } = reused.fix!;
  const style = styleOf(file);
  const factory = freeName("createMcpServer", taken);
  const from = lineStartOf(file.code, start(run[0]!));
  const lastEnd = end(run[run.length - 1]!);
  const to = afterLine(file.code, lastEnd) ?? lastEnd;
  const indent = indentAt(file.code, start(run[0]!));
  const original = file.code.slice(from, to).replace(/\r?\n$/, "");
  return { from, to, text: factoryFunction(style, indent, factory, original, name), factory };
}

/** `function <factory>() { <body, one level deeper>; return <returned> }`, with the comment that says why. */
function factoryFunction(style: Style, indent: string, factory: string, body: string, returned: string): string {
  const semi = style.semicolons ? ";" : "";
  const moved = body
    .split("\n")
    .map((line) => (line.trim() === "" ? line.replace(/[ \t]+/, "") : `${style.indent}${line}`))
    .join("\n");
  const comment = [
    `${indent}// A new McpServer for every request: an McpServer connects to one transport`,
    `${indent}// for life, so one shared by all requests fails from the second request on.`,
  ].join(style.eol);
  return (
    [comment, `${indent}function ${factory}() {`, moved, `${indent}${style.indent}return ${returned}${semi}`, `${indent}}`].join(
      style.eol,
    ) + style.eol
  );
}

/**
 * A server handed to another module's request handler (`startHttp(server)`):
 * its creation and setup become a factory, the top-level name stays (made by
 * the factory, for the project's other uses of it), the factory is passed on
 * as a new last argument, and the request handler builds its own server from it.
 */
function fixAcrossModules(s: MagicString, other: MagicString, reused: ReusedServer): string {
  const { file, name } = reused;
  const across = reused.across!;
  const style = styleOf(file);
  const semi = style.semicolons ? ";" : "";
  const taken = new Set([...usedNames(file.ast), ...usedNames(across.file.ast)]);
  const { from, to, text, factory } = serverFactory(file, reused, taken);
  const indent = indentAt(file.code, start(reused.fix!.run[0]!));
  s.overwrite(from, to, `${text}${indent}const ${name} = ${factory}()${semi}${style.eol}`);
  const lastArgument = across.call.arguments[across.call.arguments.length - 1]!;
  s.appendLeft(end(lastArgument), `, ${factory}`);
  const lastParam = across.fn.params[across.fn.params.length - 1]!;
  other.appendLeft(end(lastParam), `, ${factory}`);
  const param = across.fn.params[across.argument] as t.Identifier;
  const body = across.handler.body as t.BlockStatement;
  const otherStyle = styleOf(across.file);
  const first = body.body[0];
  const bodyIndent = first
    ? indentAt(across.file.code, start(first))
    : `${indentAt(across.file.code, start(across.handler))}${otherStyle.indent}`;
  other.appendLeft(
    start(body) + 1,
    `${otherStyle.eol}${bodyIndent}// A new server per request (create-mcp-auth add): one shared server accepts one transport at a time.` +
      `${otherStyle.eol}${bodyIndent}const ${param.name} = ${factory}()${otherStyle.semicolons ? ";" : ""}`,
  );
  return (
    `${file.rel}: the server of line ${reused.line} is now built by ${factory}(), passed to ${across.fn.type === "FunctionDeclaration" && across.fn.id ? across.fn.id.name : "the function"}() ` +
    `(line ${lineOf(across.call)}), and ${across.file.rel}'s request handler (line ${reused.handlerLine}) builds one per request`
  );
}

/**
 * One McpServer shared by all requests becomes one per request: its creation
 * and the setup statements after it move into a factory function, and the
 * request handler calls it.
 */
function fixReusedServer(s: MagicString, reused: ReusedServer): string {
  const { file, name } = reused;
  const { handlers } = reused.fix!;
  const style = styleOf(file);
  const semi = style.semicolons ? ";" : "";
  const { from, to, text, factory } = serverFactory(file, reused, usedNames(file.ast));
  s.overwrite(from, to, text);
  const { transport } = reused;
  if (transport) {
    // The shared stateless transport and its connect go; each request makes its own.
    const ranges = [transport.statement, transport.connect]
      .map((statement) => [lineStartOf(file.code, start(statement)), afterLine(file.code, end(statement)) ?? end(statement)] as const)
      .sort((x, y) => x[0] - y[0]);
    // Two statements on consecutive lines go as one block.
    const blocks = ranges[0]![1] === ranges[1]![0] ? [[ranges[0]![0], ranges[1]![1]] as const] : ranges;
    for (const [from, to] of blocks) {
      // A blank line on both sides once the lines are gone: one of them goes too.
      const blankAfter = /^[ \t]*\r?\n/.exec(file.code.slice(to));
      const blankBefore = /\n[ \t]*\r?\n$/.test(file.code.slice(0, from));
      s.remove(from, blankAfter && blankBefore ? to + blankAfter[0].length : to);
    }
  }
  for (const handler of handlers) {
    const body = handler.body as t.BlockStatement;
    const first = body.body[0];
    const bodyIndent = first ? indentAt(file.code, start(first)) : `${indentAt(file.code, start(handler))}${style.indent}`;
    const lines = [`const ${name} = ${factory}()${semi}`];
    if (transport) {
      lines.push(`const ${transport.name} = ${transport.creation}${semi}`, `await ${name}.connect(${transport.name})${semi}`);
      if (!handler.async) s.appendLeft(start(handler), "async ");
    }
    s.appendLeft(start(body) + 1, lines.map((line) => `${style.eol}${bodyIndent}${line}`).join(""));
  }
  if (transport)
    return `${file.rel}: the McpServer of line ${reused.line} and its stateless transport (${transport.name}) are now made per request (${factory}() and a new transport, in the handler of line ${reused.handlerLine})`;
  return `${file.rel}: the McpServer of line ${reused.line} is now built per request (${factory}(), called in the handler of line ${reused.handlerLine})`;
}

/**
 * A server and a stateless transport made and connected once inside the
 * function that sets up the app, before its request handler (the shape of
 * mcp-server-code-runner): the three statements move, as written, from that
 * function into the request handler, so every request gets its own.
 */
function fixReusedInFunction(s: MagicString, reused: ReusedServer): string {
  const { file } = reused;
  const transport = reused.transport!;
  const { run, handlers } = reused.fix!;
  const style = styleOf(file);
  const statements = [run[0]!, transport.statement, transport.connect].sort((x, y) => start(x) - start(y));
  const indent = indentAt(file.code, start(statements[0]!));
  const moved: string[] = [];
  for (const statement of statements) {
    const from = lineStartOf(file.code, start(statement));
    const to = afterLine(file.code, end(statement)) ?? end(statement);
    s.remove(from, to);
    moved.push(file.code.slice(start(statement), to).replace(/\s+$/, ""));
  }
  for (const handler of handlers) {
    const body = handler.body as t.BlockStatement;
    const first = body.body[0];
    const bodyIndent = first ? indentAt(file.code, start(first)) : `${indentAt(file.code, start(handler))}${style.indent}`;
    // Lines after a statement's first keep their place relative to it: re-indented from `indent` to `bodyIndent`.
    const lines = [
      "// A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
      ...moved,
    ].flatMap((text) =>
      text
        .split("\n")
        .map((line, i) =>
          i === 0 ? `${bodyIndent}${line}` : line.startsWith(indent) ? `${bodyIndent}${line.slice(indent.length)}` : line,
        ),
    );
    const text = lines.map((line) => `${style.eol}${line.replace(/\r$/, "")}`).join("");
    if (!handler.async) s.appendLeft(start(handler), "async ");
    s.appendLeft(start(body) + 1, text);
  }
  return `${file.rel}: the server of line ${reused.line} and its stateless transport (${transport.name}) are now made per request, in the handler of line ${reused.handlerLine}`;
}

/**
 * `statement`'s lines with every reference to `name` (outside functions that declare their own) read as `local`:
 * the text from the start of its first line to the end of its last.
 */
function renamed(file: SourceFile, statement: t.Node, name: string, local: string, prefix?: { to: number; text: string }): string {
  const from = lineStartOf(file.code, start(statement));
  const to = afterLine(file.code, end(statement)) ?? end(statement);
  const edits: { from: number; to: number; text: string }[] = prefix ? [{ from: start(statement), to: prefix.to, text: prefix.text }] : [];
  // Detection has made sure no function or class in it has a `name` of its own.
  walk(statement, (node, ancestors) => {
    if (prefix && start(node) < prefix.to && end(node) <= prefix.to) return false;
    if (node.type !== "Identifier" || node.name !== name) return;
    const parent = ancestors[ancestors.length - 1];
    if (
      (parent?.type === "MemberExpression" || parent?.type === "OptionalMemberExpression") &&
      parent.property === node &&
      !parent.computed
    )
      return;
    if (
      (parent?.type === "ClassProperty" || parent?.type === "ClassMethod" || parent?.type === "ObjectMethod") &&
      parent.key === node &&
      !parent.computed
    )
      return;
    if (parent?.type === "ObjectProperty" && parent.key === node && !parent.computed) {
      if (parent.shorthand) edits.push({ from: start(node), to: end(node), text: `${name}: ${local}` });
      return false;
    }
    edits.push({ from: start(node), to: end(node), text: local });
  });
  let text = "";
  let at = from;
  for (const edit of edits.sort((a, b) => a.from - b.from)) {
    if (edit.from < at) continue;
    text += file.code.slice(at, edit.from) + edit.text;
    at = edit.to;
  }
  return text + file.code.slice(at, to);
}

/** The range of a statement's lines, with the `//` comment lines right above it (they describe it), to remove it. */
function linesWithComment(code: string, statement: t.Node): [number, number] {
  let from = lineStartOf(code, start(statement));
  for (;;) {
    const previous = lineStartOf(code, from - 1);
    if (from === 0 || !/^[ \t]*\/\/.*\r?\n$/.test(code.slice(previous, from))) break;
    from = previous;
  }
  return [from, afterLine(code, end(statement)) ?? end(statement)];
}

/**
 * The fix of a server made (or assigned) before the block that connects it to one stateless transport (the shape of
 * @aashari/mcp-server-atlassian-jira): its creation and the statements that set it up become a factory declared where
 * it was made, the creation calls it (the name keeps a server, for stdio and shutdown), the shared transport, its
 * connect and the statements that copy it elsewhere (`transportInstance = transport`: that name stays unset, and
 * every reader checks it) go, and each request handler makes a new server and a new stateless transport, connects
 * them, and closes both when the response closes, as the SDK documents for stateless servers.
 */
function fixWithFactory(s: MagicString, reused: ReusedServer): string {
  const { file, name } = reused;
  const transport = reused.transport!;
  const { run, handlers, factory: plan } = reused.fix!;
  const style = styleOf(file);
  const semi = style.semicolons ? ";" : "";
  const q = style.quote;
  const [made, ...setup] = run;
  const value = creationOf(made!, name)!;
  const factory = freeName("createMcpServer", usedNames(file.ast));
  const inRun = new Set<string>([factory]);
  for (const statement of run) walk(statement, (node) => void (node.type === "Identifier" && inRun.add(node.name)));
  const local = freeName("server", inRun);
  // The factory: the creation as `const <local> = <value>`, then the setup, each with the server read as <local>.
  const body = [
    renamed(file, made!, name, local, { to: start(value), text: `const ${local} = ` }),
    ...setup.map((statement) => renamed(file, statement, name, local)),
  ]
    .map((text) => text.replace(/\r?\n$/, ""))
    .join("\n");
  const indent = indentAt(file.code, start(made!));
  s.appendLeft(lineStartOf(file.code, start(made!)), factoryFunction(style, indent, factory, body, local));
  s.overwrite(start(value), end(value), `${factory}()`);
  for (const statement of setup) s.remove(lineStartOf(file.code, start(statement)), afterLine(file.code, end(statement)) ?? end(statement));
  for (const statement of [transport.statement, transport.connect, ...plan!.aliases]) s.remove(...linesWithComment(file.code, statement));
  // Each handler: a new server and stateless transport, closed with the response.
  const transportIndent = indentAt(file.code, start(transport.statement));
  handlers.forEach((handler, i) => {
    const res = plan!.response[i]!;
    const block = handler.body as t.BlockStatement;
    const first = block.body[0];
    const bodyIndent = first ? indentAt(file.code, start(first)) : `${indentAt(file.code, start(handler))}${style.indent}`;
    const taken = new Set<string>([factory, transport.name]);
    walk(handler, (node) => void (node.type === "Identifier" && taken.add(node.name)));
    walk(transport.statement, (node) => void (node.type === "Identifier" && taken.add(node.name)));
    const server = freeName("server", taken);
    const creation = transport.creation
      .split("\n")
      .map((line, n) => (n > 0 && line.startsWith(transportIndent) ? `${bodyIndent}${line.slice(transportIndent.length)}` : line))
      .join("\n");
    const lines = [
      "// A new server and transport per request (create-mcp-auth add): a stateless transport serves one request.",
      `const ${server} = ${factory}()${semi}`,
      `const ${transport.name} = ${creation}${semi}`,
      `${res}.on(${q}close${q}, () => {`,
      `${style.indent}${transport.name}.close()${semi}`,
      `${style.indent}${server}.close()${semi}`,
      `})${semi}`,
      `await ${server}.connect(${transport.name})${semi}`,
    ];
    const text = lines
      .flatMap((line) => line.split("\n").map((part, n) => (n === 0 ? `${bodyIndent}${part}` : part)))
      .map((line) => `${style.eol}${line.replace(/\r$/, "")}`)
      .join("");
    if (!handler.async) s.appendLeft(start(handler), "async ");
    s.appendLeft(start(block) + 1, text);
  });
  const aliases = plan!.aliases.map((a) => ((a as t.ExpressionStatement).expression as t.AssignmentExpression).left as t.Identifier);
  return (
    `${file.rel}: the McpServer of line ${reused.line} is now built by ${factory}() (with its setup), and the request handler of line ${reused.handlerLine} ` +
    `makes a new server and stateless transport per request, closed with the response, in place of ${transport.name} (line ${lineOf(transport.statement)})` +
    (aliases.length > 0
      ? `; ${aliases.map((a) => a.name).join(", ")} no longer holds a transport in HTTP mode (the per-request ones close themselves)`
      : "")
  );
}

/**
 * The project's CORS options on the MCP route, where they list headers
 * (`allowedHeaders: [...]`, `exposedHeaders: [...]`): a browser client must
 * be let to send Authorization and MCP-Protocol-Version and to read
 * WWW-Authenticate, or no browser can start authorization. The missing names
 * are appended to those lists; options that list nothing are left alone.
 */
function corsHeaders(site: InfraSite, edit: () => MagicString): string | undefined {
  let options: t.ObjectExpression | undefined;
  walk(site.statement!, (node) => {
    if (options) return false;
    if (node.type === "CallExpression" && node.arguments[0]?.type === "ObjectExpression") options = node.arguments[0];
  });
  if (!options) return undefined;
  const added: string[] = [];
  const extend = (key: string, names: string[]) => {
    const list = objectProperty(options!, key);
    if (list?.type !== "ArrayExpression" || list.elements.length === 0) return;
    const present = list.elements.map((e) => (e ? stringValue(e)?.toLowerCase() : undefined));
    if (present.some((v) => v === undefined || v === "*")) return;
    const missing = names.filter((name) => !present.includes(name.toLowerCase()));
    const last = list.elements[list.elements.length - 1]!;
    const quote = site.file.code[start(last)] === "'" ? "'" : '"';
    if (missing.length === 0) return;
    edit().appendLeft(end(last), missing.map((name) => `, ${quote}${name}${quote}`).join(""));
    added.push(`${missing.join(", ")} to ${key}`);
  };
  // cors and @fastify/cors name them allowedHeaders / exposedHeaders, hono/cors allowHeaders / exposeHeaders.
  for (const key of ["allowedHeaders", "allowHeaders"]) extend(key, ["Authorization", "MCP-Protocol-Version"]);
  for (const key of ["exposedHeaders", "exposeHeaders"]) extend(key, ["WWW-Authenticate"]);
  return added.length > 0
    ? `${site.file.rel}:${site.line}: CORS adds ${added.join(" and ")}, so browser clients can send a token and read the challenge`
    : undefined;
}

/** `handleRequest(req, res)` -> `handleRequest(req, res, req.body)`: the auth step has read the body already. */
function passBody(s: MagicString, call: BodylessCall): string {
  const last = call.call.arguments[call.call.arguments.length - 1]!;
  s.appendLeft(end(last), `, ${call.request}.body`);
  return `${call.file.rel}:${lineOf(call.call)}: passes the parsed body on (${call.request}.body), which the auth step has read`;
}
