/** A camera or a local video file playing in a <video> element, for the live check. */

export interface Attached {
  video: HTMLVideoElement;
  stream: MediaStream | null;
  url: string | null;
}

const CAMERA_ERRORS: Record<string, string> = {
  NotAllowedError: 'The camera was not allowed. Allow it for this page, or choose a video file instead.',
  NotFoundError: 'No camera was found. Choose a video file instead.',
  NotReadableError: 'The camera is in use by another program. Close it, or choose a video file instead.',
  OverconstrainedError: 'No camera offers a video stream here. Choose a video file instead.',
};

export async function attachCamera(video: HTMLVideoElement): Promise<Attached> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This page cannot reach a camera (it needs https or localhost). Choose a video file instead.');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    throw new Error(CAMERA_ERRORS[name] ?? `The camera could not start (${name || String(error)}). Choose a video file instead.`, { cause: error });
  }
  video.srcObject = stream;
  video.muted = true;
  await video.play();
  return { video, stream, url: null };
}

const MEDIA_ERRORS: Record<number, string> = { 1: 'loading was aborted', 2: 'a network error', 3: 'it could not be decoded', 4: 'its format is not supported' };

export async function attachFile(video: HTMLVideoElement, file: File): Promise<Attached> {
  const url = URL.createObjectURL(file);
  video.srcObject = null;
  video.src = url;
  video.loop = true;
  video.muted = true;
  try {
    await new Promise<void>((resolve, reject) => {
      video.onloadeddata = () => resolve();
      video.onerror = () => reject(new Error(MEDIA_ERRORS[video.error?.code ?? 0] ?? 'an unknown media error'));
    });
    await video.play();
  } catch (error) {
    URL.revokeObjectURL(url);
    video.removeAttribute('src');
    throw new Error(`${file.name} could not be played by this browser: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
  } finally {
    video.onloadeddata = null;
    video.onerror = null;
  }
  return { video, stream: null, url };
}

export function detach(attached: Attached | null): void {
  if (!attached) return;
  attached.video.pause();
  attached.stream?.getTracks().forEach((t) => t.stop());
  attached.video.srcObject = null;
  if (attached.url) {
    attached.video.removeAttribute('src');
    attached.video.load();
    URL.revokeObjectURL(attached.url);
  }
}

/** Resolves at the next video frame shown (or after 250 ms, so a paused video never stalls the loop). */
export function nextFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 250);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(done);
    else requestAnimationFrame(done);
  });
}
