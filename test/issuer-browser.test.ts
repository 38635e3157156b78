/**
 * The consent page in a real browser: Debian's headless Chromium driven with
 * playwright-core (which never downloads a browser). Approve and deny each
 * land on the client's redirect URI; a redirect that leaves this computer gets
 * the page even without consent mode; the page's CSP is in force (no
 * violation in the flow, inline script blocked).
 *
 * Chromium resolves no name but 127.0.0.1 (--host-resolver-rules), so no
 * request leaves this machine: the one non-loopback redirect
 * (https://app.example) is seen as the browser's request for it, which then
 * fails to resolve (Playwright's routes do not intercept redirects).
 *
 * Without chromium this file is skipped, except in CI (CI=true), where a
 * missing browser is a failure: .ci/run installs it.
 */
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";

function findChromium(): string | undefined {
  const candidates = [process.env.CMA_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((p): p is string => Boolean(p));
  return candidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const CHROMIUM = findChromium();
const IN_CI = process.env.CI === "true";
const SKIP = !CHROMIUM && !IN_CI;
const TITLE = SKIP
  ? "consent page in a real browser (SKIPPED: no chromium at /usr/bin/chromium or $CMA_CHROMIUM, and not CI; apt-get install -y chromium)"
  : "consent page in a real browser";

/** The flags of the brief, plus a resolver that knows only 127.0.0.1. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

describe.skipIf(SKIP)(TITLE, () => {
  let context: BrowserContext;
  let userDataDir: string;
  let callback: Server;
  let callbackUrl: string;
  const callbacks: URL[] = [];
  let page: Page;
  const violations: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!CHROMIUM)
      throw new Error("CI=true but chromium is not installed: .ci/run must install Debian's chromium (apt-get install -y chromium)");
    callback = createServer((req, res) => {
      callbacks.push(new URL(req.url ?? "/", callbackUrl));
      res
        .writeHead(200, { "Content-Type": "text/html; charset=utf-8" })
        .end("<!doctype html><title>callback</title><p>back at the client</p>");
    });
    await new Promise<void>((r) => callback.listen(0, "127.0.0.1", r));
    callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/oauth/callback`;
    userDataDir = await mkdtemp(path.join(tmpdir(), "cma-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    // Every CSP violation of every page is reported to the test (bindings work under any CSP).
    await context.exposeFunction("__cspViolation", (directive: string, blocked: string) => violations.push(`${directive} ${blocked}`));
    // (Browser-side code is written as strings: this project's TypeScript has no DOM types.)
    await context.addInitScript(
      'document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(e.effectiveDirective, e.blockedURI));',
    );
  });
  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (callback) {
      callback.closeAllConnections();
      await new Promise((r) => callback.close(r));
    }
  });

  afterEach(async () => {
    await page?.close();
  });

  async function openConsent(issuer: LocalIssuer, redirectUri: string, state: string) {
    const reg = await fetch(`${issuer.url}/api/v1/resources/${issuer.resourceId}/clients:register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "Browser test client", redirect_uris: [redirectUri], token_endpoint_auth_method: "none" }),
    });
    const clientId = ((await reg.json()) as { client_id: string }).client_id;
    const { verifier, challenge } = pkce();
    const url = new URL(`${issuer.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: "S256",
      scope: "todo:read",
      state,
    })) {
      url.searchParams.set(k, v);
    }
    violations.length = 0;
    consoleErrors.length = 0;
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    const response = await page.goto(url.href);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(url.href); // no redirect: the consent page
    await expect(page.locator("h1").textContent()).resolves.toBe("Authorize access");
    await expect(page.locator("body").textContent()).resolves.toContain("Browser test client");
    return { clientId, verifier, csp: response!.headers()["content-security-policy"] ?? "" };
  }

  async function decide(decision: "approve" | "deny", landsOn: string): Promise<URL> {
    await Promise.all([page.waitForURL((u) => u.href.startsWith(landsOn), { timeout: 30_000 }), page.click(`button[value="${decision}"]`)]);
    return new URL(page.url());
  }

  it("approve lands on the loopback redirect with a code that redeems, and no CSP violation", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, consent: true, scopes: ["todo:read"] });
    try {
      const { clientId, verifier, csp } = await openConsent(issuer, callbackUrl, "approve-state");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain(`form-action 'self' ${new URL(callbackUrl).origin}`);
      const landed = await decide("approve", callbackUrl);
      expect(landed.searchParams.get("state")).toBe("approve-state");
      expect(landed.searchParams.get("iss")).toBe(issuer.authorizationServer);
      const code = landed.searchParams.get("code");
      expect(code).toBeTruthy();
      expect(
        callbacks
          .filter((u) => u.pathname === "/oauth/callback")
          .at(-1)
          ?.searchParams.get("code"),
      ).toBe(code);
      await expect(page.locator("p").textContent()).resolves.toBe("back at the client");
      const tok = await fetch(`${issuer.url}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: code!,
          code_verifier: verifier,
          redirect_uri: callbackUrl,
          client_id: clientId,
        }).toString(),
      });
      expect(tok.status).toBe(200);
      expect(violations).toEqual([]);
      expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    } finally {
      await issuer.close();
    }
  });

  it("deny lands on the loopback redirect with access_denied and the state, no code", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, consent: true, scopes: ["todo:read"] });
    try {
      await openConsent(issuer, callbackUrl, "deny-state");
      const landed = await decide("deny", callbackUrl);
      expect(landed.searchParams.get("error")).toBe("access_denied");
      expect(landed.searchParams.get("state")).toBe("deny-state");
      expect(landed.searchParams.get("code")).toBeNull();
      expect(violations).toEqual([]);
    } finally {
      await issuer.close();
    }
  });

  it("a redirect that leaves this computer gets the page without consent mode; approve lands there", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, scopes: ["todo:read"] });
    try {
      const { csp } = await openConsent(issuer, "https://app.example/cb", "away");
      expect(csp).toContain("form-action 'self' https://app.example");
      await expect(page.locator("body").textContent()).resolves.toContain("This redirect leaves this computer");
      // The browser follows the redirect to the client (the name then does not resolve: nothing leaves loopback).
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url().startsWith("https://app.example/cb"), { timeout: 30_000 }),
        page.click('button[value="approve"]', { noWaitAfter: true }),
      ]);
      const landed = new URL(request.url());
      expect(request.isNavigationRequest()).toBe(true);
      expect(landed.searchParams.get("code")).toBeTruthy();
      expect(landed.searchParams.get("state")).toBe("away");
      expect(violations).toEqual([]);
    } finally {
      await issuer.close();
    }
  });

  it("the page's CSP is in force: an inline script is blocked and reported", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, consent: true });
    try {
      await openConsent(issuer, callbackUrl, "csp");
      const ran = await page.evaluate(`(() => {
        const s = document.createElement("script");
        s.textContent = "window.__inlineRan = true";
        document.body.append(s);
        return window.__inlineRan === true;
      })()`);
      expect(ran).toBe(false);
      await expect.poll(() => violations.some((v) => v.startsWith("script-src")), { timeout: 20_000 }).toBe(true);
      // An inline event handler does not run either.
      const clicked = await page.evaluate(`(() => {
        const b = document.createElement("button");
        b.setAttribute("onclick", "window.__handlerRan = true");
        document.body.append(b);
        b.click();
        return window.__handlerRan === true;
      })()`);
      expect(clicked).toBe(false);
    } finally {
      await issuer.close();
    }
  });
});
