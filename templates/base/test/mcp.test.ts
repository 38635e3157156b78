import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { createMcpServer } from "../src/mcp.js";
import { toolScopes } from "../src/tools.js";

describe("createMcpServer", () => {
  it("serves every tool of src/tools.ts, in a stable order", async () => {
    const server = createMcpServer();
    const client = new Client({ name: "test", version: "1.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(Object.keys(toolScopes));
    } finally {
      await client.close();
      await server.close();
    }
  });
});
