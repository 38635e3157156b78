import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { environmentError } from '../errors.js';
import type { PackageManager } from './options.js';

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Installs the generated project's dependencies; the tool's own output is kept and shown only on failure. */
export async function installDependencies(root: string, pm: PackageManager): Promise<void> {
  const args = pm === 'npm' ? ['install', '--no-fund', '--no-audit'] : ['install'];
  try {
    await execa(pm, args, { cwd: root, all: true, stdin: 'ignore', env: { npm_config_update_notifier: 'false' } });
  } catch (error) {
    const e = error as { code?: string; all?: string; shortMessage?: string };
    if (e.code === 'ENOENT') {
      throw environmentError(`${pm} is not installed or not on PATH; install it, or pass --pm npm`);
    }
    throw environmentError(`${pm} install failed in ${root}; fix the error below and run \`${pm} install\` there`, tail(e.all ?? e.shortMessage ?? ''));
  }
}

/** `git init` plus a first commit-ready state; skipped inside an existing repository. */
export async function initGit(root: string): Promise<'created' | 'inside-repo' | 'no-git'> {
  try {
    const inside = await execa('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, reject: false, stdin: 'ignore' });
    if (inside.exitCode === 0 && inside.stdout.trim() === 'true' && !existsSync(path.join(root, '.git'))) return 'inside-repo';
    if (existsSync(path.join(root, '.git'))) return 'inside-repo';
    await execa('git', ['init', '--quiet'], { cwd: root, stdin: 'ignore' });
    return 'created';
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 'no-git';
    throw environmentError(`git init failed in ${root}: ${(error as Error).message}`);
  }
}
