/** The tools a project registers (`server.tool`, `registerTool`, fastmcp's `addTool`), by name. */
import { lineOf, stringValue, walk } from "../ast.js";
import type { SourceFile, ToolSite } from "./types.js";

export function findTools(file: SourceFile): ToolSite[] {
  const tools: ToolSite[] = [];
  walk(file.ast.program, (node) => {
    if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression" || node.callee.property.type !== "Identifier") return;
    const method = node.callee.property.name;
    if (method === "tool" || method === "registerTool") {
      const name = stringValue(node.arguments[0]);
      if (name !== undefined) tools.push({ name, file: file.rel, line: lineOf(node) });
    } else if (method === "addTool" && node.arguments[0]?.type === "ObjectExpression") {
      for (const p of node.arguments[0].properties) {
        if (p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "name") {
          const name = stringValue(p.value);
          if (name !== undefined) tools.push({ name, file: file.rel, line: lineOf(node) });
        }
      }
    }
  });
  return tools;
}
