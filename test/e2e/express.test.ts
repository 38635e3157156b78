import { containerSuite } from "../helpers/container.js";
import { frameworkSuite, startupSuite } from "../helpers/project.js";
import { workflowSuite } from "../helpers/workflow.js";

// The deploy files are the same for every framework: checked once, on Express.
frameworkSuite("express", (root) => {
  startupSuite(root);
  workflowSuite(root);
  containerSuite(root);
});
