import { useState, type ReactNode } from 'react';
import { errorMessage } from '../useAsync';
import { Dialog } from './Dialog';
import { Notice } from './States';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  testId?: string;
}

/** Asks before an action, runs it, and shows its error in place if it fails. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
  testId,
}: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog
      title={title}
      onClose={onClose}
      busy={busy}
      size="small"
      testId={testId ?? 'confirm-dialog'}
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={onClose}
            disabled={busy}
            data-testid="confirm-cancel"
          >
            Cancel
          </button>
          <button
            type="button"
            className={`button ${danger ? 'button-danger' : 'button-primary'}`}
            disabled={busy}
            data-testid="confirm-ok"
            onClick={() => {
              setBusy(true);
              setError(null);
              onConfirm().catch((e: unknown) => {
                setBusy(false);
                setError(errorMessage(e));
              });
            }}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      {error ? <Notice kind="error">{error}</Notice> : null}
      {children}
    </Dialog>
  );
}
