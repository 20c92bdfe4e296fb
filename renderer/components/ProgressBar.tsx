/** A labelled progress bar (role=progressbar) for copy progress and disk use. */

interface ProgressBarProps {
  value: number;
  max: number;
  label: string;
  text?: string;
}

export function ProgressBar({ value, max, label, text }: ProgressBarProps) {
  const ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 1;
  const percent = Math.round(ratio * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-valuetext={text ?? `${percent}%`}>
      <div className="progress-track">
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="progress-text">{text ?? `${percent}%`}</span>
    </div>
  );
}
