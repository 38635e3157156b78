/**
 * The CLI reaches itself (issue 21): the commands a generated project runs
 * (its issuer / token / check scripts, its README's recipe, its CI workflow)
 * work in a fresh shell, whichever way create-mcp-auth came: from a registry
 * (a real one, verdaccio on 127.0.0.1, with this package published to it and
 * the public npm registry as its uplink for everything else), from an
 * `npm pack` tarball, or from this clone.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/selfcheck.js";
import { VERSION } from "../src/version.js";
import { cleanEnv, npmCacheDir, repoRoot, tempDir } from "./helpers/cli.js";
import { installEnv } from "./helpers/project.js";
import { workflowSteps } from "./helpers/workflow.js";

/** Its own prefix: an `npm install --no-save` of other tools into .cache/tools would prune it. */
const verdaccioDir = path.join(repoRoot, ".cache", "tools", "verdaccio");
const verdaccioBin = process.env.CMA_VERDACCIO_BIN ?? path.join(verdaccioDir, "node_modules", ".bin", "verdaccio");
/** 6.10 wants Node 22; 6.8 runs on Node 20 as well. */
const VERDACCIO = "verdaccio@6.8.0";
const ISSUER_PORT = 4444; // the local-mode .env points there: the recipes run as pasted

async function ensureVerdaccio(): Promise<void> {
  if (existsSync(verdaccioBin)) return;
  await mkdir(verdaccioDir, { recursive: true });
  if (!existsSync(path.join(verdaccioDir, "package.json"))) await writeFile(path.join(verdaccioDir, "package.json"), '{"private":true}');
  await execa("npm", ["install", "--no-save", VERDACCIO], { cwd: verdaccioDir, env: installEnv() });
}

let work: { dir: string; cleanup: () => Promise<void> };
let registry: ResultPromise | undefined;
let registryUrl = "";
let tarball = "";
/** A fresh shell whose npm points at the local registry (a user's ~/.npmrc would say the same). */
let shellEnv: Record<string, string> = {};

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

/** npx's installs of create-mcp-auth from earlier runs (they live in the npm cache): a run must install this build. */
async function forgetNpxInstalls(): Promise<void> {
  const npx = path.join(npmCacheDir, "_npx");
  for (const entry of existsSync(npx) ? await readdir(npx) : []) {
    const manifest = await readFile(path.join(npx, entry, "package.json"), "utf8").catch(() => "");
    if (manifest.includes("create-mcp-auth")) await rm(path.join(npx, entry), { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await ensureVerdaccio();
  work = await tempDir("cma-registry-");
  const port = await freePort();
  registryUrl = `http://127.0.0.1:${port}/`;
  const config = path.join(work.dir, "verdaccio.yaml");
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(path.join(work.dir, "storage"))}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(path.join(work.dir, "htpasswd"))}`,
      "uplinks:",
      "  npmjs:",
      "    url: https://registry.npmjs.org/",
      "packages:",
      "  create-mcp-auth:", // never proxied: the one published here
      "    access: $all",
      "    publish: $authenticated",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "    proxy: npmjs",
      "log: { type: stdout, format: pretty, level: error }",
      "",
    ].join("\n"),
  );
  registry = execa(verdaccioBin, ["--config", config, "--listen", `127.0.0.1:${port}`], {
    env: cleanEnv(),
    extendEnv: false,
    reject: false,
    all: true,
  });
  await waitFor("verdaccio", async () => (await fetch(`${registryUrl}-/ping`)).ok);
  const user = await fetch(`${registryUrl}-/user/org.couchdb.user:ci`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "ci", password: "ci-password-1" }),
  });
  const { token } = (await user.json()) as { token: string };
  const npmrc = path.join(work.dir, "npmrc");
  await writeFile(npmrc, `registry=${registryUrl}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  shellEnv = {
    ...installEnv(),
    npm_config_userconfig: npmrc,
    npm_config_registry: registryUrl,
    npm_config_update_notifier: "false",
  };
  await forgetNpxInstalls();
  const published = await execa("npm", ["publish"], { cwd: repoRoot, env: shellEnv, extendEnv: false, reject: false, all: true });
  expect(published.exitCode, String(published.all)).toBe(0);
  const packed = await execa("npm", ["pack", "--pack-destination", work.dir, "--silent"], {
    cwd: repoRoot,
    env: shellEnv,
    extendEnv: false,
  });
  tarball = path.join(work.dir, packed.stdout.trim().split("\n").at(-1)!);
}, 600_000);

afterAll(async () => {
  registry?.kill("SIGTERM");
  await registry;
  await work?.cleanup();
});

/** One shell line as a user pastes it, in a directory. */
function sh(line: string, cwd: string, env: Record<string, string>, timeout = 600_000) {
  return execa("sh", ["-c", line], { cwd, env, extendEnv: false, reject: false, all: true, timeout });
}

/** A long-running command in its own process group, stopped with the group. */
function background(line: string, cwd: string, env: Record<string, string>) {
  const child = execa("sh", ["-c", line], { cwd, env, extendEnv: false, reject: false, all: true, detached: true });
  return {
    child,
    async stop() {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      return child;
    },
  };
}

