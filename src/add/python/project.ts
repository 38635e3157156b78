/**
 * A Python project's files: which manager owns it (uv, Poetry, hatch, Pipenv,
 * pip with requirements*.txt, setup.py), the packages it declares, and how
 * dependencies are added in its own format. Text in, text out: every edit is
 * an insertion, the rest of the file is kept byte for byte.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { readText } from "../guard.js";

export type PythonManager = "uv" | "poetry" | "hatch" | "pipenv" | "pip" | "setuptools";

/** The command that runs a program in the project's environment: the manager's `run`, or nothing (requirements.txt: the .venv's own). */
export function pythonRunner(manager: PythonManager): string[] {
  if (manager === "uv" || manager === "hatch") return ["uv", "run"];
  if (manager === "poetry") return ["poetry", "run"];
  if (manager === "pipenv") return ["pipenv", "run"];
  return [];
}

export interface PythonProjectFiles {
  manager: PythonManager;
  /** The files that declare dependencies, relative to the root, the one add edits first. */
  files: string[];
  /** Lower-case normalized names (PEP 503) of every declared package. */
  declared: Map<string, string>;
  /** `[project.scripts]`: script name -> "module:function". */
  scripts: Record<string, string>;
  pyproject?: string;
}

/** Any sign of a Python project: the files a manager reads, or Python sources at the root or in src/. */
export function looksLikePython(root: string): boolean {
  if (["pyproject.toml", "Pipfile", "setup.py", "setup.cfg"].some((f) => existsSync(path.join(root, f)))) return true;
  try {
    const names = readdirSync(root);
    if (names.some((n) => /^requirements.*\.txt$/.test(n) || n.endsWith(".py"))) return true;
  } catch {
    return false;
  }
  return false;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The name of a requirement string: `fastmcp[x]>=2; python_version>"3"` -> fastmcp. */
export function requirementName(spec: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return m ? normalizeName(m[1] as string) : undefined;
}

/** The TOML table `[name]`'s body: from after its header line to the next header. */
export function tomlTable(text: string, name: string): { start: number; end: number } | undefined {
  const header = new RegExp(`^\\[${name.replace(/\./g, "\\.")}\\][ \\t]*(#.*)?$`, "m").exec(text);
  if (!header) return undefined;
  const nl = text.indexOf("\n", header.index);
  const start = nl === -1 ? text.length : nl + 1;
  const next = /^\[/m.exec(text.slice(start));
  return { start, end: next ? start + next.index : text.length };
}

/** The string items of a TOML array starting at `open` (the `[`), and the offset of its closing `]`. */
export function tomlArray(text: string, open: number): { items: string[]; close: number; lastEnd?: number } | undefined {
  const items: string[] = [];
  let lastEnd: number | undefined;
  let i = open + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "]") return { items, close: i, ...(lastEnd !== undefined ? { lastEnd } : {}) };
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? text.length : nl;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      let value = "";
      while (j < text.length && !text.startsWith(quote, j)) {
        if (c === '"' && text[j] === "\\") {
          value += text[j + 1] ?? "";
          j += 2;
          continue;
        }
        value += text[j];
        j++;
      }
      items.push(value);
      i = j + quote.length;
      lastEnd = i;
      continue;
    }
    i++;
  }
  return undefined;
}

