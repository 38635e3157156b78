import * as p from '@clack/prompts';
import type { Writable } from 'node:stream';

/**
 * Human output. With --json it all goes to stderr, so stdout carries exactly
 * one JSON document. Without a TTY, spinners become plain lines.
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

export function createUi(json: boolean): Ui {
  const output: Writable = json ? process.stderr : process.stdout;
  const interactive = Boolean((output as NodeJS.WriteStream).isTTY) && !process.env.CI;
  const common = { output };
  return {
    output,
    interactive,
    info: (message) => p.log.info(message, common),
    success: (message) => p.log.success(message, common),
    warn: (message) => p.log.warn(message, common),
    error: (message) => p.log.error(message, common),
    note: (message, title) => p.note(message, title, common),
    async step(message, done, task) {
      if (!interactive) {
        output.write(`${message}...\n`);
        const result = await task();
        output.write(`${done}\n`);
        return result;
      }
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
