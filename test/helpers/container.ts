import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { runCheck } from "../../src/check/index.js";
import { startIssuer } from "../../src/issuer/index.js";
import { freePort } from "../../src/selfcheck.js";

/**
 * Podman, when this machine has it (.ci/run installs it), with its own
 * storage and settings under a temporary directory: nothing of the machine's
 * container state is used or changed. runc, no per-container rlimits and no
 * cgroup manager, so it also runs inside an unprivileged sandbox.
 */
export async function podman() {
  const found = await execa("podman", ["--version"], { reject: false });
  if (found.exitCode !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "cma-podman-"));
  const conf = path.join(dir, "containers.conf");
  writeFileSync(conf, '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n');
  const base = ["--root", path.join(dir, "storage"), "--runroot", path.join(dir, "run")];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  return {
    /** The podman command line with this storage, and the environment it needs: what a `docker` stand-in runs. */
    command: ["podman", ...base],
    env: { CONTAINERS_CONF: conf },
    run: (args: string[]) => execa("podman", [...base, ...args], { env, all: true, reject: false }),
    /** Unmounts and removes what this storage holds, then the directory. */
    cleanup: async () => {
      await execa("podman", [...base, "system", "reset", "--force"], { env, reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A node base image built from this machine (its Node.js, its npm, busybox for
 * a shell, its CA bundle), since no registry of container images is reachable
 * here. The generated Dockerfile takes it through its NODE_IMAGE argument.
 */
function baseRootfs(): string {
  const root = mkdtempSync(path.join(tmpdir(), "cma-rootfs-"));
  for (const dir of ["bin", "usr/bin", "usr/local/bin", "usr/local/lib/node_modules", "etc/ssl/certs", "tmp", "home/node", "root"])
    mkdirSync(path.join(root, dir), { recursive: true });
  cpSync("/bin/busybox", path.join(root, "bin", "busybox"));
  for (const tool of ["sh", "ls", "cat", "env", "id", "wget", "mkdir", "rm", "cp", "mv", "chmod", "ln", "grep", "sed", "test", "["]) {
    symlinkSync("busybox", path.join(root, "bin", tool));
  }
  symlinkSync("../../bin/busybox", path.join(root, "usr", "bin", "env"));
  cpSync(process.execPath, path.join(root, "usr", "local", "bin", "node"));
  const npmCli = process.env.npm_execpath && existsSync(process.env.npm_execpath) ? process.env.npm_execpath : realpathSync("/usr/bin/npm");
  cpSync(path.resolve(path.dirname(npmCli), ".."), path.join(root, "usr", "local", "lib", "node_modules", "npm"), { recursive: true });
  writeFileSync(
    path.join(root, "usr", "local", "bin", "npm"),
    '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
    { mode: 0o755 },
  );
  writeFileSync(path.join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n");
  writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nnode:x:1000:\n");
  const ca = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
  if (existsSync(ca)) cpSync(ca, path.join(root, "etc", "ssl", "certs", "ca-certificates.crt"));
  return root;
}

/** The node base image as a tar for `podman import` (or `docker import`); cleanup removes it. */
export async function nodeBaseTar(): Promise<{ tar: string; cleanup: () => void }> {
  const rootfs = baseRootfs();
  await copyLibraries(process.execPath, rootfs);
  const tar = `${rootfs}.tar`;
  await execa("tar", ["-C", rootfs, "-cf", tar, "."]);
  return {
    tar,
    cleanup: () => {
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(tar, { force: true });
    },
  };
}

/** The image settings the base needs, as `import --change` arguments. */
export const BASE_IMAGE_CHANGES = [
  "--change",
  "ENV PATH=/usr/local/bin:/usr/bin:/bin",
  "--change",
  "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
];

/** The shared libraries `binary` loads (ldd), copied to the same paths under `root`. */
async function copyLibraries(binary: string, root: string): Promise<void> {
  const { stdout } = await execa("ldd", [binary]);
  for (const lib of stdout.match(/\/\S+/g) ?? []) {
    const target = path.join(root, lib);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(realpathSync(lib), target);
  }
}

/**
 * The generated Dockerfile, for real: the image builds (with the project's
 * own lock file, dev dependencies in the build stage only), runs as a non-root
 * user, passes its HEALTHCHECK and the whole self-check, and stops with exit
 * code 0 on SIGTERM.
 */
export function containerSuite(root: () => string): void {
  const missing = !process.env.CI && !existsSync("/usr/bin/podman");
  it.skipIf(missing)(
    `the Dockerfile builds an image whose server passes the self-check, runs as non-root and stops cleanly${missing ? " (SKIPPED: no /usr/bin/podman, and not CI; apt-get install -y podman runc busybox-static)" : ""}`,
    async () => {
      const pod = await podman();
      expect(pod, "podman must be installed (.ci/run installs it)").toBeDefined();
      const base = await nodeBaseTar();
      try {
        const imported = await pod!.run(["import", ...BASE_IMAGE_CHANGES, base.tar, "localhost/cma-node:test"]);
        expect(imported.exitCode, imported.all).toBe(0);
        const built = await pod!.run([
          "build",
          "--format",
          "docker",
          "--network",
          "host",
          "--build-arg",
          "NODE_IMAGE=localhost/cma-node:test",
          "-t",
          "localhost/cma-project:test",
          root(),
        ]);
        expect(built.exitCode, built.all).toBe(0);

        const issuer = await startIssuer({ port: 0, quiet: true });
        let url = "";
        try {
          // The container shares the host's network: a port found free can be taken by another
          // test's server before the container binds it, so EADDRINUSE means another port.
          for (let attempt = 1; ; attempt++) {
            const port = await freePort();
            url = `http://127.0.0.1:${port}/mcp`;
            const env = {
              PORT: String(port),
              HOST: "127.0.0.1",
              MCP_SERVER_URL: url,
              SCALEKIT_ENVIRONMENT_URL: issuer.url,
              SCALEKIT_RESOURCE_ID: issuer.resourceId,
            };
            const started = await pod!.run([
              "run",
              "-d",
              "--name",
              "cma-test",
              "--network",
              "host",
              ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
              "localhost/cma-project:test",
            ]);
            expect(started.exitCode, started.all).toBe(0);
            const outcome = await untilHealthy(pod!, port);
            if (outcome === "healthy") break;
            const logs = (await pod!.run(["logs", "cma-test"])).all ?? "";
            await pod!.run(["rm", "-f", "cma-test"]);
            if (!(outcome === "exited" && logs.includes("EADDRINUSE") && attempt < 3)) {
              expect.fail(`the container's server did not become healthy (${outcome}):\n${logs}`);
            }
          }
          expect((await pod!.run(["exec", "cma-test", "id", "-u"])).all?.trim()).toBe("1000");
          const health = await pod!.run(["healthcheck", "run", "cma-test"]);
          expect(health.exitCode, health.all).toBe(0);

          const report = await runCheck({ url, issuer });
          expect(report.results.filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`)).toEqual([]);

          const stopped = await pod!.run(["stop", "--time", "15", "cma-test"]);
          expect(stopped.exitCode, stopped.all).toBe(0);
          const exitCode = await pod!.run(["inspect", "--format", "{{.State.ExitCode}}", "cma-test"]);
          expect(exitCode.all?.trim()).toBe("0");
        } finally {
          await pod!.run(["rm", "-f", "cma-test"]);
          await issuer.close();
        }
      } finally {
        base.cleanup();
        await pod?.cleanup();
      }
    },
    900_000,
  );
}

/** Polls container `name`'s /healthz until it answers 200, the container exits, or `timeoutMs` pass. */
export async function untilHealthy(
  pod: NonNullable<Awaited<ReturnType<typeof podman>>>,
  port: number,
  { name = "cma-test", timeoutMs = 30_000 }: { name?: string; timeoutMs?: number } = {},
): Promise<"healthy" | "exited" | "timed out"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return "healthy";
    const running = await pod.run(["inspect", "--format", "{{.State.Running}}", name]);
    if (running.all?.trim() === "false") return "exited";
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return "timed out";
}
