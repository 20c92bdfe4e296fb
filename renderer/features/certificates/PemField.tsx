/**
 * One PEM input of the add form: paste it, or choose a file — through the desktop app's file
 * dialog (`window.peerdesk.pickPemFile`) when there is one, else an <input type=file> read
 * with FileReader. A file's contents are checked for the right PEM block before they are taken;
 * a private key read from a file is not echoed on screen.
 */
import { useId, useRef, useState, type ChangeEvent } from 'react';
import type { PemKind } from '../../../electron/ipc/contract.ts';
import { pemProblem } from '../../api/operations/add-certificate.ts';
import { bridge, viaBridge } from '../../api/bridge.ts';
import { errorText } from '../../api/errors.ts';
import { formatBytes } from '../../lib/format.ts';

/** PEM files larger than this are not read (the desktop app has the same limit). */
const PEM_FILE_MAX_BYTES = 1024 * 1024;

export interface PemValue {
  text: string;
  /** the file it came from, when chosen rather than pasted */
  fileName: string | null;
}

export const EMPTY_PEM: PemValue = { text: '', fileName: null };

interface PemFieldProps {
  kind: PemKind;
  label: string;
  /** the file chooser's words, e.g. "CA certificate" (default: the label in lower case) */
  noun?: string;
  hint?: string;
  optional?: boolean;
  value: PemValue;
  onChange: (value: PemValue) => void;
  /** the form's validation message, shown once the form was submitted */
  error?: string | null | undefined;
}

function readAsText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsText(file);
  });
}

export function PemField({ kind, label, noun = label.toLowerCase(), hint, optional, value, onChange, error }: PemFieldProps) {
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [reading, setReading] = useState(false);
  const blockKind = kind === 'privateKey' ? 'privateKey' : 'certificate';
  const shownError = fileError ?? error ?? null;

  function take(fileName: string, contents: string) {
    const problem = pemProblem(blockKind, contents);
    if (problem) {
      setFileError(`${fileName}: ${problem}`);
      return;
    }
    setFileError(null);
    onChange({ text: contents, fileName });
  }

  async function choose() {
    const api = bridge();
    if (!api) {
      fileInput.current?.click();
      return;
    }
    setReading(true);
    try {
      const picked = await viaBridge(api.pickPemFile(kind));
      if (picked) take(picked.path.split(/[\\/]/).pop() ?? picked.path, picked.contents);
    } catch (pickError) {
      setFileError(errorText(pickError));
    } finally {
      setReading(false);
    }
  }

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    if (file.size > PEM_FILE_MAX_BYTES) {
      setFileError(`${file.name} is ${formatBytes(file.size)}, more than a PEM file of ${formatBytes(PEM_FILE_MAX_BYTES)}`);
      return;
    }
    setReading(true);
    try {
      take(file.name, await readAsText(file));
    } catch (readError) {
      setFileError(`${file.name}: ${(readError as Error).message}`);
    } finally {
      setReading(false);
    }
  }

  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', shownError ? errorId : ''].filter(Boolean).join(' ') || undefined;

  return (
    <div className="field pem-field" data-testid={`pem-${kind}`}>
      <div className="pem-field-heading">
        <label htmlFor={id}>
          {label}
          {optional && <span className="muted"> (optional)</span>}
        </label>
        <div className="row">
          <button type="button" className="button-secondary button-small" onClick={() => void choose()} disabled={reading}>
            {reading ? 'Reading…' : `Choose ${noun} file…`}
          </button>
          <input ref={fileInput} type="file" className="visually-hidden" tabIndex={-1} accept=".pem,.crt,.cer,.key,.txt" aria-label={`${label} file`} onChange={(e) => void onFile(e)} />
        </div>
      </div>
      {value.fileName ? (
        <div className="file-chip" id={id} role="group" aria-label={`${label} from ${value.fileName}`} aria-describedby={describedBy}>
          <span className="file-chip-name">{value.fileName}</span>
          <span className="muted small">
            {kind === 'privateKey' ? 'private key, not shown' : value.text.match(/-----BEGIN CERTIFICATE-----/g)?.length === 1 ? 'one certificate' : `${value.text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0} certificates`} ·{' '}
            {formatBytes(value.text.length)}
          </span>
          <button type="button" className="button-secondary button-small push-right" onClick={() => onChange(EMPTY_PEM)} aria-label={`Clear ${noun}`}>
            Clear
          </button>
        </div>
      ) : (
        <textarea
          id={id}
          className="code pem-text"
          rows={kind === 'privateKey' ? 3 : 4}
          spellCheck={false}
          autoComplete="off"
          value={value.text}
          placeholder={kind === 'privateKey' ? '-----BEGIN PRIVATE KEY-----' : '-----BEGIN CERTIFICATE-----'}
          onChange={(e) => {
            setFileError(null);
            onChange({ text: e.target.value, fileName: null });
          }}
          aria-invalid={!!shownError}
          aria-describedby={describedBy}
        />
      )}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
      {shownError && (
        <span className="field-error" id={errorId}>
          {shownError}
        </span>
      )}
    </div>
  );
}
