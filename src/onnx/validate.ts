/**
 * The graph validator every entry point runs on a decoded model (CLI commands, the studio's model
 * loading, the exporter): what the decoder cannot see in one message, checked over the whole
 * graph before any work. Problems are GraphErrors: one line naming the file, node and value.
 */
import { modelInputDims, prepareModel, InputShapeError } from './prepare.ts';
import { GraphError, type Dim, type Graph, type Model, type Node } from './ir.ts';
import { lowerForEngine } from './lower.ts';
import { printableName as p } from './names.ts';
import { onnxOps } from './ops/index.ts';

const FLOAT_INPUTS = new Set(['float32', 'float16', 'float64', 'bfloat16']);

function nodeLabel(node: Node, index: number): string {
  return node.name ? `node "${p(node.name)}" (${p(node.opType)})` : `node #${index} (${p(node.opType)})`;
}

/** Inputs and outputs present; one producer per value; every reference defined; no cycle; dims valid. */
export function checkGraphStructure(graph: Graph): void {
  if (graph.inputs.length === 0) throw new GraphError('the graph has no inputs (every name it declares as an input is an initializer)');
  if (graph.outputs.length === 0) throw new GraphError('the graph has no outputs');
  const producer = new Map<string, string>();
  const define = (name: string, by: string) => {
    const first = producer.get(name);
    if (first !== undefined) throw new GraphError(`value "${p(name)}" is produced twice: by ${first} and by ${by}`, undefined, name);
    producer.set(name, by);
  };
  for (const input of graph.inputs) define(input.name, `graph input "${p(input.name)}"`);
  for (const name of graph.initializers.keys()) if (!producer.has(name)) producer.set(name, `initializer "${p(name)}"`);
  graph.nodes.forEach((node, i) => node.outputs.forEach((o) => o && define(o, nodeLabel(node, i))));
  graph.nodes.forEach((node, i) => {
    for (const name of node.inputs) {
      if (name && !producer.has(name)) throw new GraphError(`${nodeLabel(node, i)} reads "${p(name)}", which no node, input or initializer provides`, node.name, name);
    }
  });
  for (const o of graph.outputs) {
    if (!producer.has(o.name)) throw new GraphError(`graph output "${p(o.name)}" is not produced by any node, input or initializer`, undefined, o.name);
  }
  for (const [role, infos] of [['input', graph.inputs], ['output', graph.outputs]] as const) {
    for (const info of infos) checkDeclaredDims(info.shape, `graph ${role} "${p(info.name)}"`, info.name);
  }
  checkAcyclic(graph);
}

function checkDeclaredDims(shape: Dim[] | null, what: string, value: string): void {
  shape?.forEach((d, i) => {
    if (typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0)) throw new GraphError(`${what} declares dimension ${i} as ${d}; dims must be whole numbers, not negative`, undefined, value);
  });
}

/** Kahn's algorithm over node-to-node edges; names the first node left waiting and what it waits for. */
function checkAcyclic(graph: Graph): void {
  const producerIndex = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producerIndex.set(o, i)));
  const waiting = graph.nodes.map(() => 0);
  const consumers: number[][] = graph.nodes.map(() => []);
  graph.nodes.forEach((n, i) => {
    for (const name of new Set(n.inputs)) {
      const from = name ? producerIndex.get(name) : undefined;
      if (from === undefined) continue;
      waiting[i]!++;
      consumers[from]!.push(i);
    }
  });
  const ready = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  for (let k = 0; k < ready.length; k++) for (const c of consumers[ready[k]!]!) if (--waiting[c]! === 0) ready.push(c);
  if (ready.length === graph.nodes.length) return;
  const stuck = waiting.findIndex((w) => w > 0);
  const node = graph.nodes[stuck]!;
  const via = node.inputs.find((name) => name && waiting[producerIndex.get(name) ?? -1]! > 0) ?? '';
  throw new GraphError(`the graph has a cycle: ${nodeLabel(node, stuck)} depends on its own output through "${p(via)}"`, node.name, via);
}

/** The image input (the first) holds float pixels and a batch of at least one image. */
export function checkImageInput(model: Model): void {
  const input = model.graph.inputs[0];
  if (!input) throw new GraphError('the graph has no inputs');
  if (!FLOAT_INPUTS.has(input.dtype)) {
    throw new GraphError(`model input "${p(input.name)}" is ${input.dtype}; an image input must be float (float32)`, undefined, input.name);
  }
  const zero = input.shape?.findIndex((d) => d === 0) ?? -1;
  if (zero >= 0) {
    throw new GraphError(`model input "${p(input.name)}" declares dimension ${zero} as 0${zero === 0 ? ' (a batch of no images)' : ''}; an image input needs at least one of each`, undefined, input.name);
  }
}

/**
 * Everything checkable from the file alone: structure, the image input, then shapes and constant
 * folding as the engine will do them (with their size budgets) when the input's size is fixed.
 * Messages start with the file name.
 */
export function validateModel(model: Model, fileName: string): void {
  try {
    checkGraphStructure(model.graph);
    checkImageInput(model);
    const runnable = lowerForEngine(model);
    let dims: Record<string, number[]>;
    try {
      const batch = model.graph.inputs[0]?.shape?.[0];
      dims = modelInputDims(runnable, typeof batch === 'number' && batch > 0 ? batch : 1);
    } catch (e) {
      if (e instanceof InputShapeError) return; // sizes come from the preprocessing; checked when the engine plans
      throw e;
    }
    prepareModel(runnable, dims, onnxOps);
  } catch (e) {
    if (e instanceof GraphError) throw new GraphError(`${p(fileName)}: ${e.message}`, e.node, e.value);
    throw e;
  }
}
