import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli, tempDir } from "./helpers/cli.js";

/**
 * Issue 12.6: every bad value is exit 2 with a message, never an unexpected
 * error; every accepted value lands in the project exactly. Each value goes
 * through the built CLI's flags (or, for the secret, its environment
 * variable), as a user would pass it.
 */

const QUIET = ["--yes", "--no-install", "--no-git", "--no-check"];

// biome-ignore lint/suspicious/noTemplateCurlyInString: shell and template syntax, meant literally
const HOME_VARIABLE = "${HOME}";

/** Hostile fragments: quotes, template syntax, comment ends, control characters, unicode, length. */
// biome-ignore format: a table of fragments reads best packed
const FRAGMENTS = [
  "'", '"', '`', `'"\``, HOME_VARIABLE, '$(id)', '`id`', '{{x}}', '{{{x}}}', '}}', '*/', '/*', '<!--', '</script>', '\\', '\\n', 'q\'w\\ne',
  'a\nb', 'a\rb', '\t', '\x1b[2J', '\x07', '\x7f', '\u2028', '\u2029', '\u202e', 'é', '😀', 'ＡＢ', '#', '#x', '=', ';rm -rf ~', '|', '&&',
  ' ', ' lead', 'trail ', '%00', '%2e%2e', '..', '../..', '-x', '--yes', '__proto__', 'constructor', 'x'.repeat(3000),
];

function urlsFrom(base: string): string[] {
  return [
    ...FRAGMENTS.map((f) => `${base}/${f}`),
    ...FRAGMENTS.slice(0, 12).map((f) => `https://a${f}b.example.com/mcp`),
    `${base}?a=1`,
    `${base}?`,
    `${base}#frag`,
    `${base}#`,
    "https://user:pass@mcp.example.com/mcp",
    "https://user@mcp.example.com/mcp",
    "http://[::1]:3000/mcp",
    "http://[::1]/mcp",
    "https://[2001:db8::1]/mcp",
    "http://[::ffff:127.0.0.1]:3000/mcp",
    "http://localhost:0/mcp",
    "http://localhost:65536/mcp",
    "https://mcp.example.com:443/mcp",
    "https://MCP.example.com/mcp",
    "https://mcp.example.com/a/../mcp",
    "https://mcp.example.com/./mcp",
    "https://mcp.example.com//mcp",
    "https://exämple.com/mcp",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,x",
    "mcp.example.com/mcp",
    "//mcp.example.com/mcp",
    "http://mcp.example.com/mcp",
    "https://",
    "",
    " https://mcp.example.com/mcp",
    `https://mcp.example.com/${"a".repeat(5000)}`,
    "https://mcp.example.com/mcp/",
    "https://mcp.example.com",
  ];
}

interface FieldClass {
  name: string;
  values: string[];
  /** CLI arguments (and environment) that set the value. */
  args(value: string): { args: string[]; env?: Record<string, string> };
  /** The value as the project must hold it, read back from the written project. */
  readBack(root: string, expected: string | string[]): Promise<string | string[] | undefined>;
  expected(value: string): string | string[];
  /** Values that must be refused (exit 2), whatever the rest. */
  mustRefuse?: (value: string) => boolean;
  /** Values that must be accepted. */
  mustAccept?: string[];
}

