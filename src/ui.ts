import type { Writable } from 'node:stream';

/**
 * Human output. With --json it all goes to stderr, so stdout carries exactly
 * one JSON document. On a terminal it uses @clack/prompts (spinners, boxes);
 * without one (CI, pipes) plain lines, and clack is never loaded.
 */
export interface Ui {
  readonly output: Writable;
  readonly interactive: boolean;
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  step<T>(message: string, done: string, task: () => Promise<T>): Promise<T>;
  note(message: string, title?: string): void;
}

export async function createUi(json: boolean): Promise<Ui> {
  const output: Writable = json ? process.stderr : process.stdout;
  const interactive = Boolean((output as NodeJS.WriteStream).isTTY) && !process.env.CI;
  return interactive ? clackUi(output) : plainUi(output);
}

function plainUi(output: Writable): Ui {
  const line = (prefix: string, message: string) => output.write(`${prefix}${message}\n`);
  return {
    output,
    interactive: false,
    info: (message) => line('', message),
    success: (message) => line('✔ ', message),
    warn: (message) => line('▲ ', message),
    error: (message) => line('✖ ', message),
    note: (message, title) => line('', `${title ? `\n${title}:\n` : '\n'}${message.replace(/^/gm, '  ')}`),
    async step(message, done, task) {
      line('', `${message}...`);
      const result = await task();
      line('', done);
      return result;
    },
  };
}

async function clackUi(output: Writable): Promise<Ui> {
  const p = await import('@clack/prompts');
  const common = { output };
  return {
    output,
    interactive: true,
    info: (message) => p.log.info(message, common),
    success: (message) => p.log.success(message, common),
    warn: (message) => p.log.warn(message, common),
    error: (message) => p.log.error(message, common),
    note: (message, title) => p.note(message, title, common),
    async step(message, done, task) {
      const spinner = p.spinner(common);
      spinner.start(message);
      try {
        const result = await task();
        spinner.stop(done);
        return result;
      } catch (error) {
        spinner.error(`${message}: failed`);
        throw error;
      }
    },
  };
}
