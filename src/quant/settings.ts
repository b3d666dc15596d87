/**
 * Every quantization setting, in one list. The list drives the CLI's `quantize` flags and their
 * help (cli/args.ts), the studio's settings form (ui/SettingsForm.tsx) and docs/settings.md
 * (tools/settings-doc.ts writes it; a test keeps the three in step). A new setting is one entry
 * here plus its use in a pipeline stage.
 *
 * This module imports only types, so the UI thread can read it without loading the engine.
 */
import type { ErrorModelName } from './allocation/error-models.ts';
import type { FloatParams } from '../storage/half-floats.ts';
import type { RangeMethod } from './calibration/observers.ts';
import type { WeightRangeSetting } from './allocation/weight-ranges.ts';
import type { WeightFormat } from '../storage/layout.ts';

export type Method = 'defakeq' | 'adaround' | 'rtn';
export const METHODS: readonly Method[] = ['defakeq', 'adaround', 'rtn'];

export interface QuantizeSettings {
  method: Method;
  /** Average stored bits per weight, every stored bit counted. */
  avgBits: number;
  candidates: number[];
  /** Activation bits on every quantized layer's input; null keeps activations in float. */
  actBits: number | null;
  actRange: RangeMethod;
  /**
   * Per-channel weight ranges: min/max, searched for the least squared rounding error, or 'auto':
   * per layer the one whose logit error is lower (DeFakeQ on logit errors; min/max otherwise).
   */
  weightRange: WeightRangeSetting;
  solver: 'exact' | 'relaxed';
  error: ErrorModelName;
  /** Calibration images the 'logits' error model runs every (layer, width) variant on (default 16). */
  errorImages?: number;
  /** Reconstruction iterations per layer. */
  iters: number;
  /** Images whose activations feed the reconstruction. */
  reconImages: number;
  /**
   * The inputs x of eq. 7's ||Wx - W~x||^2: the quantized upstream model's activations (default)
   * or the FP model's, through the layer's own activation quantizer either way.
   */
  reconInputs: 'quantized' | 'fp';
  /**
   * The targets of eq. 7: the float weight on the rounding's own inputs x ('same', the paper's
   * ||Wx - W~x||^2), or on the float model's inputs to the layer ('float': ||W x_fp - W~x||^2,
   * AdaRound's asymmetric reconstruction, so a layer also corrects the error upstream of it).
   * Absent: 'same'.
   */
  reconTargets?: 'same' | 'float';
  /**
   * DeFakeQ's learned rounding: per layer (AdaRound, eq. 7) or per block (BRECQ-style: every layer
   * of a recognised transformer block together, against the float block's output). Layers outside
   * blocks (patch embedding, Swin's patch merging, the head) stay layer-wise. Absent: 'layer'.
   */
  recon?: 'block' | 'layer';
  /**
   * DeFakeQ only: after each block's learned rounding, keep nearest rounding for the block when the
   * learned one moves the model's logits more on the error images (upstream as quantized so far,
   * downstream in float). Off unless true: with eq. 7's targets it judges a block with the rest of
   * the model in float on a few images, and can revert blocks whose learned rounding the quantized
   * model needed (measured in docs/method.md). Plain AdaRound never checks.
   */
  roundingCheck?: boolean;
  /** DeFakeQ: VEFT (paper 4.2, docs/veft.md): restored channels and the contrastive tuning. Absent: off. */
  veft?: boolean;
  /** rho: the fraction of each block activation's channels kept in float (absent: 0.02). */
  veftFraction?: number;
  /** tau: the temperature of VEFT's contrastive term, eq. 9 (absent: 0.1). */
  veftTau?: number;
  /** VEFT tuning steps per block (absent: 100). */
  veftEpochs?: number;
  /** Restored while tuning: the fixed set plus random others (absent: 'random'), or the fixed set only. */
  veftSelection?: 'random' | 'fixed';
  /**
   * Which block activations keep float channels: 'measured' (with the logits error model) keeps them
   * only where a joint measurement on the error images says they move the logits less than the
   * widths their bytes displace (docs/veft.md); 'every' keeps them in every block activation, as
   * the paper does (absent: 'every').
   */
  veftChannels?: 'measured' | 'every';
  seed: number;
  /**
   * Centre and rescale post-LayerNorm channels into one range before calibrating (simulation/reparam.ts),
   * folded into the norm and the next layers' weights; for ViTs with outlier channels at 4-bit
   * activations. Needs quantized activations; off when absent.
   */
  actReparam?: boolean;
  /**
   * Float parameters that stay in float (embeddings, LayerNorms, biases): float32, or rounded to
   * float16 before calibrating (simulation/half-floats.ts) and stored so by the export. Absent: 'fp32'.
   */
  floatParams?: FloatParams;
  /**
   * What the budget counts. 'true-width' (default): b bits per code at the layer's true width plus
   * its scales, zero points and bias (storage/stored-bits.ts), the paper's accounting, which the fidelity
   * benchmark compares methods on. 'export': exactly the bytes the exported file stores for the
   * layer in `exportFormat` (containers, MatMulNBits block scales; storage/layout.ts), so the
   * reported average is the file's weight storage and widths stored no cheaper (3, 6) lose.
   */
  storage?: 'true-width' | 'export';
  /** The weight format an 'export' budget prices (default 'auto', the exporter's). */
  exportFormat?: WeightFormat;
  /**
   * GFLOP any one stage may cost (null: no limit; absent: the default). A stage priced above it runs
   * with scaled settings (fewer error images or iterations, ...), listed in the report
   * (pipeline/stage-costs.ts, docs/large-models.md).
   */
  computeBudget?: number | null;
}

