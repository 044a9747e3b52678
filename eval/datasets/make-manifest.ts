/**
 * Writes eval/datasets/manifest.json from a folder with ../shared/data's layout: every file the
 * suites read (the LibriSpeech test-other speakers and the speech-commands noises), with its
 * size, checksums and where it lies in its public archive. Run by maintainers when the suites'
 * data changes:
 *
 *   npx tsx eval/datasets/make-manifest.ts [../shared/data]
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataManifest, MANIFEST_PATH, pcmSha256, type DataFile } from './datasets.ts';

const from = resolve(process.argv[2] ?? '../shared/data');
const ARCHIVES: DataManifest['archives'] = [
  {
    id: 'librispeech-test-other',
    name: 'LibriSpeech test-other',
    license: 'CC BY 4.0',
    url: 'https://www.openslr.org/resources/12/test-other.tar.gz',
    approx_mb: 330,
  },
  {
    id: 'speech-commands',
    name: 'Speech Commands v0.02 (background noise)',
    license: 'CC BY 4.0',
    url: 'https://download.tensorflow.org/data/speech_commands_v0.02.tar.gz',
    approx_mb: 2300,
  },
];

async function entry(path: string, archive: string, member: string): Promise<DataFile> {
  const p = join(from, path);
  return {
    path,
    bytes: statSync(p).size,
    sha256: createHash('sha256').update(readFileSync(p)).digest('hex'),
    pcm_sha256: await pcmSha256(p),
    archive,
    member,
  };
}

const files: DataFile[] = [];
const libri = 'speech/librispeech-speakers/test-other';
for (const spk of readdirSync(join(from, libri))
  .filter((d) => /^\d+$/.test(d))
  .sort())
  for (const f of readdirSync(join(from, libri, spk))
    .filter((x) => x.endsWith('.flac'))
    .sort()) {
    const chapter = f.split('-')[1];
    files.push(
      await entry(
        `${libri}/${spk}/${f}`,
        'librispeech-test-other',
        `LibriSpeech/test-other/${spk}/${chapter}/${f}`,
      ),
    );
  }
const noise = 'noise/speech-commands';
for (const f of readdirSync(join(from, noise))
  .filter((x) => x.endsWith('.wav'))
  .sort())
  files.push(await entry(`${noise}/${f}`, 'speech-commands', `_background_noise_/${f}`));

const manifest = DataManifest.parse({ format: 1, archives: ARCHIVES, files });
writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 1)}\n`);
console.log(`wrote ${MANIFEST_PATH}: ${files.length} files`);
