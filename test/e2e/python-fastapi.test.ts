import { pythonFrameworkSuite } from "./python-suite.js";

pythonFrameworkSuite("fastapi");
