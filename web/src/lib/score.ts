// The mining-round score of one owner in one round, term by term, exactly as the contract
// computes it (packages/scoring, ScorePolicy::score):
//   score (micro-points) = floor( Σ_b Σ_c wh[b][c] · M1[b] · M2[c] · M3 / 10^6 )
// with every multiplier in basis points (10_000 = 1.0), b = whitelisted | standard battery,
// c = valley | off-peak | peak, M3 = dual- or single-product. 1 point = 10^6 micro-points.
//   payout = floor( round reward · score / Σ scores )

export interface ScoreInput {
  buckets: { wh: number[][] };
  whitelisted_bp: number;
  standard_bp: number;
  valley_bp: number;
  off_peak_bp: number;
  peak_bp: number;
  product_mix_bp: number;
}

export const BATTERY_CLASSES = ["whitelisted", "standard"] as const;
export const TOU_CLASSES = ["valley", "off-peak", "peak"] as const;

export interface Term {
  battery: (typeof BATTERY_CLASSES)[number];
  tou: (typeof TOU_CLASSES)[number];
  wh: bigint;
  m1Bp: number;
  m2Bp: number;
  /** wh · M1 · M2 in bp² (10^8 = 1 Wh at 1.0 × 1.0). */
  product: bigint;
}

export interface Breakdown {
  terms: Term[];
  totalWh: bigint;
  /** Σ wh · M1 · M2 (bp²). */
  sum: bigint;
  m3Bp: number;
  /** floor(sum · M3 / 10^6), micro-points: what the contract stores. */
  score: bigint;
}

export function breakdown(s: ScoreInput): Breakdown {
  const m1 = [s.whitelisted_bp, s.standard_bp];
  const m2 = [s.valley_bp, s.off_peak_bp, s.peak_bp];
  const terms: Term[] = [];
  let sum = 0n;
  let totalWh = 0n;
  for (let b = 0; b < 2; b++) {
    for (let c = 0; c < 3; c++) {
      const wh = BigInt(s.buckets.wh[b]?.[c] ?? 0);
      const product = wh * BigInt(m1[b]) * BigInt(m2[c]);
      terms.push({ battery: BATTERY_CLASSES[b], tou: TOU_CLASSES[c], wh, m1Bp: m1[b], m2Bp: m2[c], product });
      sum += product;
      totalWh += wh;
    }
  }
  const score = (sum * BigInt(s.product_mix_bp)) / 1_000_000n;
  return { terms, totalWh, sum, m3Bp: s.product_mix_bp, score };
}

/** floor(reward · score / totalScore); 0 when the round has no score. */
export function payout(reward: string | bigint, score: string | bigint, totalScore: string | bigint): bigint {
  const t = BigInt(totalScore);
  if (t === 0n) return 0n;
  return (BigInt(reward) * BigInt(score)) / t;
}
