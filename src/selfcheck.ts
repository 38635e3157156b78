import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { environmentError } from './errors.js';
import type { Ui } from './ui.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const READY_TIMEOUT_MS = 30_000;

/** Polls the server's public metadata document until it answers, the process dies, or time runs out. */
async function waitForServer(url: string, child: ResultPromise, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  child.then(
    () => (exited = true),
    () => (exited = true),
  );
  while (Date.now() < deadline) {
    if (exited) throw environmentError('the generated server exited before it was ready', log());
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw environmentError(`the generated server did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s`, log());
}

export interface SelfCheckOutcome {
  passed: boolean;
  report: unknown;
}

/** A generated project's server, run as `npm run dev` would (tsx), against `issuer`, on a free loopback port. */
export interface ProjectServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  /** Resolves once the server answers its metadata document; rejects with the log if it exits or times out. */
  ready(): Promise<void>;
  /** What the server printed (the last 32-64 kB). */
  log(): string;
  /** Its last 30 lines, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * How to start a project's server instead of `tsx src/index.ts` (an existing
 * project secured by `add`: its own start command), and where its MCP
 * endpoint is. `port` is for a server that listens on a fixed port rather
 * than on PORT.
 */
export interface StartOptions {
  command?: { file: string; args: string[] };
  mcpPath?: string;
  port?: number;
}

/**
 * The provider of a project, from its `.env.example` (CONTRACTS: what the
 * self-check passes): a line starting with `OIDC_ISSUER_URL=` means oidc,
 * else scalekit. The local issuer is started in the matching layout.
 */
export function projectLayout(root: string): 'scalekit' | 'oidc' {
  let text = '';
  try {
    text = readFileSync(path.join(root, '.env.example'), 'utf8');
  } catch {
    // no .env.example: scalekit
  }
  return text.split(/\r?\n/).some((line) => line.startsWith('OIDC_ISSUER_URL=')) ? 'oidc' : 'scalekit';
}

/** What the project's server needs to trust the local issuer, per provider. */
function issuerEnv(root: string, issuer: { url: string; resourceId: string; issuer?: string }, serverUrl: string): Record<string, string> {
  if (projectLayout(root) === 'oidc') return { OIDC_ISSUER_URL: issuer.issuer ?? issuer.url, OIDC_AUDIENCE: serverUrl };
  return {
    SCALEKIT_ENVIRONMENT_URL: issuer.url,
    SCALEKIT_RESOURCE_ID: issuer.resourceId,
    SCALEKIT_CLIENT_ID: 'local-self-check',
    SCALEKIT_CLIENT_SECRET: 'local-self-check',
  };
}

export async function startProjectServer(root: string, issuer: { url: string; resourceId: string; issuer?: string }, start: StartOptions = {}): Promise<ProjectServer> {
  const port = start.port ?? (await freePort());
  const mcpPath = start.mcpPath ?? '/mcp';
  const serverUrl = `http://127.0.0.1:${port}${mcpPath}`;
  const [file, args] = start.command ? [start.command.file, start.command.args] : [process.execPath, ['--import', 'tsx', 'src/index.ts']];
  let output = '';
  const server = execa(file, args, {
    cwd: root,
    env: {
      ...issuerEnv(root, issuer, serverUrl),
      MCP_SERVER_URL: serverUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
    },
    stdin: 'ignore',
    all: true,
    reject: false,
    forceKillAfterDelay: 2000,
    // A start command (npm start) runs the server as a grandchild: stop the whole group.
    detached: Boolean(start.command),
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (server.pid) process.kill(-server.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = () => killGroup('SIGKILL');
  if (start.command) process.once('exit', onExit);
  server.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 64_000) output = output.slice(-32_000);
  });
  const logTail = () => output.split('\n').slice(-30).join('\n');
  const suffix = mcpPath === '/' ? '' : mcpPath;
  return {
    url: serverUrl,
    ready: () => waitForServer(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource${suffix}`, server, logTail),
    log: () => output,
    logTail,
    stop: async () => {
      if (!start.command) {
        server.kill('SIGTERM');
        await server;
        return;
      }
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 3000);
      await server;
      clearTimeout(timer);
      killGroup('SIGKILL'); // anything the command left behind
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * Proves a generated project: starts the local issuer and the project's
 * server (environment pointing at the issuer, free ports), runs every probe
 * of `check` with minted tokens and the official client's OAuth flow, then
 * stops both. Scalekit-mode projects are checked the same way: the probe
 * exercises the generated code, which treats the local issuer as Scalekit.
 */
export async function runSelfCheck({ root, scopes, ui, start }: { root: string; scopes?: string[]; ui: Ui; start?: StartOptions }): Promise<SelfCheckOutcome> {
  const { startIssuer } = await import('./issuer/index.js');
  const { runCheck, formatReport, reportPassed } = await import('./check/index.js');

  const issuer = await startIssuer({ port: 0, quiet: true, layout: projectLayout(root), ...(scopes ? { scopes } : {}) });
  const server = await startProjectServer(root, issuer, start);

  try {
    const report = await ui.step('Self-check: starting the local issuer and your server, probing its authorization', 'Self-check finished', async () => {
      await server.ready();
      return runCheck({ url: server.url, issuer });
    });
    const passed = reportPassed(report);
    ui.output.write(`${formatReport(report, { color: ui.interactive })}\n`);
    if (!passed) {
      ui.error(`The self-check found problems. Server log (last lines):\n${server.logTail()}`);
    }
    return { passed, report };
  } finally {
    await server.stop();
    await issuer.close();
  }
}
