import { execFileSync } from "node:child_process";
import { parseEnv } from "node:util";
import fc from "fast-check";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { CliError } from "../src/core/errors.js";
import { connectLines } from "../src/create/finish.js";
import { type CreateFlags, resolveOptions } from "../src/create/options.js";
import { renderCreatedProject } from "../src/create/project.js";
import type { ProjectFile } from "../src/create/render.js";
import { SCOPE_TOKEN } from "../src/oauth-syntax.js";

/**
 * Issue 12.4: random values from the full alphabet of each field, rendered in
 * memory, read back through what the project really uses: Node's .env parser
 * (process.loadEnvFile's), the TypeScript compiler for string literals,
 * JSON.parse, and `sh` for README and package.json command lines. Each value
 * is identical, or refused at input as a usage error (exit 2).
 */

const printable = [...Array(94).keys()].map((i) => String.fromCharCode(0x21 + i));
const chars = (list: string[]) => fc.constantFrom(...list);
const word = (alphabet: string[], min: number, max: number) => fc.string({ unit: chars(alphabet), minLength: min, maxLength: max });

const scopeChars = printable.filter((c) => SCOPE_TOKEN.test(c) && c !== ",");
const nameChars = [..."abcdefghijklmnopqrstuvwxyz0123456789-._~"];
/** Whatever a user might type in a path segment: printable ASCII, a space, some unicode. */
const segmentChars = [...printable.filter((c) => c !== "/" && c !== "?" && c !== "#"), " ", "é", "\u2028", "%"];

