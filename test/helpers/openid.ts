import { existsSync } from "node:fs";
import path from "node:path";
import {
  Client,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/check/index.js";
import { isPythonProject } from "../../src/languages/python/project.js";
import { freePort } from "../../src/selfcheck.js";
import { repoRoot } from "./cli.js";

/**
 * A real, independent OpenID provider for the tests: `oidc-provider` (a
 * certified OpenID Connect implementation) on a free loopback port, with
 * dynamic registration, PKCE, RFC 8707 resource indicators and JWT access
 * tokens (RFC 9068) for the resources it is told about. Its consent step is
 * approved by the test: every interaction logs in `alice` and grants what the
 * client asked for. A confidential client (`svc`, client credentials) gives
 * tokens of any shape the tests need.
 */
export interface OpenIdProvider {
  issuer: string;
  /** A client-credentials access token for `resource` with `scope` (space-separated). */
  token(resource: string, scope: string): Promise<string>;
  close(): Promise<void>;
}

/** oidc-provider 9 supports Node.js 22 LTS ("Jod") and later; on anything else it warns when loaded. */
const SUPPORTED_RUNTIME = (process.release.lts ?? "") >= "Jod";
const NODE24 = process.env.CMA_NODE24 ?? path.join(repoRoot, ".cache", "tools", "node_modules", ".bin", "node");
const PROVIDER_FIXTURE = path.join(repoRoot, "test", "fixtures", "openid-provider.mjs");

/**
 * test/fixtures/openid-provider.mjs: in this process on a runtime it supports,
 * else in its own process on Node 24 (CMA_NODE24; .ci/run installs it). Without
 * one, in this process anyway (and it says that the runtime is unsupported).
 */
export async function startOpenIdProvider(o: { resources: string[]; scopes: string[] }): Promise<OpenIdProvider> {
  let served: { issuer: string; close(): Promise<void> };
  if (SUPPORTED_RUNTIME || !existsSync(NODE24)) {
    // @ts-expect-error plain JavaScript, runnable on its own
    const fixture = (await import("../fixtures/openid-provider.mjs")) as { startOpenIdProvider: typeof startOpenIdProvider };
    served = await fixture.startOpenIdProvider(o);
  } else {
    const child = execa(NODE24, [PROVIDER_FIXTURE, JSON.stringify(o)], { reject: false, stdin: "ignore", stderr: "inherit" });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.then((r) => reject(new Error(`the OpenID provider exited (${r.exitCode}) before it listened`)), reject);
    });
    const { issuer } = JSON.parse(line) as { issuer: string };
    served = {
      issuer,
      async close() {
        child.kill("SIGTERM");
        await child;
      },
    };
  }
  return {
    issuer: served.issuer,
    async token(resource, scope) {
      const response = await fetch(`${served.issuer}/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: "svc", client_secret: "svc-secret", resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string; error_description?: string };
      if (!body.access_token) throw new Error(`oidc-provider token: HTTP ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => served.close(),
  };
}

/**
 * A browser for an authorization URL: follows redirects by hand, keeping the
 * provider's cookies, until one lands on `redirectUri`; returns that URL.
 */
export async function followAuthorization(url: URL, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let next = url;
  for (let hop = 0; hop < 20; hop++) {
    if (next.href.startsWith(redirectUri)) return next;
    const response = await fetch(next, { redirect: "manual", headers: { Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair!.indexOf("=");
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location) throw new Error(`${next.href} answered HTTP ${response.status} without a redirect`);
    next = new URL(location, next);
  }
  throw new Error("too many redirects");
}

/**
 * The generated `oidc` project of `framework` against oidc-provider: its
 * tokens are accepted; tokens for another resource, from another issuer, or
 * without a tool's scope are refused (401, 401, 403); the official SDK client
 * completes the whole OAuth flow (discovery, dynamic registration, PKCE,
 * consent approved by the test, tools/call); and check's probes that need no
 * issuer pass.
 */
export function openIdSuite(framework: string, root: () => string): void {
  describe(`${framework} (provider oidc) against a real OpenID provider (oidc-provider)`, () => {
    let op: OpenIdProvider;
    let foreign: OpenIdProvider;
    let server: { url: string; stop(): Promise<void>; log(): string };
    const OTHER = "https://other.example.com/mcp";

    beforeAll(async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      op = await startOpenIdProvider({ resources: [url, OTHER], scopes: SCOPES });
      foreign = await startOpenIdProvider({ resources: [url], scopes: SCOPES });
      server = await startOidcServer(root(), op.issuer, port);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      await op?.close();
      await foreign?.close();
    });

    const call = (token: string | undefined, tool: string) =>
      fetch(server.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: {} } }),
      });

    it("accepts its tokens, and refuses another resource's, another issuer's, and one without the tool's scope", async () => {
      expect((await call(await op.token(server.url, SCOPES.join(" ")), "todo_write")).status, server.log()).toBe(200);
      const otherResource = await call(await op.token(OTHER, SCOPES.join(" ")), "whoami");
      expect(otherResource.status).toBe(401);
      expect(otherResource.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      expect((await call(await foreign.token(server.url, SCOPES.join(" ")), "whoami")).status).toBe(401);
      const narrow = await call(await op.token(server.url, "todo:read"), "todo_write");
      expect(narrow.status).toBe(403);
      expect(narrow.headers.get("www-authenticate")).toMatch(/error="insufficient_scope".*scope="[^"]*todo:write/);
    });

    it("the official SDK client completes the OAuth flow against oidc-provider and calls a tool", async () => {
      const provider = new BrowserOAuthProvider();
      const transport = () => new StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider });
      const first = new Client({ name: "oidc-e2e", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } });
      const firstTransport = transport();
      const error = await first.connect(firstTransport).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, server.log()).toBeInstanceOf(UnauthorizedError);
      expect(provider.client?.client_id).toBeDefined(); // dynamically registered
      expect(provider.authorizationUrl?.searchParams.get("code_challenge_method")).toBe("S256");
      expect(provider.authorizationUrl?.searchParams.get("resource")).toBe(server.url);
      await firstTransport.finishAuth(provider.callback!);
      await first.close();

      const client = new Client({ name: "oidc-e2e", version: "1.0.0" }, { versionNegotiation: { mode: "auto" } });
      await client.connect(transport());
      try {
        const result = await client.callTool({ name: "whoami", arguments: {} });
        expect(result.structuredContent).toMatchObject({ subject: "alice" });
        expect((await client.listTools()).tools.map((t) => t.name)).toContain("todo_read");
      } finally {
        await client.close();
      }
    });

    it("check's probes that need no issuer pass against it", async () => {
      const report = await runCheck({ url: server.url });
      expect(report.results.filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
      // The forgeries use the provider's real kid, found through the metadata: they ran, and were refused.
      const forged = [
        "token.tampered-signature",
        "token.alg-none",
        "token.hs256-public-key",
        "token.unsigned",
        "token.truncated-signature",
      ];
      expect(report.results.filter((r) => forged.includes(r.id)).map((r) => `${r.id}: ${r.status}`)).toEqual(
        forged.map((id) => `${id}: pass`),
      );
    });
  });
}

