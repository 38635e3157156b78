/**
 * How the project is told to serve Streamable HTTP instead of stdio: a
 * command-line option (`--transport http`, `--http`, `-t http`) or an
 * environment variable (`TRANSPORT=http`, `MCP_TRANSPORT_TYPE=http`), as its
 * code reads them (commander, yargs, parseArgs, `process.argv`, a zod schema
 * of the environment). The start command add runs for the self-check and
 * prints in its next steps is the project's script plus that switch; the
 * port it listens on is set the same way (`--port`, `MCP_HTTP_PORT`) when it
 * does not read PORT.
 */
import { memberPath, stringValue, type t, unwrap, walk } from "../ast.js";
import type { SourceFile, StartCommand } from "./types.js";
import { constInit } from "./values.js";

/** Values a transport switch takes for Streamable HTTP, in the order add prefers them. */
const HTTP_VALUES = ["http", "streamable-http", "streamableHttp", "streamable_http", "httpStream", "shttp", "streamable"];
/** Option names of a transport switch (camelCase or kebab-case in the code). */
const TRANSPORT_OPTION = /^(output-?)?(transport|transport-?type|mcp-?transport(-?type)?|server-?type)$/i;
/** Boolean options that switch HTTP on. */
const HTTP_FLAGS = ["--http", "--streamable-http", "--streamableHttp", "--http-stream", "--httpStream"];

export interface ServeSwitch {
  /** Arguments to append to the start command: `["--transport", "http"]`. */
  args: string[];
  /** Variables to set for it: `{ MCP_TRANSPORT_TYPE: "http" }`. */
  env: Record<string, string>;
  /** Where the code reads it, for messages: `dist/cli.js:11`. */
  from: string;
}

export interface PortSwitch {
  /** A command-line option the port is read from (`--port`), when the server does not read PORT. */
  arg?: string;
  /** An environment variable the port is read from instead of PORT (`MCP_HTTP_PORT`). */
  env?: string;
  /** Its default, when the code says (`.default(3010)`, `process.env.MCP_HTTP_PORT || 3010`). */
  fallback?: number;
}

const normalize = (name: string) => name.replace(/[^a-z0-9]/gi, "").toLowerCase();

/** A command-line option the code defines or reads. */
interface ArgvOption {
  file: SourceFile;
  node: t.Node;
  short?: string;
  /** The option takes a value (`--url <url>`, yargs `type: "string"`): not a boolean switch. */
  value?: boolean;
  /** Its default, when written as a literal (commander's third argument, yargs' and parseArgs' `default`). */
  fallback?: string;
}

/**
 * What one walk of every file found, kept for the project's files: the serve switch, the port switch and the gateway
 * check each read the options and the variables, and a walk of a bundled dist/ costs hundreds of milliseconds.
 */
function perFiles<T>(read: (files: SourceFile[]) => T): (files: SourceFile[]) => T {
  const found = new WeakMap<SourceFile[], T>();
  return (files) => {
    if (!found.has(files)) found.set(files, read(files));
    return found.get(files) as T;
  };
}

