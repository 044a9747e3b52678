/**
 * Word times of a known transcript in its audio, from an independent aligner: Debian's
 * pocketsphinx decoding with a one-sentence JSGF grammar (the reference and nothing else), so
 * its word ends say where each word really ends, not where banter's recognizer put it. The
 * partial-delay measure needs exactly that. Utterances with a word outside pocketsphinx's
 * dictionary (names, rare words) cannot be aligned and come back null.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../fixtures/run-process.ts';
import { parseTimedOutput, POCKETSPHINX_BIN } from '../metrics/asr.ts';
import { words } from './align.ts';

export interface AlignedWord {
  word: string;
  startMs: number;
  endMs: number;
}

export async function forcedAlign(wavPath: string, transcript: string): Promise<AlignedWord[] | null> {
  const ref = words(transcript);
  if (ref.length === 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'banter-align-'));
  try {
    const grammar = join(dir, 'g.jsgf');
    // JSGF tokens: the apostrophe is legal in a token and pocketsphinx's dictionary spells "i'd" so.
    writeFileSync(grammar, `#JSGF V1.0;\ngrammar g;\npublic <s> = ${ref.join(' ')} ;\n`);
    let out: string;
    try {
      out = (
        await runProcess(POCKETSPHINX_BIN, [
          '-infile',
          wavPath,
          '-jsgf',
          grammar,
          '-time',
          'yes',
          '-logfn',
          '/dev/null',
        ])
      ).toString('utf8');
    } catch {
      return null; // a word missing from the dictionary makes the grammar fail to load
    }
    const got = parseTimedOutput(out).map((w) => ({
      word: w.word,
      startMs: w.startSec * 1000,
      endMs: w.endSec * 1000,
    }));
    // The grammar admits only the reference; anything else (a partial decode) is not an alignment.
    if (got.length !== ref.length || got.some((w, i) => w.word !== ref[i])) return null;
    return got;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
