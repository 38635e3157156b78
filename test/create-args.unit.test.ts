/**
 * create reads a plain create's arguments with its own option table, without
 * commander (issue 21, point 9: commander was 39 of the 92 kB that create
 * parsed at every start). The table's parser must never disagree with
 * commander: on any arguments it either declines (and commander parses them,
 * errors included) or gives exactly the answers commander's program hands to
 * create. Differential: random arguments built from create's flags, valid and
 * not, each read by both.
 */
import { CommanderError } from "commander";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseWithTable } from "../src/cli/option-table.js";
import { buildProgram } from "../src/cli.js";
import { createFlagsFast } from "../src/commands/create.js";
import type { CreateFlags } from "../src/create/options.js";
import { FRAMEWORK_NAMES } from "../src/frameworks.js";

const argvOf = (args: string[]) => ["node", "create-mcp-auth", ...args];

/** What commander's program hands to create for `argv`: its answers, "usage error", or "another command". */
async function viaCommander(argv: string[]): Promise<CreateFlags | "usage error" | "another command"> {
  let flags: CreateFlags | undefined;
  const program = await buildProgram(
    () => {},
    argv,
    async (given) => {
      flags = given;
      return 0;
    },
  );
  let other = false;
  const neutralize = (cmd: typeof program) => {
    cmd.action(() => {
      other = true;
    });
    for (const sub of cmd.commands) neutralize(sub);
  };
  for (const cmd of program.commands) if (cmd.name() !== "create") neutralize(cmd);
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return "usage error";
    throw error;
  } finally {
    vi.restoreAllMocks();
  }
  if (other || !flags) return "another command";
  return flags;
}

/** Runs `body` with MCP_SERVER_URL as given (undefined: unset), as both parsers read it from process.env. */
async function withServerUrlEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.MCP_SERVER_URL;
  if (value === undefined) delete process.env.MCP_SERVER_URL;
  else process.env.MCP_SERVER_URL = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.MCP_SERVER_URL;
    else process.env.MCP_SERVER_URL = saved;
  }
}

const valueFlags: [string, string[]][] = [
  ["--language", ["typescript", "python", "cobol"]],
  ["--framework", [...FRAMEWORK_NAMES, "rails"]],
  ["-f", ["express", "fastapi", "Express"]],
  ["--scopes", ["todo:read,todo:write", "a b", ""]],
  ["-s", ["x:read"]],
  ["--server-url", ["https://mcp.example.com/mcp", "not a url"]],
  ["--port", ["3000", "0", "-1", "abc"]],
  ["--provider", ["scalekit", "oidc", "auth0"]],
  ["--env-url", ["https://acme.scalekit.dev"]],
  ["--resource-id", ["res_123"]],
  ["--client-id", ["skc_1"]],
  ["--issuer-url", ["https://tenant.example.com/"]],
  ["--audience", ["api://a", "b"]],
  ["--pm", ["npm", "pnpm", "yarn", "bun", "deno"]],
];
const booleanFlags = ["-y", "--yes", "--no-install", "--no-git", "--no-check", "--no-ci", "--force", "--dry-run", "--json", "--verbose"];
/** Arguments neither parser should read as create's: unknown, help, version, groups, `--`, `=` on a boolean flag... */
const oddArgs = [
  "--bogus",
  "--install",
  "--no-yes",
  "--yes=1",
  "--no-git=",
  "-yf",
  "-fexpress",
  "-f=express",
  "--",
  "-",
  "-5",
  "-h",
  "--help",
  "-v",
  "--version",
  "--client-secret",
  "--=x",
];
const operands = ["my-server", "notes", "", "a b", "create", "add", "check", "issuer", "help", "token"];
const anyValue = fc.constantFrom("x", "", "--yes", "-f", "create", "add", "https://a.example.com/mcp", "=", "express", "--help");

/** One option with its value as one or two arguments, from the table's flags. */
const valueOption = (values: (flag: string, choices: string[]) => fc.Arbitrary<string>) =>
  fc
    .constantFrom(...valueFlags)
    .chain(([flag, choices]) =>
      fc
        .tuple(fc.constant(flag), values(flag, choices), fc.boolean())
        .map(([f, v, joined]) => (joined && f.startsWith("--") ? [`${f}=${v}`] : [f, v])),
    );

/** Anything: create's flags with good and bad values, operands, and what the parser must decline. */
const anyArgs = fc
  .array(
    fc.oneof(
      valueOption((_flag, choices) => fc.oneof(fc.constantFrom(...choices), anyValue)),
      fc.constantFrom(...booleanFlags).map((f) => [f]),
      fc.constantFrom(...operands).map((o) => [o]),
      fc.constantFrom(...oddArgs).map((o) => [o]),
      // a value flag at the end, without its value
      fc.constantFrom(...valueFlags.map(([f]) => f)).map((f) => [f]),
    ),
    { maxLength: 7 },
  )
  .map((parts) => parts.flat());

