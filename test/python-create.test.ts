import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../src/create/options.js";
import { renderCreatedProject as renderProject } from "../src/create/project.js";
import { findFramework } from "../src/frameworks.js";
import { pythonEnvValue, pythonModuleName, pythonProjectName } from "../src/languages/python/literals.js";
import { runCli } from "./helpers/cli.js";

const cwd = tmpdir();

function options(flags: Record<string, string>) {
  return resolveOptions({ dir: "py-server", scopes: "todo:read,todo:write", yes: true, ...flags }, {}, cwd);
}

describe("python: choosing the language", () => {
  it("-f fastapi alone means python; -f fastmcp alone stays TypeScript; --language python -f fastmcp is FastMCP 4", () => {
    expect(options({ framework: "fastapi" }).language).toBe("python");
    expect(options({ framework: "fastmcp" }).language).toBe("typescript");
    const py = options({ framework: "fastmcp", language: "python" });
    expect(py.language).toBe("python");
    expect(py.framework.display).toBe("FastMCP (Python)");
    expect(options({ language: "python" }).framework).toBe(findFramework("fastmcp", "python"));
  });

  it("a framework of the other language is refused with the choices", () => {
    expect(() => options({ framework: "express", language: "python" })).toThrow(/express.*python.*fastmcp, fastapi/s);
    expect(() => options({ framework: "fastapi", language: "typescript" })).toThrow(/fastapi.*typescript/s);
  });
});

describe("python: the rendered project", () => {
  it.each([
    ["fastmcp", "scalekit"],
    ["fastapi", "oidc"],
  ])("%s with %s: a uv project with the package, the auth core, the seam and the same .env variables", async (framework, provider) => {
    const opts = options({ framework, language: "python", provider });
    const files = await renderProject(opts);
    const paths = files.map((f) => f.path);
    for (const file of [
      "pyproject.toml",
      ".env.example",
      ".gitignore",
      "README.md",
      "AUTH.md",
      "Dockerfile",
      ".dockerignore",
      ".github/workflows/ci.yml",
      "src/py_server/server.py",
      "src/py_server/mcp_auth/middleware.py",
      "src/py_server/mcp_auth/keyset.py",
      "src/py_server/mcp_auth/seam.py",
      "src/py_server/mcp_auth/provider.py",
      `src/py_server/mcp_auth/${framework === "fastmcp" ? "fastmcp_auth" : "sdk_auth"}.py`,
      "tests/test_mcp_auth.py",
      "tests/test_mcp_auth_keyset.py",
    ])
      expect(paths).toContain(file);
    expect(paths.some((p) => p.includes("__pkg__") || p.endsWith(".hbs") || p === "package.json")).toBe(false);
    const text = (name: string) => files.find((f) => f.path === name)!.content.toString();
    expect(text("pyproject.toml")).toContain('serve = "py_server.main:serve"');
    expect(text("pyproject.toml")).toMatch(framework === "fastmcp" ? /"fastmcp>=4\.2,<5"/ : /"mcp>=2\.3,<3"/);
    expect(text("src/py_server/mcp_auth/policy.py")).toContain('"todo_read": ["todo:read"]');
    const names = text(".env.example")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split("=")[0]);
    const typescript = await renderProject(options({ framework: "express", provider }));
    const tsNames = typescript
      .find((f) => f.path === ".env.example")!
      .content.toString()
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split("=")[0]);
    // The same variables; a TypeScript .env.example lists the plain server's first (PORT, HOST), then what add appends.
    expect([...names].sort()).toEqual([...tsNames].sort());
  });

  it("the module name never shadows a dependency or a keyword", () => {
    expect(pythonModuleName("my-server")).toBe("my_server");
    expect(pythonModuleName("mcp")).toBe("mcp_server");
    expect(pythonModuleName("fastmcp")).toBe("fastmcp_server");
    expect(pythonModuleName("class")).toBe("class_server");
    expect(pythonModuleName("3d")).toBe("mcp_3d");
    expect(pythonProjectName("_x.y~z-")).toBe("x.y-z");
  });

  it(".env values read back exactly with python-dotenv's rules", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cma-pyenv-"));
    try {
      const values = ["https://a.example.com/x", "it's", 'a"b', "back\\slash", "#hash", " spaced "];
      writeFileSync(path.join(dir, ".env"), values.map((v, i) => `V${i}=${pythonEnvValue(v)}\n`).join(""));
      const script = "import json,sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))";
      let read: string;
      try {
        read = execFileSync(
          "uv",
          ["run", "--quiet", "--no-project", "--with", "python-dotenv>=1.1,<2", "python", "-c", script, path.join(dir, ".env")],
          {
            encoding: "utf8",
          },
        );
      } catch (error) {
        throw new Error(`uv (pip install uv) is needed for this test: ${(error as Error).message}`);
      }
      expect(Object.values(JSON.parse(read))).toEqual(values);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("python: the built CLI", () => {
  it("writes exactly what the source renderer renders (precompiled templates)", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "cma-pybuilt-"));
    try {
      for (const framework of ["fastmcp", "fastapi"]) {
        const dir = path.join(work, `built-${framework}`);
        const built = await runCli([dir, "--language", "python", "-f", framework, "--yes", "--no-install", "--no-git"]);
        expect(built.exitCode, built.stderr).toBe(0);
        const expected = await renderProject(
          resolveOptions({ dir: `built-${framework}`, framework, language: "python", yes: true }, {}, work),
        );
        for (const file of expected) expect(readFileSync(path.join(dir, file.path)).equals(file.content), file.path).toBe(true);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("python: create --json", () => {
  it("reports start: uv run serve for Python, npm start for TypeScript", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "cma-pystart-"));
    try {
      const py = await runCli([path.join(work, "p"), "-f", "fastapi", "--yes", "--no-install", "--no-git", "--json"]);
      expect(py.exitCode, py.stderr).toBe(0);
      expect(JSON.parse(py.stdout)).toMatchObject({ start: "uv run serve", framework: "fastapi" });
      const ts = await runCli([path.join(work, "t"), "-f", "hono", "--yes", "--no-install", "--no-git", "--json"]);
      expect(JSON.parse(ts.stdout)).toMatchObject({ start: "npm start", framework: "hono" });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
