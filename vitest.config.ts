import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{server,client,eval,bench,fixtures,scripts,models}/**/*.test.ts'],
    // onnxruntime-node is a native addon: child processes isolate it more safely than worker threads.
    pool: 'forks',
    // Two cores here; real-time streaming tests must not starve each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
