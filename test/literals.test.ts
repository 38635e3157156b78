import { existsSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canWriteEnvValue, envValue, jsonValue, mdCode, tsJson, tsKey, tsString } from "../src/core/literals.js";
import { createHandlebars } from "../src/core/template-engine.js";
import { repoRoot } from "./helpers/cli.js";

/** Evaluates a rendered module's `export const value = ...;` line as JavaScript. */
async function evaluateModule(source: string): Promise<unknown> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`)) as { value: unknown };
  return mod.value;
}

const render = (template: string, context: object) => createHandlebars().compile(template, { noEscape: true, strict: true })(context);

describe("tsString", () => {
  it("escapes what could end a literal or inject code", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${...} is the attack, meant literally
    const hostile = "a\"b\\c${process.exit(1)}*/`\n\u2028\u2029</script>'";
    const rendered = render("// tool: see below\nexport const value = {{ts name}};\n", { name: hostile });
    expect(rendered).not.toContain("\n\u2028");
    expect(rendered.split("\n")).toHaveLength(3);
    expect(await evaluateModule(rendered)).toBe(hostile);
  });

  it("round-trips any string through a rendered file unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), async (value) => {
        const rendered = render("/* {{md label}} */\nexport const value = {{ts v}};\n", { v: value, label: "x" });
        expect(await evaluateModule(rendered)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a non-string", () => {
    expect(() => tsString(42 as unknown as string)).toThrow(TypeError);
  });
});

