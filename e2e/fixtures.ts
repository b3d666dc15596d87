import { readdirSync, readFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { zipSync } from 'fflate';

const dir = new URL('../tools/fixtures/', import.meta.url);

export const fixturePath = (path: string) => new URL(path, dir).pathname;

export const fixture = (path: string) => ({ name: path.split('/').pop()!, mimeType: 'application/octet-stream', buffer: readFileSync(new URL(path, dir)) });

export const imageNames = readdirSync(new URL('images/', dir)).sort();

/** tools/fixtures/images/ as one zip, the way a user would hand over a folder of pictures. */
export function imagesZip() {
  const entries = Object.fromEntries(imageNames.map((n) => [`pictures/${n}`, new Uint8Array(readFileSync(new URL(`images/${n}`, dir)))]));
  return { name: 'pictures.zip', mimeType: 'application/zip', buffer: Buffer.from(zipSync(entries)) };
}

/** Opens the tiny timm ViT fixture with its preprocessing config through the welcome drop zone. */
export async function openFixtureModel(page: Page) {
  await page.goto('/');
  await page.getByLabel('Choose model files').setInputFiles([fixture('vit_tiny_op17.onnx'), fixture('preprocessor_config.json')]);
  await expect(page.getByTestId('model-summary')).toBeVisible({ timeout: 60_000 });
}

/** The run button: "Quantize with N images" once images are in, "Quantize" before. */
export const quantizeButton = (page: Page) => page.getByRole('button', { name: /^Quantize( with \d+ images)?$/ });
