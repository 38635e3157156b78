import packageJson from '../package.json' with { type: 'json' };

/** This create-mcp-auth's version, read from its package.json when the bundle is built. */
export const VERSION: string = packageJson.version;
