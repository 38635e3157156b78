/**
 * The one resolver of the provider table (src/providers.ts), for create and
 * add: which provider the flags and environment mean, the values given for
 * its settings, and one validation of them with one set of messages.
 */
import { DEFAULT_PROVIDER, findProvider, PROVIDERS, type Provider, type ProviderSetting, type ProviderValues } from "../providers.js";
import { canWriteEnvValue } from "./literals.js";
import { type Problem, shown } from "./validate.js";

export type Env = Record<string, string | undefined>;

/** What the user said about the provider: `--provider`, the settings given as flags (or prompt answers), by key. */
export interface ProviderFlags {
  provider?: string;
  settings?: Record<string, string | string[]>;
  /** Local mode chosen at a prompt (create), even if the environment holds provider settings. */
  local?: boolean;
}

/** The flag that sets a setting, for messages (`--env-url`); a secret has none: its environment variable. */
export function settingFlag(setting: ProviderSetting): string {
  return setting.flag?.split(" ", 1)[0] ?? setting.env ?? setting.key;
}

/** A comma-separated answer or variable of a repeatable setting, as its values. */
export function splitValues(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A setting's value: the flag (or prompt answer) first, then its environment variable; an empty variable counts as unset. */
export function settingValue(setting: ProviderSetting, flags: ProviderFlags, env: Env): string | string[] | undefined {
  const given = flags.settings?.[setting.key];
  if (given !== undefined) return given;
  const fromEnv = setting.env ? env[setting.env] : undefined;
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** Settings that choose a provider: given as flags, or (a secret aside) in the environment. */
function givenSettings(provider: Provider, flags: ProviderFlags, env: Env, source: "flags" | "env"): ProviderSetting[] {
  return provider.settings.filter((s) =>
    source === "flags"
      ? flags.settings?.[s.key] !== undefined
      : !s.secret && settingValue(s, { ...flags, settings: {} }, env) !== undefined,
  );
}

export interface ProviderChoice {
  provider: Provider;
  /** No setting of the provider is given (a secret alone does not count), or local mode was chosen. */
  unconfigured: boolean;
  problems: Problem[];
}

/**
 * Which provider the answers mean: `--provider`, else the one whose flags
 * were given, else the one whose environment variables are set, else the
 * default. Flags of another provider are a mistake, not ignored.
 */
export function chooseProvider(flags: ProviderFlags, env: Env): ProviderChoice {
  const problems: Problem[] = [];
  let provider: Provider | undefined;
  if (flags.provider !== undefined) {
    provider = findProvider(flags.provider);
    if (!provider)
      problems.push({
        flag: "--provider",
        message: `unknown provider ${shown(flags.provider)}; choose one of: ${PROVIDERS.map((p) => p.name).join(", ")}`,
      });
  } else {
    for (const source of ["flags", "env"] as const) {
      const matching = PROVIDERS.filter((p) => givenSettings(p, flags, env, source).length > 0);
      if (matching.length > 1) {
        const names = matching.map(
          (p) =>
            `${p.name} (${givenSettings(p, flags, env, source)
              .map((s) => (source === "env" ? s.env : settingFlag(s)))
              .join(", ")})`,
        );
        problems.push({
          flag: "--provider",
          message: `settings of several providers are given: ${names.join(" and ")}; pass --provider to choose one`,
        });
      }
      if (matching.length > 0) {
        provider = matching[0];
        break;
      }
    }
  }
  provider ??= DEFAULT_PROVIDER;
  for (const other of PROVIDERS) {
    if (other === provider) continue;
    for (const setting of givenSettings(other, flags, env, "flags")) {
      problems.push({ flag: settingFlag(setting), message: `is a setting of --provider ${other.name}, not ${provider.name}` });
    }
  }
  const unconfigured = flags.local === true || provider.settings.every((s) => s.secret || settingValue(s, flags, env) === undefined);
  return { provider, unconfigured, problems };
}

/**
 * The values given for the provider's settings, by key (flag, else variable;
 * a repeatable one's string split on commas), unvalidated; undefined when
 * none is given.
 */
export function givenValues(provider: Provider, flags: ProviderFlags, env: Env): ProviderValues | undefined {
  const values: ProviderValues = {};
  for (const setting of provider.settings) {
    const value = settingValue(setting, flags, env);
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : setting.repeatable ? splitValues(value) : undefined;
    if (list === undefined) values[setting.key] = value as string;
    else if (list.length > 0) values[setting.key] = list;
  }
  return Object.keys(values).length > 0 ? values : undefined;
}

/** One value's problem, by the setting's own check, or undefined (a prompt's validator uses it too). */
export function settingProblem(setting: ProviderSetting, value: string): string | undefined {
  return valuesProblems(setting, setting.repeatable ? splitValues(value) : [value])[0];
}

/** Each value's problem by the setting's check; when there is none, the joined list's (for .env). */
function valuesProblems(setting: ProviderSetting, each: string[]): string[] {
  const errors = each.map((one) => setting.validate(one)).filter((error) => error !== undefined);
  if (errors.length > 0) return errors;
  const joined = joinedProblem(setting, each);
  return joined ? [joined] : [];
}

/**
 * A repeatable setting's values are written to .env joined with commas: each
 * may be writable alone and the list not (`!` and `"'!` join to one value
 * with all three quotes that starts with one).
 */
function joinedProblem(setting: ProviderSetting, each: string[]): string | undefined {
  if (!setting.repeatable || each.length < 2) return undefined;
  const joined = each.join(",");
  if (canWriteEnvValue(joined)) return undefined;
  return `${setting.env} holds these values joined with commas, and .env cannot hold ${shown(joined)} exactly (', \` and " together, starting with a quote or holding #): give them in another order, or fewer`;
}

/**
 * Validates the given values: every required setting present, each value by
 * its setting's check; then each normalized. Every problem at once.
 */
export function resolveValues(provider: Provider, given: ProviderValues): { values: ProviderValues; problems: Problem[] } {
  const problems: Problem[] = [];
  const values: ProviderValues = {};
  const required = provider.settings.filter((s) => s.required).map(settingFlag);
  for (const setting of provider.settings) {
    const flag = settingFlag(setting);
    const value = given[setting.key];
    if (value === undefined) {
      if (setting.required)
        problems.push({
          flag,
          message: `${provider.display} needs ${listed(required)}; this one is missing (give all of them, or none)`,
        });
      continue;
    }
    const each = Array.isArray(value) ? value : [value];
    const errors = valuesProblems(setting, each);
    for (const message of errors) problems.push({ flag, message });
    if (errors.length > 0) continue;
    const normalized = setting.normalize ? each.map((one) => setting.normalize?.(one) ?? one) : each;
    values[setting.key] = Array.isArray(value) ? normalized : normalized[0];
  }
  return { values, problems };
}

/** Problems as the lines of one usage error. */
export function problemLines(problems: Problem[]): string {
  return `invalid input:\n${problems.map((p) => `  ${p.flag}: ${p.message}`).join("\n")}`;
}

function listed(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
