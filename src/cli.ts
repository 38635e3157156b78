import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
// create is the default command and the one that must start fast: bundled into
// the entry chunk rather than loaded as one more file. Everything heavier
// (prompts, execa, the issuer, the check with the MCP SDK client) stays lazy.
import { runCreate } from "./create/index.js";
import type { CreateFlags } from "./create/options.js";
import { CliError, EXIT } from "./errors.js";
import { FRAMEWORK_NAMES, frameworksOf, LANGUAGES } from "./frameworks.js";
import { PROVIDERS } from "./providers.js";
import { VERSION } from "./version.js";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The flags of every provider's settings, from the provider table (a secret has none: never argv). */
function addProviderOptions(cmd: Command): Command {
  cmd.addOption(
    new Option("--provider <name>", `authorization server (default: ${PROVIDERS[0]!.name})`).choices(PROVIDERS.map((p) => p.name)),
  );
  for (const provider of PROVIDERS) {
    for (const setting of provider.settings) {
      if (!setting.flag) continue;
      const description = `${setting.description}${setting.env ? ` (env: ${setting.env})` : ""}`;
      const option = new Option(setting.flag, description);
      if (setting.repeatable) option.argParser(collect);
      cmd.addOption(option);
    }
  }
  return cmd;
}

function addCreateOptions(cmd: Command): Command {
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
  const secrets = PROVIDERS.flatMap((p) => p.settings.filter((s) => s.secret && s.env).map((s) => s.env));
  return cmd
    .option("-y, --yes", "never prompt; take defaults for anything not given (local mode without provider settings)")
    .option("--no-install", "skip installing dependencies")
    .option("--no-git", "skip git init and the first commit")
    .option("--no-check", "skip the self-check after install")
    .option("--no-ci", "do not write .github/workflows/ci.yml")
    .addOption(new Option("--pm <name>", "package manager (default: the one running this command)").choices(["npm", "pnpm", "yarn", "bun"]))
    .option("--force", "write into a non-empty directory (your changed files and .env are kept)")
    .option("--dry-run", "write nothing; list the files that would be written")
    .option("--json", "print one JSON document on stdout (human text goes to stderr)")
    .option("--verbose", "show the full self-check checklist")
    .addHelpText(
      "after",
      `
A client secret is never a flag: set ${secrets.join(", ")} or answer the masked prompt.
Without provider settings the project runs in local mode against \`create-mcp-auth issuer\`.

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

/** The provider settings given as flags, by key (environment variables are read where they are resolved). */
function providerFlags(opts: Record<string, unknown>): Record<string, string | string[]> {
  const settings: Record<string, string | string[]> = {};
  for (const setting of PROVIDERS.flatMap((p) => p.settings)) {
    const value = opts[setting.key];
    if (typeof value === "string" || Array.isArray(value)) settings[setting.key] = value as string | string[];
  }
  return settings;
}

function createFlags(dir: string | undefined, opts: Record<string, unknown>): CreateFlags {
  const str = (key: string) => (typeof opts[key] === "string" ? (opts[key] as string) : undefined);
  const settings = providerFlags(opts);
  return {
    dir,
    framework: str("framework"),
    language: str("language"),
    scopes: str("scopes"),
    serverUrl: str("serverUrl"),
    port: str("port"),
    provider: str("provider"),
    settings,
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

function intOption(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("create-mcp-auth")
    .description("Give an MCP server OAuth 2.1 authorization (Scalekit, or any OpenID Connect provider), and prove it works.")
    .version(VERSION, "-v, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const runCreateAction = async (dir: string | undefined, opts: Record<string, unknown>) => {
    setExit(await runCreate(createFlags(dir, opts)));
  };
  addCreateOptions(program).action(runCreateAction);
  addCreateOptions(program.command("create").description("scaffold a new MCP server with auth (the default command)"))
    .exitOverride()
    .action(runCreateAction);

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
  add
    .option("-s, --scopes <list>", "scopes per tool: tool=scope,tool=scope (tools not listed need only a valid token)")
    .addOption(new Option("--server-url <url>", "public URL of the MCP endpoint (written to .env)").env("MCP_SERVER_URL"))
    .option("-y, --yes", "never prompt: write without asking; tools without --scopes need only a valid token")
    .option("--dry-run", "print the diff of every change and write nothing")
    .option("--no-install", "skip installing dependencies")
    .option("--no-check", "skip the self-check after install")
    .addOption(new Option("--pm <name>", "package manager (default: from the lockfile)").choices(["npm", "pnpm", "yarn", "bun"]))
    .option("--json", "print one JSON document on stdout (human text goes to stderr)")
    .addHelpText(
      "after",
      `
A client secret is never a flag: set it in its variable (SCALEKIT_CLIENT_SECRET) or answer the masked prompt.
Without provider values, the variables go to .env.example only, and the self-check runs
against a local issuer. Undo with git checkout (add lists what it writes).

Examples:
  $ npx create-mcp-auth add --dry-run
  $ npx create-mcp-auth add ./my-server --scopes add_note=notes:write,list_notes=notes:read --yes
  $ SCALEKIT_CLIENT_SECRET=... npx create-mcp-auth add . --env-url https://acme.scalekit.dev \\
      --client-id skc_123 --resource-id res_123 --server-url https://mcp.example.com/mcp --yes --json`,
    )
    .exitOverride()
    .action(async (dir: string | undefined, opts: Record<string, unknown>) => {
      const { runAdd } = await import("./add/index.js");
      const str = (key: string) => (typeof opts[key] === "string" ? (opts[key] as string) : undefined);
      setExit(
        await runAdd({
          dir,
          framework: str("framework"),
          entry: str("entry"),
          endpoint: str("endpoint"),
          provider: str("provider"),
          scopes: str("scopes"),
          serverUrl: str("serverUrl"),
          settings: providerFlags(opts),
          pm: str("pm"),
          yes: Boolean(opts.yes),
          dryRun: Boolean(opts.dryRun),
          install: opts.install !== false,
          check: opts.check !== false,
          json: Boolean(opts.json),
        }),
      );
    });

  program
    .command("check")
    .description("probe a running MCP server's authorization and report")
    .argument("[url]", "URL of the MCP endpoint, e.g. http://localhost:3000/mcp")
    .option("--project <dir>", "instead of a URL: start a generated project with the local issuer and check it (the self-check)")
    .addOption(
      new Option("--token <token>", "a valid access token: also checks which protocol eras the server serves").env("MCP_AUTH_TOKEN"),
    )
    .option(
      "--issuer <url>",
      "URL of a running local issuer the server trusts (create-mcp-auth issuer): minted tokens, scopes, the OAuth flow",
    )
    .option("--timeout <ms>", "timeout of each request in ms (default: 5000)", intOption("--timeout", 100, 120000))
    .option("--json", "print the report as JSON on stdout")
    .addHelpText(
      "after",
      `
Without --token or --issuer, check still probes discovery, the 401 challenge, the
authorization server's metadata and forged tokens (a real kid, a bad or missing signature,
alg none, HS256 with the public key); what else would run is listed at the end.

Exit code: 0 when nothing fails, 1 when a probe fails, 2 on bad usage, 3 when nothing answers.

Examples:
  $ npx create-mcp-auth check https://mcp.example.com/mcp
  $ npx create-mcp-auth check http://localhost:3000/mcp --issuer http://127.0.0.1:4444
  $ MCP_AUTH_TOKEN=eyJ... npx create-mcp-auth check https://mcp.example.com/mcp --json
  $ npx create-mcp-auth check --project ./my-server   # the self-check, again`,
    )
    .exitOverride()
    .action(
      async (url: string | undefined, opts: { token?: string; issuer?: string; timeout?: number; json?: boolean; project?: string }) => {
        const { runCheckCommand } = await import("./commands/check.js");
        setExit(await runCheckCommand(url, opts));
      },
    );

  const issuer = program
    .command("issuer")
    .description("run the local Scalekit-compatible (or plain OpenID Connect) authorization server (development only)")
    .enablePositionalOptions()
    .option("--port <n>", "port on 127.0.0.1 (default: 4444; 0 picks a free one)", intOption("--port", 0, 65535))
    .addOption(
      new Option("--layout <layout>", "URL layout: Scalekit's, or one plain OpenID Connect issuer at its URL")
        .choices(["scalekit", "oidc"])
        .default("scalekit"),
    )
    .option("--resource-id <id>", "default resource id (default: res_local)")
    .option("--scopes <list>", "scopes it advertises and grants by default, comma or space separated")
    .addOption(
      new Option("--issuer-form <form>", "iss claim (scalekit layout): the environment URL, or {url}/resources/{id}")
        .choices(["env", "resource"])
        .default("env"),
    )
    .option("--token-lifetime <seconds>", "access token lifetime (default: 3600)", intOption("--token-lifetime", 1, 31536000))
    .option("--consent", "show an approve/deny page for every client (clients with a non-loopback redirect always get it)")
    .option("--allow-local-cimd", "also fetch client ID metadata documents from loopback URLs (default: public https hosts only)")
    .option("--json", "print its URLs as one JSON document on stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ npx create-mcp-auth issuer
  $ npx create-mcp-auth issuer --port 4444 --scopes todo:read,todo:write --consent
  $ npx create-mcp-auth issuer --layout oidc          # OIDC_ISSUER_URL=http://127.0.0.1:4444
  $ npx create-mcp-auth issuer token                  # a token for the project in this directory`,
    )
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => {
      const { runIssuerCommand } = await import("./issuer/index.js");
      const scopes = typeof opts.scopes === "string" ? opts.scopes.split(/[\s,]+/).filter(Boolean) : undefined;
      if (opts.layout === "oidc" && opts.issuerForm === "resource")
        throw new CliError("--issuer-form resource is a Scalekit layout form; the oidc layout's issuer is its URL", EXIT.usage);
      await runIssuerCommand({
        port: opts.port as number | undefined,
        layout: opts.layout as "scalekit" | "oidc",
        resourceId: opts.resourceId as string | undefined,
        issuerForm: opts.issuerForm as "env" | "resource",
        tokenLifetime: opts.tokenLifetime as number | undefined,
        consent: Boolean(opts.consent),
        allowLocalCimd: Boolean(opts.allowLocalCimd),
        json: Boolean(opts.json),
        ...(scopes ? { scopes } : {}),
      });
    });

  issuer
    .command("token")
    .description("print an access token from a running local issuer, for the project in this directory")
    .option("--scopes <list>", "scopes, comma or space separated (default: every scope the project's server declares)")
    .option("--sub <subject>", "the token subject (default: usr_local)")
    .option("--expires-in <seconds>", "lifetime (default: the issuer's token lifetime)", intOption("--expires-in", 1, 31536000))
    .option("--issuer-url <url>", "URL of the running local issuer (default: http://127.0.0.1:4444)")
    .option(
      "--audience <value>",
      "token audience, repeatable (default: the project's server, see below)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--json", "print { token, issuer, audience, scopes, ... } as JSON instead of the bare token")
    .addHelpText(
      "after",
      `
What it picks without flags: in a project directory (MCP_SERVER_URL set in the
environment or in ./.env), the audience and scopes come from the server's
protected resource metadata (its \`resource\` and \`scopes_supported\`) when the
server is running, else from MCP_SERVER_URL and the issuer's --scopes; the
project's SCALEKIT_RESOURCE_ID / OIDC_AUDIENCE are added to the audience.
Outside a project: the issuer's resource id and scopes. The token goes to
stdout alone, what was picked to stderr.

Exit code: 0, 2 on bad usage, 3 when no local issuer answers.

Examples:
  $ npx create-mcp-auth issuer token
  $ npx create-mcp-auth issuer token --scopes todo:read --expires-in 300
  $ curl -s http://localhost:3000/mcp -H "Authorization: Bearer $(npx create-mcp-auth issuer token)" \\
      -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\
      -H "MCP-Protocol-Version: 2025-11-25" -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'`,
    )
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => {
      const { runTokenCommand } = await import("./issuer/token-command.js");
      const scopes = typeof opts.scopes === "string" ? opts.scopes.split(/[\s,]+/).filter(Boolean) : undefined;
      setExit(
        await runTokenCommand({
          ...(scopes ? { scopes } : {}),
          sub: opts.sub as string | undefined,
          expiresIn: opts.expiresIn as number | undefined,
          issuerUrl: opts.issuerUrl as string | undefined,
          audience: opts.audience as string[] | undefined,
          json: Boolean(opts.json),
        }),
      );
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    exitCode = exitCodeFor(error);
    // --json promises one document on stdout, failures included.
    if (argv.includes("--json") && exitCode !== EXIT.ok) {
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(`${JSON.stringify({ ok: false, exitCode, error: message.replace(/^error: /, "") }, null, 2)}\n`);
    }
  }
  process.exitCode = exitCode;
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message (or the help / version).
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    if (error.exitCode !== EXIT.cancelled) {
      process.stderr.write(`\ncreate-mcp-auth: ${error.message}\n`);
      if (error.details) process.stderr.write(`\n${error.details}\n`);
    }
    return error.exitCode;
  }
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "EADDRINUSE") {
    process.stderr.write(`\ncreate-mcp-auth: ${e.message}\n`);
    return EXIT.environment;
  }
  process.stderr.write(`\ncreate-mcp-auth: unexpected error: ${e?.stack ?? String(error)}\n`);
  return EXIT.environment;
}
