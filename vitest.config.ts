import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // End-to-end suites install real projects; run files in parallel only up
    // to the machine's two cores.
    maxWorkers: 2,
    // GitHub's workflow parser imports its schema JSON without an import attribute: let vite transform it.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }]],
  },
});
