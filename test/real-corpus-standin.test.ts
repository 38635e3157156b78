/**
 * The corpus harness's stand-in backend (lib/real-corpus.mjs, a manifest's `standIn`): a loopback server a
 * project needs at startup (obsidian-mcp-server: the Obsidian Local REST API), running only while add runs.
 */
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript, shared with bench/add/real.mjs
import { loadManifest, startStandIn, withStandIn } from "../lib/real-corpus.mjs";

const json = { service: "Obsidian Local REST API", authenticated: true };
const project = { name: "p", env: { OBSIDIAN_API_KEY: "fake" }, standIn: { env: "OBSIDIAN_BASE_URL", json } };

describe("the corpus's stand-in backend", () => {
  it("answers every GET with the manifest's JSON on a loopback port named by its variable, other methods 405, and stops", async () => {
    const standIn = await startStandIn(project);
    const url = standIn.env.OBSIDIAN_BASE_URL as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ["/", "/vault/notes/a.md"]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(json);
    }
    const post = await fetch(`${url}/vault/`, { method: "POST", body: "x" });
    await post.arrayBuffer();
    expect(post.status).toBe(405);
    expect(standIn.requests()).toBe(3);
    await standIn.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it("withStandIn gives the project's environment with the stand-in's URL, and stops it after", async () => {
    let seen = "";
    const answer = await withStandIn(project, async (env: Record<string, string>) => {
      seen = env.OBSIDIAN_BASE_URL ?? "";
      expect(env.OBSIDIAN_API_KEY).toBe("fake");
      return (await fetch(seen)).json();
    });
    expect(answer).toEqual(json);
    await expect(fetch(seen)).rejects.toThrow();
  });

  it("answers with the manifest's status when it gives one (apify: 404 record-not-found for every GET)", async () => {
    const missing = { error: { type: "record-not-found", message: "Actor was not found" } };
    const standIn = await startStandIn({ name: "a", standIn: { env: "APIFY_API_BASE_URL", status: 404, json: missing } });
    try {
      const response = await fetch(`${standIn.env.APIFY_API_BASE_URL}/v2/actors/apify~rag-web-browser`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(await response.json()).toEqual(missing);
    } finally {
      await standIn.close();
    }
    await expect(startStandIn({ name: "b", standIn: { env: "X_URL", status: 99, json } })).rejects.toThrow(/b: standIn's "status"/);
  });

  it("none without a standIn; a malformed one is a clear error", async () => {
    expect(await startStandIn({ name: "q" })).toBeUndefined();
    await expect(startStandIn({ name: "q", standIn: { env: "lower case", json } })).rejects.toThrow(/q: standIn needs "env"/);
  });

  it("the manifest's stand-ins are well formed", async () => {
    const { projects } = (await loadManifest()) as { projects: { name: string; standIn?: { env: string; json: unknown } }[] };
    const obsidian = projects.find((p) => p.name === "obsidian-mcp-server");
    expect(obsidian?.standIn?.env).toBe("OBSIDIAN_BASE_URL");
    for (const p of projects.filter((p) => p.standIn)) {
      const standIn = await startStandIn(p);
      await standIn.close();
    }
  });
});
