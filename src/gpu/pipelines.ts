export type OverrideConstants = Record<string, number>;

/** Compute pipelines keyed by WGSL source, entry point and override constants. */
export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  module(code: string): GPUShaderModule {
    let mod = this.modules.get(code);
    if (!mod) {
      mod = this.device.createShaderModule({ code });
      this.modules.set(code, mod);
    }
    return mod;
  }

  /** The layout is always 'auto': it is fully determined by the source and entry point. */
  get(code: string, entryPoint = 'main', constants: OverrideConstants = {}): GPUComputePipeline {
    const key = `${entryPoint}|${JSON.stringify(Object.entries(constants).sort())}|${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module: this.module(code), entryPoint, constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}
