import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, it } from "vitest";
import { createMcpServer, onDemandValidator } from "../src/mcp.js";
import { toolScopes } from "../src/tools.js";

describe("createMcpServer", () => {
  it("serves every tool of src/tools.ts", async () => {
    const server = createMcpServer();
    const client = new Client({ name: "test", version: "1.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(toolScopes).sort());
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("still checks elicitation answers against their schema (the validator is built on demand)", () => {
    const schema = { type: "object", properties: { email: { type: "string", format: "email" } }, required: ["email"] } as const;
    const validate = onDemandValidator.getValidator<{ email: string }>(schema);
    expect(validate({ email: "someone@example.com" }).valid).toBe(true);
    expect(validate({ email: "not an email" }).valid).toBe(false);
    expect(validate({}).valid).toBe(false);
  });
});
