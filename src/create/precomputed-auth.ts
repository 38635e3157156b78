/**
 * add's output on create's plain tree, made at build time (scripts/build.mjs)
 * so `create` does not load add's JavaScript parser to write a project.
 *
 * It is a pure function of the templates and the options. The build runs the
 * real plain + add (src/create/with-auth.ts) once per framework and provider
 * in local mode, with marker values for what varies: the package name, the
 * server URL, the port, the scopes (two, so a line per tool and a joined list
 * can be told apart) and this CLI's own command. At run time the markers are
 * replaced by the real values, a line per tool is repeated for each tool, and
 * anything the form does not cover exactly (another mode, a value some
 * encoder would quote or escape, a line it cannot place, a plain file that is
 * not what it was made from) returns undefined: create then runs plain + add
 * itself. test/create-precomputed.test.ts holds both ways equal.
 *
 * Python projects too (`python/<framework>/<provider>`): Python add reads
 * the plain tree with python3 (ast), so the build makes their form when
 * python3 is on its PATH and leaves it out otherwise (create then runs
 * plain + add at run time). Their package name has two markers, the module
 * (`cmamark_pyname`) and the folder (`cmamark-pyname`, which add names the
 * server after). test/create-python-precomputed.test.ts holds both ways equal.
 */
import path from "node:path";
import { envValue, jsonValue, mdCode, shWord, tsKey, tsString } from "../core/literals.js";
import type { PackageManager } from "../core/package-managers.js";
import { answerSelfCommandWith, selfCommand } from "../core/self-command.js";
import { byPath } from "../core/write.js";
import { pythonEnvValue, pythonModuleName, tomlString } from "../languages/python/literals.js";
import { exampleToolsFor } from "./context.js";
import type { CreateOptions } from "./options.js";
import type { ProjectFile } from "./render.js";

/**
 * A file of the project: one add writes into the plain tree, new (no
 * `before`) or changed (`before`: the plain file it was made from), or a
 * plain file add left as it is (`plain`).
 */
export interface PrecomputedFile {
  path: string;
  mode: number;
  before?: string;
  after: string;
  plain?: true;
}

export interface PrecomputedAuth {
  /** This CLI's command (selfCommand) where the form was made. */
  cli: string;
  /** By `<framework>/<provider>`, local mode. */
  projects: Record<string, PrecomputedFile[]>;
  /** The options besides the markers the plain files were rendered with: create with others renders the plain tree itself. */
  plain: { pm: PackageManager; ci: boolean };
}

/** The marker values: each one found nowhere in the templates, and left as it is by every literal encoder. */
export const MARKS = {
  dir: "cmamarkname",
  serverUrl: "https://cmamarkurl.invalid/mcp",
  port: 48151,
  scopes: ["cmamark1:s", "cmamark2:s"],
} as const;
/** A Python project's folder (add names the server after it) and its module (pythonModuleName of the folder). */
const PY_MARKS = { dir: "cmamark-pyname", module: "cmamark_pyname" } as const;
const RESIDUE = "cmamark";
/** Where the form has this CLI's own command (a marker the residue check also catches). */
const CLI_MARK = "cmamarkcli";
const ITEM = ["cmamark1", "cmamark2"] as const;

export function precomputedKey(options: CreateOptions): string | undefined {
  if (!options.local) return undefined;
  return options.language === "python"
    ? `python/${options.framework.name}/${options.provider.name}`
    : `${options.framework.name}/${options.provider.name}`;
}

/** The options of the form's plain files (the defaults of `create --yes` run by npm), made with the marker values. */
async function markerOptions(framework: string, provider: string, language = "typescript") {
  const { resolveOptions } = await import("./options.js");
  const python = language === "python";
  return resolveOptions(
    {
      dir: python ? PY_MARKS.dir : MARKS.dir,
      ...(python ? { language } : {}),
      framework,
      provider,
      scopes: MARKS.scopes.join(","),
      port: String(MARKS.port),
      serverUrl: MARKS.serverUrl,
      yes: true,
      pm: "npm",
    },
    {},
    "/",
  );
}

