import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModelDir } from '../models/registry.ts';
import {
  type TdmTokenIds,
  decisionOf,
  eotBucket,
  heardPieceCount,
  normalizeAssistant,
  pieceText,
  signalsFromTokens,
  userSliceTokens,
} from './tdm-stream.ts';

const TDM_DIR = process.env.BANTER_TDM_DIR ?? bundledModelDir('tdm');
const IDS: TdmTokenIds = {
  user: 2,
  assistant: 3,
  vad: 4,
  bargeIn: 5,
  done: 6,
  eot: [7, 8, 9, 10, 11],
  idle: 12,
  cont: 13,
  stop: 14,
  eos: 15,
};
const encode = (t: string) => t.split(' ').map((w) => 100 + w.length);

describe('TDM stream format', () => {
  it('buckets end-of-turn probabilities like the training code, clamping odd values', () => {
    expect([0, 0.19, 0.2, 0.59, 0.99, 1, 1.5, -1, Number.NaN].map((p) => eotBucket(p, 5))).toEqual([
      0, 0, 1, 2, 4, 4, 4, 0, 0,
    ]);
  });

  it('writes the caller part of a slice in the training order', () => {
    const slice = {
      text: 'Yes, please!',
      signals: [
        { type: 'end_of_turn' as const, probability: 0.9 },
        { type: 'played' as const },
        { type: 'barge_in' as const },
        { type: 'voice' as const },
      ],
    };
    expect(userSliceTokens(slice, IDS, encode, false)).toEqual([2, 103, 106, 5, 6, 11, 3]);
    // voice without words is <vad>; a slice the model already opened has no second <u>
    expect(userSliceTokens({ text: '', signals: [{ type: 'voice' }] }, IDS, encode, true)).toEqual([4, 3]);
  });

  it('reads signal tokens back into session signals', () => {
    expect(signalsFromTokens(['<vad>', '<bi>', '<done>', '<eot3>', 'word'])).toEqual([
      { type: 'voice' },
      { type: 'barge_in' },
      { type: 'played' },
      { type: 'end_of_turn', probability: 0.7 },
    ]);
  });

  it('names decisions by token', () => {
    expect([12, 13, 14, 15, 2, 999].map((i) => decisionOf(i, IDS))).toEqual([
      'idle',
      'cont',
      'stop',
      'eos',
      'user',
      'text',
    ]);
  });

  it('joins word pieces into text', () => {
    const pieces = ['the', 'sant', '##ana', 'row', '.', 'call', 'us', '?'];
    expect(pieces.map((p, i) => pieceText(p, i === 0)).join('')).toBe('the santana row. call us?');
  });

  it('counts the pieces the caller heard, with the last heard word whole', () => {
    const pieces = ['the', 'sant', '##ana', 'row', '.', 'call', 'us'];
    expect(heardPieceCount(pieces, 'the santana')).toBe(3);
    expect(heardPieceCount(pieces, 'The Santana row')).toBe(5);
    expect(heardPieceCount(pieces, '')).toBe(0);
    expect(heardPieceCount(pieces, 'the santana row call us and more')).toBe(7);
  });

  it('normalizes banter text exactly like the training code', async () => {
    const fixture = JSON.parse(await readFile(path.join(TDM_DIR, 'stream-fixture.json'), 'utf8')) as {
      assistant_text: { raw: string; prepared: string }[];
    };
    expect(fixture.assistant_text.length).toBeGreaterThan(100);
    for (const c of fixture.assistant_text) expect(normalizeAssistant(c.raw), c.raw).toBe(c.prepared);
  });
});
