/**
 * The built CLI's `issuer token` (issue 13 point 1) and the issuer's new flags
 * (`--layout oidc`, `--allow-local-cimd`), spawned as a user runs them; and the
 * start banner's curl example, run with sh against a real MCP resource server.
 */

import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfCommand } from "../src/core/self-command.js";
import { type LocalIssuer, startIssuer } from "../src/issuer/index.js";
import { curlExample, DEFAULT_ISSUER_URL, tokenCommandLine } from "../src/issuer/token-usage.js";
import { type ReferenceServer, startReferenceServer } from "./fixtures/reference-server.js";
import { cleanEnv, cliBin, runCli, tempDir } from "./helpers/cli.js";

const SCOPES = ["todo:read", "todo:write"];

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function claimsOf(issuer: LocalIssuer, token: string): Promise<JWTPayload> {
  const keys = (await (await fetch(issuer.jwksUri)).json()) as JSONWebKeySet;
  return (await jwtVerify(token, createLocalJWKSet(keys), { issuer: issuer.issuer, algorithms: ["RS256"] })).payload;
}

/** Runs `issuer token` in `cwd` against `issuer`; the token is stdout's only line. */
async function token(issuer: LocalIssuer, cwd: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = await runCli(["issuer", "token", "--issuer-url", issuer.url, ...args], { cwd, env: cleanEnv(env), timeout: 30_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

describe("issuer token", () => {
  let issuer: LocalIssuer;
  let server: ReferenceServer;
  let project: { dir: string; cleanup: () => Promise<void> };
  let outside: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    // The issuer's scopes differ from the server's, so the test sees which were picked.
    issuer = await startIssuer({ port: 0, quiet: true, scopes: ["issuer:only"] });
    server = await startReferenceServer({ issuerUrl: issuer.url, resourceId: issuer.resourceId });
    project = await tempDir("cma-token-");
    outside = await tempDir("cma-token-out-");
    await writeFile(
      path.join(project.dir, ".env"),
      `# local mode\nMCP_SERVER_URL=${server.url}\nSCALEKIT_ENVIRONMENT_URL=${issuer.url}\nSCALEKIT_RESOURCE_ID=res_local\n`,
    );
  });
  afterAll(async () => {
    await server?.close();
    await issuer?.close();
    await project?.cleanup();
    await outside?.cleanup();
  });

  it("in a project with its server running: the server's resource and every scope it declares, and the token works", async () => {
    const r = await token(issuer, project.dir);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const claims = await claimsOf(issuer, lines[0]!);
    expect(claims.aud).toEqual([server.url, "res_local"]);
    expect(claims.scopes).toEqual(SCOPES);
    expect(claims.sub).toBe("usr_local");
    expect(r.stderr).toMatch(/protected resource metadata/);
    // The server accepts it for a tool that needs todo:write.
    const res = await fetch(server.url, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${lines[0]}`,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "add_todo", arguments: { text: "x" } } }),
    });
    expect(res.status).toBe(200);
  });

  it("with the server stopped: MCP_SERVER_URL and the issuer's scopes; the environment wins over ./.env", async () => {
    const stopped = `http://127.0.0.1:${await closedPort()}/mcp`;
    const dir = await tempDir("cma-token-stopped-");
    try {
      await writeFile(path.join(dir.dir, ".env"), `MCP_SERVER_URL=${stopped}\n`);
      const fromFile = await claimsOf(issuer, (await token(issuer, dir.dir)).stdout.trim());
      expect(fromFile.aud).toEqual([stopped]);
      expect(fromFile.scopes).toEqual(["issuer:only"]);
      const fromEnv = await claimsOf(issuer, (await token(issuer, dir.dir, [], { MCP_SERVER_URL: server.url })).stdout.trim());
      expect(fromEnv.aud).toEqual([server.url]);
      expect(fromEnv.scopes).toEqual(SCOPES);
    } finally {
      await dir.cleanup();
    }
  });

  it("outside a project: the issuer's resource id and scopes", async () => {
    const claims = await claimsOf(issuer, (await token(issuer, outside.dir)).stdout.trim());
    expect(claims.aud).toEqual(["res_local"]);
    expect(claims.scopes).toEqual(["issuer:only"]);
  });

  it("flags override everything; --json is one document", async () => {
    const r = await token(issuer, project.dir, [
      "--scopes",
      "todo:read",
      "--sub",
      "alice",
      "--expires-in",
      "120",
      "--audience",
      "https://a.example/mcp",
      "--audience",
      "res_x",
      "--json",
    ]);
    // One line, ended: the next output is not glued to it.
    const raw = await execa(process.execPath, [cliBin, "issuer", "token", "--issuer-url", issuer.url, "--json"], {
      cwd: project.dir,
      env: cleanEnv(),
      extendEnv: false,
      stripFinalNewline: false,
    });
    expect(String(raw.stdout)).toMatch(/^\{"token":"[^\n]*\}\n$/);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: issuer.issuer,
      audience: ["https://a.example/mcp", "res_x"],
      scopes: ["todo:read"],
      sub: "alice",
      expiresIn: 120,
    });
    const claims = await claimsOf(issuer, String(doc.token));
    expect(claims).toMatchObject({ sub: "alice", aud: ["https://a.example/mcp", "res_x"], scope: "todo:read" });
    expect(claims.exp! - claims.iat!).toBe(120);
  });

  it("no issuer running: exit 3 naming the command that starts one", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(["issuer", "token", "--issuer-url", url], { cwd: outside.dir, timeout: 30_000 });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`no local issuer answers at ${url}`);
    expect(r.stderr).toContain(`${selfCommand()} issuer`);
    // In a generated project (an "issuer" script), it names the script.
    const dir = await tempDir("cma-token-script-");
    try {
      await writeFile(path.join(dir.dir, "package.json"), JSON.stringify({ scripts: { issuer: "npx -y create-mcp-auth@0.1.0 issuer" } }));
      const inProject = await runCli(["issuer", "token", "--issuer-url", url], { cwd: dir.dir, timeout: 30_000 });
      expect(inProject.exitCode).toBe(3);
      expect(inProject.stderr).toContain("npm run issuer");
    } finally {
      await dir.cleanup();
    }
  });

  it("captured by $(...): on failure nothing on stdout, the reason on stderr, a non-zero status that stops the printed recipe", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // The banner's and README's recipe, as printed, with this checkout's CLI for `npx create-mcp-auth`.
    const recipe = curlExample(url, "http://127.0.0.1:9/mcp").replaceAll("npx create-mcp-auth", `"${process.execPath}" "${cliBin}"`);
    const script = `${recipe.replace(/^curl -s /m, "echo REACHED && curl -s ")}`;
    const r = await execa("sh", ["-c", script], { cwd: outside.dir, env: cleanEnv(), extendEnv: false, reject: false, timeout: 30_000 });
    expect(r.exitCode).toBe(3);
    expect(String(r.stdout)).toBe("");
    expect(String(r.stderr)).toContain(`no local issuer answers at ${url}`);
    // And the bare form a user types: TOKEN is empty, but the status says so.
    const bare = await execa(
      "sh",
      ["-c", `TOKEN=$("${process.execPath}" "${cliBin}" issuer token --issuer-url ${url}); echo "status $?"`],
      {
        cwd: outside.dir,
        env: cleanEnv(),
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      },
    );
    expect(String(bare.stdout)).toBe("status 3");
    expect(String(bare.stderr)).toMatch(/create-mcp-auth: no local issuer answers/);
  });

  it("bad usage: exit 2", async () => {
    expect((await runCli(["issuer", "token", "--expires-in", "soon"], { cwd: outside.dir })).exitCode).toBe(2);
    expect((await runCli(["issuer", "token", "--issuer-url", "ftp://127.0.0.1:1"], { cwd: outside.dir })).exitCode).toBe(2);
    // A server that is not an issuer: exit 3 with what it is not.
    const notIssuer = await runCli(["issuer", "token", "--issuer-url", server.url.replace(/\/mcp$/, "")], { cwd: outside.dir });
    expect(notIssuer.exitCode).toBe(3);
    expect(notIssuer.stderr).toMatch(/not a create-mcp-auth local issuer/);
  });

  it("defaults to the local-mode issuer URL, and the banner's command names another one", () => {
    expect(DEFAULT_ISSUER_URL).toBe("http://127.0.0.1:4444");
    expect(tokenCommandLine(DEFAULT_ISSUER_URL)).toBe(`${selfCommand()} issuer token`);
    expect(tokenCommandLine("http://127.0.0.1:5555")).toBe(`${selfCommand()} issuer token --issuer-url http://127.0.0.1:5555`);
  });
});

