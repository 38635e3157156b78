/**
 * The last screen of `add`: what to run next, as commands that work when
 * pasted into a POSIX shell, on the project's own port and start command,
 * and no line wider than fits an 80-column terminal inside the note box.
 */

/** Columns of the note's text: 80, less the box drawn around it. */
export const NOTE_WIDTH = 72;

export interface NextStepsInput {
  /** How the project starts, split at `&&`: `["npm run build", "npm start"]`. */
  start: string[];
  /** `NAME=value` pairs to set for a local run (quoted for the shell), empty when .env holds the values. */
  variables: string[];
  /** The local issuer command, when the variables point at it. */
  issuer: string | undefined;
  /** Files add modified and created, relative to where the user runs the commands. */
  modified: string[];
  created: string[];
  /** A folder add created whole (every file in it is add's): removed with rm -r instead of one file at a time. */
  createdDir: string | undefined;
  extra: string[];
}

export function nextSteps(input: NextStepsInput): string[] {
  const lines: string[] = [];
  const build = input.start.slice(0, -1);
  const run = input.start[input.start.length - 1] ?? "npm start";
  if (input.variables.length === 0) {
    lines.push("Start the server (it reads the values add wrote to .env):");
    for (const step of build) lines.push(`  ${step}`);
    lines.push(`  ${run}`);
  } else {
    lines.push(
      ...wrapText("Set the variables of .env.example (in the environment or in .env), then start the server. For local development:"),
    );
    if (input.issuer)
      lines.push("In one terminal, a local authorization server:", `  ${input.issuer}`, "In another, the server with the variables set:");
    // The variables go on the command that starts the server: `A=1 npm run build && npm start` would set them for the build only.
    for (const step of build) lines.push(`  ${step}`);
    lines.push(...wrapCommand([...input.variables, ...run.split(" ")]));
  }
  lines.push("", "Undo:");
  if (input.modified.length) lines.push(...wrapCommand(["git", "checkout", "--", ...input.modified]));
  const loose = input.createdDir ? input.created.filter((f) => !f.startsWith(`${input.createdDir}/`)) : input.created;
  const removed = [...(input.createdDir ? ["-r", input.createdDir] : []), ...loose];
  if (removed.length) lines.push(...wrapCommand(["rm", ...removed]));
  if (input.extra.length) lines.push("", ...input.extra.flatMap((line) => wrapText(line)));
  return lines;
}

/** Shell words on lines of at most NOTE_WIDTH columns, continued with a backslash; indented two spaces. */
export function wrapCommand(words: string[], indent = "  "): string[] {
  const lines: string[] = [];
  let current = indent;
  for (const word of words) {
    const candidate = current.trim() === "" ? `${indent}${word}` : `${current} ${word}`;
    if (candidate.length + 2 > NOTE_WIDTH && current.trim() !== "") {
      lines.push(`${current} \\`);
      current = `${indent}  ${word}`;
    } else {
      current = candidate;
    }
  }
  if (current.trim() !== "") lines.push(current);
  return lines;
}

/** Prose wrapped at NOTE_WIDTH columns, on spaces. */
export function wrapText(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current && `${current} ${word}`.length > NOTE_WIDTH) {
      lines.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) lines.push(current);
  return lines;
}
