/**
 * The conflict rule (SPEC 4.4): a write wins over what is stored when its version is higher,
 * or the versions are equal and its origin node name is greater. Identical (version, origin)
 * is the same write delivered twice: dropped.
 */
export interface Stamp {
  v: number;
  o: string;
}

export function wins(incoming: Stamp, existing: Stamp | undefined): boolean {
  if (!existing) return true;
  if (incoming.v !== existing.v) return incoming.v > existing.v;
  return incoming.o > existing.o;
}
