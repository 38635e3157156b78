/**
 * create decodes only the part of the form (dist/create-auth.br) that the
 * chosen framework and provider use (issue 21, point 9: create within 1.2x
 * of create-vite; reading the whole form was a tenth of create's time): its
 * file list and the sections of texts it lists, never another project's file
 * list, and never Python's file for a TypeScript project. The project it
 * writes is the same (test/create-precomputed.test.ts, create-pipeline).
 * The default project (`create <dir> --yes`) is stored uncompressed: it
 * decodes nothing, and does not load node:zlib.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, cliBin, repoRoot, tempDir } from "./helpers/cli.js";
import { type Form, readForm } from "./helpers/form.js";

/** A preload that records, at exit, every .br file read and the size of every brotli output. */
const PRELOAD = (report: string) => `import fs from "node:fs";
import zlib from "node:zlib";
const reads = [];
const decoded = [];
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (String(file instanceof URL ? file.pathname : file).endsWith(".br")) reads.push(String(file instanceof URL ? file.pathname : file));
  return readFileSync.call(this, file, ...rest);
};
const brotliDecompressSync = zlib.brotliDecompressSync;
zlib.brotliDecompressSync = function (...args) {
  const out = brotliDecompressSync.apply(this, args);
  decoded.push(out.length);
  return out;
};
process.on("exit", () => fs.writeFileSync(${JSON.stringify(report)}, JSON.stringify({ reads, decoded })));
`;

describe("create reads only its project's part of the form", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let form: Form;
  beforeAll(async () => {
    work = await tempDir("cma-form-");
    form = await readForm(path.join(repoRoot, "dist", "create-auth.br"));
  });
  afterAll(() => work.cleanup());

  async function create(dir: string, args: string[]) {
    const report = path.join(work.dir, `${dir}.json`);
    await writeFile(path.join(work.dir, `${dir}.mjs`), PRELOAD(report));
    const result = await execa(
      process.execPath,
      ["--import", path.join(work.dir, `${dir}.mjs`), cliBin, dir, ...args, "--yes", "--no-install", "--no-git", "--no-check"],
      { cwd: work.dir, env: cleanEnv({ CI: "true" }), extendEnv: false, reject: false, stdin: "ignore" },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    return JSON.parse(await readFile(report, "utf8")) as { reads: string[]; decoded: number[] };
  }

  it.each([
    ["express", "scalekit"],
    ["fastmcp", "oidc"],
  ])(
    "%s with %s: its file list and the sections it lists, not the whole form",
    async (framework, provider) => {
      const key = `${framework}/${provider}`;
      const { reads, decoded } = await create(`${framework}-${provider}`, ["--framework", framework, "--provider", provider]);
      expect(reads.map((file) => path.basename(file))).toEqual(["create-auth.br"]);
      const sections = form.index.projects[key]!;
      const sizes = (list: number[]) => list.map((s) => Buffer.byteLength(form.sections[s]!));
      // The default project's sections are stored: read, not decoded.
      const compressed = sections.filter((s) => form.index.sections[s]![3] !== 1);
      expect(compressed.length).toBe(key === "express/scalekit" ? 0 : sections.length - 1);
      expect(decoded).toEqual(sizes(compressed));
      // No other project's file list is decoded, and what is decoded is at most 70% of the whole form (every one of it before).
      const lists = new Set(Object.values(form.index.projects).map((list) => list[0]!));
      for (const s of sections.slice(1)) expect(lists.has(s), `section ${s}`).toBe(false);
      const whole = sizes(form.index.sections.map((_, s) => s)).reduce((a, b) => a + b, 0);
      expect(decoded.reduce((a, b) => a + b, 0)).toBeLessThan(0.7 * whole);
    },
    60_000,
  );

  it("every text a project refers to is in one of its sections", () => {
    for (const [key, list] of Object.entries(form.index.projects)) {
      const head = form.sections[list[0]!]!;
      expect(form.index.sections[list[0]!]![2], key).toBe(-1);
      const have = new Set<number>();
      for (const s of list) {
        const [, , first] = form.index.sections[s]!;
        const count = s === list[0] ? 0 : form.sections[s]!.split("\0").length;
        for (let i = 0; i < count; i++) have.add(first + i);
      }
      const refs = [...head.matchAll(/\{"\\u0000text":(\d+)\}/g)].map((m) => Number(m[1]));
      expect(refs.length, key).toBeGreaterThan(10);
      for (const ref of refs) expect(have.has(ref), `${key}: text ${ref}`).toBe(true);
    }
  });
});
