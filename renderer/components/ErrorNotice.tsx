/** An error shown where it happened, as the sentence errorText makes, with an optional retry. */
import { errorText } from '../api/errors.ts';

interface ErrorNoticeProps {
  error: unknown;
  onRetry?: () => void;
  testId?: string;
}

export function ErrorNotice({ error, onRetry, testId = 'error' }: ErrorNoticeProps) {
  if (error == null) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      <p>{errorText(error)}</p>
      {onRetry && (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
