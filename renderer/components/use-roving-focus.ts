/**
 * Keyboard navigation of a list: one item is tabbable at a time; ArrowUp/ArrowDown (and
 * Left/Right when horizontal), Home and End move focus between items marked with
 * `data-roving-item`; Enter and Space keep their native meaning on the focused button.
 */
import { useCallback, type KeyboardEvent } from 'react';

export function useRovingFocus(orientation: 'vertical' | 'horizontal' = 'vertical') {
  return useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      const forward = orientation === 'vertical' ? 'ArrowDown' : 'ArrowRight';
      const backward = orientation === 'vertical' ? 'ArrowUp' : 'ArrowLeft';
      if (![forward, backward, 'Home', 'End'].includes(event.key)) return;
      const items = [...event.currentTarget.querySelectorAll<HTMLElement>('[data-roving-item]')];
      if (items.length === 0) return;
      const current = items.indexOf(document.activeElement as HTMLElement);
      let next = current;
      if (event.key === forward) next = current < 0 ? 0 : Math.min(items.length - 1, current + 1);
      else if (event.key === backward) next = current < 0 ? 0 : Math.max(0, current - 1);
      else if (event.key === 'Home') next = 0;
      else next = items.length - 1;
      event.preventDefault();
      for (const [i, item] of items.entries()) item.tabIndex = i === next ? 0 : -1;
      items[next]!.focus();
    },
    [orientation],
  );
}

/** tabIndex for an item: the selected one (or the first when none is) is tabbable. */
export function rovingTabIndex(selected: boolean, index: number, anySelected: boolean): 0 | -1 {
  return selected || (!anySelected && index === 0) ? 0 : -1;
}
