/**
 * Python sources read by the project's own Python: `python3 -c <SCAN_SCRIPT>`
 * parses each file with the standard library's `ast` and prints, as JSON, the
 * facts detection needs (imports, calls with their arguments, decorated
 * functions, environment reads, CLI options), each with its exact UTF-8 byte
 * offsets in the file. Edits are spliced into the file's bytes at those
 * offsets, so every byte outside an insertion stays as it was.
 * Why `ast` and not a bundled parser: bench/add/python-parsers.mjs, bench/RESULTS.md.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { environmentError } from "../../core/errors.js";
import { runGroup } from "../../core/subprocess.js";

/** A literal argument's value, or the source text of anything else. */
export interface PyValue {
  /** Set when the expression is a str, int, float, bool or None constant. */
  literal?: string | number | boolean | null;
  /** The source text of the expression. */
  text: string;
  /** Dotted name when the expression is a name or attribute (`args.transport`, `os.environ`). */
  name?: string;
  start: number;
  end: number;
}

export interface PyCall {
  /** Dotted callee, e.g. `FastMCP`, `mcp.run`, `app.mount`. */
  func: string;
  line: number;
  start: number;
  end: number;
  /** Byte offset just after the `(`. */
  open: number;
  args: PyValue[];
  keywords: ({ name: string | null } & PyValue)[];
  /** The name assigned the call's result (`mcp = FastMCP(...)`), when it is one. */
  target?: string;
  /** The call's value is itself an argument of a call (a nested call) or a decorator. */
  nested: boolean;
  /** At module level (not inside a def or class). */
  topLevel: boolean;
}

export interface PyImport {
  /** `from x.y import a` -> module x.y; `import x.y` -> module x.y, names []. */
  module: string;
  names: { name: string; as: string | null }[];
  level: number;
  /** `from x import a` (true) or `import x` (false). */
  from: boolean;
  line: number;
  start: number;
  end: number;
  topLevel: boolean;
}

export interface PyFunction {
  name: string;
  line: number;
  decorators: { func: string; call: boolean; args: PyValue[]; keywords: ({ name: string | null } & PyValue)[] }[];
  /** Set for `@x.tool` and the like: the first line of the docstring. */
  doc?: string;
  /** The return annotation's source text (`Optional[Any]`), when it has one. */
  returns?: string;
}

/** A class statement: its bases (dotted names), its own methods, and where it assigns an `auth` attribute. */
export interface PyClass {
  name: string;
  line: number;
  bases: string[];
  methods: string[];
  /** `self.auth = ...` (or `_auth`) anywhere in the class: the line and its first line of source. */
  auth: { line: number; text: string }[];
}

export interface PyFile {
  rel: string;
  error?: string;
  imports: PyImport[];
  calls: PyCall[];
  functions: PyFunction[];
  classes: PyClass[];
  /** Byte offset of the end of the line of the last top-level import (after its newline); 0 if none. */
  importsEnd: number;
  /** Byte offset after the module docstring's line, 0 if none. */
  docEnd: number;
  mainGuard: boolean;
  /** Byte span of the `if __name__ == "__main__":` block, when there is one: code in it runs only as a script. */
  mainGuardSpan?: [number, number];
  newline: "\n" | "\r\n";
}

/**
 * The scanner. Offsets: ast gives line numbers and UTF-8 byte columns; the
 * script turns them into absolute byte offsets with the file's own line starts.
 */
