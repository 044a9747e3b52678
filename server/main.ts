/** Entry point: `npm start` (flags: --port, --host, --vad-version, --vad-model, --eot-model, --greeting, --log-level). */
import { ModelError, configFromEnvironment, startServer } from './index.ts';
import { AuthConfigError } from './limits/auth.ts';

const server = await startServer(configFromEnvironment(process.argv.slice(2), process.env)).catch(
  (err: unknown) => {
    if (!(err instanceof ModelError) && !(err instanceof AuthConfigError)) throw err;
    // A one-line reason instead of a stack trace: the operator's fix is in the model folder or the auth options.
    console.error(`banter cannot start: ${err.message}`);
    process.exit(2);
  },
);
console.log(
  `banter is listening: http://127.0.0.1:${server.port}/ (WebSocket ${server.url}). Ctrl-C stops it.`,
);

// First signal: drain (health 503, new calls refused, callers told, closed at the deadline), exit 0.
// A second signal: exit at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void server.close({ deadlineMs: server.config.shutdownDeadlineMs }).then(() => process.exit(0));
  });
}
