/**
 * Authorization servers `add` can configure, as a table: per provider its
 * flags and the environment variables it appends to .env.example (and to
 * .env when values were given). The names are those of CONTRACTS.md; the
 * core that reads them comes from the templates.
 */
import { validateClientId, validateResourceId, validateSecret, validateUrl } from '../create/validate.js';

export interface ProviderVariable {
  name: string;
  comment: string;
  example: string;
  /** The flag that sets it (the secret has none: environment or prompt only). */
  flag?: string;
  /** Key of the value in AddFlags. */
  key?: 'envUrl' | 'clientId' | 'clientSecret' | 'resourceId' | 'issuerUrl' | 'audience';
  required: boolean;
  validate?: (value: string) => string | undefined;
}

export interface Provider {
  name: string;
  display: string;
  variables: ProviderVariable[];
}

const https = (what: string) => (value: string) => validateUrl(value, { what, httpsUnlessLoopback: true });

export const PROVIDERS: readonly Provider[] = [
  {
    name: 'scalekit',
    display: 'Scalekit',
    variables: [
      {
        name: 'SCALEKIT_ENVIRONMENT_URL',
        comment: 'Scalekit environment URL (Dashboard > Settings > API credentials). Local development: http://127.0.0.1:4444 (npx create-mcp-auth issuer).',
        example: 'https://your-env.scalekit.dev',
        flag: '--env-url',
        key: 'envUrl',
        required: true,
        validate: https('the Scalekit environment URL'),
      },
      {
        name: 'SCALEKIT_CLIENT_ID',
        comment: 'Scalekit API client id. Optional: only the management API uses it, token validation does not.',
        example: 'skc_1234567890',
        flag: '--client-id',
        key: 'clientId',
        required: false,
        validate: validateClientId,
      },
      {
        name: 'SCALEKIT_CLIENT_SECRET',
        comment: 'Scalekit API client secret. Optional, like the client id. Never commit it.',
        example: '',
        key: 'clientSecret',
        required: false,
        validate: validateSecret,
      },
      {
        name: 'SCALEKIT_RESOURCE_ID',
        comment: 'Resource id of this MCP server in Scalekit (MCP Servers > your server), res_... Local development: res_local.',
        example: 'res_1234567890',
        flag: '--resource-id',
        key: 'resourceId',
        required: true,
        validate: validateResourceId,
      },
    ],
  },
  {
    name: 'oidc',
    display: 'OpenID Connect / OAuth 2.0 authorization server',
    variables: [
      {
        name: 'OIDC_ISSUER_URL',
        comment: "The authorization server's issuer URL (its metadata is read from /.well-known/...). Local development: http://127.0.0.1:4444 (npx create-mcp-auth issuer --layout oidc).",
        example: 'https://auth.example.com',
        flag: '--issuer-url',
        key: 'issuerUrl',
        required: true,
        validate: https('the issuer URL'),
      },
      {
        name: 'OIDC_AUDIENCE',
        comment: 'Accepted token audiences, comma-separated. Optional; default: MCP_SERVER_URL.',
        example: '',
        flag: '--audience',
        key: 'audience',
        required: false,
      },
    ],
  },
];

/** Variables every provider needs. */
export function commonVariables(serverUrl: string): ProviderVariable[] {
  return [
    {
      name: 'MCP_SERVER_URL',
      comment: 'Public URL of the MCP endpoint; tokens must name it as audience. Its path must be the endpoint this server serves.',
      example: serverUrl,
      required: true,
    },
    {
      name: 'MCP_ALLOWED_ORIGINS',
      comment: 'Optional: browser origins allowed besides this server\'s own (comma-separated); other Origins get 403.',
      example: '',
      required: false,
    },
  ];
}

export function findProvider(name: string): Provider | undefined {
  return PROVIDERS.find((p) => p.name === name.trim().toLowerCase());
}
