/**
 * A modal dialog on the native <dialog> element: focus is kept inside, Escape closes, the
 * title names it for assistive tech. Mounted = open.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { IconButton } from './IconButton.tsx';

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** wide dialogs hold editors */
  wide?: boolean;
  testId?: string;
}

export function Dialog({ title, onClose, children, wide, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    const cancel = (event: Event) => {
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
    };
  }, []);

  return (
    <dialog ref={ref} className={`dialog ${wide ? 'dialog-wide' : ''}`} aria-labelledby={titleId} data-testid={testId}>
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <IconButton icon="close" label="Close dialog" onClick={onClose} />
      </header>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
