/** A state shown as colour AND word, so it reads without colour vision too. */

export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'idle';

export function StatusBadge({ tone, children, title }: { tone: Tone; children: string; title?: string | undefined }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      <span className="badge-dot" aria-hidden="true" />
      {children}
    </span>
  );
}
