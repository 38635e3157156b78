/** Names and literals of generated Python projects. */

/** Import names of the packages a generated project uses: a module of the same name would shadow one. */
const TAKEN = new Set([
  "mcp",
  "fastmcp",
  "fastapi",
  "starlette",
  "uvicorn",
  "jwt",
  "httpx",
  "httpx2",
  "dotenv",
  "pydantic",
  "anyio",
  "pytest",
  "tests",
  "auth",
  "test",
]);

/** The import name of the project's package: `my-server` -> `my_server`; never a dependency's name or a keyword. */
export function pythonModuleName(packageName: string): string {
  let name = packageName
    .toLowerCase()
    .replace(/^@[^/]*\//, "")
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "" || /^\d/.test(name)) name = `mcp_${name}`.replace(/_+$/, "");
  if (TAKEN.has(name) || PYTHON_KEYWORDS.has(name)) name = `${name}_server`;
  return name;
}

const PYTHON_KEYWORDS = new Set(
  "false none true and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type".split(
    " ",
  ),
);

/** A PEP 508 project name: letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit. */
export function pythonProjectName(packageName: string): string {
  const name = packageName
    .replace(/^@[^/]*\//, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return name || "mcp-server";
}

/** A TOML basic string (JSON's escapes are TOML's). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * A value for `.env` that python-dotenv reads back exactly: single quotes
 * (verbatim) unless the value holds `'` or `\`, else double quotes with `\`
 * and `"` escaped (python-dotenv decodes those escapes in double quotes).
 */
export function pythonEnvValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError("an .env value cannot contain a line break");
  if (!value.includes("'") && !value.includes("\\")) return `'${value}'`;
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}
