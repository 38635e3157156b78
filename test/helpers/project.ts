import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjectServer } from '../../src/selfcheck.js';
import { cleanEnv, npmCacheDir, runCli, tempDir } from './cli.js';
// @ts-expect-error plain JavaScript, shared with bench/conformance/run.mjs
import { conformanceTools, regressions, runScenarios, startTokenProxy } from '../../bench/conformance/lib.mjs';
// @ts-expect-error plain JavaScript, shared with bench/conformance/run.mjs
import { startPlainV2Server } from '../../bench/conformance/plain-v2-server.mjs';

export interface ProbeRow {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  reason: string;
}

/** Env for installs: a shared npm cache so the suite downloads each package once. */
export function installEnv(): Record<string, string> {
  return cleanEnv({ npm_config_cache: npmCacheDir, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' });
}

/**
 * The full matrix row for one framework, as a user would run it: scaffold
 * with flags (install + self-check included), then typecheck the project and
 * run its own tests.
 */
export async function scaffoldInstallAndCheck(framework: string, root: string, scopes: string) {
  const created = await runCli([root, '--framework', framework, '--scopes', scopes, '--yes', '--no-git', '--json'], {
    env: installEnv(),
  });
  let doc: { ok: boolean; check: { results: ProbeRow[]; summary: { failed: number } } | null; files: string[] };
  try {
    doc = JSON.parse(created.stdout);
  } catch {
    throw new Error(`create did not print JSON (exit ${created.exitCode}):\n${created.stderr}\n${created.stdout}`);
  }
  const failures = (doc.check?.results ?? []).filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.reason}`);
  expect(failures, created.stderr).toEqual([]);
  expect(created.exitCode, created.stderr).toBe(0);
  expect(doc.check).not.toBeNull();
  const ids = doc.check!.results.map((r) => r.id);
  return { doc, ids, stderr: created.stderr };
}

export async function typecheckAndTest(root: string) {
  const tsc = await execa('npx', ['tsc', '--noEmit'], { cwd: root, reject: false, all: true, env: installEnv() });
  expect(tsc.exitCode, String(tsc.all)).toBe(0);
  const test = await execa('npm', ['test'], { cwd: root, reject: false, all: true, env: installEnv() });
  expect(test.exitCode, String(test.all)).toBe(0);
  return String(test.all);
}

/** Probes the self-check must have run (and passed) on every generated server. */
export const EXPECTED_PROBES = [
  'prm.discovery', 'prm.path', 'prm.root', 'prm.fields', 'prm.resource', 'prm.cors',
  'challenge.no-token', 'challenge.invalid-token', 'challenge.query-token', 'cors.mcp',
  'as.metadata', 'as.issuer', 'as.pkce', 'as.registration',
  'era.2025', 'era.2026',
  'token.valid', 'token.expired', 'token.not-yet-valid', 'token.no-exp', 'token.wrong-issuer', 'token.wrong-audience',
  'token.sibling-audience', 'token.unknown-key', 'token.tampered-signature', 'token.alg-none', 'token.hs256-public-key',
  'token.unsigned', 'token.truncated-signature', 'token.malformed',
  'token.empty-bearer', 'token.basic-scheme', 'token.lowercase-bearer', 'token.oversized', 'token.rotated-key',
  'scope.insufficient', 'scope.granted', 'scope.offline-access',
  'flow.discovery', 'flow.registration', 'flow.authorization', 'flow.token', 'flow.tools-list', 'flow.tools-call', 'flow.step-up',
];

/**
 * The CI matrix row for one framework. Each framework has its own test file
 * calling this, so vitest runs two frameworks at a time on two cores.
 */
export function frameworkSuite(framework: string, more?: (root: () => string) => void): void {
  // Scopes with characters that must not break the generated code: $ { } * / '
  const scopes = "todo:read,todo:write,a$b{c}*/d'e";
  describe(`${framework}: scaffold, install, self-check, typecheck, own tests`, () => {
    let work: { dir: string; cleanup: () => Promise<void> };
    const root = () => path.join(work.dir, `${framework}-project`);
    beforeAll(async () => {
      work = await tempDir(`cma-${framework}-`);
    });
    afterAll(() => work.cleanup());

    it('create installs the project and its self-check passes every probe, OAuth flow included', async () => {
      const { ids } = await scaffoldInstallAndCheck(framework, root(), scopes);
      expect(ids).toEqual(expect.arrayContaining(EXPECTED_PROBES));
    }, 600_000);

    it('typechecks with tsc --noEmit and passes its own tests', async () => {
      const output = await typecheckAndTest(root());
      expect(output).toMatch(/passed/);
    }, 600_000);

    conformanceSuite(framework, root);

    // Framework-specific tests on the same installed project, after the matrix row.
    more?.(root);
  });
}

/** The generated server of `root`, as the self-check runs it, against `issuer`; ready when this resolves. */
export async function startGeneratedServer(root: string, issuer: { url: string; resourceId: string }) {
  const server = await startProjectServer(root, issuer);
  await server.ready();
  return server;
}

/** Frameworks whose generated server speaks the 2025 protocol revisions only (fastmcp: SDK v1). */
export const LEGACY_ONLY = new Set(['fastmcp']);
/** The conformance scenarios of the 2026-07-28 revision only. */
const MODERN_SCENARIOS = new Set(['server-stateless', 'http-header-validation', 'caching']);

/**
 * The official conformance suite against the generated server (behind a proxy
 * that adds a valid token) and, in the same run, against a plain SDK v2
 * server: every check the plain server passes, ours passes too (for a
 * 2025-only framework: every check of the 2025-era scenarios).
 */
export function conformanceSuite(framework: string, root: () => string): void {
  const tools = conformanceTools();
  // In CI a missing tool is a failure, never a silent skip.
  const missing = !tools && !process.env.CI;
  it.skipIf(missing)(`the official conformance suite: ${framework} passes every check a plain SDK v2 server passes`, async () => {
    expect(tools, 'CMA_NODE24 and CMA_CONFORMANCE_BIN must be set (.ci/run installs them)').toBeDefined();
    const { startIssuer } = await import('../../src/issuer/index.js');
    const issuer = await startIssuer({ port: 0, quiet: true });
    const server = await startGeneratedServer(root(), issuer);
    const plain = await startPlainV2Server();
    try {
      const token = await issuer.mint({ audience: [server.url, issuer.resourceId], expiresIn: 3600, scopes: ['todo:read', 'todo:write'] });
      const proxy = await startTokenProxy(server.url, token);
      try {
        const [ours, baseline] = await Promise.all([runScenarios(proxy.url, tools!), runScenarios(plain.url, tools!)]);
        const compared = LEGACY_ONLY.has(framework)
          ? Object.fromEntries(Object.entries(baseline).filter(([scenario]) => !MODERN_SCENARIOS.has(scenario)))
          : baseline;
        expect(regressions(ours, compared), JSON.stringify(ours, null, 1)).toEqual([]);
      } finally {
        await proxy.close();
      }
    } finally {
      await Promise.all([server.stop(), plain.close(), issuer.close()]);
    }
  }, 600_000);
}
