/**
 * Bundles the browser client (client/src) into client/dist with esbuild:
 * the page script and the two AudioWorklet modules, each self-contained, so
 * the browser runs the same protocol schemas as the server.
 * Run: npm run build:client (also runs before npm start and the browser test).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const clientDir = fileURLToPath(new URL('.', import.meta.url));

export async function buildClient(): Promise<void> {
  await build({
    absWorkingDir: clientDir,
    entryPoints: ['src/main.ts', 'src/capture-worklet.ts', 'src/playback-worklet.ts'],
    outdir: 'dist',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // Generated code: keeps `eslint client` quiet even where client/dist is not in the lint ignores.
    banner: { js: '/* eslint-disable */' },
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await buildClient();
