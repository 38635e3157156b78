/** `create-mcp-auth issuer`: run the local issuer in the foreground until SIGINT / SIGTERM. */
import { type Command, Option } from "commander";
import { CliError, EXIT, usageError } from "../core/errors.js";
import { intOption, listValue } from "../core/flags.js";
import { curlExample, tokenCommandLine } from "../issuer/token-usage.js";
import type { IssuerForm, Layout } from "../issuer/types.js";

export interface IssuerCommandOptions {
  port?: number;
  layout?: Layout;
  allowLocalCimd?: boolean;
  issuerForm?: IssuerForm;
  tokenLifetime?: number;
  consent?: boolean;
  resourceId?: string;
  scopes?: string[];
  /** One JSON document on stdout instead of the human summary on stderr. */
  json?: boolean;
  /** No request log. */
  quiet?: boolean;
  /** Stops the issuer like a signal does (tests). */
  signal?: AbortSignal;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export const DEV_WARNING =
  "create-mcp-auth local issuer: for development only. It signs tokens for anyone who asks; never expose it or use it in production.";

/** The banner fits a classic terminal: no line over 80 columns, but a single word (a URL) longer than that. */
export const COLUMNS = 80;

/**
 * A shell command broken at spaces into lines of at most `width` columns,
 * each but the last ending in ` \`, so that pasted as printed it runs as one
 * command (a line already ending in ` \` keeps its own continuation).
 */
export function wrapCommand(line: string, width = COLUMNS): string[] {
  const lines = wrap(line, width - 2);
  return lines.map((part, i) => (i < lines.length - 1 ? `${part} \\` : part));
}

/** `line` broken at spaces into lines of at most `width` columns; continuation lines keep its indent plus two. */
export function wrap(line: string, width = COLUMNS): string[] {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)![0];
  const out: string[] = [];
  let current = "";
  for (const word of line.trim().split(/ +/)) {
    const lead = out.length === 0 ? indent : `${indent}  `;
    if (current && (current + word).length + 1 > width) {
      out.push(current);
      current = "";
    }
    current = current ? `${current} ${word}` : `${lead}${word}`;
  }
  if (current) out.push(current);
  return out;
}

