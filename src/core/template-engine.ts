import Handlebars from "handlebars";
import { registerHelpers } from "./template-helpers.js";

/**
 * Renders `.hbs` templates. This version compiles at run time (tests, running
 * from source); the build swaps in `template-engine.precompiled.ts`, which
 * runs templates precompiled at build time, so `create` skips Handlebars'
 * parser and compiler.
 */
export type RenderTemplate = (templatePath: string, source: string, context: object) => string;

export const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

export function createHandlebars(): typeof Handlebars {
  const hbs = Handlebars.create();
  registerHelpers(hbs);
  return hbs;
}

export function createRenderer(): RenderTemplate {
  const hbs = createHandlebars();
  return (_templatePath, source, context) => hbs.compile(source, COMPILE_OPTIONS)(context);
}
