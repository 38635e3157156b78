import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { runCheck } from "../../src/check/index.js";
import { startIssuer } from "../../src/issuer/index.js";
import { freePort, projectProvider } from "../../src/selfcheck.js";
import { podman, untilHealthy } from "./container.js";

/** The shared libraries `binary` loads (ldd), copied to the same paths under `root`. */
function copyLibraries(binary: string, root: string): void {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  for (const lib of out.match(/\/\S+/g) ?? []) {
    const target = path.join(root, lib);
    if (existsSync(target)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(realpathSync(lib), target);
  }
}

/** The standard library's parts a server never imports: left out of the image to keep it small. */
const UNUSED_STDLIB = new Set(["test", "site-packages", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data"]);

/**
 * A `python:3.x-slim` stand-in built from this machine, since no registry of container images is reachable
 * here: this machine's python3 (the interpreter uv uses) under /usr/local with its standard library and
 * extension modules and the libraries they load, busybox for a shell, the CA bundle (uv reaches PyPI with it
 * during the build), and the `nobody` user. The generated Dockerfile takes it through its PYTHON_IMAGE argument.
 */
function pythonRootfs(): { root: string; version: string } {
  const info = JSON.parse(
    execFileSync(
      "python3",
      ["-c", "import json, sys; print(json.dumps([sys.base_prefix, f'{sys.version_info[0]}.{sys.version_info[1]}']))"],
      {
        encoding: "utf8",
      },
    ),
  ) as [string, string];
  const [prefix, version] = info;
  const root = mkdtempSync(path.join(tmpdir(), "cma-pyrootfs-"));
  for (const dir of ["bin", "usr/bin", "usr/local/bin", "usr/local/lib", "etc/ssl/certs", "tmp", "root"])
    mkdirSync(path.join(root, dir), { recursive: true });
  chmodSync(path.join(root, "tmp"), 0o1777);
  cpSync("/bin/busybox", path.join(root, "bin", "busybox"));
  for (const tool of ["sh", "ls", "cat", "env", "id", "mkdir", "rm", "cp", "mv", "chmod", "ln", "test", "["])
    symlinkSync("busybox", path.join(root, "bin", tool));
  symlinkSync("../../bin/busybox", path.join(root, "usr", "bin", "env"));
  const python = path.join(root, "usr", "local", "bin", `python${version}`);
  cpSync(realpathSync(path.join(prefix, "bin", `python${version}`)), python);
  for (const alias of ["python3", "python"]) symlinkSync(`python${version}`, path.join(root, "usr", "local", "bin", alias));
  for (const file of readdirSync(path.join(prefix, "lib")).filter((f) => f.startsWith("libpython")))
    cpSync(path.join(prefix, "lib", file), path.join(root, "usr", "local", "lib", file));
  const stdlib = path.join(prefix, "lib", `python${version}`);
  cpSync(stdlib, path.join(root, "usr", "local", "lib", `python${version}`), {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(stdlib, source).split(path.sep);
      return !UNUSED_STDLIB.has(rel[0]!) && !rel.includes("__pycache__") && !/_tkinter/.test(source);
    },
  });
  mkdirSync(path.join(root, "usr", "local", "lib", `python${version}`, "site-packages"), { recursive: true });
  copyLibraries(realpathSync(path.join(prefix, "bin", `python${version}`)), root);
  const dynload = path.join(stdlib, "lib-dynload");
  for (const ext of readdirSync(dynload).filter((f) => f.endsWith(".so") && !f.includes("tkinter")))
    copyLibraries(path.join(dynload, ext), root);
  writeFileSync(path.join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n");
  writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  const ca = process.env.SSL_CERT_FILE ?? process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
  if (existsSync(ca)) cpSync(ca, path.join(root, "etc", "ssl", "certs", "ca-certificates.crt"));
  return { root, version };
}

/** The uv binary this machine runs (the wheel from PyPI puts it beside its Python package). */
function uvBinary(): string {
  try {
    return realpathSync(execFileSync("python3", ["-c", "import uv; print(uv.find_uv_bin())"], { encoding: "utf8" }).trim());
  } catch {
    return realpathSync(execFileSync("sh", ["-c", "command -v uv"], { encoding: "utf8" }).trim());
  }
}

/** That binary alone at /uv: the UV_IMAGE stand-in. */
function uvRootfs(uv: string): string {
  const root = mkdtempSync(path.join(tmpdir(), "cma-uvrootfs-"));
  cpSync(uv, path.join(root, "uv"));
  return root;
}

type Pod = NonNullable<Awaited<ReturnType<typeof podman>>>;

async function importRootfs(pod: Pod, root: string, tag: string, changes: string[]): Promise<void> {
  const tar = `${root}.tar`;
  await execa("tar", ["-C", root, "-cf", tar, "."]);
  try {
    const imported = await pod.run(["import", ...changes.flatMap((c) => ["--change", c]), tar, tag]);
    expect(imported.exitCode, imported.all).toBe(0);
  } finally {
    rmSync(tar, { force: true });
  }
}

/**
 * The generated Python Dockerfile, for real: the image builds (uv sync from the project's lock file, the
 * project installed into the venv, no dev dependencies, no uv in the final image), its server runs as a
 * non-root user, passes its HEALTHCHECK and the whole self-check against a local issuer, and stops with
 * exit code 0 on SIGTERM.
 */
export function pythonContainerSuite(root: () => string): void {
  const missing = !process.env.CI && !existsSync("/usr/bin/podman");
  it.skipIf(missing)(
    `the Dockerfile builds an image whose server passes the self-check, runs as non-root and stops cleanly${missing ? " (SKIPPED: no /usr/bin/podman, and not CI; apt-get install -y podman runc busybox-static)" : ""}`,
    async () => {
      const pod = await podman();
      expect(pod, "podman must be installed (.ci/run installs it)").toBeDefined();
      const python = pythonRootfs();
      const uvBin = uvBinary();
      const uv = uvRootfs(uvBin);
      copyLibraries(uvBin, python.root); // what uv needs in the build stage (libgcc_s), as the slim image has it
      const name = "cma-py-test";
      try {
        await importRootfs(pod!, python.root, "localhost/cma-python:test", [
          "ENV PATH=/usr/local/bin:/usr/bin:/bin",
          "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
          "ENV LANG=C.UTF-8",
        ]);
        await importRootfs(pod!, uv, "localhost/cma-uv:test", []);
        const built = await pod!.run([
          "build",
          "--format",
          "docker",
          "--network",
          "host",
          "--build-arg",
          "PYTHON_IMAGE=localhost/cma-python:test",
          "--build-arg",
          "UV_IMAGE=localhost/cma-uv:test",
          "-t",
          "localhost/cma-py-project:test",
          root(),
        ]);
        expect(built.exitCode, built.all).toBe(0);
        // The final image has the venv, no uv, no source tree, no dev tools.
        const listed = await pod!.run([
          "run",
          "--rm",
          "localhost/cma-py-project:test",
          "sh",
          "-c",
          "ls /bin/uv /app/src /app/.venv/bin/pytest /app/.venv/bin/mypy 2>&1; ls /app/.venv/bin/serve",
        ]);
        expect(listed.all).toMatch(/\/app\/\.venv\/bin\/serve/);
        expect(listed.all).not.toMatch(/^\/bin\/uv$|^\/app\/src$|^\/app\/\.venv\/bin\/pytest$/m);

        const issuer = await startIssuer({ port: 0, quiet: true, layout: projectProvider(root()).issuerLayout });
        let url = "";
        try {
          // The container shares the host's network: a port found free can be taken before the container binds it.
          for (let attempt = 1; ; attempt++) {
            const port = await freePort();
            url = `http://127.0.0.1:${port}/mcp`;
            const env = {
              ...projectProvider(root()).selfCheckEnv(issuer, url),
              PORT: String(port),
              HOST: "127.0.0.1",
              MCP_SERVER_URL: url,
            };
            const started = await pod!.run([
              "run",
              "-d",
              "--name",
              name,
              "--network",
              "host",
              ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
              "localhost/cma-py-project:test",
            ]);
            expect(started.exitCode, started.all).toBe(0);
            const outcome = await untilHealthy(pod!, port, { name, timeoutMs: 60_000 });
            if (outcome === "healthy") break;
            const logs = (await pod!.run(["logs", name])).all ?? "";
            await pod!.run(["rm", "-f", name]);
            if (!(outcome === "exited" && /address already in use/i.test(logs) && attempt < 3))
              expect.fail(`the container's server did not become healthy (${outcome}):\n${logs}`);
          }
          const uid = (await pod!.run(["exec", name, "id", "-u"])).all?.trim();
          expect(uid).toMatch(/^\d+$/);
          expect(uid).not.toBe("0");
          const health = await pod!.run(["healthcheck", "run", name]);
          expect(health.exitCode, health.all).toBe(0);

          const report = await runCheck({ url, issuer });
          expect(report.results.filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`)).toEqual([]);

          const stopped = await pod!.run(["stop", "--time", "15", name]);
          expect(stopped.exitCode, stopped.all).toBe(0);
          const exitCode = await pod!.run(["inspect", "--format", "{{.State.ExitCode}}", name]);
          expect(exitCode.all?.trim(), (await pod!.run(["logs", name])).all).toBe("0");
        } finally {
          await pod!.run(["rm", "-f", name]);
          await issuer.close();
        }
      } finally {
        rmSync(python.root, { recursive: true, force: true });
        rmSync(uv, { recursive: true, force: true });
        await pod?.cleanup();
      }
    },
    900_000,
  );
}
