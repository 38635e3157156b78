import path from 'node:path';
import { DEFAULT_FRAMEWORK, FRAMEWORKS, findFramework, type Framework } from '../frameworks.js';
import { usageError } from '../errors.js';
import {
  parsePort,
  parseScopes,
  toValidPackageName,
  validateClientId,
  validatePackageName,
  validateResourceId,
  validateSecret,
  validateUrl,
  withoutTrailingSlash,
  type Problem,
} from './validate.js';

export const PACKAGE_MANAGERS = ['npm', 'pnpm', 'yarn', 'bun'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];

export const DEFAULTS = {
  dir: 'mcp-server',
  scopes: 'todo:read,todo:write',
  port: 3000,
  localIssuerUrl: 'http://127.0.0.1:4444',
  localResourceId: 'res_local',
} as const;

/** What the user said, from flags or environment, before any prompt. All strings, unvalidated. */
export interface CreateFlags {
  dir?: string;
  framework?: string;
  scopes?: string;
  serverUrl?: string;
  port?: string;
  envUrl?: string;
  clientId?: string;
  clientSecret?: string;
  resourceId?: string;
  yes?: boolean;
  install?: boolean;
  git?: boolean;
  check?: boolean;
  pm?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export interface ScalekitCredentials {
  envUrl: string;
  clientId: string;
  clientSecret?: string;
  resourceId: string;
}

/** The validated options model that drives rendering, install and check. */
export interface CreateOptions {
  /** Directory as the user wrote it (for messages: `cd <dir>`). */
  dir: string;
  /** Absolute target directory. */
  root: string;
  packageName: string;
  framework: Framework;
  scopes: string[];
  port: number;
  /** Public URL of the MCP endpoint, without trailing slash. */
  serverUrl: string;
  /** null: local mode (the project points at `create-mcp-auth issuer`). */
  scalekit: ScalekitCredentials | null;
  pm: PackageManager;
  install: boolean;
  git: boolean;
  check: boolean;
  force: boolean;
  dryRun: boolean;
  json: boolean;
}

/** The questions `create` can ask, each with the flags that answer it. */
export const QUESTIONS = {
  dir: '[dir]',
  framework: '--framework',
  scopes: '--scopes',
  scalekit: '--env-url, --client-id, --resource-id (or --yes for local mode)',
} as const;
export type Question = keyof typeof QUESTIONS;

export function hasAnyCredential(flags: CreateFlags): boolean {
  return Boolean(flags.envUrl || flags.clientId || flags.resourceId);
}

/** Questions that flags and environment leave open. */
export function openQuestions(flags: CreateFlags): Question[] {
  const open: Question[] = [];
  if (flags.dir === undefined) open.push('dir');
  if (flags.framework === undefined) open.push('framework');
  if (flags.scopes === undefined) open.push('scopes');
  if (!hasAnyCredential(flags)) open.push('scalekit');
  return open;
}

export function packageManagerFromUserAgent(userAgent: string | undefined): PackageManager | undefined {
  const name = userAgent?.split(' ')[0]?.split('/')[0];
  return PACKAGE_MANAGERS.find((pm) => pm === name);
}

export function packageNameFor(dir: string, cwd: string): string {
  return path.basename(path.resolve(cwd, dir));
}

/**
 * Turns answers (all given, after prompts or defaults) into the options
 * model, collecting every problem at once so the user fixes them in one go.
 */
export function resolveOptions(flags: CreateFlags, env: NodeJS.ProcessEnv, cwd: string): CreateOptions {
  const problems: Problem[] = [];
  const dir = flags.dir ?? DEFAULTS.dir;
  if (dir.trim() === '') problems.push({ flag: '[dir]', message: 'the target directory is empty' });
  const root = path.resolve(cwd, dir);
  const packageName = packageNameFor(dir, cwd);
  const nameError = validatePackageName(packageName);
  if (nameError) {
    problems.push({
      flag: '[dir]',
      message: `the directory name becomes the package name: ${nameError}`,
    });
  }

  const framework = findFramework(flags.framework ?? DEFAULT_FRAMEWORK);
  if (!framework) {
    problems.push({
      flag: '--framework',
      message: `unknown framework "${flags.framework}"; choose one of: ${FRAMEWORKS.map((f) => f.name).join(', ')}`,
    });
  }

  const { scopes, error: scopesError } = parseScopes(flags.scopes ?? DEFAULTS.scopes);
  if (scopesError) problems.push({ flag: '--scopes', message: scopesError });

  let port: number = DEFAULTS.port;
  if (flags.port !== undefined) {
    const parsed = parsePort(flags.port);
    if (parsed.error) problems.push({ flag: '--port', message: parsed.error });
    else port = parsed.port;
  }

  let serverUrl = `http://localhost:${port}/mcp`;
  if (flags.serverUrl !== undefined) {
    const error = validateUrl(flags.serverUrl, { what: 'the server URL', httpsUnlessLoopback: true });
    if (error) problems.push({ flag: '--server-url', message: error });
    else serverUrl = withoutTrailingSlash(flags.serverUrl);
  }

  let scalekit: ScalekitCredentials | null = null;
  if (hasAnyCredential(flags)) {
    const missing = (
      [
        ['--env-url', flags.envUrl],
        ['--client-id', flags.clientId],
        ['--resource-id', flags.resourceId],
      ] as const
    ).filter(([, value]) => !value);
    for (const [flag] of missing) {
      problems.push({ flag, message: 'Scalekit mode needs all of --env-url, --client-id and --resource-id; this one is missing' });
    }
    const envUrlError = flags.envUrl ? validateUrl(flags.envUrl, { what: 'the Scalekit environment URL', httpsUnlessLoopback: true }) : undefined;
    if (envUrlError) problems.push({ flag: '--env-url', message: envUrlError });
    const clientIdError = flags.clientId ? validateClientId(flags.clientId) : undefined;
    if (clientIdError) problems.push({ flag: '--client-id', message: clientIdError });
    const resourceError = flags.resourceId ? validateResourceId(flags.resourceId) : undefined;
    if (resourceError) problems.push({ flag: '--resource-id', message: resourceError });
    const secretError = flags.clientSecret ? validateSecret(flags.clientSecret) : undefined;
    if (secretError) problems.push({ flag: 'SCALEKIT_CLIENT_SECRET', message: secretError });
    if (flags.envUrl && flags.clientId && flags.resourceId) {
      scalekit = {
        envUrl: withoutTrailingSlash(flags.envUrl),
        clientId: flags.clientId,
        resourceId: flags.resourceId,
        ...(flags.clientSecret ? { clientSecret: flags.clientSecret } : {}),
      };
    }
  }

  let pm: PackageManager = packageManagerFromUserAgent(env.npm_config_user_agent) ?? 'npm';
  if (flags.pm !== undefined) {
    const chosen = PACKAGE_MANAGERS.find((name) => name === flags.pm);
    if (!chosen) problems.push({ flag: '--pm', message: `unknown package manager "${flags.pm}"; use ${PACKAGE_MANAGERS.join(', ')}` });
    else pm = chosen;
  }

  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.flag}: ${p.message}`);
    throw usageError(`invalid input:\n${lines.join('\n')}`);
  }

  return {
    dir,
    root,
    packageName,
    framework: framework!,
    scopes,
    port,
    serverUrl,
    scalekit,
    pm,
    install: flags.install ?? true,
    git: flags.git ?? true,
    check: flags.check ?? true,
    force: flags.force ?? false,
    dryRun: flags.dryRun ?? false,
    json: flags.json ?? false,
  };
}

export { toValidPackageName };
