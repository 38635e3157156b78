/**
 * The issuer's own output is data, never control: its request log quotes what
 * clients send (client ids, paths), escaped so a client cannot drive the
 * terminal of the developer running it.
 */
import { describe, expect, it } from "vitest";
import { startIssuer } from "../src/issuer/index.js";

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("the issuer's log", () => {
  // (Raw bytes in a request path never reach the log: Node's HTTP parser refuses them first.)
  it("escapes a client id that carries terminal escapes", async () => {
    const lines: string[] = [];
    const issuer = await startIssuer({ port: 0, log: (line) => lines.push(line) });
    try {
      const authorize = new URL(`${issuer.url}/oauth/authorize`);
      const params = {
        response_type: "code",
        client_id: "https://127.0.0.1/\x1b]0;owned\x07\u202e/cimd.json",
        redirect_uri: "http://127.0.0.1:9/cb",
        code_challenge: "a".repeat(43),
        code_challenge_method: "S256",
      };
      for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
      const res = await fetch(authorize, { redirect: "manual", headers: { Accept: "application/json" } });
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 100));
      const log = lines.join("\n");
      expect(log).toContain("client metadata document https://127.0.0.1/\\x1b]0;owned\\x07\\u202e/cimd.json not fetched");
      for (const line of lines) expect(line).not.toMatch(CONTROL);
    } finally {
      await issuer.close();
    }
  });
});
