/** The port the server listens on: from PORT (and its fallback), or a literal. */
import { memberPath, stringValue, walk } from "../ast.js";
import type { Detection, FastmcpStart, SourceFile } from "./types.js";

/** Does the server take its port from PORT, and which port does it use without it? */
export function detectPort(files: SourceFile[], fastmcpStart: FastmcpStart | undefined): Detection["port"] {
  let fromEnv = false;
  let fallback: number | undefined;
  for (const file of files) {
    walk(file.ast.program, (node, ancestors) => {
      if (
        memberPath(node) !== "process.env.PORT" &&
        !(node.type === "MemberExpression" && memberPath(node.object) === "process.env" && stringValue(node.property) === "PORT")
      )
        return;
      fromEnv = true;
      // `process.env.PORT || 3000`, `Number(process.env.PORT ?? 3000)`
      for (const ancestor of [...ancestors].reverse().slice(0, 3)) {
        if (ancestor.type === "LogicalExpression" && ancestor.right.type === "NumericLiteral") fallback ??= ancestor.right.value;
        if (ancestor.type === "LogicalExpression" && ancestor.right.type === "StringLiteral" && /^\d+$/.test(ancestor.right.value))
          fallback ??= Number(ancestor.right.value);
      }
    });
  }
  let literal: number | undefined;
  if (!fromEnv && fastmcpStart) {
    walk(fastmcpStart.call, (node) => {
      if (
        node.type === "ObjectProperty" &&
        node.key.type === "Identifier" &&
        node.key.name === "port" &&
        node.value.type === "NumericLiteral"
      )
        literal = node.value.value;
    });
  }
  if (!fromEnv && literal === undefined) {
    for (const file of files) {
      walk(file.ast.program, (node) => {
        if (literal !== undefined || node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return;
        if (node.callee.property.type !== "Identifier" || node.callee.property.name !== "listen") return;
        const arg = node.arguments[0];
        if (arg?.type === "NumericLiteral") literal = arg.value;
        if (arg?.type === "ObjectExpression") {
          for (const p of arg.properties) {
            if (p.type === "ObjectProperty" && p.key.type === "Identifier" && p.key.name === "port" && p.value.type === "NumericLiteral")
              literal = p.value.value;
          }
        }
      });
    }
  }
  return { fromEnv, fallback: fallback ?? literal ?? 3000, literal };
}
