import type { Writable } from "node:stream";
import * as p from "@clack/prompts";
import { CliError, EXIT } from "../errors.js";
import { FRAMEWORKS, type Framework, findLanguage, frameworksOf, LANGUAGES } from "../frameworks.js";
import { DEFAULT_PROVIDER, findProvider, PROVIDERS, type Provider, type ProviderSetting } from "../providers.js";
import { type CreateFlags, chooseProvider, DEFAULTS, dirProblem, type Question } from "./options.js";
import { targetProblem } from "./target.js";
import { parseScopes, validateUrl } from "./validate.js";

function orCancel<T>(value: T | symbol, output: Writable): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === "symbol") {
    p.cancel("Cancelled: nothing was written.", { output });
    throw new CliError("cancelled", EXIT.cancelled);
  }
  return value as Exclude<T, symbol>;
}

/** A prompt validator for one provider setting: the setting's own check, empty allowed when optional. */
function settingValidator(setting: ProviderSetting) {
  return (value: string | undefined) => {
    const text = value ?? "";
    if (text === "") return setting.required ? `${setting.prompt.message} is needed` : undefined;
    const parts = setting.repeatable ? text.split(",").map((part) => part.trim()) : [text];
    for (const part of parts) {
      const error = setting.validate(part);
      if (error) return error;
    }
    return undefined;
  };
}

/**
 * Asks the open questions, and only those. Answers are validated as they are
 * typed, with the same functions that validate flags; the target directory is
 * checked as soon as it is named, before any other question.
 */
export async function askMissing(
  flags: CreateFlags,
  open: Question[],
  output: Writable,
  context: { cwd: string; env: Record<string, string | undefined> },
): Promise<CreateFlags> {
  const { cwd, env } = context;
  const answers: CreateFlags = { ...flags, settings: { ...flags.settings } };
  const common = { output };

  if (open.includes("dir")) {
    answers.dir = orCancel(
      await p.text({
        ...common,
        message: "Where should the project go?",
        placeholder: DEFAULTS.dir,
        defaultValue: DEFAULTS.dir,
        validate: (value) => {
          const dir = value || DEFAULTS.dir;
          return dirProblem(dir, cwd) ?? targetProblem(dir, cwd, Boolean(flags.force))?.message;
        },
      }),
      output,
    );
  }

  if (open.includes("framework")) {
    // One list for both languages (the language is named in each label); --language narrows it.
    const language = answers.language === undefined ? undefined : findLanguage(answers.language);
    const rows = language ? frameworksOf(language) : FRAMEWORKS;
    const choice = orCancel(
      await p.select({
        ...common,
        message: language ? `Which framework? (${language})` : "Which framework? (TypeScript or Python)",
        options: rows.map((f) => ({ value: `${f.language}:${f.name}`, label: frameworkLabel(f), hint: f.hint })),
      }),
      output,
    );
    [answers.language, answers.framework] = choice.split(":") as [string, string];
  }

  if (open.includes("scopes")) {
    answers.scopes = orCancel(
      await p.text({
        ...common,
        message: "Which OAuth scopes do your tools need? (comma or space separated)",
        placeholder: DEFAULTS.scopes,
        defaultValue: DEFAULTS.scopes,
        validate: (value) => (value ? parseScopes(value).error : undefined),
      }),
      output,
    );
  }

  if (open.includes("provider")) {
    const fixed = flags.provider !== undefined ? findProvider(flags.provider) : undefined;
    const localFor = fixed ?? DEFAULT_PROVIDER;
    const choice = orCancel(
      await p.select({
        ...common,
        message: "Authorization server?",
        options: [
          {
            value: `local:${localFor.name}`,
            label: "Local issuer for now",
            hint: `runs offline; switch to ${localFor.display} later by editing .env`,
          },
          ...(fixed ? [fixed] : PROVIDERS).map((provider) => ({
            value: `connect:${provider.name}`,
            label: provider.display,
            hint: provider.hint,
          })),
        ],
      }),
      output,
    );
    const [mode, name] = choice.split(":") as ["local" | "connect", string];
    const provider = findProvider(name)!;
    answers.provider = provider.name;
    if (mode === "local") answers.local = true;
    else await askSettings(provider, answers, env, output);
  }
  return answers;
}

/** The provider's settings that flags and environment leave open, then the server URL. */
async function askSettings(
  provider: Provider,
  answers: CreateFlags,
  env: Record<string, string | undefined>,
  output: Writable,
): Promise<void> {
  const common = { output };
  for (const setting of provider.settings) {
    if (answers.settings?.[setting.key] !== undefined) continue;
    if (setting.env && env[setting.env] && chooseProvider(answers, env).provider === provider) continue;
    const ask = setting.secret ? p.password : p.text;
    const value = orCancel(
      await ask({
        ...common,
        message: setting.prompt.message,
        ...(setting.secret ? {} : { placeholder: setting.prompt.placeholder }),
        validate: settingValidator(setting),
      }),
      output,
    );
    if (value) answers.settings![setting.key] = setting.repeatable ? value.split(",").map((part) => part.trim()) : value;
  }
  if (answers.serverUrl === undefined) {
    const fallback = `http://localhost:${answers.port ?? DEFAULTS.port}/mcp`;
    answers.serverUrl = orCancel(
      await p.text({
        ...common,
        message: `Public URL of the MCP endpoint (as ${provider.display} will know it)`,
        placeholder: fallback,
        defaultValue: fallback,
        validate: (v) => (v ? validateUrl(v, { what: "the server URL", httpsUnlessLoopback: true, exact: true }) : undefined),
      }),
      output,
    );
  }
}

/** "Express (TypeScript)", "FastAPI + MCP SDK (Python)": the language in every label of the shared list. */
function frameworkLabel(framework: Framework): string {
  const language = LANGUAGES.find((l) => l.name === framework.language)?.display ?? framework.language;
  return framework.display.includes(`(${language})`) ? framework.display : `${framework.display} (${language})`;
}
