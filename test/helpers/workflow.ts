import { readFile } from "node:fs/promises";
import path from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { execa } from "execa";
import { expect, it } from "vitest";
import { repoRoot, tempDir } from "./cli.js";
import { installEnv } from "./project.js";

/** The `run:` steps of a workflow after GitHub's own parser has checked it against the workflow schema. */
export async function workflowSteps(
  content: string,
): Promise<{ errors: string[]; jobs: { id: string; matrix: unknown; steps: string[] }[] }> {
  const parsed = parseWorkflow({ name: "ci.yml", content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value) return { errors, jobs: [] };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  errors.push(...(template.errors ?? []).map((e) => e.Message));
  const jobs = (template.jobs ?? []).map((job) => {
    const j = job as unknown as { id: { value: string }; strategy?: unknown; steps: { run?: { value?: string; toString(): string } }[] };
    return { id: j.id.value, matrix: j.strategy, steps: j.steps.filter((s) => s.run).map((s) => String(s.run!.value ?? s.run)) };
  });
  return { errors, jobs };
}

/**
 * The generated `.github/workflows/ci.yml`, checked by GitHub's workflow
 * parser, and its `run` steps run in order as a script in the generated
 * project on this machine's Node (the CI of this repo runs on Node 20 and 24,
 * the workflow's matrix). `npm run check` calls the create-mcp-auth version
 * that generated the project; npm finds it installed from this checkout's
 * packed tarball, as it would from the registry.
 */
export function workflowSuite(root: () => string): void {
  it("the generated CI workflow is valid and its steps pass", async () => {
    // The parser can fail: a job with an unknown key and no runs-on is refused.
    expect((await workflowSteps("on: push\njobs:\n  x:\n    bogus: 1\n    steps:\n      - run: true\n")).errors).not.toEqual([]);
    const { errors, jobs } = await workflowSteps(await readFile(path.join(root(), ".github", "workflows", "ci.yml"), "utf8"));
    expect(errors).toEqual([]);
    expect(jobs.map((j) => j.id)).toEqual(["test"]);
    expect(JSON.stringify(jobs[0]!.matrix)).toMatch(/20.*24/);
    const steps = jobs[0]!.steps;
    expect(steps).toEqual(["npm ci", "npm run lint", "npm run typecheck", "npm test", "npm run check"]);

    const pack = await tempDir("cma-pack-");
    try {
      const packed = await execa("npm", ["pack", "--pack-destination", pack.dir, "--silent"], { cwd: repoRoot, env: installEnv() });
      const tarball = path.join(pack.dir, packed.stdout.trim().split("\n").at(-1)!);
      for (const step of steps) {
        const result = await execa("sh", ["-c", step], { cwd: root(), env: installEnv(), reject: false, all: true });
        expect(result.exitCode, `${step}\n${result.all}`).toBe(0);
        if (step === "npm ci") {
          const installed = await execa("npm", ["install", "--no-save", "--no-audit", "--no-fund", tarball], {
            cwd: root(),
            env: installEnv(),
            reject: false,
            all: true,
          });
          expect(installed.exitCode, String(installed.all)).toBe(0);
        }
      }
    } finally {
      await pack.cleanup();
    }
  }, 900_000);
}
