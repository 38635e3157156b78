import * as p from '@clack/prompts';
import type { Writable } from 'node:stream';
import { FRAMEWORKS } from '../frameworks.js';
import { CliError, EXIT } from '../errors.js';
import { DEFAULTS, packageNameFor, type CreateFlags, type Question } from './options.js';
import {
  parseScopes,
  validateClientId,
  validatePackageName,
  validateResourceId,
  validateSecret,
  validateUrl,
} from './validate.js';

function orCancel<T>(value: T | symbol, output: Writable): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === 'symbol') {
    p.cancel('Cancelled: nothing was written.', { output });
    throw new CliError('cancelled', EXIT.cancelled);
  }
  return value as Exclude<T, symbol>;
}

/**
 * Asks the open questions, and only those. Answers are validated as they are
 * typed, with the same functions that validate flags.
 */
export async function askMissing(flags: CreateFlags, open: Question[], output: Writable, cwd: string): Promise<CreateFlags> {
  const answers: CreateFlags = { ...flags };
  const common = { output };
  p.intro('create-mcp-auth', common);

  if (open.includes('dir')) {
    answers.dir = orCancel(
      await p.text({
        ...common,
        message: 'Where should the project go?',
        placeholder: DEFAULTS.dir,
        defaultValue: DEFAULTS.dir,
        validate: (value) => (value ? validatePackageName(packageNameFor(value, cwd)) : undefined),
      }),
      output,
    );
  }

  if (open.includes('framework')) {
    answers.framework = orCancel(
      await p.select({
        ...common,
        message: 'Which framework?',
        options: FRAMEWORKS.map((f) => ({ value: f.name, label: f.display, hint: f.hint })),
      }),
      output,
    );
  }

  if (open.includes('scopes')) {
    answers.scopes = orCancel(
      await p.text({
        ...common,
        message: 'Which OAuth scopes do your tools need? (comma or space separated)',
        placeholder: DEFAULTS.scopes,
        defaultValue: DEFAULTS.scopes,
        validate: (value) => (value ? parseScopes(value).error : undefined),
      }),
      output,
    );
  }

  if (open.includes('scalekit')) {
    const mode = orCancel(
      await p.select({
        ...common,
        message: 'Authorization server?',
        options: [
          { value: 'local', label: 'Local issuer for now', hint: 'runs offline; switch to Scalekit later by editing .env' },
          { value: 'scalekit', label: 'Scalekit', hint: 'needs your environment URL, client id and MCP server resource id' },
        ],
      }),
      output,
    );
    if (mode === 'scalekit') {
      answers.envUrl = orCancel(
        await p.text({
          ...common,
          message: 'Scalekit environment URL',
          placeholder: 'https://your-env.scalekit.dev',
          validate: (value) => validateUrl(value ?? '', { what: 'the environment URL', httpsUnlessLoopback: true }),
        }),
        output,
      );
      answers.clientId = orCancel(
        await p.text({ ...common, message: 'Scalekit client id', placeholder: 'skc_...', validate: (v) => validateClientId(v ?? '') }),
        output,
      );
      const secret = orCancel(
        await p.password({
          ...common,
          message: 'Scalekit client secret (optional: only the management API needs it; Enter to skip)',
          validate: (v) => (v ? validateSecret(v) : undefined),
        }),
        output,
      );
      if (secret) answers.clientSecret = secret;
      answers.resourceId = orCancel(
        await p.text({
          ...common,
          message: 'Resource id of this MCP server in Scalekit',
          placeholder: 'res_...',
          validate: (v) => validateResourceId(v ?? ''),
        }),
        output,
      );
      if (answers.serverUrl === undefined) {
        answers.serverUrl = orCancel(
          await p.text({
            ...common,
            message: 'Public URL of the MCP endpoint (as registered in Scalekit)',
            placeholder: `http://localhost:${answers.port ?? DEFAULTS.port}/mcp`,
            defaultValue: `http://localhost:${answers.port ?? DEFAULTS.port}/mcp`,
            validate: (v) => (v ? validateUrl(v, { what: 'the server URL', httpsUnlessLoopback: true }) : undefined),
          }),
          output,
        );
      }
    }
  }
  return answers;
}
