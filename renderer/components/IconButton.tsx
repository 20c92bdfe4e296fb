/** A button showing only an icon: its label is required and becomes the accessible name and tooltip. */
import type { ButtonHTMLAttributes } from 'react';
import { Icon, type IconName } from './Icon.tsx';

interface IconButtonProps extends Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'aria-label' | 'children'> {
  icon: IconName;
  label: string;
}

export function IconButton({ icon, label, className, type = 'button', ...rest }: IconButtonProps) {
  return (
    <button {...rest} type={type} className={`icon-button ${className ?? ''}`} aria-label={label} title={rest.title ?? label}>
      <Icon name={icon} />
    </button>
  );
}
