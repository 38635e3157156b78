/**
 * The program: registers each command of src/commands/ (each owns its flags,
 * help and exit codes) and maps what a command throws to an exit code. A
 * plain create (`create-mcp-auth my-server --yes ...`) is read by create's
 * own option table and runs without loading commander; everything else
 * (help, version, the other commands, every usage error) goes through
 * commander, loaded then.
 */
import type { Command } from "commander";
import { COMMAND_NAMES, type CreateFlags, createFlagsFast, registerCreate, runCreate } from "./commands/create.js";
import { CliError, EXIT, outputStream } from "./core/errors.js";
import { VERSION } from "./version.js";

/** commander, once the program is built (a plain create never loads it). */
let commander: typeof import("commander") | undefined;

/**
 * The program. Given the arguments, and when they start with a directory (the
 * default command, create, as `npx create-mcp-auth my-server` runs it) and
 * ask for no help, only create is registered: the other commands' modules
 * are not even loaded. `run` is what create's action runs (tests read the
 * answers commander gives it).
 */
export async function buildProgram(
  setExit: (code: number) => void,
  argv?: string[],
  run: (flags: CreateFlags) => Promise<number> = runCreate,
): Promise<Command> {
  commander ??= await import("commander");
  const first = argv?.[2];
  const createOnly =
    first !== undefined && !first.startsWith("-") && !COMMAND_NAMES.has(first) && !argv!.some((arg) => arg === "--help" || arg === "-h");
  const program = new commander.Command("create-mcp-auth")
    .description("Give an MCP server OAuth 2.1 authorization (Scalekit, or any OpenID Connect provider), and prove it works.")
    .version(VERSION, "-v, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    // Help and version as the rest of the output: a reader that has gone (`--help | head`) ends them quietly.
    .configureOutput({ writeOut: (text) => void outputStream(1).write(text), writeErr: (text) => void outputStream(2).write(text) })
    .exitOverride();
  registerCreate(program, setExit, !createOnly, run);
  if (createOnly) return program;
  const [{ registerAdd }, { registerCheck }, { registerIssuer }, { registerIssuerToken }] = await Promise.all([
    import("./commands/add.js"),
    import("./commands/check.js"),
    import("./commands/issuer.js"),
    import("./commands/issuer-token.js"),
  ]);
  registerAdd(program, setExit);
  registerCheck(program, setExit);
  registerIssuerToken(registerIssuer(program), setExit);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  let exitCode: number = EXIT.ok;
  try {
    const flags = createFlagsFast(argv);
    if (flags) exitCode = await runCreate(flags);
    else {
      const program = await buildProgram((code) => {
        exitCode = code;
      }, argv);
      await program.parseAsync(argv);
    }
  } catch (error) {
    exitCode = exitCodeFor(error, argv.includes("--verbose"));
    // --json promises one document on stdout, failures included.
    if (argv.includes("--json") && exitCode !== EXIT.ok) {
      const message = error instanceof Error ? error.message : String(error);
      const extra = error instanceof CliError ? error.json : undefined;
      outputStream(1).write(`${JSON.stringify({ ok: false, exitCode, error: message.replace(/^error: /, ""), ...extra }, null, 2)}\n`);
    }
  }
  process.exitCode = exitCode;
}

function exitCodeFor(error: unknown, verbose: boolean): number {
  if (commander && error instanceof commander.CommanderError) {
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
  process.stderr.write(`\ncreate-mcp-auth: ${unexpectedError(error, verbose)}\n`);
  return EXIT.environment;
}

/** An error nothing expected (a bug in this CLI): one line, its stack trace only with --verbose. */
export function unexpectedError(error: unknown, verbose: boolean): string {
  const e = error as Error | null | undefined;
  if (verbose) return `unexpected error: ${e?.stack ?? String(error)}`;
  return `unexpected error: ${e?.message ?? String(error)} (run again with --verbose for its stack trace, and please report it)`;
}
