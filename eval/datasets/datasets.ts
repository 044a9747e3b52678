/**
 * The evaluation's own data, for users who have no ../shared: the LibriSpeech test-other
 * speakers the suites use as callers and distractors, and the speech-commands background
 * noises (both CC BY 4.0). `eval data` gets exactly the files listed in manifest.json, from
 * their public archives or from a local folder with the same layout as ../shared/data, and
 * checks each against its checksum; the suites then read them from eval/data.
 *
 * A file passes when its bytes match (sha256), or when its decoded samples do (pcm_sha256:
 * the same audio in a container that differs only in metadata or encoder settings).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { z } from 'zod';
import { decodeAudioFile } from '../audio/decode.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const MANIFEST_PATH = join(repoRoot, 'eval/datasets/manifest.json');
/** Where `eval data` puts the files (git-ignored). */
export const EVAL_DATA_DIR = join(repoRoot, 'eval/data');

const DataFile = z.strictObject({
  /** Path under the data folder (../shared/data's layout). */
  path: z.string(),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** sha256 of the decoded audio as 16 kHz 16-bit PCM. */
  pcm_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The archive (by id) and the member inside it that holds this file. */
  archive: z.string(),
  member: z.string(),
});
export type DataFile = z.infer<typeof DataFile>;

export const DataManifest = z.strictObject({
  format: z.literal(1),
  archives: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      license: z.string(),
      url: z.string().url(),
      /** Roughly how much the download is, for the user's sake. */
      approx_mb: z.number(),
    }),
  ),
  files: z.array(DataFile),
});
export type DataManifest = z.infer<typeof DataManifest>;

export class DataError extends Error {
  constructor(
    readonly code:
      'data_manifest_invalid' | 'data_download_failed' | 'data_checksum_mismatch' | 'data_missing',
    message: string,
  ) {
    super(message);
  }
}

export function loadManifest(path = MANIFEST_PATH): DataManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError('data_manifest_invalid', `${path}: ${(e as Error).message}`);
  }
  const parsed = DataManifest.safeParse(json);
  if (!parsed.success) throw new DataError('data_manifest_invalid', `${path}: ${parsed.error.message}`);
  return parsed.data;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** sha256 of a file's audio decoded to 16 kHz 16-bit PCM. */
export async function pcmSha256(path: string): Promise<string> {
  const x = await decodeAudioFile(path, 16000);
  const pcm = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767)));
  return sha256(new Uint8Array(pcm.buffer));
}

export type FileCheck = 'ok' | 'ok (same audio)' | 'missing' | 'mismatch';

/** Checks the file at `p` against the manifest's entry `f`. */
export async function checkFile(p: string, f: DataFile): Promise<FileCheck> {
  if (!existsSync(p)) return 'missing';
  if (statSync(p).size === f.bytes && sha256(readFileSync(p)) === f.sha256) return 'ok';
  try {
    return (await pcmSha256(p)) === f.pcm_sha256 ? 'ok (same audio)' : 'mismatch';
  } catch {
    return 'mismatch';
  }
}

export interface CheckResult {
  ok: number;
  missing: string[];
  mismatched: string[];
}

export async function checkData(dir: string, manifest = loadManifest()): Promise<CheckResult> {
  const r: CheckResult = { ok: 0, missing: [], mismatched: [] };
  for (const f of manifest.files) {
    const c = await checkFile(join(dir, f.path), f);
    if (c === 'missing') r.missing.push(f.path);
    else if (c === 'mismatch') r.mismatched.push(f.path);
    else r.ok++;
  }
  return r;
}

/** Puts a checked file in place: written beside its destination, then renamed (no half files). */
async function place(src: string, dest: string, f: DataFile): Promise<void> {
  const target = join(dest, f.path);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.part`;
  copyFileSync(src, tmp);
  const c = await checkFile(tmp, f);
  if (c === 'mismatch' || c === 'missing') {
    rmSync(tmp, { force: true });
    throw new DataError(
      'data_checksum_mismatch',
      `${f.path}: the file from ${src} does not match its checksum`,
    );
  }
  renameSync(tmp, target);
}

/** Copies the manifest's files from a folder with ../shared/data's layout, checking each. */
export async function installFromFolder(
  from: string,
  dest = EVAL_DATA_DIR,
  manifest = loadManifest(),
): Promise<number> {
  const missing = manifest.files.filter((f) => !existsSync(join(from, f.path)));
  if (missing.length)
    throw new DataError(
      'data_missing',
      `${from} lacks ${missing.length} of the ${manifest.files.length} files (first: ${missing[0].path})`,
    );
  for (const f of manifest.files) await place(join(from, f.path), dest, f);
  return manifest.files.length;
}

const normalizeMember = (p: string) => p.replace(/^\.\//, '');

/**
 * Downloads each archive the manifest names (streamed, never stored whole), extracts only the
 * members it needs, and puts each file in place after its checksum passes. `urls` overrides an
 * archive's address (a mirror, or a test server).
 */
export async function installFromArchives(
  dest = EVAL_DATA_DIR,
  options: { manifest?: DataManifest; urls?: Record<string, string>; log?: (line: string) => void } = {},
): Promise<number> {
  const manifest = options.manifest ?? loadManifest();
  let placed = 0;
  for (const a of manifest.archives) {
    const wanted = new Map(
      manifest.files.filter((f) => f.archive === a.id).map((f) => [normalizeMember(f.member), f] as const),
    );
    if (wanted.size === 0) continue;
    const url = options.urls?.[a.id] ?? a.url;
    options.log?.(`${a.name}: ${url} (about ${a.approx_mb} MB; ${wanted.size} files kept)`);
    const scratch = mkdtempSync(join(tmpdir(), 'banter-data-'));
    try {
      let res: Response;
      try {
        res = await fetch(url);
      } catch (e) {
        throw new DataError(
          'data_download_failed',
          `${url}: ${(e as Error).message} (no network? use --from DIR)`,
        );
      }
      if (!res.ok || !res.body) throw new DataError('data_download_failed', `${url}: HTTP ${res.status}`);
      try {
        await pipeline(
          Readable.fromWeb(res.body as never),
          tar.x({ cwd: scratch, filter: (p) => wanted.has(normalizeMember(p)) }),
        );
      } catch (e) {
        // A connection reset mid-stream, or bytes that are not a gzipped tar.
        throw new DataError('data_download_failed', `${url}: ${(e as Error).message}`);
      }
      for (const [member, f] of wanted) {
        const src = join(scratch, member);
        if (!existsSync(src)) throw new DataError('data_missing', `${url} has no ${member}`);
        await place(src, dest, f);
        placed++;
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return placed;
}