/** Settings no entry of SETTINGS sets directly: the export target's format (CLI --target/--format). */
export type DerivedSetting = 'exportFormat';
export type SettingKey = Exclude<keyof QuantizeSettings, DerivedSetting>;

interface SpecBase<K extends SettingKey> {
  key: K;
  /** The CLI flag, without its dashes. */
  flag: string;
  /** The form's label. */
  label: string;
  /** One line: the CLI help, the form's hint and the docs say it. */
  help: string;
  /** The methods that use the setting. */
  methods: readonly Method[];
  /** A further condition for the setting to matter, with what it says in words. */
  when?: { test(s: QuantizeSettings): boolean; text: string };
}

/** One value out of a labelled list. */
export interface ChoiceSpec<K extends SettingKey = SettingKey> extends SpecBase<K> {
  type: 'choice';
  choices: readonly (readonly [string, string])[];
  default: string;
  /** What the setting means when absent (saved before it existed), where that is not its default. */
  absent?: string;
}

/** On or off: a bare CLI flag (`presence`), `--flag` / `--no-flag` (`negatable`), or `--flag on|off`. */
export interface SwitchSpec<K extends SettingKey = SettingKey> extends SpecBase<K> {
  type: 'switch';
  cli: 'presence' | 'negatable' | 'on-off';
  /** The form's labels for off and on. */
  labels: readonly [string, string];
  default: boolean;
}

/** A number in a range; `none` names a null value ("float"), `offered` the values the form lists. */
export interface NumberSpec<K extends SettingKey = SettingKey> extends SpecBase<K> {
  type: 'number';
  integer: boolean;
  min: number;
  max?: number;
  step: number;
  none?: { text: string; label: string };
  offered?: readonly number[];
  default: number | null;
}

/** A set of bit widths (comma-separated in the CLI, check boxes in the form). */
export interface WidthsSpec<K extends SettingKey = SettingKey> extends SpecBase<K> {
  type: 'widths';
  min: number;
  max: number;
  offered: readonly number[];
  default: readonly number[];
}

export type SettingSpec = ChoiceSpec | SwitchSpec | NumberSpec | WidthsSpec;

