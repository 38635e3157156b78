import { frameworkSuite, startupSuite } from "../helpers/project.js";

frameworkSuite("hono", (root) => startupSuite(root));
