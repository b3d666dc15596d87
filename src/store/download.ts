/** Offers bytes or text as a file download from the page (nothing leaves the machine). */
export function download(name: string, content: Uint8Array | string, type: string): void {
  const blob = new Blob([content as Uint8Array<ArrayBuffer> | string], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
