/**
 * The project's own tests that call the MCP endpoint without a token: after
 * add they get 401, so add lists them and says how to give them one
 * (startTestAuth in the auth folder, AUTH.md "Your tests").
 */
import path from "node:path";
import { type Language, lineOf, parseModule, type t, walk } from "../ast.js";
import { readSourceTexts } from "../guard.js";

const SKIP_DIRS = new Set(["node_modules", "dist", "build", "out", "coverage", "fixtures", "examples", "docs"]);
const TEST_DIR = /(^|\/)(test|tests|__tests__|spec)\//;
const TEST_NAME = /\.(test|spec)\.[mc]?[jt]sx?$/;
const MAX_TEST_FILES = 200;

export interface TokenlessTest {
  file: string;
  /** The first line that names the endpoint. */
  line: number;
}

/** Whether a string of the code names the endpoint: `"/mcp"`, `"http://.../mcp"`, `` `${base}/mcp` ``. */
function namesEndpoint(node: t.Node, endpoint: string): boolean {
  const text =
    node.type === "StringLiteral"
      ? node.value
      : node.type === "TemplateLiteral"
        ? (node.quasis[node.quasis.length - 1]?.value.cooked ?? "")
        : undefined;
  if (text === undefined) return false;
  const pathOnly = text.split("?", 1)[0]!.replace(/\/+$/, "");
  return pathOnly === endpoint || (pathOnly.endsWith(endpoint) && (node.type === "TemplateLiteral" || /^https?:\/\//.test(text)));
}

export function findTokenlessTests(root: string, endpoint: string | undefined, authDir = "test/auth"): TokenlessTest[] {
  if (!endpoint || endpoint === "/") return [];
  const listing = readSourceTexts(root, {
    skipDirs: SKIP_DIRS,
    isSourceName: (name) => /\.[mc]?[jt]sx?$/.test(name) && !name.endsWith(".d.ts"),
    maxFiles: MAX_TEST_FILES * 4,
  });
  const found: TokenlessTest[] = [];
  for (const { rel, code } of listing.texts) {
    if (!(TEST_DIR.test(rel) || TEST_NAME.test(path.posix.basename(rel))) || rel.startsWith(`${authDir}/`)) continue;
    if (found.length >= MAX_TEST_FILES) break;
    // A test that names the endpoint has its text in a string: the others are not parsed.
    if (!code.includes(endpoint)) continue;
    let ast: t.File;
    try {
      ast = parseModule(code, (/\.[mc]?tsx?$/.test(rel) ? "ts" : "js") as Language, rel);
    } catch {
      continue;
    }
    let hit: t.Node | undefined;
    let token = false;
    walk(ast.program, (node) => {
      if (!hit && namesEndpoint(node, endpoint)) hit = node;
      if (
        (node.type === "Identifier" && /^authorization$/i.test(node.name)) ||
        (node.type === "StringLiteral" && /^authorization$/i.test(node.value))
      )
        token = true;
      if (node.type === "Identifier" && node.name === "startTestAuth") token = true;
    });
    if (hit && !token) found.push({ file: rel, line: lineOf(hit) });
  }
  return found;
}
