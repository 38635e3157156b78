/** What every question on a terminal shares (@clack/prompts; loaded only when a question is asked). */
import type { Writable } from "node:stream";
import * as p from "@clack/prompts";
import type { Provider, ProviderSetting, ProviderValues } from "../providers.js";
import { CliError, EXIT } from "./errors.js";
import { settingProblem, splitValues } from "./provider-settings.js";

/** The answer, or (Ctrl-C / Esc at a prompt) one line and exit 130: nothing has been written yet. */
export function orCancel<T>(value: T | symbol, output: Writable): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === "symbol") {
    p.cancel("Cancelled: nothing was written.", { output });
    throw new CliError("cancelled", EXIT.cancelled);
  }
  return value as Exclude<T, symbol>;
}

/**
 * A prompt validator for one provider setting: the setting's own check; empty
 * allowed when optional, or when an empty answer means going back.
 */
export function settingValidator(setting: ProviderSetting, emptyGoesBack = false) {
  return (value: string | undefined) => {
    const text = value ?? "";
    if (text === "") return setting.required && !emptyGoesBack ? `${setting.prompt.message} is needed` : undefined;
    return settingProblem(setting, text);
  };
}

export interface SettingsQuestions {
  /** Settings answered already (flags, environment): not asked. */
  given?: (setting: ProviderSetting) => boolean;
  /**
   * Asks (or returns) the server URL: called right after the required
   * settings, before the optional ones, which may default to it.
   */
  serverUrl?: () => Promise<string>;
  /** What an empty answer to a required setting does, e.g. "back to local mode"; without it the setting is needed. */
  back?: string;
}

/** The question of one setting: what it is, what Enter does. */
function settingMessage(setting: ProviderSetting, back: string | undefined, serverUrl: string | undefined): string {
  const { message } = setting.prompt;
  if (setting.required) return back ? `${message} (Enter: ${back})` : message;
  if (setting.defaultsToServerUrl && serverUrl) return `${message} (optional: Enter for the server URL)`;
  return `${message} (optional: Enter to skip)`;
}

/**
 * The one prompter of the provider table: asks each of the provider's
 * settings that `given` does not answer (a secret masked), in the table's
 * order (required, then the server URL, then optional), validated as typed
 * with the checks that validate flags. Returns the answers by key, or
 * undefined when a required setting was left empty to go `back`.
 */
export async function askProviderSettings(
  provider: Provider,
  output: Writable,
  questions: SettingsQuestions = {},
): Promise<ProviderValues | undefined> {
  const { given = () => false, back } = questions;
  const answers: ProviderValues = {};
  let serverUrl: string | undefined;
  const askServerUrl = async () => {
    if (serverUrl === undefined && questions.serverUrl) serverUrl = await questions.serverUrl();
  };
  for (const setting of provider.settings) {
    if (!setting.required) await askServerUrl();
    if (given(setting)) continue;
    const ask = setting.secret ? p.password : p.text;
    const placeholder = setting.defaultsToServerUrl && serverUrl ? serverUrl : setting.prompt.placeholder;
    const value = orCancel(
      await ask({
        output,
        message: settingMessage(setting, back, serverUrl),
        ...(placeholder && !setting.secret ? { placeholder } : {}),
        validate: settingValidator(setting, back !== undefined),
      }),
      output,
    );
    if (!value && setting.required) return undefined;
    if (value) answers[setting.key] = setting.repeatable ? splitValues(value) : value;
  }
  await askServerUrl();
  return answers;
}

/**
 * Which authorization server: `first` (create: the local issuer; add: set it
 * later) or one of `providers` to configure now.
 */
export async function askProviderChoice(
  output: Writable,
  first: { label: string; hint: string },
  providers: readonly Provider[],
): Promise<Provider | undefined> {
  const choice = orCancel(
    await p.select({
      output,
      message: "Authorization server?",
      options: [
        { value: "", label: first.label, hint: first.hint },
        ...providers.map((provider) => ({ value: provider.name as string, label: provider.display, hint: provider.hint })),
      ],
      initialValue: "",
    }),
    output,
  );
  return providers.find((provider) => provider.name === choice);
}