/**
 * The form for one framework and provider: plain + add with the marker
 * values. A TypeScript form also holds the plain files add left alone,
 * marked so (create writes the whole project from it); a Python one only
 * what add writes (create renders its plain tree).
 */
export async function precompute(framework: string, provider: string, language = "typescript"): Promise<PrecomputedFile[]> {
  const python = language === "python";
  const options = await markerOptions(framework, provider, language);
  let plain: ProjectFile[];
  let secured: ProjectFile[];
  if (python) {
    const { renderPythonPlain } = await import("../languages/python/render.js");
    const { withPythonAuth } = await import("../languages/python/with-auth.js");
    plain = await renderPythonPlain(options);
    secured = await withPythonAuth(plain, options);
  } else {
    const { renderPlain } = await import("./render.js");
    const { withAuth } = await import("./with-auth.js");
    plain = await renderPlain(options);
    secured = await withAuth(plain, options);
  }
  const before = new Map(plain.map((file) => [file.path, file.content.toString("utf8")]));
  const files: PrecomputedFile[] = [];
  for (const file of secured) {
    const after = file.content.toString("utf8");
    const was = before.get(file.path);
    if (was === after) {
      if (!python) files.push({ path: file.path, mode: file.mode, after, plain: true });
      continue;
    }
    files.push(was === undefined ? { path: file.path, mode: file.mode, after } : { path: file.path, mode: file.mode, before: was, after });
  }
  return files;
}

/** The key of the project `create <dir> --yes` writes (no flags, no provider settings in the environment): the build stores it uncompressed. */
export async function yesDefaultKey(): Promise<string> {
  const { resolveOptions } = await import("./options.js");
  const key = precomputedKey(resolveOptions({ dir: MARKS.dir, yes: true }, {}, "/"));
  if (key === undefined) throw new Error("precomputed-auth: create --yes is not in local mode");
  return key;
}

/** Every framework x provider, as the build stores it (Python ones when python3 is there to read them). */
export async function precomputeAll(): Promise<PrecomputedAuth> {
  // The CLI's command is a marker in the form too: no path of the build machine ships in dist/.
  answerSelfCommandWith(CLI_MARK);
  const { FRAMEWORKS } = await import("../frameworks.js");
  const { PROVIDERS } = await import("../providers.js");
  const projects: PrecomputedAuth["projects"] = {};
  for (const framework of FRAMEWORKS.filter((f) => f.language === "typescript"))
    for (const provider of PROVIDERS) projects[`${framework.name}/${provider.name}`] = await precompute(framework.name, provider.name);
  // The same for every framework and provider: the defaults the markers were rendered with.
  const { pm, ci } = await markerOptions(FRAMEWORKS[0]!.name, PROVIDERS[0]!.name);
  const plain = { pm, ci };
  for (const framework of FRAMEWORKS.filter((f) => f.language === "python")) {
    for (const provider of PROVIDERS) {
      try {
        projects[`python/${framework.name}/${provider.name}`] = await precompute(framework.name, provider.name, "python");
      } catch (error) {
        // No python3 where the build runs: no form for Python, create runs plain + add at run time.
        process.stderr.write(`precomputed-auth: no Python form (${(error as Error).message.split("\n")[0]})\n`);
        return { cli: CLI_MARK, projects, plain };
      }
    }
  }
  return { cli: CLI_MARK, projects, plain };
}

type Encoder = (value: string) => string;
const ENCODERS: Encoder[] = [tsString, jsonValue, mdCode, shWord, envValue];
/** Where a Python form has values: policy.py and tests (JSON is a Python string literal), .env, pyproject.toml, AUTH.md. */
const PY_ENCODERS: Encoder[] = [jsonValue, pythonEnvValue, tomlString, mdCode, shWord];

