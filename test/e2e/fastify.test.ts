import { frameworkSuite } from "../helpers/project.js";

frameworkSuite("fastify");
