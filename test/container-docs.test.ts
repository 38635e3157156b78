/**
 * The container lines a generated project documents, run as pasted (issue 21
 * point 7): README's `docker build` and `docker run -p ... --env-file .env`,
 * and AUTH.md's local-mode `docker run --network host --env-file .env` with
 * `npm run issuer` beside it and AUTH.md's own `check` line against it.
 * Docker when it answers; otherwise podman stands in for it (a `docker` on
 * PATH running podman with storage of its own). No image registry is
 * reachable, so the Dockerfile's default base image name is given to a node
 * image built from this machine (test/helpers/container.ts) beforehand.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../src/selfcheck.js";
import { cleanEnv, runCli, tempDir } from "./helpers/cli.js";
import { BASE_IMAGE_CHANGES, nodeBaseTar, podman } from "./helpers/container.js";

const dockerWorks = async () => (await execa("docker", ["info"], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const missing = !process.env.CI && !existsSync("/usr/bin/podman");

let work: { dir: string; cleanup: () => Promise<void> };
let pod: Awaited<ReturnType<typeof podman>>;
let env: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = await tempDir("cma-container-docs-");
  env = cleanEnv();
  if (missing || (await dockerWorks())) return;
  pod = await podman();
  if (!pod) return;
  // `docker` on PATH: podman with this test's storage.
  const bin = path.join(work.dir, "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "docker"), `#!/bin/sh\nexec ${pod.command.map((a) => `'${a}'`).join(" ")} "$@"\n`);
  chmodSync(path.join(bin, "docker"), 0o755);
  env = cleanEnv({ ...pod.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` });
}, 60_000);

afterAll(async () => {
  for (const child of children) stopGroup(child, "SIGKILL");
  if (pod) {
    await pod.run(["rm", "-f", "--all"]);
    await pod.cleanup();
  }
  await work?.cleanup();
}, 120_000);

/** A documented line, run by a shell in the project as a user would paste it. */
const sh = (line: string, cwd: string) => execa("sh", ["-c", line], { cwd, env, extendEnv: false, reject: false, all: true });

/** The same, left running (a foreground `docker run`, the issuer). */
function start(line: string, cwd: string): { child: ChildProcess; output: () => string } {
  let output = "";
  // Its own process group, stopped as a whole (npm's children included).
  const child = spawn("sh", ["-c", line], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  children.push(child);
  return { child, output: () => output };
}

async function until(what: string, ok: () => Promise<boolean>, log: () => string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) expect.fail(`${what} did not happen within ${ms / 1000} s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

async function stopAll(): Promise<void> {
  await sh("docker ps -q | xargs -r docker stop --time 15", work.dir);
}

/** Every `docker ...` command in backquotes of a markdown file. */
function dockerLines(markdown: string): string[] {
  return [...markdown.replace(/\n\s*/g, " ").matchAll(/`(docker [^`]+)`/g)].map((m) => m[1]!);
}

it.skipIf(missing)(
  `README's and AUTH.md's container lines work as pasted, local mode included${missing ? " (SKIPPED: no /usr/bin/podman, and not CI; apt-get install -y podman runc busybox-static)" : ""}`,
  async () => {
    expect(pod ?? (await dockerWorks()), "docker, or podman to stand in for it (.ci/run installs podman)").toBeTruthy();
    const port = await freePort();
    const created = await runCli(["notes-server", "--yes", "--no-install", "--no-git", "--no-check", "--port", String(port)], {
      cwd: work.dir,
    });
    expect(created.exitCode, created.stderr).toBe(0);
    const project = path.join(work.dir, "notes-server");
    const readme = dockerLines(await readFile(path.join(project, "README.md"), "utf8"));
    const auth = await readFile(path.join(project, "AUTH.md"), "utf8");
    const build = readme.find((l) => l.startsWith("docker build"))!;
    const run = readme.find((l) => l.startsWith("docker run"))!;
    const local = dockerLines(auth).find((l) => l.includes("--network host"))!;
    expect([build, run, local]).toEqual([
      "docker build -t notes-server .",
      `docker run -p ${port}:${port} --env-file .env notes-server`,
      "docker run --network host --env-file .env notes-server",
    ]);
    // The Dockerfile's own comment says the same.
    const dockerfile = await readFile(path.join(project, "Dockerfile"), "utf8");
    expect(dockerfile).toContain(`# Build: ${build}\n# Run:   ${run}\n`);

    // The Dockerfile's default base image, made here.
    const from = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1]!;
    const base = await nodeBaseTar();
    try {
      const imported = await sh(`docker import ${BASE_IMAGE_CHANGES.map((a) => `'${a}'`).join(" ")} '${base.tar}' '${from}'`, work.dir);
      expect(imported.exitCode, imported.all).toBe(0);
    } finally {
      base.cleanup();
    }

    const built = await sh(build, project);
    expect(built.exitCode, built.all).toBe(0);

    // README: published port, .env's values (the server URL among them) reach the server.
    const published = start(run, project);
    const url = `http://localhost:${port}/mcp`;
    await until(
      "the published container answering /healthz",
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200,
      published.output,
    );
    const prm = await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`)).json();
    // The values of .env as written (unquoted: `--env-file` takes every character after `=`).
    expect(prm).toMatchObject({ resource: url, authorization_servers: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:4444(\/|$)/)] });
    await stopAll();
    await until("the published container stopping", async () => published.child.exitCode !== null, published.output, 30_000);
    expect(published.child.exitCode, published.output()).toBe(0);

    // AUTH.md, local mode: the issuer on this machine, the container on its network, then AUTH.md's check line.
    const issuer = start("npm run issuer", project);
    await until(
      "npm run issuer listening on 127.0.0.1:4444",
      async () => (await fetch("http://127.0.0.1:4444/keys")).ok,
      issuer.output,
      60_000,
    );
    const container = start(local, project);
    await until(
      "the host-network container answering /healthz",
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
      container.output,
    );
    const checkLine = /^(.* check http:\/\/localhost:\d+\/mcp --issuer http:\/\/127\.0\.0\.1:4444)$/m.exec(auth)?.[1];
    expect(checkLine, "AUTH.md's check line").toBeDefined();
    const checked = await sh(checkLine!, project);
    expect(checked.exitCode, checked.all).toBe(0);
    expect(checked.all).toMatch(/\b0 failed\b/);
    await stopAll();
    stopGroup(issuer.child, "SIGTERM");
  },
  900_000,
);
