import fc from 'fast-check';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { envValue, jsonValue, mdCode, tsJson, tsString } from '../src/create/literals.js';
import { createHandlebars } from '../src/create/template-engine.js';

/** Evaluates a rendered module's `export const value = ...;` line as JavaScript. */
async function evaluateModule(source: string): Promise<unknown> {
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { value: unknown };
  return mod.value;
}

const render = (template: string, context: object) =>
  createHandlebars().compile(template, { noEscape: true, strict: true })(context);

describe('tsString', () => {
  it('escapes what could end a literal or inject code', async () => {
    const hostile = 'a"b\\c${process.exit(1)}*/`\n\u2028\u2029</script>\'';
    const rendered = render('// tool: see below\nexport const value = {{ts name}};\n', { name: hostile });
    expect(rendered).not.toContain('\n\u2028');
    expect(rendered.split('\n')).toHaveLength(3);
    expect(await evaluateModule(rendered)).toBe(hostile);
  });

  it('round-trips any string through a rendered file unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (value) => {
        const rendered = render('/* {{md label}} */\nexport const value = {{ts v}};\n', { v: value, label: 'x' });
        expect(await evaluateModule(rendered)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a non-string', () => {
    expect(() => tsString(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('tsJson', () => {
  it('round-trips arrays and objects of any strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 8 }), fc.dictionary(fc.string(), fc.string()), async (list, dict) => {
        const rendered = render('export const value = {{tsJson v}};\n', { v: { list, dict } });
        expect(await evaluateModule(rendered)).toEqual({ list, dict });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses undefined', () => {
    expect(() => tsJson(undefined)).toThrow(TypeError);
  });

  it('keeps a "__proto__" key as a property, not the prototype', async () => {
    const parsed = JSON.parse('{"__proto__":"x","nested":[{"__proto__":{"a":1}}]}');
    const rendered = render('export const value = {{tsJson v}};\n', { v: parsed });
    const back = (await evaluateModule(rendered)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'nested']);
    expect(JSON.stringify(back)).toBe(JSON.stringify(parsed));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('round-trips any JSON value, "__proto__" keys included', async () => {
    const key = fc.oneof(fc.constant('__proto__'), fc.string({ maxLength: 8 }));
    const { value: json } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
    }));
    await fc.assert(
      fc.asyncProperty(json, async (value) => {
        const rendered = render('export const value = {{tsJson v}};\n', { v: value });
        expect(JSON.stringify(await evaluateModule(rendered))).toBe(JSON.stringify(value));
      }),
      { numRuns: 200 },
    );
  });
});

describe('jsonValue', () => {
  it('round-trips any JSON value through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(jsonValue(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('mdCode', () => {
  it('uses a fence longer than any backtick run and stays on one line', () => {
    expect(mdCode('todo:read')).toBe('`todo:read`');
    expect(mdCode('a``b')).toBe('```a``b```');
    expect(mdCode('`x')).toBe('`` `x ``');
    expect(mdCode('a\nb')).toBe('`a b`');
  });
});

describe('envValue', () => {
  it('round-trips through Node’s .env parser', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }).filter((s) => !/[\r\n]/.test(s) && !(s.includes("'") && s.includes('"') && s.includes('`'))),
        (value) => {
          const parsed = parseEnv(`KEY=${envValue(value)}\nNEXT=1\n`);
          expect(parsed.KEY).toBe(value);
          expect(parsed.NEXT).toBe('1');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses line breaks and values holding every quote character', () => {
    expect(() => envValue('a\nb')).toThrow(/line break/);
    expect(() => envValue('\'"`')).toThrow(/quote/);
  });
});

describe('shWord', () => {
  it('round-trips any string through sh as one word', async () => {
    const { execFileSync } = await import('node:child_process');
    const { shWord } = await import('../src/create/literals.js');
    const samples = ["plain", "a b", "it's", "$HOME", "`id`", "a\"b\\c", "x'y'z", "http://localhost:3000/a$b/mcp", "--flag", "*"];
    for (const value of samples) {
      expect(execFileSync('sh', ['-c', `printf %s ${shWord(value)}`], { encoding: 'utf8' })).toBe(value);
    }
  });
});