const SCOPES = ["todo:read", "todo:write"];

/** An OAuth client kept in memory whose browser is followAuthorization (cookies, redirects, the test's consent). */
class BrowserOAuthProvider implements OAuthClientProvider {
  client: StoredOAuthClientInformation | undefined;
  authorizationUrl: URL | undefined;
  callback: URLSearchParams | undefined;
  private saved: StoredOAuthTokens | undefined;
  private verifier = "";
  readonly redirectUrl = "http://127.0.0.1:8977/callback";
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "oidc e2e",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      application_type: "native",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.saved = tokens;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    this.callback = (await followAuthorization(url, this.redirectUrl)).searchParams;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  // Kept beside the code verifier, so the SDK checks the callback leg against the discovered server (SEP-2352).
  private discovery: OAuthDiscoveryState | undefined;
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

/** The generated oidc project's server, against the OpenID provider at `issuer`, on `port`. */
async function startOidcServer(root: string, issuer: string, port: number) {
  let log = "";
  // A Python project starts with its own entry point (uv run serve installs nothing more: uv sync ran).
  const python = isPythonProject(root);
  const [file, args] = python ? [path.join(root, ".venv", "bin", "serve"), []] : [process.execPath, ["--import", "tsx", "src/index.ts"]];
  const child = execa(file, args, {
    cwd: root,
    env: { OIDC_ISSUER_URL: issuer, MCP_SERVER_URL: `http://127.0.0.1:${port}/mcp`, PORT: String(port), HOST: "127.0.0.1" },
    extendEnv: true,
    all: true,
    reject: false,
  });
  child.all?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}/mcp`;
  const deadline = Date.now() + (python ? 90_000 : 30_000);
  while (
    (await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the oidc server did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    log: () => log,
    stop: async () => {
      child.kill("SIGTERM");
      await child;
    },
  };
}
