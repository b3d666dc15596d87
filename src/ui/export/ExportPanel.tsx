/** Export: verification per execution provider and downloads. Filled in by the export work. */
export function ExportPanel() {
  return null;
}
