/**
 * `create-mcp-auth [create] [dir]`: scaffold a new MCP server with auth (the
 * default command). Its flags, help and exit codes; the flow is src/create/.
 *
 * Its options are one table (CREATE_OPTIONS). commander's options are built
 * from it for help, the other commands and every usage error; when the
 * arguments are a plain create (`create-mcp-auth my-server --yes ...`), the
 * same table reads them without loading commander at all (createFlagsFast):
 * create is the command that must start fast.
 */
import type { Command } from "commander";
import {
  type OptionRow,
  parseWithTable,
  providerFlags,
  providerOptionRows,
  secretVariables,
  stringValue,
  toCommanderOption,
} from "../cli/option-table.js";
import { PACKAGE_MANAGERS } from "../core/package-managers.js";
// create is the default command and the one that must start fast: bundled into
// the entry chunk rather than loaded as one more file.
import { runCreate } from "../create/index.js";
import type { CreateFlags } from "../create/options.js";
import { FRAMEWORK_NAMES, LANGUAGES } from "../frameworks.js";

/** create's options, in the order of its help. */
function createOptionRows(): OptionRow[] {
  return [
    {
      flags: "--language <name>",
      description: "language of the project (default: typescript; -f fastapi alone means python)",
      choices: LANGUAGES.map((l) => l.name),
    },
    { flags: "-f, --framework <name>", description: "web framework (python: fastmcp, fastapi)", choices: FRAMEWORK_NAMES },
    { flags: "-s, --scopes <list>", description: "OAuth scopes, comma or space separated (default: todo:read,todo:write)" },
    {
      flags: "--server-url <url>",
      description: "public URL of the MCP endpoint (default: http://localhost:<port>/mcp)",
      env: "MCP_SERVER_URL",
    },
    { flags: "--port <n>", description: "listen port of the generated server (default: 3000)" },
    ...providerOptionRows(),
    { flags: "-y, --yes", description: "never prompt; take defaults for anything not given (local mode without provider settings)" },
    { flags: "--no-install", description: "skip installing dependencies" },
    { flags: "--no-git", description: "skip git init and the first commit" },
    { flags: "--no-check", description: "skip the self-check after install" },
    { flags: "--no-ci", description: "do not write .github/workflows/ci.yml" },
    { flags: "--pm <name>", description: "package manager (default: the one running this command)", choices: PACKAGE_MANAGERS },
    { flags: "--force", description: "write into a non-empty directory (your changed files and .env are kept)" },
    { flags: "--dry-run", description: "write nothing; list the files that would be written" },
    { flags: "--json", description: "print one JSON document on stdout (human text goes to stderr)" },
    { flags: "--verbose", description: "show the full self-check checklist, and the stack trace of an unexpected error (a bug)" },
  ];
}

function createOptions(cmd: Command): Command {
  cmd.argument("[dir]", "directory of the new project (its name becomes the package name)");
  for (const row of createOptionRows()) cmd.addOption(toCommanderOption(cmd, row));
  return cmd.addHelpText(
    "after",
    `
A client secret is never a flag: set ${secretVariables().join(", ")} or answer the masked prompt.
Without provider settings the project runs in local mode against \`create-mcp-auth issuer\`.

Exit code: 0 when the project is written (and its self-check passes), 1 when the self-check fails,
2 on bad usage, 3 when the environment fails (install, git, a port), 130 when interrupted.

Examples:
  $ npx create-mcp-auth my-server
  $ npx create-mcp-auth my-server --framework express --scopes todo:read,todo:write --yes
  $ npx create-mcp-auth my-server --provider oidc --issuer-url https://tenant.example.com/ --yes
  CI (no TTY, Scalekit):
  $ SCALEKIT_CLIENT_SECRET=... npx create-mcp-auth my-server -f express -s todo:read,todo:write \\
      --env-url https://acme.scalekit.dev --client-id skc_123 --resource-id res_123 \\
      --server-url https://mcp.example.com/mcp --yes --json`,
  );
}

function createFlags(dir: string | undefined, opts: Record<string, unknown>): CreateFlags {
  const str = (key: string) => stringValue(opts, key);
  return {
    dir,
    framework: str("framework"),
    language: str("language"),
    scopes: str("scopes"),
    serverUrl: str("serverUrl"),
    port: str("port"),
    provider: str("provider"),
    settings: providerFlags(opts),
    yes: Boolean(opts.yes),
    install: opts.install !== false,
    git: opts.git !== false,
    check: opts.check !== false,
    ci: opts.ci !== false,
    pm: str("pm"),
    force: Boolean(opts.force),
    dryRun: Boolean(opts.dryRun),
    json: Boolean(opts.json),
    verbose: Boolean(opts.verbose),
  };
}

/** The program's first arguments that name a command rather than create's directory. */
export const COMMAND_NAMES: ReadonlySet<string> = new Set(["create", "add", "check", "issuer", "help"]);

/**
 * create's answers read from `argv` (process.argv's shape) without commander,
 * when the arguments are create's (`<dir> ...`, `create ...`, or create's
 * options before the directory) and ask for no help or version: the same
 * CreateFlags the commander program hands to create. Undefined for anything
 * else, which commander then parses: other commands, help, version, and every
 * argument the table's parser declines (unknown option, bad choice, missing
 * value, too many directories...), so every usage error is commander's.
 */
export function createFlagsFast(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CreateFlags | undefined {
  let args = argv.slice(2);
  if (args.some((arg) => arg === "--help" || arg === "-h" || arg === "--version" || arg === "-v")) return undefined;
  const subcommand = args[0] === "create";
  if (subcommand) args = args.slice(1);
  const parsed = parseWithTable(createOptionRows(), args, env);
  if (!parsed || parsed.operands.length > 1) return undefined;
  const dir = parsed.operands[0];
  // Before `create`, commander's program stops reading its own options at a command's name.
  if (!subcommand && dir !== undefined && COMMAND_NAMES.has(dir)) return undefined;
  return createFlags(dir, parsed.values);
}

/** create on the program itself (the default command) and, unless `subcommand` is false, as `create`. */
export function registerCreate(
  program: Command,
  setExit: (code: number) => void,
  subcommand = true,
  run: (flags: CreateFlags) => Promise<number> = runCreate,
): void {
  const action = async (dir: string | undefined, opts: Record<string, unknown>) => {
    setExit(await run(createFlags(dir, opts)));
  };
  createOptions(program).action(action);
  if (!subcommand) return;
  createOptions(program.command("create").description("scaffold a new MCP server with auth (the default command)"))
    .exitOverride()
    .action(action);
}

export { type CreateFlags, runCreate };