describe("issuer token against the oidc layout", () => {
  it("names MCP_SERVER_URL (the oidc server's default audience) and the OIDC_AUDIENCE values", async () => {
    const issuer = await startIssuer({ port: 0, quiet: true, layout: "oidc", scopes: SCOPES });
    const dir = await tempDir("cma-token-oidc-");
    try {
      const serverUrl = `http://127.0.0.1:${await closedPort()}/mcp`;
      await writeFile(path.join(dir.dir, ".env"), `MCP_SERVER_URL=${serverUrl}\nOIDC_ISSUER_URL=${issuer.url}\n`);
      const claims = await claimsOf(issuer, (await token(issuer, dir.dir)).stdout.trim());
      expect(claims).toMatchObject({ iss: issuer.url, aud: [serverUrl], scopes: SCOPES });
      await writeFile(
        path.join(dir.dir, ".env"),
        `MCP_SERVER_URL=${serverUrl}\nOIDC_ISSUER_URL=${issuer.url}\nOIDC_AUDIENCE=api://todo, api://other\n`,
      );
      expect((await claimsOf(issuer, (await token(issuer, dir.dir)).stdout.trim())).aud).toEqual([serverUrl, "api://todo", "api://other"]);
    } finally {
      await dir.cleanup();
      await issuer.close();
    }
  });
});

