import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cleanEnv, cliBin, tempDir } from './helpers/cli.js';

type Step = [waitFor: RegExp, keys: string];

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`), and for each
 * step waits for text on the screen, then types keys. Returns the exit code,
 * what was shown, and what is left in the working directory.
 */
async function drive(steps: Step[]) {
  const { dir, cleanup } = await tempDir('cma-pty-');
  try {
    const child = execa('script', ['-qefc', `stty cols 100 rows 40; ${process.execPath} ${cliBin}`, '/dev/null'], {
      cwd: dir,
      reject: false,
      env: cleanEnv({ TERM: 'xterm-256color' }),
      extendEnv: false,
      timeout: 30_000,
    });
    let screen = '';
    let next = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`step ${next} not reached; screen:\n${screen}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        const step = steps[next];
        if (step && step[0].test(screen)) {
          next++;
          screen += '\n<<typed>>\n';
          child.stdin!.write(step[1]);
          if (next === steps.length) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
    await done;
    const result = await child;
    return { exitCode: result.exitCode, screen, files: await readdir(dir) };
  } finally {
    await cleanup();
  }
}

describe('prompts on a terminal', () => {
  it('Ctrl-C at the first prompt exits 130 and leaves nothing on disk', async () => {
    const { exitCode, screen, files } = await drive([[/Where should the project go/, '\x03']]);
    expect(exitCode, screen).toBe(130);
    expect(screen).toMatch(/Cancelled/);
    expect(files).toEqual([]);
  });

  it('Ctrl-C at a later prompt, after answers were given, still leaves nothing', async () => {
    const { exitCode, files, screen } = await drive([
      [/Where should the project go/, 'my-proj\r'],
      [/Which framework/, '\r'],
      [/Which OAuth scopes/, '\x03'],
    ]);
    expect(exitCode, screen).toBe(130);
    expect(files).toEqual([]);
  });
});
