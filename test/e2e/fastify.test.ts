import { frameworkSuite, startupSuite } from "../helpers/project.js";

frameworkSuite("fastify", (root) => startupSuite(root));
