/** Text from a server, made safe to print: control characters escaped, never interpreted by the terminal. */

// C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text
// (bidi embeddings, overrides and isolates; line and paragraph separators).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The unsafe characters JSON.stringify leaves raw: DEL, C1, bidi and line separators. */
const UNSAFE_ABOVE_C0 = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
};

/** `text` with every control character written as an escape: ESC becomes the four characters `\x1b`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** One line of at most `max` characters: whitespace runs folded to one space, then control characters escaped. */
export function oneLine(text: string, max = 200): string {
  const line = printable(text.replace(/[ \t\r\n]+/g, " ").trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * JSON text (as JSON.stringify writes it) that carries no character a terminal
 * acts on: the same data, every such character as a `\u` escape.
 */
export function printableJson(value: unknown, space?: number): string {
  // JSON.stringify escapes C0 controls in strings itself; the newlines and spaces of its layout are not data.
  return JSON.stringify(value, null, space).replace(UNSAFE_ABOVE_C0, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
