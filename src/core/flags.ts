/** Flag parsing shared by the commands (commander): numbers in a range, lists, the provider table's flags. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { providerOptionRows, toCommanderOption } from "../cli/option-table.js";
import { PACKAGE_MANAGERS } from "./package-managers.js";

// The commander-free parts live with the option table (create reads its arguments without commander).
export { collect, providerFlags, secretVariables, stringValue } from "../cli/option-table.js";

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

/** `--pm <name>`, one of the package managers. */
export function packageManagerOption(description: string): Option {
  return new Option("--pm <name>", description).choices([...PACKAGE_MANAGERS]);
}

/** `--provider` and the flags of every provider's settings, from the provider table (a secret has none: never argv). */
export function addProviderOptions(cmd: Command): Command {
  for (const row of providerOptionRows()) cmd.addOption(toCommanderOption(cmd, row));
  return cmd;
}
