import { writeSync } from "node:fs";
import type { Writable } from "node:stream";
import { closedOutputs, outputStream } from "./errors.js";

/**
 * Human output. With --json it all goes to stderr, so stdout carries exactly
 * one JSON document. On a terminal it draws clack's frame (`┌ │ ◇ └`) and a
 * spinner line for long steps; without one (CI, pipes) plain lines, and clack
 * is never loaded. The spinner is our own, not clack's: clack's installs
 * SIGINT handlers of its own that print "Canceled" and would race the
 * interruption handling of `create` (src/create/run.ts).
 */
export interface Ui {
  readonly output: Writable;
  readonly interactive: boolean;
  /** Opens the frame (a terminal only). */
  intro(title: string): void;
  /** Closes the frame with a last line. */
  outro(message: string): void;
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /**
   * Runs a long task behind one progress line (`update` changes its text),
   * replaced by `done` when it finishes.
   */
  step<T>(message: string, done: string | ((result: T) => string), task: (update: (text: string) => void) => Promise<T>): Promise<T>;
  /** A titled block of lines inside the frame, e.g. next steps. */
  section(title: string, lines: string[]): void;
  note(message: string, title?: string): void;
  /** One line saying the run was cancelled; stops a running spinner first. */
  cancel(message: string): void;
}

/** Questions can be asked: a terminal on both ends, and not CI. */
export function isInteractive(): boolean {
  // isatty: asking process.stdin would open the stream (start-up time). node:tty loads node:net and the
  // streams, so it is loaded only when the answer depends on it (not in CI).
  if (process.env.CI) return false;
  const { isatty } = process.getBuiltinModule("node:tty");
  return isatty(0) && isatty(1);
}

export async function createUi(json: boolean): Promise<Ui> {
  const fd = json ? 2 : 1;
  // Not process.stdout's isTTY: opening the stream loads node:stream (and node:net for a pipe), which plain
  // output does not need.
  const interactive = !process.env.CI && process.getBuiltinModule("node:tty").isatty(fd);
  return interactive ? frameUi((fd === 2 ? process.stderr : process.stdout) as NodeJS.WriteStream) : plainUi(fd);
}

/**
 * Writes to fd 1 or 2 directly (what process.stdout does on Linux for files and pipes, without loading the
 * stream). Returns the bytes it could not write (a non-blocking pipe that is full), for the stream to take; a
 * reader that has gone ends that descriptor's output quietly, as command-line tools do.
 */
function writeDirect(fd: 1 | 2, text: string): Buffer | undefined {
  if (closedOutputs.has(fd)) return undefined;
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EPIPE") {
      closedOutputs.add(fd);
      return undefined;
    }
    return bytes.subarray(done);
  }
}

/** Text for standard output or standard error (the JSON documents of --json): written directly, or through the stream when it must. */
export function writeOut(fd: 1 | 2, text: string): void {
  const rest = writeDirect(fd, text);
  if (rest) outputStream(fd).write(rest);
}

/**
 * Plain lines, written straight to the file descriptor (what process.stdout
 * does on Linux for files and pipes, without loading the stream). Once the
 * stream is asked for (`output`: a diff, a report) or a direct write fails
 * (a non-blocking pipe that is full, a closed reader), every later line goes
 * through the stream, so lines stay in order and errors surface as before.
 */
function plainUi(fd: 1 | 2): Ui {
  let stream: Writable | undefined;
  const output = () => {
    stream ??= outputStream(fd);
    return stream;
  };
  const write = (text: string) => {
    if (stream) {
      if (!closedOutputs.has(fd)) stream.write(text);
      return;
    }
    const rest = writeDirect(fd, text);
    if (rest) output().write(rest);
  };
  const line = (prefix: string, message: string) => write(`${prefix}${message}\n`);
  return {
    get output() {
      return output();
    },
    interactive: false,
    intro: () => undefined,
    outro: (message) => line("", message),
    info: (message) => line("", message),
    success: (message) => line("✔ ", message),
    warn: (message) => line("▲ ", message),
    error: (message) => line("✖ ", message),
    note: (message, title) => line("", `${title ? `\n${title}:\n` : "\n"}${message.replace(/^/gm, "  ")}`),
    section: (title, lines) => line("", `\n${title}:\n${lines.map((l) => `  ${l}`).join("\n")}`),
    cancel: (message) => line("", message),
    async step(message, done, task) {
      line("", `${message}...`);
      const result = await task(() => undefined);
      line("✔ ", typeof done === "function" ? done(result) : done);
      return result;
    },
  };
}

