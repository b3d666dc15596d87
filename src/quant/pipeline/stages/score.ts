/** Stage 'score': each layer's importance S_l (paper eq. 3-4, allocation/importance.ts). */
import { layerImportance } from '../../allocation/importance.ts';
import { defineStage } from '../stage.ts';
import { weightOf } from '../state.ts';

export const score = defineStage({
  name: 'score',
  needed: () => true,
  steps: (state) => state.layers.length,
  async run(state, io) {
    const { layers, results } = state;
    layers.forEach((l, i) => {
      const layout = l.layout === 'KxN' ? 'KxN' : 'NxK';
      results[i].score = layerImportance(weightOf(state, l), layout, l.inFeatures, l.outFeatures, state.calibration!.energy.get(l.name)!);
      io.step(i + 1, layers.length);
    });
  },
});
