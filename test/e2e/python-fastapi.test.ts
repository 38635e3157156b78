import { pythonFrameworkSuite } from "./python-suite.js";

// The Dockerfile is the same for both Python frameworks: built and run once, here.
pythonFrameworkSuite("fastapi", { deploy: true });
