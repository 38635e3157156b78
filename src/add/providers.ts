/**
 * The authorization servers `add` can configure, as a table. This is add's
 * copy of the create stream's provider table (src/providers.ts, not merged
 * yet), with the same names and types for the parts add uses: `Provider`
 * (name, display, hint, settings, local, issuerArgs, env), `ProviderSetting`,
 * `ProviderValues`, `EnvVariable`, `PROVIDERS`, `DEFAULT_PROVIDER`,
 * `findProvider`. Once that table is merged, this file becomes
 *   export * from '../providers.js';
 * and nothing else in src/add changes.
 */
import { validateClientId, validateResourceId, validateSecret, validateUrl, withoutTrailingSlash } from '../create/validate.js';

/** One value a provider needs: its flag, environment variable, prompt and check, in one place. */
export interface ProviderSetting {
  /** Key of the value in the answers (commander's camel-case name of the flag). */
  key: string;
  /** The flag with its argument, e.g. `--env-url <url>`. None for a secret: secrets never go in argv. */
  flag?: string;
  /** Environment variable read when the flag is not given. */
  env?: string;
  description: string;
  /** Needed when the provider is configured. */
  required: boolean;
  /** The flag may be given several times (`--audience a --audience b`); a prompt answer is comma separated. */
  repeatable?: boolean;
  /** Asked with a masked prompt; never shown or printed. */
  secret?: boolean;
  prompt: { message: string; placeholder?: string };
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

export type ProviderName = 'scalekit' | 'oidc';

export interface Provider {
  /** Value of `--provider`; also the folder templates/providers/<name>. */
  name: ProviderName;
  display: string;
  /** One line for the prompt's hint. */
  hint: string;
  /** In prompt order. */
  settings: ProviderSetting[];
  /** Local mode: the values that point the project at `create-mcp-auth issuer`. */
  local: Record<string, string>;
  /** Arguments of `create-mcp-auth issuer` for this provider's URL layout. */
  issuerArgs: string[];
  /** The provider's variables of `.env.example` / `.env`, before the common ones. */
  env(values: ProviderValues, local: boolean): EnvVariable[];
}

const httpsUrl = (what: string) => (value: string) => validateUrl(value, { what, httpsUnlessLoopback: true });

/** One accepted token audience; several are joined with commas in OIDC_AUDIENCE. */
function validateAudience(value: string): string | undefined {
  if (!/^[\x21-\x2B\x2D-\x7E]{1,512}$/.test(value)) {
    return `audience "${value}" must be 1-512 printable ASCII characters without spaces or commas (give --audience once per value)`;
  }
  return undefined;
}

function str(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const scalekit: Provider = {
  name: 'scalekit',
  display: 'Scalekit',
  hint: 'needs your environment URL and the MCP server resource id',
  settings: [
    {
      key: 'envUrl',
      flag: '--env-url <url>',
      env: 'SCALEKIT_ENVIRONMENT_URL',
      description: 'scalekit: environment URL',
      required: true,
      prompt: { message: 'Scalekit environment URL', placeholder: 'https://your-env.scalekit.dev' },
      validate: httpsUrl('the Scalekit environment URL'),
      normalize: withoutTrailingSlash,
    },
    {
      key: 'clientId',
      flag: '--client-id <id>',
      env: 'SCALEKIT_CLIENT_ID',
      description: "scalekit: client id (optional: only Scalekit's management API uses it)",
      required: false,
      prompt: { message: 'Scalekit client id (optional: Enter to skip)', placeholder: 'skc_...' },
      validate: validateClientId,
    },
    {
      key: 'clientSecret',
      env: 'SCALEKIT_CLIENT_SECRET',
      description: 'scalekit: client secret',
      required: false,
      secret: true,
      prompt: { message: 'Scalekit client secret (optional: only the management API needs it; Enter to skip)' },
      validate: validateSecret,
    },
    {
      key: 'resourceId',
      flag: '--resource-id <id>',
      env: 'SCALEKIT_RESOURCE_ID',
      description: 'scalekit: resource id of the MCP server (res_...)',
      required: true,
      prompt: { message: 'Resource id of this MCP server in Scalekit', placeholder: 'res_...' },
      validate: validateResourceId,
    },
  ],
  local: { envUrl: 'http://127.0.0.1:4444', resourceId: 'res_local' },
  issuerArgs: [],
  env: (values) => [
    {
      name: 'SCALEKIT_ENVIRONMENT_URL',
      comment: 'Scalekit environment URL (Dashboard > Settings > API credentials). Local development: http://127.0.0.1:4444 (npx create-mcp-auth issuer).',
      example: 'https://your-env.scalekit.dev',
      value: str(values.envUrl),
    },
    {
      name: 'SCALEKIT_RESOURCE_ID',
      comment: 'Resource id of this MCP server in Scalekit (MCP Servers > your server), res_... Local development: res_local.',
      example: 'res_1234567890',
      value: str(values.resourceId),
    },
    {
      name: 'SCALEKIT_CLIENT_ID',
      comment: 'Scalekit API client id. Optional: only the management API uses it, token validation does not.',
      example: 'skc_1234567890',
      value: str(values.clientId),
    },
    {
      name: 'SCALEKIT_CLIENT_SECRET',
      comment: 'Scalekit API client secret. Optional, like the client id. Never commit it.',
      example: '',
      value: str(values.clientSecret),
    },
  ],
};

const oidc: Provider = {
  name: 'oidc',
  display: 'OpenID Connect / OAuth 2.1',
  hint: 'any authorization server with discovery metadata: Auth0, Okta, Keycloak, Entra ID, WorkOS',
  settings: [
    {
      key: 'issuerUrl',
      flag: '--issuer-url <url>',
      env: 'OIDC_ISSUER_URL',
      description: "oidc: the authorization server's issuer URL",
      required: true,
      prompt: { message: "The authorization server's issuer URL", placeholder: 'https://your-tenant.example.com/' },
      validate: httpsUrl('the issuer URL'),
    },
    {
      key: 'audience',
      flag: '--audience <value>',
      env: 'OIDC_AUDIENCE',
      description: 'oidc: an accepted token audience (repeatable; default: the server URL)',
      required: false,
      repeatable: true,
      prompt: { message: 'Accepted token audiences, comma separated (Enter: the server URL)', placeholder: 'https://mcp.example.com/mcp' },
      validate: validateAudience,
    },
  ],
  local: { issuerUrl: 'http://127.0.0.1:4444' },
  issuerArgs: ['--layout', 'oidc'],
  env: (values) => [
    {
      name: 'OIDC_ISSUER_URL',
      comment: "The authorization server's issuer URL (its metadata is read from it at boot). Local development: http://127.0.0.1:4444 (npx create-mcp-auth issuer --layout oidc).",
      example: 'https://your-tenant.example.com/',
      value: str(values.issuerUrl),
    },
    {
      name: 'OIDC_AUDIENCE',
      comment: 'Accepted token audiences, comma separated. Optional; default: the value of MCP_SERVER_URL.',
      example: '',
      value: Array.isArray(values.audience) && values.audience.length > 0 ? values.audience.join(',') : undefined,
    },
  ],
};

/** In display order; the first is the default. */
export const PROVIDERS: readonly Provider[] = [scalekit, oidc];

export const DEFAULT_PROVIDER: Provider = scalekit;

export function findProvider(name: string): Provider | undefined {
  return PROVIDERS.find((p) => p.name === name.trim().toLowerCase());
}
