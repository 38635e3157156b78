import type { Writable } from "node:stream";
import * as p from "@clack/prompts";
import { CliError, EXIT } from "../errors.js";
import { FRAMEWORKS } from "../frameworks.js";
import { SCOPE_TOKEN } from "../oauth-syntax.js";
import type { AppSite, ToolSite } from "./detect.js";
import { validateEndpoint } from "./options.js";
import { PROVIDERS, type Provider, type ProviderValues } from "./providers.js";

function orCancel<T>(value: T | symbol, output: Writable): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === "symbol") {
    p.cancel("Cancelled: nothing was written.", { output });
    throw new CliError("cancelled", EXIT.cancelled);
  }
  return value as Exclude<T, symbol>;
}

export async function askFramework(output: Writable): Promise<string> {
  return orCancel(
    await p.select({
      output,
      message: "Which framework serves the MCP endpoint?",
      options: FRAMEWORKS.filter((f) => f.language === "typescript").map((f) => ({ value: f.name, label: f.display })),
    }),
    output,
  );
}

export async function askEntry(candidates: AppSite[], output: Writable): Promise<string> {
  if (candidates.length > 0) {
    return orCancel(
      await p.select({
        output,
        message: "Which file creates the app that serves MCP?",
        options: candidates.map((c) => ({ value: c.file.rel, label: `${c.file.rel}:${c.line}`, hint: c.text })),
      }),
      output,
    );
  }
  return orCancel(
    await p.text({
      output,
      message: "Which file creates the app that serves MCP?",
      placeholder: "src/index.ts",
      validate: (v) => (v ? undefined : "give a path"),
    }),
    output,
  );
}

export async function askEndpoint(output: Writable): Promise<string> {
  return orCancel(
    await p.text({
      output,
      message: "Path of the MCP endpoint?",
      placeholder: "/mcp",
      defaultValue: "/mcp",
      validate: (v) => (v ? validateEndpoint(v) : undefined),
    }),
    output,
  );
}

/** The provider and its values; undefined values: leave them to .env.example (set them later). */
export async function askProvider(
  provider: Provider,
  output: Writable,
): Promise<{ provider: Provider; values: ProviderValues | undefined }> {
  const choice = orCancel(
    await p.select({
      output,
      message: "Authorization server?",
      options: [
        { value: "later", label: "Set it later", hint: "the variables go to .env.example; the self-check runs against a local issuer" },
        ...PROVIDERS.map((row) => ({ value: row.name, label: row.display, hint: row.hint })),
      ],
      initialValue: "later",
    }),
    output,
  );
  if (choice === "later") return { provider, values: undefined };
  const chosen = PROVIDERS.find((row) => row.name === choice)!;
  const values: ProviderValues = {};
  for (const setting of chosen.settings) {
    const ask = setting.secret ? p.password : p.text;
    const check = (v: string) => (setting.repeatable ? split(v) : [v]).map((one) => setting.validate(one)).find(Boolean);
    const value = orCancel(
      await ask({
        output,
        message: `${setting.prompt.message}${setting.required || /optional/i.test(setting.prompt.message) ? "" : " (optional: Enter to skip)"}`,
        ...(setting.prompt.placeholder && !setting.secret ? { placeholder: setting.prompt.placeholder } : {}),
        validate: (v: string | undefined) => (v ? check(v) : setting.required ? "required" : undefined),
      }),
      output,
    );
    if (value) values[setting.key] = setting.repeatable ? split(value) : value;
  }
  return { provider: chosen, values };
}

function split(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}

export async function askScopes(tools: ToolSite[], output: Writable): Promise<Record<string, string[]>> {
  const map: Record<string, string[]> = {};
  p.note(
    "A tool with scopes is refused (403 insufficient_scope) to a token without them.\nEnter for none: the tool then needs only a valid token.",
    "Scopes per tool",
    { output },
  );
  for (const name of [...new Set(tools.map((t) => t.name))]) {
    const value = orCancel(
      await p.text({
        output,
        message: `Scopes for ${name} (space-separated)`,
        placeholder: "none",
        validate: (v) =>
          v
            ? v
                .split(/ +/)
                .filter(Boolean)
                .find((s) => !SCOPE_TOKEN.test(s)) && 'scopes are printable ASCII without spaces, " or \\'
            : undefined,
      }),
      output,
    );
    const scopes = (value ?? "").split(/ +/).filter(Boolean);
    if (scopes.length > 0) map[name] = scopes;
  }
  return map;
}

export async function confirmWrite(count: number, output: Writable): Promise<boolean> {
  return orCancel(
    await p.confirm({ output, message: `Write these changes (${count} file${count === 1 ? "" : "s"})?`, initialValue: true }),
    output,
  );
}
