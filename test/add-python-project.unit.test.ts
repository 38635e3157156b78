import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { splice } from "../src/add/python/plan.js";
import { addPythonDependencies, readPythonProject, requirementName } from "../src/add/python/project.js";
import { pathPython, projectPython } from "../src/add/python/scan.js";

// Python add's project files: the manager, the declared packages, and dependencies added in the project's own
// format with every other byte kept.
const DEPS = ["pyjwt[crypto]>=2.10,<3", "httpx>=0.28,<1"];
let dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cma-pyproj-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function added(files: Record<string, string>, file: string): string | undefined {
  const p = readPythonProject(project(files));
  return addPythonDependencies(p, files[file] as string, file, DEPS);
}

describe("Python project files", () => {
  it("tells the manager from the files: uv (uv.lock or [tool.uv] or PEP 621), Poetry, Pipenv, pip, setuptools", () => {
    const pep621 = '[project]\nname = "x"\ndependencies = ["fastmcp>=2"]\n';
    expect(readPythonProject(project({ "pyproject.toml": pep621 })).manager).toBe("uv");
    expect(readPythonProject(project({ "pyproject.toml": pep621, "uv.lock": "" })).manager).toBe("uv");
    const poetry = '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nfastmcp = "^2.3"\n';
    const p = readPythonProject(project({ "pyproject.toml": poetry }));
    expect(p.manager).toBe("poetry");
    expect([...p.declared.keys()]).toEqual(["fastmcp"]);
    expect(readPythonProject(project({ Pipfile: '[packages]\nmcp = "*"\n' })).manager).toBe("pipenv");
    expect(readPythonProject(project({ "requirements.txt": "fastmcp==2.10.1\n", "server.py": "" })).manager).toBe("pip");
    expect(readPythonProject(project({ "setup.py": 'setup(install_requires=["mcp>=1.2"])\n' })).manager).toBe("setuptools");
    expect(requirementName("FastMCP[extra]>=2 ; python_version > '3.10'")).toBe("fastmcp");
  });

  it("reads the scripts of [project.scripts] and Poetry's [tool.poetry.scripts] (string entries; the table form is left out)", () => {
    const poetry =
      '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.11"\nfastmcp = "^4.2"\n\n' +
      '[tool.poetry.scripts]\nrecipes-mcp = "recipes_mcp.server:main"\nbuild-it = { reference = "build.py", type = "file" }\n';
    expect(readPythonProject(project({ "pyproject.toml": poetry })).scripts).toEqual({ "recipes-mcp": "recipes_mcp.server:main" });
    const both =
      '[project]\nname = "x"\ndependencies = []\n\n[project.scripts]\nserve = "a:main"\n\n[tool.poetry.scripts]\nserve = "b:main"\n';
    expect(readPythonProject(project({ "pyproject.toml": both })).scripts).toEqual({ serve: "a:main" });
  });

  it("adds to a multi-line dependencies array after the last item, in its indentation, its comment kept", () => {
    const text =
      '[project]\nname = "x"\ndependencies = [\n  "fastmcp>=2.3",  # the server\n  "uvicorn"\n]\n\n[tool.ruff]\nline-length = 100\n';
    expect(added({ "pyproject.toml": text }, "pyproject.toml")).toBe(
      '[project]\nname = "x"\ndependencies = [\n  "fastmcp>=2.3",  # the server\n  "uvicorn",\n  "pyjwt[crypto]>=2.10,<3",\n  "httpx>=0.28,<1",\n]\n\n[tool.ruff]\nline-length = 100\n',
    );
  });

  it("adds to a one-line array, and to an empty one", () => {
    expect(added({ "pyproject.toml": '[project]\ndependencies = ["mcp>=1.9"]\n' }, "pyproject.toml")).toBe(
      '[project]\ndependencies = ["mcp>=1.9", "pyjwt[crypto]>=2.10,<3", "httpx>=0.28,<1"]\n',
    );
    expect(added({ "pyproject.toml": "[project]\ndependencies = []\n" }, "pyproject.toml")).toBe(
      '[project]\ndependencies = ["pyjwt[crypto]>=2.10,<3", "httpx>=0.28,<1"]\n',
    );
  });

  it("Poetry and Pipenv get table entries, extras as inline tables; CRLF files stay CRLF", () => {
    const poetry =
      '[tool.poetry.dependencies]\r\npython = "^3.11"\r\nfastmcp = "^2.3"\r\n\r\n[build-system]\r\nrequires = ["poetry-core"]\r\n';
    expect(added({ "pyproject.toml": poetry }, "pyproject.toml")).toBe(
      '[tool.poetry.dependencies]\r\npython = "^3.11"\r\nfastmcp = "^2.3"\r\npyjwt = { version = ">=2.10,<3", extras = ["crypto"] }\r\nhttpx = ">=0.28,<1"\r\n\r\n[build-system]\r\nrequires = ["poetry-core"]\r\n',
    );
    const pipfile = '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nmcp = "*"\n\n[dev-packages]\n';
    expect(added({ Pipfile: pipfile }, "Pipfile")).toBe(
      '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nmcp = "*"\npyjwt = { version = ">=2.10,<3", extras = ["crypto"] }\nhttpx = ">=0.28,<1"\n\n[dev-packages]\n',
    );
  });

  it("requirements.txt gets lines at the end (a final newline added first when missing); setup.py is left to the user", () => {
    expect(added({ "requirements.txt": "fastmcp>=2" }, "requirements.txt")).toBe("fastmcp>=2\npyjwt[crypto]>=2.10,<3\nhttpx>=0.28,<1\n");
    expect(added({ "setup.py": 'setup(install_requires=["mcp"])\n' }, "setup.py")).toBeUndefined();
  });

  it("splice inserts and replaces at byte offsets, after multi-byte characters too", () => {
    const bytes = Buffer.from("a = 'é—x'\nmcp.run()\n");
    const at = bytes.indexOf("mcp.run(");
    const out = splice(bytes, [
      { at: bytes.indexOf("'\nmcp") + 1, text: "!" },
      { at, remove: "mcp.run(".length, text: "run_secured(mcp" },
    ]);
    expect(out.toString()).toBe("a = 'é—x'!\nrun_secured(mcp)\n");
  });

  it("the scan's Python: the project's .venv first; a pyenv shim on PATH resolved as pyenv chooses, without running it", () => {
    // A pyenv layout: shims/python3 (the slow shell script) and versions/<v>/bin/python3; a system python3 after it on PATH.
    const pyenv = project({});
    const system = project({});
    const touch = (file: string) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, "", { mode: 0o755 });
    };
    touch(path.join(pyenv, "shims/python3"));
    touch(path.join(pyenv, "versions/3.12.1/bin/python3"));
    touch(path.join(pyenv, "versions/3.11.7/bin/python3"));
    touch(path.join(system, "python3"));
    writeFileSync(path.join(pyenv, "version"), "3.11.7\n");
    const PATH = [path.join(pyenv, "shims"), system].join(path.delimiter);
    const app = project({ "server.py": "" });
    // The global version, then the project's .python-version (comments and several versions: the first installed), then PYENV_VERSION.
    expect(pathPython(app, { PATH })).toBe(path.join(pyenv, "versions/3.11.7/bin/python3"));
    writeFileSync(path.join(app, ".python-version"), "# pinned\n3.9.99 3.12.1\n");
    expect(pathPython(app, { PATH })).toBe(path.join(pyenv, "versions/3.12.1/bin/python3"));
    expect(pathPython(app, { PATH, PYENV_VERSION: "3.11.7" })).toBe(path.join(pyenv, "versions/3.11.7/bin/python3"));
    // "system": the next python3 on PATH; a version it cannot resolve (a prefix): the shim itself, still right.
    expect(pathPython(app, { PATH, PYENV_VERSION: "system" })).toBe(path.join(system, "python3"));
    expect(pathPython(app, { PATH, PYENV_VERSION: "3.12" })).toBe(path.join(pyenv, "shims/python3"));
    // No pyenv: the first python3 on PATH; none at all: python3 (the spawn then says there is none).
    expect(pathPython(app, { PATH: system })).toBe(path.join(system, "python3"));
    expect(pathPython(app, { PATH: "" })).toBe("python3");
    touch(path.join(app, ".venv/bin/python"));
    expect(projectPython(app, { PATH })).toBe(path.join(app, ".venv/bin/python"));
  });
});
