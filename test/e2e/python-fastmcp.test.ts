import { pythonFrameworkSuite } from "./python-suite.js";

pythonFrameworkSuite("fastmcp");
