/**
 * Importance of a quantizable layer (paper eq. 2-4).
 *
 * Channel energy (eq. 2):  A_j = sqrt( (1/M) sum_m sum_n X[m,n,j]^2 ),  M = calibration images.
 * Importance (eq. 3-4):    S_l = mean_ij |W_ij| A_j.
 */

/** How a weight matrix is laid out in memory. */
export type WeightLayout =
  /** ONNX MatMul B: [inFeatures, outFeatures] (K x N). */
  | 'KxN'
  /** Gemm with transB / Linear / Conv flattened to [outFeatures, inFeatures] (N x K). */
  | 'NxK';

/**
 * Accumulates the squared activations of one layer's input, channel by channel, over as many
 * batches as calibration produces. Sums are kept in float64 so that 256 images x 197 tokens of
 * float32 squares do not lose the small channels.
 */
export class ChannelEnergy {
  readonly channels: number;
  private readonly sumSquares: Float64Array;

  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels <= 0) {
      throw new RangeError(`ChannelEnergy: channel count must be a positive integer, got ${channels}`);
    }
    this.channels = channels;
    this.sumSquares = new Float64Array(channels);
  }

  /** Adds a batch of activations laid out [rows, channels], rows = images x tokens. */
  add(x: Float32Array, rows: number): void {
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`ChannelEnergy.add: rows must be a non-negative integer, got ${rows}`);
    if (x.length !== rows * this.channels) {
      throw new RangeError(`ChannelEnergy.add: expected ${rows} x ${this.channels} = ${rows * this.channels} values, got ${x.length}`);
    }
    const c = this.channels;
    const sums = this.sumSquares;
    for (let r = 0; r < rows; r++) {
      const base = r * c;
      for (let j = 0; j < c; j++) {
        const v = x[base + j];
        sums[j] += v * v;
      }
    }
  }

  /** Adds per-channel sums of squares computed elsewhere (on the GPU). */
  addSums(sums: ArrayLike<number>): void {
    if (sums.length !== this.channels) throw new RangeError(`ChannelEnergy.addSums: expected ${this.channels} sums, got ${sums.length}`);
    for (let j = 0; j < this.channels; j++) this.sumSquares[j] += sums[j];
  }

  /** A_j for every channel, normalised by the number of calibration images seen (M). */
  values(imageCount: number): Float64Array {
    if (!(imageCount > 0)) throw new RangeError(`ChannelEnergy.values: image count must be positive, got ${imageCount}`);
    const out = new Float64Array(this.channels);
    for (let j = 0; j < this.channels; j++) out[j] = Math.sqrt(this.sumSquares[j] / imageCount);
    return out;
  }
}

/**
 * S_l = (1 / (Cout Cin)) sum_ij |W_ij| A_j. For a Conv, pass the weight as 'NxK' with
 * inFeatures = Cin*kh*kw and A over those patch positions (energy of the im2col columns).
 */
export function layerImportance(
  weight: ArrayLike<number>,
  layout: WeightLayout,
  inFeatures: number,
  outFeatures: number,
  energy: ArrayLike<number>,
): number {
  if (!Number.isInteger(inFeatures) || inFeatures <= 0 || !Number.isInteger(outFeatures) || outFeatures <= 0) {
    throw new RangeError(`layerImportance: features must be positive integers, got in=${inFeatures} out=${outFeatures}`);
  }
  if (weight.length !== inFeatures * outFeatures) {
    throw new RangeError(`layerImportance: weight has ${weight.length} values, expected ${inFeatures} x ${outFeatures}`);
  }
  if (energy.length !== inFeatures) {
    throw new RangeError(`layerImportance: channel energy has ${energy.length} values, expected ${inFeatures} (input features)`);
  }
  let sum = 0;
  if (layout === 'KxN') {
    for (let k = 0; k < inFeatures; k++) {
      let row = 0;
      const base = k * outFeatures;
      for (let n = 0; n < outFeatures; n++) row += Math.abs(weight[base + n]);
      sum += row * energy[k];
    }
  } else if (layout === 'NxK') {
    for (let n = 0; n < outFeatures; n++) {
      const base = n * inFeatures;
      for (let k = 0; k < inFeatures; k++) sum += Math.abs(weight[base + k]) * energy[k];
    }
  } else {
    throw new RangeError(`layerImportance: unknown weight layout '${String(layout)}' (expected 'KxN' or 'NxK')`);
  }
  return sum / (inFeatures * outFeatures);
}
