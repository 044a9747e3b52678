/**
 * The TDM stream's tokens and how a slice is written (docs/tdm.md). Pure: no model, no I/O.
 * Twin of models/training/tdm/stream.py; the engine test replays the Python side's stream
 * fixture, so the two cannot drift apart unnoticed.
 *
 * One slice:  <u> caller words [<vad>] [<bi>] [<done>] [<eotN>] <a> decision
 *   decision = <idle> | <cont> | <stop> | banter's words [<eos>]
 * A slice of words ends where the model writes the next <u>; every other decision is one token.
 */
import { normalizeAsr } from '../turn-taking/eot-text.ts';
import type { SliceSignal, UserSlice } from './duplex-model.ts';

/** Token texts by role, as the manifest's `tdm.tokens` names them. */
export interface TdmTokenTexts {
  user: string;
  assistant: string;
  vad: string;
  barge_in: string;
  done: string;
  /** One token per end-of-turn probability bucket, lowest first. */
  eot: string[];
  idle: string;
  cont: string;
  stop: string;
  eos: string;
}

export interface TdmTokenIds {
  user: number;
  assistant: number;
  vad: number;
  bargeIn: number;
  done: number;
  eot: number[];
  idle: number;
  cont: number;
  stop: number;
  eos: number;
}

export type Decision = 'idle' | 'cont' | 'stop' | 'eos' | 'user' | 'text';

export function decisionOf(id: number, ids: TdmTokenIds): Decision {
  switch (id) {
    case ids.idle:
      return 'idle';
    case ids.cont:
      return 'cont';
    case ids.stop:
      return 'stop';
    case ids.eos:
      return 'eos';
    case ids.user:
      return 'user';
    default:
      return 'text';
  }
}

/** The bucket token of an end-of-turn probability: buckets of equal width over [0, 1]. */
export function eotBucket(probability: number, buckets: number): number {
  const p = Number.isFinite(probability) ? Math.min(1, Math.max(0, probability)) : 0;
  return Math.min(buckets - 1, Math.floor(p * buckets));
}

/**
 * The caller's part of a slice after the model's pending tokens: words as the recognizer wrote
 * them (normalized like ASR output), then the signals in the order training wrote them.
 */
export function userSliceTokens(
  slice: Pick<UserSlice, 'text' | 'signals'>,
  ids: TdmTokenIds,
  encode: (text: string) => number[],
  openedByModel: boolean,
): number[] {
  const words = normalizeAsr(slice.text);
  const out = openedByModel ? [] : [ids.user];
  if (words) out.push(...encode(words));
  const has = (t: SliceSignal['type']) => slice.signals.some((s) => s.type === t);
  if (has('voice') && !words) out.push(ids.vad);
  if (has('barge_in')) out.push(ids.bargeIn);
  if (has('played')) out.push(ids.done);
  const eot = slice.signals.find((s) => s.type === 'end_of_turn');
  if (eot) out.push(ids.eot[eotBucket(eot.probability, ids.eot.length)]);
  out.push(ids.assistant);
  return out;
}

const PUNCTUATION = new Set(['.', ',', '?', '!']);

/**
 * The text a WordPiece piece adds to what came before: "##" pieces join the previous word,
 * punctuation attaches to it, every other piece starts a new word.
 */
export function pieceText(piece: string, atStart: boolean): string {
  if (piece.startsWith('##')) return piece.slice(2);
  if (PUNCTUATION.has(piece) || atStart) return piece;
  return ` ${piece}`;
}

/**
 * How many of the reply's pieces the caller heard, given the words they heard: every piece
 * before the first word they did not hear (so the last heard word keeps its "##" pieces and the
 * punctuation after it). `pieces` are the reply's WordPiece tokens in order.
 */
export function heardPieceCount(pieces: readonly string[], heardText: string): number {
  const heard = normalizeAsr(heardText).split(' ').filter(Boolean).length;
  if (heard === 0) return 0;
  let words = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p.startsWith('##') || PUNCTUATION.has(p)) continue;
    words++;
    if (words > heard) return i;
  }
  return pieces.length;
}

const DIGIT_PUNCT = /(?<=\d)[.,:](?=\d)/g;
const PUNCT_RUN = /([.,?!])[.,?!]*/;

/**
 * Text as banter's model writes it for its TTS (twin of prepare_assistant in
 * models/training/tdm/stream.py): lower case, words as normalizeAsr keeps them, sentence
 * punctuation (. , ? !) as separate words; punctuation between digits splits the digit groups.
 */
export function normalizeAssistant(text: string): string {
  const out: string[] = [];
  const parts = text.replace(DIGIT_PUNCT, ' ').normalize('NFKC').split(PUNCT_RUN);
  for (const chunk of parts) {
    if (PUNCTUATION.has(chunk)) {
      if (out.length && !PUNCTUATION.has(out[out.length - 1])) out.push(chunk);
      continue;
    }
    const words = normalizeAsr(chunk);
    if (words) out.push(...words.split(' '));
  }
  return out.join(' ');
}

/**
 * The session signals behind a slice's signal tokens as the training code writes them
 * ('<vad>', '<bi>', '<done>', '<eotN>'); an end-of-turn bucket becomes its middle probability.
 * For replaying exported episodes (tests, benchmarks).
 */
export function signalsFromTokens(tokens: readonly string[], buckets = 5): SliceSignal[] {
  return tokens.flatMap((t): SliceSignal[] => {
    if (t === '<vad>') return [{ type: 'voice' }];
    if (t === '<bi>') return [{ type: 'barge_in' }];
    if (t === '<done>') return [{ type: 'played' }];
    const eot = /^<eot(\d+)>$/.exec(t);
    if (eot) return [{ type: 'end_of_turn', probability: (Number(eot[1]) + 0.5) / buckets }];
    return [];
  });
}

/**
 * Greedy decoding at the level of decisions (twin of `decide` in models/training/tdm/stream.py):
 * writing words is one class whose probability is the sum over every word piece, compared with
 * <idle>, <cont>, <stop>, <eos> and <u> (end of the slice). Plain argmax would pick <cont>
 * whenever the words' mass is spread over many pieces. Within the words class, the most likely
 * piece. `special` marks every special token (none of them is a word).
 */
export function decideGreedy(
  ids: TdmTokenIds,
  special: ReadonlySet<number>,
): (logits: Float32Array) => number {
  const decisions = [ids.idle, ids.cont, ids.stop, ids.eos, ids.user];
  return (logits) => {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
    let textMass = 0;
    let bestText = -1;
    for (let i = 0; i < logits.length; i++) {
      if (!special.has(i)) {
        textMass += Math.exp(logits[i] - max);
        if (bestText < 0 || logits[i] > logits[bestText]) bestText = i;
      }
    }
    let best = decisions[0];
    for (const d of decisions) if (logits[d] > logits[best]) best = d;
    const bestMass = Math.exp(logits[best] - max);
    return textMass > bestMass && bestText >= 0 ? bestText : best;
  };
}