const ALL = METHODS;
const DEFAKEQ: readonly Method[] = ['defakeq'];
const LEARNED: readonly Method[] = ['defakeq', 'adaround'];
const veftOn = { test: (s: QuantizeSettings) => s.veft === true, text: 'VEFT on' };
const quantizedActivations = { test: (s: QuantizeSettings) => s.actBits !== null, text: 'quantized activations' };

export const SETTINGS = [
  {
    key: 'method', flag: 'method', label: 'Method', type: 'choice', methods: ALL, default: 'defakeq',
    help: 'DeFakeQ gives important layers more bits; the baselines use one width for all.',
    choices: [['defakeq', 'DeFakeQ: mixed bits + learned rounding'], ['adaround', 'AdaRound: uniform bits + learned rounding'], ['rtn', 'Round to nearest: uniform bits']],
  },
  {
    key: 'avgBits', flag: 'avg-bits', label: 'Average weight bits', type: 'number', methods: ALL, integer: false, min: 1, step: 0.25, default: 4,
    help: 'The budget: average stored bits per weight, scales and zero points counted too.',
  },
  {
    key: 'storage', flag: 'storage', label: 'Budget counts', type: 'choice', methods: ALL, default: 'true-width',
    help: 'The exported file\'s bytes (3 and 6 bits then cost what 4 and 8 do; the CLI\'s default with --out), or each code at its true width.',
    choices: [['export', 'bytes in the exported file'], ['true-width', 'true widths (the paper\'s accounting)']],
  },
  {
    key: 'candidates', flag: 'bits', label: 'Candidate bits', type: 'widths', methods: ALL, min: 1, max: 8, offered: [2, 3, 4, 5, 6, 8], default: [2, 3, 4, 6, 8],
    help: 'The widths a layer may get; uniform methods take the widest that fits the budget.',
  },
  {
    key: 'actBits', flag: 'act-bits', label: 'Activation bits', type: 'number', methods: ALL, integer: true, min: 4, max: 8, step: 1, offered: [4, 6, 8], default: 8,
    none: { text: 'none', label: 'float (weights only)' },
    help: 'Per tensor, on the input of every quantized layer; none keeps activations in float.',
  },
  {
    key: 'actRange', flag: 'act-range', label: 'Activation range', type: 'choice', methods: ALL, when: quantizedActivations, default: 'auto',
    help: 'How calibration picks each activation\'s clipping range.',
    choices: [['auto', 'auto (percentile at 8 bits, least squared error at 6 and below)'], ['percentile', 'percentile (ignores rare outliers)'], ['minmax', 'min/max'], ['mse', 'least squared error']],
  },
  {
    key: 'actReparam', flag: 'act-reparam', label: 'Outlier channels', type: 'switch', cli: 'presence', methods: ALL, when: quantizedActivations, default: false,
    help: 'Rescale post-LayerNorm channels into one range first (same function; helps 4-bit activations).',
    labels: ['leave as they are', 'reparameterize (RepQ-ViT style)'],
  },
  {
    key: 'floatParams', flag: 'float-params', label: 'Float parameters', type: 'choice', methods: ALL, default: 'fp16', absent: 'fp32',
    help: 'Norms, biases and embeddings, which stay in float: float16 (rounded before calibrating, so the export is exact) or float32.',
    choices: [['fp16', 'float16 (smaller file)'], ['fp32', 'float32']],
  },
  {
    key: 'weightRange', flag: 'weight-range', label: 'Weight range', type: 'choice', methods: ALL, default: 'auto',
    help: 'Per output channel: min/max, or searched for the least rounding error; auto lets DeFakeQ measure both on the logits and pick per layer.',
    choices: [['auto', 'auto (DeFakeQ: per layer, the one that moves the logits less; else min/max)'], ['minmax', 'min/max'], ['mse', 'least squared error']],
  },
  {
    key: 'solver', flag: 'solver', label: 'Solver', type: 'choice', methods: DEFAKEQ, default: 'exact',
    help: 'Exact solves the knapsack; relaxed descends the paper\'s loss.',
    choices: [['exact', 'exact (dynamic programming)'], ['relaxed', 'relaxed (paper)']],
  },
  {
    key: 'error', flag: 'error', label: 'Error model', type: 'choice', methods: DEFAKEQ, default: 'logits',
    help: 'What a layer is thought to lose at b bits: measured at the logits or at its own output on calibration data, its output error from channel energies (diagonal), 2^-b, or 4^-b.',
    choices: [['logits', 'measured change of the logits'], ['measured', 'measured layer output error'], ['diagonal', 'layer output error from channel energies'], ['paper', 'paper: 2^-b'], ['noise', 'quantizer noise: 4^-b']],
  },
  {
    key: 'errorImages', flag: 'error-images', label: 'Error images', type: 'number', methods: DEFAKEQ, integer: true, min: 1, step: 1, default: 16,
    when: { test: (s) => s.error === 'logits', text: 'the logits error model' },
    help: 'Calibration images the logits error model measures each layer at each width on.',
  },
  {
    key: 'iters', flag: 'iters', label: 'Rounding iterations', type: 'number', methods: LEARNED, integer: true, min: 1, step: 10, default: 300,
    help: 'Learned-rounding steps per layer; more is slower and usually better.',
  },
  {
    key: 'reconImages', flag: 'recon-images', label: 'Reconstruction images', type: 'number', methods: LEARNED, integer: true, min: 1, step: 1, default: 32,
    help: 'Calibration images whose activations the rounding is fitted on.',
  },
  {
    key: 'reconInputs', flag: 'recon-inputs', label: 'Reconstruction inputs', type: 'choice', methods: LEARNED, default: 'quantized',
    help: 'What each layer\'s rounding is fitted on: the activations of the model quantized so far, or the float model\'s.',
    choices: [['quantized', 'quantized upstream (default)'], ['fp', 'float model']],
  },
  {
    key: 'reconTargets', flag: 'recon-targets', label: 'Reconstruction targets', type: 'choice', methods: LEARNED, default: 'same',
    help: 'What each layer\'s rounding aims at: the float weight on the same inputs (eq. 7), or the float model\'s outputs, so a layer also makes up for the error upstream.',
    choices: [['same', 'float weight, same inputs'], ['float', 'float model outputs']],
  },
  {
    key: 'recon', flag: 'recon', label: 'Reconstruction', type: 'choice', methods: DEFAKEQ, default: 'layer', absent: 'layer',
    help: 'Learn the rounding layer by layer, or of every layer of a transformer block together against the float block\'s output (patch embedding and head stay layer-wise).',
    choices: [['layer', 'layer by layer (AdaRound)'], ['block', 'block by block (BRECQ-style)']],
  },
  {
    key: 'roundingCheck', flag: 'rounding-check', label: 'Rounding check', type: 'switch', cli: 'on-off', methods: DEFAKEQ, default: false,
    help: 'Keep nearest rounding for a block whose learned rounding moves the logits more (off: on the face detector it reverted blocks the model needed).',
    labels: ['off', 'on: check each block against nearest'],
  },
  {
    key: 'computeBudget', flag: 'budget', label: 'Stage budget (GFLOP)', type: 'number', methods: ALL, integer: false, min: 0.001, step: 50, default: 250,
    none: { text: 'none', label: 'no limit' },
    help: 'The most any one stage may cost; above it a run measures fewer error images, runs fewer rounding iterations, ... (listed in its report).',
  },
  {
    key: 'veft', flag: 'veft', label: 'VEFT', type: 'switch', cli: 'negatable', methods: DEFAKEQ, default: true,
    help: 'Keep a few channels of each block\'s activations in float (counted in the budget) and tune the blocks\' rounding with the contrastive term (paper 4.2).',
    labels: ['off', 'on: restore channels and tune'],
  },
  {
    key: 'veftFraction', flag: 'veft-fraction', label: 'VEFT fraction', type: 'number', methods: DEFAKEQ, integer: false, min: 0, max: 0.5, step: 0.01, default: 0.02,
    when: veftOn, help: 'rho: the fraction of each block activation\'s channels kept in float.',
  },
  {
    key: 'veftTau', flag: 'veft-tau', label: 'VEFT temperature', type: 'number', methods: DEFAKEQ, integer: false, min: 0.01, max: 10, step: 0.05, default: 0.1,
    when: veftOn, help: 'tau: the temperature of the contrastive term (eq. 9).',
  },
  {
    key: 'veftEpochs', flag: 'veft-epochs', label: 'VEFT steps', type: 'number', methods: DEFAKEQ, integer: true, min: 0, step: 10, default: 100,
    when: veftOn, help: 'Tuning steps per block with the joint loss L_rec + 0.5 L_hor + 0.5 L_ver; 0 restores channels without tuning.',
  },
  {
    key: 'veftSelection', flag: 'veft-selection', label: 'VEFT selection', type: 'choice', methods: DEFAKEQ, default: 'random', absent: 'random', when: veftOn,
    help: 'Channels restored while tuning: the fixed set plus random others (the paper), or the fixed set only.',
    choices: [['random', 'fixed set + random channels per step'], ['fixed', 'fixed set only']],
  },
  {
    key: 'veftChannels', flag: 'veft-channels', label: 'VEFT activations', type: 'choice', methods: DEFAKEQ, default: 'measured', absent: 'every', when: veftOn,
    help: 'Which block activations keep float channels: those whose channels measurably beat the bits they cost (with the logits error model), or every one (the paper).',
    choices: [['measured', 'where they measurably help'], ['every', 'every block activation']],
  },
  {
    key: 'seed', flag: 'seed', label: 'Seed', type: 'number', methods: ALL, integer: true, min: 0, step: 1, default: 0,
    help: 'The same seed and inputs give the same result.',
  },
] as const satisfies readonly SettingSpec[];

