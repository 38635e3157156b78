import path from "node:path";
import { usageError } from "../core/errors.js";
import { findPackageManager, type PackageManager, packageManagerFromUserAgent, packageManagerProblem } from "../core/package-managers.js";
import { chooseProvider, type Env, givenValues, problemLines, resolveValues, settingFlag } from "../core/provider-settings.js";
import {
  type Problem,
  parsePort,
  parseScopes,
  toValidPackageName,
  validatePackageName,
  validateUrl,
  withoutTrailingSlash,
} from "../core/validate.js";
import type { Framework, Language } from "../frameworks.js";
import { resolveFramework } from "../languages/options.js";
import { PROVIDERS, type Provider, type ProviderValues } from "../providers.js";

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

/** Questions that flags and environment leave open. */
export function openQuestions(flags: CreateFlags, env: Env = {}): Question[] {
  const open: Question[] = [];
  if (flags.dir === undefined) open.push("dir");
  if (flags.framework === undefined) open.push("framework");
  if (flags.scopes === undefined) open.push("scopes");
  if (flags.local !== true && chooseProvider(flags, env).unconfigured) open.push("provider");
  return open;
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

function resolveProvider(
  flags: CreateFlags,
  env: Env,
  problems: Problem[],
): { provider: Provider; local: boolean; settings: ProviderValues } {
  const choice = chooseProvider(flags, env);
  problems.push(...choice.problems);
  const { provider } = choice;
  if (choice.unconfigured) return { provider, local: true, settings: { ...provider.local } };
  const resolved = resolveValues(provider, givenValues(provider, flags, env) ?? {});
  problems.push(...resolved.problems);
  return { provider, local: false, settings: resolved.values };
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
    const chosen = findPackageManager(flags.pm);
    if (!chosen) problems.push({ flag: "--pm", message: packageManagerProblem(flags.pm) ?? "" });
    else pm = chosen;
  }

  if (problems.length > 0 || !framework) throw usageError(problemLines(problems));

  return {
    dir,
    root,
    packageName,
    framework,
    language: framework.language,
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
