/**
 * Seeded randomness. `SequenceRng` draws in request order (faults); `keyedUnit` is order-independent
 * (patient behaviour, reply delays), so one seed gives each number the same fate however sends interleave.
 */

/** mulberry32: small, fast, good enough for simulation. */
export class SequenceRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    return mix(this.state);
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }
}

/** A number in [0, 1) fixed by the seed and the key. */
export function keyedUnit(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mix(h);
}

function mix(value: number): number {
  let t = value;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Index of a weighted choice, given a unit draw. */
export function pickWeighted(weights: readonly number[], unit: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.length - 1;
  let target = unit * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

export function inRange(range: { min: number; max: number }, unit: number): number {
  return range.min + (range.max - range.min) * unit;
}
