/** `create-mcp-auth issuer`: run the local issuer in the foreground until SIGINT / SIGTERM. */
import { startIssuer } from "./issuer.js";
import type { IssuerForm } from "./types.js";

export interface IssuerCommandOptions {
  port?: number;
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
    dev: { mint: `${issuer.url}/_dev/mint`, rotate: `${issuer.url}/_dev/rotate`, info: `${issuer.url}/_dev/info` },
  };
  if (opts.json) {
    stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    const rows: [string, string][] = [
      ["environment URL (SCALEKIT_ENVIRONMENT_URL)", issuer.url],
      ["resource id (SCALEKIT_RESOURCE_ID)", issuer.resourceId],
      [`token issuer (iss, ${issuer.issuerForm} form)`, issuer.issuer],
      ["authorization server", issuer.authorizationServer],
      ["metadata", issuer.metadataUrls[0] ?? ""],
      ["", issuer.metadataUrls[1] ?? ""],
      ["JWKS", issuer.jwksUri],
      ["scopes", issuer.scopes.length ? issuer.scopes.join(" ") : "(none configured: any scope is granted)"],
      ["consent page", opts.consent ? "on" : "off (auto-approve)"],
    ];
    const width = Math.max(...rows.map(([label]) => label.length)) + 1;
    stderr.write(
      [
        `Local issuer listening on ${issuer.url}`,
        ...rows.map(([label, value]) => `  ${(label ? `${label}:` : "").padEnd(width)} ${value}`),
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
