/** `create-mcp-auth issuer`: run the local issuer in the foreground until SIGINT / SIGTERM. */
import { startIssuer } from "../issuer/issuer.js";
import type { IssuerForm, Layout } from "../issuer/types.js";
import { curlExample, tokenCommandLine } from "./issuer-token.js";

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

export async function runIssuerCommand(opts: IssuerCommandOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
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
  });
  stderr.write(`WARNING: ${DEV_WARNING}\n`);
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
    const width = Math.max(...rows.map(([label]) => label.length)) + 1;
    stderr.write(
      [
        `Local issuer listening on ${issuer.url}`,
        ...rows.map(([label, value]) => `  ${(label ? `${label}:` : "").padEnd(width)} ${value}`),
        "",
        `A token for the MCP server of the project in the current directory (npm run token in a generated project):`,
        `  ${tokenCommandLine(issuer.url)}`,
        "Call a tool list with it:",
        ...curlExample(issuer.url)
          .split("\n")
          .map((line) => `  ${line}`),
        "",
        "Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    );
  }

  await new Promise<void>((resolve) => {
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
  await issuer.close();
  if (!opts.json) stderr.write("Local issuer stopped.\n");
}
