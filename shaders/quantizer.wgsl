// The uniform asymmetric quantizer (paper eq. 1); the CPU twin is src/quant/quantizer.ts.
// Kernels that quantize are compiled with this file prepended. WGSL round() ties to even.

fn quant_levels(bits: u32) -> f32 {
  return f32((1u << bits) - 1u);
}

fn quantize(x: f32, scale: f32, zero_point: f32, bits: u32) -> f32 {
  return clamp(round(x / scale) + zero_point, 0.0, quant_levels(bits));
}

fn dequantize(q: f32, scale: f32, zero_point: f32) -> f32 {
  return scale * (q - zero_point);
}

fn fake_quantize(x: f32, scale: f32, zero_point: f32, bits: u32) -> f32 {
  return dequantize(quantize(x, scale, zero_point, bits), scale, zero_point);
}