type Listed = (typeof SETTINGS)[number]['key'];
// Every setting but the derived ones is listed: a missing entry fails the type check here.
const everySettingListed: Record<Exclude<SettingKey, Listed>, never> = {};
void everySettingListed;

export function settingSpec(key: SettingKey): SettingSpec {
  const spec = (SETTINGS as readonly SettingSpec[]).find((s) => s.key === key);
  if (!spec) throw new Error(`no setting ${key}`);
  return spec;
}

/** Whether a setting matters for these settings (its method and condition). */
export function settingApplies(spec: SettingSpec, settings: QuantizeSettings): boolean {
  return spec.methods.includes(settings.method) && (spec.when?.test(settings) ?? true);
}

/** A setting's value in `settings`, with what an absent one means. */
export function settingValue(spec: SettingSpec, settings: Partial<QuantizeSettings>): unknown {
  return settings[spec.key] ?? (spec.type === 'choice' ? spec.absent : undefined) ?? spec.default;
}

function defaults(): QuantizeSettings {
  const entries = (SETTINGS as readonly SettingSpec[]).map((s) => [s.key, Array.isArray(s.default) ? [...s.default] : s.default]);
  return Object.fromEntries(entries) as QuantizeSettings;
}

/**
 * What a user gets without choosing: the exact allocator on logit errors, the best variant
 * measured (docs/method.md, docs/results.md). The paper's own settings are
 * `PAPER_SETTINGS` (relaxed solver of eq. 6 with E(b) = 2^-b).
 */
export const DEFAULT_SETTINGS: QuantizeSettings = defaults();

export const PAPER_SETTINGS: QuantizeSettings = { ...DEFAULT_SETTINGS, solver: 'relaxed', error: 'paper' };

/** Every listed setting, none absent. */
export type SettingValues = Required<Pick<QuantizeSettings, SettingKey>>;

/** The listed settings of `settings` (absent ones at their default). */
export function settingValues(settings: Partial<QuantizeSettings>): SettingValues {
  return Object.fromEntries(SETTINGS.map((s) => [s.key, settings[s.key] ?? DEFAULT_SETTINGS[s.key]])) as SettingValues;
}