/** Label/value rows, aligned when each fits in one line; else the label alone and the value under it. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.flatMap(([label, value]) => {
    const aligned = `  ${(label ? `${label}:` : "").padEnd(width)} ${value}`;
    if (aligned.length <= COLUMNS) return [aligned];
    return [...(label ? [`  ${label}:`] : []), ...wrap(`    ${value}`)];
  });
}

export async function runIssuerCommand(opts: IssuerCommandOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const { IssuerOptionError, startIssuer } = await import("../issuer/issuer.js");
  const issuer = await startIssuer({
    port: opts.port,
    layout: opts.layout,
    allowLocalCimd: opts.allowLocalCimd,
    issuerForm: opts.issuerForm,
    tokenLifetime: opts.tokenLifetime,
    consent: opts.consent,
    resourceId: opts.resourceId,
    scopes: opts.scopes,
    quiet: opts.quiet,
    log: (line) => stderr.write(`[issuer] ${line}\n`),
  }).catch((err: unknown) => {
    // Bad option values are bad input (exit 2), said in one line with where to look.
    if (err instanceof IssuerOptionError) throw new CliError(`${err.message} (see npx create-mcp-auth issuer --help)`, EXIT.usage);
    throw err;
  });
  // Listening for Ctrl+C before the banner says to press it: a signal right after it must stop, not kill.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      opts.signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener("abort", stop, { once: true });
  });
  stderr.write(`${wrap(`WARNING: ${DEV_WARNING}`, COLUMNS).join("\n")}\n`);
  const summary = {
    url: issuer.url,
    layout: issuer.layout,
    issuer: issuer.issuer,
    issuerForm: issuer.issuerForm,
    authorizationServer: issuer.authorizationServer,
    jwksUri: issuer.jwksUri,
    resourceId: issuer.resourceId,
    metadataUrls: [...issuer.metadataUrls],
    authorizationEndpoint: `${issuer.url}/oauth/authorize`,
    tokenEndpoint: `${issuer.url}/oauth/token`,
    registrationEndpoint: issuer.registrationEndpoint,
    scopes: [...issuer.scopes],
    consent: opts.consent ?? false,
    allowLocalCimd: opts.allowLocalCimd ?? false,
    token: tokenCommandLine(issuer.url),
    dev: { mint: `${issuer.url}/_dev/mint`, rotate: `${issuer.url}/_dev/rotate`, info: `${issuer.url}/_dev/info` },
  };
  if (opts.json) {
    stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const layoutRows: [string, string][] =
      issuer.layout === "oidc"
        ? [
            ["issuer URL (OIDC_ISSUER_URL)", issuer.url],
            ["default audience", `${issuer.resourceId} (tokens name the resource a client asks for)`],
          ]
        : [
            ["environment URL (SCALEKIT_ENVIRONMENT_URL)", issuer.url],
            ["resource id (SCALEKIT_RESOURCE_ID)", issuer.resourceId],
            [`token issuer (iss, ${issuer.issuerForm} form)`, issuer.issuer],
            ["authorization server", issuer.authorizationServer],
          ];
    const rows: [string, string][] = [
      ...layoutRows,
      ["metadata", issuer.metadataUrls[0] ?? ""],
      ["", issuer.metadataUrls[1] ?? ""],
      ["registration", issuer.registrationEndpoint],
      ["JWKS", issuer.jwksUri],
      ["scopes", issuer.scopes.length ? issuer.scopes.join(" ") : "(none configured: any scope is granted)"],
      ["consent page", opts.consent ? "on" : "only for redirects that leave this computer (loopback ones are approved)"],
      ["client metadata documents", opts.allowLocalCimd ? "public https and loopback URLs" : "public https URLs only"],
    ];
    stderr.write(
      [
        ...wrap(`Local issuer listening on ${issuer.url}`),
        ...table(rows),
        "",
        "A token for the MCP server of the project in this directory",
        "(npm run token in a generated project):",
        ...wrapCommand(`  ${tokenCommandLine(issuer.url)}`),
        "List the tools of that server with it:",
        ...curlExample(issuer.url)
          .split("\n")
          .flatMap((line) => wrapCommand(`  ${line}`)),
        "",
        "Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    );
  }

  await stopped;
  await issuer.close();
  if (!opts.json) stderr.write("Local issuer stopped.\n");
}

export function registerIssuer(program: Command): Command {
  return program
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
    .option("--verbose", "on an unexpected error (a bug), print its stack trace")
    .addHelpText(
      "after",
      `
Runs until Ctrl-C (exit 0). Exit code: 2 on bad usage, 3 when the port is taken.

Examples:
  $ npx create-mcp-auth issuer
  $ npx create-mcp-auth issuer --port 4444 --scopes todo:read,todo:write --consent
  $ npx create-mcp-auth issuer --layout oidc          # OIDC_ISSUER_URL=http://127.0.0.1:4444
  $ npx create-mcp-auth issuer token                  # a token for the project in this directory`,
    )
    .exitOverride()
    .action(async (opts: Record<string, unknown>) => {
      const scopes = listValue(opts.scopes);
      if (opts.layout === "oidc" && opts.issuerForm === "resource")
        throw usageError("--issuer-form resource is a Scalekit layout form; the oidc layout's issuer is its URL");
      await runIssuerCommand({
        port: opts.port as number | undefined,
        layout: opts.layout as Layout,
        resourceId: opts.resourceId as string | undefined,
        issuerForm: opts.issuerForm as IssuerForm,
        tokenLifetime: opts.tokenLifetime as number | undefined,
        consent: Boolean(opts.consent),
        allowLocalCimd: Boolean(opts.allowLocalCimd),
        json: Boolean(opts.json),
        ...(scopes ? { scopes } : {}),
      });
    });
}
