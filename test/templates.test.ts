import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { templatesRoot } from "../src/create/render.js";

async function hbsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await hbsFiles(full)));
    else if (entry.name.endsWith(".hbs")) out.push(full);
  }
  return out;
}

/** Context fields that are not user input and may be printed as they are. */
const SAFE_FIELDS = new Set([
  "port",
  "pm.install",
  "pm.run",
  "pm.exec",
  "pm.runSilent",
  "cli",
  "pm.name",
  "framework.display",
  "framework.name",
  "framework.note",
  "provider.name",
  "provider.display",
  "provider.readme",
  "@index",
  "this.scope.length",
]);
const HELPERS = new Set(["ts", "tsKey", "tsJson", "json", "md", "sh", "shLine"]);

describe("templates", () => {
  it("pass every user value through a literal helper", async () => {
    const files = await hbsFiles(templatesRoot());
    expect(files.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/\{\{\{?\s*([^}]*?)\s*\}?\}\}/g)) {
        const expr = match[1]!;
        if (/^[#/^!]|^else\b/.test(expr)) continue; // blocks, closers, comments
        const [head, ...rest] = expr.split(/\s+/);
        if (HELPERS.has(head!) && rest.length === 1) continue;
        if (SAFE_FIELDS.has(expr)) continue;
        offenders.push(`${path.relative(templatesRoot(), file)}: {{${expr}}}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
