import { create } from 'zustand';
import type { ModelStatus, NamedFile, PreprocessEdit } from '../worker/api.ts';
import { studio } from '../worker/client.ts';
import { baseName } from './files.ts';

type Opened = Extract<ModelStatus, { ok: true }>;

interface ModelState {
  loading: string | null;
  status: ModelStatus | null;
  /** The last model that opened: kept when a later file fails. */
  opened: Opened | null;
  /** The files of the opened model (the .onnx first), kept for saving the project. */
  files: NamedFile[];
  /** The preprocessing the user set, when it differs from the model's own. */
  edited: PreprocessEdit | null;
  preprocessError: string | null;
  fakeClassError: string | null;
  /** Opens the .onnx among `files` with the rest (.onnx_data, config.json, preprocessor_config.json). */
  open(files: NamedFile[]): Promise<boolean>;
  setPreprocess(edit: PreprocessEdit): Promise<boolean>;
  /** Which class (0 or 1) is "fake" from now on; the last run's figures keep the class they were scored with. */
  setFakeClass(index: number): Promise<boolean>;
}

export function pickModel(files: NamedFile[]): NamedFile | undefined {
  return files.find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? files.find((f) => !/\.(json|onnx_data)$/i.test(f.name)) ?? files[0];
}

export const useModel = create<ModelState>((set, get) => ({
  loading: null,
  status: null,
  opened: null,
  files: [],
  edited: null,
  preprocessError: null,
  fakeClassError: null,
  async open(files) {
    const model = pickModel(files);
    if (!model) return false;
    const extra = files.filter((f) => f !== model).map((f) => ({ name: baseName(f.name), file: f.file }));
    set({ loading: baseName(model.name) });
    try {
      const status = await studio().openModel({ name: baseName(model.name), file: model.file }, extra);
      set((s) => ({
        status,
        loading: null,
        ...(status.ok ? { opened: status, files: [model, ...files.filter((f) => f !== model)], edited: null, preprocessError: null } : { opened: s.opened }),
      }));
      return status.ok;
    } catch (error) {
      set({ status: { ok: false, fileName: model.name, message: String(error) }, loading: null });
      return false;
    }
  },
  async setPreprocess(edit) {
    const r = await studio().setPreprocess(edit);
    const opened = get().opened;
    if (!r.ok || !opened) {
      set({ preprocessError: r.ok ? 'Open a model first.' : r.message });
      return false;
    }
    set({ opened: { ...opened, preprocess: r.preprocess }, edited: edit, preprocessError: null });
    return true;
  },
  async setFakeClass(index) {
    const r = await studio().setFakeClass(index);
    const opened = get().opened;
    if (!r.ok || !opened) {
      set({ fakeClassError: r.ok ? 'Open a model first.' : r.message });
      return false;
    }
    set({ opened: { ...opened, fakeIndex: index }, fakeClassError: null });
    return true;
  },
}));
