// A named import, so the bundle keeps only this field of package.json.
import { version } from "../package.json";

/** This create-mcp-auth's version, read from its package.json when the bundle is built. */
export const VERSION: string = version;