const ESC = "\x1b[";
const paint = (code: number, text: string) => `${ESC}${code}m${text}${ESC}0m`;
const gray = (text: string) => paint(90, text);
const unicode = process.platform !== "win32" || Boolean(process.env.WT_SESSION) || process.env.TERM_PROGRAM === "vscode";
const S = unicode
  ? { bar: "│", start: "┌", end: "└", submit: "◇", active: "◆", error: "▲", cancel: "■", frames: ["◒", "◐", "◓", "◑"] }
  : { bar: "|", start: "T", end: "-", submit: "o", active: "*", error: "x", cancel: "x", frames: ["•", "o", "O", "0"] };

/** clack's look, drawn directly: `┌ title`, `◇ step`, `│ line`, `└ last line`. */
function frameUi(output: NodeJS.WriteStream): Ui {
  const bar = gray(S.bar);
  const columns = () => Math.max(20, output.columns || 80);
  const clip = (text: string, room: number) => (text.length > room ? `${text.slice(0, Math.max(0, room - 1))}…` : text);
  // Status lines follow each other without clack's spacer row: the final screen must fit one 80x24 page.
  let afterIntro = false;
  const write = (text: string) => {
    // A status line right under `┌ title` keeps clack's spacer row.
    if (afterIntro && !text.startsWith(bar)) output.write(`${bar}\n`);
    afterIntro = false;
    output.write(text);
  };
  const block = (symbol: string, message: string) => {
    const [first = "", ...rest] = message.split("\n");
    write(`${symbol}  ${first}\n${rest.map((l) => `${bar}  ${l}\n`).join("")}`);
  };

  let spinning: { stop(): void } | undefined;
  const stopSpinner = () => {
    spinning?.stop();
    spinning = undefined;
  };

  return {
    output,
    interactive: true,
    intro: (title) => {
      write(`${gray(S.start)}  ${title}\n`);
      afterIntro = true;
    },
    outro: (message) => {
      stopSpinner();
      write(`${bar}\n${gray(S.end)}  ${message}\n`);
    },
    info: (message) => block(paint(34, "●"), message),
    success: (message) => block(paint(32, S.submit), message),
    warn: (message) => block(paint(33, S.error), message),
    error: (message) => block(paint(31, S.cancel), message),
    note: (message, title) => block(paint(32, S.submit), `${title ? `${title}\n` : ""}${message}`),
    section: (title, lines) => write(`${bar}\n${paint(32, S.submit)}  ${title}\n${lines.map((l) => `${bar}  ${l}\n`).join("")}`),
    cancel: (message) => {
      stopSpinner();
      write(`${gray(S.end)}  ${paint(31, message)}\n\n`);
    },
    async step(message, done, task) {
      let text = message;
      let frame = 0;
      const draw = () => write(`\r${ESC}2K${paint(35, S.frames[frame++ % S.frames.length] ?? "")}  ${clip(text, columns() - 4)}`);
      write(`${ESC}?25l`);
      draw();
      const timer = setInterval(draw, 120);
      let stopped = false;
      const stop = (line?: string) => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        write(`\r${ESC}2K${line ?? ""}${ESC}?25h`);
      };
      spinning = { stop: () => stop() };
      try {
        const result = await task((update) => {
          text = update;
        });
        stop(`${paint(32, S.submit)}  ${typeof done === "function" ? done(result) : done}\n`);
        return result;
      } catch (error) {
        stop(`${paint(31, S.error)}  ${message}: failed\n`);
        throw error;
      } finally {
        spinning = undefined;
      }
    },
  };
}
