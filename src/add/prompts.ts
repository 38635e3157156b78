import type { Writable } from "node:stream";
import * as p from "@clack/prompts";
import { askProviderChoice, askProviderSettings, orCancel } from "../core/prompt.js";
import { FRAMEWORKS } from "../frameworks.js";
import { SCOPE_TOKEN } from "../oauth-syntax.js";
import { PROVIDERS, type Provider, type ProviderValues } from "../providers.js";
import type { AppSite, ExistingAuthSite, ToolSite } from "./detect.js";
import { printableLines } from "./guard.js";
import { validateEndpoint } from "./options.js";

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
  const chosen = await askProviderChoice(
    output,
    { label: "Set it later", hint: "the variables go to .env.example; the self-check runs against a local issuer" },
    PROVIDERS,
  );
  if (!chosen) return { provider, values: undefined };
  return { provider: chosen, values: await askProviderSettings(chosen, output, { back: "set it later" }) };
}

export async function askScopes(tools: Pick<ToolSite, "name">[], output: Writable): Promise<Record<string, string[]>> {
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

/** The question after the summary: write, see the full diff first, or stop. */
export async function chooseWrite(count: number, output: Writable): Promise<"write" | "diff" | "cancel"> {
  return orCancel(
    await p.select({
      output,
      message: `Write these changes (${count} file${count === 1 ? "" : "s"})?`,
      options: [
        { value: "write" as const, label: "Yes, write them" },
        { value: "diff" as const, label: "Show the full diff first" },
        { value: "cancel" as const, label: "No, write nothing" },
      ],
      initialValue: "write" as const,
    }),
    output,
  );
}

/**
 * The question after the summary, for TypeScript and Python add alike: write,
 * see the full diff first (then yes or no), or stop. With `diffFirst` (--diff:
 * the diff is on screen already) only yes or no. True: write.
 */
export async function decideWrite(count: number, diff: string, diffFirst: boolean, output: Writable): Promise<boolean> {
  let choice = diffFirst ? ((await confirmWrite(count, output)) ? "write" : "cancel") : await chooseWrite(count, output);
  if (choice === "diff") {
    output.write(`\n${printableLines(diff)}\n`);
    choice = (await confirmWrite(count, output)) ? "write" : "cancel";
  }
  return choice === "write";
}

/** Auth the project already has on its MCP route: keep it next to the auth step, or let the auth step replace it. */
export async function askExistingAuth(
  sites: { site: ExistingAuthSite; refusesOAuth: boolean }[],
  output: Writable,
): Promise<"keep" | "replace"> {
  // A check that refuses every OAuth token while it is on: kept, the server would refuse every OAuth client, so
  // the question says so and offers replace first.
  const names = sites
    .map(
      ({ site: s, refusesOAuth }) =>
        `${s.name} (${s.file.rel}:${s.line}${s.switch ? `, on when ${s.switch} is set` : ""}${refusesOAuth ? "; it refuses every OAuth access token while it is on" : ""})`,
    )
    .join(", ");
  const anyRefuses = sites.some((s) => s.refusesOAuth);
  return orCancel(
    await p.select({
      output,
      message: `The MCP route already has auth: ${names}. What should happen to it?`,
      options: [
        { value: "keep" as const, label: "Keep it where it is (a request must pass it and the OAuth check)" },
        { value: "replace" as const, label: "Replace it with OAuth (remove it from the route)" },
      ],
      initialValue: anyRefuses ? ("replace" as const) : ("keep" as const),
    }),
    output,
  );
}