/** The command-line options the code defines or reads, by long name: `transport`, `port`, `stdio`. */
const argvOptions = perFiles((files): ReadonlyMap<string, ArgvOption> => {
  const options = new Map<string, ArgvOption>();
  const add = (file: SourceFile, node: t.Node, long: string, short?: string, value?: boolean, fallback?: string) => {
    if (!options.has(long))
      options.set(long, { file, node, ...(short ? { short } : {}), ...(value ? { value } : {}), ...(fallback ? { fallback } : {}) });
  };
  const literalOf = (node: t.Node | undefined) => {
    if (!node) return undefined;
    const n = unwrap(node);
    return n.type === "NumericLiteral" ? String(n.value) : stringValue(n);
  };
  const defaultOf = (settings: t.Node | undefined) =>
    settings?.type === "ObjectExpression"
      ? literalOf(
          settings.properties.find(
            (p): p is t.ObjectProperty => p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "default",
          )?.value,
        )
      : undefined;
  for (const file of files) {
    walk(file.ast.program, (node, ancestors) => {
      // commander: .option("-t, --transport <transport>", ...), .requiredOption(...), new Option("--transport <t>")
      if ((node.type === "CallExpression" || node.type === "NewExpression") && node.arguments.length > 0) {
        const callee = node.callee;
        const method =
          callee.type === "MemberExpression" && callee.property.type === "Identifier"
            ? callee.property.name
            : callee.type === "Identifier"
              ? callee.name
              : undefined;
        const first = stringValue(node.arguments[0] as t.Node);
        if (first && method && ["option", "requiredOption", "Option", "addOption"].includes(method)) {
          const long = /--([\w-]+)/.exec(first)?.[1];
          const short = /(^|[\s,])-(\w)\b/.exec(first)?.[2];
          // yargs: .option("transport", { ... })
          const settings = node.arguments[1] ? unwrap(node.arguments[1] as t.Node) : undefined;
          const type =
            settings?.type === "ObjectExpression"
              ? settings.properties.find((p) => p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "type")
              : undefined;
          const typed = type?.type === "ObjectProperty" ? stringValue(type.value) : undefined;
          if (long) add(file, node, long, short, /[<[]/.test(first), literalOf(node.arguments[2] as t.Node | undefined));
          else if (/^[\w-]+$/.test(first))
            add(file, node, first, undefined, typed !== undefined && typed !== "boolean", defaultOf(settings));
        }
      }
      // parseArgs({ options: { transport: { type: "string" } } })
      if (node.type === "CallExpression" && memberPath(node.callee)?.endsWith("parseArgs")) {
        const arg = node.arguments[0] ? unwrap(node.arguments[0] as t.Node) : undefined;
        const opts =
          arg?.type === "ObjectExpression"
            ? arg.properties.find(
                (p): p is t.ObjectProperty => p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "options",
              )
            : undefined;
        const value = opts ? unwrap(opts.value) : undefined;
        if (value?.type === "ObjectExpression")
          for (const p of value.properties)
            if (p.type === "ObjectProperty") {
              const name = p.key.type === "Identifier" ? p.key.name : stringValue(p.key);
              if (name) add(file, p, name, undefined, undefined, defaultOf(unwrap(p.value)));
            }
      }
      // Hand-written parsing: args[i] === "--transport", argv.includes("--http"), case "--port":
      const literal = stringValue(node);
      if (literal && /^--[\w-]+$/.test(literal)) {
        const parent = ancestors[ancestors.length - 1];
        if (
          parent &&
          (parent.type === "BinaryExpression" ||
            parent.type === "SwitchCase" ||
            (parent.type === "CallExpression" && /\.(includes|indexOf|startsWith)$/.test(memberPath(parent.callee) ?? "")))
        )
          add(file, node, literal.slice(2));
      }
    });
  }
  return options;
});

/** Environment variables the code reads: `process.env.X`, `process.env["X"]`, keys of a zod schema of the environment. */
const envNames = perFiles((files): ReadonlyMap<string, { file: SourceFile; node: t.Node }> => {
  const names = new Map<string, { file: SourceFile; node: t.Node }>();
  for (const file of files) {
    walk(file.ast.program, (node) => {
      if ((node.type === "MemberExpression" || node.type === "OptionalMemberExpression") && memberPath(node.object) === "process.env") {
        const name = node.computed ? stringValue(node.property) : node.property.type === "Identifier" ? node.property.name : undefined;
        if (name && !names.has(name)) names.set(name, { file, node });
      }
      // z.object({ MCP_TRANSPORT_TYPE: z.enum(["stdio", "http"]).default("stdio") }): an environment schema's keys are UPPER_CASE.
      if (node.type === "ObjectProperty" && !node.computed) {
        const name = node.key.type === "Identifier" ? node.key.name : stringValue(node.key);
        if (name && /^[A-Z][A-Z0-9_]*$/.test(name) && /\bz\.|\.default\(/.test(file.code.slice(node.value.start ?? 0, node.value.end ?? 0)))
          if (!names.has(name)) names.set(name, { file, node });
      }
    });
  }
  return names;
});

/** What an expression compared with "http" reads: an environment variable, or a name (an option's, a config field's). */
function subjectOf(file: SourceFile, node: t.Node, depth = 0): { env: string } | { name: string } | undefined {
  const n = unwrap(node);
  if (depth > 4) return undefined;
  if ((n.type === "MemberExpression" || n.type === "OptionalMemberExpression") && memberPath(n.object) === "process.env") {
    const name = n.computed ? stringValue(n.property) : n.property.type === "Identifier" ? n.property.name : undefined;
    return name ? { env: name } : undefined;
  }
  if (n.type === "LogicalExpression") return subjectOf(file, n.left, depth + 1);
  if (n.type === "CallExpression" && n.callee.type === "MemberExpression" && !n.callee.computed) {
    // transport.toLowerCase(), String(x).trim()
    return subjectOf(file, n.callee.object, depth + 1);
  }
  if (n.type === "Identifier") {
    const init = constInit(file, n.name, n) ?? letInit(file, n.name);
    return (init && subjectOf(file, init, depth + 1)) ?? { name: n.name };
  }
  if ((n.type === "MemberExpression" || n.type === "OptionalMemberExpression") && !n.computed && n.property.type === "Identifier")
    return { name: n.property.name };
  return undefined;
}

/** The initializer of a `let` declared once in the file (`let transport = "stdio"` reassigned from argv says nothing; a read does). */
function letInit(file: SourceFile, name: string): t.Node | undefined {
  let found: t.Node | undefined;
  let count = 0;
  walk(file.ast.program, (node) => {
    if (node.type !== "VariableDeclarator" || node.id.type !== "Identifier" || node.id.name !== name) return;
    count++;
    found = node.init ?? undefined;
  });
  const init = count === 1 && found ? unwrap(found) : undefined;
  // Only an initializer that reads something: a literal default is not where the value comes from.
  return init && stringValue(init) === undefined ? init : undefined;
}

/** `x === "http"`, `"http" === x`, `case "http":` (with its switch's discriminant), `x !== "stdio"` is not taken. */
function httpComparisons(files: SourceFile[]): { file: SourceFile; subject: t.Node; value: string; node: t.Node }[] {
  const found: { file: SourceFile; subject: t.Node; value: string; node: t.Node }[] = [];
  for (const file of files) {
    walk(file.ast.program, (node) => {
      if (node.type === "BinaryExpression" && ["===", "==", "!==", "!="].includes(node.operator)) {
        const left = stringValue(node.left);
        const right = stringValue(node.right);
        const value = right ?? left;
        const subject = right !== undefined ? node.left : node.right;
        if (value && HTTP_VALUES.includes(value) && subject.type !== "PrivateName") found.push({ file, subject, value, node });
      }
      if (node.type === "SwitchStatement") {
        for (const c of node.cases) {
          const value = stringValue(c.test);
          if (value && HTTP_VALUES.includes(value)) found.push({ file, subject: node.discriminant, value, node: c });
        }
      }
    });
  }
  return found;
}

function where(file: SourceFile, node: t.Node): string {
  return `${file.rel}:${node.loc?.start.line ?? 0}`;
}

/**
 * The switch that makes the project serve Streamable HTTP, when its code
 * reads one; undefined when it serves HTTP as started (or add cannot tell).
 */
export function detectServeSwitch(files: SourceFile[]): ServeSwitch | undefined {
  const options = argvOptions(files);
  const env = envNames(files);
  const comparisons = httpComparisons(files).sort((a, b) => HTTP_VALUES.indexOf(a.value) - HTTP_VALUES.indexOf(b.value));
  for (const c of comparisons) {
    const subject = subjectOf(c.file, c.subject);
    if (!subject) continue;
    if ("env" in subject) {
      if (/TRANSPORT|MODE|SERVER_TYPE/i.test(subject.env))
        return { args: [], env: { [subject.env]: c.value }, from: where(c.file, c.node) };
      continue;
    }
    const key = normalize(subject.name);
    // An option of the command line named like the compared value's source: --transport, --transport-type.
    const option = [...options.keys()].find((name) => normalize(name) === key && TRANSPORT_OPTION.test(name));
    if (option) return { args: [`--${option}`, c.value], env: {}, from: where(c.file, c.node) };
    // A config field read from the environment: config.mcpTransportType <- MCP_TRANSPORT_TYPE.
    const variable = [...env.keys()].find((name) => normalize(name) === key || normalize(name) === `mcp${key}`);
    if (variable && /TRANSPORT|MODE/i.test(variable)) return { args: [], env: { [variable]: c.value }, from: where(c.file, c.node) };
    if (TRANSPORT_OPTION.test(subject.name)) {
      const named = [...options.keys()].find((name) => TRANSPORT_OPTION.test(name));
      if (named) return { args: [`--${named}`, c.value], env: {}, from: where(c.file, c.node) };
      const variables = [...env.keys()].filter((name) => /TRANSPORT/i.test(name));
      if (variables.length === 1) return { args: [], env: { [variables[0]!]: c.value }, from: where(c.file, c.node) };
    }
  }
  // A boolean variable: `if (process.env.ENABLE_STREAMABLE_HTTP_TRANSPORT)`, `process.env.HTTP_STREAMABLE_SERVER === "true"`.
  const toggle = envToggle(files);
  if (toggle) return toggle;
  // A boolean option: --http, --streamable-http.
  for (const flag of HTTP_FLAGS) {
    const hit = options.get(flag.slice(2));
    if (hit && !hit.value) return { args: [flag], env: {}, from: where(hit.file, hit.node) };
  }
  return undefined;
}

/** Where the port comes from when it is not PORT: an environment variable named for it, else a --port option. */
export function detectPortSwitch(files: SourceFile[]): PortSwitch {
  const names = envNames(files);
  const env = [...names.keys()].filter((name) => /^([A-Z0-9]+_)*(HTTP_|SERVER_|MCP_)PORT$/.test(name));
  if (env.length === 1) {
    const site = names.get(env[0]!)!;
    // `KEY: z.coerce.number().default(3010)` or `process.env.KEY || 3010`
    const code = site.file.code;
    const from = site.node.end ?? 0;
    const lineEnd = code.indexOf("\n", from);
    const text =
      site.node.type === "ObjectProperty" ? code.slice(site.node.start ?? 0, from) : code.slice(from, lineEnd === -1 ? undefined : lineEnd);
    const fallback = /\.default\(\s*(\d{2,5})\s*\)/.exec(text) ?? /^\s*\)?\s*(?:\|\||\?\?)\s*["']?(\d{2,5})\b/.exec(text);
    const value = fallback ? Number(fallback[1]) : undefined;
    return { env: env[0]!, ...(value && value < 65536 ? { fallback: value } : {}) };
  }
  const option = argvOptions(files).get("port");
  if (option) {
    const value = Number(option.fallback);
    return { arg: "--port", ...(Number.isInteger(value) && value > 0 && value < 65536 ? { fallback: value } : {}) };
  }
  return {};
}

/**
 * The start command with the switch added, unless its script already sets it:
 * npm passes arguments after `--`; pnpm, yarn and bun pass them as they are.
 */
export function withServeSwitch(
  command: StartCommand | undefined,
  serve: ServeSwitch | undefined,
  scripts: Record<string, string>,
): StartCommand | undefined {
  if (!command || !serve) return command;
  const script =
    command.file === "node" || command.file === process.execPath ? "" : (scripts[command.args[command.args.length - 1] ?? ""] ?? "");
  const envToSet = Object.fromEntries(Object.entries(serve.env).filter(([name]) => !new RegExp(`\\b${name}=`).test(script)));
  const args = serve.args.length > 0 && !script.includes(serve.args[0]!) && !command.args.includes(serve.args[0]!) ? serve.args : [];
  if (args.length === 0 && Object.keys(envToSet).length === 0) return command;
  const throughScript = command.file !== process.execPath && command.file !== "npx";
  const extra = args.length > 0 && throughScript && command.file === "npm" ? ["--", ...args] : args;
  const parts = command.display.split(" && ");
  const last = parts.pop() ?? "";
  const prefix = Object.entries(envToSet).map(([name, value]) => `${name}=${value}`);
  parts.push([...prefix, last, ...extra].join(" "));
  return {
    ...command,
    display: parts.join(" && "),
    args: [...command.args, ...extra],
    ...(Object.keys(envToSet).length > 0 ? { env: { ...command.env, ...envToSet } } : {}),
    selects: serve.from,
  };
}

/** HTTP servers of MCP libraries add has no glue for, called from code bundled into the build (`startHTTPServer` of mcp-proxy). */
const BUNDLED_HTTP: Record<string, string[]> = { "mcp-proxy": ["startHTTPServer", "startHTTPStreamServer"] };

/**
 * A Streamable HTTP server started through a library add cannot wire: a
 * FastMCP-style class bundled into the project's build serves HTTP with
 * mcp-proxy's `startHTTPServer`, which takes no middleware add can put in front.
 */
export function findBundledHttp(files: SourceFile[]): { file: string; line: number; what: string } | undefined {
  for (const file of files) {
    if (![...file.imports.values()].some((binding) => BUNDLED_HTTP[binding.source])) continue;
    let hit: { file: string; line: number; what: string } | undefined;
    walk(file.ast.program, (node) => {
      if (hit) return false;
      if (node.type !== "CallExpression" || node.callee.type !== "Identifier") return;
      const binding = file.imports.get(node.callee.name);
      if (binding && BUNDLED_HTTP[binding.source]?.includes(binding.imported))
        hit = { file: file.rel, line: node.loc?.start.line ?? 0, what: `${binding.imported} from ${binding.source}` };
    });
    if (hit) return hit;
  }
  return undefined;
}

/**
 * The start command as shown, with `--port <port>` when the server takes its
 * port from that option: the next steps then start it on the port they name
 * (MCP_SERVER_URL), whatever the option's own default. The self-check passes
 * its own port the same way (src/selfcheck.ts), so only the display changes.
 */
export function withPortShown(command: StartCommand | undefined, port: { fromEnv: boolean; fallback: number; arg?: string; env?: string }) {
  if (!command || port.fromEnv || port.env || !port.arg) return command;
  // `node build/index.js --port 1122`, taken from a script: the port the next steps name instead of the script's.
  const at = command.file === process.execPath ? command.args.indexOf(port.arg) : -1;
  if (at >= 0 && at + 1 < command.args.length) {
    const args = command.args.map((arg, i) => (i === at + 1 ? String(port.fallback) : arg));
    return { ...command, args, display: `node ${args.join(" ")}` };
  }
  const npm = command.file === "npm" && !command.args.includes("--");
  return { ...command, display: `${command.display}${npm ? " --" : ""} ${port.arg} ${port.fallback}` };
}

/**
 * A stdio-to-HTTP gateway (supergateway's shape): the command line names an
 * MCP server to run as a child process (`--stdio "<command>"`, a value
 * option) and the code spawns it. It has no MCP server of its own, and
 * which of its apps serves depends on its arguments.
 */
const CHILD_PROCESS = ["child_process", "node:child_process"];

export function findGateway(files: SourceFile[]): { file: string; line: number; option: string } | undefined {
  const option = argvOptions(files).get("stdio");
  if (!option?.value) return undefined;
  const spawns = files.some((file) => {
    if (![...file.imports.values()].some((binding) => CHILD_PROCESS.includes(binding.source))) return false;
    let found = false;
    walk(file.ast.program, (node) => {
      if (found) return false;
      if (node.type !== "CallExpression" || node.callee.type !== "Identifier") return;
      const binding = file.imports.get(node.callee.name);
      if (binding && CHILD_PROCESS.includes(binding.source) && /^(spawn|exec|execFile|fork)$/.test(binding.imported)) found = true;
    });
    return found;
  });
  return spawns ? { file: option.file.rel, line: option.node.loc?.start.line ?? 0, option: "--stdio" } : undefined;
}

const STREAMABLE_NAME = /STREAMABLE|HTTP_?STREAM/i;

/** A variable named for Streamable HTTP that switches it on: tested for truth, or compared with "true" / "1". */
function envToggle(files: SourceFile[]): ServeSwitch | undefined {
  for (const file of files) {
    if (!STREAMABLE_NAME.test(file.code)) continue;
    let found: ServeSwitch | undefined;
    walk(file.ast.program, (node, ancestors) => {
      if (found) return false;
      if ((node.type !== "MemberExpression" && node.type !== "OptionalMemberExpression") || memberPath(node.object) !== "process.env")
        return;
      const name = node.computed ? stringValue(node.property) : node.property.type === "Identifier" ? node.property.name : undefined;
      if (!name || !STREAMABLE_NAME.test(name)) return;
      const parent = ancestors[ancestors.length - 1];
      const compared =
        parent?.type === "BinaryExpression" && ["===", "=="].includes(parent.operator)
          ? stringValue(parent.left === node ? parent.right : parent.left)
          : undefined;
      const tested = (parent?.type === "IfStatement" || parent?.type === "ConditionalExpression") && parent.test === node;
      if (compared !== undefined ? ["true", "1"].includes(compared) : tested)
        found = { args: [], env: { [name]: compared ?? "true" }, from: where(file, node) };
    });
    if (found) return found;
  }
  return undefined;
}
