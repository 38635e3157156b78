import path from 'node:path';
import { CliError, EXIT, usageError } from '../errors.js';
import { createUi, type Ui } from '../ui.js';
import { openQuestions, resolveOptions, QUESTIONS, type CreateFlags, type CreateOptions } from './options.js';
import { renderProject } from './render.js';
import { commandsFor } from './context.js';
import { checkTarget, writeProject } from './write.js';

export interface CreateResult {
  ok: boolean;
  dryRun: boolean;
  dir: string;
  root: string;
  framework: string;
  mode: 'local' | 'scalekit';
  files: string[];
  installed: boolean;
  git: 'created' | 'inside-repo' | 'no-git' | 'skipped';
  check: unknown;
}

function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/** Collects answers (flags, environment, prompts), then validates them in one place. */
async function gatherOptions(flags: CreateFlags, ui: Ui, cwd: string): Promise<CreateOptions> {
  const open = flags.yes ? [] : openQuestions(flags);
  let answers = flags;
  if (open.length > 0) {
    if (!isInteractive()) {
      const needed = open.map((q) => QUESTIONS[q]).join('; ');
      throw usageError(
        `no terminal to ask questions on; answer them with flags: ${needed}. Or pass --yes to take the defaults.\n` +
          '  e.g. create-mcp-auth my-server --framework express --scopes todo:read,todo:write --yes',
      );
    }
    const { askMissing } = await import('./prompts.js');
    answers = await askMissing(flags, open, ui.output, cwd);
  }
  return resolveOptions(answers, process.env, cwd);
}

export async function runCreate(flags: CreateFlags, cwd = process.cwd()): Promise<number> {
  const ui = await createUi(Boolean(flags.json));
  const options = await gatherOptions(flags, ui, cwd);
  await checkTarget(options.root, options.dir, options.force);

  const files = await renderProject(options);
  const result: CreateResult = {
    ok: true,
    dryRun: options.dryRun,
    dir: options.dir,
    root: options.root,
    framework: options.framework.name,
    mode: options.scalekit ? 'scalekit' : 'local',
    files: files.map((f) => f.path),
    installed: false,
    git: 'skipped',
    check: null,
  };

  if (options.dryRun) {
    ui.info(`Dry run: would write ${files.length} files to ${options.root}\n${files.map((f) => `  ${f.path}`).join('\n')}`);
    return finish(result, options, ui);
  }

  await writeProject(options.root, files);
  ui.success(`Wrote ${files.length} files to ${options.root} (${options.framework.display}, ${result.mode} mode)`);

  // install.js (and execa with it) loads only when a child process is needed.
  if (options.git) {
    const { initGit } = await import('./install.js');
    result.git = await initGit(options.root);
  }

  if (options.install) {
    const { installDependencies } = await import('./install.js');
    await ui.step(`Installing dependencies with ${options.pm}`, 'Dependencies installed', () =>
      installDependencies(options.root, options.pm),
    );
    result.installed = true;
  }

  if (options.check && result.installed) {
    const { runSelfCheck } = await import('../selfcheck.js');
    const outcome = await runSelfCheck({ root: options.root, scopes: options.scopes, ui });
    result.check = outcome.report;
    result.ok = outcome.passed;
  } else if (options.check && !result.installed) {
    ui.info('Self-check skipped: it needs installed dependencies (run without --no-install).');
  }
  return finish(result, options, ui);
}

function finish(result: CreateResult, options: CreateOptions, ui: Ui): number {
  if (!options.dryRun && result.ok) {
    const pm = commandsFor(options.pm);
    const rel = path.relative(process.cwd(), options.root) || '.';
    const steps = [
      rel === '.' ? undefined : `cd ${rel}`,
      result.installed ? undefined : pm.install,
      options.scalekit ? undefined : `${pm.exec} create-mcp-auth issuer   # another terminal`,
      `${pm.run} dev`,
      `${pm.run === 'npm run' ? 'npm' : pm.run} test`,
    ].filter(Boolean);
    ui.note(steps.join('\n'), 'Next steps');
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.ok ? EXIT.ok : EXIT.checkFailed;
}

export { CliError };
