import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';

interface DialogProps {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Buttons, right-aligned under the content. */
  footer?: ReactNode;
  size?: 'small' | 'medium' | 'large';
  testId?: string;
  /** While busy, Escape does not close the dialog. */
  busy?: boolean;
}

/**
 * A modal dialog on the native <dialog> element: the browser traps focus, makes the page behind it
 * inert and closes it with Escape. Render it only while it is open; focus returns to where it was.
 */
export function Dialog({ title, onClose, children, footer, size = 'medium', testId, busy }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useLayoutEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) {
      dialog.showModal();
      // The browser focuses the first focusable element (the close button); prefer the first field.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => {
      if (dialog?.open) dialog.close();
      if (previous?.isConnected) previous.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${size}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCloseRef.current();
      }}
    >
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close"
          onClick={() => onCloseRef.current()}
          disabled={busy}
          data-testid="dialog-close"
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer ? <div className="dialog-footer">{footer}</div> : null}
    </dialog>
  );
}

interface FormButtonsProps {
  /** The id of the <form> the submit button sends. */
  form: string;
  onCancel: () => void;
  busy: boolean;
  /** The submit button's text, and its text while the form is being sent. */
  label: string;
  busyLabel: string;
  /** The submit button's test id. */
  testId: string;
  cancelTestId?: string;
  /** Buttons before Cancel. */
  children?: ReactNode;
}

/** A form dialog's footer: Cancel, then the primary button that submits the form. */
export function FormButtons({
  form,
  onCancel,
  busy,
  label,
  busyLabel,
  testId,
  cancelTestId,
  children,
}: FormButtonsProps) {
  return (
    <>
      {children}
      <button type="button" className="button" onClick={onCancel} disabled={busy} data-testid={cancelTestId}>
        Cancel
      </button>
      <button
        type="submit"
        form={form}
        className="button button-primary"
        disabled={busy}
        data-testid={testId}
      >
        {busy ? busyLabel : label}
      </button>
    </>
  );
}