/** The first shell block of the generated AUTH.md (what add wrote: the auth's recipes) after `heading`. */
async function readmeBlock(root: string, heading: string): Promise<string> {
  const readme = await readFile(path.join(root, "AUTH.md"), "utf8");
  const at = readme.indexOf(heading);
  expect(at, heading).toBeGreaterThan(-1);
  return /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
}

const legs = [
  {
    name: "the registry (the README's npx line)",
    scaffold: () => "npx create-mcp-auth",
    scripts: () => `npx -y create-mcp-auth@${VERSION}`,
    env: () => shellEnv,
    wholeWorkflow: true,
  },
  {
    name: "an npm pack tarball",
    scaffold: () => `npx -y --package=${tarball} create-mcp-auth`,
    scripts: () => `npx -y --package=${tarball} create-mcp-auth`,
    // the public registry for the project's dependencies, as a user with a tarball has
    env: () => installEnv(),
    wholeWorkflow: false,
  },
  {
    name: "this clone",
    scaffold: () => `node ${path.join(repoRoot, "bin", "create-mcp-auth.js")}`,
    scripts: () => `node ${path.join(repoRoot, "bin", "create-mcp-auth.js")}`,
    env: () => installEnv(),
    wholeWorkflow: false,
  },
];

// .ci/run runs these legs once, on Node 20: the Node 24 pass sets CMA_SKIP_REGISTRY (they install three projects).
const skipRegistry = process.env.CMA_SKIP_REGISTRY === "1";
describe.skipIf(skipRegistry).each(legs)(
  skipRegistry
    ? "create-mcp-auth from $name (skipped: CMA_SKIP_REGISTRY=1, this CI run's Node 20 pass ran it)"
    : "create-mcp-auth from $name",
  (leg) => {
    let root = "";
    let port = 0;

    it("scaffolds and installs a project whose scripts call this same create-mcp-auth", async () => {
      root = path.join(work.dir, leg.name.replace(/\W+/g, "-"), "my-server");
      await mkdir(path.dirname(root), { recursive: true });
      port = await freePort();
      const created = await sh(
        `${leg.scaffold()} my-server --framework express --port ${port} --yes --no-git --no-check`,
        path.dirname(root),
        leg.env(),
      );
      expect(created.exitCode, String(created.all)).toBe(0);
      const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
      expect(pkg.scripts.token).toBe(`${leg.scripts()} issuer token`);
      expect(pkg.scripts.check).toBe(`${leg.scripts()} check --project .`);
      expect(pkg.scripts.issuer).toBe(`${leg.scripts()} issuer --scopes todo:read,todo:write`);
      expect(await readFile(path.join(root, ".env"), "utf8")).toContain(`${leg.scripts()} issuer`);
    }, 900_000);

    it("AUTH.md's recipes (npm run issuer, the server (npm run dev here), TOKEN=$(npm run -s token) && curl; check) work; without an issuer it stops before curl", async () => {
      expect(root, "the project was not created").not.toBe("");
      const recipe = await readmeBlock(root, "## Call a tool by hand");
      const check = await readmeBlock(root, "Check the running server's authorization from the outside");
      expect(check).toContain(`${leg.scripts()} check`);
      expect(recipe).toContain("TOKEN=$(npm run -s token) &&");
      const issuer = background("npm run issuer", root, leg.env());
      const server = background("npm run dev", root, leg.env());
      try {
        await waitFor("npm run issuer", async () => (await fetch(`http://127.0.0.1:${ISSUER_PORT}/_dev/info`)).ok, 120_000);
        await waitFor(
          "npm run dev",
          async () => (await sh(`curl -sf http://localhost:${port}/healthz`, root, leg.env(), 10_000)).exitCode === 0,
          120_000,
        );
        const called = await sh(recipe, root, leg.env());
        expect(called.exitCode, String(called.all)).toBe(0);
        // The whoami tool answers with the token's subject: the server accepted the token.
        expect(called.stdout).toMatch(/"result"/);
        expect(called.stdout).not.toMatch(/invalid_token|"error"/);
        // The README's outside check of the running server, with the local issuer.
        const checked = await sh(check, root, leg.env());
        expect(checked.exitCode, String(checked.all)).toBe(0);
      } finally {
        await issuer.stop();
      }
      try {
        // No issuer: the token command fails loudly and the recipe stops there (curl never runs).
        const stopped = await sh(recipe, root, leg.env());
        expect(stopped.exitCode).not.toBe(0);
        expect(stopped.stdout).toBe("");
        expect(stopped.stderr).toMatch(/no local issuer answers/);
      } finally {
        await server.stop();
      }
    }, 600_000);

    it(leg.wholeWorkflow
      ? "every step of the generated CI workflow passes"
      : "the CI workflow's self-check step (npm run check) passes", async () => {
      expect(root, "the project was not created").not.toBe("");
      const { errors, jobs } = await workflowSteps(await readFile(path.join(root, ".github", "workflows", "ci.yml"), "utf8"));
      expect(errors).toEqual([]);
      const steps = jobs[0]!.steps;
      expect(steps.at(-1)).toBe("npm run check");
      for (const step of leg.wholeWorkflow ? steps : ["npm run check"]) {
        const result = await sh(step, root, leg.env());
        expect(result.exitCode, `${step}\n${result.all}`).toBe(0);
      }
    }, 900_000);
  },
);
