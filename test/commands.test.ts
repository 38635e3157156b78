import { createServer } from "node:net";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { type ReferenceServer, startReferenceServer } from "./fixtures/reference-server.js";
import { cleanEnv, cliBin, runCli } from "./helpers/cli.js";

/** The built CLI's `issuer` and `check` subcommands, spawned as a user runs them. */
describe("issuer subcommand", () => {
  it("starts on loopback, prints its URLs as JSON, serves Scalekit paths, and stops on SIGINT with exit 0", async () => {
    const child = execa(process.execPath, [cliBin, "issuer", "--port", "0", "--json", "--scopes", "todo:read,todo:write"], {
      reject: false,
      env: cleanEnv(),
      extendEnv: false,
    });
    const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no JSON on stdout: ${out}`)), 15_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve(JSON.parse(out) as Record<string, unknown>);
          clearTimeout(timer);
        } catch {
          // not complete yet
        }
      });
    });
    const url = String(doc.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metadata = await (await fetch(`${url}/.well-known/oauth-authorization-server/resources/res_local`)).json();
    expect(metadata).toMatchObject({
      issuer: `${url}/resources/res_local`,
      code_challenge_methods_supported: ["S256"],
      jwks_uri: `${url}/keys`,
    });
    const keys = (await (await fetch(`${url}/keys`)).json()) as { keys: { kid: string; alg: string }[] };
    expect(keys.keys[0]).toMatchObject({ alg: "RS256" });
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr)).toMatch(/development only/);
  });

  it("exits 3 with a clear message when the port is busy", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["issuer", "--port", String(port)], { timeout: 15_000 });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`${port}.*(in use|busy)|(in use|busy).*${port}`, "i"));
    } finally {
      blocker.close();
    }
  });

  it("refuses a bad --port with exit 2", async () => {
    const result = await runCli(["issuer", "--port", "abc"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--port/);
  });
});

describe("check subcommand", () => {
  let issuer: LocalIssuer;
  let good: ReferenceServer;
  let broken: ReferenceServer;
  beforeAll(async () => {
    issuer = await startIssuer({ port: 0, quiet: true, scopes: ["todo:read", "todo:write"] });
    good = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    broken = await startReferenceServer({
      issuerUrl: issuer.url,
      resourceId: issuer.resourceId,
      faults: { relativeResourceMetadata: true },
    });
  });
  afterAll(async () => {
    await good?.close();
    await broken?.close();
    await issuer?.close();
  });

  it("exits 0 and prints a checklist when nothing fails", async () => {
    const result = await runCli(["check", good.url, "--issuer", issuer.url]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\d+ passed, 0 failed/);
  });

  it("exits 1 naming the failing probe; --json is one document with ok, exitCode and per-probe rule and revision", async () => {
    const result = await runCli(["check", broken.url, "--issuer", issuer.url, "--json"]);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      exitCode: number;
      results: { id: string; status: string; rule: string; revision: string | null }[];
    };
    expect(report).toMatchObject({ ok: false, exitCode: 1 });
    expect(report.results.find((r) => r.id === "challenge.no-token")).toMatchObject({
      status: "fail",
      revision: "2025-06-18",
      rule: expect.stringContaining("MCP 2025-06-18"),
    });
    const good2 = JSON.parse((await runCli(["check", good.url, "--issuer", issuer.url, "--json"])).stdout) as {
      ok: boolean;
      exitCode: number;
    };
    expect(good2).toMatchObject({ ok: true, exitCode: 0 });
  });

  it("takes a token from MCP_AUTH_TOKEN for the authorized requests", async () => {
    const token = await issuer.mint({ audience: [good.url, issuer.resourceId], scopes: ["todo:read", "todo:write"] });
    const withToken = await runCli(["check", good.url, "--json"], { env: cleanEnv({ MCP_AUTH_TOKEN: token }) });
    expect(withToken.exitCode, withToken.stderr).toBe(0);
    const statusOf = (out: string, id: string) =>
      (JSON.parse(out) as { results: { id: string; status: string }[] }).results.find((r) => r.id === id)?.status;
    expect(statusOf(withToken.stdout, "era.2026")).toBe("pass");
    const without = await runCli(["check", good.url, "--json"]);
    expect(statusOf(without.stdout, "era.2026")).toBe("skip");
    expect(statusOf(without.stdout, "token.alg-none")).toBe("pass");
  });

  it("nothing listening: one line and exit 3 (an environment error), also as --json", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    const port = (blocker.address() as { port: number }).port;
    await new Promise((resolve) => blocker.close(resolve));
    const result = await runCli(["check", `http://127.0.0.1:${port}/mcp`]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr.trim().split("\n")).toEqual([
      `create-mcp-auth: nothing answers at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): is the server running, and is the URL right?`,
    ]);
    const json = await runCli(["check", `http://127.0.0.1:${port}/mcp`, "--json"]);
    expect(json.exitCode).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, exitCode: 3, error: expect.stringContaining("nothing answers") });
  });

  it("a URL without a scheme: exit 2 with the suggestion", async () => {
    const result = await runCli(["check", "localhost:3000/mcp"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("did you mean http://localhost:3000/mcp?");
  });

  it("usage errors exit 2", async () => {
    expect((await runCli(["check"])).exitCode).toBe(2);
    expect((await runCli(["check", "ftp://example.com/mcp"])).exitCode).toBe(2);
    expect((await runCli(["check", "http://127.0.0.1:1/mcp", "--project", "."])).exitCode).toBe(2);
  });
});
