// Scalar functions shared by the elementwise kernels and their backward passes (grad_*.wgsl);
// kernels that use them are compiled with this file prepended.

// Abramowitz and Stegun 7.1.26 is too coarse for f32; this is erf via erfc's
// rational approximation (Numerical Recipes erfcc), relative error < 1.2e-7.
fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
          t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
          t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}

fn tanh_f32(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }

// pow for negative bases with integral exponents (x^2 in a decomposed LayerNorm).
fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 2.0) { return x * x; }
  if (y == 1.0) { return x; }
  if (y == 0.5) { return sqrt(x); }
  if (x < 0.0 && y == round(y)) {
    let r = pow(-x, y);
    return select(r, -r, abs(y % 2.0) == 1.0);
  }
  return pow(x, y);
}