/** A plain create as people type it: one directory, create's flags with allowed values, `create` in front or not. */
const plainCreateArgs = fc
  .tuple(
    fc.boolean(),
    fc.option(fc.constantFrom("my-server", "notes", "apps/notes"), { nil: undefined }),
    fc.array(
      fc.oneof(
        valueOption((_flag, choices) =>
          fc.constantFrom(...choices.filter((c) => !["cobol", "rails", "Express", "auth0", "deno"].includes(c))),
        ),
        fc.constantFrom(...booleanFlags).map((f) => [f]),
      ),
      { maxLength: 6 },
    ),
    fc.nat(6),
  )
  .map(([subcommand, dir, options, at]) => {
    const args = options.flat();
    if (dir !== undefined) {
      // the directory between two options, never between a flag and its value
      const cut = Math.min(at, options.length);
      args.splice(options.slice(0, cut).flat().length, 0, dir);
    }
    return subcommand ? ["create", ...args] : args;
  });

const serverUrlEnv = fc.constantFrom(undefined, "", "https://env.example.com/mcp");

describe("create's arguments without commander", () => {
  afterEach(() => vi.restoreAllMocks());

  it("on any arguments, declines or gives exactly what commander gives create", async () => {
    let read = 0;
    await fc.assert(
      fc.asyncProperty(fc.tuple(fc.boolean(), anyArgs), serverUrlEnv, async ([subcommand, args], env) =>
        withServerUrlEnv(env, async () => {
          const argv = argvOf(subcommand ? ["create", ...args] : args);
          const fast = createFlagsFast(argv, process.env);
          if (fast === undefined) return;
          read++;
          expect(await viaCommander(argv)).toEqual(fast);
        }),
      ),
      { numRuns: 1500 },
    );
    // The property says something only if the parser reads a fair share of them.
    expect(read).toBeGreaterThan(100);
  }, 120_000);

  it("reads every plain create (one directory, create's flags with allowed values), the same as commander", async () => {
    await fc.assert(
      fc.asyncProperty(plainCreateArgs, serverUrlEnv, async (args, env) =>
        withServerUrlEnv(env, async () => {
          const argv = argvOf(args);
          const fast = createFlagsFast(argv, process.env);
          expect(fast, args.join(" ")).toBeDefined();
          expect(await viaCommander(argv)).toEqual(fast);
        }),
      ),
      { numRuns: 500 },
    );
  }, 120_000);

  it("reads the bench's and the README's command lines", async () => {
    const lines = [
      ["x", "--yes", "--no-install", "--no-git", "--no-check"],
      ["my-server", "--framework", "express", "--scopes", "todo:read,todo:write", "--yes"],
      ["my-server", "--provider", "oidc", "--issuer-url", "https://tenant.example.com/", "--yes"],
      ["create", "my-server", "-f", "hono", "--audience", "a", "--audience", "b", "--provider=oidc", "--yes", "--json"],
    ];
    for (const args of lines) {
      const fast = createFlagsFast(argvOf(args), {});
      expect(fast, args.join(" ")).toBeDefined();
      await withServerUrlEnv(undefined, async () => expect(await viaCommander(argvOf(args))).toEqual(fast));
    }
    expect(createFlagsFast(argvOf(lines[0]!), {})).toEqual({
      dir: "x",
      framework: undefined,
      language: undefined,
      scopes: undefined,
      serverUrl: undefined,
      port: undefined,
      provider: undefined,
      settings: {},
      yes: true,
      install: false,
      git: false,
      check: false,
      ci: true,
      pm: undefined,
      force: false,
      dryRun: false,
      json: false,
      verbose: false,
    });
    expect(createFlagsFast(argvOf(lines[3]!), {})?.settings).toEqual({ audience: ["a", "b"] });
  });

  it("leaves help, version, other commands, unknown flags and bad values to commander", () => {
    for (const args of [
      ["--help"],
      ["x", "-h"],
      ["x", "--version"],
      ["add", "."],
      ["check", "http://localhost:3000/mcp"],
      ["issuer"],
      ["help", "create"],
      ["--yes", "add"],
      ["x", "y"],
      ["x", "--bogus"],
      ["x", "--framework", "rails"],
      ["x", "--framework"],
      ["x", "--yes=1"],
      ["x", "-yf", "express"],
      ["x", "--", "y"],
    ])
      expect(createFlagsFast(argvOf(args), {}), args.join(" ")).toBeUndefined();
  });

  it("takes a flag's value from the environment only when the flag is absent", () => {
    const rows = [{ flags: "--server-url <url>", description: "", env: "MCP_SERVER_URL" }];
    expect(parseWithTable(rows, [], { MCP_SERVER_URL: "https://e/mcp" })?.values).toEqual({ serverUrl: "https://e/mcp" });
    expect(parseWithTable(rows, ["--server-url", "https://f/mcp"], { MCP_SERVER_URL: "https://e/mcp" })?.values).toEqual({
      serverUrl: "https://f/mcp",
    });
    expect(parseWithTable(rows, [], {})?.values).toEqual({});
  });

  it("refuses a row whose flags it cannot read", () => {
    expect(() => parseWithTable([{ flags: "--port [n]", description: "" }], [], {})).toThrow(/cannot read the flags/);
  });
});
