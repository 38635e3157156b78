/**
 * `create-mcp-auth [create] [dir]`: scaffold a new MCP server with auth (the
 * default command). Its flags, help and exit codes; the flow is src/create/.
 */
import { type Command, Option } from "commander";
import { addProviderOptions, packageManagerOption, providerFlags, secretVariables, stringValue } from "../core/flags.js";
// create is the default command and the one that must start fast: bundled into
// the entry chunk rather than loaded as one more file.
import { runCreate } from "../create/index.js";
import type { CreateFlags } from "../create/options.js";
import { FRAMEWORK_NAMES, LANGUAGES } from "../frameworks.js";

function createOptions(cmd: Command): Command {
  cmd
    .argument("[dir]", "directory of the new project (its name becomes the package name)")
    .addOption(
      new Option("--language <name>", "language of the project (default: typescript; -f fastapi alone means python)").choices(
        LANGUAGES.map((l) => l.name),
      ),
    )
    .addOption(new Option("-f, --framework <name>", "web framework (python: fastmcp, fastapi)").choices(FRAMEWORK_NAMES))
    .option("-s, --scopes <list>", "OAuth scopes, comma or space separated (default: todo:read,todo:write)")
    .addOption(
      new Option("--server-url <url>", "public URL of the MCP endpoint (default: http://localhost:<port>/mcp)").env("MCP_SERVER_URL"),
    )
    .option("--port <n>", "listen port of the generated server (default: 3000)");
  addProviderOptions(cmd);
  return cmd
    .option("-y, --yes", "never prompt; take defaults for anything not given (local mode without provider settings)")
    .option("--no-install", "skip installing dependencies")
    .option("--no-git", "skip git init and the first commit")
    .option("--no-check", "skip the self-check after install")
    .option("--no-ci", "do not write .github/workflows/ci.yml")
    .addOption(packageManagerOption("package manager (default: the one running this command)"))
    .option("--force", "write into a non-empty directory (your changed files and .env are kept)")
    .option("--dry-run", "write nothing; list the files that would be written")
    .option("--json", "print one JSON document on stdout (human text goes to stderr)")
    .option("--verbose", "show the full self-check checklist, and the stack trace of an unexpected error (a bug)")
    .addHelpText(
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

/** create on the program itself (the default command) and, unless `subcommand` is false, as `create`. */
export function registerCreate(program: Command, setExit: (code: number) => void, subcommand = true): void {
  const action = async (dir: string | undefined, opts: Record<string, unknown>) => {
    setExit(await runCreate(createFlags(dir, opts)));
  };
  createOptions(program).action(action);
  if (!subcommand) return;
  createOptions(program.command("create").description("scaffold a new MCP server with auth (the default command)"))
    .exitOverride()
    .action(action);
}
