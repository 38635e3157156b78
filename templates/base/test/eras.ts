/** The MCP protocol eras this project's server answers (the SDK generation decides). */
export const servesModernEra: boolean = true;
