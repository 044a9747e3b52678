/**
 * `eval data`: the manifest's files from a local folder, and from an archive over real HTTP (a
 * tar.gz built here, served on loopback), each checked before it is put in place.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../server/audio/wav.ts';
import { sharedDataDir } from '../caller/voices.ts';
import {
  checkData,
  DataError,
  installFromArchives,
  installFromFolder,
  loadManifest,
  pcmSha256,
  type DataManifest,
} from './datasets.ts';

const shared = sharedDataDir();
const haveShared = existsSync(join(shared, 'speech/librispeech-speakers/test-other'));
if (!haveShared) console.warn(`datasets.test: ${shared} absent: the full-manifest check is skipped`);

function tone(hz: number): Uint8Array {
  const x = new Float32Array(8000);
  for (let i = 0; i < x.length; i++) x[i] = 0.2 * Math.sin((2 * Math.PI * hz * i) / 16000);
  return encodeWav(x, 16000);
}

describe('eval data', () => {
  const root = mkdtempSync(join(tmpdir(), 'banter-data-'));
  let server: Server;
  let base: string;
  let manifest: DataManifest;
  const served = new Map<string, Buffer>();

  beforeAll(async () => {
    // An archive with the benchmark's member layout: two wanted files and one that is not.
    const src = join(root, 'src');
    mkdirSync(join(src, '_background_noise_'), { recursive: true });
    const files: Array<[string, Uint8Array]> = [
      ['_background_noise_/hum.wav', tone(100)],
      ['_background_noise_/whistle.wav', tone(1000)],
      ['_background_noise_/unlisted.wav', tone(300)],
    ];
    for (const [p, b] of files) writeFileSync(join(src, p), b);
    const entry = async ([member, bytes]: [string, Uint8Array]) => ({
      path: `noise/test/${member.split('/')[1]}`,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      pcm_sha256: await pcmSha256(join(src, member)),
      archive: 'noise',
      member: `./${member}`,
    });
    manifest = {
      format: 1,
      archives: [
        { id: 'noise', name: 'test noises', license: 'CC0', url: 'http://127.0.0.1:9/none', approx_mb: 1 },
      ],
      files: [await entry(files[0]), await entry(files[1])],
    };
    await tar.c({ gzip: true, file: join(root, 'noise.tar.gz'), cwd: src }, ['_background_noise_']);
    served.set('/noise.tar.gz', readFileSync(join(root, 'noise.tar.gz')));
    // The same archive with one wanted file changed: its checksum must fail.
    writeFileSync(join(src, files[1][0]), tone(1200));
    await tar.c({ gzip: true, file: join(root, 'bad.tar.gz'), cwd: src }, ['_background_noise_']);
    served.set('/bad.tar.gz', readFileSync(join(root, 'bad.tar.gz')));
    served.set('/truncated.tar.gz', readFileSync(join(root, 'noise.tar.gz')).subarray(0, 300));
    server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  it('downloads an archive, keeps only the listed files and checks them', async () => {
    const dest = join(root, 'dest-ok');
    const n = await installFromArchives(dest, { manifest, urls: { noise: `${base}/noise.tar.gz` } });
    expect(n).toBe(2);
    expect(await checkData(dest, manifest)).toEqual({ ok: 2, missing: [], mismatched: [] });
    expect(existsSync(join(dest, 'noise/test/unlisted.wav'))).toBe(false);
  });

  it('refuses a file whose checksum fails, an unreachable server and a missing archive', async () => {
    const dest = join(root, 'dest-bad');
    await expect(
      installFromArchives(dest, { manifest, urls: { noise: `${base}/bad.tar.gz` } }),
    ).rejects.toMatchObject({
      code: 'data_checksum_mismatch',
    });
    expect(existsSync(join(dest, 'noise/test/whistle.wav'))).toBe(false);
    expect(existsSync(join(dest, 'noise/test/whistle.wav.part'))).toBe(false);
    await expect(installFromArchives(dest, { manifest })).rejects.toMatchObject({
      code: 'data_download_failed',
    });
    await expect(
      installFromArchives(dest, { manifest, urls: { noise: `${base}/gone.tar.gz` } }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(
      installFromArchives(dest, { manifest, urls: { noise: `${base}/truncated.tar.gz` } }),
    ).rejects.toMatchObject({ code: 'data_download_failed' });
    await expect(installFromFolder(join(root, 'nowhere'), dest, manifest)).rejects.toBeInstanceOf(DataError);
  });

  it.skipIf(!haveShared)(
    'installs every file of the committed manifest from ../shared/data, checked',
    async () => {
      const real = loadManifest();
      const dest = join(root, 'dest-shared');
      expect(await installFromFolder(shared, dest, real)).toBe(real.files.length);
      expect(await checkData(dest, real)).toEqual({ ok: real.files.length, missing: [], mismatched: [] });
    },
    120_000,
  );
});