/** URLs a server cannot use as they are: a query (the server refuses to start), a fragment, credentials, control characters. */
const unusableUrl = (v: string) => /[?#\s\x00-\x1f\x7f]/.test(v) || /\/\/[^/]*@/.test(v);

async function envOf(root: string): Promise<Record<string, string>> {
  return parseEnv(await readFile(path.join(root, ".env"), "utf8")) as Record<string, string>;
}

/** Every string literal of a TypeScript file, read with the compiler; a syntax error fails. */
async function tsStrings(file: string): Promise<string[]> {
  const source = ts.createSourceFile(file, await readFile(file, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))).toEqual([]);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const trimSlash = (v: string) => (v.endsWith("/") ? v.slice(0, -1) : v);
const SCALEKIT = ["--env-url", "https://acme.scalekit.dev", "--client-id", "skc_1", "--resource-id", "res_1"];

const CLASSES: FieldClass[] = [
  {
    name: "--server-url",
    values: urlsFrom("https://mcp.example.com/mcp"),
    args: (v) => ({ args: ["--server-url", v] }),
    readBack: async (root) => (await envOf(root)).MCP_SERVER_URL,
    expected: trimSlash,
    mustRefuse: unusableUrl,
    // ' $ * stay as they are in a URL path (" and ` do not: refused with the percent-encoded form to use).
    mustAccept: [
      "http://[::1]:3000/mcp",
      "https://[2001:db8::1]/mcp",
      "https://mcp.example.com/mcp/",
      "https://mcp.example.com/a'b$c*d/mcp",
    ],
  },
  {
    name: "--env-url",
    values: urlsFrom("https://acme.scalekit.dev"),
    args: (v) => ({ args: ["--env-url", v, "--resource-id", "res_1"] }),
    readBack: async (root) => (await envOf(root)).SCALEKIT_ENVIRONMENT_URL,
    expected: trimSlash,
    mustRefuse: unusableUrl,
    mustAccept: ["https://acme.scalekit.dev/", "http://[::1]:4444"],
  },
  {
    name: "--resource-id",
    values: [
      ...FRAGMENTS.map((f) => `res_${f}`),
      ...urlsFrom("https://mcp.example.com/mcp").slice(0, 20),
      "res_",
      "res_abc-DEF_123",
      "RES_1",
    ],
    args: (v) => ({ args: ["--env-url", "https://acme.scalekit.dev", "--resource-id", v] }),
    readBack: async (root) => (await envOf(root)).SCALEKIT_RESOURCE_ID,
    expected: (v) => v,
  },
  {
    name: "--client-id",
    values: [...FRAGMENTS.map((f) => `skc_${f}`), ...FRAGMENTS, `a'b"c\`d`, `'a"b\`c`, "a#b'\"`"],
    args: (v) => ({ args: [...SCALEKIT.slice(0, 2), ...SCALEKIT.slice(4), "--client-id", v] }),
    readBack: async (root) => (await envOf(root)).SCALEKIT_CLIENT_ID,
    expected: (v) => v,
  },
  {
    name: "SCALEKIT_CLIENT_SECRET",
    values: [...FRAGMENTS.map((f) => `s3cret${f}`), ...FRAGMENTS.filter((f) => f !== ""), `q'w\\ne`, `a'b"c\`d`, `'a"b\`c\\n`, " a'\"`"],
    args: (v) => ({ args: SCALEKIT, env: { SCALEKIT_CLIENT_SECRET: v } }),
    readBack: async (root) => (await envOf(root)).SCALEKIT_CLIENT_SECRET,
    expected: (v) => v,
  },
  {
    name: "--scopes",
    values: [
      ...FRAGMENTS.map((f) => `todo:${f}`),
      ...FRAGMENTS,
      "constructor,toString,hasOwnProperty,__proto__,valueOf",
      "a$b{c}*/d'e`f",
      "a,,b",
      " , ",
    ],
    args: (v) => ({ args: ["--scopes", v] }),
    // Each scope is a string literal of the scope map (read by the compiler).
    readBack: async (root, expected) => {
      const literals = new Set(await tsStrings(path.join(root, "src", "auth", "tool-scopes.ts")));
      return (expected as string[]).filter((s) => literals.has(s));
    },
    expected: (v) => v.split(/[\s,]+/).filter(Boolean),
  },
  {
    name: "--port",
    values: [
      "0",
      "65536",
      "-1",
      "1e3",
      "0x10",
      "3000.5",
      " 3000",
      "3000 ",
      "",
      "99999999999999999999",
      "१२३",
      "3000;id",
      ...FRAGMENTS,
      "1",
      "65535",
      "03000",
    ],
    args: (v) => ({ args: ["--port", v] }),
    // The plain server's port: its .env.example (and the default of src/index.ts).
    readBack: async (root) => (parseEnv(await readFile(path.join(root, ".env.example"), "utf8")) as Record<string, string>).PORT,
    expected: (v) => String(Number(v)),
  },
  {
    name: "[dir]",
    values: [
      ...FRAGMENTS.filter((f) => !f.startsWith("-")),
      "my-server",
      "UPPER",
      "a b",
      "node_modules",
      "favicon.ico",
      ".hidden",
      "_x",
      "x".repeat(215),
      "~tilde",
      "a.b_c~d",
    ],
    args: (v) => ({ args: [v] }),
    readBack: async (root) => (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { name: string }).name,
    expected: (v) => path.basename(v),
  },
  {
    name: "--issuer-url",
    values: urlsFrom("https://tenant.example.com"),
    args: (v) => ({ args: ["--provider", "oidc", "--issuer-url", v] }),
    readBack: async (root) => (await envOf(root)).OIDC_ISSUER_URL,
    expected: (v) => v,
    mustRefuse: unusableUrl,
    mustAccept: ["https://tenant.example.com/", "https://tenant.example.com"],
  },
  {
    name: "--audience",
    values: [...FRAGMENTS.map((f) => `api://x${f}`), ...FRAGMENTS, "a,b", "https://mcp.example.com/mcp"],
    args: (v) => ({ args: ["--provider", "oidc", "--issuer-url", "https://tenant.example.com/", "--audience", v] }),
    readBack: async (root) => (await envOf(root)).OIDC_AUDIENCE,
    expected: (v) => v,
  },
];

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-hostile-");
});
afterAll(() => work.cleanup());

