/** Flag parsing shared by the commands (commander): numbers in a range, lists, the provider table's flags. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_PROVIDER, PROVIDERS } from "../providers.js";
import { PACKAGE_MANAGERS } from "./package-managers.js";

/** A repeatable flag's values, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A whole number from min to max, or a usage error naming the flag. */
export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A comma- or space-separated list (`--scopes a,b c`), or undefined when the flag is absent. */
export function listValue(value: unknown): string[] | undefined {
  return typeof value === "string" ? value.split(/[\s,]+/).filter(Boolean) : undefined;
}

/** A string flag's value, or undefined. */
export function stringValue(opts: Record<string, unknown>, key: string): string | undefined {
  return typeof opts[key] === "string" ? opts[key] : undefined;
}

/** `--pm <name>`, one of the package managers. */
export function packageManagerOption(description: string): Option {
  return new Option("--pm <name>", description).choices([...PACKAGE_MANAGERS]);
}

/** `--provider` and the flags of every provider's settings, from the provider table (a secret has none: never argv). */
export function addProviderOptions(cmd: Command): Command {
  cmd.addOption(
    new Option("--provider <name>", `authorization server (default: ${DEFAULT_PROVIDER.name})`).choices(PROVIDERS.map((p) => p.name)),
  );
  for (const provider of PROVIDERS) {
    for (const setting of provider.settings) {
      if (!setting.flag) continue;
      const description = `${setting.description}${setting.env ? ` (env: ${setting.env})` : ""}`;
      const option = new Option(setting.flag, description);
      if (setting.repeatable) option.argParser(collect);
      cmd.addOption(option);
    }
  }
  return cmd;
}

/** The provider settings given as flags, by key (environment variables are read where they are resolved). */
export function providerFlags(opts: Record<string, unknown>): Record<string, string | string[]> {
  const settings: Record<string, string | string[]> = {};
  for (const setting of PROVIDERS.flatMap((p) => p.settings)) {
    const value = opts[setting.key];
    if (typeof value === "string") settings[setting.key] = value;
    else if (Array.isArray(value)) settings[setting.key] = value.map(String);
  }
  return settings;
}

/** The variables of the providers' secrets (never flags), for help text. */
export function secretVariables(): string[] {
  return PROVIDERS.flatMap((p) => p.settings.flatMap((s) => (s.secret && s.env ? [s.env] : [])));
}
