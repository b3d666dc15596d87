/** Shape of a (batched) matrix product; shared by the WGSL kernel and its CPU reference. */
export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  batch?: number;
  /** B is stored N x K (a PyTorch Linear weight) instead of K x N. */
  transB?: boolean;
  /** One A for every batch entry. */
  broadcastA?: boolean;
  /** One B for every batch entry (a layer weight). */
  broadcastB?: boolean;
}

export function validateMatmul(shape: MatmulShape): void {
  const { M, N, K } = shape;
  const batch = shape.batch ?? 1;
  for (const [name, v] of Object.entries({ M, N, K, batch })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`matmul: ${name} must be a positive integer, got ${v}`);
  }
}

export function matmulOutputSize(shape: MatmulShape): number {
  return (shape.batch ?? 1) * shape.M * shape.N;
}

/** The reference: float64 accumulation, rounded to f32 once at the end. */
export function matmulReference(a: Float32Array, b: Float32Array, shape: MatmulShape, bias?: Float32Array): Float32Array {
  validateMatmul(shape);
  const { M, N, K } = shape;
  const batch = shape.batch ?? 1;
  const out = new Float32Array(batch * M * N);
  const row = new Float64Array(N);
  for (let z = 0; z < batch; z++) {
    const aOff = shape.broadcastA ? 0 : z * M * K;
    const bOff = shape.broadcastB ? 0 : z * N * K;
    for (let m = 0; m < M; m++) {
      if (bias) for (let n = 0; n < N; n++) row[n] = bias[n];
      else row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a[aOff + m * K + k];
        if (av === 0) continue;
        if (shape.transB) for (let n = 0; n < N; n++) row[n] += av * b[bOff + n * K + k];
        else {
          const bRow = bOff + k * N;
          for (let n = 0; n < N; n++) row[n] += av * b[bRow + n];
        }
      }
      out.set(row, (z * M + m) * N);
    }
  }
  return out;
}

/** max |x - ref| / max |ref|: the error measure the GPU tests bound. */
export function relativeError(x: Float32Array, ref: Float32Array): number {
  if (x.length !== ref.length) throw new RangeError(`length ${x.length} vs reference ${ref.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(x[i] - ref[i]);
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}