describe("the issuer command's flags and banner", () => {
  /** Starts the built CLI's issuer and resolves with its stderr banner (up to "Ctrl+C") or its JSON document. */
  async function spawnIssuer(args: string[], until: (out: string, err: string) => boolean) {
    const child = execa(process.execPath, [cliBin, "issuer", "--port", "0", ...args], { reject: false, env: cleanEnv(), extendEnv: false });
    let out = "";
    let err = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (until(out, err)) resolve();
      };
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      void child.then(() => reject(new Error(`issuer exited: ${err}`)));
    });
    return {
      out: () => out,
      err: () => err,
      stop: async () => {
        child.kill("SIGINT");
        return child;
      },
    };
  }

  it("option values the issuer refuses: exit 2 in one line, no stack", async () => {
    for (const args of [
      ["--resource-id", "local"],
      ["--scopes", 'a"b'],
    ]) {
      const r = await runCli(["issuer", "--port", "0", ...args], { timeout: 30_000 });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^create-mcp-auth: .*\(see npx create-mcp-auth issuer --help\)$/m);
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    }
  });

  it("the banner fits 80 columns (a URL longer than that alone on its line), in both layouts", async () => {
    for (const layout of ["scalekit", "oidc"]) {
      const child = await spawnIssuer(["--layout", layout, "--scopes", SCOPES.join(",")], (_out, err) => err.includes("Ctrl+C"));
      try {
        const lines = child.err().split("\n");
        expect(lines.length).toBeGreaterThan(10);
        for (const line of lines) {
          if (line.length > 80) expect(line, `${layout}: ${line.length} columns`).toMatch(/^ *\S+$/);
        }
        expect(child.err()).toMatch(/^WARNING: create-mcp-auth local issuer: for development only\./);
      } finally {
        expect((await child.stop()).exitCode).toBe(0);
      }
    }
  });

  it("--layout oidc --json: one document with layout, issuer = url and the plain registration path", async () => {
    const child = await spawnIssuer(["--layout", "oidc", "--json", "--allow-local-cimd"], (out) => out.includes("\n"));
    try {
      expect(child.out()).toMatch(/^\{.*\}\n$/s);
      const doc = JSON.parse(child.out()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        layout: "oidc",
        issuer: doc.url,
        authorizationServer: doc.url,
        registrationEndpoint: `${String(doc.url)}/oauth/register`,
        allowLocalCimd: true,
        metadataUrls: [`${String(doc.url)}/.well-known/oauth-authorization-server`, `${String(doc.url)}/.well-known/openid-configuration`],
      });
      const info = (await (await fetch(`${String(doc.url)}/_dev/info`)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ layout: "oidc", allowLocalCimd: true });
    } finally {
      expect((await child.stop()).exitCode).toBe(0);
    }
  });

  it("--layout oidc with --issuer-form resource is bad usage", async () => {
    const r = await runCli(["issuer", "--port", "0", "--layout", "oidc", "--issuer-form", "resource"], { timeout: 30_000 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/issuer-form/);
    expect((await runCli(["issuer", "--layout", "keycloak"])).exitCode).toBe(2);
  });

  it("the banner's curl example lists the tools of a running server with a fresh token", async () => {
    const child = await spawnIssuer(["--scopes", SCOPES.join(",")], (_out, err) => err.includes("Ctrl+C"));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(child.err())![1]!;
    const server = await startReferenceServer({ issuerUrl: url, resourceId: "res_local" });
    const dir = await tempDir("cma-curl-");
    try {
      // Commands longer than 80 columns are continued with " \\" (a clone's path is long): read them joined, as a shell does.
      const banner = child.err().replace(/ \\\n\s*/g, " ");
      const curl = curlExample(url);
      expect(banner).toContain(tokenCommandLine(url));
      expect(banner).toContain(curl.replace(/ \\\n\s*/g, " ").replace(/\n/g, "\n  "));
      // Within 80 columns, but for a single word too long to fit (a URL).
      for (const line of child.err().split("\n")) if (line.trim().includes(" ")) expect(line.length, line).toBeLessThanOrEqual(80);
      await writeFile(path.join(dir.dir, ".env"), `MCP_SERVER_URL=${server.url}\n`);
      // As printed (this checkout's CLI: `node <clone>/bin/create-mcp-auth.js`), with the test server's URL.
      expect(curl).toContain(`${selfCommand()} issuer token`);
      const script = curl.replace("http://localhost:3000/mcp", server.url);
      const r = await execa("sh", ["-c", script], { cwd: dir.dir, env: cleanEnv(), extendEnv: false, reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      // A server may answer with JSON or with an SSE stream carrying the JSON-RPC message.
      const body = String(r.stdout).startsWith("event:")
        ? String(r.stdout)
            .split("\n")
            .find((line) => line.startsWith("data:"))!
            .slice(5)
        : String(r.stdout);
      const answer = JSON.parse(body) as { result?: { tools?: { name: string }[] } };
      expect(answer.result?.tools?.map((t) => t.name)).toContain("list_todos");
    } finally {
      await server.close();
      await dir.cleanup();
      expect((await child.stop()).exitCode).toBe(0);
    }
  });
});
