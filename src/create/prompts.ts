import type { Writable } from "node:stream";
import * as p from "@clack/prompts";
import { askProviderChoice, askProviderSettings, orCancel } from "../core/prompt.js";
import { chooseProvider } from "../core/provider-settings.js";
import { parseScopes, validateUrl } from "../core/validate.js";
import { FRAMEWORKS, type Framework, findLanguage, frameworksOf, LANGUAGES } from "../frameworks.js";
import { DEFAULT_PROVIDER, findProvider, PROVIDERS, type Provider } from "../providers.js";
import { type CreateFlags, DEFAULTS, dirProblem, type Question } from "./options.js";
import { targetProblem } from "./target.js";

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
    const provider = await askProviderChoice(
      output,
      { label: "Local issuer for now", hint: `runs offline; switch to ${localFor.display} later by editing .env` },
      fixed ? [fixed] : PROVIDERS,
    );
    answers.provider = (provider ?? localFor).name;
    if (!provider) answers.local = true;
    else await askSettings(provider, answers, env, output);
  }
  return answers;
}

/**
 * The provider's settings that flags and environment leave open, with the
 * server URL after the required ones. An empty required answer goes back to
 * local mode (for this provider's layout: switch by editing .env later).
 */
async function askSettings(
  provider: Provider,
  answers: CreateFlags,
  env: Record<string, string | undefined>,
  output: Writable,
): Promise<void> {
  const fromEnv = chooseProvider(answers, env).provider === provider;
  const asked = await askProviderSettings(provider, output, {
    given: (setting) => {
      if (answers.settings?.[setting.key] !== undefined) return true;
      return Boolean(setting.env && env[setting.env] && fromEnv);
    },
    serverUrl: async () => (answers.serverUrl ??= await askServerUrl(provider, answers, output)),
    back: "back to local mode",
  });
  if (!asked) {
    answers.local = true;
    p.log.info(`Local mode: the local issuer. To use ${provider.display}, edit .env later.`, { output });
    return;
  }
  for (const [key, value] of Object.entries(asked)) if (value !== undefined) answers.settings = { ...answers.settings, [key]: value };
}

async function askServerUrl(provider: Provider, answers: CreateFlags, output: Writable): Promise<string> {
  const fallback = `http://localhost:${answers.port ?? DEFAULTS.port}/mcp`;
  return orCancel(
    await p.text({
      output,
      message: `Public URL of the MCP endpoint (as ${provider.display} will know it)`,
      placeholder: fallback,
      defaultValue: fallback,
      validate: (v) => (v ? validateUrl(v, { what: "the server URL", httpsUnlessLoopback: true, exact: true }) : undefined),
    }),
    output,
  );
}

/** "Express (TypeScript)", "FastAPI + MCP SDK (Python)": the language in every label of the shared list. */
function frameworkLabel(framework: Framework): string {
  const language = LANGUAGES.find((l) => l.name === framework.language)?.display ?? framework.language;
  return framework.display.includes(`(${language})`) ? framework.display : `${framework.display} (${language})`;
}