export const SCAN_SCRIPT = String.raw`
import ast, json, sys

def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return None if inner is None else inner + "." + node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return None

# Nodes that hold no call, import or definition: not visited (a Name's Load, a Constant, an operator).
LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.alias)

def scan(rel, data):
    out = {"rel": rel, "imports": [], "calls": [], "functions": [], "classes": [], "importsEnd": 0, "docEnd": 0, "mainGuard": False,
           "newline": "\r\n" if b"\r\n" in data else "\n"}
    try:
        text = data.decode("utf-8")
        tree = ast.parse(data, filename=rel)
    except (SyntaxError, ValueError, UnicodeDecodeError) as error:
        out["error"] = str(error)
        return out
    starts = [0]
    i = data.find(b"\n")
    while i != -1:
        starts.append(i + 1)
        i = data.find(b"\n", i + 1)
    def off(line, col):
        return starts[line - 1] + col
    def line_end(line):
        return starts[line] if line < len(starts) else len(data)
    def span(node):
        return off(node.lineno, node.col_offset), off(node.end_lineno, node.end_col_offset)
    def value(node):
        s, e = span(node)
        v = {"text": data[s:e].decode("utf-8"), "start": s, "end": e}
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
            v["literal"] = node.value
        n = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if n:
            v["name"] = n
        return v
    def call_info(node, target, nested, top):
        s, e = span(node)
        fs, fe = span(node.func)
        paren = data.index(b"(", fe)
        return {"func": dotted(node.func) or "", "line": node.lineno, "start": s, "end": e, "open": paren + 1,
                "args": [value(a) for a in node.args],
                "keywords": [dict(value(k.value), name=k.arg) for k in node.keywords],
                "target": target, "nested": nested, "topLevel": top}
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        out["docEnd"] = line_end(body[0].end_lineno)
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            out["importsEnd"] = line_end(stmt.end_lineno)
        if isinstance(stmt, ast.If):
            t = stmt.test
            if isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__":
                out["mainGuard"] = True
                out["mainGuardSpan"] = list(span(stmt))
    def visit(node, top, parent_call):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, LEAVES):
                continue
            child_top = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                s, e = span(child)
                out["imports"].append({"module": (child.module or "") if isinstance(child, ast.ImportFrom) else child.names[0].name,
                    "names": [{"name": a.name, "as": a.asname} for a in child.names] if isinstance(child, ast.ImportFrom) else [{"name": a.name, "as": a.asname} for a in child.names],
                    "level": getattr(child, "level", 0) or 0, "line": child.lineno, "start": s, "end": e, "topLevel": top,
                    "from": isinstance(child, ast.ImportFrom)})
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decs = []
                for d in child.decorator_list:
                    if isinstance(d, ast.Call):
                        decs.append({"func": dotted(d.func) or "", "call": True, "args": [value(a) for a in d.args],
                                     "keywords": [dict(value(k.value), name=k.arg) for k in d.keywords]})
                    else:
                        decs.append({"func": dotted(d) or "", "call": False, "args": [], "keywords": []})
                fn = {"name": child.name, "line": child.lineno, "decorators": decs}
                if child.returns is not None:
                    fn["returns"] = value(child.returns)["text"]
                doc = ast.get_docstring(child)
                if doc:
                    fn["doc"] = doc.strip().split("\n")[0][:200]
                out["functions"].append(fn)
            if isinstance(child, ast.ClassDef):
                cls = {"name": child.name, "line": child.lineno, "bases": [dotted(b) or "" for b in child.bases],
                       "methods": [m.name for m in child.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))],
                       "auth": []}
                for sub in ast.walk(child):
                    if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                        if any(isinstance(t, ast.Attribute) and t.attr in ("auth", "_auth") for t in targets):
                            s, e = span(sub)
                            cls["auth"].append({"line": sub.lineno, "text": data[s:e].decode("utf-8").split("\n")[0][:120]})
                cls["auth"].sort(key=lambda a: a["line"])
                out["classes"].append(cls)
            if isinstance(child, ast.Call):
                target = None
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and getattr(node, "value", None) is child:
                    tgt = node.targets[0] if isinstance(node, ast.Assign) else node.target
                    target = dotted(tgt) if isinstance(tgt, (ast.Name, ast.Attribute)) else None
                is_decorator = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child in node.decorator_list
                try:
                    out["calls"].append(call_info(child, target, parent_call or is_decorator, top))
                except ValueError:
                    pass
                visit(child, child_top, True)
            else:
                visit(child, child_top, parent_call if isinstance(child, ast.expr) else False)
    visit(tree, True, False)
    return out

def main():
    root = sys.argv[1]
    files = json.load(sys.stdin)
    result = []
    for rel in files:
        try:
            with open(root + "/" + rel, "rb") as f:
                data = f.read()
        except OSError as error:
            result.append({"rel": rel, "error": str(error), "imports": [], "calls": [], "functions": [], "classes": [], "importsEnd": 0, "docEnd": 0, "mainGuard": False, "newline": "\n"})
            continue
        result.append(scan(rel, data))
    sys.stdout.write(json.dumps(result))

main()
`;

