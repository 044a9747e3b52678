/**
 * Best published figures, for the report's comparison column, as ../shared/design/ARCHITECTURE.md
 * keeps them (its "Metrics" table, from the papers' own tables: FD-Bench, Peng et al. 2025,
 * arXiv 2507.19040; Full-Duplex-Bench v1/v1.5, Lin et al. 2025, arXiv 2503.04721 / 2507.23159;
 * FireRedChat 2025). Each names its benchmark, its data and the hardware it ran on, so that a
 * reader never compares banter on one CPU core with a figure from a different setup without
 * being told. Update this table when the design's table changes.
 */
export interface PublishedFigure {
  system: string;
  value: number;
  unit: '%' | 'ms' | 'ratio';
  /** The benchmark (and the part of it) the figure comes from. */
  source: string;
  /** The data set or condition, where the benchmark has several. */
  dataset?: string;
  /**
   * What the system ran on. `GPU (inferred)`: the source does not say, but the system is a
   * speech LLM of 7B parameters or more, which runs in real time only on a GPU.
   */
  hardware: 'GPU' | 'GPU (inferred)' | 'cloud service' | 'not stated';
  /** When the published setup differs from ours in a way that matters. */
  caveat?: string;
}

const FDB = 'FD-Bench';
const FDB1 = 'Full-Duplex-Bench v1';

export const PUBLISHED: Record<string, PublishedFigure[]> = {
  srr: [{ system: 'Moshi', value: 64.5, unit: '%', source: FDB, hardware: 'GPU (inferred)' }],
  sir: [{ system: 'Moshi', value: 83.1, unit: '%', source: FDB, hardware: 'GPU (inferred)' }],
  srir: [{ system: 'Moshi', value: 85.7, unit: '%', source: FDB, hardware: 'GPU (inferred)' }],
  eir: [{ system: 'VITA-1.5', value: 9.2, unit: '%', source: FDB, hardware: 'GPU (inferred)' }],
  nir: [{ system: 'Moshi', value: 39.3, unit: '%', source: FDB, hardware: 'GPU (inferred)' }],
  ird: [
    { system: 'Moshi', value: 1345, unit: 'ms', source: FDB, hardware: 'GPU (inferred)' },
    {
      system: 'Moshi',
      value: 257,
      unit: 'ms',
      source: `${FDB1} (user interruption latency)`,
      hardware: 'GPU (inferred)',
      caveat: 'measured to the start of the reply after the interruption, not to the stop',
    },
  ],
  fsed: [
    {
      system: 'Moshi',
      value: 127,
      unit: 'ms',
      source: FDB,
      dataset: 'one of its sets',
      hardware: 'GPU (inferred)',
      caveat: '2-4 s on its other sets',
    },
    { system: 'Freeze-Omni', value: 449, unit: 'ms', source: FDB, hardware: 'GPU (inferred)' },
  ],
  tor_pause: [
    {
      system: 'GPT-Realtime',
      value: 0.01,
      unit: 'ratio',
      source: FDB1,
      dataset: 'synthetic pauses',
      hardware: 'cloud service',
    },
  ],
  tor_backchannel: [
    {
      system: 'GPT-Realtime',
      value: 0.0,
      unit: 'ratio',
      source: `${FDB1} (backchannel TOR)`,
      hardware: 'cloud service',
      caveat:
        'FDB scores takeovers around user speech with backchannel opportunities; here the caller backchannels over the system',
    },
  ],
  latency: [
    { system: 'PersonaPlex', value: 70, unit: 'ms', source: `${FDB1} (smooth turn-taking)`, hardware: 'GPU' },
    { system: 'Moshi', value: 265, unit: 'ms', source: `${FDB1} (smooth turn-taking)`, hardware: 'GPU' },
  ],
  false_barge_in: [
    { system: 'FireRedChat', value: 10.2, unit: '%', source: 'FireRedChat (pVAD)', hardware: 'not stated' },
    {
      system: 'LiveKit',
      value: 33.4,
      unit: '%',
      source: 'FireRedChat',
      hardware: 'not stated',
      caveat: "LiveKit's adaptive interruption handling rejects 51% of VAD false positives",
    },
  ],
  resume: [],
  resume_gap: [],
  pause_onset: [],
  vad_onset: [],
  vad_offset: [],
  vad_f1: [],
  vad_false_trigger: [],
  greeting_wer: [],
};

/** Where and on what a figure was measured, in one line: "FD-Bench, one of its sets; GPU". */
export function publishedSetup(p: PublishedFigure): string {
  return `${p.source}${p.dataset ? `, ${p.dataset}` : ''}; ${p.hardware}${p.caveat ? `; ${p.caveat}` : ''}`;
}

/** The human reference for gaps between turns (Stivers et al. 2009; the design's "human gap"). */
export const HUMAN_GAP_MS = 200;