/** Mostly values a user means (from the field's whole valid alphabet), sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>, wild: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: wild });

/** Characters a URL path keeps as they are (WHATWG: not in the path percent-encode set), and %XX escapes. */
const pathChars = printable.filter((c) => !` "#<>?\`{}/\\%`.includes(c));
const pathUnit = fc.oneof({ weight: 9, arbitrary: chars(pathChars) }, { weight: 1, arbitrary: fc.constantFrom("%41", "%2F", "%e2%80%a8") });
const segment = fc.string({ unit: pathUnit, minLength: 1, maxLength: 8 }).filter((s) => s !== "." && s !== "..");
const label = word([..."abcdefghijklmnopqrstuvwxyz0123456789"], 1, 10);
const goodUrl = (schemes: string[]) =>
  fc
    .record({
      scheme: fc.constantFrom(...schemes),
      host: fc.oneof(
        fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join(".")}.example.com`),
        fc.constantFrom("localhost", "127.0.0.1", "[::1]"),
      ),
      port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      path: fc.array(segment, { maxLength: 3 }),
      slash: fc.boolean(),
    })
    .map(
      ({ scheme, host: h, port, path, slash }) =>
        `${scheme}://${h}${port === undefined ? "" : `:${port}`}${path.length ? `/${path.join("/")}` : ""}${slash ? "/" : ""}`,
    );
const wildUrl = fc
  .record({
    scheme: fc.constantFrom("https", "http", "ftp", "javascript"),
    host: fc.oneof(label, fc.constantFrom("MCP.Example.com", "exämple.com", "user:pw@a.example.com", "[::1", "a b")),
    port: fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
    path: fc.array(word(segmentChars, 0, 8), { maxLength: 3 }),
    tail: fc.constantFrom("", "/", "?q=1", "?", "#f", "/..", "/./x"),
  })
  .map(
    ({ scheme, host: h, port, path, tail }) =>
      `${scheme}://${h}${port === undefined ? "" : `:${port}`}${path.length ? `/${path.join("/")}` : ""}${tail}`,
  );
const url = mostly(goodUrl(["https", "http"]), wildUrl);

const field = {
  dir: mostly(
    fc.tuple(chars([..."abcdefghijklmnopqrstuvwxyz0123456789-~"]), word(nameChars, 0, 30)).map(([a, b]) => a + b),
    word([...nameChars, "A", " ", "'", "/"], 1, 12),
  ),
  scopes: fc.uniqueArray(word(scopeChars, 1, 20), { minLength: 1, maxLength: 5 }),
  port: mostly(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 70000 })),
  serverUrl: url,
  envUrl: url,
  issuerUrl: url,
  clientId: mostly(fc.oneof(word(printable, 1, 30), word([..."'\"`#\\na"], 1, 10)), fc.string({ maxLength: 5 })),
  resourceId: mostly(
    word([..."abcdefghijklmnopqrstuvwxyzABC0123456789_-"], 1, 12).map((s) => `res_${s}`),
    fc.oneof(url, word(printable, 1, 12)),
  ),
  // What Node's .env parser treats specially, often: quotes, backslash-n, #, spaces.
  secret: fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom("'", '"', "`", "\\n", "\\", "#", " ", "a", "$"), maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 10 }) },
  ),
  audience: mostly(
    fc.array(
      word(
        printable.filter((c) => c !== ","),
        1,
        20,
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.array(word([...printable, " "], 1, 5), { minLength: 1, maxLength: 2 }),
  ),
  provider: fc.constantFrom("scalekit", "scalekit", "oidc", "local"),
};

function flagsFor(v: { [K in keyof typeof field]: unknown }): { flags: CreateFlags; env: Record<string, string> } {
  const base: CreateFlags = {
    dir: v.dir as string,
    scopes: (v.scopes as string[]).join(","),
    port: String(v.port),
    serverUrl: v.serverUrl as string,
    yes: true,
  };
  if (v.provider === "scalekit") {
    return {
      flags: { ...base, settings: { envUrl: v.envUrl as string, clientId: v.clientId as string, resourceId: v.resourceId as string } },
      env: { SCALEKIT_CLIENT_SECRET: v.secret as string },
    };
  }
  if (v.provider === "oidc")
    return { flags: { ...base, settings: { issuerUrl: v.issuerUrl as string, audience: v.audience as string[] } }, env: {} };
  return { flags: base, env: {} };
}

const text = (files: ProjectFile[], name: string) => {
  const file = files.find((f) => f.path === name);
  if (!file) throw new Error(`${name} not rendered`);
  return file.content.toString("utf8");
};

/** Every string literal of a TypeScript file, read by the compiler; a syntax error fails. */
function tsStrings(name: string, source: string): string[] {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  expect(diagnostics.map((d) => `${name}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)).toEqual([]);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** The words `sh` makes of each command line (one sh process for all). */
function shWords(lines: string[]): string[][] {
  if (lines.length === 0) return [];
  const script = lines.map((line) => `set -- ${line}\nprintf '%s\\0' "$@"; printf '\\1'`).join("\n");
  const out = execFileSync("sh", ["-c", script], { encoding: "utf8" });
  return out
    .split("\x01")
    .slice(0, lines.length)
    .map((chunk) => chunk.split("\0").slice(0, -1));
}

/** Fenced blocks of a Markdown file, by language. */
function fenced(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^[ \t]*```(\w*)\n([\s\S]*?)^[ \t]*```/gm)].filter((m) => m[1] === language).map((m) => m[2]!);
}

describe("values round-trip exactly through the rendered project", () => {
  it("every field, from its whole alphabet: identical where the project reads it, or exit 2", async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.record(field), async (v) => {
        const { flags, env } = flagsFor(v);
        let options: ReturnType<typeof resolveOptions>;
        try {
          options = resolveOptions(flags, env, "/tmp/cma-roundtrip");
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
          expect((error as CliError).exitCode).toBe(2);
          refused++;
          return;
        }
        accepted++;
        const files = await renderCreatedProject(options);
        const serverUrl = options.serverUrl;
        expect(serverUrl).toBe((v.serverUrl as string).replace(/\/$/, ""));

        // .env and .env.example, with Node's parser
        const dotenv = parseEnv(text(files, ".env")) as Record<string, string>;
        const example = parseEnv(text(files, ".env.example")) as Record<string, string>;
        expect(dotenv.MCP_SERVER_URL).toBe(serverUrl);
        expect(example.MCP_SERVER_URL).toBe(serverUrl);
        expect(example.PORT).toBe(String(v.port));
        if (v.provider === "scalekit") {
          expect(dotenv.SCALEKIT_ENVIRONMENT_URL).toBe((v.envUrl as string).replace(/\/$/, ""));
          expect(dotenv.SCALEKIT_CLIENT_ID).toBe(v.clientId);
          expect(dotenv.SCALEKIT_RESOURCE_ID).toBe(v.resourceId);
          expect(dotenv.SCALEKIT_CLIENT_SECRET).toBe((v.secret as string) === "" ? undefined : v.secret);
        } else if (v.provider === "oidc") {
          expect(dotenv.OIDC_ISSUER_URL).toBe(v.issuerUrl);
          expect(dotenv.OIDC_AUDIENCE?.split(",")).toEqual(v.audience);
        }

        // package.json, with JSON.parse; its scripts, with sh
        const pkg = JSON.parse(text(files, "package.json")) as { name: string; scripts: Record<string, string> };
        expect(pkg.name).toBe(options.packageName);
        const [issuerWords] = shWords([pkg.scripts.issuer!]);
        expect(issuerWords![issuerWords!.indexOf("--scopes") + 1]!.split(",")).toEqual(v.scopes);

        // TypeScript, with the compiler: every file parses; the scopes and the name are literals of the scope map
        for (const file of files.filter((f) => f.path.endsWith(".ts"))) tsStrings(file.path, file.content.toString("utf8"));
        const literals = new Set(tsStrings("src/auth/tool-scopes.ts", text(files, "src/auth/tool-scopes.ts")));
        for (const scope of v.scopes as string[]) expect(literals).toContain(scope);
        expect(literals).toContain(options.packageName);

        // AUTH.md (how to run and connect the secured server): shell words in sh blocks, JSON in json blocks
        const readme = text(files, "AUTH.md");
        const lines = fenced(readme, "sh")
          .flatMap((block) => block.split("\n"))
          .filter((l) => l.trim() && !l.trim().startsWith("#"));
        const words = shWords(lines).flat();
        expect(words).toContain(serverUrl);
        expect(words).toContain(options.packageName);
        for (const block of fenced(readme, "json")) {
          const doc = JSON.parse(block) as Record<string, Record<string, { url: string }>>;
          const servers = doc.mcpServers ?? doc.servers!;
          expect(servers[options.packageName]!.url).toBe(serverUrl);
        }

        // The final screen's connect commands, with sh and JSON.parse
        const [claude, vscode1, vscode2, , cursor] = connectLines(options.packageName, serverUrl);
        const [claudeWords, vscodeWords] = shWords([claude!, `${vscode1}\n${vscode2}`]);
        expect(claudeWords!.slice(-2)).toEqual([options.packageName, serverUrl]);
        expect(vscodeWords!.slice(0, 2)).toEqual(["code", "--add-mcp"]);
        expect(JSON.parse(vscodeWords![2]!)).toEqual({ name: options.packageName, type: "http", url: serverUrl });
        expect(JSON.parse(cursor!)).toEqual({ mcpServers: { [options.packageName]: { url: serverUrl } } });
      }),
      // Each accepted run renders the project as create does (the plain template, then add's plan on a
      // copy of it in a temporary folder): about 0.5-1.5 s here, so fewer runs than the 250 of the
      // in-memory renderer, with a longer limit.
      { numRuns: 100 },
    );
    // Both branches must be exercised, or the property proves little.
    expect(accepted).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(15);
  }, 600_000);
});
