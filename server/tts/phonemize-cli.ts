/**
 * Phonemizes sentences for the TTS data builder: a JSON array of word arrays on stdin, the
 * same shape of IPA strings on stdout (see ./phonemes.ts).
 *
 *   echo '[["hello","there"]]' | npx tsx server/tts/phonemize-cli.ts
 */
import { text } from 'node:stream/consumers';
import { phonemizeWords } from './phonemes.ts';

const sentences = JSON.parse(await text(process.stdin)) as string[][];
const out: string[][] = [];
for (const words of sentences) out.push(await phonemizeWords(words));
process.stdout.write(JSON.stringify(out));
