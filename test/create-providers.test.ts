import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authScripts } from "../src/add/plan.js";
import { chooseProvider } from "../src/core/provider-settings.js";
import { selfCommand } from "../src/core/self-command.js";
import { resolveOptions } from "../src/create/options.js";
import { renderPlain } from "../src/create/render.js";
import { DEFAULT_PROVIDER, PROVIDERS, providerOfEnvExample } from "../src/providers.js";
import { VERSION } from "../src/version.js";
import { cleanEnv, repoRoot, runCli, tempDir } from "./helpers/cli.js";

const QUIET = ["--yes", "--no-install", "--no-git", "--no-check"];

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("cma-providers-");
});
afterAll(() => work.cleanup());

const read = (root: string, file: string) => readFile(path.join(root, file), "utf8");
const envOf = async (root: string) => parseEnv(await read(root, ".env")) as Record<string, string>;

/** The words `sh -c` makes of a command line (npm runs scripts with sh). */
function shWords(line: string): string[] {
  const out = execFileSync("sh", ["-c", `set -- ${line}; printf '%s\\0' "$@"`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

describe("the provider table", () => {
  it("has scalekit (the default) and oidc, each with its folder, flags and variables", () => {
    for (const provider of PROVIDERS)
      expect(existsSync(path.join(repoRoot, "templates/typescript/auth/providers", provider.name, "src"))).toBe(true);
    expect(PROVIDERS.map((p) => p.name)).toEqual(["scalekit", "oidc"]);
    expect(DEFAULT_PROVIDER.name).toBe("scalekit");
    const flags = (name: string) => PROVIDERS.find((p) => p.name === name)!.settings.map((s) => s.flag?.split(" ")[0] ?? `env ${s.env}`);
    // Prompt order: the required settings first (issue 21.4).
    expect(flags("scalekit")).toEqual(["--env-url", "--resource-id", "--client-id", "env SCALEKIT_CLIENT_SECRET"]);
    for (const provider of PROVIDERS) {
      const required = provider.settings.map((s) => s.required);
      expect(required, provider.name).toEqual([...required].sort((a, b) => Number(b) - Number(a)));
    }
    expect(flags("oidc")).toEqual(["--issuer-url", "--audience"]);
  });

  it("reads the provider of a project from its .env.example", () => {
    expect(providerOfEnvExample("# x\nOIDC_ISSUER_URL=\nMCP_SERVER_URL=x\n").name).toBe("oidc");
    expect(providerOfEnvExample("SCALEKIT_ENVIRONMENT_URL=x\n").name).toBe("scalekit");
    expect(providerOfEnvExample(undefined).name).toBe("scalekit");
    expect(providerOfEnvExample("# OIDC_ISSUER_URL= in a comment\n").name).toBe("scalekit");
  });

  it("chooses: --provider, else the flags given, else the environment, else the default", () => {
    expect(chooseProvider({}, {}).provider.name).toBe("scalekit");
    expect(chooseProvider({ provider: "oidc" }, {}).provider.name).toBe("oidc");
    expect(chooseProvider({ settings: { issuerUrl: "https://t.example.com/" } }, {}).provider.name).toBe("oidc");
    expect(chooseProvider({}, { OIDC_ISSUER_URL: "https://t.example.com/" }).provider.name).toBe("oidc");
    // flags win over the environment
    expect(
      chooseProvider({ settings: { envUrl: "https://a.scalekit.dev" } }, { OIDC_ISSUER_URL: "https://t.example.com/" }).provider.name,
    ).toBe("scalekit");
    expect(chooseProvider({}, { OIDC_ISSUER_URL: "x", SCALEKIT_ENVIRONMENT_URL: "y" }).problems[0]?.message).toMatch(
      /several providers.*--provider/,
    );
    // a secret alone does not leave local mode
    expect(chooseProvider({}, { SCALEKIT_CLIENT_SECRET: "s" }).unconfigured).toBe(true);
    expect(chooseProvider({ provider: "oidc", settings: { envUrl: "https://a.scalekit.dev" } }, {}).problems).toEqual([
      { flag: "--env-url", message: "is a setting of --provider scalekit, not oidc" },
    ]);
  });

  it("the project scripts run the create-mcp-auth that wrote them, with the layout and the scopes as one shell word", () => {
    const options = resolveOptions({ dir: "x", provider: "oidc", scopes: "a$b'c,todo:read", yes: true }, {}, "/tmp");
    const cli = `npx -y create-mcp-auth@${VERSION}`;
    const scripts = authScripts(options.provider, options.scopes, cli);
    expect(scripts).toEqual({
      issuer: `${cli} issuer --layout oidc --scopes 'a$b'\\''c,todo:read'`,
      token: `${cli} issuer token`,
      check: `${cli} check --project .`,
    });
    expect(shWords(scripts.issuer!)).toEqual([
      "npx",
      "-y",
      `create-mcp-auth@${VERSION}`,
      "issuer",
      "--layout",
      "oidc",
      "--scopes",
      "a$b'c,todo:read",
    ]);
    // By default: this copy of the CLI (from this clone, here).
    const defaults = resolveOptions({ dir: "x", yes: true }, {}, "/tmp");
    const scalekit = authScripts(defaults.provider, defaults.scopes);
    expect(scalekit.issuer).toBe(`${selfCommand()} issuer --scopes todo:read,todo:write`);
    expect(selfCommand()).toBe(`node ${path.join(repoRoot, "bin", "create-mcp-auth.js")}`);
  });

  it("VERSION is the version in package.json, and --version prints it", async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect((await runCli(["--version"])).stdout.trim()).toBe(pkg.version);
  });
});

describe("--no-ci", () => {
  it("leaves out .github/workflows/ci.yml of the plain template, and only that file", async () => {
    const withCi = await renderPlain(resolveOptions({ dir: "fx", yes: true }, {}, "/tmp"));
    const withoutCi = await renderPlain(resolveOptions({ dir: "fx", yes: true, ci: false }, {}, "/tmp"));
    expect(withCi.map((f) => f.path)).toContain(".github/workflows/ci.yml");
    expect(withoutCi.map((f) => f.path)).toEqual(withCi.map((f) => f.path).filter((p) => p !== ".github/workflows/ci.yml"));
  });

  it("the built CLI: --no-ci writes no workflow, the default does", async () => {
    const a = await runCli(["with-ci", ...QUIET, "--dry-run", "--json"], { cwd: work.dir });
    const b = await runCli(["no-ci", ...QUIET, "--no-ci", "--dry-run", "--json"], { cwd: work.dir });
    expect(JSON.parse(a.stdout).files).toContain(".github/workflows/ci.yml");
    expect(JSON.parse(b.stdout).files).not.toContain(".github/workflows/ci.yml");
  });
});

describe("create with each provider (built CLI)", () => {
  it("--provider oidc without an issuer URL: local mode against `issuer --layout oidc`", async () => {
    const result = await runCli(["oidc-local", "--provider", "oidc", "--json", ...QUIET], { cwd: work.dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: "oidc", mode: "local" });
    const root = path.join(work.dir, "oidc-local");
    // PORT is the plain server's (its default is the chosen port); the rest is what add writes.
    expect(await envOf(root)).toEqual({
      OIDC_ISSUER_URL: "http://127.0.0.1:4444",
      MCP_SERVER_URL: "http://localhost:3000/mcp",
    });
    const example = await read(root, ".env.example");
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(names).toEqual(["PORT", "HOST", "OIDC_ISSUER_URL", "OIDC_AUDIENCE", "MCP_SERVER_URL", "MCP_ALLOWED_ORIGINS"]);
    expect(await read(root, ".env")).toMatch(/issuer --layout oidc/);
    expect(JSON.parse(await read(root, "package.json")).scripts.issuer).toContain("issuer --layout oidc --scopes todo:read,todo:write");
  });

  it("oidc configured: the issuer URL exactly as given (trailing slash kept), audiences joined", async () => {
    const result = await runCli(
      [
        "oidc-conf",
        "--issuer-url",
        "https://tenant.example.com/",
        "--audience",
        "api://mcp",
        "--audience",
        "https://mcp.example.com/mcp",
        "--server-url",
        "https://mcp.example.com/mcp",
        "--json",
        ...QUIET,
      ],
      { cwd: work.dir },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: "oidc", mode: "oidc" });
    expect(await envOf(path.join(work.dir, "oidc-conf"))).toMatchObject({
      OIDC_ISSUER_URL: "https://tenant.example.com/",
      OIDC_AUDIENCE: "api://mcp,https://mcp.example.com/mcp",
      MCP_SERVER_URL: "https://mcp.example.com/mcp",
    });
  });

  it("oidc from the environment (OIDC_ISSUER_URL)", async () => {
    const result = await runCli(["oidc-env", "--dry-run", "--json", ...QUIET], {
      cwd: work.dir,
      env: cleanEnv({ OIDC_ISSUER_URL: "https://tenant.example.com/" }),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: "oidc", mode: "oidc" });
  });

  it("Scalekit: the client id is optional (token validation does not use it)", async () => {
    const result = await runCli(["sk-noid", "--env-url", "https://acme.scalekit.dev", "--resource-id", "res_9", "--json", ...QUIET], {
      cwd: work.dir,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const env = await envOf(path.join(work.dir, "sk-noid"));
    expect(env).toMatchObject({ SCALEKIT_ENVIRONMENT_URL: "https://acme.scalekit.dev", SCALEKIT_RESOURCE_ID: "res_9" });
    expect(env.SCALEKIT_CLIENT_ID).toBeUndefined();
  });

  it.each([
    [["--provider", "oidc", "--env-url", "https://acme.scalekit.dev"], /--env-url: is a setting of --provider scalekit, not oidc/],
    [["--issuer-url", "https://t.example.com/", "--resource-id", "res_1"], /several providers/],
    [["--provider", "oidc", "--audience", "api://x"], /--issuer-url: .*needs --issuer-url/],
    [["--provider", "auth0"], /Allowed choices|auth0/],
    [["--issuer-url", "http://tenant.example.com/"], /--issuer-url: .*https/],
    [["--audience", "a,b", "--issuer-url", "https://t.example.com/"], /--audience: .*commas/],
  ])("%j exits 2 naming the flag", async (args, message) => {
    const result = await runCli(["bad-provider", ...args, ...QUIET], { cwd: work.dir });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(path.join(work.dir, "bad-provider"))).toBe(false);
  });

  it("--help lists every provider flag from the table, with its environment variable", async () => {
    const stdout = (await runCli(["--help"])).stdout.replace(/\s+/g, " ");
    for (const flag of [
      "--provider <name>",
      "--issuer-url <url>",
      "--audience <value>",
      "--env-url <url>",
      "--resource-id <id>",
      "--no-ci",
      "--verbose",
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain("(env: OIDC_ISSUER_URL)");
    expect(stdout).toContain("(env: SCALEKIT_ENVIRONMENT_URL)");
  });
});

describe("no provider threaded through the create code", () => {
  it("src/create, the self-check and the UI name no provider: what is specific lives in src/providers.ts", async () => {
    const { readdir } = await import("node:fs/promises");
    const files = [
      ...(await readdir(path.join(repoRoot, "src", "create"))).map((f) => path.join("src", "create", f)),
      "src/selfcheck.ts",
      "src/core/ui.ts",
      "src/frameworks.ts",
    ];
    const offenders: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(repoRoot, file), "utf8");
      for (const [i, line] of source.split("\n").entries())
        if (/scalekit|oidc/i.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    }
    expect(offenders).toEqual([]);
  });
});
