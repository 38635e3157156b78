import { describe, expect, it } from "vitest";
import { chooseProvider, givenValues, problemLines, resolveValues, settingFlag, settingProblem } from "../src/core/provider-settings.js";
import { resolveOptions } from "../src/create/options.js";
import { findProvider, PROVIDERS } from "../src/providers.js";

const oidc = findProvider("oidc")!;
const scalekit = findProvider("scalekit")!;

describe("the provider table's one resolver (create and add)", () => {
  it("names a setting by its flag, a secret (no flag) by its variable", () => {
    const secret = scalekit.settings.find((s) => s.secret)!;
    expect(settingFlag(secret)).toBe(secret.env);
    expect(settingFlag(oidc.settings.find((s) => s.key === "issuerUrl")!)).toBe("--issuer-url");
  });

  it("a repeatable value from its variable is split on commas and trimmed, for create as for add", () => {
    const env = { OIDC_ISSUER_URL: "https://a.example.com/", OIDC_AUDIENCE: "api://x, https://y" };
    expect(givenValues(oidc, {}, env)).toEqual({ issuerUrl: "https://a.example.com/", audience: ["api://x", "https://y"] });
    const options = resolveOptions({ dir: "p", framework: "express", provider: "oidc" }, env, "/tmp");
    expect(options.local).toBe(false);
    expect(options.settings.audience).toEqual(["api://x", "https://y"]);
  });

  it("one message for a missing required setting, whichever command asks", () => {
    const { problems } = resolveValues(scalekit, { envUrl: "https://acme.scalekit.dev" });
    const required = scalekit.settings.filter((s) => s.required && s.key !== "envUrl").map(settingFlag);
    expect(problems.map((p) => p.flag)).toEqual(required);
    for (const problem of problems)
      expect(problem.message).toMatch(/^Scalekit needs .*; this one is missing \(give all of them, or none\)$/);
    // create reports the same lines through resolveOptions.
    expect(() => resolveOptions({ dir: "p", settings: { envUrl: "https://acme.scalekit.dev" } }, {}, "/tmp")).toThrow(
      problemLines(problems),
    );
  });

  it("validates each value with the setting's check and normalizes the valid ones", () => {
    const { values, problems } = resolveValues(oidc, {
      issuerUrl: "https://a.example.com/",
      audience: ["https://ok.example.com", "bad value"],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.flag).toBe("--audience");
    expect(values.issuerUrl).toBe(
      oidc.settings.find((s) => s.key === "issuerUrl")!.normalize?.("https://a.example.com/") ?? "https://a.example.com/",
    );
    expect(values.audience).toBeUndefined();
  });

  it("values each writable alone but not together are refused (exit 2), since .env holds them joined", () => {
    // CI counterexample (create-roundtrip): ["`!", "\"'!"] joins to `!,"'! : all three quotes, starting with one.
    const audience = ["`!", "\"'!"];
    const { problems } = resolveValues(oidc, { issuerUrl: "https://a.example.com/", audience });
    expect(problems).toEqual([{ flag: "--audience", message: expect.stringMatching(/joined with commas, and \.env cannot hold/) }]);
    let thrown: unknown;
    try {
      resolveOptions({ dir: "p", provider: "oidc", settings: { issuerUrl: "https://a.example.com/", audience } }, {}, "/tmp");
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { exitCode?: number }).exitCode).toBe(2);
    // The prompt's validator (a comma-separated answer) says the same.
    expect(settingProblem(oidc.settings.find((s) => s.key === "audience")!, audience.join(","))).toMatch(/joined with commas/);
  });

  it("flags of one provider with --provider of another are a problem, not ignored", () => {
    const { problems } = chooseProvider({ provider: "oidc", settings: { envUrl: "https://acme.scalekit.dev" } }, {});
    expect(problems).toEqual([{ flag: "--env-url", message: "is a setting of --provider scalekit, not oidc" }]);
    expect(PROVIDERS.length).toBeGreaterThan(1);
  });
});
