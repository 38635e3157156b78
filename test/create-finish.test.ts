import { describe, expect, it } from "vitest";
import type { CheckReport } from "../src/check/types.js";
import { connectLines, curlLines, nextSteps } from "../src/create/finish.js";
import { type CreateFlags, resolveOptions } from "../src/create/options.js";
import { summaryLines } from "../src/selfcheck.js";

/** Issue 13.6, the parts of the final screen that need no terminal. */
const probe = (id: string, status: "pass" | "fail" | "warn" | "skip", reason = "ok") => ({
  id,
  title: `Probe ${id}`,
  status,
  reason,
  rule: "RFC",
  revision: null,
  durationMs: 1,
});

describe("the self-check summary", () => {
  it("counts, then each failure with its reason", () => {
    // Only the fields the summary reads.
    const report = {
      url: "http://127.0.0.1:1/mcp",
      results: [
        probe("a", "pass"),
        probe("b", "fail", "answered 500"),
        probe("c", "skip"),
        probe("d", "warn"),
        probe("e", "fail", "no challenge"),
      ],
      summary: { passed: 1, failed: 2, warnings: 1, skipped: 1 },
      durationMs: 2400,
    } as unknown as CheckReport;
    expect(summaryLines(report)).toEqual({
      headline: "Self-check failed: 1 passed, 2 failed, 1 warning, 1 skipped (2.4 s)",
      failures: ["✖ Probe b: answered 500 [b]", "✖ Probe e: no challenge [e]"],
    });
    expect(
      summaryLines({ ...report, results: [probe("a", "pass")], summary: { passed: 1, failed: 0, warnings: 0, skipped: 0 } }).headline,
    ).toBe("Self-check passed: 1 passed, 0 failed (2.4 s)");
  });
});

describe("next steps", () => {
  it("every line fits 77 columns (80 minus the frame) for a typical project", () => {
    const cases: CreateFlags[] = [
      {},
      { pm: "pnpm" },
      { settings: { envUrl: "https://acme.scalekit.dev", resourceId: "res_1" }, serverUrl: "https://mcp.example.com/mcp" },
      { provider: "oidc", settings: { issuerUrl: "https://tenant.example.com/" }, serverUrl: "https://mcp.example.com/mcp" },
    ];
    for (const flags of cases) {
      const options = resolveOptions({ dir: "my-mcp-server", yes: true, ...flags }, {}, "/tmp");
      const { title, lines } = nextSteps(options, { installed: true, cwd: "/tmp" });
      expect(title).toBe("Next steps: cd my-mcp-server");
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(77);
    }
  });

  it("local mode mints a token with the package manager of the project; a configured provider says where tokens come from", () => {
    const local = nextSteps(resolveOptions({ dir: "p", yes: true, pm: "pnpm" }, {}, "/tmp"), { installed: false, cwd: "/tmp" }).lines;
    expect(local[0]).toBe("pnpm install");
    expect(local.join("\n")).toContain("TOKEN=$(pnpm -s token)");
    expect(local.join("\n")).toContain("pnpm issuer");
    const oidc = nextSteps(
      resolveOptions(
        { dir: "p", yes: true, provider: "oidc", settings: { issuerUrl: "https://t.example.com/", audience: ["api://x"] } },
        {},
        "/tmp",
      ),
      { installed: true, cwd: "/tmp" },
    ).lines;
    expect(oidc.join("\n")).toContain("an access token from your authorization server");
    expect(oidc.join("\n")).toContain("  api://x");
    expect(oidc.join("\n")).not.toContain("issuer ");
  });

  it("the curl call and the connect commands quote odd values as shell words", () => {
    expect(curlLines("http://localhost:3000/a'b")[0]).toBe(`curl -s 'http://localhost:3000/a'\\''b' -H "Authorization: Bearer $TOKEN" \\`);
    expect(connectLines("x", "http://localhost:3000/mcp")[0]).toBe("claude mcp add --transport http x http://localhost:3000/mcp");
  });
});
