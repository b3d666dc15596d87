/** Stage 'reparameterize': rescale post-LayerNorm channels into one range (simulation/reparam.ts), when asked. */
import { channelRanges, reparameterize as reparameterizeModel, reparamSites } from '../../simulation/reparam.ts';
import { defineStage } from '../stage.ts';
import { replaceFloatModel, reparameterizes } from '../state.ts';

export const reparameterize = defineStage({
  name: 'reparameterize',
  needed: (state) => reparameterizes(state.settings),
  steps: (state) => state.inputs.calibration.length,
  async run(state, io) {
    const { cache, inputs, settings } = state;
    let done = cache.reparameterized?.get(settings.seed);
    if (!done) {
      const sites = reparamSites(state.model);
      const ranges = await channelRanges(state.fp, sites, inputs.calibration, io.signal);
      done = { model: reparameterizeModel(state.model, sites, ranges), norms: sites.map((s) => s.norm.name) };
      (cache.reparameterized ??= new Map()).set(settings.seed, done);
    }
    // Layers keep their node and tensor names; only initializer values change.
    replaceFloatModel(state, io.ctx, done.model);
    state.reparameterized = done.norms;
    io.step(inputs.calibration.length, inputs.calibration.length);
  },
});
