/**
 * Confirmation before a destructive operation. On a production connection the user types the
 * connection's name to enable the button, so a wrong-window click cannot delete anything.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog.tsx';
import { ErrorNotice } from './ErrorNotice.tsx';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** when set, this exact text must be typed first (the production connection's name) */
  requireTyping?: string | undefined;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ title, children, confirmLabel, requireTyping, busy, error, onConfirm, onCancel }: ConfirmDialogProps) {
  const [typed, setTyped] = useState('');
  const ready = !requireTyping || typed === requireTyping;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready && !busy) onConfirm();
  }

  return (
    <Dialog title={title} onClose={onCancel} testId="confirm-dialog">
      <form onSubmit={submit} className="stack">
        <div>{children}</div>
        {requireTyping && (
          <label className="field">
            <span>
              This is a <strong>production</strong> connection. Type <code className="typed-name">{requireTyping}</code> to confirm.
            </span>
            <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} autoFocus aria-label="Connection name to confirm" />
          </label>
        )}
        <ErrorNotice error={error} />
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button-danger" disabled={!ready || busy} autoFocus={!requireTyping}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
