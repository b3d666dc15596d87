import { defineConfig } from '@playwright/test';
import base from './playwright.config.ts';

/**
 * The studio on real-size detectors (e2e-large/): hours on a software adapter, so CI does not run
 * it; `npm run test:e2e:large`. The models are made at test time by tools/make_large_models.py.
 */
export default defineConfig({
  ...base,
  testDir: 'e2e-large',
  timeout: 4 * 60 * 60_000,
});
