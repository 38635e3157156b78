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

/** A prompt validator for one provider setting: the setting's own check; empty allowed when optional. */
export function settingValidator(setting: ProviderSetting) {
  return (value: string | undefined) => {
    const text = value ?? "";
    if (text === "") return setting.required ? `${setting.prompt.message} is needed` : undefined;
    return settingProblem(setting, text);
  };
}

/**
 * The one prompter of the provider table: asks each of the provider's
 * settings that `given` does not answer (a secret masked), validated as
 * typed with the checks that validate flags. Returns the answers by key.
 */
export async function askProviderSettings(
  provider: Provider,
  output: Writable,
  given: (setting: ProviderSetting) => boolean = () => false,
): Promise<ProviderValues> {
  const answers: ProviderValues = {};
  for (const setting of provider.settings) {
    if (given(setting)) continue;
    const ask = setting.secret ? p.password : p.text;
    const optional = setting.required || /optional|Enter/.test(setting.prompt.message) ? "" : " (optional: Enter to skip)";
    const value = orCancel(
      await ask({
        output,
        message: `${setting.prompt.message}${optional}`,
        ...(setting.prompt.placeholder && !setting.secret ? { placeholder: setting.prompt.placeholder } : {}),
        validate: settingValidator(setting),
      }),
      output,
    );
    if (value) answers[setting.key] = setting.repeatable ? splitValues(value) : value;
  }
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
