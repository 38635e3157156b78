/**
 * The authorization servers a project can be generated for. Adding one is a
 * row here and a `templates/typescript/auth/providers/<name>/` folder (its
 * verifier, tests and AUTH.md section, which `add` writes) and nothing else:
 * the create code reads everything provider-specific from this table.
 */
import { canWriteEnvValue } from "./core/literals.js";
import { selfCommand } from "./core/self-command.js";
import { shown, validateClientId, validateSecret, validateUrl, withoutTrailingSlash } from "./core/validate.js";

/** One value a provider needs: its flag, environment variable, prompt and check, in one place. */
export interface ProviderSetting {
  /** Key of the value in the answers (commander's camel-case name of the flag). */
  key: string;
  /** The flag with its argument, e.g. `--env-url <url>`. None for a secret: secrets never go in argv. */
  flag?: string;
  /** Environment variable read when the flag is not given. */
  env?: string;
  /** For `--help`. */
  description: string;
  /** Needed when the provider is configured (not local mode). */
  required: boolean;
  /** The flag may be given several times (`--audience a --audience b`); a prompt answer is comma separated. */
  repeatable?: boolean;
  /** Asked with a masked prompt; never shown or printed. */
  secret?: boolean;
  /**
   * The question, and an example of the right kind of value (shown greyed in
   * the empty answer, and in the message when the value is not a URL).
   */
  prompt: { message: string; placeholder?: string };
  /** Its default is the server URL: asked after it, which the prompt then shows as the Enter answer. */
  defaultsToServerUrl?: boolean;
  /** An error message (what is wrong, what to do), or undefined. */
  validate(value: string): string | undefined;
  /** Applied after validation, e.g. dropping a trailing slash from a URL. */
  normalize?(value: string): string;
}

/** Validated values of a provider's settings, by key. */
export type ProviderValues = Record<string, string | string[] | undefined>;

/** A line of `.env.example` and, when it has a value, of `.env`. */
export interface EnvVariable {
  name: string;
  comment: string;
  /** Written to `.env.example`; '' writes `NAME=`. */
  example: string;
  /** Written to `.env`; undefined leaves the variable out. */
  value: string | undefined;
}

/** The parts of a running local issuer the self-check hands to a project's server. */
export interface IssuerEndpoints {
  url: string;
  resourceId: string;
  issuer?: string;
}

export type ProviderName = "scalekit" | "oidc";

export interface Provider {
  /** Value of `--provider`. */
  name: ProviderName;
  /** Shown in prompts and messages. */
  display: string;
  /** One line for the prompt's hint. */
  hint: string;
  /**
   * In the order a person fills them: the required ones first (the server
   * URL is asked right after them), then the optional ones.
   */
  settings: ProviderSetting[];
  /** Local mode: the values that point the project at `create-mcp-auth issuer`. */
  local: Record<string, string>;
  /** `create-mcp-auth issuer --layout <this>` serves this provider's URL layout. */
  issuerLayout: "scalekit" | "oidc";
  /** Arguments of `create-mcp-auth issuer` for this layout (the project's `issuer` script). */
  issuerArgs: string[];
  /** The provider's variables of `.env.example` / `.env`, before the common ones. */
  env(values: ProviderValues, local: boolean): EnvVariable[];
  /** The first lines of `.env`. */
  envHeader(local: boolean): string;
  /** A `.env.example` line starting with this names the provider (see `providerOfEnvExample`). */
  envMarker: string;
  /** What the self-check passes to the project's server so it trusts the local issuer. */
  selfCheckEnv(issuer: IssuerEndpoints, serverUrl: string): Record<string, string>;
  /** Steps outside the project that a configured (not local) project needs, for the final screen. */
  setupSteps(values: ProviderValues, serverUrl: string): string[];
  /** Where a configured project's access tokens come from, for the final screen. */
  tokenSource: string;
}

