import { containerSuite } from '../helpers/container.js';
import { frameworkSuite } from '../helpers/project.js';

// The deploy files are the same for every framework: checked once, on Express.
frameworkSuite('express', (root) => {
  containerSuite(root);
});