/** The project's own Python: its virtual environment's, else python3 on PATH (a pyenv shim resolved, see pathPython). */
export function projectPython(root: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const venv of [".venv", "venv", "env"]) {
    const bin = path.join(root, venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
    if (existsSync(bin)) return bin;
  }
  return process.platform === "win32" ? "python" : pathPython(root, env);
}

/**
 * python3 on PATH. A pyenv shim is a shell script that runs `pyenv` to choose the version, which costs 0.3-0.7 s
 * per start on a loaded machine (more than add's whole scan); it is resolved here the way pyenv chooses:
 * PYENV_VERSION, else the nearest .python-version from the project up, else $PYENV_ROOT/version; the first of
 * those versions that is installed, "system" meaning the next python3 on PATH. A version this cannot resolve
 * (a prefix such as "3.12", a virtualenv name) leaves the shim itself, which is right, only slower.
 */
export function pathPython(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  let skipShims = false;
  for (const dir of dirs) {
    const bin = path.join(dir, "python3");
    if (!existsSync(bin)) continue;
    const pyenvRoot = path.dirname(dir);
    const isShim = path.basename(dir) === "shims" && existsSync(path.join(pyenvRoot, "versions"));
    if (!isShim) return bin;
    if (skipShims) continue;
    for (const version of pyenvVersions(root, pyenvRoot, env)) {
      if (version === "system") {
        skipShims = true;
        break;
      }
      const resolved = path.join(pyenvRoot, "versions", version, "bin", "python3");
      if (!version.includes("/") && existsSync(resolved)) return resolved;
    }
    if (!skipShims) return bin;
  }
  return "python3";
}

function pyenvVersions(root: string, pyenvRoot: string, env: NodeJS.ProcessEnv): string[] {
  if (env.PYENV_VERSION) return env.PYENV_VERSION.split(":").filter(Boolean);
  const words = (file: string) =>
    readFileSync(file, "utf8")
      .split(/\r?\n/)
      .map((line) => line.replace(/#.*/, "").trim())
      .flatMap((line) => line.split(/\s+/))
      .filter(Boolean);
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const file = path.join(dir, ".python-version");
    if (existsSync(file)) return words(file);
    if (path.dirname(dir) === dir) break;
  }
  const global = path.join(pyenvRoot, "version");
  return existsSync(global) ? words(global) : ["system"];
}

/** Parses `files` (relative to root) with the project's Python; one PyFile per file, in order. */
export async function scanPython(root: string, files: string[], python = projectPython(root)): Promise<PyFile[]> {
  if (files.length === 0) return [];
  let result: { stdout: unknown; exitCode?: number; stderr?: unknown };
  try {
    // -I: no user site or PYTHON* variables; -S: no site module at all (the scan needs the standard library only).
    result = await runGroup(python, ["-I", "-S", "-c", SCAN_SCRIPT, root], {
      input: JSON.stringify(files),
      reject: false,
      timeout: 30_000,
      env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" },
    });
  } catch (error) {
    throw environmentError(`add reads Python code with the project's Python (${python}), which did not run: ${(error as Error).message}`);
  }
  if (result.exitCode !== 0) {
    const why = String(result.stderr ?? "").trim();
    const missing = /ENOENT|not found/.test(why) || result.exitCode === 127;
    throw environmentError(
      missing
        ? `add reads Python code with the project's own Python and found none: install Python 3.9 or later (python3 on PATH) or create the project's .venv`
        : `the project's Python (${python}) could not read the sources: ${why.split("\n").slice(-5).join("\n")}`,
    );
  }
  return JSON.parse(String(result.stdout)) as PyFile[];
}
