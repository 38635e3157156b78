/** The SDK generation, the module system and the file extensions of what add writes, read from the entry file. */
import { SDK_V2 } from "../patterns.js";
import type { PackageJson, SourceFile } from "./types.js";

export function usesV2(file: SourceFile | undefined): boolean {
  return Boolean(
    file && [...file.imports.values()].some((b) => SDK_V2.some((name) => b.source === name || b.source.startsWith(`${name}/`))),
  );
}

export function moduleSystem(file: SourceFile | undefined, ext: string, pkg: PackageJson): "esm" | "cjs" {
  if (ext === ".mjs" || ext === ".mts") return "esm";
  if (ext === ".cjs" || ext === ".cts") return "cjs";
  if (file && ext === ".js") {
    const body = file.ast.program.body;
    if (body.some((s) => s.type === "ImportDeclaration" || s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration"))
      return "esm";
    return "cjs";
  }
  return pkg.data.type === "module" ? "esm" : "cjs";
}

export function extensionsFor(entryExt: string, file: SourceFile | undefined): { extension: string; specifierExtension: string } {
  switch (entryExt) {
    case ".mts":
      return { extension: ".mts", specifierExtension: ".mjs" };
    case ".cts":
      return { extension: ".cts", specifierExtension: ".cjs" };
    case ".ts": {
      // A project that runs TypeScript directly (Node's type stripping) imports `./x.ts`.
      const relative = file ? [...file.imports.values()].map((b) => b.source).filter((s) => s.startsWith(".")) : [];
      const tsStyle = relative.length > 0 && relative.every((s) => s.endsWith(".ts"));
      return { extension: ".ts", specifierExtension: tsStyle ? ".ts" : ".js" };
    }
    default:
      return { extension: entryExt, specifierExtension: entryExt };
  }
}
