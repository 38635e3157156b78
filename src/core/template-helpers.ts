import { jsonValue, mdCode, shLine, shWord, tsJson, tsKey, tsString } from "./literals.js";

/** The only helpers templates may use to print a user value (see test/templates.test.ts). */
export function registerHelpers(hbs: { registerHelper(name: string, fn: (value: unknown) => string): void }): void {
  hbs.registerHelper("ts", (value) => tsString(String(value)));
  hbs.registerHelper("tsKey", (value) => tsKey(String(value)));
  hbs.registerHelper("tsJson", (value) => tsJson(value));
  hbs.registerHelper("json", (value) => jsonValue(value));
  hbs.registerHelper("md", (value) => mdCode(String(value)));
  hbs.registerHelper("sh", (value) => shWord(String(value)));
  hbs.registerHelper("shLine", (value) => shLine(String(value)));
}
