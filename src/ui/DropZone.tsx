import { useId, useState, type ReactNode } from 'react';
import type { NamedFile } from '../worker/api.ts';
import { namedAll } from '../store/files.ts';
import { droppedFiles } from './drop.ts';

interface Props {
  /** The accessible name of the file picker ("Model files"). */
  label: string;
  /** What to drop, in a sentence. */
  children: ReactNode;
  accept?: string;
  /** Also offer a folder picker (webkitdirectory). */
  folder?: string;
  onFiles(files: NamedFile[]): void;
  disabled?: boolean;
  testId?: string;
}

const folderProps = { webkitdirectory: '', directory: '' } as Record<string, string>;

/** A drop target with real, keyboard-reachable file (and folder) pickers inside it. */
export function DropZone({ label, children, accept, folder, onFiles, disabled, testId }: Props) {
  const id = useId();
  const [dragging, setDragging] = useState(false);
  return (
    <div
      className={`dropzone${dragging ? ' dragging' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (!disabled) void droppedFiles(e.dataTransfer).then(onFiles);
      }}
    >
      <p className="dropzone-text" id={`${id}-text`}>
        {children}
      </p>
      <div className="dropzone-actions">
        <label className="button secondary" htmlFor={`${id}-files`} id={`${id}-files-label`}>
          {label}
        </label>
        <input
          id={`${id}-files`}
          aria-labelledby={`${id}-files-label ${id}-text`}
          className="sr-only"
          type="file"
          multiple
          accept={accept}
          disabled={disabled}
          onChange={(e) => {
            onFiles(namedAll(e.target.files));
            e.target.value = '';
          }}
        />
        {folder && (
          <>
            <label className="button secondary" htmlFor={`${id}-folder`} id={`${id}-folder-label`}>
              {folder}
            </label>
            <input
              id={`${id}-folder`}
              aria-labelledby={`${id}-folder-label ${id}-text`}
              className="sr-only"
              type="file"
              disabled={disabled}
              {...folderProps}
              onChange={(e) => {
                onFiles(namedAll(e.target.files));
                e.target.value = '';
              }}
            />
          </>
        )}
      </div>
    </div>
  );
}