function keyValues(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

function pep621Dependencies(text: string): { items: string[]; open: number; close: number; lastEnd?: number } | undefined {
  const table = tomlTable(text, "project");
  if (!table) return undefined;
  const body = text.slice(table.start, table.end);
  const m = /^dependencies\s*=\s*\[/m.exec(body);
  if (!m) return undefined;
  const open = table.start + m.index + m[0].length - 1;
  const array = tomlArray(text, open);
  return array ? { ...array, open } : undefined;
}

export function readPythonProject(root: string): PythonProjectFiles {
  const pyproject = readText(root, "pyproject.toml");
  const declared = new Map<string, string>();
  const scripts: Record<string, string> = {};
  const files: string[] = [];
  let manager: PythonManager | undefined;
  if (pyproject !== undefined) {
    const deps = pep621Dependencies(pyproject);
    for (const item of deps?.items ?? []) {
      const name = requirementName(item);
      if (name) declared.set(name, item);
    }
    const poetry = tomlTable(pyproject, "tool.poetry.dependencies");
    if (poetry) {
      for (const [name, value] of keyValues(pyproject.slice(poetry.start, poetry.end)))
        if (normalizeName(name) !== "python") declared.set(normalizeName(name), `${name} = ${value}`);
    }
    // [project.scripts], and Poetry's own [tool.poetry.scripts] (string entries: "module:function").
    for (const name of ["project.scripts", "tool.poetry.scripts"]) {
      const table = tomlTable(pyproject, name);
      if (!table) continue;
      for (const [script, value] of keyValues(pyproject.slice(table.start, table.end)))
        if (/^["'][^"']+["']$/.test(value) && !(script in scripts)) scripts[script] = value.replace(/^["']|["']$/g, "");
    }
    if (poetry && !deps) manager = "poetry";
    else if (existsSync(path.join(root, "uv.lock")) || /^\[tool\.uv[.\]]/m.test(pyproject)) manager = "uv";
    else if (/^\[tool\.hatch[.\]]/m.test(pyproject) && !deps) manager = "hatch";
    else if (deps) manager = "uv";
    else if (poetry) manager = "poetry";
    if (manager) files.push("pyproject.toml");
  }
  if (!manager && existsSync(path.join(root, "Pipfile"))) {
    manager = "pipenv";
    files.push("Pipfile");
    const text = readText(root, "Pipfile") ?? "";
    const table = tomlTable(text, "packages");
    if (table) for (const [name, value] of keyValues(text.slice(table.start, table.end))) declared.set(normalizeName(name), value);
  }
  const requirements = readdirSync(root)
    .filter((n) => /^requirements.*\.txt$/.test(n))
    .sort((a, b) => (a === "requirements.txt" ? -1 : b === "requirements.txt" ? 1 : a.localeCompare(b)));
  for (const file of requirements) {
    for (const line of (readText(root, file) ?? "").split(/\r?\n/)) {
      const name = line.trim().startsWith("#") || line.trim().startsWith("-") ? undefined : requirementName(line);
      if (name) declared.set(name, line.trim());
    }
  }
  if (!manager && requirements.length > 0) {
    manager = "pip";
    files.push(...requirements.filter((f) => !/dev|test|lint|doc/.test(f)).slice(0, 1));
  }
  if (!manager && existsSync(path.join(root, "setup.py"))) {
    manager = "setuptools";
    files.push("setup.py");
    const text = readText(root, "setup.py") ?? "";
    for (const m of text.matchAll(/["']([A-Za-z0-9][A-Za-z0-9._-]*)[^"'\n]*["']/g)) {
      const name = normalizeName(m[1] as string);
      if (["fastmcp", "mcp", "fastapi", "starlette", "uvicorn", "pyjwt", "httpx", "python-dotenv"].includes(name)) declared.set(name, m[0]);
    }
  }
  return { manager: manager ?? "pip", files, declared, scripts, ...(pyproject !== undefined ? { pyproject } : {}) };
}

/** A requirement in the manager's own format. */
export interface PythonDependency {
  /** PEP 508, e.g. `pyjwt[crypto]>=2.10,<3`. */
  spec: string;
}

function poetryEntry(spec: string): string {
  const m = /^([A-Za-z0-9._-]+)(?:\[([^\]]+)\])?(.*)$/.exec(spec) as RegExpExecArray;
  const [, name, extras, version] = m;
  const v = JSON.stringify((version ?? "").trim() || "*");
  return extras
    ? `${name} = { version = ${v}, extras = [${extras
        .split(",")
        .map((e) => JSON.stringify(e.trim()))
        .join(", ")}] }`
    : `${name} = ${v}`;
}

/**
 * The dependency file's new text with `deps` added in its own format, or
 * undefined when it cannot be edited safely (setup.py, an unreadable array).
 */
export function addPythonDependencies(project: PythonProjectFiles, text: string, file: string, deps: string[]): string | undefined {
  if (deps.length === 0) return text;
  const nl = text.includes("\r\n") ? "\r\n" : "\n";
  if (file === "pyproject.toml") {
    const array = pep621Dependencies(text);
    if (array) {
      const inner = text.slice(array.open + 1, array.close);
      const multiline = inner.includes("\n");
      if (multiline && array.lastEnd !== undefined) {
        // One item a line, in the indentation of the last item, after it (a comma added when it had none).
        const lineStart = text.lastIndexOf("\n", array.lastEnd - 1) + 1;
        const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? "    ";
        let at = array.lastEnd;
        while (text[at] === " " || text[at] === "\t") at++;
        const comma = text[at] === "," ? "" : ",";
        const lineEnd = text.indexOf("\n", array.lastEnd);
        if (lineEnd === -1 || lineEnd > array.close) return undefined;
        const lines = deps.map((d) => `${indent}${JSON.stringify(d)},${nl}`).join("");
        return `${text.slice(0, array.lastEnd)}${comma}${text.slice(array.lastEnd, lineEnd + 1)}${lines}${text.slice(lineEnd + 1)}`;
      }
      const trimmed = inner.trim();
      const sep = trimmed === "" ? "" : trimmed.endsWith(",") ? " " : ", ";
      const end = array.open + 1 + inner.trimEnd().length;
      return `${text.slice(0, end)}${sep}${deps.map((d) => JSON.stringify(d)).join(", ")}${text.slice(end)}`;
    }
    const poetry = tomlTable(text, "tool.poetry.dependencies");
    if (poetry) return insertTableLines(text, poetry, deps.map(poetryEntry), nl);
    return undefined;
  }
  if (file === "Pipfile") {
    const table = tomlTable(text, "packages");
    return table ? insertTableLines(text, table, deps.map(poetryEntry), nl) : undefined;
  }
  if (/^requirements.*\.txt$/.test(file)) {
    const sep = text === "" || text.endsWith("\n") ? "" : nl;
    return `${text}${sep}${deps.map((d) => `${d}${nl}`).join("")}`;
  }
  void project;
  return undefined;
}

/** Lines added after a table's last non-blank line. */
function insertTableLines(text: string, table: { start: number; end: number }, lines: string[], nl: string): string {
  const body = text.slice(table.start, table.end);
  const trailing = /(\r?\n|[ \t])*$/.exec(body)?.[0] ?? "";
  const at = table.end - trailing.length;
  const lead = at === table.start ? "" : nl;
  const tail = at === table.start ? nl : "";
  return `${text.slice(0, at)}${lead}${lines.join(nl)}${tail}${text.slice(at)}`;
}
