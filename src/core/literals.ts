/**
 * The only way a user-supplied value reaches a generated file. Each helper
 * writes a literal of the target language that reads back as exactly the
 * input, whatever characters it holds: quotes, backslashes, `${`, `*` `/`,
 * newlines and line separators cannot end the literal or inject code.
 */

const LINE_SEPARATORS = /[\u2028\u2029]/g;

function escapeSeparators(json: string): string {
  return json.replace(LINE_SEPARATORS, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

/** A double-quoted TypeScript/JavaScript string literal. */
export function tsString(value: string): string {
  if (typeof value !== "string") throw new TypeError("tsString expects a string");
  // JSON string syntax is a subset of JS string syntax; `<` is escaped too so a
  // literal stays inert if a file is ever inlined into HTML.
  return escapeSeparators(JSON.stringify(value)).replace(/</g, "\\u003c");
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * An object literal key that reads back as exactly `value`: bare when it is a
 * plain ASCII identifier (as a formatter would write it), else a string
 * literal; `__proto__` is computed, as a plain key would set the prototype.
 */
export function tsKey(value: string): string {
  if (typeof value !== "string") throw new TypeError("tsKey expects a string");
  if (value === "__proto__") return `[${tsString(value)}]`;
  return PLAIN_KEY.test(value) ? value : tsString(value);
}

/**
 * Any JSON value as a TypeScript expression (arrays, objects, strings,
 * numbers). Not plain JSON.stringify: in an object literal a `"__proto__"` key
 * sets the prototype instead of a property, so it is written as a computed key.
 */
export function tsJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("tsJson expects a JSON value");
  return escapeSeparators(expression(JSON.parse(json))).replace(/</g, "\\u003c");
}

function expression(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(expression).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(([key, member]) => {
      const name = key === "__proto__" ? `[${JSON.stringify(key)}]` : JSON.stringify(key);
      return `${name}:${expression(member)}`;
    });
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A JSON document value (for JSON files and JSON snippets in Markdown). */
export function jsonValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("jsonValue expects a JSON value");
  return escapeSeparators(json);
}

/** Inline code for Markdown: a backtick fence longer than any run inside. */
export function mdCode(value: string): string {
  const flat = String(value).replace(/[\r\n\u2028\u2029]+/g, " ");
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * How Node's `.env` parser (`process.loadEnvFile`, `--env-file`, `util.parseEnv`;
 * the same on Node 20 and 24) reads a value, measured:
 * - `'...'` and `` `...` ``: verbatim up to the first closing quote;
 * - `"..."`: up to the first `"`, and a backslash-n sequence becomes a newline;
 * - bare: trimmed, and `#` starts a comment; a leading quote with a closing one
 *   later makes it a quoted value.
 * So: bare when it is made only of characters no reader treats specially
 * (URLs, ids: `docker run --env-file` takes everything after `=` literally,
 * quotes included, so a quoted URL would reach a container as `'https://...'`),
 * else single quotes when the value has no `'`, else backticks when it has no
 * `` ` ``, else double quotes when it has neither `"` nor a backslash-n
 * sequence, else bare when that is plainly safe. No line breaks.
 */
function envWriting(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return undefined;
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes("`")) return `\`${value}\``;
  if (!value.includes('"') && !value.includes("\\n")) return `"${value}"`;
  if (value === value.trim() && !value.includes("#") && !/^['"`]/.test(value)) return value;
  return undefined;
}

/** Whether `envValue` can write this value so that `.env` reads back exactly it. */
export function canWriteEnvValue(value: string): boolean {
  return envWriting(value) !== undefined;
}

/** A value for a `.env` file that Node's parser reads back as exactly `value`; a RangeError when none can. */
export function envValue(value: string): string {
  const written = envWriting(value);
  if (written !== undefined) return written;
  if (/[\r\n]/.test(value)) throw new RangeError("an .env value cannot contain a line break");
  throw new RangeError(
    "an .env value with ', ` and \" (or a backslash-n sequence) must not start with a quote, contain #, or start or end with spaces",
  );
}

/** One shell word (POSIX sh): single-quoted, with embedded single quotes closed and escaped. */
/**
 * A command as one line of a fenced code block (```sh): every line break and
 * control character becomes a space, and a line that would open or close a
 * fence (``` or ~~~ after at most three spaces) is indented as code instead.
 * The command itself is printed as it is: it comes from the project (its
 * start command), shown as add's next steps show it.
 */
export function shLine(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, " ");
  return /^ {0,3}[`~]/.test(flat) ? `    ${flat}` : flat;
}

export function shWord(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
