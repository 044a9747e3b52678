/**
 * banter's public entry in code: start a server in this process (the evaluator's --in-process
 * mode, benchmarks, an application embedding banter). `npm start` (server/main.ts) is the same
 * server as its own process.
 */
export { startServer, type RunningServer, type StartOptions } from './app.ts';
export { configFromEnvironment, resolveConfig, type ConfigOverrides, type ServerConfig } from './config.ts';
export { ModelError } from './models/registry.ts';
