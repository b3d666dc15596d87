/** Stage 'calibrate': activation ranges and channel energies on the calibration images (calibration/calibrate.ts). */
import { calibrate as calibrateModel } from '../../calibration/calibrate.ts';
import { halfFloatModel } from '../../simulation/half-floats.ts';
import { veftActive } from '../../veft/channels.ts';
import { defineStage } from '../stage.ts';
import { replaceFloatModel } from '../state.ts';

export const calibrate = defineStage({
  name: 'calibrate',
  needed: () => true,
  steps: (state) => state.inputs.calibration.length,
  async run(state, io) {
    const { cache, inputs, settings } = state;
    // After any reparameterisation (which changes these values): calibration, reconstruction, evaluation and the export use the float16-rounded model.
    if (settings.floatParams === 'fp16' && !state.halfFloats) {
      const rounded = halfFloatModel(state.model);
      state.halfFloats = rounded;
      replaceFloatModel(state, io.ctx, rounded.model);
    }
    // Only the 'measured' error model and VEFT's channel choice read layer inputs back; other runs keep statistics alone.
    const keepRows = settings.method === 'defakeq' && (settings.error === 'measured' || veftActive(settings)) ? 512 : 0;
    const key = keepRows ? `${state.keys.variant}:rows` : state.keys.variant;
    let calibration = cache.calibration?.get(key);
    if (!calibration) {
      calibration = await calibrateModel(state.fp, state.layers, inputs.calibration, { seed: settings.seed, signal: io.signal, onBatch: (d, t) => io.step(d, t), keepRows });
      (cache.calibration ??= new Map()).set(key, calibration);
    }
    state.calibration = calibration;
    if (settings.actBits !== null) {
      const actBits = settings.actBits;
      state.plan.activations = new Map([...calibration.ranges].map(([name, r]) => [name, r.params(actBits, settings.actRange)]));
    }
    io.step(inputs.calibration.length, inputs.calibration.length);
  },
});