describe("tsJson", () => {
  it("round-trips arrays and objects of any strings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 8 }),
        fc.dictionary(fc.string(), fc.string()),
        async (list, dict) => {
          const rendered = render("export const value = {{tsJson v}};\n", { v: { list, dict } });
          expect(await evaluateModule(rendered)).toEqual({ list, dict });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses undefined", () => {
    expect(() => tsJson(undefined)).toThrow(TypeError);
  });

  it('keeps a "__proto__" key as a property, not the prototype', async () => {
    const parsed = JSON.parse('{"__proto__":"x","nested":[{"__proto__":{"a":1}}]}');
    const rendered = render("export const value = {{tsJson v}};\n", { v: parsed });
    const back = (await evaluateModule(rendered)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(["__proto__", "nested"]);
    expect(JSON.stringify(back)).toBe(JSON.stringify(parsed));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('round-trips any JSON value, "__proto__" keys included', async () => {
    const key = fc.oneof(fc.constant("__proto__"), fc.string({ maxLength: 8 }));
    const { value: json } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(key, tie("value"), { maxKeys: 4 }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(json, async (value) => {
        const rendered = render("export const value = {{tsJson v}};\n", { v: value });
        expect(JSON.stringify(await evaluateModule(rendered))).toBe(JSON.stringify(value));
      }),
      { numRuns: 200 },
    );
  });
});

describe("tsKey", () => {
  it("any string as an object key reads back as exactly that own property", async () => {
    const key = fc.oneof(
      fc.constantFrom("__proto__", "constructor", "a-b", "1x", "x$", "class", "é", "a b", ""),
      fc.string({ unit: "binary", maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(key, async (k) => {
        const rendered = render("export const value = { {{tsKey k}}: 1 };\n", { k });
        const back = (await evaluateModule(rendered)) as Record<string, unknown>;
        expect(Object.keys(back)).toEqual([k]);
        expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      }),
      { numRuns: 300 },
    );
  });

  it("writes a plain identifier bare, as the formatter does, and anything else quoted", () => {
    expect(tsKey("todo_read")).toBe("todo_read");
    expect(tsKey("x$")).toBe("x$");
    expect(tsKey("a-b")).toBe('"a-b"');
    expect(tsKey("1x")).toBe('"1x"');
    expect(tsKey("__proto__")).toBe('["__proto__"]');
  });
});

describe("jsonValue", () => {
  it("round-trips any JSON value through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(jsonValue(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe("mdCode", () => {
  it("uses a fence longer than any backtick run and stays on one line", () => {
    expect(mdCode("todo:read")).toBe("`todo:read`");
    expect(mdCode("a``b")).toBe("```a``b```");
    expect(mdCode("`x")).toBe("`` `x ``");
    expect(mdCode("a\nb")).toBe("`a b`");
  });
});

describe("envValue", () => {
  /** Reads KEY back the way a generated project does (Node's .env parser, as process.loadEnvFile). */
  const readBack = (encoded: string) => parseEnv(`BEFORE=1\nKEY=${encoded}\nNEXT=1\n`);

  it("round-trips a secret with a quote and a backslash-n sequence (double quotes would turn \\n into a newline)", () => {
    const secret = "q'w\\ne";
    expect(readBack(envValue(secret)).KEY).toBe(secret);
  });

  it("round-trips every value it accepts, and refuses none that a quoting can hold", () => {
    // Every character class Node's parser treats specially, plus arbitrary unicode.
    const tricky = fc.constantFrom(
      "'",
      '"',
      "`",
      "\\",
      "n",
      "#",
      " ",
      "\t",
      "=",
      "$",
      "{",
      "}",
      "export ",
      "\u2028",
      "\u00a0",
      "\x00",
      "\x0b",
      "\f",
      "\r",
      "\n",
    );
    const value = fc
      .array(fc.oneof(tricky, fc.string({ unit: "grapheme", maxLength: 3 })), { maxLength: 10 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(value, (v) => {
        if (!canWriteEnvValue(v)) {
          expect(() => envValue(v)).toThrow(RangeError);
          // Refused only when no quoting holds it (the bare form, the last resort, is used only where it is plainly safe).
          const holders = [`'${v}'`, `"${v}"`, `\`${v}\``].filter(
            (e) => !/[\r\n]/.test(v) && readBack(e).KEY === v && readBack(e).NEXT === "1",
          );
          expect(holders).toEqual([]);
          return;
        }
        const parsed = readBack(envValue(v));
        expect(parsed.KEY).toBe(v);
        expect(parsed.BEFORE).toBe("1");
        expect(parsed.NEXT).toBe("1");
      }),
      { numRuns: 3000 },
    );
  });

  const node24 = process.env.CMA_NODE24 ?? path.join(repoRoot, ".cache", "tools", "node_modules", ".bin", "node");
  const noNode24 = !existsSync(node24) && !process.env.CI; // in CI a missing Node 24 fails, never a silent skip
  const reason = noNode24 ? ` (SKIPPED: no Node 24 at ${node24}; .ci/run installs it, or set CMA_NODE24)` : "";
  it.skipIf(noNode24)(`writes values that Node 24 reads back the same way${reason}`, async () => {
    const { execFileSync } = await import("node:child_process");
    const tricky = fc.constantFrom("'", '"', "`", "\\", "n", "#", " ", "\t", "=", "$", "\u2028", "\u00a0", "\x0b");
    const values = fc
      .sample(
        fc.array(fc.oneof(tricky, fc.string({ unit: "grapheme", maxLength: 2 })), { maxLength: 8 }).map((p) => p.join("")),
        3000,
      )
      .filter(canWriteEnvValue);
    const file = values.map((v, i) => `K${i}=${envValue(v)}\n`).join("");
    const script =
      'const { parseEnv } = require("node:util"); let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => process.stdout.write(JSON.stringify(parseEnv(s))));';
    const parsed = JSON.parse(execFileSync(node24, ["-e", script], { input: file, encoding: "utf8" })) as Record<string, string>;
    const wrong = values.filter((v, i) => parsed[`K${i}`] !== v);
    expect(wrong).toEqual([]);
  });

  it("refuses line breaks, and values no quoting can hold", () => {
    expect(() => envValue("a\nb")).toThrow(/line break/);
    expect(() => envValue("a\rb")).toThrow(/line break/);
    expect(() => envValue(" '\"`")).toThrow(/quote/);
    expect(envValue("a'\"`b")).toBe("a'\"`b");
  });
});

describe("shWord", () => {
  it("round-trips any string through sh as one word", async () => {
    const { execFileSync } = await import("node:child_process");
    const { shWord } = await import("../src/core/literals.js");
    const samples = ["plain", "a b", "it's", "$HOME", "`id`", 'a"b\\c', "x'y'z", "http://localhost:3000/a$b/mcp", "--flag", "*"];
    for (const value of samples) {
      expect(execFileSync("sh", ["-c", `printf %s ${shWord(value)}`], { encoding: "utf8" })).toBe(value);
    }
  });
});

describe("shLine", () => {
  it("keeps a command as one line of a ```sh block, which nothing in it can close", async () => {
    const { shLine } = await import("../src/core/literals.js");
    const block = (line: string) => render("```sh\n{{shLine start}}\n```\n", { start: line });
    expect(block("TRANSPORT_MODE=http node dist/index.js")).toBe("```sh\nTRANSPORT_MODE=http node dist/index.js\n```\n");
    expect(shLine("npm run build && node dist/x.js")).toBe("npm run build && node dist/x.js");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        const lines = block(value).split("\n");
        // Three lines: the opening fence, the command, the closing fence; the command's line never opens or closes one.
        expect(lines).toHaveLength(4);
        expect(lines[1]).not.toMatch(/^ {0,3}(```|~~~)/);
        expect(lines[1]).not.toMatch(/[\r\u2028\u2029\u0085]/);
      }),
    );
  });
});