/** A Scalekit resource id (`res_...`), or the resource named by its URL. */
export function validateResourceId(value: string): string | undefined {
  if (/^res_[A-Za-z0-9_-]+$/.test(value)) return undefined;
  if (/^https?:\/\//i.test(value)) return validateUrl(value, { what: "the resource id", httpsUnlessLoopback: true, exact: true });
  return `resource id ${shown(value)} should look like res_1234567890 (from Scalekit: MCP Servers > your server) or be a URL`;
}

/** One accepted token audience (RFC 7519 StringOrURI); several are joined with commas in OIDC_AUDIENCE. */
export function validateAudience(value: string): string | undefined {
  if (!/^[\x21-\x2B\x2D-\x7E]{1,512}$/.test(value)) {
    return `audience ${shown(value)} must be 1-512 printable ASCII characters without spaces or commas (give --audience once per value)`;
  }
  if (!canWriteEnvValue(value)) return `audience ${shown(value)} holds ', \`, " and # together: .env cannot hold it exactly`;
  return undefined;
}

const httpsUrl = (what: string, example: string) => (value: string) =>
  validateUrl(value, { what, example, httpsUnlessLoopback: true, exact: true });

const scalekit: Provider = {
  name: "scalekit",
  display: "Scalekit",
  hint: "needs your environment URL and the MCP server resource id",
  settings: [
    {
      key: "envUrl",
      flag: "--env-url <url>",
      env: "SCALEKIT_ENVIRONMENT_URL",
      description: "Scalekit environment URL",
      required: true,
      prompt: { message: "Scalekit environment URL", placeholder: "https://your-env.scalekit.dev" },
      validate: httpsUrl("the Scalekit environment URL", "https://your-env.scalekit.dev"),
      normalize: withoutTrailingSlash,
    },
    {
      key: "resourceId",
      flag: "--resource-id <id>",
      env: "SCALEKIT_RESOURCE_ID",
      description: "Scalekit resource id of the MCP server (res_...)",
      required: true,
      prompt: { message: "Resource id of this MCP server in Scalekit", placeholder: "res_1234567890" },
      validate: validateResourceId,
    },
    {
      key: "clientId",
      flag: "--client-id <id>",
      env: "SCALEKIT_CLIENT_ID",
      description: "Scalekit API client id (optional: only Scalekit's management API uses it)",
      required: false,
      prompt: { message: "Scalekit API client id (for its management API)", placeholder: "skc_1234567890" },
      validate: validateClientId,
    },
    {
      key: "clientSecret",
      env: "SCALEKIT_CLIENT_SECRET",
      description: "Scalekit API client secret",
      required: false,
      secret: true,
      prompt: { message: "Scalekit API client secret" },
      validate: validateSecret,
    },
  ],
  local: { envUrl: "http://127.0.0.1:4444", resourceId: "res_local" },
  issuerLayout: "scalekit",
  issuerArgs: [],
  env: (values) => [
    {
      name: "SCALEKIT_ENVIRONMENT_URL",
      comment: "Scalekit environment URL (Dashboard > Settings > API credentials). Local mode: the local issuer.",
      example: "https://your-env.scalekit.dev",
      value: str(values.envUrl),
    },
    {
      name: "SCALEKIT_RESOURCE_ID",
      comment: "The MCP server's resource id in Scalekit (MCP Servers > your server). Local mode: res_local.",
      example: "res_1234567890",
      value: str(values.resourceId),
    },
    {
      name: "SCALEKIT_CLIENT_ID",
      comment: "Scalekit API client id. Optional: only the management API uses it, token validation does not.",
      example: "skc_1234567890",
      value: str(values.clientId),
    },
    {
      name: "SCALEKIT_CLIENT_SECRET",
      comment: "Scalekit API client secret. Optional, like the client id. Never commit it.",
      example: "",
      value: str(values.clientSecret),
    },
  ],
  envHeader: (local) =>
    local
      ? `# Local mode: tokens come from \`${selfCommand()} issuer\` (development only).\n` +
        "# To use Scalekit, set the SCALEKIT_ lines to your environment URL and resource id.\n"
      : "# Secrets: this file is in .gitignore. Keep it that way.\n",
  envMarker: "SCALEKIT_ENVIRONMENT_URL=",
  selfCheckEnv: (issuer) => ({
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
    SCALEKIT_CLIENT_ID: "local-self-check",
    SCALEKIT_CLIENT_SECRET: "local-self-check",
  }),
  setupSteps: (_values, serverUrl) => ["Register it: Scalekit dashboard > MCP Servers > Add, server URL", `  ${serverUrl}`],
  tokenSource: "Scalekit",
};

const oidc: Provider = {
  name: "oidc",
  display: "OpenID Connect",
  hint: "any authorization server with discovery metadata: Auth0, Okta, Keycloak, Entra ID, WorkOS",
  settings: [
    {
      key: "issuerUrl",
      flag: "--issuer-url <url>",
      env: "OIDC_ISSUER_URL",
      description: "oidc: the authorization server's issuer URL",
      required: true,
      prompt: { message: "The authorization server's issuer URL", placeholder: "https://your-tenant.example.com/" },
      validate: httpsUrl("the issuer URL", "https://your-tenant.example.com"),
    },
    {
      key: "audience",
      flag: "--audience <value>",
      env: "OIDC_AUDIENCE",
      description: "oidc: an accepted token audience (repeatable, or comma separated in the variable; default: the server URL)",
      required: false,
      repeatable: true,
      prompt: { message: "Accepted audiences, comma separated" },
      defaultsToServerUrl: true,
      validate: validateAudience,
    },
  ],
  local: { issuerUrl: "http://127.0.0.1:4444" },
  issuerLayout: "oidc",
  issuerArgs: ["--layout", "oidc"],
  env: (values) => [
    {
      name: "OIDC_ISSUER_URL",
      comment: "The authorization server's issuer URL (its metadata is read from it at boot). Local mode: the local issuer.",
      example: "https://your-tenant.example.com/",
      value: str(values.issuerUrl),
    },
    {
      name: "OIDC_AUDIENCE",
      comment: "Accepted token audiences, comma separated. Default: the value of MCP_SERVER_URL.",
      example: "",
      value: Array.isArray(values.audience) && values.audience.length > 0 ? values.audience.join(",") : undefined,
    },
  ],
  envHeader: (local) =>
    local
      ? `# Local mode: tokens come from \`${selfCommand()} issuer --layout oidc\` (development only).\n` +
        "# To use your authorization server, set OIDC_ISSUER_URL (and OIDC_AUDIENCE if it needs one).\n"
      : "# This file is in .gitignore. Keep it that way.\n",
  envMarker: "OIDC_ISSUER_URL=",
  selfCheckEnv: (issuer, serverUrl) => ({ OIDC_ISSUER_URL: issuer.issuer ?? issuer.url, OIDC_AUDIENCE: serverUrl }),
  setupSteps: (values, serverUrl) => {
    const audience = Array.isArray(values.audience) && values.audience.length > 0 ? values.audience.join(", ") : serverUrl;
    return ["Your authorization server must issue access tokens with the audience", `  ${audience}`];
  },
  tokenSource: "your authorization server",
};

function str(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** In display order; the first is the default. */
export const PROVIDERS: readonly Provider[] = [scalekit, oidc];

export const DEFAULT_PROVIDER: Provider = scalekit;

export function findProvider(name: string): Provider | undefined {
  return PROVIDERS.find((p) => p.name === name.trim().toLowerCase());
}

/** The provider of a generated project, read from its `.env.example` (what the self-check starts the local issuer for). */
export function providerOfEnvExample(text: string | undefined): Provider {
  const lines = (text ?? "").split(/\r?\n/);
  return PROVIDERS.find((p) => p !== DEFAULT_PROVIDER && lines.some((line) => line.startsWith(p.envMarker))) ?? DEFAULT_PROVIDER;
}