/** Whether writing `value` where the form has `mark` gives what each encoder gives for `value` itself. */
function commutes(mark: string, value: string, encoders: Encoder[] = ENCODERS): boolean {
  if (value.includes(RESIDUE) || /[\r\n]/.test(value)) return false;
  return encoders.every((encode) => {
    try {
      return encode(value) === encode(mark).split(mark).join(value);
    } catch {
      return false;
    }
  });
}

interface Values {
  scalars: [mark: string, value: string][];
  /** Per tool: [scope, name]. */
  items: [scope: string, tool: string][];
  markItems: [scope: string, tool: string][];
  /** Made on first use: the scalars by marker, and a pattern of every marker. */
  byMark?: Map<string, string>;
  marks?: RegExp;
}

/** The longest block of lines per tool the form looks for (a tool's registration in src/mcp.ts is about ten). */
const MAX_BLOCK = 40;

/**
 * The lines of `text` with the lines of each tool repeated per tool and
 * joined lists rejoined; undefined where a line does not fit. A tool's lines
 * are a block (one line, or several: a registration) that the form holds
 * twice, for the first marker tool and then, the same, for the second.
 */
function expandItems(text: string, v: Values): string | undefined {
  const lines = text.split("\n");
  const out: string[] = [];
  /** Lines before this one are settled (a block may not reach back past an expanded one). */
  let settled = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const first = line.includes(ITEM[0]);
    const second = line.includes(ITEM[1]);
    if (!first && !second) {
      out.push(line);
      continue;
    }
    if (first && second) {
      // A joined list: `<first><separator><second>`, for the scopes or the tool names.
      let joined = line;
      for (const k of [0, 1] as const) {
        const [a, b] = [v.markItems[0]![k], v.markItems[1]![k]];
        joined = joined.replace(new RegExp(`${regexpOf(a)}(.{0,6}?)${regexpOf(b)}`, "g"), (_m, sep: string) =>
          v.items.map((item) => item[k]).join(sep),
        );
      }
      if (joined.includes(ITEM[0]) || joined.includes(ITEM[1])) return undefined;
      out.push(joined);
      settled = i + 1;
      continue;
    }
    if (!first) return undefined;
    const block = toolBlock(lines, i, settled, v);
    if (!block) return undefined;
    // The block's lines before this one went out as they were: they are the first tool's too.
    out.length -= i - block.start;
    for (const item of v.items) for (const blockLine of block.lines) out.push(substitute(blockLine, v.markItems[0]!, item));
    i = block.start + 2 * block.lines.length - 1;
    settled = i + 1;
  }
  return out.join("\n");
}

/** The first tool's block around line `at`: the shortest run of lines that the second tool's lines repeat right after it. */
function toolBlock(lines: string[], at: number, settled: number, v: Values): { start: number; lines: string[] } | undefined {
  for (let size = 1; size <= MAX_BLOCK; size++) {
    for (let start = at; start > at - size && start >= settled; start--) {
      if (start + 2 * size > lines.length) continue;
      const block = lines.slice(start, start + size);
      const repeated = block.every((line, k) => substitute(line, v.markItems[0]!, v.markItems[1]!) === lines[start + size + k]);
      // The repeat must name the second tool: a block of lines that name no tool repeats trivially.
      if (repeated && block.some((line) => line.includes(ITEM[0])) && !block.some((line) => line.includes(ITEM[1])))
        return { start, lines: block };
    }
  }
  return undefined;
}

function substitute(line: string, from: [string, string], to: [string, string]): string {
  return line.split(from[0]).join(to[0]).split(from[1]).join(to[1]);
}

