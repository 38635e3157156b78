/** The authorization servers add can configure: the same table as create's. */
export * from "../providers.js";
