/**
 * Best published figures, for the report's comparison column. Sources are
 * the papers' own tables (FD-Bench: Peng et al. 2025, arXiv 2507.19040;
 * Full-Duplex-Bench v1/v1.5: Lin et al. 2025, arXiv 2503.04721 / 2507.23159;
 * FireRedChat 2025). A "—" means no comparable published figure.
 */
export interface PublishedFigure {
  system: string;
  value: number;
  unit: '%' | 'ms' | 'ratio';
  source: string;
  /** When the published setup differs from ours in a way that matters. */
  caveat?: string;
}

export const PUBLISHED: Record<string, PublishedFigure[]> = {
  srr: [{ system: 'Moshi', value: 61.7, unit: '%', source: 'FD-Bench (easy)' }],
  sir: [{ system: 'Moshi', value: 83.1, unit: '%', source: 'FD-Bench' }],
  srir: [{ system: 'Moshi', value: 79.4, unit: '%', source: 'FD-Bench' }],
  eir: [{ system: 'Moshi', value: 19.5, unit: '%', source: 'FD-Bench' }],
  nir: [{ system: 'Moshi', value: 39.3, unit: '%', source: 'FD-Bench' }],
  ird: [{ system: 'Moshi', value: 1345, unit: 'ms', source: 'FD-Bench' }],
  fsed: [{ system: 'Freeze-Omni', value: 449, unit: 'ms', source: 'FD-Bench' }],
  tor_pause: [
    { system: 'GPT-Realtime', value: 0.01, unit: 'ratio', source: 'Full-Duplex-Bench v1 (synthetic pauses)' },
  ],
  tor_backchannel: [
    {
      system: 'GPT-Realtime',
      value: 0.0,
      unit: 'ratio',
      source: 'Full-Duplex-Bench v1 (backchannel TOR)',
      caveat:
        'FDB scores takeovers around user speech with backchannel opportunities; here the caller backchannels over the system',
    },
  ],
  latency: [
    { system: 'PersonaPlex', value: 70, unit: 'ms', source: 'Full-Duplex-Bench v1 (smooth turn-taking)' },
    { system: 'Moshi', value: 265, unit: 'ms', source: 'Full-Duplex-Bench v1' },
  ],
  false_barge_in: [
    { system: 'FireRedChat', value: 10.2, unit: '%', source: 'FireRedChat (pVAD)' },
    { system: 'LiveKit', value: 33.4, unit: '%', source: 'FireRedChat' },
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

/** The human reference for gaps between turns (Stivers et al. 2009; the design's "human gap"). */
export const HUMAN_GAP_MS = 200;
