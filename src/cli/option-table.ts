/**
 * A command's options as a table (flags, description, choices, environment
 * variable, repeatable), without commander: commander's `Option`s are built
 * from a row (`toCommanderOption`, for help, the other commands and every
 * error), and `parseWithTable` reads the same rows when create starts, so the
 * default command never loads commander. The parser understands only what
 * it is sure commander reads the same way and declines everything else
 * (undefined): the caller then hands the arguments to commander, which
 * parses them or prints its usual error.
 */
import type { Command, Option } from "commander";
import { DEFAULT_PROVIDER, PROVIDERS } from "../providers.js";

/** One option, as commander's flags say it: `-f, --framework <name>`, `--yes`, `--no-install`. */
export interface OptionRow {
  flags: string;
  description: string;
  /** The only values the option takes. */
  choices?: readonly string[];
  /** Environment variable that gives the value when the flag is absent (commander's `.env()`). */
  env?: string;
  /** The flag may be given several times; its value is the list of them, in order. */
  repeatable?: boolean;
}

/** A repeatable flag's values, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `--provider` and the flags of every provider's settings, from the provider table (a secret has none: never argv). */
export function providerOptionRows(): OptionRow[] {
  const rows: OptionRow[] = [
    {
      flags: "--provider <name>",
      description: `authorization server (default: ${DEFAULT_PROVIDER.name})`,
      choices: PROVIDERS.map((p) => p.name),
    },
  ];
  for (const provider of PROVIDERS) {
    for (const setting of provider.settings) {
      if (!setting.flag) continue;
      const description = `${setting.description}${setting.env ? ` (env: ${setting.env})` : ""}`;
      rows.push({ flags: setting.flag, description, ...(setting.repeatable ? { repeatable: true } : {}) });
    }
  }
  return rows;
}

/** The provider settings given as flags, by key (environment variables are read where they are resolved). */
export function providerFlags(opts: Record<string, unknown>): Record<string, string | string[]> {
  const settings: Record<string, string | string[]> = {};
  for (const setting of PROVIDERS.flatMap((p) => p.settings)) {
    const value = opts[setting.key];
    if (typeof value === "string") settings[setting.key] = value;
    else if (Array.isArray(value)) settings[setting.key] = value.map(String);
  }
  return settings;
}

/** A string flag's value, or undefined. */
export function stringValue(opts: Record<string, unknown>, key: string): string | undefined {
  return typeof opts[key] === "string" ? opts[key] : undefined;
}

/** The variables of the providers' secrets (never flags), for help text. */
export function secretVariables(): string[] {
  return PROVIDERS.flatMap((p) => p.settings.flatMap((s) => (s.secret && s.env ? [s.env] : [])));
}

/** commander's Option for a row (`cmd.createOption`: this module never loads commander itself). */
export function toCommanderOption(cmd: Command, row: OptionRow): Option {
  const option = cmd.createOption(row.flags, row.description);
  if (row.choices) option.choices(row.choices);
  if (row.env) option.env(row.env);
  if (row.repeatable) option.argParser(collect);
  return option;
}

/** A row's flags taken apart: what the parser matches and the key commander stores the value under. */
interface FlagSpec {
  row: OptionRow;
  short?: string;
  long: string;
  takesValue: boolean;
  negate: boolean;
  key: string;
}

const FLAGS = /^(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: <[\w-]+>)?$/;

/** commander's attribute name: the long flag without `--` (and `no-`), in camel case. */
function attributeName(long: string): string {
  return long
    .slice(2)
    .replace(/^no-/, "")
    .replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function flagSpec(row: OptionRow): FlagSpec {
  const match = FLAGS.exec(row.flags);
  if (!match) throw new Error(`option table: cannot read the flags "${row.flags}"`);
  const long = match[2]!;
  const negate = long.startsWith("--no-");
  return { row, ...(match[1] ? { short: match[1] } : {}), long, takesValue: row.flags.endsWith(">"), negate, key: attributeName(long) };
}

/** What parseWithTable read: the operands in order and each option's value by commander's key, defaults included. */
export interface ParsedArgs {
  operands: string[];
  values: Record<string, unknown>;
}

/**
 * Reads `args` (the arguments after the command) with `rows` as commander
 * would for a command with these options and nothing else registered, or
 * returns undefined for anything it does not handle: an unknown option,
 * `--`, a group of short flags (`-yf`), a short flag with its value in
 * the same argument, `--flag=value` on a flag without a value, a value
 * outside the choices, a missing value. `--flag=value`, `--flag value` and
 * `-f value` are read; a flag's value is the next argument whatever it is
 * (commander's rule). The environment fills an option's value when its flag
 * is absent.
 */
export function parseWithTable(rows: readonly OptionRow[], args: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs | undefined {
  const specs = rows.map(flagSpec);
  const byFlag = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byFlag.set(spec.long, spec);
    if (spec.short) byFlag.set(spec.short, spec);
  }
  const values: Record<string, unknown> = {};
  // commander's defaults: a `--no-x` flag without an `--x` makes x true until the flag is given.
  for (const spec of specs) if (spec.negate && !byFlag.has(`--${spec.long.slice(5)}`)) values[spec.key] = true;
  const operands: string[] = [];
  const set = (spec: FlagSpec, value: string): boolean => {
    if (spec.row.choices && !spec.row.choices.includes(value)) return false;
    values[spec.key] = spec.row.repeatable ? collect(value, values[spec.key] as string[] | undefined) : value;
    return true;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || arg[0] !== "-") {
      operands.push(arg);
      continue;
    }
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const spec = byFlag.get(equals > 2 ? arg.slice(0, equals) : arg);
    if (!spec) return undefined;
    if (equals > 2) {
      if (!spec.takesValue || !set(spec, arg.slice(equals + 1))) return undefined;
    } else if (spec.takesValue) {
      const value = args[++i];
      if (value === undefined || !set(spec, value)) return undefined;
    } else values[spec.key] = !spec.negate;
  }
  for (const spec of specs)
    if (spec.row.env && values[spec.key] === undefined && spec.row.env in env && !set(spec, env[spec.row.env]!)) return undefined;
  return { operands, values };
}
