import type { Page } from '@playwright/test';

/**
 * A short WebM made in the page itself: a canvas of moving coloured blocks recorded with
 * MediaRecorder (VP8, about 1 s at 15 fps), handed back as a file to pick. No committed video.
 */
export async function generatedVideo(page: Page, seconds = 1): Promise<{ name: string; mimeType: string; buffer: Buffer }> {
  const base64 = await page.evaluate(async (ms) => {
    const canvas = document.createElement('canvas');
    canvas.width = 96;
    canvas.height = 64;
    const g = canvas.getContext('2d')!;
    const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm;codecs=vp8' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.start();
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < ms; i++) {
      g.fillStyle = `hsl(${(i * 37) % 360} 70% 45%)`;
      g.fillRect(0, 0, 96, 64);
      g.fillStyle = '#f5d0b0';
      g.fillRect((i * 5) % 80, 16, 24, 32);
      await new Promise((r) => setTimeout(r, 40));
    }
    recorder.stop();
    await new Promise((r) => (recorder.onstop = r));
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  }, seconds * 1000);
  return { name: 'generated.webm', mimeType: 'video/webm', buffer: Buffer.from(base64, 'base64') };
}
