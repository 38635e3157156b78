/**
 * Reads the form the build stores in dist/ (scripts/build.mjs, pack): a
 * 4-byte little-endian length, that many bytes of JSON (the index), then
 * sections, brotli-compressed but for the default project's (stored): a
 * project's file list (a JSON that refers to texts by index), or texts
 * separated by NUL bytes.
 */
import { readFile } from "node:fs/promises";
import { brotliDecompressSync } from "node:zlib";

export interface FormIndex {
  meta: Record<string, unknown>;
  /** By project key: its file list's section, then those of the texts it uses. */
  projects: Record<string, number[]>;
  /** [offset after the index, length, index of its first text (-1: a file list), 1 when stored uncompressed]. */
  sections: [number, number, number, 1?][];
}

export interface Form {
  index: FormIndex;
  /** Every section, decoded. */
  sections: string[];
}

export async function readForm(file: string): Promise<Form> {
  const bytes = await readFile(file);
  const start = 4 + bytes.readUInt32LE(0);
  const index = JSON.parse(bytes.toString("utf8", 4, start)) as FormIndex;
  const sections = index.sections.map(([offset, length, , stored]) =>
    stored
      ? bytes.toString("utf8", start + offset, start + offset + length)
      : brotliDecompressSync(bytes.subarray(start + offset, start + offset + length)).toString("utf8"),
  );
  return { index, sections };
}
