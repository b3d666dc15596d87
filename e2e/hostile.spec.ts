/**
 * Hostile files in the studio: the same messages the CLI gives for the same files, the page
 * still usable and the previous model still loaded; an infeasible budget refused before a run.
 */
import { expect, test } from '@playwright/test';
import { zlibSync } from 'fflate';
import { ihdrChunk, pngChunk, pngFile } from '../src/data/testing.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { encodeModel } from '../src/onnx/encode.ts';
import { GraphError } from '../src/onnx/ir.ts';
import { i64, node, valueInfo } from '../src/onnx/testing.ts';
import { validateModel } from '../src/onnx/validate.ts';
import { fixture, imagesZip, openFixtureModel, quantizeButton } from './fixtures.ts';

/** The ViT fixture with a 152-byte ConstantOfShape asking for 1.8 billion elements. */
function bombModel(): { bytes: Buffer; cliMessage: string } {
  const model = decodeModel(new Uint8Array(fixture('vit_tiny_op17.onnx').buffer));
  model.graph.initializers.set('bomb_shape', i64('bomb_shape', [2], [60_000, 30_000]));
  model.graph.nodes.push(node('ConstantOfShape', ['bomb_shape'], ['bomb_out'], {}, 'bomb'));
  model.graph.outputs.push(valueInfo('bomb_out', null));
  let cliMessage = '';
  try {
    validateModel(model, 'bomb.onnx');
  } catch (e) {
    if (e instanceof GraphError) cliMessage = e.message;
  }
  return { bytes: Buffer.from(encodeModel(model)), cliMessage };
}

test('an image bomb and a broken graph get the CLI\'s messages; the page and the open model stay', async ({ page }) => {
  await openFixtureModel(page);
  const png = pngFile(ihdrChunk(10_000, 10_000), pngChunk('IDAT', zlibSync(new Uint8Array(4))), pngChunk('IEND'));
  await page.getByLabel('Choose images to classify').setInputFiles({ name: 'bomb.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  const runError = page.getByTestId('run-error');
  await expect(runError).toContainText('bomb.png could not be decoded: the image declares 10000x10000 pixels, more than the limit of 40 megapixels', { timeout: 60_000 });

  // The page still classifies a good image after the bomb.
  await page.getByLabel('Choose images to classify').setInputFiles(fixture('images/a_gradient.png'));
  await expect(page.getByTestId('predictions').locator('tbody tr')).toHaveCount(1, { timeout: 120_000 });

  const { bytes, cliMessage } = bombModel();
  expect(cliMessage).toMatch(/^bomb\.onnx: node "bomb" \(ConstantOfShape\) gives "bomb_out" 1800000000 elements/);
  await page.getByLabel('Open another model').setInputFiles({ name: 'bomb.onnx', mimeType: 'application/octet-stream', buffer: bytes });
  const modelError = page.getByTestId('model-error');
  await expect(modelError).toContainText(`bomb.onnx could not be opened: ${cliMessage}`, { timeout: 60_000 });
  await expect(modelError).toContainText('vit_tiny_op17.onnx, is still loaded');
  await expect(modelError).not.toContainText('unexpected');
  await expect(page.getByTestId('model-summary')).toBeVisible();
  await page.screenshot({ path: 'e2e/screenshots/hostile-model.png', fullPage: true });
});

test('an infeasible budget is refused before Quantize is pressed, with the least feasible value', async ({ page }) => {
  await openFixtureModel(page);
  await page.getByLabel('Choose calibration images').setInputFiles(imagesZip());
  await expect(quantizeButton(page)).toBeEnabled({ timeout: 60_000 });
  await page.getByLabel('Average weight bits').fill('1');
  const problem = page.getByTestId('settings-problem');
  // The CLI's message for the same model and settings (cli/feasibility.test.ts checks that one).
  await expect(problem).toContainText(/a budget of 1 bits per weight is infeasible for this model: the least is [2-9]\.\d\d \(every layer at 2 bits \(the least of 2, 3, 4, 6, 8\), as the auto export stores them, float16 biases\)/, { timeout: 30_000 });
  await expect(quantizeButton(page)).toBeDisabled();
  await page.getByLabel('Average weight bits').fill('4');
  await expect(problem).toBeHidden({ timeout: 30_000 });
  await expect(quantizeButton(page)).toBeEnabled();
});
