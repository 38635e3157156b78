/**
 * Edits of the project's own files besides code: dependencies spliced into
 * package.json (every other byte, field order and indentation kept),
 * variables appended to .env.example and .env, `.env` added to .gitignore.
 */
import MagicString from "magic-string";
import { envValue, jsonValue } from "../core/literals.js";
import { end, parseJsonExpression, start, type t } from "./ast.js";
import type { Dependency } from "./core.js";

function eolOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function lineIndent(text: string, position: number): string {
  const lineStart = text.lastIndexOf("\n", position - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

function propertyName(p: t.ObjectProperty): string | undefined {
  return p.key.type === "StringLiteral" ? p.key.value : p.key.type === "Identifier" ? p.key.name : undefined;
}

/**
 * Adds `deps` to package.json's dependencies / devDependencies, in sorted
 * place when the section is sorted, else at its end, in the file's own
 * indentation. Packages the project already lists anywhere are left alone.
 */
export function addDependencies(text: string, deps: Dependency[]): string {
  if (deps.length === 0) return text;
  const root = parseJsonExpression(text);
  if (root.type !== "ObjectExpression") throw new Error("package.json is not a JSON object");
  const s = new MagicString(text);
  const eol = eolOf(text);
  const rootProps = root.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
  const unit = rootProps[0] ? lineIndent(text, start(rootProps[0])) || "  " : "  ";

  for (const section of ["dependencies", "devDependencies"] as const) {
    const wanted = deps.filter((d) => (section === "devDependencies") === d.dev);
    if (wanted.length === 0) continue;
    const existing = rootProps.find((p) => propertyName(p) === section);
    if (existing && existing.value.type === "ObjectExpression") {
      insertMembers(text, s, existing.value, wanted, eol, unit);
    } else if (!existing) {
      const members = wanted.map((d) => `${unit}${unit}${jsonValue(d.name)}: ${jsonValue(d.version)}`).join(`,${eol}`);
      const block = `${unit}${jsonValue(section)}: {${eol}${members}${eol}${unit}}`;
      // After dependencies for devDependencies; else after the last field.
      const after = section === "devDependencies" ? rootProps.find((p) => propertyName(p) === "dependencies") : undefined;
      const anchor = after ?? rootProps[rootProps.length - 1];
      if (anchor) s.appendLeft(end(anchor), `,${eol}${block}`);
      else s.overwrite(start(root), end(root), `{${eol}${block}${eol}}`);
    } else {
      throw new Error(`package.json: "${section}" is not an object`);
    }
  }
  return s.toString();
}

function insertMembers(text: string, s: MagicString, object: t.ObjectExpression, deps: Dependency[], eol: string, unit: string): void {
  const props = object.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
  const render = (d: Dependency, indent: string) => `${indent}${jsonValue(d.name)}: ${jsonValue(d.version)}`;
  if (props.length === 0) {
    const indent = lineIndent(text, start(object));
    s.overwrite(start(object), end(object), `{${eol}${deps.map((d) => render(d, indent + unit)).join(`,${eol}`)}${eol}${indent}}`);
    return;
  }
  const names = props.map((p) => propertyName(p) ?? "");
  const sorted = names.every((name, i) => i === 0 || names[i - 1]! <= name);
  const indent = lineIndent(text, start(props[0]!));
  const oneLine = !text.slice(start(object), end(object)).includes("\n");
  for (const dep of [...deps].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const before = sorted ? names.findIndex((name) => name > dep.name) : -1;
    if (oneLine) {
      const anchor = before === -1 ? props[props.length - 1]! : props[before]!;
      if (before === -1) s.appendLeft(end(anchor), `, ${render(dep, "")}`);
      else s.appendLeft(start(anchor), `${render(dep, "")}, `);
    } else if (before === -1) {
      s.appendLeft(end(props[props.length - 1]!), `,${eol}${render(dep, indent)}`);
    } else {
      s.appendLeft(start(props[before]!), `${render(dep, "")},${eol}${indent}`);
    }
  }
}

export interface EnvEntry {
  name: string;
  comment: string;
  value: string;
}

/** Whether an env file already names `name` (set, empty, or commented out). */
export function envFileHas(text: string, name: string): boolean {
  return text.split(/\r?\n/).some((line) => new RegExp(`^\\s*(#\\s*)?(export\\s+)?${name}\\s*=`).test(line));
}

/**
 * Appends the entries the file lacks, under one heading; existing lines are
 * kept as they are. Returns the text unchanged when nothing is missing.
 */
export function appendEnv(text: string | undefined, entries: EnvEntry[], heading: string, withComments: boolean): string | undefined {
  const current = text ?? "";
  const missing = entries.filter((e) => !envFileHas(current, e.name));
  if (missing.length === 0) return text;
  const eol = text ? eolOf(text) : "\n";
  const lines: string[] = [`# ${heading}`];
  for (const entry of missing) {
    if (withComments) lines.push(`# ${entry.comment}`);
    lines.push(`${entry.name}=${entry.value === "" ? "" : envValue(entry.value)}`);
  }
  const separator = current === "" ? "" : current.endsWith("\n") ? eol : `${eol}${eol}`;
  return `${current}${separator}${lines.join(eol)}${eol}`;
}

/** Appends `.env` to a .gitignore that does not ignore it yet. */
export function ignoreEnvFile(text: string | undefined): string {
  const current = text ?? "";
  const eol = text ? eolOf(text) : "\n";
  const separator = current === "" || current.endsWith("\n") ? "" : eol;
  return `${current}${separator}.env${eol}`;
}

/**
 * Adds `scripts` to package.json's "scripts" (created when missing), each
 * only when the project has no script of that name: a name in use is the
 * project's own. Every other byte is kept.
 */
export function addScripts(text: string, scripts: Record<string, string>): string {
  const root = parseJsonExpression(text);
  if (root.type !== "ObjectExpression") throw new Error("package.json is not a JSON object");
  const rootProps = root.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty");
  const existing = rootProps.find((p) => propertyName(p) === "scripts");
  if (existing && existing.value.type !== "ObjectExpression") return text;
  const taken = new Set(
    existing && existing.value.type === "ObjectExpression"
      ? existing.value.properties.filter((p): p is t.ObjectProperty => p.type === "ObjectProperty").map((p) => propertyName(p) ?? "")
      : [],
  );
  const free = Object.entries(scripts).filter(([name]) => !taken.has(name));
  if (free.length === 0) return text;
  const s = new MagicString(text);
  const eol = eolOf(text);
  const unit = rootProps[0] ? lineIndent(text, start(rootProps[0])) || "  " : "  ";
  const member = ([name, command]: [string, string], indent: string) => `${indent}${jsonValue(name)}: ${jsonValue(command)}`;
  if (existing && existing.value.type === "ObjectExpression") {
    const object = existing.value;
    const first = object.properties[0];
    if (!first) {
      const indent = lineIndent(text, start(existing));
      s.overwrite(start(object), end(object), `{${eol}${free.map((e) => member(e, indent + unit)).join(`,${eol}`)}${eol}${indent}}`);
    } else if (!text.slice(start(object), end(object)).includes("\n")) {
      s.appendLeft(start(first), free.map((e) => `${member(e, "")}, `).join(""));
    } else {
      // Before the first script: no line of the project's changes, not even by a comma.
      const indent = lineIndent(text, start(first));
      s.appendLeft(start(first), free.map((e) => `${member(e, "")},${eol}${indent}`).join(""));
    }
  } else {
    const block = `${unit}"scripts": {${eol}${free.map((e) => member(e, unit + unit)).join(`,${eol}`)}${eol}${unit}}`;
    const anchor = rootProps[rootProps.length - 1];
    if (anchor) s.appendLeft(end(anchor), `,${eol}${block}`);
    else s.overwrite(start(root), end(root), `{${eol}${block}${eol}}`);
  }
  return s.toString();
}
