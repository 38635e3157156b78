/**
 * The matrix row of a Python framework, as a user runs it: `create --language python` with the built CLI
 * (uv sync and the self-check included) for each provider, then its CI workflow's steps as written (lint,
 * format, typecheck, its own tests), `check --project`, a SIGTERM drain, the official conformance suite, the
 * TypeScript v2 and v1 clients and the Python client (python-clients.ts), the load and fault suite
 * (python-load.ts), and on one framework the Dockerfile built and run (test/helpers/python-container.ts).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WriteJournal, writeProject } from "../../src/core/write.js";
import { resolveOptions } from "../../src/create/options.js";
import { renderPythonPlain } from "../../src/languages/python/render.js";
import { cleanEnv, runCli, tempDir } from "../helpers/cli.js";
import { openIdSuite } from "../helpers/openid.js";
import { conformanceSuite, EXPECTED_PROBES, type ProbeRow } from "../helpers/project.js";
import { pythonContainerSuite } from "../helpers/python-container.js";
import { workflowSteps } from "../helpers/workflow.js";
import { pythonClientsSuite } from "./python-clients.js";
import { pythonLoadSuite } from "./python-load.js";

interface Created {
  ok: boolean;
  start: string;
  language?: string;
  provider: string;
  check: { results: ProbeRow[] } | null;
}

async function createPython(framework: string, root: string, provider: string): Promise<Created> {
  const created = await runCli(
    [root, "--language", "python", "-f", framework, "--provider", provider, "-s", "todo:read,todo:write", "--yes", "--no-git", "--json"],
    { env: cleanEnv() },
  );
  let doc: Created;
  try {
    doc = JSON.parse(created.stdout) as Created;
  } catch {
    throw new Error(`create did not print JSON (exit ${created.exitCode}):\n${created.stderr}\n${created.stdout}`);
  }
  const failures = (doc.check?.results ?? []).filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`);
  expect(failures, created.stderr).toEqual([]);
  expect(created.exitCode, created.stderr).toBe(0);
  return doc;
}

/** `deploy`: also build and run the Dockerfile (the same for every framework: checked once). */
export function pythonFrameworkSuite(framework: string, { deploy = false }: { deploy?: boolean } = {}): void {
  for (const provider of ["scalekit", "oidc"]) {
    describe(`python ${framework} with ${provider}: create, uv sync, self-check, ruff, mypy, pytest, check --project`, () => {
      let work: { dir: string; cleanup: () => Promise<void> };
      const root = () => path.join(work.dir, `py-${framework}-${provider}`);
      beforeAll(async () => {
        work = await tempDir(`cma-py-${framework}-`);
      });
      afterAll(() => work.cleanup());

      it("create installs it with uv sync and its self-check (started with uv run serve) passes every probe", async () => {
        const doc = await createPython(framework, root(), provider);
        expect(doc.start).toBe("uv run serve");
        expect(doc.provider).toBe(provider);
        expect(doc.check?.results.map((r) => r.id)).toEqual(expect.arrayContaining(EXPECTED_PROBES));
      }, 600_000);

      it("its CI workflow is valid and its run: steps, as written (uv sync, ruff, ruff format, mypy strict, pytest: both eras, 401/403/Origin, key-set faults), pass in the project", async () => {
        const { errors, jobs } = await workflowSteps(await readFile(path.join(root(), ".github", "workflows", "ci.yml"), "utf8"));
        expect(errors).toEqual([]);
        expect(jobs.map((j) => j.id)).toEqual(["test"]);
        const steps = jobs[0]!.steps;
        expect(steps).toEqual(["uv sync", "uv run ruff check .", "uv run ruff format --check .", "uv run mypy", "uv run pytest"]);
        let output = "";
        for (const step of steps) {
          const result = await execa("sh", ["-c", step], { cwd: root(), env: cleanEnv(), reject: false, all: true });
          expect(result.exitCode, `${step}\n${String(result.all)}`).toBe(0);
          output = String(result.all);
        }
        expect(output).toMatch(/\d+ passed/);
        expect(output).not.toMatch(/failed|skipped/);
      }, 600_000);

      it("check --project passes again", async () => {
        const check = await runCli(["check", "--project", root(), "--json"], { env: cleanEnv() });
        expect(check.exitCode, check.stderr).toBe(0);
      }, 300_000);

      if (provider === "scalekit") {
        it("SIGTERM: the server drains and exits 0", async () => {
          const { freePort } = await import("../../src/selfcheck.js");
          const port = await freePort();
          const url = `http://127.0.0.1:${port}/mcp`;
          const server = execa(".venv/bin/serve", [], {
            cwd: root(),
            env: cleanEnv({
              MCP_SERVER_URL: url,
              PORT: String(port),
              SCALEKIT_ENVIRONMENT_URL: "http://127.0.0.1:9",
              SCALEKIT_RESOURCE_ID: "res_x",
            }),
            reject: false,
            all: true,
            // uvicorn drains for up to 10 s; execa's default SIGKILL after 5 s would cut that short on a busy machine.
            forceKillAfterDelay: 30_000,
          });
          const deadline = Date.now() + 60_000;
          while (
            (await fetch(`http://127.0.0.1:${port}/healthz`).then(
              (r) => r.status,
              () => 0,
            )) !== 200
          ) {
            expect(Date.now(), "the server did not start").toBeLessThan(deadline);
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          server.kill("SIGTERM");
          const exited = await server;
          expect(exited.exitCode, `${exited.signal ?? ""} ${String(exited.all)}`).toBe(0);
        }, 120_000);

        conformanceSuite(`python ${framework}`, root, {
          name: "its plain server",
          start: () => startPlainPythonServer(framework, path.dirname(root())),
          timeoutMs: 900_000,
        });
        pythonClientsSuite(framework, root);
        pythonLoadSuite(framework, root);
        if (deploy) pythonContainerSuite(root);
      } else {
        openIdSuite(`python ${framework}`, root);
      }
    });
  }
}

/** The plain server of `framework` (the template without auth), installed and started on a free port. */
async function startPlainPythonServer(framework: string, dir: string) {
  const options = resolveOptions({ dir: "plain", framework, language: "python", yes: true }, {}, dir);
  const files = await renderPythonPlain(options);
  await writeProject(options.root, files, new WriteJournal(options.root));
  const sync = await execa("uv", ["sync", "--quiet"], { cwd: options.root, reject: false, all: true, env: cleanEnv() });
  expect(sync.exitCode, String(sync.all)).toBe(0);
  const { freePort } = await import("../../src/selfcheck.js");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const child = execa("uv", ["run", "serve"], {
    cwd: options.root,
    env: cleanEnv({ MCP_SERVER_URL: url, PORT: String(port) }),
    reject: false,
    all: true,
  });
  const deadline = Date.now() + 90_000;
  while (
    (await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error("the plain Python server did not start");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    close: async () => {
      child.kill("SIGTERM");
      await child;
    },
  };
}
