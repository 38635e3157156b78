import path from "node:path";
import { usageError } from "../errors.js";
import type { Framework, Language } from "../frameworks.js";
import { resolveFramework } from "../languages/options.js";
import { DEFAULT_PROVIDER, findProvider, PROVIDERS, type Provider, type ProviderSetting, type ProviderValues } from "../providers.js";
import {
  type Problem,
  parsePort,
  parseScopes,
  shown,
  toValidPackageName,
  validatePackageName,
  validateUrl,
  withoutTrailingSlash,
} from "./validate.js";

export const PACKAGE_MANAGERS = ["npm", "pnpm", "yarn", "bun"] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export const DEFAULTS = {
  dir: "mcp-server",
  scopes: "todo:read,todo:write",
  port: 3000,
} as const;

/** What the user said, from flags or prompts, before validation. All strings, unvalidated. */
export interface CreateFlags {
  dir?: string;
  framework?: string;
  /** `--language`: typescript (default) or python; `-f fastapi` alone implies python. */
  language?: string;
  scopes?: string;
  serverUrl?: string;
  port?: string;
  provider?: string;
  /** Provider settings given as flags or at a prompt, by setting key (see src/providers.ts). Environment variables are read by resolveOptions. */
  settings?: Record<string, string | string[]>;
  /** Local mode chosen at the prompt, even if the environment holds provider settings. */
  local?: boolean;
  yes?: boolean;
  install?: boolean;
  git?: boolean;
  check?: boolean;
  ci?: boolean;
  pm?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** The validated options model that drives rendering, install and check. */
export interface CreateOptions {
  /** Directory as the user wrote it (for messages: `cd <dir>`). */
  dir: string;
  /** Absolute target directory. */
  root: string;
  packageName: string;
  framework: Framework;
  /** The framework's language: what is rendered, installed and started. */
  language: Language;
  scopes: string[];
  port: number;
  /** Public URL of the MCP endpoint, without trailing slash. */
  serverUrl: string;
  provider: Provider;
  /** true: the project points at `create-mcp-auth issuer` (settings are the provider's local values). */
  local: boolean;
  /** The provider's validated settings (in local mode: its local values). */
  settings: ProviderValues;
  pm: PackageManager;
  install: boolean;
  git: boolean;
  check: boolean;
  /** Write `.github/workflows/ci.yml` (`--no-ci` turns it off). */
  ci: boolean;
  force: boolean;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
}

/** The flag that sets a setting, for messages (the environment variable for a secret). */
export function settingFlag(setting: ProviderSetting): string {
  return setting.flag?.split(" ")[0] ?? setting.env ?? setting.key;
}

function providerFlagsText(): string {
  const each = PROVIDERS.map(
    (p) =>
      `${p.name}: ${p.settings
        .filter((s) => s.required)
        .map(settingFlag)
        .join(", ")}`,
  );
  return `--provider and its settings (${each.join("; ")}), or --yes for local mode`;
}

/** The questions `create` can ask, each with the flags that answer it. */
export const QUESTIONS = {
  dir: "[dir]",
  framework: "--framework",
  scopes: "--scopes",
  provider: providerFlagsText(),
} as const;
export type Question = keyof typeof QUESTIONS;

type Env = Record<string, string | undefined>;

/** A setting's value: the flag (or prompt answer) first, then its environment variable. Empty environment variables count as unset. */
function settingValue(setting: ProviderSetting, flags: CreateFlags, env: Env): string | string[] | undefined {
  const given = flags.settings?.[setting.key];
  if (given !== undefined) return given;
  const fromEnv = setting.env ? env[setting.env] : undefined;
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** Settings that choose a provider: given as flags, or (a secret aside) in the environment. */
function givenSettings(provider: Provider, flags: CreateFlags, env: Env, source: "flags" | "env"): ProviderSetting[] {
  return provider.settings.filter((s) =>
    source === "flags"
      ? flags.settings?.[s.key] !== undefined
      : !s.secret && settingValue(s, { ...flags, settings: {} }, env) !== undefined,
  );
}

export interface ProviderChoice {
  provider: Provider;
  /** No setting of the provider is given: local mode, unless a prompt asks. */
  unconfigured: boolean;
  problems: Problem[];
}

/**
 * Which provider the answers mean: `--provider`, else the one whose flags
 * were given, else the one whose environment variables are set, else the
 * default. Flags of another provider are a mistake, not ignored.
 */
export function chooseProvider(flags: CreateFlags, env: Env): ProviderChoice {
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

/** Questions that flags and environment leave open. */
export function openQuestions(flags: CreateFlags, env: Env = {}): Question[] {
  const open: Question[] = [];
  if (flags.dir === undefined) open.push("dir");
  if (flags.framework === undefined) open.push("framework");
  if (flags.scopes === undefined) open.push("scopes");
  if (flags.local !== true && chooseProvider(flags, env).unconfigured) open.push("provider");
  return open;
}

export function packageManagerFromUserAgent(userAgent: string | undefined): PackageManager | undefined {
  const name = userAgent?.split(" ")[0]?.split("/")[0];
  return PACKAGE_MANAGERS.find((pm) => pm === name);
}

export function packageNameFor(dir: string, cwd: string): string {
  return path.basename(path.resolve(cwd, dir));
}

/** The directory answer's own problem (before the target directory is looked at), or undefined. */
export function dirProblem(dir: string, cwd: string): string | undefined {
  if (dir.trim() === "") return "the target directory is empty";
  if (dir.includes("\0")) return "the target directory cannot contain a NUL character";
  const nameError = validatePackageName(packageNameFor(dir, cwd));
  return nameError ? `the directory name becomes the package name: ${nameError}` : undefined;
}

/** Validates one setting's value (each value of a repeatable one); returns the normalized value. */
function resolveSetting(setting: ProviderSetting, value: string | string[], problems: Problem[]): string | string[] | undefined {
  const flag = settingFlag(setting);
  const values = Array.isArray(value) ? value : setting.repeatable ? value.split(",") : [value];
  const out: string[] = [];
  for (const one of values) {
    const error = setting.validate(one);
    if (error) problems.push({ flag, message: error });
    else out.push(setting.normalize ? setting.normalize(one) : one);
  }
  if (out.length !== values.length) return undefined;
  return setting.repeatable ? out : out[0];
}

function resolveProvider(
  flags: CreateFlags,
  env: Env,
  problems: Problem[],
): { provider: Provider; local: boolean; settings: ProviderValues } {
  const choice = chooseProvider(flags, env);
  problems.push(...choice.problems);
  const { provider } = choice;
  if (choice.unconfigured) return { provider, local: true, settings: { ...provider.local } };

  const settings: ProviderValues = {};
  for (const setting of provider.settings) {
    const value = settingValue(setting, flags, env);
    if (value === undefined) {
      if (setting.required) {
        const required = provider.settings
          .filter((s) => s.required)
          .map(settingFlag)
          .join(" and ");
        problems.push({
          flag: settingFlag(setting),
          message: `${provider.display} needs ${required}; this one is missing (or give none of its settings for local mode)`,
        });
      }
      continue;
    }
    settings[setting.key] = resolveSetting(setting, value, problems);
  }
  return { provider, local: false, settings };
}

/**
 * Turns answers (all given, after prompts or defaults) into the options
 * model, collecting every problem at once so the user fixes them in one go.
 */
export function resolveOptions(flags: CreateFlags, env: Env, cwd: string): CreateOptions {
  const problems: Problem[] = [];
  const dir = flags.dir ?? DEFAULTS.dir;
  const dirError = dirProblem(dir, cwd);
  if (dirError) problems.push({ flag: "[dir]", message: dirError });
  const root = path.resolve(cwd, dir.includes("\0") ? "." : dir);
  const packageName = packageNameFor(dir, cwd);

  const framework = resolveFramework(flags, problems);

  const { scopes, error: scopesError } = parseScopes(flags.scopes ?? DEFAULTS.scopes);
  if (scopesError) problems.push({ flag: "--scopes", message: scopesError });

  let port: number = DEFAULTS.port;
  if (flags.port !== undefined) {
    const parsed = parsePort(flags.port);
    if (parsed.error) problems.push({ flag: "--port", message: parsed.error });
    else port = parsed.port;
  }

  let serverUrl = `http://localhost:${port}/mcp`;
  if (flags.serverUrl !== undefined) {
    const error = validateUrl(flags.serverUrl, { what: "the server URL", httpsUnlessLoopback: true, exact: true });
    if (error) problems.push({ flag: "--server-url", message: error });
    else serverUrl = withoutTrailingSlash(flags.serverUrl);
  }

  const { provider, local, settings } = resolveProvider(flags, env, problems);

  let pm: PackageManager = packageManagerFromUserAgent(env.npm_config_user_agent) ?? "npm";
  if (flags.pm !== undefined) {
    const chosen = PACKAGE_MANAGERS.find((name) => name === flags.pm);
    if (!chosen) problems.push({ flag: "--pm", message: `unknown package manager ${shown(flags.pm)}; use ${PACKAGE_MANAGERS.join(", ")}` });
    else pm = chosen;
  }

  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.flag}: ${p.message}`);
    throw usageError(`invalid input:\n${lines.join("\n")}`);
  }

  return {
    dir,
    root,
    packageName,
    framework: framework!,
    language: framework!.language,
    scopes,
    port,
    serverUrl,
    provider,
    local,
    settings,
    pm,
    install: flags.install ?? true,
    git: flags.git ?? true,
    check: flags.check ?? true,
    ci: flags.ci ?? true,
    force: flags.force ?? false,
    dryRun: flags.dryRun ?? false,
    json: flags.json ?? false,
    verbose: flags.verbose ?? false,
  };
}

export { toValidPackageName };
