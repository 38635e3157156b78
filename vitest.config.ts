import { readFileSync } from "node:fs";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * The fast tier (`npm run test:unit`): tests that run in this process or spawn
 * plain node, with no install, no built CLI (no `npm run build` first) and no
 * generated project. A new test of that kind is named `*.unit.test.ts`;
 * test/layers.unit.test.ts checks that none of these files reaches for the
 * built CLI or a project helper. Everything else is the full tier.
 */
export const UNIT_TESTS = [
  "test/**/*.unit.test.ts",
  "test/validate.test.ts",
  "test/literals.test.ts",
  "test/templates.test.ts",
  "test/write.test.ts",
  "test/add-units.test.ts",
  "test/check-units.test.ts",
];

/**
 * .ci/run's second pass, on Node 24 (CMA_NODE24_PASS=1), leaves out the suites
 * whose time goes to other programs, not to this CLI's Node: the Python
 * servers (uv, uvicorn, pytest), add on Python projects and on the published
 * packages of test/fixtures/real (npm install, their own builds and tests), and
 * the container builds. The first pass, on the machine's Node, runs them all.
 */
const NOT_ON_SECOND_PASS =
  process.env.CMA_NODE24_PASS === "1"
    ? [
        "test/e2e/python-*.test.ts",
        "test/add-python.test.ts",
        "test/add-python-real.test.ts",
        "test/add-python-managers.test.ts",
        "test/add-real.test.ts",
        "test/container-docs.test.ts",
      ]
    : [];

/**
 * GitHub's workflow parser ships source maps whose sources it does not ship:
 * once vite transforms it (below), every file would log "points to missing
 * source files". Loaded without its source-map comment, it logs nothing.
 */
const workflowParserWithoutSourceMaps = {
  name: "workflow-parser-without-source-maps",
  enforce: "pre" as const,
  load(id: string) {
    const file = id.split("?")[0]!;
    if (!file.includes("/@actions/workflow-parser/") || !file.endsWith(".js")) return undefined;
    return readFileSync(file, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  },
};

export default defineConfig({
  plugins: [workflowParserWithoutSourceMaps],
  test: {
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // End-to-end suites install real projects; run files in parallel only up
    // to the machine's two cores.
    maxWorkers: 2,
    // GitHub's workflow parser imports its schema JSON without an import attribute: let vite transform it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }]],
    projects: [
      { extends: true, test: { name: "unit", include: UNIT_TESTS } },
      {
        extends: true,
        test: { name: "e2e", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...UNIT_TESTS, ...NOT_ON_SECOND_PASS] },
      },
    ],
  },
});
