import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { EXPECTED_PROBES, scaffoldInstallAndCheck, typecheckAndTest } from '../helpers/project.js';

// Scopes with characters that must not break the generated code: $ { } * / '
const SCOPES = "todo:read,todo:write,a$b{c}*/d'e";

describe('fastmcp: scaffold, install, self-check, typecheck, own tests', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  const root = () => path.join(work.dir, 'fastmcp-project');
  beforeAll(async () => {
    work = await tempDir('cma-fastmcp-');
  });
  afterAll(() => work.cleanup());

  it('create installs the project and its self-check passes every probe, OAuth flow included', async () => {
    const { ids } = await scaffoldInstallAndCheck('fastmcp', root(), SCOPES);
    expect(ids).toEqual(expect.arrayContaining(EXPECTED_PROBES));
  }, 600_000);

  it('typechecks with tsc --noEmit and passes its own tests', async () => {
    const output = await typecheckAndTest(root());
    expect(output).toMatch(/passed/);
  }, 600_000);
});
