/** `create-mcp-auth add [dir]`: secure an existing MCP server project. Its flags, help and exit codes; the flow is src/add/. */
import { type Command, Option } from "commander";
import { addProviderOptions, packageManagerOption, providerFlags, secretVariables, stringValue } from "../core/flags.js";
import { frameworksOf } from "../frameworks.js";

export function registerAdd(program: Command, setExit: (code: number) => void): Command {
  const add = program
    .command("add")
    .description("add OAuth 2.1 authorization to an existing MCP server project (Express, Fastify, Hono, fastmcp)")
    .argument("[dir]", "the project folder (default: the current folder)")
    .addOption(
      new Option("-f, --framework <name>", "the web framework, when add cannot tell").choices(
        frameworksOf("typescript").map((f) => f.name),
      ),
    )
    .option("--entry <file>", "the file that creates the app, when add cannot tell")
    .option("--endpoint <path>", "path of the MCP endpoint, when add cannot tell (e.g. /mcp)");
  addProviderOptions(add);
  return add
    .option("-s, --scopes <list>", "scopes per tool: tool=scope,tool=scope (tools not listed need only a valid token)")
    .addOption(new Option("--server-url <url>", "public URL of the MCP endpoint (written to .env)").env("MCP_SERVER_URL"))
    .addOption(
      new Option("--existing-auth <choice>", "auth already on the MCP route (a bearer check, passport...): keep it or replace it").choices([
        "keep",
        "replace",
      ]),
    )
    .option("-y, --yes", "never prompt: write without asking; tools without --scopes need only a valid token")
    .option("--dry-run", "print the diff of every change and write nothing")
    .option("--diff", "print the full diff before writing (by default: a summary, with the lines changed in your own files)")
    .option("--steps", "run the project's own steps before and after (the default for TypeScript; Python: only when given)")
    .option(
      "--no-steps",
      "do not run the project's own build, typecheck, lint and test scripts before writing and after install (the before/after table)",
    )
    .option("--no-install", "skip installing dependencies")
    .option("--no-check", "skip the self-check after install")
    .addOption(packageManagerOption("package manager (default: from the lockfile)"))
    .option("--json", "print one JSON document on stdout (human text goes to stderr)")
    .option("--verbose", "on an unexpected error (a bug), print its stack trace")
    .addHelpText(
      "after",
      `
A client secret is never a flag: set it in its variable (${secretVariables().join(", ")}) or answer the masked prompt.
Without provider values, the variables go to .env.example only, and the self-check runs
against a local issuer. Undo with git checkout (add lists what it writes).

Exit code: 0 when secured (or nothing to change), 1 when the self-check fails or the wiring is left to you,
2 on bad usage or a project add cannot secure (nothing written), 3 when the environment fails, 130 when cancelled.

Examples:
  $ npx create-mcp-auth add --dry-run
  $ npx create-mcp-auth add ./my-server --scopes add_note=notes:write,list_notes=notes:read --yes
  $ SCALEKIT_CLIENT_SECRET=... npx create-mcp-auth add . --env-url https://acme.scalekit.dev \\
      --client-id skc_123 --resource-id res_123 --server-url https://mcp.example.com/mcp --yes --json`,
    )
    .exitOverride()
    .action(async (dir: string | undefined, opts: Record<string, unknown>) => {
      // add's own chunk (the parser and magic-string come with it): create never loads it.
      const { runAdd } = await import("../add/index.js");
      const str = (key: string) => stringValue(opts, key);
      setExit(
        await runAdd({
          dir,
          framework: str("framework"),
          entry: str("entry"),
          endpoint: str("endpoint"),
          provider: str("provider"),
          scopes: str("scopes"),
          serverUrl: str("serverUrl"),
          existingAuth: str("existingAuth"),
          settings: providerFlags(opts),
          pm: str("pm"),
          yes: Boolean(opts.yes),
          dryRun: Boolean(opts.dryRun),
          diff: Boolean(opts.diff),
          // undefined when neither --steps nor --no-steps is given: each language has its default.
          steps: typeof opts.steps === "boolean" ? opts.steps : undefined,
          install: opts.install !== false,
          check: opts.check !== false,
          json: Boolean(opts.json),
        }),
      );
    });
}
