import { addFixtureSuite } from './add-suite.js';

// Express + SDK v1 in CommonJS JavaScript, with its own node:test tests.
addFixtureSuite({
  fixture: 'express-cjs',
  scopes: 'get_forecast=weather:read,get_alerts=weather:alerts',
  modifies: ['package.json', 'server.js'],
  ownTests: true,
});