function regexpOf(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The form's text with the real values: the single values in one pass (a value is never read as a marker), then the tools. */
function fill(text: string, v: Values): string | undefined {
  // Most files hold no marker at all: a scan for each is quicker than the replace.
  if (!text.includes(RESIDUE) && v.scalars.every(([mark]) => !text.includes(mark))) return text;
  v.byMark ??= new Map(v.scalars);
  const byMark = v.byMark;
  v.marks ??= new RegExp(
    [...byMark.keys()]
      .sort((a, b) => b.length - a.length)
      .map(regexpOf)
      .join("|"),
    "g",
  );
  const scalarsDone = text.replace(v.marks, (mark) => byMark.get(mark)!);
  const out = scalarsDone.includes(ITEM[0]) || scalarsDone.includes(ITEM[1]) ? expandItems(scalarsDone, v) : scalarsDone;
  return out === undefined || out.includes(RESIDUE) ? undefined : out;
}

/**
 * The project `create` writes (plain + what add writes), from the form made
 * at build time; undefined when the form does not cover these options
 * exactly. Without `plain` (the plain tree rendered now) the form's own plain
 * files are used, when they were made with these options' package manager
 * and CI choice.
 */
export function fromPrecomputed(data: PrecomputedAuth, options: CreateOptions, plain?: ProjectFile[]): ProjectFile[] | undefined {
  const key = precomputedKey(options);
  const form = key ? data.projects[key] : undefined;
  if (!form) return undefined;
  const tools = exampleToolsFor(options.scopes);
  const markTools = exampleToolsFor([...MARKS.scopes]);
  const cli = selfCommand();
  const python = options.language === "python";
  const folder = path.basename(options.root);
  const scalars: Values["scalars"] = [
    [MARKS.serverUrl, options.serverUrl],
    ...(python
      ? ([
          [PY_MARKS.dir, folder],
          [PY_MARKS.module, pythonModuleName(options.packageName)],
        ] as [string, string][])
      : ([[MARKS.dir, options.packageName]] as [string, string][])),
    [data.cli, cli],
    [String(MARKS.port), String(options.port)],
  ];
  const values: Values = {
    scalars,
    items: tools.map((tool) => [tool.scope, tool.name]),
    markItems: markTools.map((tool) => [tool.scope, tool.name]),
  };
  // Each value must come out of every encoder the form has it under as the marker did (a Python form has no TS encoders).
  const encoders = python ? PY_ENCODERS : ENCODERS;
  const [dirMark, dir] = python ? [PY_MARKS.dir, folder] : [MARKS.dir, options.packageName];
  const safe =
    commutes(MARKS.serverUrl, options.serverUrl, encoders) &&
    commutes(dirMark, dir, encoders) &&
    (python || commutes(data.cli, cli, [jsonValue, mdCode])) &&
    tools.every((tool, i) => {
      const mark = markTools[i % markTools.length]!;
      return commutes(mark.scope, tool.scope, encoders) && commutes(mark.name, tool.name, python ? encoders : [...encoders, tsKey]);
    });
  if (!safe) return undefined;

  if (!plain) {
    // Only a TypeScript form holds the plain files.
    if (python || data.plain.pm !== options.pm || data.plain.ci !== options.ci) return undefined;
    const files: ProjectFile[] = [];
    for (const file of form) {
      const content = fill(file.after, values);
      if (content === undefined) return undefined;
      files.push({ path: file.path, content: Buffer.from(content), mode: file.mode });
    }
    return files.sort(byPath);
  }

  const files = new Map(plain.map((file) => [file.path, file]));
  for (const file of form) {
    if (file.plain) continue;
    // A Python project's paths hold its module's name (src/<module>/mcp_auth/...).
    const where = fill(file.path, values);
    if (where === undefined) return undefined;
    const current = files.get(where)?.content.toString("utf8");
    // A changed file is add's edit of a plain file: that plain file must be the one the form was made from.
    if (file.before === undefined ? current !== undefined : current === undefined || fill(file.before, values) !== current)
      return undefined;
    const after = fill(file.after, values);
    if (after === undefined) return undefined;
    files.set(where, { path: where, content: Buffer.from(after), mode: file.mode });
  }
  return [...files.values()].sort(byPath);
}