/** Runs `tasks` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await task(items[i]!, i);
      }
    }),
  );
}

describe("hostile values through flags", () => {
  for (const field of CLASSES) {
    it(`${field.name}: ${field.values.length} values, each exit 2 with a message or held exactly`, async () => {
      expect(field.values.length).toBeGreaterThanOrEqual(40);
      const cwd = path.join(work.dir, field.name.replace(/\W/g, ""));
      const { mkdir } = await import("node:fs/promises");
      await mkdir(cwd, { recursive: true });
      const problems: string[] = [];
      let accepted = 0;
      await pool(field.values, 3, async (value, i) => {
        const dir = field.name === "[dir]" ? value : `p${i}`;
        const { args, env } = field.args(value);
        const argv = field.name === "[dir]" ? [...args, ...QUIET] : [dir, ...args, ...QUIET];
        const result = await runCli(argv, { cwd, env: cleanEnv(env) });
        const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
        if (/unexpected error|RangeError|TypeError|\n\s+at /.test(result.stderr)) {
          problems.push(`${shown}: unexpected error: ${result.stderr.slice(0, 300)}`);
          return;
        }
        if (field.mustAccept?.includes(value) && result.exitCode !== 0)
          problems.push(`${shown}: must be accepted, got exit ${result.exitCode}: ${result.stderr.slice(0, 200)}`);
        if (field.mustRefuse?.(value) && result.exitCode !== 2) problems.push(`${shown}: must be refused, got exit ${result.exitCode}`);
        if (result.exitCode === 2) {
          if (!/\S/.test(result.stderr)) problems.push(`${shown}: exit 2 without a message`);
          else if (field.name !== "[dir]" && !result.stderr.includes(field.name))
            problems.push(`${shown}: the message does not name ${field.name}: ${result.stderr.slice(0, 200)}`);
          const root = path.resolve(cwd, dir);
          if (field.name !== "[dir]" && existsSync(root)) problems.push(`${shown}: refused but wrote ${root}`);
          return;
        }
        if (result.exitCode !== 0) {
          problems.push(`${shown}: exit ${result.exitCode}: ${result.stderr.slice(0, 300)}`);
          return;
        }
        accepted++;
        const root = path.resolve(cwd, dir);
        const expected = field.expected(value);
        const held = await field.readBack(root, expected).catch((error: Error) => `(unreadable: ${error.message})`);
        if (JSON.stringify(held) !== JSON.stringify(expected))
          problems.push(`${shown}: accepted, but the project holds ${JSON.stringify(held)?.slice(0, 200)}`);
      });
      expect(problems).toEqual([]);
      // Each class has values that must be accepted; a validator refusing everything would pass the loop.
      expect(accepted).toBeGreaterThan(0);
      await readdir(cwd);
    }, 300_000);
  }
});
