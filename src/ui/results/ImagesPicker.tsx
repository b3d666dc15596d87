import { useResults } from '../../store/results.ts';

/** The images the sweep and the attention maps use. */
export function ImagesPicker() {
  const { images, setImages } = useResults();
  const real = images.evaluation.filter((f) => /(^|\/)real\//i.test(f.webkitRelativePath || f.name)).length;
  return (
    <div className="results-images">
      <label htmlFor="r-eval">Labelled images (a folder with real/ and fake/)</label>
      {/* webkitdirectory keeps the folder paths that carry the labels */}
      <input id="r-eval" type="file" multiple {...{ webkitdirectory: '' }} onChange={(e) => setImages({ evaluation: [...(e.target.files ?? [])] })} />
      <span className="hint">{images.evaluation.length ? `${images.evaluation.length} images: ${real} real, ${images.evaluation.length - real} fake` : 'For accuracy in the sweep, and to pick an image for the attention maps.'}</span>
      <label htmlFor="r-calib">Images to calibrate the sweep (optional)</label>
      <input id="r-calib" type="file" accept="image/*" multiple onChange={(e) => setImages({ calibration: [...(e.target.files ?? [])] })} />
      <span className="hint">{images.calibration.length ? `${images.calibration.length} images` : 'The sweep calibrates on the labelled images when none are given.'}</span>
    </div>
  );
}
