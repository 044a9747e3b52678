/** Entry point: `npm start` (flags: --port, --host, --vad-version, --vad-model, --greeting, --log-level). */
import { startServer } from './app.ts';
import { configFromEnvironment } from './config.ts';

const server = await startServer(configFromEnvironment(process.argv.slice(2), process.env));
console.log(`banter is listening: http://127.0.0.1:${server.port}/ (WebSocket ${server.url}). Ctrl-C stops it.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void server.close().then(() => process.exit(0));
  });
}
