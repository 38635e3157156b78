/** startIssuer(): wires keys, tokens, clients and grants to the HTTP server. */
import type { Server } from "node:http";
import { printable } from "../core/printable.js";
import { SCOPE_TOKEN } from "../oauth-syntax.js";
import { systemLookup } from "./cimd.js";
import { ClientRegistry } from "./clients.js";
import { type IssuerContext, type PendingAuthorization, tokenIssuer } from "./context.js";
import { GrantStore } from "./grants.js";
import { KeyStore } from "./keys.js";
import { authorizationServerUrl, LAYOUTS, metadataUrls, RES_ID_RE, registrationEndpoint } from "./metadata.js";
import { createIssuerServer, listen } from "./server.js";
import { TokenService } from "./tokens.js";
import type { IssuerForm, IssuerOptions, Layout, LocalIssuer, MintOptions } from "./types.js";

export const DEFAULT_PORT = 4444;
export const DEFAULT_RESOURCE_ID = "res_local";
export const DEFAULT_TOKEN_LIFETIME = 3600;

/** An option of the issuer that is not valid (bad input, as the CLI's exit 2), never a bug. */
export class IssuerOptionError extends Error {
  override name = "IssuerOptionError";
}

function validate(opts: IssuerOptions): Required<Omit<IssuerOptions, "log" | "quiet" | "lookup">> {
  const port = opts.port ?? DEFAULT_PORT;
  const layout: Layout = opts.layout ?? "scalekit";
  if (!LAYOUTS.includes(layout))
    throw new IssuerOptionError(`layout must be ${LAYOUTS.map((l) => `"${l}"`).join(" or ")}, got "${String(layout)}"`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IssuerOptionError(`issuer port must be an integer from 0 to 65535, got ${String(opts.port)}`);
  }
  const resourceId = opts.resourceId ?? DEFAULT_RESOURCE_ID;
  if (!RES_ID_RE.test(resourceId)) {
    throw new IssuerOptionError(`resource id must look like res_<letters, digits, _ or ->, got "${resourceId}"`);
  }
  const issuerForm: IssuerForm = opts.issuerForm ?? "env";
  if (issuerForm !== "env" && issuerForm !== "resource") {
    throw new IssuerOptionError(`issuerForm must be "env" or "resource", got "${String(issuerForm)}"`);
  }
  if (layout === "oidc" && issuerForm !== "env") {
    throw new IssuerOptionError('issuerForm "resource" is a Scalekit layout form: the oidc layout\'s issuer is its URL');
  }
  const tokenLifetime = opts.tokenLifetime ?? DEFAULT_TOKEN_LIFETIME;
  if (!Number.isInteger(tokenLifetime) || tokenLifetime <= 0) {
    throw new IssuerOptionError(`tokenLifetime must be a positive integer (seconds), got ${String(opts.tokenLifetime)}`);
  }
  const scopes = opts.scopes ?? [];
  if (!scopes.every((s) => SCOPE_TOKEN.test(s))) {
    throw new IssuerOptionError(`scopes must be OAuth scope tokens (no spaces, quotes or backslashes): ${scopes.join(", ")}`);
  }
  return {
    port,
    layout,
    resourceId,
    issuerForm,
    tokenLifetime,
    consent: opts.consent ?? false,
    allowLocalCimd: opts.allowLocalCimd ?? false,
    scopes: [...new Set(scopes)],
  };
}

class RunningIssuer implements LocalIssuer {
  readonly url: string;
  readonly layout: Layout;
  readonly resourceId: string;
  readonly issuer: string;
  readonly issuerForm: IssuerForm;
  readonly authorizationServer: string;
  readonly jwksUri: string;
  readonly metadataUrls: readonly string[];
  readonly scopes: readonly string[];
  readonly registrationEndpoint: string;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly ctx: IssuerContext,
    private readonly server: Server,
  ) {
    this.url = ctx.url;
    this.layout = ctx.layout;
    this.resourceId = ctx.resourceId;
    this.issuerForm = ctx.issuerForm;
    this.issuer = tokenIssuer(ctx, ctx.resourceId);
    this.authorizationServer = authorizationServerUrl(ctx, ctx.resourceId);
    this.jwksUri = `${ctx.url}/keys`;
    this.metadataUrls = metadataUrls(ctx, ctx.resourceId);
    this.scopes = [...ctx.scopes];
    this.registrationEndpoint = registrationEndpoint(ctx, ctx.resourceId);
  }

  get jwksRequests(): number {
    return this.ctx.stats.jwksRequests;
  }

  mint(o?: MintOptions): Promise<string> {
    return this.ctx.tokens.mint(o);
  }

  rotateKey(o?: { keepOld?: boolean }): Promise<string> {
    return this.ctx.keys.rotate(o?.keepOld ?? true);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

export async function startIssuer(opts: IssuerOptions = {}): Promise<LocalIssuer> {
  const cfg = validate(opts);
  const sink = opts.log ?? ((line: string) => process.stderr.write(`[issuer] ${line}\n`));
  // Log lines quote what clients send (paths, client ids): escaped, so a client cannot drive the terminal.
  const log = opts.quiet
    ? undefined
    : (line: string) =>
        sink(
          line
            .split("\n")
            .map((l) => printable(l))
            .join("\n"),
        );
  const keys = await KeyStore.create();
  let ctx: IssuerContext | undefined;
  const server = createIssuerServer({ context: () => ctx, log });
  const port = await listen(server, cfg.port);
  const url = `http://127.0.0.1:${port}`;
  const base = {
    url,
    layout: cfg.layout,
    resourceId: cfg.resourceId,
    issuerForm: cfg.issuerForm,
    scopes: cfg.scopes,
    consent: cfg.consent,
    allowLocalCimd: cfg.allowLocalCimd,
  };
  ctx = {
    ...base,
    keys,
    tokens: new TokenService(keys, {
      issuer: cfg.issuerForm === "resource" ? authorizationServerUrl(base, cfg.resourceId) : url,
      resourceId: cfg.resourceId,
      scopes: cfg.scopes,
      tokenLifetime: cfg.tokenLifetime,
    }),
    grants: new GrantStore(),
    clients: new ClientRegistry(cfg.resourceId, { allowLocal: cfg.allowLocalCimd, lookup: opts.lookup ?? systemLookup, log }),
    stats: { jwksRequests: 0 },
    pending: new Map<string, PendingAuthorization>(),
  };
  return new RunningIssuer(ctx, server);
}
